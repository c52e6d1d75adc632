/**
 * A consistent copy of a person's collection file, for a package to take away
 * (collection/colpkg.ts): never half a sync, and never the live file, which a sync may change
 * while a package of it is still being written or downloaded.
 *
 * A normal sync is one transaction across many requests (sync/session.ts), on the one connection
 * the server has to the file (open in exclusive locking mode: no other connection can read it).
 * So the copy is made under the person's lock, at a moment when no sync of theirs is open: the
 * WAL is checkpointed into the main file, which is then copied. Nothing writes the file meanwhile
 * (every write takes the same lock), and the copy is a plain file copy (a few milliseconds per
 * megabyte, done off the event loop), so the person's next request waits no longer than that.
 *
 * A sync that is open waits: the copy is tried again until it has finished. A sync left open by a
 * device that went away (no request for ABANDONED_SYNC_MS) is rolled back first, as the device's
 * own next sync would do; one still running after COPY_WAIT_MS makes the copy fail with
 * `syncing`. The copy is named like a full upload's temporary (upload-temps.ts), in the person's
 * folder, so one left by a crash is removed at the next start; the caller removes it when done.
 */
import { existsSync } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { openCollection } from '../collection/open.ts';
import type Database from 'better-sqlite3';
import { acquireServerLock } from '../server-lock.ts';
import { newUploadTempPath } from './upload-temps.ts';
import { userPaths } from './user-state.ts';
import type { UserState } from './user-state.ts';
import type { CollectionCopy } from '../../shared/server-process.ts';

/** Longest a copy waits for a sync of the person to finish. */
export const COPY_WAIT_MS = 5 * 60_000;
/** A sync with no request for this long is abandoned (clients give up after 30-60 s of silence, docs/protocol/http.md §4). */
export const ABANDONED_SYNC_MS = 60_000;
const POLL_MS = 200;

/**
 * The copy, or why there is none: unknown-person (nobody of that name syncs here), no-collection
 * (they have never synced one), syncing (a sync of theirs did not finish in time), in-use
 * (another program serves the folder, or has the file open); `failed` is only ever a server
 * process's answer when the copy threw (src/server/utility-entry.ts).
 */
export type { CollectionCopy };

export interface CopyWaitOptions {
  readonly clock: Clock;
  readonly logger: Logger;
  /** True while no request of the person is in flight or just ended (activity.ts syncingUsers). */
  readonly quiet: () => boolean;
  readonly waitMs?: number;
  readonly abandonedMs?: number;
}

/** Moves every committed change into the main file, so the file alone is the whole collection. */
function checkpoint(db: Database.Database): void {
  const row = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
  if (row[0]?.busy !== 0) throw new Error(`unable to checkpoint the collection (busy=${String(row[0]?.busy)})`);
}

async function copyTo(source: string, dir: string): Promise<string> {
  const file = newUploadTempPath(dir);
  try {
    await copyFile(source, file);
  } catch (err) {
    await rm(file, { force: true });
    throw err;
  }
  return file;
}

/** The copy, made by the running server (which holds the collection), waiting for a sync of the person to finish. */
export async function copyCollectionOfUser(user: UserState, options: CopyWaitOptions): Promise<CollectionCopy> {
  const { clock } = options;
  const deadline = clock.nowMs() + (options.waitMs ?? COPY_WAIT_MS);
  const abandonedMs = options.abandonedMs ?? ABANDONED_SYNC_MS;
  let quietSince: number | undefined;
  for (;;) {
    const outcome = await user.lock.run(async (): Promise<CollectionCopy | 'wait'> => {
      if (user.session) {
        const now = clock.nowMs();
        quietSince = options.quiet() ? (quietSince ?? now) : undefined;
        if (quietSince === undefined || now - quietSince < abandonedMs) return 'wait';
        options.logger.info('a sync left open was rolled back to copy the collection', { user: user.username });
        user.abortSession();
      }
      if (!existsSync(user.paths.collection)) return { ok: false, reason: 'no-collection' };
      checkpoint(user.collection());
      return { ok: true, file: await copyTo(user.paths.collection, user.paths.dir) };
    });
    if (outcome !== 'wait') return outcome;
    if (clock.nowMs() >= deadline) return { ok: false, reason: 'syncing' };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * The copy when no server runs on the folder: the folder's server lock is taken meanwhile (a
 * server in another program is `in-use`), and the collection is opened in exclusive mode, so
 * nothing writes it during the copy. The caller has checked that the person exists.
 */
export async function copyCollectionOffline(base: string, username: string): Promise<CollectionCopy> {
  const paths = userPaths(base, username);
  const locked = acquireServerLock(base);
  if (!locked.ok) return { ok: false, reason: 'in-use' };
  try {
    if (!existsSync(paths.collection)) return { ok: false, reason: 'no-collection' };
    let db: Database.Database | undefined;
    try {
      db = openCollection(paths.collection, { readonly: true });
      checkpoint(db);
      return { ok: true, file: await copyTo(paths.collection, paths.dir) };
    } catch (err) {
      // Another program has the file open (an Anki, or a server that took no lock).
      if ((err as { code?: string }).code === 'SQLITE_BUSY') return { ok: false, reason: 'in-use' };
      throw err;
    } finally {
      db?.close();
    }
  } finally {
    locked.lock.release();
  }
}
