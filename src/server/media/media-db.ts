/**
 * The per-user media database `media.db`, in the official server's format (spec media-sync.md
 * §4.2, user_version 4), so a data folder moves between the two servers with no media resync.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';

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
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) {
      db.transaction(() => {
        db.exec(SCHEMA_V4);
        db.prepare('INSERT INTO meta (last_usn, total_bytes, total_nonempty_files) VALUES (0, 0, 0)').run();
        db.pragma('user_version = 4');
      }).immediate();
    } else if (version !== 4) {
      throw new Error(`media.db has schema version ${version}; Hearth reads version 4 (Anki 2.1.50+ servers)`);
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** The media usn reported by `meta` (`media_usn`); 0 when the user has no media database yet. */
export function readMediaUsn(db: Database.Database): number {
  const row = db.prepare('SELECT last_usn AS usn FROM meta').get() as { usn: number } | undefined;
  return row?.usn ?? 0;
}

export function mediaDbExists(path: string): boolean {
  return existsSync(path);
}
