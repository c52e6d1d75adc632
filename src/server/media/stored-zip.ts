/**
 * A zip of STORED (uncompressed) entries built in one buffer: the usual media download reply,
 * where every file is small and the whole zip is at most a few MiB (spec media-sync.md §3.3).
 *
 * Why not yazl here: yazl computes CRC-32 in JavaScript (buffer-crc32) and emits the zip as a
 * stream of many small chunks; for a reply that is in memory anyway, that was most of the server's
 * time of a download. Writing stored entries of known buffers is a few fixed-layout headers, and
 * Node's native `zlib.crc32` does the checksums. yazl still builds the streamed replies that carry
 * big files (zip.ts). Layout: APPNOTE.TXT 6.3.10 §4.3 (local header, data, central directory,
 * end of central directory); no ZIP64, so the caller keeps the zip far below 4 GiB.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';

/** An entry's bytes: in memory, or a file of known size read straight into the zip (no copy, no garbage). */
export type StoredEntry =
  { readonly name: string; readonly data: Buffer } | { readonly name: string; readonly path: string; readonly size: number };

const sizeOf = (e: StoredEntry): number => ('data' in e ? e.data.length : e.size);

/** Reads exactly `size` bytes of `path` into `out` at `at`; a file that changed size since it was measured is an error. */
function readInto(path: string, size: number, out: Buffer, at: number): void {
  const fd = openSync(path, 'r');
  try {
    let got = 0;
    while (got < size) {
      const n = readSync(fd, out, at + got, size - got, got);
      if (n === 0) throw new Error(`${path} is shorter than it was a moment ago`);
      got += n;
    }
  } finally {
    closeSync(fd);
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
    if ('data' in e) e.data.copy(out, dataAt);
    else readInto(e.path, size, out, dataAt);
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
