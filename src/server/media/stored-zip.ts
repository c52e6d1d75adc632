/**
 * A zip of STORED (uncompressed) entries built in one buffer: the usual media download reply,
 * where every file is small and the whole zip is at most a few MiB (docs/protocol/media-sync.md §3.3).
 *
 * Why not yazl here: yazl computes CRC-32 in JavaScript (buffer-crc32) and emits the zip as a
 * stream of many small chunks; for a reply that is in memory anyway, that was most of the server's
 * time of a download. Writing stored entries of known buffers is a few fixed-layout headers, and
 * Node's native `zlib.crc32` does the checksums. yazl still builds the streamed replies that carry
 * big files (zip.ts). Layout: APPNOTE.TXT 6.3.10 §4.3 (local header, data, central directory,
 * end of central directory); no ZIP64, so the caller keeps the zip far below 4 GiB.
 */
import { readSync } from 'node:fs';
import { crc32 } from 'node:zlib';

/**
 * An entry's bytes: in memory, or a file of known size, read from a descriptor the caller opened
 * (and closes) straight into the zip: no copy, no garbage.
 */
export type StoredEntry =
  { readonly name: string; readonly data: Buffer } | { readonly name: string; readonly fd: number; readonly size: number };

const sizeOf = (e: StoredEntry): number => ('data' in e ? e.data.length : e.size);

/** Copies the entry's bytes into `out` at `at`; a file that shrank since it was measured is an error. */
function readInto(e: StoredEntry, size: number, out: Buffer, at: number): void {
  if ('data' in e) {
    e.data.copy(out, at);
    return;
  }
  let got = 0;
  while (got < size) {
    const n = readSync(e.fd, out, at + got, size - got, got);
    if (n === 0) throw new Error(`entry ${e.name} is shorter than it was a moment ago`);
    got += n;
  }
}

/** Most bytes a zip from this writer may hold (no ZIP64 records are written). */
export const STORED_ZIP_MAX_BYTES = 0xffff_fffe;

const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const END_OF_CENTRAL_DIRECTORY = 22;
/** "Version needed to extract" 1.0: stored entries, no extensions. */
const VERSION_NEEDED = 10;
/** General purpose flag bit 11: the name is UTF-8. */
const UTF8_NAME = 0x0800;

/** MS-DOS date and time in local time, as yazl and most zip tools write them. */
function dosDateTime(d: Date): { date: number; time: number } {
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
  };
}

export function storedZip(entries: readonly StoredEntry[], mtime: Date): Buffer {
  const { date, time } = dosDateTime(mtime);
  const names = entries.map((e) => Buffer.from(e.name, 'utf8'));
  const flags = entries.map((e) => (/^[\x20-\x7e]*$/.test(e.name) ? 0 : UTF8_NAME));
  let localSize = 0;
  let centralSize = 0;
  entries.forEach((e, i) => {
    localSize += LOCAL_HEADER + names[i]!.length + sizeOf(e);
    centralSize += CENTRAL_HEADER + names[i]!.length;
  });
  const total = localSize + centralSize + END_OF_CENTRAL_DIRECTORY;
  if (total > STORED_ZIP_MAX_BYTES || entries.length > 0xffff) throw new RangeError('stored zip too large');

  const out = Buffer.allocUnsafe(total);
  const offsets: number[] = [];
  const crcs: number[] = [];
  let at = 0;
  const sizes = entries.map(sizeOf);
  entries.forEach((e, i) => {
    const name = names[i]!;
    const size = sizes[i]!;
    const dataAt = at + LOCAL_HEADER + name.length;
    readInto(e, size, out, dataAt);
    const crc = crc32(out.subarray(dataAt, dataAt + size)) >>> 0;
    offsets.push(at);
    crcs.push(crc);
    out.writeUInt32LE(0x04034b50, at);
    out.writeUInt16LE(VERSION_NEEDED, at + 4);
    out.writeUInt16LE(flags[i]!, at + 6);
    out.writeUInt16LE(0, at + 8); // method: stored
    out.writeUInt16LE(time, at + 10);
    out.writeUInt16LE(date, at + 12);
    out.writeUInt32LE(crc, at + 14);
    out.writeUInt32LE(size, at + 18);
    out.writeUInt32LE(size, at + 22);
    out.writeUInt16LE(name.length, at + 26);
    out.writeUInt16LE(0, at + 28); // no extra field
    name.copy(out, at + LOCAL_HEADER);
    at = dataAt + size;
  });
  const centralStart = at;
  entries.forEach((_e, i) => {
    const name = names[i]!;
    const size = sizes[i]!;
    out.writeUInt32LE(0x02014b50, at);
    out.writeUInt16LE(VERSION_NEEDED, at + 4); // made by: MS-DOS, 1.0
    out.writeUInt16LE(VERSION_NEEDED, at + 6);
    out.writeUInt16LE(flags[i]!, at + 8);
    out.writeUInt16LE(0, at + 10);
    out.writeUInt16LE(time, at + 12);
    out.writeUInt16LE(date, at + 14);
    out.writeUInt32LE(crcs[i]!, at + 16);
    out.writeUInt32LE(size, at + 20);
    out.writeUInt32LE(size, at + 24);
    out.writeUInt16LE(name.length, at + 28);
    out.writeUInt16LE(0, at + 30); // extra field
    out.writeUInt16LE(0, at + 32); // comment
    out.writeUInt16LE(0, at + 34); // disk number
    out.writeUInt16LE(0, at + 36); // internal attributes
    out.writeUInt32LE(0, at + 38); // external attributes
    out.writeUInt32LE(offsets[i]!, at + 42);
    name.copy(out, at + CENTRAL_HEADER);
    at += CENTRAL_HEADER + name.length;
  });
  out.writeUInt32LE(0x06054b50, at);
  out.writeUInt16LE(0, at + 4);
  out.writeUInt16LE(0, at + 6);
  out.writeUInt16LE(entries.length, at + 8);
  out.writeUInt16LE(entries.length, at + 10);
  out.writeUInt32LE(centralSize, at + 12);
  out.writeUInt32LE(centralStart, at + 16);
  out.writeUInt16LE(0, at + 20); // comment
  return out;
}

