/**
 * What the hosts show of a person's backups (the window's People → a person → Backups, the
 * command line), and a restore when no server runs on the folder. A running server restores
 * itself (SyncServer.restoreBackup), since it holds the collection open.
 */
import { statSync } from 'node:fs';
import type { Clock } from '../clock.ts';
import { openCollection } from '../collection/open.ts';
import { acquireServerLock } from '../server-lock.ts';
import { UserState, userPaths } from '../user/user-state.ts';
import { backupPath, listBackupFiles } from './backup-files.ts';
import type { BackupReason } from './backup-files.ts';
import type { RestoreOutcome } from './restore.ts';

export interface BackupDescription {
  readonly id: string;
  readonly reason: BackupReason;
  readonly takenAtMs: number;
  readonly bytes: number;
  /** Undefined when the file cannot be read as a collection. */
  readonly counts: { readonly notes: number; readonly cards: number; readonly reviews: number } | undefined;
}

const count = (db: ReturnType<typeof openCollection>, table: 'notes' | 'cards' | 'revlog'): number =>
  (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

/** The person's backups, newest first, each opened read-only to count what it holds. */
export function describeBackups(base: string, username: string): BackupDescription[] {
  const { backups } = userPaths(base, username);
  return listBackupFiles(backups).map((b) => {
    const path = backupPath(backups, b.id);
    let bytes = 0;
    let counts: BackupDescription['counts'];
    try {
      bytes = statSync(path).size;
      const db = openCollection(path, { readonly: true });
      try {
        counts = { notes: count(db, 'notes'), cards: count(db, 'cards'), reviews: count(db, 'revlog') };
      } finally {
        db.close();
      }
    } catch {
      counts = undefined;
    }
    return { ...b, bytes, counts };
  });
}

/**
 * A restore on the files, for when no server runs: the folder's server lock is taken meanwhile,
 * so a server that starts (or one in another process) cannot open the collection half-replaced.
 */
export async function restoreBackupOffline(base: string, username: string, backupId: string, clock: Clock): Promise<RestoreOutcome> {
  const locked = acquireServerLock(base);
  if (!locked.ok) {
    return {
      ok: false,
      problem:
        'Hearth’s sync server is running on this data folder in another program: restore from its window or admin page, or stop it first. Nothing was changed.',
    };
  }
  // A restore checks the backup as an upload is checked: that is the sync engine's work.
  const engine = await import('../sync-engine.ts');
  const user = new UserState(base, username, clock, engine.createCollection);
  try {
    return await user.lock.run(() => engine.restoreBackup(user, backupId, clock));
  } finally {
    user.close();
    locked.lock.release();
  }
}
