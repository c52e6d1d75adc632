/**
 * `uploadChanges` (docs/protocol/media-sync.md §3.4): a zip of added, replaced and deleted files.
 *
 * Order of work, so that a bad upload changes nothing:
 * 1. the zstd body is decoded, in memory when it is small (a real client's zip is ~2.5 MiB),
 *    else into a temporary zip in the media folder (outside the user's lock);
 * 2. the zip is validated and its files checked (zip.ts): small ones stay in memory, big ones are
 *    extracted to temporary names next to it;
 * 3. under the lock, one exclusive media-DB transaction applies the changes in `_meta` order,
 *    checks case-insensitive name collisions, and writes or moves the files into place; if
 *    anything fails, the transaction rolls back and every file step is undone;
 * 4. temporaries and replaced/deleted old files are removed.
 * Only the media folder and media.db are ever written.
 *
 * Durability: media files are not fsynced, neither one by one nor their folder — like the
 * reference, which never syncs media files. Syncing each file cost ~5 ms per request of 25 files
 * on ext4, more than the official server's whole request, and syncing the folder ~0.4 ms more
 * per request while still leaving the contents unsynced. media.db's commits are made durable
 * once per media sync, by its last call (`mediaSanity`, see makeMediaDurable in media-db.ts), and
 * on a journaling file system that sync also carries the new names. Each upload also starts a
 * background flush of the folder's names before it commits (folder-flush.ts: it keeps the
 * client's own commit after the reply from carrying them). A power cut in the seconds
 * after an upload can therefore lose the sync's last commits (the client then resends, see there)
 * or leave a received file missing or empty while media.db lists it; downloadFiles then forgets
 * that row (see download-files.ts) instead of serving it; the file counts then differ, so the
 * uploading client's media sanity check (after its next media sync that moves anything) fails and
 * it resyncs its media, sending the file anew.
 */
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { badRequest } from '../errors.ts';
import type { Reply } from '../wire/respond.ts';
import { BodyTooLargeError, payloadLimits, readRequestBodyInMemoryOrFile } from '../wire/request-body.ts';
import type { MethodCall } from '../user/context.ts';
import { newMediaTempPath } from '../user/upload-temps.ts';
import { canBeFileHere, caseFoldKey, mediaFilePath } from './filenames.ts';
import { flushFolderSoon } from './folder-flush.ts';
import { existingEntries, getNonEmptyEntry, nonEmptyNames, setEntry, withMediaTransaction } from './media-db.ts';
import type { MediaEntry } from './media-db.ts';
import { jsonResult } from './protocol.ts';
import type { UploadReply } from './protocol.ts';
import { extractUploadZip } from './zip.ts';
import type { ReceivedChange, ReceivedFile, UploadZipSource } from './zip.ts';

/** Upload bodies up to this size (on the wire and decoded) are handled in memory; a real client's are ≤ ~2.5 MiB plus one file. */
const IN_MEMORY_ZIP_MAX = 8 * 1024 * 1024;

/** Zip entries we are willing to index; a real client sends at most 25 files and `_meta`. */
const MAX_ZIP_ENTRIES = 1000;

export interface UploadOutcome {
  readonly reply: UploadReply;
  readonly added: number;
  readonly replaced: number;
  readonly removed: number;
  /** Identical re-adds and repeated deletions: processed, but no change and no usn (docs/protocol/media-sync.md §3.4). */
  readonly unchanged: number;
}

