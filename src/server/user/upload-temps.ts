/**
 * The temporary files uploads are received into, for both kinds of sync, and the sweeps that
 * remove those a crash left behind (run when a person's folder is prepared, user-state.ts):
 * - a full upload (`upload`) is decoded into `<user>/.upload-<random>.tmp`, beside the collection
 *   it may replace, so the swap is a rename on one disk; each can be as large as the upload limit;
 * - a media upload (`uploadChanges`) keeps its zip, extracted files and set-aside old files as
 *   `.hearth-tmp-…` in the media folder itself.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { getEntry } from '../media/media-db.ts';

// Full uploads: one temporary per upload, in the person's folder.

const UPLOAD_TEMP = /^\.upload-[0-9a-f]{12}\.tmp(-wal|-shm|-journal)?$/;

export function newUploadTempPath(userDir: string): string {
  return join(userDir, `.upload-${randomBytes(6).toString('hex')}.tmp`);
}

/** Removes every upload temporary in `userDir`; call only when no upload of this person is in flight (start-up). Returns how many. */
export function sweepUploadTemps(userDir: string): number {
  let names: string[];
  try {
    names = readdirSync(userDir);
  } catch {
    return 0;
  }
  const stale = names.filter((n) => UPLOAD_TEMP.test(n));
  for (const name of stale) rmSync(join(userDir, name), { force: true });
  return stale.length;
}

// Media uploads: several temporaries per upload, in the media folder.

/**
 * Temporary files live in the media folder itself (same file system, so renames are atomic) under
 * names no client picks: a media file can never be named like this by chance.
 */
export const MEDIA_TEMP_PREFIX = '.hearth-tmp-';

/** Unique per process (random) and per call (a counter): no random bytes drawn per file. */
const TEMP_RUN = randomBytes(6).toString('hex');
let tempCounter = 0;

export function newMediaTempPath(mediaDir: string, suffix: string): string {
  tempCounter += 1;
  return join(mediaDir, `${MEDIA_TEMP_PREFIX}${TEMP_RUN}${tempCounter.toString(16).padStart(12, '0')}.${suffix}`);
}

const MEDIA_TEMP_NAME = /^\.hearth-tmp-[0-9a-f]{24}\.(zip|part|old)$/;
/**
 * Removes temporaries a previous run left behind when it stopped mid-upload. Called when a
 * user's folder is prepared, before any upload of this run; only files older than `olderThanMs`
 * go, and a media file that merely looks like one (it has a row in media.db) is never touched.
 */
export function sweepMediaTemps(db: Database.Database, mediaDir: string, olderThanMs: number): void {
  for (const name of readdirSync(mediaDir)) {
    if (!MEDIA_TEMP_NAME.test(name) || getEntry(db, name)) continue;
    const path = join(mediaDir, name);
    try {
      if (statSync(path).mtimeMs < olderThanMs) rmSync(path, { force: true, recursive: true });
    } catch {
      // gone already, or not ours to remove: leave it
    }
  }
}
