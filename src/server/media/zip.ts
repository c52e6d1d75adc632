/**
 * The two zip formats of media sync (spec media-sync.md §3.3, §3.4). Their `_meta` entries differ:
 * a download's is an object `{"0": name}`, an upload's an array of `[name, "0" | null]`.
 * Files are streamed between disk and zip, never held in memory as a batch.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, fsyncSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { SyncHttpError, badRequest, internal } from '../errors.ts';
import { uploadFilenameProblem } from './filenames.ts';
import { MAX_FILE_BYTES, MAX_UPLOAD_META_BYTES, parseUploadMeta } from './protocol.ts';

/** A file received in an upload, already on disk under a temporary name in the media folder. */

/** Entries up to this size are written in one synchronous call. */
const SMALL_FILE_BYTES = 1024 * 1024;

/** Creates the file (never overwrites), writes it whole and syncs it to disk before returning. */
function writeDurably(path: string, data: Buffer): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface ReceivedFile {
  readonly kind: 'add';
  readonly fname: string;
  readonly tempPath: string;
  readonly size: number;
  /** Raw 20-byte SHA-1 of the received bytes. */
  readonly sha1: Buffer;
}

export interface ReceivedDeletion {
  readonly kind: 'delete';
  readonly fname: string;
}

export type ReceivedChange = ReceivedFile | ReceivedDeletion;

export interface UploadZipLimits {
  /** Most bytes all files of one upload may expand to together. */
  readonly maxTotalBytes: number;
  /** Entries in the zip's directory; real clients send at most 26. */
  readonly maxEntries: number;
}

/** I/O failures of our own disk are 500s; everything else wrong with a zip is the client's (400). */
function asZipError(err: unknown): unknown {
  if (err instanceof SyncHttpError) return err;
  if (typeof err === 'object' && err !== null && 'syscall' in err) return err;
  return badRequest(`uploadChanges: bad zip (${err instanceof Error ? err.message : String(err)})`);
}

