/**
 * A person's collection and media as a collection package (`.colpkg`), the file Anki's
 * File → Import restores a whole profile from (docs/protocol/colpkg.md). The format is the one
 * today's clients write (package version LATEST, Anki 2.1.50 and later): a zip of
 *
 *   meta                 PackageMetadata { version: LATEST }, stored as is
 *   collection.anki21b   the schema-18 collection file, zstd
 *   0, 1, 2, …           the media files, each zstd
 *   media                MediaEntries (name, size, SHA-1 of entry i is the file in zip entry i), zstd
 *
 * Why not a legacy version (collection.anki2 or .anki21 with a JSON media map, no zstd): it would
 * need the collection brought down to schema 11 (collection/downgrade.ts), which loses nothing
 * today but is a second copy of the file to make and is what the client itself stopped writing;
 * and its importer compares media by size only. LATEST is the stored file as it is, compressed.
 *
 * What the reference writes besides (rslib colpkg/export.rs): a `collection.anki2` holding a
 * one-note collection that says "please update Anki", for clients older than 2.1.50 that do not
 * read `meta`. Clients that old cannot import this package either way (they would import that
 * note instead of the cards), so it is left out.
 *
 * Everything is streamed (util/streamed-zip.ts): a collection of hundreds of megabytes and media
 * of gigabytes pass through in chunks. The collection must be a complete file nobody writes while
 * it is read: a copy taken consistently (user/collection-copy.ts), not the live file.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createZstdCompress, zstdCompress } from 'node:zlib';
import { promisify } from 'node:util';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  MediaEntries_MediaEntrySchema,
  MediaEntriesSchema,
  PackageMetadata_Version,
  PackageMetadataSchema,
} from './proto/gen/package_pb.js';
import type { MediaEntries_MediaEntry } from './proto/gen/package_pb.js';
import { streamedZip } from '../util/streamed-zip.ts';
import { MEDIA_TEMP_PREFIX } from '../user/upload-temps.ts';

const zstdCompressBuffer = promisify(zstdCompress);
/** Media files up to this size are read and compressed whole; larger ones are streamed. */
const WHOLE_FILE_BYTES = 1024 * 1024;

/** The zip entry names of a LATEST package (rslib import_export/package/meta.rs). */
export const COLPKG_ENTRIES = { meta: 'meta', collection: 'collection.anki21b', media: 'media' } as const;

/** Longest media name, in UTF-8 bytes, the client keeps as it is (rslib MAX_MEDIA_FILENAME_LENGTH). */
const MAX_MEDIA_NAME_BYTES = 120;
/** Characters the client removes from media names (rslib media/files.rs disallowed_char), and U+00A0 it turns into a space. */
const REMOVED_CHARACTERS = /[[\]<>:"/?*^\\|\u0000-\u001f\u007f\u00a0]|\p{Cn}/u;
const WINDOWS_DEVICE_NAME = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\.|$)/i;

/**
 * Whether the client would take this media name exactly as it is. Its importer refuses the whole
 * package ("corrupt") when an entry's name is not already in the form its normalize_filename()
 * gives (rslib package/media.rs SafeMediaEntry::from_entry), so a file whose name it would change
 * is left out, as its own export leaves such files out (filename_if_normalized). Current clients
 * never sync such a name; an older app might have. `\p{Cn}` is the client's "unassigned" test, by
 * this runtime's Unicode version rather than the client's (Unicode 10, unic-ucd): a character
 * assigned since then is kept here and would make the client refuse the package, but no current
 * client writes one into a media name (it removes it first).
 */
export function clientKeepsMediaName(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return false;
  if (name.normalize('NFC') !== name || REMOVED_CHARACTERS.test(name)) return false;
  if (WINDOWS_DEVICE_NAME.test(name) || name.endsWith(' ') || name.endsWith('.')) return false;
  return Buffer.byteLength(name, 'utf8') <= MAX_MEDIA_NAME_BYTES;
}

