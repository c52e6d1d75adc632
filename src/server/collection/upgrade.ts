/**
 * Upgrading an uploaded collection of an older schema (11, 14–17) to the schema-18 file Hearth
 * stores (docs/protocol/schema.md §6, docs/protocol/collection-sync.md §5.11). Clients older than
 * 2.1.57 always upload schema 11; the reference accepts 14–17 as well, from any client.
 *
 * This is the reference's `upgrade_to_latest_schema(ver, server = false)` (the upload path opens
 * the file as a client would), step by step and in its order, inside one `BEGIN EXCLUSIVE`:
 * each step's DDL, then the JSON of the `col` row moved into the new tables through the same
 * conversions normal sync uses (legacy/*). Hearth then keeps the file as it keeps every
 * collection: WAL, checkpointed, closed.
 *
 * One deliberate difference: where the reference writes usn −1 (a deck renamed while upgrading,
 * the low-ease card fix of schema 16), we write the file's `col.usn`, which is what the reference
 * itself writes when it upgrades with `server = true`. On a client −1 means "changed here, not
 * yet sent"; a server never sends such a row and never gives it another usn, and `sanityCheck2`
 * answers `bad` while any row has usn −1 (docs/protocol/collection-sync.md §5.8, as the
 * reference). With the reference's value, every normal sync after such an upload would fail its
 * sanity check and end in a full sync again.
 */
import { randomInt } from 'node:crypto';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type Database from 'better-sqlite3';
import { systemClock, type Clock } from '../clock.ts';
import { checkpointAndClose, openCollection } from './open.ts';
import { SCHEMA14_UPGRADE, SCHEMA15_UPGRADE, SCHEMA17_UPGRADE, SCHEMA18_UPGRADE } from './schema.ts';
import {
  f32,
  isJsonObject,
  jsonBytes,
  jsonInt,
  parseJson,
  parseJsonBytes,
  setKey,
  type JsonObject,
  type JsonValue,
} from './legacy/json.ts';
import { deckConfigFromLegacy } from './legacy/deck-config.ts';
import { deckFromLegacy, humanDeckName } from './legacy/deck.ts';
import { notetypeFromLegacy, type DbInt } from './legacy/notetype.ts';
import { serdeValueJson } from './legacy/serde-value.ts';
import { DeckConfig_ConfigSchema } from './proto/gen/deck_config_pb.js';
import { Deck_KindContainerSchema } from './proto/gen/decks_pb.js';

/** The schema versions an uploaded file may have besides 18 (12 and 13 were never released). */
const UPGRADABLE_VERSIONS: ReadonlySet<unknown> = new Set([11, 14, 15, 16, 17]);

/**
 * Upgrades the collection file at `path` in place to schema 18 and leaves it in WAL mode,
 * checkpointed and closed. Its integrity must have been checked already. Throws for any other
 * `col.ver` and for content the reference would refuse; the content is then rolled back, but the
 * file may be in WAL mode with a `-wal` beside it, for the caller to delete.
 * `clock` gives the mtime of decks renamed on the way.
 */
export function upgradeCollectionFile(path: string, clock: Clock = systemClock): void {
  // WAL and exclusive locking like every collection we open; the reference's open switches an
  // uploaded DELETE-mode file to WAL the same way before it upgrades.
  const db = openCollection(path);
  try {
    const ver: unknown = db.prepare('SELECT ver FROM col').pluck().get();
    if (!UPGRADABLE_VERSIONS.has(ver)) throw new Error(`cannot upgrade a collection of schema ${String(ver)}`);
    db.exec('BEGIN EXCLUSIVE');
    try {
      upgradeToLatestSchema(db, ver as number, clock);
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw err;
    }
  } catch (err) {
    db.close();
    throw err;
  }
  checkpointAndClose(db);
}