/** An entry found by `readStoredZipDirectory`: its bytes are `zip[dataStart, dataStart + size)`. */
export interface StoredZipEntry {
  readonly name: string;
  readonly size: number;
  readonly crc32: number;
  readonly dataStart: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
/** Flag bits this reader accepts: 11 (UTF-8 names). Encryption (0), data descriptors (3) and the rest are declined. */
const ACCEPTED_FLAGS = UTF8_NAME;
const SIMPLE_ENTRY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Reads the directory of a zip in memory when it is the plain kind the Anki client uploads: one
 * disk, no ZIP64, every entry STORED, unencrypted, without data descriptors, with a short plain name,
 * its local header where the directory says and its data inside the zip before the directory.
 * Returns `undefined` for anything else — including every malformed zip — and the caller then
 * reads the zip with yauzl, which explains what is wrong. This reader only ever accepts zips whose
 * every byte range it has checked; it exists because yauzl takes an event-loop turn (and a stream)
 * per read even from memory, ~1 ms of a 25-file upload request.
 */
export function readStoredZipDirectory(zip: Buffer): StoredZipEntry[] | undefined {
  if (zip.length < END_OF_CENTRAL_DIRECTORY) return undefined;
  // A zip comment would move the end record; the client writes none, so look only at the very end.
  const eocd = zip.length - END_OF_CENTRAL_DIRECTORY;
  if (zip.readUInt32LE(eocd) !== EOCD_SIGNATURE || zip.readUInt16LE(eocd + 20) !== 0) return undefined;
  if (zip.readUInt16LE(eocd + 4) !== 0 || zip.readUInt16LE(eocd + 6) !== 0) return undefined;
  const count = zip.readUInt16LE(eocd + 10);
  if (zip.readUInt16LE(eocd + 8) !== count || count === 0xffff) return undefined;
  const centralSize = zip.readUInt32LE(eocd + 12);
  const centralStart = zip.readUInt32LE(eocd + 16);
  if (centralStart + centralSize !== eocd) return undefined;

  const entries: StoredZipEntry[] = [];
  let at = centralStart;
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_HEADER > eocd || zip.readUInt32LE(at) !== CENTRAL_SIGNATURE) return undefined;
    const flags = zip.readUInt16LE(at + 8);
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const compressed = zip.readUInt32LE(at + 20);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localStart = zip.readUInt32LE(at + 42);
    const next = at + CENTRAL_HEADER + nameLength + extraLength + commentLength;
    if ((flags & ~ACCEPTED_FLAGS) !== 0 || method !== 0 || compressed !== size || next > eocd) return undefined;
    const nameBytes = zip.subarray(at + CENTRAL_HEADER, at + CENTRAL_HEADER + nameLength);
    const name = nameBytes.toString('latin1');
    // The client's entry names are "0", "1", … and "_meta"; anything path-like is yauzl's to judge.
    if (!SIMPLE_ENTRY_NAME.test(name) || name.includes('..')) return undefined;

    if (localStart + LOCAL_HEADER > centralStart || zip.readUInt32LE(localStart) !== LOCAL_SIGNATURE) return undefined;
    const localNameLength = zip.readUInt16LE(localStart + 26);
    const localExtraLength = zip.readUInt16LE(localStart + 28);
    if (zip.readUInt16LE(localStart + 8) !== 0 || localNameLength !== nameLength) return undefined;
    if (!zip.subarray(localStart + LOCAL_HEADER, localStart + LOCAL_HEADER + nameLength).equals(nameBytes)) return undefined;
    const dataStart = localStart + LOCAL_HEADER + localNameLength + localExtraLength;
    if (dataStart + size > centralStart) return undefined;
    entries.push({ name, size, crc32: crc, dataStart });
    at = next;
  }
  return at === eocd ? entries : undefined;
}
