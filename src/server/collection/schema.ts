/**
 * The collection schema (docs/protocol/schema.md §3, §6), as the DDL of each step the
 * reference takes from an empty file to schema 18.
 *
 * Why steps and not one final script: the reference creates every collection at schema 11
 * and then runs its upgrades (§7), so a new file's `sqlite_master` order, root pages and
 * `sqlite_stat1`/`sqlite_stat4` rows come from that sequence. Replaying the same steps gives
 * a file laid out like the official server's, and the same steps serve the 11→18 upgrade of
 * legacy uploads. Statements are formatted like the reference (one column per line) because
 * SQLite keeps the text verbatim in `sqlite_master`.
 *
 * Names must not change: the client's queries, and its `PRAGMA integrity_check` of every
 * downloaded file, depend on these tables, columns, indexes and the `unicase` collation.
 */

/** `col.ver` of every collection we store or serve (docs/protocol/schema.md §6). */
export const SCHEMA_VERSION = 18;
/** The oldest schema a client may upload (legacy clients send 11). */
export const SCHEMA_MIN_VERSION = 11;

/**
 * Schema 11: the legacy tables. `graves` here is the old layout without a primary key;
 * {@link SCHEMA18_UPGRADE} rebuilds it. The `col` row is inserted by the caller.
 */
export const SCHEMA11 = `
CREATE TABLE col (
  id integer PRIMARY KEY,
  crt integer NOT NULL,
  mod integer NOT NULL,
  scm integer NOT NULL,
  ver integer NOT NULL,
  dty integer NOT NULL,
  usn integer NOT NULL,
  ls integer NOT NULL,
  conf text NOT NULL,
  models text NOT NULL,
  decks text NOT NULL,
  dconf text NOT NULL,
  tags text NOT NULL
);
CREATE TABLE notes (
  id integer PRIMARY KEY,
  guid text NOT NULL,
  mid integer NOT NULL,
  mod integer NOT NULL,
  usn integer NOT NULL,
  tags text NOT NULL,
  flds text NOT NULL,
  -- sfld has integer affinity on purpose: sort fields holding numbers then sort numerically.
  sfld integer NOT NULL,
  csum integer NOT NULL,
  flags integer NOT NULL,
  data text NOT NULL
);
CREATE TABLE cards (
  id integer PRIMARY KEY,
  nid integer NOT NULL,
  did integer NOT NULL,
  ord integer NOT NULL,
  mod integer NOT NULL,
  usn integer NOT NULL,
  type integer NOT NULL,
  queue integer NOT NULL,
  due integer NOT NULL,
  ivl integer NOT NULL,
  factor integer NOT NULL,
  reps integer NOT NULL,
  lapses integer NOT NULL,
  left integer NOT NULL,
  odue integer NOT NULL,
  odid integer NOT NULL,
  flags integer NOT NULL,
  data text NOT NULL
);
CREATE TABLE revlog (
  id integer PRIMARY KEY,
  cid integer NOT NULL,
  usn integer NOT NULL,
  ease integer NOT NULL,
  ivl integer NOT NULL,
  lastIvl integer NOT NULL,
  factor integer NOT NULL,
  time integer NOT NULL,
  type integer NOT NULL
);
CREATE TABLE graves (
  usn integer NOT NULL,
  oid integer NOT NULL,
  type integer NOT NULL
);
CREATE INDEX ix_notes_usn ON notes (usn);
CREATE INDEX ix_cards_usn ON cards (usn);
CREATE INDEX ix_revlog_usn ON revlog (usn);
CREATE INDEX ix_cards_nid ON cards (nid);
CREATE INDEX ix_cards_sched ON cards (did, queue, due);
CREATE INDEX ix_revlog_cid ON revlog (cid);
CREATE INDEX ix_notes_csum ON notes (csum);
`;

/**
 * Schema 14: deck configs, config keys and tags move out of `col`'s JSON columns.
 * This `tags` layout is replaced in schema 17.
 */
export const SCHEMA14_UPGRADE = `
CREATE TABLE deck_config (
  id integer PRIMARY KEY NOT NULL,
  name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL,
  usn integer NOT NULL,
  config blob NOT NULL
);
CREATE TABLE config (
  KEY text NOT NULL PRIMARY KEY,
  usn integer NOT NULL,
  mtime_secs integer NOT NULL,
  val blob NOT NULL
) without rowid;
CREATE TABLE tags (
  tag text NOT NULL PRIMARY KEY COLLATE unicase,
  usn integer NOT NULL
) without rowid;
`;

