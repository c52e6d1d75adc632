/**
 * `downloadFiles` (spec media-sync.md §3.3): a zip with the longest prefix of the requested names
 * that fits the 2.5 MiB target (the file crossing it included, so never empty). The client
 * advances by the number of files it received, so a short zip is fine; a missing name is not:
 * the protocol cannot skip one, so it is a 409 for the whole request, like the reference.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { badRequest, conflict } from '../errors.ts';
import { ZSTD_MEDIA_LEVEL, sendZstd } from '../http/respond.ts';
import { sendZstdStream } from '../http/zstd-stream.ts';
import type { MethodContext } from '../sync/context.ts';
import { mediaFilePath, pathSafetyProblem } from './filenames.ts';
import { forgetMissingFile, getNonEmptyEntries } from './media-db.ts';
import type { MediaEntry } from './media-db.ts';
import { TARGET_ZIP_BYTES, parseDownloadFilesRequest } from './protocol.ts';
import { downloadZip } from './zip.ts';
import type { DownloadFile } from './zip.ts';

/** Which rows to send: request order, stopping after the row that takes the total past the target. */
export function selectForDownload(files: readonly string[], lookup: (fname: string) => MediaEntry | undefined): MediaEntry[] {
  const selected: MediaEntry[] = [];
  let total = 0;
  for (const fname of files) {
    const problem = pathSafetyProblem(fname);
    if (problem) throw badRequest(`downloadFiles: requested name ${problem}`);
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

/** Sends the zip. Runs under the user's lock, which is held until the last byte is sent, so no upload replaces a file mid-zip. */
export async function downloadFiles(body: Buffer, ctx: MethodContext, res: ServerResponse): Promise<void> {
  const { files } = parseDownloadFilesRequest(body);
  const { user } = ctx;
  const db = user.mediaDb();
  // Names are checked before anything is looked up (selectForDownload checks each again, in order).
  for (const fname of files) {
    const problem = pathSafetyProblem(fname);
    if (problem) throw badRequest(`downloadFiles: requested name ${problem}`);
  }
  const rows = getNonEmptyEntries(db, files);
  const selected = selectForDownload(files, (fname) => rows.get(fname));
  const toSend: DownloadFile[] = [];
  try {
    for (const entry of selected) {
      const path = mediaFilePath(user.paths.mediaDir, entry.fname);
      const fd = openOrUndefined(path);
      if (fd === undefined) throw missingFile(ctx, entry);
      const st = fstatSync(fd);
      if (!st.isFile() || st.size === 0) {
        closeSync(fd);
        throw missingFile(ctx, entry);
      }
      toSend.push({ fname: entry.fname, path, fd, size: st.size });
      if (st.size !== entry.size) {
        ctx.logger.child('media').warn('media file size differs from media.db', { user: user.username, db: entry.size, disk: st.size });
      }
    }
    const zip = await downloadZip(toSend, new Date(ctx.clock.nowMs()));
    if ('data' in zip) sendZstd(res, zip.data, ZSTD_MEDIA_LEVEL);
    else await sendZstdStream(res, zip.stream, zip.size);
  } finally {
    for (const file of toSend) closeSync(file.fd);
  }
}

/**
 * A vanished file (or an empty one, which the reference would panic on) is forgotten without a
 * deletion record, so the loss does not spread to other devices; the client retries later.
 */
function missingFile(ctx: MethodContext, entry: MediaEntry): Error {
  forgetMissingFile(ctx.user.mediaDb(), entry);
  ctx.logger.child('media').warn('media file missing on disk; forgot it', { user: ctx.user.username, size: entry.size });
  return conflict('downloadFiles: file missing on disk');
}
