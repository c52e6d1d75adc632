/**
 * Opening and closing collection files the way the reference does (docs/protocol/schema.md §1), so that a
 * file we hand to a client is in the state the client expects, and a file a client uploads
 * is read with the same settings it was written with.
 */
import Database from 'better-sqlite3';
import { loadUnicase } from './unicase.ts';

export interface OpenCollectionOptions {
  /**
   * Refuse every write on this connection (`PRAGMA query_only`), e.g. to inspect a file.
   * The file is still opened for writing: SQLite cannot combine a read-only file handle with
   * exclusive locking on a WAL database (it fails with SQLITE_IOERR_LOCK), and dropping
   * exclusive locking would create a `-shm` file and let a second connection in. A read-only
   * open also leaves the journal mode alone (a legacy DELETE-mode upload stays as it is).
   * Default false.
   */
  readonly?: boolean;
  /**
   * Fail if the file does not exist (default true), so a typo or a missing user folder
   * never silently creates an empty database. Only collection creation turns this off.
   */
  mustExist?: boolean;
}

/**
 * Opens a collection with the reference connection setup, in the reference order:
 * - busy timeout 0: the reference fails at once rather than waiting on a lock; the server
 *   serialises access per user itself, so waiting would only hide a bug;
 * - locking_mode exclusive: one connection owns the file while open, and WAL then needs
 *   no `-shm` file;
 * - page_size 4096 (only affects newly created files), cache_size 40 MiB;
 * - legacy_file_format off (this SQLite build omits the deprecated pragma, so it is a
 *   no-op here, kept to mirror the reference);
 * - journal_mode wal: persistent in the file header; clients expect it;
 * - synchronous full: SQLite's default, which the reference keeps; the SQLite inside
 *   better-sqlite3 is built to default to NORMAL in WAL mode, where a power cut can undo the last
 *   commits — a sync the client was told had finished would be lost on the server;
 * - the `unicase` collation, without which the name indexes cannot be read or checked (§2).
 */
export function openCollection(path: string, opts: OpenCollectionOptions = {}): Database.Database {
  const readonly = opts.readonly ?? false;
  const db = new Database(path, {
    fileMustExist: readonly || (opts.mustExist ?? true),
    timeout: 0,
  });
  try {
    db.pragma('locking_mode = exclusive');
    db.pragma('page_size = 4096');
    db.pragma('cache_size = -40960');
    db.pragma('legacy_file_format = false');
    if (readonly) {
      db.pragma('query_only = true');
    } else {
      const mode: unknown = db.pragma('journal_mode = wal', { simple: true });
      // Anything but WAL means the file is not what we think it is (or the FS cannot do it).
      if (mode !== 'wal') {
        throw new Error(`could not switch ${path} to WAL journal mode (got ${String(mode)})`);
      }
      db.pragma('synchronous = full');
    }
    loadUnicase(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * Moves everything from the WAL into the main file, then closes. Required before the file
 * is read as bytes (full download, copy, backup): docs/protocol/schema.md §1. Like the reference's
 * checkpoint helper it refuses to run inside a transaction and requires the checkpoint to
 * report `busy = 0`; on failure the connection is left open so the caller can roll back.
 */
export function checkpointAndClose(db: Database.Database): void {
  if (db.inTransaction) {
    throw new Error('cannot checkpoint a collection with an open transaction');
  }
  // Allowed on query_only connections too: a checkpoint moves pages, it changes no content.
  const row = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
  const busy = row[0]?.busy;
  if (busy !== 0) {
    throw new Error(`unable to checkpoint collection (busy=${String(busy)})`);
  }
  db.close();
}
