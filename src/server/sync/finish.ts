/**
 * `finish` (docs/protocol/collection-sync.md §5.9): commits the sync. The server's usn moves on, so the
 * next sync of any device sees what this one wrote; both sides set `mod = ls = now`.
 */
import { prepared } from '../util/prepared.ts';
import type { Clock } from '../clock.ts';
import type { MethodContext } from '../user/context.ts';
import { afterReply } from '../util/after-reply.ts';
import { serverChangesText } from './apply-changes.ts';
import { buildChangesAhead } from './changes-ahead.ts';
import type { NormalSyncSession } from './session.ts';
import { parseEmptyBody } from './steps.ts';
import type { SyncStep } from './steps.ts';

export function finish(session: NormalSyncSession, clock: Clock): number {
  const now = clock.nowMs();
  const { db } = session;
  prepared(db, 'UPDATE col SET ls = ?, usn = usn + 1, mod = ?').run(now, now);
  session.commit();
  return now;
}

/**
 * Once a sync has finished: builds what the next device that was up to date before it gets from
 * `applyChanges` (changes-ahead.ts), after the reply (util/after-reply.ts), under the person's
 * lock, unless a sync started meanwhile.
 */
function buildChangesAheadAfterReply(ctx: MethodContext, clientUsn: number): void {
  const { user } = ctx;
  user.changesAhead = undefined;
  afterReply(
    user.lock,
    () => {
      const db = user.openedCollection();
      if (user.session !== undefined || db === undefined) return;
      user.changesAhead = buildChangesAhead(db, clientUsn, serverChangesText);
    },
    (why) => ctx.logger.child('sync').debug('building the next applyChanges reply ahead failed', { why }),
  );
}

/** The wire method (sync/normal-sync.ts runs it); it reads its `{}` before the session key is looked at (reference order). */
export const finishStep: SyncStep<void> = {
  parse: (body) => parseEmptyBody(body, 'finish'),
  parsesFirst: true,
  run: (session, _req, ctx) => finish(session, ctx.clock),
  after: (session, ctx) => buildChangesAheadAfterReply(ctx, session.serverUsn),
};