function upgradeToLatestSchema(db: Database.Database, ver: number, clock: Clock): void {
  // See the header: the usn the reference's server-side upgrade writes.
  const usn = db.prepare('SELECT usn FROM col').pluck().get() as number;
  if (ver < 14) {
    db.exec(SCHEMA14_UPGRADE);
    db.exec('UPDATE col SET ver = 14');
    upgradeDeckConfigsToSchema14(db);
    upgradeTagsToSchema14(db);
    upgradeConfigToSchema14(db);
  }
  if (ver < 15) {
    db.exec(SCHEMA15_UPGRADE);
    db.exec('UPDATE col SET ver = 15');
    // Where the reference analyzes: a new collection's sqlite_stat1 rows come from here too.
    db.exec('ANALYZE');
    upgradeNotetypesToSchema15(db);
    upgradeDecksToSchema15(db, usn, Math.floor(clock.nowMs() / 1000));
    upgradeDeckConfigsToSchema15(db);
  }
  if (ver < 16) {
    upgradeDeckConfigsToSchema16(db, usn);
    db.exec('UPDATE col SET ver = 16');
  }
  if (ver < 17) {
    upgradeTagsToSchema17(db);
    db.exec('UPDATE col SET ver = 17');
  }
  if (ver < 18) {
    db.exec(SCHEMA18_UPGRADE);
    db.exec('UPDATE col SET ver = 18');
  }
}

// --- reading the col row's JSON --------------------------------------------------------------

type ColJsonColumn = 'conf' | 'models' | 'decks' | 'dconf' | 'tags';

