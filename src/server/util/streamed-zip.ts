/**
 * A zip written as it goes, to any Writable (a file, an HTTP response): STORED entries whose size
 * is not known beforehand, so each is followed by a data descriptor (APPNOTE.TXT 6.3.10 §4.3.9),
 * and the ZIP64 end records (APPNOTE.TXT 6.3.10 §4.3.14, APPNOTE.TXT 6.3.10 §4.3.15) once
 * offsets or the entry count outgrow the classic fields, as a collection package with gigabytes
 * of media does. Only the entry list (name, CRC-32, size, offset) is kept in memory; CRC-32 is
 * Node's native `zlib.crc32`.
 *
 * Why not yazl (media/zip.ts uses it for the sync replies): it computes CRC-32 in JavaScript, one
 * pass over every byte on the event loop, and the package it would write is gigabytes. Why not
 * stored-zip.ts: that one builds the whole zip in one buffer.
 *
 * One entry is limited to 4 GiB − 1 (no ZIP64 sizes): what goes into a package is a collection
 * (far below the upload limit) and media files (100 MiB at most, docs/protocol/media-sync.md §7),
 * compressed.
 */
import type { Writable } from 'node:stream';
import { Writable as WritableStream } from 'node:stream';
import { crc32 } from 'node:zlib';

const LOCAL_SIGNATURE = 0x04034b50;
const DESCRIPTOR_SIGNATURE = 0x08074b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const ZIP64_END_SIGNATURE = 0x06064b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const END_SIGNATURE = 0x06054b50;
/** Bit 3: sizes and CRC follow the data; bit 11: the name is UTF-8. */
const HAS_DESCRIPTOR = 0x0008;
const UTF8_NAME = 0x0800;
/** "Version needed to extract": 2.0 for data descriptors, 4.5 for ZIP64 records (APPNOTE.TXT 6.3.10 §4.4.3.2). */
const VERSION_DESCRIPTOR = 20;
const VERSION_ZIP64 = 45;
const MAX32 = 0xffff_ffff;
const MAX16 = 0xffff;

/** Largest entry this writer takes (its sizes go in 32-bit fields). */
export const STREAMED_ZIP_MAX_ENTRY_BYTES = MAX32 - 1;

interface Written {
  readonly name: Buffer;
  readonly flags: number;
  readonly crc: number;
  readonly size: number;
  readonly offset: number;
}

export interface StreamedZipOptions {
  /** The entries' modification time (default: now). */
  readonly mtime?: Date;
  /** Writes ZIP64 records even for a small zip (tests: the path a zip past 4 GiB takes). */
  readonly forceZip64?: boolean;
}

export interface StreamedZip {
  /** Adds an entry whose bytes `fill` writes into the stream it is given (and ends, or lets a pipeline end). */
  add(name: string, fill: (sink: Writable) => Promise<void>): Promise<void>;
  /** Adds an entry from memory. */
  addBuffer(name: string, data: Buffer): Promise<void>;
  /** Writes the central directory and the end records, then ends `out`; resolves once it has finished. */
  finish(): Promise<void>;
  /** Bytes handed to `out` so far. */
  readonly bytes: number;
}

/** MS-DOS date and time in local time, as zip tools write them. */
function dosDateTime(d: Date): { date: number; time: number } {
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  return {
    date: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
  };
}

