/**
 * `upload` — full upload (docs/protocol/collection-sync.md §5.11). The client's whole collection arrives
 * as one zstd stream (gzip in the older protocols); it is decoded straight into a temp file in the
 * user's folder, validated (and an older schema upgraded) there, and only then swapped in with an
 * atomic rename. A bad upload never touches the current
 * collection. The previous collection is kept in `backups/`.
 * Replies are text with HTTP 200, as the reference sends them; the client shows anything other
 * than "OK" to the person.
 */
import { closeSync, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { BodyTooLargeError, payloadLimits, writeRequestBodyToFile } from '../wire/request-body.ts';
import type { BodyCodec } from '../wire/request-body.ts';
import { openCollection, checkpointAndClose } from '../collection/open.ts';
import { upgradeCollectionFile } from '../collection/upgrade.ts';
import { replaceFileAtomically } from '../util/atomic-file.ts';
import { keepCollectionFile } from '../backups/take-backup.ts';
import { newUploadTempPath } from '../user/upload-temps.ts';
import type { MethodCall, MethodContext } from '../user/context.ts';
import type { Reply } from '../wire/respond.ts';

export const UPLOAD_OK = 'OK';
export const UPLOAD_TOO_LARGE = 'collection exceeds size limit';
/** Exact text of the reference; older clients recognise it. */
export const UPLOAD_CORRUPT = 'Your upload was corrupt. Please use Check Database, or restore from backup.';
export const UPLOAD_UNSUPPORTED_VERSION =
  'Your upload uses a collection format this server does not accept. Please update Anki, then sync again.';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const REQUIRED_TABLES = [
  'col',
  'notes',
  'cards',
  'revlog',
  'graves',
  'decks',
  'deck_config',
  'notetypes',
  'fields',
  'templates',
  'config',
  'tags',
];

export type UploadVerdict = { ok: true } | { ok: false; reply: string; why: string };

function readMagic(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(SQLITE_MAGIC.length);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function removeWithSidecars(path: string): void {
  for (const p of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) rmSync(p, { force: true });
}

/**
 * The older schemas an upload may have, brought to 18 as the official server does: Anki before
 * 2.1.57 always uploads schema 11 (docs/protocol/collection-sync.md §5.11).
 */
const UPGRADABLE_VERSIONS: readonly unknown[] = [11, 14, 15, 16, 17];

/**
 * Checks an uploaded file before it may replace anything: an SQLite database, a schema-18
 * Anki collection with all its tables, and a clean `PRAGMA integrity_check` (which needs the
 * unicase collation to check the name indexes). A file of an older schema is checked, then
 * upgraded in place (collection/upgrade.ts), then checked again as schema 18.
 */
export function validateUploadedCollection(path: string): UploadVerdict {
  const corrupt = (why: string): UploadVerdict => ({ ok: false, reply: UPLOAD_CORRUPT, why });
  if (!readMagic(path).equals(SQLITE_MAGIC)) return corrupt('not an SQLite database');
  let db;
  try {
    // query_only: judging a file must not change it.
    db = openCollection(path, { readonly: true });
    // One pass over the file needs no 40 MiB page cache; this keeps a 100 MB upload's peak memory low.
    db.pragma('cache_size = -2000');
  } catch (err) {
    return corrupt(`cannot open: ${(err as Error).message}`);
  }
  try {
    const tables = new Set(
      (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name),
    );
    // The reference would create a fresh collection inside a file without `col` and answer OK,
    // silently replacing the person's data with nothing; Hearth refuses (docs/protocol/behaviours.md D38).
    if (!tables.has('col')) return corrupt('no col table');
    const rows = db.prepare('SELECT ver FROM col').all() as { ver: unknown }[];
    if (rows.length !== 1) return corrupt(`col has ${rows.length} rows`);
    const ver = rows[0]!.ver;
    if (ver !== 18 && !UPGRADABLE_VERSIONS.includes(ver)) {
      return { ok: false, reply: UPLOAD_UNSUPPORTED_VERSION, why: `schema version ${String(ver)} (Hearth takes 11 and 14-18)` };
    }
    if (ver === 18) {
      const missing = REQUIRED_TABLES.filter((t) => !tables.has(t));
      if (missing.length > 0) return corrupt(`missing tables ${missing.join(', ')}`);
    }
    const check = db.pragma('integrity_check') as { integrity_check: string }[];
    if (check.length !== 1 || check[0]!.integrity_check !== 'ok') {
      return corrupt(
        `integrity_check: ${check
          .slice(0, 3)
          .map((r) => r.integrity_check)
          .join('; ')}`,
      );
    }
    if (ver === 18) return { ok: true };
    db.close();
    try {
      upgradeCollectionFile(path);
    } catch (err) {
      return corrupt(`upgrade from schema ${String(ver)} failed: ${(err as Error).message}`);
    }
    return validateUploadedCollection(path);
  } catch (err) {
    return corrupt(`check failed: ${(err as Error).message}`);
  } finally {
    if (db.open) checkpointAndClose(db);
  }
}

/** Whether a collection file has no notes and no review history (or cannot be read as one). */
function holdsNothing(path: string): boolean {
  if (!existsSync(path)) return true;
  try {
    const db = openCollection(path, { readonly: true });
    try {
      return (db.prepare('SELECT (SELECT count(*) FROM notes) + (SELECT count(*) FROM revlog) AS n').get() as { n: number }).n === 0;
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

/**
 * Swaps a validated upload in. Runs under the user's lock. A sync in progress is aborted and the
 * current collection closed (checkpointed) first, so no WAL file of the old database can be
 * applied to the new one.
 */
export function installUpload(tempPath: string, ctx: MethodContext): void {
  const { user } = ctx;
  user.withCollection(() => {
    const { collection } = user.paths;
    if (existsSync(`${collection}-wal`)) {
      // Left by a crash: fold it into the old file before that file becomes the backup.
      try {
        checkpointAndClose(openCollection(collection));
      } catch {
        renameSync(`${collection}-wal`, `${collection}.unreadable-${ctx.clock.nowMs()}-wal`);
      }
    }
    rmSync(`${collection}-shm`, { force: true });
    // Kept as it is: a hard link, since the file is never written again once replaced. A
    // collection with nothing in it (the one the first sync creates) is not worth a backup.
    if (!holdsNothing(collection)) keepCollectionFile(user, 'before-upload', ctx.clock.nowMs(), true);
    replaceFileAtomically(tempPath, collection);
  }, 'closed');
}

/** Receives the body into a temp file and judges it; the caller installs it under the lock. */
export async function receiveUpload(
  body: Readable,
  ctx: MethodContext,
  codec: BodyCodec = 'zstd',
): Promise<{ tempPath: string } | { reply: string; why: string }> {
  const { user, config } = ctx;
  mkdirSync(user.paths.dir, { recursive: true });
  const tempPath = newUploadTempPath(user.paths.dir);
  const limits = payloadLimits(config);
  try {
    // The reference refuses uploads whose decoded length is >= the limit.
    await writeRequestBodyToFile(body, tempPath, { ...limits, maxDecoded: limits.maxDecoded - 1 }, codec);
  } catch (err) {
    removeWithSidecars(tempPath);
    if (err instanceof BodyTooLargeError) return { reply: UPLOAD_TOO_LARGE, why: err.message };
    throw err;
  }
  const verdict = validateUploadedCollection(tempPath);
  if (!verdict.ok) {
    removeWithSidecars(tempPath);
    return verdict;
  }
  rmSync(`${tempPath}-wal`, { force: true });
  rmSync(`${tempPath}-shm`, { force: true });
  return { tempPath };
}

export function discardUpload(tempPath: string): void {
  removeWithSidecars(tempPath);
}

/**
 * The wire method (http/methods.ts): the body is received and judged outside the lock (it may
 * take minutes), then swapped in under it. A refused upload is a 200 with the reason as text.
 */
export async function upload({ request, codec, ctx }: MethodCall): Promise<Reply> {
  const received = await receiveUpload(request, ctx, codec);
  if ('reply' in received) return { text: received.reply, refusedBecause: received.why };
  try {
    await ctx.user.lock.run(() => installUpload(received.tempPath, ctx));
  } finally {
    discardUpload(received.tempPath);
  }
  return { text: UPLOAD_OK };
}