/** One of the `col` row's JSON maps, parsed losslessly (duplicate keys: the last one wins, as in serde). */
function colMap(db: Database.Database, column: ColJsonColumn): JsonObject {
  const text: unknown = db.prepare(`SELECT ${column} FROM col`).pluck().get();
  let value: JsonValue;
  try {
    if (typeof text !== 'string') throw new SyntaxError('not text');
    value = parseJson(text);
  } catch (err) {
    throw new Error(`decoding col.${column}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (!isJsonObject(value)) throw new Error(`decoding col.${column}: not a JSON object`);
  return value;
}

/** The entries of a map the reference reads with integer (id) keys; a key that is not an i64 fails, as in serde. */
function idEntries(map: JsonObject, column: ColJsonColumn): [DbInt, JsonValue][] {
  return Object.keys(map).map((key) => {
    const id = /^-?\d+$/.test(key) ? BigInt(key) : undefined;
    if (id === undefined || id !== BigInt.asIntN(64, id)) throw new Error(`decoding col.${column}: invalid id ${JSON.stringify(key)}`);
    return [jsonInt(id), map[key] as JsonValue];
  });
}

/** Blanks a moved JSON column, as each reference step does. */
function clearColumn(db: Database.Database, column: ColJsonColumn): void {
  db.exec(`UPDATE col SET ${column} = ''`);
}

/**
 * A set of names compared as the reference's `HashSet<UniCase<String>>` compares them, kept in a
 * temporary table with the `unicase` collation (JavaScript has no Unicode case folding; the
 * collation is the one the name indexes use, docs/protocol/schema.md §2).
 */
class UnicaseNames {
  private readonly db: Database.Database;
  private readonly table: string;
  private readonly insert: Database.Statement<[string]>;
  private readonly empty: Database.Statement<[]>;

  constructor(db: Database.Database, table: string) {
    this.db = db;
    this.table = table;
    db.exec(`CREATE TEMP TABLE ${table} (name text NOT NULL PRIMARY KEY COLLATE unicase) WITHOUT ROWID`);
    this.insert = db.prepare(`INSERT OR IGNORE INTO temp.${table} (name) VALUES (?)`);
    this.empty = db.prepare(`DELETE FROM temp.${table}`);
  }

  /** Adds `name`; false if an equal name is already in the set. */
  add(name: string): boolean {
    return this.insert.run(name).changes === 1;
  }

  clear(): void {
    this.empty.run();
  }

  drop(): void {
    this.db.exec(`DROP TABLE temp.${this.table}`);
  }
}

// --- schema 14: deck configs, tags and config leave the col row --------------------------------

/**
 * `col.dconf` into `deck_config`, each blob still the legacy JSON (schema 14 kept it so). The
 * object must convert (the reference parses it here), and its id is forced to the map's key
 * ("buggy clients may have failed to set inner id to match hash key"). The reference stores its
 * own printing of the parsed object; we store the object as it came, which the next step reads
 * to the same values.
 */
function upgradeDeckConfigsToSchema14(db: Database.Database): void {
  const insert = db.prepare('INSERT INTO deck_config (id, name, mtime_secs, usn, config) VALUES (?, ?, ?, ?, ?)');
  for (const [id, value] of idEntries(colMap(db, 'dconf'), 'dconf')) {
    const row = deckConfigFromLegacy(value);
    const json = { ...(value as JsonObject) };
    setKey(json, 'id', id);
    insert.run(id, row.name, row.mtime_secs, row.usn, jsonBytes(json));
  }
  clearColumn(db, 'dconf');
}

/**
 * `col.tags` (`{tag: usn}`) into `tags`; of two names equal under unicase the first one walked
 * stays (the reference walks a HashMap: random).
 */
function upgradeTagsToSchema14(db: Database.Database): void {
  const insert = db.prepare('INSERT OR IGNORE INTO tags (tag, usn) VALUES (?, ?)');
  const map = colMap(db, 'tags');
  for (const tag of Object.keys(map)) {
    const usn = map[tag];
    if (typeof usn !== 'number' || !Number.isInteger(usn) || usn !== (usn | 0)) {
      throw new Error(`decoding col.tags: the usn of ${JSON.stringify(tag)} is not an i32`);
    }
    insert.run(tag, usn);
  }
  clearColumn(db, 'tags');
}

/**
 * `col.conf` into `config` rows with usn 0 and mtime 0, each value printed as the reference
 * prints a parsed serde `Value` (serde-value.ts).
 */
function upgradeConfigToSchema14(db: Database.Database): void {
  const map = colMap(db, 'conf');
  db.exec('DELETE FROM config');
  const insert = db.prepare('INSERT OR REPLACE INTO config (KEY, usn, mtime_secs, val) VALUES (?, 0, 0, ?)');
  for (const key of Object.keys(map)) insert.run(key, Buffer.from(serdeValueJson(map[key] as JsonValue), 'utf8'));
  clearColumn(db, 'conf');
}

// --- schema 15: notetypes and decks become tables; deck configs protobuf ----------------------

/**
 * `col.models` into `notetypes`, `fields` and `templates`. As the reference: a notetype whose
 * key is 0 gets a random id; notetype, field and template names are put in NFC; template names,
 * then field names, made unique within the notetype by appending `+`, and notetype names unique
 * by appending `_` (all compared with unicase). Which of two equal notetype names gets the suffix
 * depends on the order the map is walked in: ours is the parsed object's key order, the
 * reference's a HashMap's, which is random.
 */
function upgradeNotetypesToSchema15(db: Database.Database): void {
  const putNotetype = db.prepare('INSERT OR REPLACE INTO notetypes (id, name, mtime_secs, usn, config) VALUES (?, ?, ?, ?, ?)');
  const delFields = db.prepare('DELETE FROM fields WHERE ntid = ?');
  const delTemplates = db.prepare('DELETE FROM templates WHERE ntid = ?');
  const putField = db.prepare('INSERT INTO fields (ntid, ord, name, config) VALUES (?, ?, ?, ?)');
  const putTemplate = db.prepare('INSERT INTO templates (ntid, ord, name, mtime_secs, usn, config) VALUES (?, ?, ?, ?, ?, ?)');
  const notetypeNames = new UnicaseNames(db, 'upgrade_notetype_names');
  const partNames = new UnicaseNames(db, 'upgrade_part_names');
  const unique = (names: UnicaseNames, name: string, suffix: string): string => {
    let candidate = name;
    while (!names.add(candidate)) candidate += suffix;
    return candidate;
  };

  for (const [key, value] of idEntries(colMap(db, 'models'), 'models')) {
    const { notetype, fields, templates } = notetypeFromLegacy(value);
    let ntid = key;
    let id = notetype.id;
    // "note types with id 0 found in the wild; assign a random ID": a u32, at least 1.
    if (Number(ntid) === 0) ntid = id = Math.max(randomInt(2 ** 32), 1);
    if (Number(id) === 0) throw new Error('notetype with id 0 passed in as existing');

    const templateNames = templates.map((t) => t.name.normalize('NFC'));
    const fieldNames = fields.map((f) => f.name.normalize('NFC'));
    partNames.clear();
    const uniqueTemplates = templateNames.map((name) => unique(partNames, name, '+'));
    partNames.clear();
    const uniqueFields = fieldNames.map((name) => unique(partNames, name, '+'));
    const name = unique(notetypeNames, notetype.name.normalize('NFC'), '_');

    putNotetype.run(id, name, notetype.mtime_secs, notetype.usn, notetype.config);
    delFields.run(ntid);
    fields.forEach((f, ord) => putField.run(ntid, ord, uniqueFields[ord] as string, f.config));
    delTemplates.run(ntid);
    templates.forEach((t, ord) => putTemplate.run(ntid, ord, uniqueTemplates[ord] as string, t.mtime_secs, t.usn, t.config));
  }
  notetypeNames.drop();
  partNames.drop();
  clearColumn(db, 'models');
}

/**
 * `col.decks` into `decks`. A deck whose name changes when normalised (docs/protocol/collection-sync.md
 * §7.2), or which must take a `_` suffix to be unique (unicase), is marked modified: mtime now,
 * usn = `usn` (the reference: −1; see the header). Which of two equal names gets the suffix
 * depends on the walking order, as for notetypes.
 */
function upgradeDecksToSchema15(db: Database.Database, usn: number, nowSecs: number): void {
  const put = db.prepare('INSERT OR REPLACE INTO decks (id, name, mtime_secs, usn, common, kind) VALUES (?, ?, ?, ?, ?, ?)');
  const names = new UnicaseNames(db, 'upgrade_deck_names');
  for (const [, value] of idEntries(colMap(db, 'decks'), 'decks')) {
    const row = deckFromLegacy(value);
    let modified = humanDeckName(row.name) !== (value as JsonObject).name;
    while (!names.add(row.name)) {
      row.name += '_';
      modified = true;
    }
    if (modified) {
      row.mtime_secs = nowSecs;
      row.usn = usn;
    }
    if (Number(row.id) === 0) throw new Error('deck with id 0');
    put.run(row.id, row.name, row.mtime_secs, row.usn, row.common, row.kind);
  }
  names.drop();
  clearColumn(db, 'decks');
}

/** Each `deck_config` blob from legacy JSON to protobuf; schema 15 stored the initial ease × 100 (in f32). */
function upgradeDeckConfigsToSchema15(db: Database.Database): void {
  const update = db.prepare('UPDATE deck_config SET name = ?, mtime_secs = ?, usn = ?, config = ? WHERE id = ?');
  for (const blob of db.prepare('SELECT config FROM deck_config').pluck().all() as Uint8Array[]) {
    const row = deckConfigFromLegacy(parseJsonBytes(blob));
    const config = fromBinary(DeckConfig_ConfigSchema, row.config);
    config.initialEase = f32(config.initialEase * 100);
    update.run(row.name, row.mtime_secs, row.usn, toBinary(DeckConfig_ConfigSchema, config), row.id);
  }
}

// --- schema 16: the initial ease as a factor again --------------------------------------------

/**
 * The initial ease ÷ 100 (f32, stored values not validated). Options left at 1.3 or below by a
 * schema-15 bug go back to 2.5, and the cards of the decks using them that were given a factor
 * of 2000 or less (not 0: new cards) get 2500, with usn = `usn` (the reference: −1; see the header).
 */
function upgradeDeckConfigsToSchema16(db: Database.Database, usn: number): void {
  const update = db.prepare('UPDATE deck_config SET config = ? WHERE id = ?');
  const lowEase: bigint[] = [];
  for (const { id, config: blob } of db.prepare('SELECT id, config FROM deck_config').all() as { id: DbInt; config: Uint8Array }[]) {
    const config = fromBinary(DeckConfig_ConfigSchema, blob);
    config.initialEase = f32(config.initialEase / 100);
    if (config.initialEase <= f32(1.3)) {
      config.initialEase = 2.5;
      lowEase.push(BigInt(id));
    }
    update.run(toBinary(DeckConfig_ConfigSchema, config), id);
  }
  if (lowEase.length === 0) return;

  const affected: string[] = [];
  for (const { id, kind } of db.prepare('SELECT id, kind FROM decks').all() as { id: DbInt; kind: Uint8Array }[]) {
    const container = fromBinary(Deck_KindContainerSchema, kind);
    if (container.kind.case === undefined) throw new Error(`invalid deck kind: ${String(id)}`);
    if (container.kind.case === 'normal' && lowEase.includes(container.kind.value.configId)) affected.push(String(id));
  }
  const ids = `(${affected.join(',')})`;
  db.prepare(`UPDATE cards SET factor = 2500, usn = ? WHERE factor != 0 AND factor <= 2000 AND (did IN ${ids} OR odid IN ${ids})`).run(usn);
}

// --- schema 17: tags gain collapsed and config --------------------------------------------------

/** The table rebuilt; every tag comes back collapsed (the reference's new `Tag` is not expanded). */
function upgradeTagsToSchema17(db: Database.Database): void {
  const tags = db.prepare('SELECT tag, usn FROM tags').all() as { tag: string; usn: number }[];
  db.exec(SCHEMA17_UPGRADE);
  const insert = db.prepare('INSERT OR REPLACE INTO tags (tag, usn, collapsed) VALUES (?, ?, 1)');
  for (const { tag, usn } of tags) insert.run(tag, usn);
}
