/**
 * Dispatch of the stateful normal-sync steps (spec collection-sync.md §2, http.md §4 step 6),
 * in the reference's order of checks: session key present (400) → body parses (400, session
 * left alone) → an active session with this key (409) → the step; if the step fails, the sync
 * is rolled back and forgotten, and the client gets 400 ("please use Check Database").
 */
import { SyncHttpError, badRequest, conflict } from '../errors.ts';
import type { MethodContext } from '../user/context.ts';
import { NormalSyncSession } from './session.ts';
import { parseStartRequest, start } from './start.ts';
import { applyGraves, parseApplyGravesRequest } from './apply-graves.ts';
import { applyChanges, parseApplyChangesRequest, serverChangesText } from './apply-changes.ts';
import { buildChangesAhead } from './changes-ahead.ts';
import { buildNextChunk, chunk } from './chunk.ts';
import { applyChunk, parseApplyChunkRequest } from './apply-chunk.ts';
import { parseSanityRequest, sanityCheck } from './sanity-check.ts';
import { finish } from './finish.ts';
import { parseEmptyBody } from './steps.ts';
import { afterReply } from '../util/after-reply.ts';

export type StatefulMethod = 'start' | 'applyGraves' | 'applyChanges' | 'chunk' | 'applyChunk' | 'sanityCheck2' | 'finish';

export function isStatefulMethod(method: string): method is StatefulMethod {
  return ['start', 'applyGraves', 'applyChanges', 'chunk', 'applyChunk', 'sanityCheck2', 'finish'].includes(method);
}

/** A step that was prepared (body parsed) and only needs the session to run. */
type Step = (session: NormalSyncSession) => unknown;

function prepare(method: Exclude<StatefulMethod, 'start'>, body: Buffer, ctx: MethodContext): Step {
  switch (method) {
    case 'applyGraves': {
      const req = parseApplyGravesRequest(body);
      return (s) => applyGraves(s, req);
    }
    case 'applyChanges': {
      const req = parseApplyChangesRequest(body);
      return (s) => {
        const { reply, builtAhead } = applyChanges(s, req, ctx.clock, ctx.user.changesAhead);
        // On the request's log line: whether the server's side was built after the last sync (changes-ahead.ts).
        if (builtAhead) ctx.logFields.ahead = 'yes';
        return reply;
      };
    }
    case 'chunk':
      parseEmptyBody(body, 'chunk');
      return (s) => {
        // On the request's log line: whether the reply was built ahead (chunk.ts).
        if (s.nextChunk) ctx.logFields.ahead = 'yes';
        return chunk(s);
      };
    case 'applyChunk': {
      const req = parseApplyChunkRequest(body);
      return (s) => applyChunk(s, req);
    }
    case 'sanityCheck2': {
      const req = parseSanityRequest(body);
      return (s) => sanityCheck(s, req);
    }
    case 'finish':
      return (s) => finish(s, ctx.clock);
  }
}

/** A failing step rolls the whole sync back; what the client sees is a 400. */
function stepFailed(err: unknown, session: NormalSyncSession, ctx: MethodContext): SyncHttpError {
  session.abort();
  if (err instanceof SyncHttpError && err.status === 400) return err;
  const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  ctx.logger.child('sync').warn('sync step failed; rolled back', { user: ctx.user.username, why });
  return badRequest(`step failed: ${why}`);
}

export function runStatefulStep(method: StatefulMethod, body: Buffer, ctx: MethodContext): unknown {
  const { user, header } = ctx;
  // finish parses its `{}` before looking at the session key (reference order).
  if (method === 'finish') parseEmptyBody(body, 'finish');
  if (header.s === '') throw badRequest('missing skey');

  if (method === 'start') {
    const req = parseStartRequest(body);
    let result;
    try {
      result = start(user, header.s, req);
    } catch (err) {
      const s = user.session;
      if (s instanceof NormalSyncSession) throw stepFailed(err, s, ctx);
      throw err;
    }
    return result.reply;
  }

  const step = prepare(method, body, ctx);
  const session = user.session;
  if (!(session instanceof NormalSyncSession)) throw conflict('no active sync');
  if (session.skey !== header.s) throw conflict('another sync is in progress');
  // After a "bad" sanity check the transaction is already rolled back; only abort may follow.
  if (!session.isOpen) throw conflict('this sync was rolled back');
  // A chunk built ahead is valid only while the client keeps asking for chunks.
  if (method !== 'chunk') session.dropNextChunk();
  let result: unknown;
  try {
    // Writes an earlier applyChunk left for after its reply come first (apply-chunk.ts).
    session.runDeferred();
    result = step(session);
  } catch (err) {
    throw stepFailed(err, session, ctx);
  }
  if ((method === 'chunk' || method === 'applyChanges') && !session.chunksDone) {
    afterStep(session, ctx, 'building the next chunk ahead failed', () => buildNextChunk(session));
  }
  if (method === 'applyChunk') afterStep(session, ctx, 'writing a received chunk failed; the sync will be rolled back', () => {});
  if (method === 'finish') afterFinish(ctx, session.serverUsn);
  return result;
}

/**
 * Once a sync has finished: builds what the next device that was up to date before it gets from
 * `applyChanges` (changes-ahead.ts), under the person's lock, unless a sync started meanwhile.
 */
function afterFinish(ctx: MethodContext, clientUsn: number): void {
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

/**
 * Work a step leaves for after its reply (util/after-reply.ts): `job` runs under the person's
 * lock while the client is busy with the reply, if the sync is still going. Writes an applyChunk
 * left come first. A failure is only logged here: deferred writes keep theirs in the session,
 * which fails the sync's next step; a chunk built ahead is simply built again when the client asks.
 */
function afterStep(session: NormalSyncSession, ctx: MethodContext, failure: string, job: () => void): void {
  const { user } = ctx;
  afterReply(
    user.lock,
    () => {
      if (user.session !== session || !session.isOpen) return;
      session.runDeferred();
      job();
    },
    (why) => ctx.logger.child('sync').warn(failure, { user: user.username, why }),
  );
}
