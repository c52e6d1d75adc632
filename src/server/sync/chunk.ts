/**
 * `chunk` (spec collection-sync.md §5.6): the server's changed rows, ≤ 250 per reply, taken
 * round-robin from revlog, notes and cards; `done` once a reply was not full. The id lists are
 * snapshotted on the first call; rows are read when sent, with their stored usn.
 */
import type Database from 'better-sqlite3';
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
    const rows = rowsById(db, 'SELECT id, cid, usn, ease, ivl, lastIvl, factor, time, type FROM revlog', take.revlog);
    reply.revlog = inOrder(take.revlog, rows) as RevlogRow[];
  }
  if (take.notes.length > 0) {
    const rows = rowsById(db, 'SELECT id, guid, mid, mod, usn, tags, flds FROM notes', take.notes);
    reply.notes = (inOrder(take.notes, rows) as [number, string, number, number, number, string, string][]).map(
      // The last four elements are fixed on the wire; the receiver recomputes sfld/csum (§6.3).
      (r) => [r[0], r[1], r[2], r[3], r[4], joinTagsForWire(r[5]), r[6], '', '', 0, ''] satisfies NoteRow,
    );
  }
  if (take.cards.length > 0) {
    const rows = rowsById(
      db,
      'SELECT id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left, odue, odid, flags, data FROM cards',
      take.cards,
    );
    reply.cards = inOrder(take.cards, rows) as CardRow[];
  }
  return reply;
}

/**
 * Reads the rows with these ids in one query (`WHERE id IN (…)`, one prepared statement per
 * list length) instead of one query per row; the first column of each raw row is its id.
 */
function rowsById(db: Database.Database, select: string, ids: readonly number[]): Map<number, unknown[]> {
  const rows = prepared(db, `${select} WHERE id IN (${'?,'.repeat(ids.length - 1)}?)`, 'raw').all(...ids) as unknown[][];
  const byId = new Map<number, unknown[]>();
  for (const r of rows) byId.set(r[0] as number, r);
  return byId;
}

/** The rows in the order their ids were taken; ids whose row is gone are skipped. */
function inOrder(ids: readonly number[], rows: Map<number, unknown[]>): unknown[][] {
  const out: unknown[][] = [];
  for (const id of ids) {
    const r = rows.get(id);
    if (r !== undefined) out.push(r);
  }
  return out;
}