/** Writes to `out`, waiting while it is full; fails once it errored or closed (a download cancelled). */
function writerTo(out: Writable): (chunk: Buffer) => Promise<void> {
  let failure: Error | undefined;
  out.on('error', (err: Error) => (failure ??= err));
  out.once('close', () => {
    if (!out.writableFinished) failure ??= new Error('the destination was closed before the zip was complete');
  });
  return (chunk) =>
    new Promise((resolve, reject) => {
      if (failure) return reject(failure);
      if (out.destroyed) return reject(new Error('the destination was closed before the zip was complete'));
      if (out.write(chunk)) return resolve();
      const done = (err?: Error): void => {
        out.off('drain', onDrain);
        out.off('close', onClose);
        out.off('error', onError);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(failure ?? new Error('the destination was closed before the zip was complete'));
      const onError = (err: Error): void => done(err);
      out.on('drain', onDrain);
      out.on('close', onClose);
      out.on('error', onError);
    });
}

export function streamedZip(out: Writable, options: StreamedZipOptions = {}): StreamedZip {
  const { date, time } = dosDateTime(options.mtime ?? new Date());
  const force64 = options.forceZip64 ?? false;
  const write = writerTo(out);
  const entries: Written[] = [];
  let offset = 0;
  let busy = false;
  let finished = false;

  const emit = async (chunk: Buffer): Promise<void> => {
    offset += chunk.length;
    await write(chunk);
  };

  const localHeader = (name: Buffer, flags: number): Buffer => {
    const h = Buffer.alloc(30);
    h.writeUInt32LE(LOCAL_SIGNATURE, 0);
    h.writeUInt16LE(VERSION_DESCRIPTOR, 4);
    h.writeUInt16LE(flags, 6);
    h.writeUInt16LE(0, 8); // stored
    h.writeUInt16LE(time, 10);
    h.writeUInt16LE(date, 12);
    // CRC-32 and sizes are 0 here: they follow the data (bit 3).
    h.writeUInt16LE(name.length, 26);
    h.writeUInt16LE(0, 28);
    return Buffer.concat([h, name]);
  };

  const descriptor = (crc: number, size: number): Buffer => {
    const d = Buffer.alloc(16);
    d.writeUInt32LE(DESCRIPTOR_SIGNATURE, 0);
    d.writeUInt32LE(crc, 4);
    d.writeUInt32LE(size, 8);
    d.writeUInt32LE(size, 12);
    return d;
  };

  const add = async (nameText: string, fill: (sink: Writable) => Promise<void>): Promise<void> => {
    if (busy || finished) throw new Error('one entry at a time, and none after finish()');
    busy = true;
    try {
      const name = Buffer.from(nameText, 'utf8');
      if (name.length > MAX16) throw new RangeError(`zip entry name too long: ${nameText.slice(0, 40)}…`);
      const flags = HAS_DESCRIPTOR | (/^[\x20-\x7e]*$/.test(nameText) ? 0 : UTF8_NAME);
      const start = offset;
      await emit(localHeader(name, flags));
      let crc = 0;
      let size = 0;
      const sink = new WritableStream({
        write(chunk: Buffer, _encoding, callback) {
          size += chunk.length;
          if (size > STREAMED_ZIP_MAX_ENTRY_BYTES) return callback(new RangeError(`zip entry ${nameText} is larger than 4 GiB`));
          crc = crc32(chunk, crc);
          emit(chunk).then(() => callback(), callback);
        },
      });
      await fill(sink);
      if (!sink.writableFinished) {
        await new Promise<void>((resolve, reject) => {
          sink.once('finish', resolve);
          sink.once('error', reject);
          sink.end();
        });
      }
      const entryCrc = crc >>> 0;
      await emit(descriptor(entryCrc, size));
      entries.push({ name, flags, crc: entryCrc, size, offset: start });
    } finally {
      busy = false;
    }
  };

  const centralHeader = (e: Written): Buffer => {
    const offset64 = force64 || e.offset >= MAX32;
    const h = Buffer.alloc(46);
    h.writeUInt32LE(CENTRAL_SIGNATURE, 0);
    h.writeUInt16LE(offset64 ? VERSION_ZIP64 : VERSION_DESCRIPTOR, 4); // made by: MS-DOS
    h.writeUInt16LE(offset64 ? VERSION_ZIP64 : VERSION_DESCRIPTOR, 6);
    h.writeUInt16LE(e.flags, 8);
    h.writeUInt16LE(0, 10);
    h.writeUInt16LE(time, 12);
    h.writeUInt16LE(date, 14);
    h.writeUInt32LE(e.crc, 16);
    h.writeUInt32LE(e.size, 20);
    h.writeUInt32LE(e.size, 24);
    h.writeUInt16LE(e.name.length, 28);
    h.writeUInt16LE(offset64 ? 12 : 0, 30); // extra field
    // comment, disk number, attributes: 0
    h.writeUInt32LE(offset64 ? MAX32 : e.offset, 42);
    if (!offset64) return Buffer.concat([h, e.name]);
    // The ZIP64 extra field holds only the fields set to all ones above, here the offset (APPNOTE.TXT 6.3.10 §4.5.3).
    const extra = Buffer.alloc(12);
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(8, 2);
    extra.writeBigUInt64LE(BigInt(e.offset), 4);
    return Buffer.concat([h, e.name, extra]);
  };

  const endRecords = (centralStart: number, centralSize: number): Buffer => {
    const count = entries.length;
    const zip64 = force64 || count >= MAX16 || centralStart >= MAX32 || centralSize >= MAX32;
    const parts: Buffer[] = [];
    if (zip64) {
      const end64 = Buffer.alloc(56);
      end64.writeUInt32LE(ZIP64_END_SIGNATURE, 0);
      end64.writeBigUInt64LE(44n, 4); // the size of the rest of this record
      end64.writeUInt16LE(VERSION_ZIP64, 12);
      end64.writeUInt16LE(VERSION_ZIP64, 14);
      // this disk, the central directory's disk: 0
      end64.writeBigUInt64LE(BigInt(count), 24);
      end64.writeBigUInt64LE(BigInt(count), 32);
      end64.writeBigUInt64LE(BigInt(centralSize), 40);
      end64.writeBigUInt64LE(BigInt(centralStart), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(ZIP64_LOCATOR_SIGNATURE, 0);
      locator.writeBigUInt64LE(BigInt(centralStart + centralSize), 8);
      locator.writeUInt32LE(1, 16); // disks in all
      parts.push(end64, locator);
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END_SIGNATURE, 0);
    end.writeUInt16LE(zip64 ? MAX16 : count, 8);
    end.writeUInt16LE(zip64 ? MAX16 : count, 10);
    end.writeUInt32LE(zip64 ? MAX32 : centralSize, 12);
    end.writeUInt32LE(zip64 ? MAX32 : centralStart, 16);
    parts.push(end);
    return Buffer.concat(parts);
  };

  return {
    add,
    addBuffer: (name, data) =>
      add(name, async (sink) => {
        await new Promise<void>((resolve, reject) => sink.end(data, (err?: Error | null) => (err ? reject(err) : resolve())));
      }),
    async finish() {
      if (busy || finished) throw new Error('finish() once, after the last entry');
      finished = true;
      const centralStart = offset;
      // The central directory in slices, so a zip of many thousand entries is not one large buffer.
      for (let i = 0; i < entries.length; i += 512) {
        await emit(Buffer.concat(entries.slice(i, i + 512).map(centralHeader)));
      }
      await emit(endRecords(centralStart, offset - centralStart));
      await new Promise<void>((resolve, reject) => {
        out.once('error', reject);
        out.end(() => resolve());
      });
    },
    get bytes() {
      return offset;
    },
  };
}