export interface PackageSource {
  /** A complete collection file (no -wal beside it) that nothing writes while the package is made. */
  readonly collection: string;
  /** The person's media folder: every file in it that the client would take is packed. */
  readonly mediaDir: string;
}

export interface PackageOptions {
  /** Passed to the zip (tests: ZIP64 records in a small package). */
  readonly forceZip64?: boolean;
  readonly mtime?: Date;
}

export interface PackageSummary {
  /** Media files in the package, and their bytes before compression. */
  readonly mediaFiles: number;
  readonly mediaBytes: number;
  /** Media files left out because the client would refuse their names (see clientKeepsMediaName). */
  readonly skippedMedia: readonly string[];
  /** Bytes of the whole package. */
  readonly bytes: number;
}

/** The media folder's files, sorted by name; upload temporaries (user/upload-temps.ts) are not media. */
async function mediaNames(mediaDir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(mediaDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return entries
    .filter((e) => e.isFile() && !e.name.startsWith(MEDIA_TEMP_PREFIX))
    .map((e) => e.name)
    .sort();
}

/** zstd of whatever goes through it, as one frame (the client decodes each entry with zstd's stream decoder). */
const zstd = () => createZstdCompress({ chunkSize: 128 * 1024 });

/**
 * Writes the package to `out` (ended when done). Rejects when a file cannot be read or `out`
 * fails or closes early (a cancelled download): what was written is then not a package.
 */
export async function writeCollectionPackage(source: PackageSource, out: Writable, options: PackageOptions = {}): Promise<PackageSummary> {
  const zip = streamedZip(out, options);
  const meta = toBinary(PackageMetadataSchema, create(PackageMetadataSchema, { version: PackageMetadata_Version.LATEST }));
  await zip.addBuffer(COLPKG_ENTRIES.meta, Buffer.from(meta));
  await zip.add(COLPKG_ENTRIES.collection, (sink) => pipeline(createReadStream(source.collection), zstd(), sink));

  const entries: MediaEntries_MediaEntry[] = [];
  const skippedMedia: string[] = [];
  let mediaBytes = 0;
  for (const name of await mediaNames(source.mediaDir)) {
    if (!clientKeepsMediaName(name)) {
      skippedMedia.push(name);
      continue;
    }
    let file;
    try {
      file = await open(join(source.mediaDir, name), 'r');
    } catch (err) {
      // Deleted by a media sync since the folder was listed: it is not part of the media now.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const sha1 = createHash('sha1');
    let size = 0;
    try {
      // The zip entry is named by the file's place in the media map (rslib colpkg/export.rs write_media_files).
      const entryName = String(entries.length);
      const { size: fileSize } = await file.stat();
      if (fileSize <= WHOLE_FILE_BYTES) {
        // Most media are small: one read and one compression of known size, instead of a stream
        // and a compressor sized for any input (several milliseconds a file, mostly setting up).
        const data = await file.readFile();
        sha1.update(data);
        size = data.length;
        await zip.addBuffer(entryName, await zstdCompressBuffer(data));
      } else {
        const hashing = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            sha1.update(chunk);
            size += chunk.length;
            callback(null, chunk);
          },
        });
        const read = file.createReadStream({ highWaterMark: 128 * 1024, autoClose: false });
        await zip.add(entryName, (sink) => pipeline(read, hashing, zstd(), sink));
      }
    } finally {
      await file.close();
    }
    entries.push(create(MediaEntries_MediaEntrySchema, { name, size, sha1: sha1.digest() }));
    mediaBytes += size;
  }
  const map = toBinary(MediaEntriesSchema, create(MediaEntriesSchema, { entries }));
  await zip.addBuffer(COLPKG_ENTRIES.media, await zstdCompressBuffer(map));
  await zip.finish();
  return { mediaFiles: entries.length, mediaBytes, skippedMedia, bytes: zip.bytes };
}
