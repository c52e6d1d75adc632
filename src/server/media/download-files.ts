/**
 * `downloadFiles` (docs/protocol/media-sync.md §3.3): a zip with the longest prefix of the requested names
 * that fits the 2.5 MiB target (the file crossing it included, so never empty). The client
 * advances by the number of files it received, so a short zip is fine; a missing name is not:
 * the protocol cannot skip one, so it is a 409 for the whole request, like the reference.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { badRequest, conflict } from '../errors.ts';
import { SENT, ZSTD_MEDIA_LEVEL, sendBody, sendFrame, zstdFrame } from '../wire/respond.ts';
import type { Reply } from '../wire/respond.ts';
import { sendPlainStream, sendZstdStream } from '../wire/zstd-stream.ts';
import type { MethodCall, MethodContext } from '../user/context.ts';
import { namesAfter, readAhead, takeReadyReply } from './download-ahead.ts';
import type { BuiltReply } from './download-ahead.ts';
import { canBeFileHere, mediaFilePath, pathSafetyProblem } from './filenames.ts';
import { existingSizes, forgetMissingFile } from './media-db.ts';
import type { SizedName } from './media-db.ts';
import { TARGET_ZIP_BYTES, parseDownloadFilesRequest } from './protocol.ts';
import { downloadZip, inMemoryDownloadZip } from './zip.ts';
import type { DownloadFile } from './zip.ts';

/** Which rows to send: request order, stopping after the row that takes the total past the target. Names are checked already. */
export function selectForDownload(files: readonly string[], lookup: (fname: string) => SizedName | undefined): SizedName[] {
  const selected: SizedName[] = [];
  let total = 0;
  for (const fname of files) {
    const entry = lookup(fname);
    if (!entry) throw conflict('downloadFiles: requested a file that is missing or deleted');
    selected.push(entry);
    total += entry.size;
    if (total > TARGET_ZIP_BYTES) break;
  }
  return selected;
}

/** A descriptor for reading `path`; undefined when no file is there. (One path lookup: open, then fstat.) */
function openOrUndefined(path: string): number | undefined {
  try {
    return openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // EISDIR: Windows refuses to open a folder where Linux opens it (and fstat tells).
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw err;
  }
}

/** Every requested name must be one the media folder can hold (400), before anything is looked up. */
function checkNames(names: readonly string[]): void {
  for (const fname of names) {
    const problem = pathSafetyProblem(fname);
    if (problem) throw badRequest(`downloadFiles: requested name ${problem}`);
  }
}

/** The rows to send for `names` (request order, cut at the size target); a name without a row is a 409. */
function rowsToSend(db: Database.Database, names: readonly string[]): SizedName[] {
  const rows = existingSizes(db, names);
  return selectForDownload(names, (fname) => rows.get(fname));
}

/**
 * Opens the rows' files: all of them, or (closing what it opened) the row whose file is missing
 * or empty. The caller closes the descriptors.
 */
function openFiles(mediaDir: string, rows: readonly SizedName[]): { files: DownloadFile[] } | { missing: SizedName } {
  const files: DownloadFile[] = [];
  for (const entry of rows) {
    const path = mediaFilePath(mediaDir, entry.fname);
    // On Windows such a name can never be a file here (its path would open a device).
    const fd = canBeFileHere(entry.fname) ? openOrUndefined(path) : undefined;
    const st = fd === undefined ? undefined : fstatSync(fd);
    if (fd === undefined || !st!.isFile() || st!.size === 0) {
      if (fd !== undefined) closeSync(fd);
      for (const f of files) closeSync(f.fd);
      return { missing: entry };
    }
    files.push({ fname: entry.fname, path, fd, size: st!.size });
  }
  return { files };
}

/** Sends the zip. Runs under the user's lock, which is held until the last byte is sent, so no upload replaces a file mid-zip. */
export async function downloadFiles({ body, response: res, ctx }: MethodCall): Promise<Reply> {
  const { files: names } = parseDownloadFilesRequest(body);
  const { user } = ctx;
  const db = user.mediaDb();
  // A reply built ahead is for exactly these names, which were checked when it was built.
  const ready = takeReadyReply(db, names);
  if (!ready) checkNames(names);
  let lastSent: string | undefined;
  if (ready) {
    sendFrame(res, ready.frame, ready.originalSize, ctx.framing);
    ctx.logFields.ahead = 'yes';
    lastSent = ready.lastSent;
  } else {
    const rows = rowsToSend(db, names);
    const opened = openFiles(user.paths.mediaDir, rows);
    if ('missing' in opened) throw missingFile(ctx, opened.missing);
    try {
      for (const [i, file] of opened.files.entries()) {
        if (file.size !== rows[i]!.size) {
          ctx.logger
            .child('media')
            .warn('media file size differs from media.db', { user: user.username, db: rows[i]!.size, disk: file.size });
        }
      }
      const zip = await downloadZip(opened.files, new Date(ctx.clock.nowMs()));
      if ('data' in zip) sendBody(res, zip.data, ctx.framing, ZSTD_MEDIA_LEVEL);
      else if (ctx.framing === 'plain') await sendPlainStream(res, zip.stream, zip.size);
      else await sendZstdStream(res, zip.stream, zip.size);
    } finally {
      for (const file of opened.files) closeSync(file.fd);
    }
    lastSent = rows.at(-1)?.fname;
  }
  if (lastSent === undefined) return SENT; // nothing was asked for: nothing to guess from
  readAhead(db, user.lock, namesAfter(db, lastSent), (next) => buildAhead(db, user.paths.mediaDir, next, ctx.clock.nowMs()), ctx.logger);
  return SENT;
}

/**
 * The reply to a request for `names`, built in memory with no side effects; undefined, or the
 * error the request would get (a name or row it would refuse), when it is left to the request
 * itself — also for a missing file, a size media.db does not know and a big file.
 */
export function buildAhead(db: Database.Database, mediaDir: string, names: readonly string[], nowMs: number): BuiltReply | undefined {
  checkNames(names);
  const selected = rowsToSend(db, names);
  const opened = openFiles(mediaDir, selected);
  if ('missing' in opened) return undefined;
  try {
    if (opened.files.some((f, i) => f.size !== selected[i]!.size)) return undefined;
    const zip = inMemoryDownloadZip(opened.files, new Date(nowMs));
    if (zip === undefined) return undefined;
    return { frame: zstdFrame(zip, ZSTD_MEDIA_LEVEL), originalSize: zip.length, lastSent: selected.at(-1)!.fname };
  } finally {
    for (const file of opened.files) closeSync(file.fd);
  }
}

/**
 * A vanished file (or an empty one, which the reference would panic on) is forgotten without a
 * deletion record, so the loss does not spread to other devices; the client retries later.
 */
function missingFile(ctx: MethodContext, entry: SizedName): Error {
  forgetMissingFile(ctx.user.mediaDb(), entry);
  ctx.logger.child('media').warn('media file missing on disk; forgot it', { user: ctx.user.username, size: entry.size });
  return conflict('downloadFiles: file missing on disk');
}
