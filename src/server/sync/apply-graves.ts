/**
 * `applyGraves` (docs/protocol/collection-sync.md §5.4): the client's deletions, ≤ 250 ids per request.
 * Notes, then cards, then decks; each deletion is recorded as a grave with the session's usn.
 * Deleting a note does not delete its cards: the client sends their graves too.
 */
import { prepared } from '../util/prepared.ts';
import { expectObject, parseJsonBody } from '../wire/json-body.ts';
import type { Graves } from './rows.ts';
import { parseGraves } from './rows.ts';
import type { NormalSyncSession } from './session.ts';
import { addGrave, GRAVE_CARD, GRAVE_DECK, GRAVE_NOTE, requireKey } from './steps.ts';
import type { SyncStep } from './steps.ts';

export function parseApplyGravesRequest(body: Buffer): Graves {
  return parseGraves(requireKey(expectObject(parseJsonBody(body), 'applyGraves'), 'chunk', 'applyGraves'), { complete: true });
}

export function applyGravesToCollection(session: NormalSyncSession, graves: Graves): void {
  const { db, serverUsn } = session;
  const delNote = prepared(db, 'DELETE FROM notes WHERE id = ?');
  const delCard = prepared(db, 'DELETE FROM cards WHERE id = ?');
  const delDeck = prepared(db, 'DELETE FROM decks WHERE id = ?');
  for (const id of graves.notes) {
    delNote.run(id);
    addGrave(db, id, GRAVE_NOTE, serverUsn);
  }
  for (const id of graves.cards) {
    delCard.run(id);
    addGrave(db, id, GRAVE_CARD, serverUsn);
  }
  for (const id of graves.decks) {
    delDeck.run(id);
    addGrave(db, id, GRAVE_DECK, serverUsn);
  }
}

export function applyGraves(session: NormalSyncSession, graves: Graves): null {
  applyGravesToCollection(session, graves);
  return null;
}

/** The wire method (sync/normal-sync.ts runs it). */
export const applyGravesStep: SyncStep<Graves> = { parse: parseApplyGravesRequest, run: applyGraves };
