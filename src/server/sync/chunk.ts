/**
 * `chunk` (docs/protocol/collection-sync.md §5.6): the server's changed rows, ≤ 250 per reply, taken
 * round-robin from revlog, notes and cards; `done` once a reply was not full. The id lists are
 * snapshotted on the first call; rows are read when sent, with their stored usn.
 */
import type Database from 'better-sqlite3';
import { prepared } from '../util/prepared.ts';
import type { NoteRow } from './rows.ts';
import { CompressedJson, RawJson } from '../wire/respond.ts';
import type { NormalSyncSession, PendingChunkIds } from './session.ts';
import { parseEmptyBody } from './steps.ts';
import type { SyncStep } from './steps.ts';
import type { MethodContext } from '../user/context.ts';
import { joinTagsForWire } from '../collection/tags.ts';

export const CHUNK_SIZE = 250;

const CARD_COLUMNS = [
  'id',
  'nid',
  'did',
  'ord',
  'mod',
  'usn',
  'type',
  'queue',
  'due',
  'ivl',
  'factor',
  'reps',
  'lapses',
  'left',
  'odue',
  'odid',
  'flags',
  'data',
];
const REVLOG_COLUMNS = ['id', 'cid', 'usn', 'ease', 'ivl', 'lastIvl', 'factor', 'time', 'type'];

/**
 * The reply as JSON text: `{"done": …, "revlog": […], "notes": […], "cards": […]}`, lists only
 * when not empty. Revlog and card rows are written as JSON by SQLite itself (`json_array`), in
 * the order their ids were taken: for the few hundred rows of a reply that is several times
 * faster than reading each row into JavaScript arrays and stringifying them, and a pull is
 * mostly chunks. Notes go through JavaScript, because their tags are normalised on the way out.
 */
export function chunk(session: NormalSyncSession): RawJson | CompressedJson {
  const ready = session.nextChunk;
  session.nextChunk = undefined;
  const { reply, done } = ready ?? buildChunk(session);
  session.chunksDone = done;
  return reply;
}

/**
 * Builds (and compresses) the next reply ahead of the client's request: a client applies each
 * chunk to its own database before it asks for the next, so building the next one meanwhile
 * takes it off the client's wait. The first one is built after `applyChanges`, which a client
 * always sends right before its first `chunk` (rslib `normal_sync`). Nothing can change the rows
 * in between — the session holds the transaction and every other step drops the built reply
 * (normal-sync.ts). Call under the user's lock, with the session still active.
 */
export function buildNextChunk(session: NormalSyncSession): void {
  if (session.nextChunk || session.chunksDone) return;
  const { reply, done, taken } = buildChunk(session);
  session.nextChunk = { reply: new CompressedJson(reply), done, taken };
}

function buildChunk(session: NormalSyncSession): { reply: RawJson; done: boolean; taken: PendingChunkIds } {
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
  const done = limit > 0;
  let json = `{"done":${String(done)}`;
  if (take.revlog.length > 0) json += `,"revlog":${rowsJson(db, 'revlog', REVLOG_COLUMNS, take.revlog)}`;
  if (take.notes.length > 0) {
    const rows = prepared(
      db,
      'SELECT t.id, t.guid, t.mid, t.mod, t.usn, t.tags, t.flds FROM json_each(?) AS j JOIN notes AS t ON t.id = j.value ORDER BY j.key',
      'raw',
    ).all(JSON.stringify(take.notes)) as [number, string, number, number, number, string, string][];
    // The last four elements are fixed on the wire; the receiver recomputes sfld/csum (§6.3).
    const notes = rows.map((r) => [r[0], r[1], r[2], r[3], r[4], joinTagsForWire(r[5]), r[6], '', '', 0, ''] satisfies NoteRow);
    json += `,"notes":${JSON.stringify(notes)}`;
  }
  if (take.cards.length > 0) json += `,"cards":${rowsJson(db, 'cards', CARD_COLUMNS, take.cards)}`;
  return { reply: new RawJson(`${json}}`), done, taken: take };
}

/**
 * The rows with these ids as a JSON array of positional arrays, in the order of `ids`; ids whose
 * row is gone are skipped. One statement per table, the ids passed as one JSON parameter.
 */
function rowsJson(db: Database.Database, table: 'revlog' | 'cards', columns: readonly string[], ids: readonly number[]): string {
  const sql =
    `SELECT json_group_array(json_array(${columns.map((c) => `t.${c}`).join(', ')}) ORDER BY j.key) ` +
    `FROM json_each(?) AS j JOIN ${table} AS t ON t.id = j.value`;
  return prepared(db, sql, 'pluck').get(JSON.stringify(ids)) as string;
}

/** After a reply that leaves rows to send (chunk, applyChanges): the next chunk is built while the client works. */
export function buildNextChunkAhead(session: NormalSyncSession, ctx: MethodContext): void {
  if (!session.chunksDone) session.afterReply(ctx.logger, 'building the next chunk ahead failed', () => buildNextChunk(session));
}

/** The wire method (sync/normal-sync.ts runs it). */
export const chunkStep: SyncStep<void> = {
  parse: (body) => parseEmptyBody(body, 'chunk'),
  keepsChunkAhead: true,
  run(session, _req, ctx) {
    // On the request's log line: whether the reply was built ahead.
    if (session.nextChunk) ctx.logFields.ahead = 'yes';
    return chunk(session);
  },
  after: buildNextChunkAhead,
};
