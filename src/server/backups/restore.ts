/**
 * Bringing a backup back (backup-files.ts). Under the person's lock, with no sync of theirs in
 * progress: the backup is copied beside the collection and checked as an upload is (an SQLite
 * collection of a schema Hearth takes, whole by `integrity_check`), the current collection is
 * kept as a `before-restore` backup, and the copy replaces it with one atomic rename. Then its
 * schema time (`col.scm`) and modification time are set to now: every device's next sync sees a
 * different `scm` and must do a full sync, in which the person chooses Download
 * (docs/protocol/collection-sync.md §3). Media files are not touched.
 *
 * Anything wrong (an unknown or damaged backup, a sync in progress) is refused in plain words,
 * and nothing is changed.
 */
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import type { Clock } from '../clock.ts';
import { openCollection, checkpointAndClose } from '../collection/open.ts';
import { replaceFileAtomically } from '../util/atomic-file.ts';
import type { UserState } from '../user/user-state.ts';
import { newUploadTempPath } from '../user/upload-temps.ts';
import { validateUploadedCollection } from '../sync/upload.ts';
import { backupPath, listBackupFiles } from './backup-files.ts';
import { keepCollectionFile } from './take-backup.ts';

export type RestoreOutcome = { readonly ok: true; readonly keptAs: string | undefined } | { readonly ok: false; readonly problem: string };

const refuse = (problem: string): RestoreOutcome => ({ ok: false, problem });

/** Runs under the person's lock (the caller's job). */
export function restoreBackup(user: UserState, id: string, clock: Clock): RestoreOutcome {
  const backup = listBackupFiles(user.paths.backups).find((b) => b.id === id);
  if (!backup) return refuse(`${user.username} has no such backup (it may have been removed by the keep rule); nothing was changed.`);
  if (user.session !== undefined) {
    return refuse(`${user.username} is syncing right now. Try again in a minute, when the sync has finished; nothing was changed.`);
  }
  const temp = newUploadTempPath(user.paths.dir);
  const removeTemp = (): void => {
    for (const p of [temp, `${temp}-wal`, `${temp}-shm`, `${temp}-journal`]) rmSync(p, { force: true });
  };
  try {
    copyFileSync(backupPath(user.paths.backups, id), temp);
    const verdict = validateUploadedCollection(temp);
    if (!verdict.ok) {
      return refuse(`That backup of ${user.username}'s cards is damaged (${verdict.why}); nothing was changed.`);
    }
    rmSync(`${temp}-wal`, { force: true });
    rmSync(`${temp}-shm`, { force: true });
    let keptAs: string | undefined;
    const now = clock.nowMs();
    user.withCollection(() => {
      const { collection } = user.paths;
      if (existsSync(collection)) {
        // The collection as it is now, whole (its WAL folded in), is kept before it goes.
        checkpointAndClose(openCollection(collection));
        rmSync(`${collection}-shm`, { force: true });
        keptAs = keepCollectionFile(user, 'before-restore', now, true);
      }
      replaceFileAtomically(temp, collection);
    }, 'closed');
    // Every device must take the server's copy now (a full sync): a new schema time says so.
    user.withCollection((col) => col.prepare('UPDATE col SET scm = ?, mod = ?').run(now, now));
    return { ok: true, keptAs };
  } finally {
    removeTemp();
  }
}
