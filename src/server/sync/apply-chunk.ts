/**
 * `applyChunk` (docs/protocol/collection-sync.md §5.7, merge rules §8.5–§8.7): the client's changed
 * rows. Revlog is insert-or-ignore; a card or note replaces the server's copy unless the
 * server's copy changed since the client's last sync and is at least as new. A note must
 * reference an existing notetype with the same number of fields — otherwise the whole sync
 * fails (400) and rolls back, which the client reports as "please use Check Database".
 */
import { prepared } from '../util/prepared.ts';
import { fromBinary } from '@bufbuild/protobuf';
import { badRequest } from '../errors.ts';
import { expectObject, parseJsonBody } from '../wire/json-body.ts';
import { Notetype_ConfigSchema } from '../collection/proto/gen/notetypes_pb.js';
import { notetypeFieldCountOk, prepareNoteFields } from '../collection/note-text.ts';
import { canonicalNoteTags } from '../collection/tags.ts';
import type { CardRow, NoteRow, RevlogRow } from './rows.ts';
import { parseCardRow, parseNoteRow, parseRevlogRow } from './rows.ts';
import type { NormalSyncSession } from './session.ts';
import { requireKey } from './steps.ts';
import type { SyncStep } from './steps.ts';

export interface ClientChunk {
  readonly done: boolean;
  readonly revlog: RevlogRow[];
  readonly cards: CardRow[];
  readonly notes: NoteRow[];
}

function rowList<T>(v: unknown, parse: (x: unknown) => T, what: string): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw badRequest(`applyChunk: ${what} must be a list`);
  return v.map(parse);
}

export function parseApplyChunkRequest(body: Buffer): ClientChunk {
  const chunk = expectObject(requireKey(expectObject(parseJsonBody(body), 'applyChunk'), 'chunk', 'applyChunk'), 'applyChunk chunk');
  const done = chunk.done ?? false;
  if (typeof done !== 'boolean') throw badRequest('applyChunk: done must be a boolean');
  return {
    done,
    revlog: rowList(chunk.revlog, parseRevlogRow, 'revlog'),
    cards: rowList(chunk.cards, parseCardRow, 'cards'),
    notes: rowList(chunk.notes, parseNoteRow, 'notes'),
  };
}

interface NotetypeShape {
  readonly fieldCount: number;
  readonly sortIdx: number;
}

/**
 * Applies a chunk in two parts. Notes first and now: they are checked against their notetype, and
 * a bad one must fail this very request (400, the sync rolled back). Revlog and card rows need no
 * check beyond their row shape (done while parsing), so their writes are left to the session
 * (`defer`): they run right after the reply has gone out — while the client prepares its next
 * chunk — and before anything else of this sync (normal-sync.ts). If they fail (a disk error), the
 * next step of the sync fails and everything is rolled back, as if this request had failed.
 */
export function applyChunk(session: NormalSyncSession, chunk: ClientChunk): null {
  applyNotes(session, chunk.notes);
  if (chunk.revlog.length > 0 || chunk.cards.length > 0) session.defer(() => applyRevlogAndCards(session, chunk.revlog, chunk.cards));
  return null;
}

function applyRevlogAndCards(session: NormalSyncSession, revlog: readonly RevlogRow[], cards: readonly CardRow[]): void {
  const { db, clientUsn } = session;

  const addRevlog = prepared(
    db,
    'INSERT OR IGNORE INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  for (const r of revlog) addRevlog.run(r);

  // Cards need no checks beyond their row, so the merge rule runs inside SQLite: one statement per
  // card instead of a read and a replace, and an update in place touches only the indexes whose
  // columns changed (a replace deletes and re-inserts the row in every index). Incoming wins unless
  // the server's row changed since the client's last sync and is not older (§8.6).
  const putCard = prepared(
    db,
    `INSERT INTO cards (id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET nid = excluded.nid, did = excluded.did, ord = excluded.ord, mod = excluded.mod,
       usn = excluded.usn, type = excluded.type, queue = excluded.queue, due = excluded.due, ivl = excluded.ivl,
       factor = excluded.factor, reps = excluded.reps, lapses = excluded.lapses, left = excluded.left,
       odue = excluded.odue, odid = excluded.odid, flags = excluded.flags, data = excluded.data
     WHERE cards.usn < ? OR cards.mod < excluded.mod`,
  );
  for (const c of cards) putCard.run(c, clientUsn);
}

function applyNotes(session: NormalSyncSession, notes: readonly NoteRow[]): void {
  if (notes.length === 0) return;
  const { db, clientUsn } = session;
  // Incoming wins unless the server's row changed since the client's last sync and is not older (§8.6).
  const incomingWins = (existing: { usn: number; mod: number } | undefined, mod: number): boolean =>
    existing === undefined || existing.usn < clientUsn || existing.mod < mod;

  const shapes = new Map<number, NotetypeShape | undefined>();
  const notetypeConfig = prepared(db, 'SELECT config FROM notetypes WHERE id = ?', 'pluck');
  const fieldCount = prepared(db, 'SELECT count(*) FROM fields WHERE ntid = ?', 'pluck');
  const shapeOf = (mid: number): NotetypeShape | undefined => {
    if (!shapes.has(mid)) {
      const blob = notetypeConfig.get(mid) as Buffer | undefined;
      shapes.set(
        mid,
        blob === undefined
          ? undefined
          : { fieldCount: fieldCount.get(mid) as number, sortIdx: fromBinary(Notetype_ConfigSchema, blob).sortFieldIdx },
      );
    }
    return shapes.get(mid);
  };
  const noteState = prepared(db, 'SELECT usn, mod FROM notes WHERE id = ?');
  const putNote = prepared(
    db,
    'INSERT OR REPLACE INTO notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)',
  );
  for (const n of notes) {
    if (!incomingWins(noteState.get(n[0]) as { usn: number; mod: number } | undefined, n[3])) continue;
    const shape = shapeOf(n[2]);
    if (!shape) throw badRequest(`note ${n[0]} uses notetype ${n[2]}, which does not exist`);
    const received = n[6].split('\u001f');
    if (!notetypeFieldCountOk(received.length, shape.fieldCount)) {
      throw badRequest(`note ${n[0]} has ${received.length} fields; its notetype has ${shape.fieldCount}`);
    }
    // The first field is stripped once, for both sfld (when it is the sort field) and csum.
    const note = prepareNoteFields(received, shape.sortIdx);
    putNote.run(n[0], n[1], n[2], n[3], n[4], canonicalNoteTags(n[5]), note.flds, note.sfld, note.csum, '');
  }
}

/**
 * The wire method (sync/normal-sync.ts runs it). The rows it leaves for after its reply
 * (session.defer) are written then; if that fails, the sync's next step fails with it.
 */
export const applyChunkStep: SyncStep<ClientChunk> = {
  parse: parseApplyChunkRequest,
  run: applyChunk,
  after: (session, ctx) => session.afterReply(ctx.logger, 'writing a received chunk failed; the sync will be rolled back', () => {}),
};
