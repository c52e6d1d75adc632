/**
 * `start` (docs/protocol/collection-sync.md §5.3): opens the session and its transaction, and answers
 * the server's deletions the client has not seen — computed before anything from the client
 * is applied. Old AnkiMobile/AnkiDroid send their own deletions here instead of applyGraves.
 */
import { prepared } from '../util/prepared.ts';
import { badRequest } from '../errors.ts';
import { expectObject, parseJsonBody } from '../wire/json-body.ts';
import type { Graves } from './rows.ts';
import { parseGraves } from './rows.ts';
import { NormalSyncSession } from './session.ts';
import { applyGravesToCollection } from './apply-graves.ts';
import { GRAVE_CARD, GRAVE_DECK, GRAVE_NOTE, requireKey } from './steps.ts';
import type { MethodContext } from '../user/context.ts';
import type { UserState } from '../user/user-state.ts';
import { stepFailed } from './normal-sync.ts';

export interface StartRequest {
  readonly minUsn: number;
  readonly lnewer: boolean;
  readonly graves: Graves | undefined;
}

export function parseStartRequest(body: Buffer): StartRequest {
  const obj = expectObject(parseJsonBody(body), 'start');
  const minUsn = requireKey(obj, 'minUsn', 'start');
  const lnewer = requireKey(obj, 'lnewer', 'start');
  // A usn is a 32-bit integer (the reference's Usn(i32)): 1e30 is an integer, but not a usn.
  if (typeof minUsn !== 'number' || !Number.isInteger(minUsn) || minUsn < -(2 ** 31) || minUsn > 2 ** 31 - 1) {
    throw badRequest('start: minUsn must be a 32-bit integer');
  }
  if (typeof lnewer !== 'boolean') throw badRequest('start: lnewer must be a boolean');
  return { minUsn, lnewer, graves: obj.graves === undefined || obj.graves === null ? undefined : parseGraves(obj.graves) };
}

export function start(user: UserState, skey: string, device: string, req: StartRequest): { session: NormalSyncSession; reply: Graves } {
  const session = NormalSyncSession.begin(user, skey, device, req.minUsn, req.lnewer);
  const rows = prepared(session.db, 'SELECT oid, type FROM graves WHERE usn >= ?', 'raw').all(session.clientUsn) as [number, number][];
  const reply: Graves = { cards: [], notes: [], decks: [] };
  for (const [oid, type] of rows) {
    if (type === GRAVE_CARD) reply.cards.push(oid);
    else if (type === GRAVE_NOTE) reply.notes.push(oid);
    else if (type === GRAVE_DECK) reply.decks.push(oid);
  }
  if (req.graves) applyGravesToCollection(session, req.graves);
  return { session, reply };
}

/**
 * The wire method (http/methods.ts): the session key must be there (400), the body must parse
 * (400), then the sync starts; if starting fails, the new sync is rolled back like a failing step.
 */
export function startMethod(body: Buffer, ctx: MethodContext): Graves {
  const { user, header } = ctx;
  if (header.s === '') throw badRequest('missing skey');
  const req = parseStartRequest(body);
  try {
    return start(user, header.s, ctx.device, req).reply;
  } catch (err) {
    const s = user.session;
    if (s instanceof NormalSyncSession) throw stepFailed(err, s, ctx);
    throw err;
  }
}
