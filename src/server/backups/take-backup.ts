/**
 * Taking a backup of a person's collection (backup-files.ts says where and which are kept).
 *
 * A backup is taken under the person's lock with no sync of theirs open: the WAL is
 * checkpointed into the main file (TRUNCATE), and the file is copied and renamed into place. The
 * collection is open in exclusive locking mode, so nothing else writes it meanwhile. A sync waits
 * at most that long behind it: measured by bench/backup.bench.ts, 15 ms (8–18) for the
 * 20,000-note collection (12 MiB) and 89 ms (78–182) for the 100 MiB one (docs/benchmarks.md).
 *
 * A backup that would leave the disk nearly full is not taken: LOW_SPACE_BYTES stay free for
 * the syncs themselves, and the window hears why (a `backup-skipped` problem).
 */
import { copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { UserState } from '../user/user-state.ts';
import { backupFileName, backupsToRemove, listBackupFiles, localDay } from './backup-files.ts';
import type { BackupReason } from './backup-files.ts';

/** Free space a backup must leave on the disk. */
export const LOW_SPACE_BYTES = 1024 ** 3;

export type BackupOutcome =
  | { readonly taken: string }
  | { readonly skipped: 'no-collection' | 'already-today' | 'syncing' }
  | { readonly skipped: 'low-space'; readonly freeBytes: number; readonly neededBytes: number };

export interface BackupDeps {
  /** Free bytes where the backups go (statfs by default; tests pass their own). */
  readonly freeBytes?: (dir: string) => number;
}

const statfsFree = (dir: string): number => {
  const s = statfsSync(dir);
  return Number(s.bavail) * Number(s.bsize);
};

/** Removes what the keep rule no longer keeps. */
export function pruneBackups(backupsDir: string): void {
  for (const b of backupsToRemove(listBackupFiles(backupsDir))) rmSync(join(backupsDir, b.id), { force: true });
}

/**
 * Copies the collection file as it is on disk into the backups (the caller has it closed or
 * checkpointed). A hard link where the file is about to be replaced (it is then never written
 * again), a copy otherwise.
 */
export function keepCollectionFile(user: UserState, reason: BackupReason, nowMs: number, link: boolean): string | undefined {
  const { collection, backups } = user.paths;
  if (!existsSync(collection)) return undefined;
  mkdirSync(backups, { recursive: true });
  const name = backupFileName(reason, nowMs);
  const target = join(backups, name);
  if (link) {
    try {
      linkSync(collection, target);
      pruneBackups(backups);
      return name;
    } catch {
      // Not on this file system (FAT, some network shares): copy instead.
    }
  }
  const temp = `${target}.tmp`;
  try {
    copyFileSync(collection, temp);
    renameSync(temp, target);
  } finally {
    rmSync(temp, { force: true });
  }
  pruneBackups(backups);
  return name;
}

/**
 * Today's backup of the person, if there is none yet. Runs under the person's lock (the caller's
 * job), and never while a sync of theirs is open.
 */
export function takeDailyBackup(user: UserState, nowMs: number, deps: BackupDeps = {}): BackupOutcome {
  if (user.session !== undefined) return { skipped: 'syncing' };
  const { collection, backups } = user.paths;
  if (!existsSync(collection)) return { skipped: 'no-collection' };
  const today = localDay(nowMs);
  if (listBackupFiles(backups).some((b) => b.reason === 'daily' && localDay(b.takenAtMs) === today)) return { skipped: 'already-today' };
  mkdirSync(backups, { recursive: true });
  // Everything in the main file first: the copy is then the whole collection.
  user.withCollectionAsFound((col) => col.pragma('wal_checkpoint(TRUNCATE)'));
  const neededBytes = statSync(collection).size;
  const freeBytes = (deps.freeBytes ?? statfsFree)(backups);
  if (freeBytes - neededBytes < LOW_SPACE_BYTES) return { skipped: 'low-space', freeBytes, neededBytes };
  const taken = keepCollectionFile(user, 'daily', nowMs, false);
  return taken === undefined ? { skipped: 'no-collection' } : { taken };
}