/** Moves an existing file out of the way (to be restored or deleted later); undefined if there was none. */
function moveAside(path: string, mediaDir: string): string | undefined {
  // Most uploaded names are new: checking first avoids a failing rename (and its exception) per file.
  if (!existsSync(path)) return undefined;
  const aside = newMediaTempPath(mediaDir, 'old');
  try {
    renameSync(path, aside);
    return aside;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Applies validated changes in one transaction (the reference's `register_uploaded_change`
 * table, docs/protocol/media-sync.md §3.4): usn +1 per real change only, totals kept in step, `[processed, usn]` back.
 * Must run under the user's lock.
 */
export function applyUploadedChanges(
  db: Database.Database,
  mediaDir: string,
  changes: readonly ReceivedChange[],
  nowSecs: number,
  /** Called once files have been written, moved or removed, before the commit. */
  onFilesPlaced?: () => void,
): UploadOutcome {
  let added = 0;
  let replaced = 0;
  let removed = 0;
  // What each touched name ends up as on disk: a received file to put in place, or null to remove.
  const finalFiles = new Map<string, ReceivedFile | null>();
  const presentBefore = new Map<string, boolean>();
  const undo: (() => void)[] = [];
  const oldFiles: string[] = [];

  try {
    const usn = withMediaTransaction(db, (meta) => {
      // One lookup for the batch, kept in step below (a name may come twice in one upload).
      const current = existingEntries(
        db,
        changes.map((c) => c.fname),
      );
      // The rows are written after the files (see below), in the order decided here.
      const rows: MediaEntry[] = [];
      for (const change of changes) {
        const existing = current.get(change.fname);
        if (!presentBefore.has(change.fname)) presentBefore.set(change.fname, existing !== undefined);
        if (change.kind === 'delete') {
          if (!existing) continue; // already deleted
          meta.lastUsn += 1;
          meta.totalBytes = Math.max(0, meta.totalBytes - existing.size);
          meta.totalNonemptyFiles = Math.max(0, meta.totalNonemptyFiles - 1);
          // The checksum is kept with the deletion record, like the reference.
          rows.push({ ...existing, size: 0, usn: meta.lastUsn, mtime: nowSecs });
          current.delete(change.fname);
          finalFiles.set(change.fname, null);
          removed += 1;
          continue;
        }
        if (existing && existing.csum.equals(change.sha1)) continue; // identical
        meta.lastUsn += 1;
        if (existing) {
          meta.totalBytes = Math.max(0, meta.totalBytes - existing.size) + change.size;
          replaced += 1;
        } else {
          meta.totalBytes += change.size;
          meta.totalNonemptyFiles += 1;
          added += 1;
        }
        const entry = { fname: change.fname, csum: change.sha1, size: change.size, usn: meta.lastUsn, mtime: nowSecs };
        rows.push(entry);
        current.set(change.fname, entry);
        finalFiles.set(change.fname, change);
      }
      refuseCaseCollisions(db, presentBefore, finalFiles);
      // Files first, then rows: the background sync of the folder (folder-flush.ts) then starts
      // while the rows are written and committed, and is further along when the client, having
      // read the reply, commits its own database (its commit waits for a sync in progress).
      moveFilesIntoPlace(mediaDir, finalFiles, undo, oldFiles);
      if (finalFiles.size > 0) onFilesPlaced?.();
      for (const row of rows) setEntry(db, row);
      return meta.lastUsn;
    });
    updateCaseFoldIndex(db, finalFiles);
    for (const p of oldFiles) rmSync(p, { force: true, recursive: true });
    return {
      reply: [changes.length, usn],
      added,
      replaced,
      removed,
      unchanged: changes.length - added - replaced - removed,
    };
  } catch (err) {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // keep undoing the rest; what cannot be restored is logged by the caller's error
      }
    }
    throw err;
  }
}

/**
 * Two names that differ only in case are one file on macOS and Windows (docs/protocol/media-sync.md §5): storing the
 * second would overwrite the first's content while the DB kept two rows. A name that becomes
 * present in this upload and collides with another present name is refused (400) instead; the
 * client then reports the failed sync and the person can rename the file. Checked against the
 * state after the whole batch, so a rename that only changes case (delete + add) still works.
 * Collisions already in the data (e.g. from a case-sensitive host) are left alone.
 */
function refuseCaseCollisions(
  db: Database.Database,
  presentBefore: ReadonlyMap<string, boolean>,
  finalFiles: ReadonlyMap<string, ReceivedFile | null>,
): void {
  // What the batch leaves on disk is known from the transaction's own decisions: no second lookup.
  const presentAfter = (fname: string): boolean => {
    const final = finalFiles.get(fname);
    if (final !== undefined) return final !== null;
    const before = presentBefore.get(fname);
    return before ?? getNonEmptyEntry(db, fname) !== undefined;
  };
  const arriving = [...presentBefore].filter(([fname, before]) => !before && presentAfter(fname)).map(([f]) => f);
  if (arriving.length === 0) return;
  const index = caseFoldIndex(db);
  const batchByKey = new Map<string, string[]>();
  for (const fname of presentBefore.keys()) {
    const key = caseFoldKey(fname);
    batchByKey.set(key, [...(batchByKey.get(key) ?? []), fname]);
  }
  for (const fname of arriving) {
    const key = caseFoldKey(fname);
    // Candidates: files that existed before this batch, and names in this batch, with the same
    // key; each is checked against the state this batch leaves (the index may be stale: a name
    // not in the batch is looked up in the database).
    const candidates = new Set([...(index.get(key) ?? []), ...(batchByKey.get(key) ?? [])]);
    for (const other of candidates) {
      if (other !== fname && presentAfter(other)) {
        throw badRequest(
          `uploadChanges: ${JSON.stringify(fname.slice(0, 80))} differs only in letter case from ${JSON.stringify(other.slice(0, 80))}`,
        );
      }
    }
  }
}

/**
 * Case-fold key → names of existing files, per media database connection. Built once from the
 * database and kept in step after each committed upload, so checking a batch costs the batch,
 * not the whole library (53,000-file collections exist). Entries that went stale (a file
 * dropped by downloadFiles) only cost a lookup: every candidate is re-checked in the database.
 */
const caseFoldIndexes = new WeakMap<Database.Database, Map<string, Set<string>>>();

