/**
 * The two zip formats of media sync (docs/protocol/media-sync.md §3.3, §3.4). Their `_meta` entries differ:
 * a download's is an object `{"0": name}`, an upload's an array of `[name, "0" | null]`.
 * Files are streamed between disk and zip, never held in memory as a batch.
 */
import { createHash, hash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { SyncHttpError, badRequest, internal } from '../errors.ts';
import { uploadFilenameProblem, deletionFilenameProblem } from './filenames.ts';
import { readStoredZipDirectory, storedZip } from './stored-zip.ts';
import type { StoredEntry, StoredZipEntry } from './stored-zip.ts';
import { MAX_FILE_BYTES, MAX_UPLOAD_META_BYTES, parseUploadMeta } from './protocol.ts';

/** Entries up to this size are kept in memory until they are written in place; larger ones stream to a temp file. */
const SMALL_FILE_BYTES = 1024 * 1024;
/** Most bytes of small entries one upload keeps in memory; the rest stream to temp files too. */
const IN_MEMORY_FILES_MAX = 16 * 1024 * 1024;

export interface ReceivedFile {
  readonly kind: 'add';
  readonly fname: string;
  readonly size: number;
  /** Raw 20-byte SHA-1 of the received bytes. */
  readonly sha1: Buffer;
  /**
   * Where the checked bytes wait until the upload is applied: in memory (most media files are
   * small), or, for big files, in a temp file in the media folder, already synced to disk.
   */
  readonly content: { readonly data: Buffer } | { readonly tempPath: string };
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

/** One file of an upload zip, however it was read. */
interface UploadEntry {
  readonly fileName: string;
  readonly uncompressedSize: number;
  readonly crc32: number;
  /** Encrypted, or compressed with a method we cannot decode. */
  readonly unreadable: boolean;
  /** The whole entry, never more than its declared size. */
  read(): Promise<Buffer>;
  /** The entry as a stream (big files), failing past its declared size. */
  open(): Promise<Readable>;
}

/** Entries of a plain stored zip in memory (stored-zip.ts): slices of it, no copy, no stream. */
function storedEntries(zipBytes: Buffer, found: readonly StoredZipEntry[]): UploadEntry[] {
  return found.map((e) => {
    const bytes = (): Buffer => zipBytes.subarray(e.dataStart, e.dataStart + e.size);
    return {
      fileName: e.name,
      uncompressedSize: e.size,
      crc32: e.crc32,
      unreadable: false,
      read: () => Promise.resolve(bytes()),
      open: () => Promise.resolve(Readable.from([bytes()])),
    };
  });
}

/**
 * Entries read through yauzl (any other zip): a STORED entry of a zip in memory is still a slice;
 * anything else comes through yauzl's stream, which fails on more bytes than declared (the
 * zip-bomb guard), as do the readers here.
 */
async function yauzlEntries(zip: yauzl.ZipFile, zipBytes: Buffer | undefined): Promise<UploadEntry[]> {
  const out: UploadEntry[] = [];
  for await (const entry of zip.eachEntry()) {
    out.push({
      fileName: entry.fileName,
      uncompressedSize: entry.uncompressedSize,
      crc32: entry.crc32,
      unreadable: entry.isEncrypted() || !entry.canDecodeFileData(),
      read: async () => {
        if (zipBytes && entry.compressionMethod === 0) {
          if (entry.compressedSize !== entry.uncompressedSize) throw badRequest('uploadChanges: stored entry with two sizes');
          // yauzl checks that the data lies within the zip.
          const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
          return zipBytes.subarray(fileDataStart, fileDataStart + entry.compressedSize);
        }
        const chunks: Buffer[] = [];
        let n = 0;
        for await (const chunk of await zip.openReadStreamPromise(entry)) {
          n += (chunk as Buffer).length;
          if (n > entry.uncompressedSize) throw badRequest('uploadChanges: entry expands past its declared size');
          chunks.push(chunk as Buffer);
        }
        return Buffer.concat(chunks);
      },
      open: () => zip.openReadStreamPromise(entry),
    });
  }
  return out;
}

/** Streams a big entry into a new temp file (synced), checking size, CRC-32 and computing SHA-1 on the way. */
async function streamEntryToFile(entry: UploadEntry, tempPath: string): Promise<{ size: number; crc: number; sha1: Buffer }> {
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
  await pipeline(await entry.open(), measure, createWriteStream(tempPath, { flags: 'wx', flush: true }));
  return { size, crc, sha1: hash.digest() };
}

/** Where an upload zip is: decoded in memory (the usual case), or in a file for a big upload. */
export type UploadZipSource = { readonly data: Buffer } | { readonly path: string };

/**
 * Checks an upload zip and gathers its files (docs/protocol/media-sync.md §3.4). Everything is validated before the
 * caller applies anything: `_meta` present, ≤ 50 KiB and well-formed, ≤ 25 changes, every
 * filename acceptable, every named entry present, non-empty, at most 100 MiB, not expanding past
 * its declared size (the zip-bomb guard), matching its CRC-32, and all files together within
 * `maxTotalBytes`. The upload format carries no SHA-1; it is computed here. Small files stay in
 * memory; big ones are streamed to temp files from `newTempPath`. On any failure the temp files
 * are removed and the error is thrown.
 */
export async function extractUploadZip(
  source: UploadZipSource,
  limits: UploadZipLimits,
  newTempPath: () => string,
): Promise<ReceivedChange[]> {
  const zipBytes = 'data' in source ? source.data : undefined;
  const plain = zipBytes ? readStoredZipDirectory(zipBytes) : undefined;
  let zip: yauzl.ZipFile | undefined;
  if (!plain) {
    const options: yauzl.Options = { autoClose: false, strictFileNames: true, validateEntrySizes: true };
    try {
      zip = zipBytes
        ? await yauzl.fromBufferPromise(zipBytes, options)
        : await yauzl.openPromise((source as { path: string }).path, options);
    } catch (err) {
      throw asZipError(err);
    }
  }
  const temps: string[] = [];
  try {
    const entryCount = plain ? plain.length : zip!.entryCount;
    if (entryCount > limits.maxEntries) throw badRequest(`uploadChanges: ${entryCount} zip entries`);
    const entries = new Map<string, UploadEntry>();
    for (const entry of plain ? storedEntries(zipBytes!, plain) : await yauzlEntries(zip!, zipBytes)) {
      if (entries.has(entry.fileName)) throw badRequest('uploadChanges: duplicate zip entry');
      entries.set(entry.fileName, entry);
    }

    const metaEntry = entries.get('_meta');
    if (!metaEntry) throw badRequest('uploadChanges: zip has no _meta');
    // The reference reads only the first 50 KiB, so a longer _meta fails there as truncated JSON.
    if (metaEntry.uncompressedSize > MAX_UPLOAD_META_BYTES) throw badRequest('uploadChanges: _meta over 50 KiB');
    const metaBytes = await metaEntry.read();
    if (crc32(metaBytes) >>> 0 !== metaEntry.crc32 >>> 0) throw badRequest('uploadChanges: _meta fails its CRC-32 check');
    let metaText: string;
    try {
      metaText = new TextDecoder('utf-8', { fatal: true }).decode(metaBytes);
    } catch {
      throw badRequest('uploadChanges: _meta is not UTF-8');
    }
    const items = parseUploadMeta(metaText);

    // Every check that needs no file data comes first, so a bad zip costs no reading or writing.
    let declaredTotal = 0;
    const plan = items.map((item) => {
      const problem = item.zipName === null ? deletionFilenameProblem(item.fname) : uploadFilenameProblem(item.fname);
      if (problem) throw badRequest(`uploadChanges: filename ${JSON.stringify(item.fname.slice(0, 80))} ${problem}`);
      if (item.zipName === null) return { fname: item.fname, entry: undefined };
      const entry = entries.get(item.zipName);
      if (!entry) throw badRequest(`uploadChanges: _meta names a missing zip entry`);
      if (entry.unreadable) throw badRequest('uploadChanges: entry is encrypted or uses an unknown compression');
      if (entry.uncompressedSize > MAX_FILE_BYTES) throw badRequest('uploadChanges: file over 100 MiB');
      if (entry.uncompressedSize === 0) throw badRequest('uploadChanges: zero-byte file');
      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > limits.maxTotalBytes) throw badRequest('uploadChanges: files expand past the upload limit');
      return { fname: item.fname, entry };
    });

    const out: ReceivedChange[] = [];
    let inMemory = 0;
    for (const { fname, entry } of plan) {
      if (entry === undefined) {
        out.push({ kind: 'delete', fname });
        continue;
      }
      const declared = entry.uncompressedSize;
      if (declared <= SMALL_FILE_BYTES && inMemory + declared <= IN_MEMORY_FILES_MAX) {
        const data = await entry.read();
        if (data.length !== declared) throw badRequest('uploadChanges: entry shorter than declared');
        if (crc32(data) >>> 0 !== entry.crc32 >>> 0) throw badRequest('uploadChanges: entry fails its CRC-32 check');
        inMemory += declared;
        out.push({ kind: 'add', fname, size: declared, sha1: hash('sha1', data, 'buffer'), content: { data } });
        continue;
      }
      const tempPath = newTempPath();
      temps.push(tempPath);
      const got = await streamEntryToFile(entry, tempPath);
      if (got.size !== declared) throw badRequest('uploadChanges: entry shorter than declared');
      if (got.crc >>> 0 !== entry.crc32 >>> 0) throw badRequest('uploadChanges: entry fails its CRC-32 check');
      out.push({ kind: 'add', fname, size: got.size, sha1: got.sha1, content: { tempPath } });
    }
    return out;
  } catch (err) {
    for (const p of temps) rmSync(p, { force: true });
    throw asZipError(err);
  } finally {
    zip?.close();
  }
}

/** A file to send: its real name, where it is, a descriptor open on it (the caller closes it), and its size as just seen on disk. */
export interface DownloadFile {
  readonly fname: string;
  readonly path: string;
  readonly fd: number;
  readonly size: number;
}

/** The download reply: a whole zip in memory, or a stream of known length. */
export type DownloadZip = { readonly data: Buffer } | { readonly stream: Readable; readonly size: number };

/**
 * Builds the download zip (docs/protocol/media-sync.md §3.3): entries "0", "1", … in request order, STORED like the
 * reference, then `_meta` mapping entry name → filename. A reply holds ~2.5 MiB of files, so
 * when every file is small the zip is built in memory in one go (stored-zip.ts); a reply with a
 * big file (up to 100 MiB) is streamed from disk through yazl instead, and resolves once its
 * exact length is known (it is, because nothing is compressed), before any file is read.
 */
export async function downloadZip(files: readonly DownloadFile[], mtime: Date): Promise<DownloadZip> {
  const data = inMemoryDownloadZip(files, mtime);
  if (data) return { data };
  return streamedZip(files, downloadMeta(files), mtime);
}

/** The download zip built in memory, when every file is small; undefined otherwise (nothing read). */
export function inMemoryDownloadZip(files: readonly DownloadFile[], mtime: Date): Buffer | undefined {
  if (!files.every((f) => f.size <= SMALL_FILE_BYTES)) return undefined;
  const entries: StoredEntry[] = files.map((file, i) => ({ name: String(i), fd: file.fd, size: file.size }));
  entries.push({ name: '_meta', data: downloadMeta(files) });
  return storedZip(entries, mtime);
}

function downloadMeta(files: readonly DownloadFile[]): Buffer {
  const names: Record<string, string> = {};
  files.forEach((file, i) => (names[String(i)] = file.fname));
  return Buffer.from(JSON.stringify(names), 'utf8');
}

function streamedZip(files: readonly DownloadFile[], meta: Buffer, mtime: Date): Promise<{ stream: Readable; size: number }> {
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  // yazl leaves read-stream errors unhandled and emits its own on the ZipFile; both end the reply.
  zip.on('error', (err: Error) => output.destroy(err));
  files.forEach((file, i) => {
    zip.addReadStreamLazy(String(i), { compress: false, size: file.size, mtime }, (cb) => {
      // From the start of the descriptor the caller keeps open (and closes once the reply is sent).
      const rs = createReadStream(file.path, { fd: file.fd, autoClose: false, start: 0 });
      rs.once('error', (err) => output.destroy(err));
      cb(null, rs);
    });
  });
  zip.addBuffer(meta, '_meta', { compress: false, mtime });
  return new Promise((resolve, reject) => {
    // @types/yazl declares the callback without its argument.
    const end = zip.end.bind(zip) as (options: undefined, cb: (size: number) => void) => void;
    end(undefined, (size) => {
      if (size < 0) reject(internal('download zip size unknown'));
      else resolve({ stream: output, size });
    });
  });
}