/**
 * Schema 15: notetypes (with their fields and templates) and decks become tables of
 * protobuf blobs (docs/protocol/schema.md §5). The reference runs `ANALYZE` right after this step, which is
 * where a new collection's `sqlite_stat1` rows come from; the caller does that.
 */
export const SCHEMA15_UPGRADE = `
CREATE TABLE fields (
  ntid integer NOT NULL,
  ord integer NOT NULL,
  name text NOT NULL COLLATE unicase,
  config blob NOT NULL,
  PRIMARY KEY (ntid, ord)
) without rowid;
CREATE UNIQUE INDEX idx_fields_name_ntid ON fields (name, ntid);
CREATE TABLE templates (
  ntid integer NOT NULL,
  ord integer NOT NULL,
  name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL,
  usn integer NOT NULL,
  config blob NOT NULL,
  PRIMARY KEY (ntid, ord)
) without rowid;
CREATE UNIQUE INDEX idx_templates_name_ntid ON templates (name, ntid);
CREATE INDEX idx_templates_usn ON templates (usn);
CREATE TABLE notetypes (
  id integer NOT NULL PRIMARY KEY,
  name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL,
  usn integer NOT NULL,
  config blob NOT NULL
);
CREATE UNIQUE INDEX idx_notetypes_name ON notetypes (name);
CREATE INDEX idx_notetypes_usn ON notetypes (usn);
CREATE TABLE decks (
  id integer PRIMARY KEY NOT NULL,
  name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL,
  usn integer NOT NULL,
  common blob NOT NULL,
  kind blob NOT NULL
);
CREATE UNIQUE INDEX idx_decks_name ON decks (name);
CREATE INDEX idx_notes_mid ON notes (mid);
CREATE INDEX idx_cards_odid ON cards (odid)
WHERE odid != 0;
`;

/**
 * Schema 17: `tags` gains `collapsed` and `config`. The caller copies existing tags out
 * before and back in after (a new collection has none).
 */
export const SCHEMA17_UPGRADE = `
DROP TABLE tags;
CREATE TABLE tags (
  tag text NOT NULL PRIMARY KEY COLLATE unicase,
  usn integer NOT NULL,
  collapsed boolean NOT NULL,
  config blob NULL
) without rowid;
`;

/**
 * Schema 18: `graves` gets the primary key (oid, type), so recording the same deletion twice
 * is a no-op (`INSERT OR IGNORE`); duplicates from the old table are dropped.
 */
export const SCHEMA18_UPGRADE = `
ALTER TABLE graves RENAME TO graves_old;
CREATE TABLE graves (
  oid integer NOT NULL,
  type integer NOT NULL,
  usn integer NOT NULL,
  PRIMARY KEY (oid, type)
) WITHOUT ROWID;
INSERT OR IGNORE INTO graves (oid, type, usn) SELECT oid, type, usn FROM graves_old;
DROP TABLE graves_old;
CREATE INDEX idx_graves_pending ON graves (usn);
`;

/**
 * The first step down to schema 11 (for the full download of a client older than 2.1.57,
 * docs/protocol/schema.md §6): `graves` back to the layout without a key (its index goes with
 * the old table). The `CREATE TABLE` text is the reference's, as SQLite keeps it in `sqlite_master`.
 */
export const SCHEMA18_DOWNGRADE = `
ALTER TABLE graves RENAME TO graves_old;
CREATE TABLE graves (
  usn integer NOT NULL,
  oid integer NOT NULL,
  type integer NOT NULL
);
INSERT INTO graves (usn, oid, type) SELECT usn, oid, type FROM graves_old;
DROP TABLE graves_old;
UPDATE col SET ver = 17;
`;

/**
 * The last step down to schema 11, once the tables' contents are in the `col` row's JSON
 * columns: the newer tables and the two newer indexes go.
 */
export const SCHEMA11_DOWNGRADE = `
DROP TABLE config;
DROP TABLE deck_config;
DROP TABLE tags;
DROP TABLE fields;
DROP TABLE templates;
DROP TABLE notetypes;
DROP TABLE decks;
DROP INDEX idx_cards_odid;
DROP INDEX idx_notes_mid;
UPDATE col SET ver = 11;
`;

/** Every table of a schema-18 collection (excluding SQLite's own `sqlite_stat*`). */
export const SCHEMA18_TABLES: readonly string[] = [
  'col',
  'notes',
  'cards',
  'revlog',
  'deck_config',
  'config',
  'fields',
  'templates',
  'notetypes',
  'decks',
  'tags',
  'graves',
];
