/**
 * Running the stateful normal-sync steps (docs/protocol/collection-sync.md §2, docs/protocol/http.md §4 step 6), in
 * the reference's order of checks: session key present (400) → body parses (400, session left
 * alone) → an active session with this key (409) → the step; if the step fails, the sync is
 * rolled back and forgotten, and the client gets 400 ("please use Check Database"). Each step
 * is a SyncStep (steps.ts) exported by its own file; http/methods.ts lists them.
 */
import { SyncHttpError, badRequest, conflict } from '../errors.ts';
import type { MethodContext } from '../user/context.ts';
import { NormalSyncSession } from './session.ts';
import type { SyncStep } from './steps.ts';

/** A failing step rolls the whole sync back; what the client sees is a 400. */
export function stepFailed(err: unknown, session: NormalSyncSession, ctx: MethodContext): SyncHttpError {
  session.abort();
  if (err instanceof SyncHttpError && err.status === 400) return err;
  const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  ctx.logger.child('sync').warn('sync step failed; rolled back', { user: ctx.user.username, why });
  return badRequest(`step failed: ${why}`);
}

/** Runs one step of the sync in progress for this request; returns its JSON reply. */
export function runStep<Req>(step: SyncStep<Req>, body: Buffer, ctx: MethodContext): unknown {
  const { user, header } = ctx;
  const early = step.parsesFirst ? { req: step.parse(body) } : undefined;
  if (header.s === '') throw badRequest('missing skey');
  const req = early ? early.req : step.parse(body);

  const session = user.session;
  if (!(session instanceof NormalSyncSession)) throw conflict('no active sync');
  if (session.skey !== header.s) throw conflict('another sync is in progress');
  // After a "bad" sanity check the transaction is already rolled back; only abort may follow.
  if (!session.isOpen) throw conflict('this sync was rolled back');
  // A chunk built ahead is valid only while the client keeps asking for chunks.
  if (!step.keepsChunkAhead) session.dropNextChunk();
  let result: unknown;
  try {
    // Writes an earlier applyChunk left for after its reply come first (apply-chunk.ts).
    session.runDeferred();
    result = step.run(session, req, ctx);
  } catch (err) {
    throw stepFailed(err, session, ctx);
  }
  step.after?.(session, ctx);
  return result;
}
