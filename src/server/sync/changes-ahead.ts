/**
 * The server's side of `applyChanges` for the next device, built as soon as a sync has finished.
 *
 * Why: in a family the usual pattern is one device syncing its reviews and another pulling them
 * soon after (the desktop, then the phone). What the second device gets in `applyChanges` —
 * every deck, deck option and notetype the first one changed, converted to the wire's legacy
 * JSON, plus the config — is then exactly the objects the finished sync wrote: those carry its
 * usn, and a device that was up to date before it asks for `usn >= ` that usn. Converting them took
 * 2.5–3.5 ms of a pull's `applyChanges` (the official server: ~0.5 ms); built right after
 * `finish`, while the server is idle, the request only sends the text.
 *
 * A reply built ahead is used only while it is certainly what would be computed now: for the
 * same client usn, on the same open collection, and with no row written through that connection
 * since it was built (SQLite's `total_changes()`, which counts every insert, update and delete —
 * a sync that finished since, or the graves of the pulling sync itself). The collection is only
 * ever written through this connection (it is opened in exclusive locking mode), and a full
 * upload replaces the connection. Several devices pulling the same changes all use it.
 */
import type Database from 'better-sqlite3';
import { prepared } from '../util/prepared.ts';

/** The reply's two parts: the objects (`{"models":…,"decks":…,"tags":…}`) and `"conf":…,"crt":…`. */
export interface ServerChangesText {
  readonly objects: string;
  readonly confAndCrt: string;
}

export interface ChangesAhead extends ServerChangesText {
  readonly db: Database.Database;
  readonly clientUsn: number;
  /** `total_changes()` of the connection when it was built. */
  readonly writes: number;
}

/** Replies bigger than this (many changed notetypes with long templates) are not kept. */
const MAX_KEPT_CHARS = 4 * 1024 * 1024;

function writesSoFar(db: Database.Database): number {
  return prepared(db, 'SELECT total_changes()', 'pluck').get() as number;
}

/** Builds the reply a device at `clientUsn` would get now; undefined when it is too big to keep. */
export function buildChangesAhead(
  db: Database.Database,
  clientUsn: number,
  build: (db: Database.Database, clientUsn: number) => ServerChangesText,
): ChangesAhead | undefined {
  const writes = writesSoFar(db);
  const text = build(db, clientUsn);
  if (text.objects.length + text.confAndCrt.length > MAX_KEPT_CHARS) return undefined;
  return { ...text, db, clientUsn, writes };
}

/** The reply built ahead if it is still exactly what `build` would give for this client now. */
export function usableChangesAhead(
  ahead: ChangesAhead | undefined,
  db: Database.Database,
  clientUsn: number,
): ServerChangesText | undefined {
  if (!ahead || ahead.db !== db || !db.open || ahead.clientUsn !== clientUsn) return undefined;
  return ahead.writes === writesSoFar(db) ? ahead : undefined;
}
