/**
 * A person's backups as the window and the command line see them (src/server/backups/): the list
 * with what each holds, and a restore. A restore goes through the running server, which holds
 * the collection open; with no server running it is done on the files, under the folder's lock.
 */
import type { ActionResult, BackupList, BackupSummary } from '../shared/api.ts';
import { KEEP_RULE, describeBackups, restoreBackupOffline, systemClock } from '../server/index.ts';
import type { Clock, Logger } from '../server/index.ts';
import type { ServerRunner } from './server-runner.ts';

export interface BackupsDeps {
  /** The data folder now. */
  readonly base: () => string;
  /** Who is a person now (a backup is only ever listed or restored for one of them). */
  readonly people: () => Promise<readonly string[]>;
  readonly runner: Pick<ServerRunner, 'restoreBackup'>;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface Backups {
  list(username: string): Promise<BackupList>;
  restore(username: string, backupId: string): Promise<ActionResult>;
}

export function createBackups(deps: BackupsDeps): Backups {
  const log = deps.logger.child('backups');
  const unknown = (username: string) => ({ ok: false as const, problem: `There is no person called “${username}”.` });
  return {
    async list(username) {
      if (!(await deps.people()).includes(username)) return unknown(username);
      const backups: BackupSummary[] = describeBackups(deps.base(), username).map((b) => ({
        id: b.id,
        takenAt: new Date(b.takenAtMs).toISOString(),
        reason: b.reason,
        notes: b.counts?.notes ?? 0,
        cards: b.counts?.cards ?? 0,
        reviews: b.counts?.reviews ?? 0,
        bytes: b.bytes,
        readable: b.counts !== undefined,
      }));
      return { ok: true, backups, rule: KEEP_RULE };
    },
    async restore(username, backupId) {
      if (!(await deps.people()).includes(username)) return unknown(username);
      const viaServer = await deps.runner.restoreBackup(username, backupId);
      const outcome =
        viaServer === 'not-running' ? await restoreBackupOffline(deps.base(), username, backupId, deps.clock ?? systemClock) : viaServer;
      if (outcome.ok) log.info('backup restored', { user: username, backup: backupId });
      return outcome.ok ? { ok: true } : { ok: false, problem: outcome.problem };
    },
  };
}
