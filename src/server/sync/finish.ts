/**
 * `finish` (spec collection-sync.md §5.9): commits the sync. The server's usn moves on, so the
 * next sync of any device sees what this one wrote; both sides set `mod = ls = now`.
 */
import { prepared } from '../util/prepared.ts';
import type { Clock } from '../clock.ts';
import type { NormalSyncSession } from './session.ts';

export function finish(session: NormalSyncSession, clock: Clock): number {
  const now = clock.nowMs();
  const { db } = session;
  prepared(db, 'UPDATE col SET ls = ?, usn = usn + 1, mod = ?').run(now, now);
  session.commit();
  return now;
}