/** Reads a whole (small, size-checked) entry into memory. */
async function readSmallEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of await zip.openReadStreamPromise(entry)) {
    n += (chunk as Buffer).length;
    if (n > limit) throw badRequest('uploadChanges: _meta larger than it says');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * Checks an upload zip and extracts its files to temporary names (spec §3.4). Everything is
 * validated before the caller applies anything: `_meta` present, ≤ 50 KiB and well-formed,
 * ≤ 25 changes, every filename acceptable, every named entry present, non-empty, at most
 * 100 MiB, not expanding past its declared size (yauzl checks actual against declared bytes:
 * the zip-bomb guard), matching its CRC-32, and all files together within `maxTotalBytes`.
 * The upload format carries no SHA-1; it is computed here while the bytes stream to disk.
 * On any failure the temporary files are removed and the error is thrown.
 */
export async function extractUploadZip(zipPath: string, limits: UploadZipLimits, newTempPath: () => string): Promise<ReceivedChange[]> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(zipPath, { autoClose: false, strictFileNames: true, validateEntrySizes: true });
  } catch (err) {
    throw asZipError(err);
  }
  const temps: string[] = [];
  try {
    if (zip.entryCount > limits.maxEntries) throw badRequest(`uploadChanges: ${zip.entryCount} zip entries`);
    const entries = new Map<string, yauzl.Entry>();
    for await (const entry of zip.eachEntry()) {
      if (entries.has(entry.fileName)) throw badRequest('uploadChanges: duplicate zip entry');
      entries.set(entry.fileName, entry);
    }

    const metaEntry = entries.get('_meta');
    if (!metaEntry) throw badRequest('uploadChanges: zip has no _meta');
    // The reference reads only the first 50 KiB, so a longer _meta fails there as truncated JSON.
    if (metaEntry.uncompressedSize > MAX_UPLOAD_META_BYTES) throw badRequest('uploadChanges: _meta over 50 KiB');
    const metaBytes = await readSmallEntry(zip, metaEntry, MAX_UPLOAD_META_BYTES);
    let metaText: string;
    try {
      metaText = new TextDecoder('utf-8', { fatal: true }).decode(metaBytes);
    } catch {
      throw badRequest('uploadChanges: _meta is not UTF-8');
    }
    const items = parseUploadMeta(metaText);

    // Every check that needs no file data comes first, so a bad zip costs no disk writes.
    let declaredTotal = 0;
    const plan = items.map((item) => {
      const problem = uploadFilenameProblem(item.fname);
      if (problem) throw badRequest(`uploadChanges: filename ${JSON.stringify(item.fname.slice(0, 80))} ${problem}`);
      if (item.zipName === null) return { fname: item.fname, entry: undefined };
      const entry = entries.get(item.zipName);
      if (!entry) throw badRequest(`uploadChanges: _meta names a missing zip entry`);
      if (entry.isEncrypted() || !entry.canDecodeFileData())
        throw badRequest('uploadChanges: entry is encrypted or uses an unknown compression');
      if (entry.uncompressedSize > MAX_FILE_BYTES) throw badRequest('uploadChanges: file over 100 MiB');
      if (entry.uncompressedSize === 0) throw badRequest('uploadChanges: zero-byte file');
      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > limits.maxTotalBytes) throw badRequest('uploadChanges: files expand past the upload limit');
      return { fname: item.fname, entry };
    });

    const out: ReceivedChange[] = [];
    for (const { fname, entry } of plan) {
      if (entry === undefined) {
        out.push({ kind: 'delete', fname });
        continue;
      }
      const tempPath = newTempPath();
      temps.push(tempPath);
      const hash = createHash('sha1');
      let crc = 0;
      let size = 0;
      const declared = entry.uncompressedSize;
      const measure = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
        for await (const chunk of source) {
          size += chunk.length;
          // yauzl fails a stream that overruns its declared size too; this guard does not rely on it.
          if (size > declared) throw badRequest('uploadChanges: entry expands past its declared size');
          hash.update(chunk);
          crc = crc32(chunk, crc);
          yield chunk;
        }
      };
      if (declared <= SMALL_FILE_BYTES) {
        // Most media files are small: gathering one in memory and writing it with one synchronous
        // open/write/fsync costs a fraction of a write stream's thread-pool round trips.
        const parts: Buffer[] = [];
        for await (const chunk of measure(await zip.openReadStreamPromise(entry))) parts.push(chunk);
        writeDurably(tempPath, Buffer.concat(parts));
      } else {
        await pipeline(await zip.openReadStreamPromise(entry), measure, createWriteStream(tempPath, { flags: 'wx', flush: true }));
      }
      if (size !== declared) throw badRequest('uploadChanges: entry shorter than declared');
      if (crc >>> 0 !== entry.crc32 >>> 0) throw badRequest('uploadChanges: entry fails its CRC-32 check');
      out.push({ kind: 'add', fname, tempPath, size, sha1: hash.digest() });
    }
    return out;
  } catch (err) {
    for (const p of temps) rmSync(p, { force: true });
    throw asZipError(err);
  } finally {
    zip.close();
  }
}

/** A file to send: its real name, where it is, and its size as just seen on disk. */
export interface DownloadFile {
  readonly fname: string;
  readonly path: string;
  readonly size: number;
}

/**
 * Builds the download zip as a stream (spec §3.3): entries "0", "1", … in request order, STORED
 * like the reference, then `_meta` mapping entry name → filename. Resolves once the zip's exact
 * length is known (it is, because nothing is compressed), before any file is read.
 */
export function downloadZip(files: readonly DownloadFile[], mtime: Date): Promise<{ stream: Readable; size: number }> {
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  // yazl leaves read-stream errors unhandled and emits its own on the ZipFile; both end the reply.
  zip.on('error', (err: Error) => output.destroy(err));
  const names: Record<string, string> = {};
  files.forEach((file, i) => {
    names[String(i)] = file.fname;
    if (file.size <= SMALL_FILE_BYTES) {
      // A reply holds at most ~2.5 MiB of files; small ones are read whole, which spares a
      // read stream (and its 64 KiB buffer) per file — most of the time of a small-file download.
      zip.addBuffer(readFileSync(file.path), String(i), { compress: false, mtime });
      return;
    }
    zip.addReadStreamLazy(String(i), { compress: false, size: file.size, mtime }, (cb) => {
      const rs = createReadStream(file.path);
      rs.once('error', (err) => output.destroy(err));
      cb(null, rs);
    });
  });
  zip.addBuffer(Buffer.from(JSON.stringify(names), 'utf8'), '_meta', { compress: false, mtime });
  return new Promise((resolve, reject) => {
    // @types/yazl declares the callback without its argument.
    const end = zip.end.bind(zip) as (options: undefined, cb: (size: number) => void) => void;
    end(undefined, (size) => {
      if (size < 0) reject(internal('download zip size unknown'));
      else resolve({ stream: output, size });
    });
  });
}
