/**
 * The per-user media database `media.db`, in the official server's format (docs/protocol/media-sync.md
 * §4.2, user_version 4), so a data folder moves between the two servers with no media resync:
 * same tables, same columns, `csum` as the raw 20-byte SHA-1, `size = 0` for a deletion record,
 * and one `meta` row holding the media usn and the totals.
 */
import Database from 'better-sqlite3';
import { prepared } from '../util/prepared.ts';
import type { MediaChange } from './protocol.ts';

const SCHEMA_V4 = `
CREATE TABLE IF NOT EXISTS media (
  fname text NOT NULL PRIMARY KEY,
  csum blob NOT NULL,
  size int NOT NULL,
  usn int NOT NULL,
  mtime int NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_usn ON media (usn);
CREATE TABLE IF NOT EXISTS meta (
  last_usn int NOT NULL,
  total_bytes int NOT NULL,
  total_nonempty_files int NOT NULL
);
`;

/** Opens (creating if needed) a media database with the reference's connection settings. */
export function openMediaDb(path: string): Database.Database {
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('locking_mode = exclusive');
    db.pragma('journal_mode = wal');
    // Durable per media sync, not per request: see makeMediaDurable().
    db.pragma('synchronous = normal');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) {
      db.transaction(() => {
        db.exec(SCHEMA_V4);
        db.prepare('INSERT INTO meta (last_usn, total_bytes, total_nonempty_files) VALUES (0, 0, 0)').run();
        db.pragma('user_version = 4');
      }).immediate();
    } else if (version !== 4) {
      throw new Error(`media.db has schema version ${version}; Hearth reads version 4 (Anki 2.1.57+ servers)`);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Makes every committed media change durable: copies the WAL into media.db and syncs both files
 * (with `synchronous = normal`, a checkpoint syncs the WAL before and the database after).
 *
 * Why not sync each commit, as the official server does: a media sync of 5,000 small files is
 * 200 `uploadChanges` requests, and a sync per commit was ~1.2 ms each on an SSD (a third of the
 * request) and ~10 ms on a spinning disk, still common in family PCs. In WAL mode with
 * `synchronous = normal` a power cut can only take away the last commits, whole, never leave
 * media.db inconsistent. The client ends every media sync that changed anything with
 * `mediaSanity`, which calls this before answering, so a sync the client reports as done is on
 * disk. If the power fails mid-sync instead, the client's next sync finds a lower media usn and
 * different file counts at its sanity check, drops its media state and sends what is missing
 * again (rslib `finalize_sync`): slower once, nothing lost. Closing the database checkpoints too.
 */
export function makeMediaDurable(db: Database.Database): void {
  db.pragma('wal_checkpoint(PASSIVE)');
}

/** The media usn reported by `meta` (`media_usn`); 0 when the user has no media database yet. */
export function readMediaUsn(db: Database.Database): number {
  const row = prepared(db, 'SELECT last_usn AS usn FROM meta').get() as { usn: number } | undefined;
  return row?.usn ?? 0;
}

/** The `meta` row. */
export interface MediaMeta {
  lastUsn: number;
  /** Sum of the sizes of the files that exist. */
  totalBytes: number;
  /** How many files exist; what `mediaSanity` compares. */
  totalNonemptyFiles: number;
}

/** One `media` row. A row with `size = 0` records a deletion (its `csum` is the last content's). */
export interface MediaEntry {
  readonly fname: string;
  /** Raw 20-byte SHA-1. */
  readonly csum: Buffer;
  readonly size: number;
  readonly usn: number;
  /** Seconds; when the server last changed the row. */
  readonly mtime: number;
}

/** Prepared once per connection; the media methods run the same few statements all the time. */
const stmt = (db: Database.Database, sql: string): Database.Statement => prepared(db, sql);

export function readMeta(db: Database.Database): MediaMeta {
  const row = stmt(db, 'SELECT last_usn, total_bytes, total_nonempty_files FROM meta').get() as
    { last_usn: number; total_bytes: number; total_nonempty_files: number } | undefined;
  if (!row) throw new Error('media.db has no meta row');
  return { lastUsn: row.last_usn, totalBytes: row.total_bytes, totalNonemptyFiles: row.total_nonempty_files };
}

export function writeMeta(db: Database.Database, meta: MediaMeta): void {
  stmt(db, 'UPDATE meta SET last_usn = ?, total_bytes = ?, total_nonempty_files = ?').run(
    meta.lastUsn,
    meta.totalBytes,
    meta.totalNonemptyFiles,
  );
}

export function getEntry(db: Database.Database, fname: string): MediaEntry | undefined {
  return stmt(db, 'SELECT fname, csum, size, usn, mtime FROM media WHERE fname = ?').get(fname) as MediaEntry | undefined;
}

/** The row of a file that exists (a deletion record counts as absent, docs/protocol/media-sync.md §3.4). */
export function getNonEmptyEntry(db: Database.Database, fname: string): MediaEntry | undefined {
  const entry = getEntry(db, fname);
  return entry && entry.size > 0 ? entry : undefined;
}

/** What sending a file needs from its row. */
export type SizedName = Pick<MediaEntry, 'fname' | 'size'>;

/** The named files that exist, by name, in one statement (a request names up to 25). */
function existingByName<T extends { fname: string }>(db: Database.Database, columns: string, fnames: readonly string[]): Map<string, T> {
  const rows = stmt(db, `SELECT ${columns} FROM media WHERE fname IN (SELECT value FROM json_each(?)) AND size > 0`).all(
    JSON.stringify(fnames),
  ) as T[];
  return new Map(rows.map((r) => [r.fname, r]));
}

/**
 * Name and size of the named files that exist: what a download needs. Without the checksums (a
 * Buffer each) one query for 25 names is a fifth of the time of 25 lookups.
 */
export function existingSizes(db: Database.Database, fnames: readonly string[]): Map<string, SizedName> {
  return existingByName<SizedName>(db, 'fname, size', fnames);
}

/** The whole rows of the named files that exist: what an upload compares against. */
export function existingEntries(db: Database.Database, fnames: readonly string[]): Map<string, MediaEntry> {
  return existingByName<MediaEntry>(db, 'fname, csum, size, usn, mtime', fnames);
}

/** Writes a row, replacing any row of that name; the caller keeps `meta` in step. */
export function setEntry(db: Database.Database, entry: MediaEntry): void {
  stmt(db, 'INSERT OR REPLACE INTO media (fname, csum, size, usn, mtime) VALUES (?, ?, ?, ?, ?)').run(
    entry.fname,
    entry.csum,
    entry.size,
    entry.usn,
    entry.mtime,
  );
}

/**
 * Changes after `afterUsn`, oldest first. The reference's query has no ORDER BY and relies on
 * the usn index; the client takes the last entry's usn as its new cursor, so the order is
 * made explicit here (docs/protocol/media-sync.md §3.2).
 */
export function changesAfter(db: Database.Database, afterUsn: number, limit: number): MediaChange[] {
  const rows = stmt(
    db,
    `SELECT fname, usn, CASE WHEN size > 0 THEN lower(hex(csum)) ELSE '' END AS sha1
     FROM media WHERE usn > ? ORDER BY usn, fname LIMIT ?`,
  ).all(afterUsn, limit) as { fname: string; usn: number; sha1: string }[];
  return rows.map((r): MediaChange => [r.fname, r.usn, r.sha1]);
}

/** Names of all files that exist. */
export function nonEmptyNames(db: Database.Database): string[] {
  return (stmt(db, 'SELECT fname FROM media WHERE size > 0').all() as { fname: string }[]).map((r) => r.fname);
}

/** One transaction wrapper per connection: better-sqlite3 builds four functions per `transaction()` call. */
const mediaTransactions = new WeakMap<Database.Database, Database.Transaction<(body: (meta: MediaMeta) => unknown) => unknown>>();

/**
 * Runs `fn` in an exclusive transaction with the current meta, writes the meta back and commits
 * when it returns, rolls everything back when it throws (the reference's `with_transaction`).
 */
export function withMediaTransaction<T>(db: Database.Database, fn: (meta: MediaMeta) => T): T {
  let tx = mediaTransactions.get(db);
  if (!tx) {
    tx = db.transaction((body: (meta: MediaMeta) => unknown) => {
      const meta = readMeta(db);
      const out = body(meta);
      writeMeta(db, meta);
      return out;
    });
    mediaTransactions.set(db, tx);
  }
  return tx.exclusive(fn) as T;
}

/**
 * Drops the row of a file that has vanished from disk, leaving no deletion record so the
 * deletion cannot spread to other devices (docs/protocol/media-sync.md §3.3, reference `forget_missing_file`).
 */
export function forgetMissingFile(db: Database.Database, entry: SizedName): void {
  withMediaTransaction(db, (meta) => {
    stmt(db, 'DELETE FROM media WHERE fname = ?').run(entry.fname);
    meta.totalBytes = Math.max(0, meta.totalBytes - entry.size);
    meta.totalNonemptyFiles = Math.max(0, meta.totalNonemptyFiles - 1);
  });
}
