/**
 * `chunk` (spec collection-sync.md §5.6): the server's changed rows, ≤ 250 per reply, taken
 * round-robin from revlog, notes and cards; `done` once a reply was not full. The id lists are
 * snapshotted on the first call; rows are read when sent, with their stored usn.
 */
import { prepared } from '../util/prepared.ts';
import type { CardRow, NoteRow, RevlogRow } from './rows.ts';
import type { NormalSyncSession } from './session.ts';
import { joinTagsForWire } from '../collection/tags.ts';

export const CHUNK_SIZE = 250;

export interface ChunkReply {
  done: boolean;
  revlog?: RevlogRow[];
  cards?: CardRow[];
  notes?: NoteRow[];
}

export function chunk(session: NormalSyncSession): ChunkReply {
  const { db } = session;
  if (!session.pending) {
    const ids = (table: string): number[] =>
      prepared(db, `SELECT id FROM ${table} WHERE usn >= ?`, 'pluck').all(session.clientUsn) as number[];
    session.pending = { revlog: ids('revlog'), notes: ids('notes'), cards: ids('cards') };
  }
  const pending = session.pending;
  const take = { revlog: [] as number[], notes: [] as number[], cards: [] as number[] };
  let limit = CHUNK_SIZE;
  while (limit > 0) {
    const before = limit;
    for (const kind of ['revlog', 'notes', 'cards'] as const) {
      const id = pending[kind].pop();
      if (id !== undefined) {
        take[kind].push(id);
        limit--;
      }
    }
    if (limit === before) break;
  }
  const reply: ChunkReply = { done: limit > 0 };
  if (take.revlog.length > 0) {
    const get = prepared(db, 'SELECT id, cid, usn, ease, ivl, lastIvl, factor, time, type FROM revlog WHERE id = ?', 'raw');
    reply.revlog = take.revlog.map((id) => get.get(id) as RevlogRow | undefined).filter((r) => r !== undefined);
  }
  if (take.notes.length > 0) {
    const get = prepared(db, 'SELECT id, guid, mid, mod, usn, tags, flds FROM notes WHERE id = ?', 'raw');
    reply.notes = take.notes.flatMap((id) => {
      const r = get.get(id) as [number, string, number, number, number, string, string] | undefined;
      // The last four elements are fixed on the wire; the receiver recomputes sfld/csum (§6.3).
      return r ? [[r[0], r[1], r[2], r[3], r[4], joinTagsForWire(r[5]), r[6], '', '', 0, ''] satisfies NoteRow] : [];
    });
  }
  if (take.cards.length > 0) {
    const get = prepared(
      db,
      'SELECT id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags, data FROM cards WHERE id = ?',
      'raw',
    );
    reply.cards = take.cards.map((id) => get.get(id) as CardRow | undefined).filter((r) => r !== undefined);
  }
  return reply;
}