function caseFoldIndex(db: Database.Database): Map<string, Set<string>> {
  let index = caseFoldIndexes.get(db);
  if (!index) {
    index = new Map();
    for (const fname of nonEmptyNames(db)) addToIndex(index, fname);
    caseFoldIndexes.set(db, index);
  }
  return index;
}

function addToIndex(index: Map<string, Set<string>>, fname: string): void {
  const key = caseFoldKey(fname);
  const names = index.get(key);
  if (names) names.add(fname);
  else index.set(key, new Set([fname]));
}

/** After a commit: the index follows what the batch added and removed. */
function updateCaseFoldIndex(db: Database.Database, finalFiles: ReadonlyMap<string, ReceivedFile | null>): void {
  const index = caseFoldIndexes.get(db);
  if (!index) return;
  for (const [fname, file] of finalFiles) {
    if (file !== null) addToIndex(index, fname);
    else index.get(caseFoldKey(fname))?.delete(fname);
  }
}

/**
 * Removals first, then writes, so that on a case-insensitive disk a case-only rename does not
 * delete the file it just wrote. Every step records how to undo it; replaced and removed files
 * are kept aside until the transaction has committed.
 */
function moveFilesIntoPlace(
  mediaDir: string,
  finalFiles: ReadonlyMap<string, ReceivedFile | null>,
  undo: (() => void)[],
  oldFiles: string[],
): void {
  const entries = [...finalFiles];
  const setAside = (path: string): void => {
    const aside = moveAside(path, mediaDir);
    if (aside) {
      oldFiles.push(aside);
      undo.push(() => renameSync(aside, path));
    }
  };
  for (const [fname, file] of entries) {
    if (file === null && canBeFileHere(fname)) setAside(mediaFilePath(mediaDir, fname));
  }
  for (const [fname, file] of entries) {
    if (file === null) continue;
    const path = mediaFilePath(mediaDir, fname);
    if ('data' in file.content) {
      // Most names are new: try to create the file first, and set an old one aside only if it is there.
      if (!writeNewFile(path, file.content.data)) {
        setAside(path);
        if (!writeNewFile(path, file.content.data)) throw new Error(`uploadChanges: ${fname} reappeared while it was being replaced`);
      }
      undo.push(() => rmSync(path, { force: true }));
    } else {
      setAside(path);
      const temp = file.content.tempPath;
      renameSync(temp, path);
      undo.push(() => renameSync(path, temp));
    }
  }
}

/**
 * Creates `path` with `data`; false (and nothing written) if something exists there already.
 * A half-written file (disk full) is removed again before the error is thrown.
 */
function writeNewFile(path: string, data: Buffer): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    for (let off = 0; off < data.length;) off += writeSync(fd, data, off, data.length - off);
  } catch (err) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw err;
  }
  closeSync(fd);
  return true;
}

/** The whole method: receive, validate, apply. */
export async function uploadChanges({ request, codec, ctx }: MethodCall): Promise<Reply> {
  const { user, config, clock } = ctx;
  const mediaDir = user.paths.mediaDir;
  mkdirSync(mediaDir, { recursive: true });
  const limits = payloadLimits(config);
  const zipPath = newMediaTempPath(mediaDir, 'zip');
  // Until the body is known to be in memory, a partly written spill file may exist.
  let zipFileMayExist = true;
  let changes: ReceivedChange[] = [];
  try {
    let source: UploadZipSource;
    try {
      source = await readRequestBodyInMemoryOrFile(request, limits, IN_MEMORY_ZIP_MAX, zipPath, codec);
      zipFileMayExist = !('data' in source);
    } catch (err) {
      // The reference truncates an oversized body and then fails to read the zip: a 400.
      if (err instanceof BodyTooLargeError) throw badRequest(`uploadChanges: ${err.message}`);
      throw err;
    }
    changes = await extractUploadZip(source, { maxTotalBytes: limits.maxDecoded, maxEntries: MAX_ZIP_ENTRIES }, () =>
      newMediaTempPath(mediaDir, 'part'),
    );
    if (zipFileMayExist) rmSync(zipPath, { force: true });
    const nowSecs = Math.floor(clock.nowMs() / 1000);
    // Not awaited: see folder-flush.ts for why it starts before the commit and why nobody waits for it.
    const startFlush = (): void => void flushFolderSoon(mediaDir, ctx.logger);
    const outcome = await user.lock.run(() => applyUploadedChanges(user.mediaDb(), mediaDir, changes, nowSecs, startFlush));
    Object.assign(ctx.logFields, {
      added: String(outcome.added),
      replaced: String(outcome.replaced),
      removed: String(outcome.removed),
      unchanged: String(outcome.unchanged),
      usn: String(outcome.reply[1]),
    });
    return { json: jsonResult(outcome.reply) };
  } finally {
    if (zipFileMayExist) rmSync(zipPath, { force: true });
    // Files moved into place no longer exist under their temporary names.
    for (const c of changes) if (c.kind === 'add' && 'tempPath' in c.content) rmSync(c.content.tempPath, { force: true });
  }
}
