/**
 * `sanityCheck2` (docs/protocol/collection-sync.md §5.8): after merging, both sides must hold the same
 * number of cards, notes, revlog entries, notetypes, decks and deck configs. On "bad" the
 * server rolls back at once; the client then aborts and forces a full sync next time.
 */
import { prepared } from '../util/prepared.ts';
import { badRequest } from '../errors.ts';
import { expectObject, parseJsonBody } from '../wire/json-body.ts';
import type { NormalSyncSession } from './session.ts';
import { requireKey } from './steps.ts';
import type { SyncStep } from './steps.ts';

/** `[[new, learn, review], cards, notes, revlog, graves, notetypes, decks, deck_configs]` */
export type SanityCounts = [[number, number, number], number, number, number, number, number, number, number];

export interface SanityReply {
  status: 'ok' | 'bad';
  c: SanityCounts | null;
  s: SanityCounts | null;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

export function parseSanityRequest(body: Buffer): SanityCounts {
  const client = requireKey(expectObject(parseJsonBody(body), 'sanityCheck2'), 'client', 'sanityCheck2');
  if (!Array.isArray(client) || client.length !== 8) throw badRequest('sanityCheck2: client must be an array of 8');
  const [due, ...rest] = client as unknown[];
  if (!Array.isArray(due) || due.length !== 3 || !due.every(isCount) || !rest.every(isCount)) {
    throw badRequest('sanityCheck2: counts must be whole numbers');
  }
  return client as SanityCounts;
}

const USN_TABLES = ['cards', 'notes', 'revlog', 'graves', 'decks', 'deck_config', 'tags', 'notetypes'];

export function sanityCheck(session: NormalSyncSession, client: SanityCounts): SanityReply {
  const { db } = session;
  const pendingRows = USN_TABLES.some((t) => prepared(db, `SELECT 1 FROM ${t} WHERE usn = -1 LIMIT 1`).get() !== undefined);
  if (pendingRows) {
    session.rollBackKeepingSession();
    return { status: 'bad', c: client, s: null };
  }
  const count = (t: string): number => prepared(db, `SELECT count() FROM ${t}`, 'pluck').get() as number;
  // Due counts and graves are not compared (§5.8 step 3).
  const c: SanityCounts = [[0, 0, 0], client[1], client[2], client[3], 0, client[5], client[6], client[7]];
  const s: SanityCounts = [
    [0, 0, 0],
    count('cards'),
    count('notes'),
    count('revlog'),
    0,
    count('notetypes'),
    count('decks'),
    count('deck_config'),
  ];
  const ok = c.every((v, i) => i === 0 || v === s[i]);
  if (!ok) session.rollBackKeepingSession();
  return { status: ok ? 'ok' : 'bad', c, s };
}

/** The wire method (sync/normal-sync.ts runs it). */
export const sanityCheckStep: SyncStep<SanityCounts> = { parse: parseSanityRequest, run: sanityCheck };
