/**
 * The schema-11 copy of a collection that a client older than 2.1.57 (sync protocol 8–10) gets
 * as its full download (docs/protocol/collection-sync.md §5.12, docs/protocol/schema.md §6).
 *
 * Such a client opens the downloaded file with a plain SQLite connection (no `unicase`
 * collation), requires `PRAGMA integrity_check` to say `ok` and the journal mode to be `delete`,
 * and upgrades the file itself on its next open. A schema-18 file fails both checks, so the
 * downgrade is required, not a nicety. The reference downgrades its own collection in place and
 * upgrades it again on the next request; that upgrade is not lossless (tags come back collapsed,
 * config rows lose their usn and mtime, ...), so we work on a copy and leave the stored
 * collection alone. The file the client gets is the same either way.
 */
import { constants, copyFileSync, rmSync, statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { openCollection } from './open.ts';
import { SCHEMA11_DOWNGRADE, SCHEMA18_DOWNGRADE, SCHEMA_VERSION } from './schema.ts';
import { allLegacyObjects, configJson } from './legacy/objects.ts';
import { setKey, stringifyJson, type JsonObject } from './legacy/json.ts';

/**
 * Copies the schema-18 collection at `source` (closed and checkpointed: nothing in a `-wal`)
 * to `target`, which must not exist, and turns the copy into a schema-11 file in rollback-journal
 * (`delete`) mode. On failure nothing is left at `target`.
 */
export function writeSchema11Copy(source: string, target: string): void {
  if (walBytes(source) > 0) throw new Error(`${source} has a write-ahead log; close and checkpoint it before copying`);
  copyFileSync(source, target, constants.COPYFILE_EXCL);
  try {
    // The copy is WAL like its source; openCollection keeps it so (with exclusive locking, so no
    // -shm) and loads `unicase`, which the schema-18 tables need until they are dropped.
    const db = openCollection(target);
    try {
      downgradeToSchema11(db);
      // As the reference's close(V11): the old clients insist on a rollback journal. Leaving WAL
      // mode moves the log into the file and deletes it.
      const mode: unknown = db.pragma('journal_mode = delete', { simple: true });
      if (mode !== 'delete') throw new Error(`could not switch ${target} to journal mode delete (got ${String(mode)})`);
    } catch (err) {
      db.close();
      throw err;
    }
    db.close();
  } catch (err) {
    for (const path of [target, `${target}-wal`, `${target}-shm`, `${target}-journal`]) rmSync(path, { force: true });
    throw err;
  }
}

function walBytes(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}

/**
 * The reference's `downgrade_to_schema_11`, in its order and in one exclusive transaction:
 * graves to the old layout; deck configs (validated on read, as the reference loads them),
 * decks, notetypes, config and tags into the `col` row as JSON maps keyed by id (or name);
 * then the newer tables and indexes dropped and `ver = 11`.
 *
 * The maps are printed losslessly (json.ts): ids are 64-bit and must stay exact. Config values
 * go in as the JSON text they are stored as; the reference re-prints each through a serde
 * `Value`, which only reorders object keys and reformats floats, and the client parses the map
 * into such `Value`s anyway when it upgrades the file.
 */
function downgradeToSchema11(db: Database.Database): void {
  db.exec('BEGIN EXCLUSIVE');
  try {
    const ver: unknown = db.prepare('SELECT ver FROM col').pluck().get();
    if (ver !== SCHEMA_VERSION) throw new Error(`cannot downgrade a collection of schema ${String(ver)}`);
    db.exec(SCHEMA18_DOWNGRADE);
    const { models, decks, configs } = allLegacyObjects(db);
    const setCol = (column: 'dconf' | 'decks' | 'models' | 'conf' | 'tags', json: string): void => {
      db.prepare(`UPDATE col SET ${column} = ?`).run(json);
    };
    setCol('dconf', stringifyJson(byId(configs)));
    setCol('decks', stringifyJson(byId(decks)));
    setCol('models', stringifyJson(byId(models)));
    setCol('conf', configJson(db));
    setCol('tags', stringifyJson(tagUsns(db)));
    db.exec(SCHEMA11_DOWNGRADE);
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

/** `{"<id>": object}`: serde_json writes a map with integer keys as strings. */
function byId(objects: readonly JsonObject[]): JsonObject {
  const map: JsonObject = {};
  for (const obj of objects) setKey(map, String(obj.id), obj);
  return map;
}

/** `{tag: usn}`; the `collapsed` and `config` columns have no place in schema 11. */
function tagUsns(db: Database.Database): JsonObject {
  const map: JsonObject = {};
  for (const { tag, usn } of db.prepare('SELECT tag, usn FROM tags').all() as { tag: string; usn: number }[]) setKey(map, tag, usn);
  return map;
}
