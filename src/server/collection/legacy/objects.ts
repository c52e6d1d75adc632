/**
 * The stored notetypes, decks, deck configs and config as the legacy JSON that schema 11 and the
 * wire carry (docs/protocol/collection-sync.md §7). Used by `applyChanges` for the objects a
 * client has not seen yet, and by the schema-11 copy a legacy client downloads (downgrade.ts),
 * which writes every one of them into the `col` row.
 */
import type Database from 'better-sqlite3';
import { prepared } from '../../util/prepared.ts';
import type { JsonObject } from './json.ts';
import { notetypeToLegacy } from './notetype.ts';
import type { FieldRow, NotetypeRow, TemplateRow } from './notetype.ts';
import { deckToLegacy } from './deck.ts';
import type { DeckRow } from './deck.ts';
import { deckConfigToLegacy } from './deck-config.ts';
import type { DeckConfigRow } from './deck-config.ts';

export interface LegacyObjects {
  models: JsonObject[];
  decks: JsonObject[];
  /** Validated on read, as the reference loads them (deck-config.ts). */
  configs: JsonObject[];
}

/** Notetypes, decks and deck configs with `usn >= minUsn`, as the legacy JSON of the wire. */
export function legacyObjectsSince(db: Database.Database, minUsn: number): LegacyObjects {
  return legacyObjects(db, 'WHERE usn >= ?', [minUsn]);
}

/** Every notetype, deck and deck config, whatever its usn. */
export function allLegacyObjects(db: Database.Database): LegacyObjects {
  return legacyObjects(db, '', []);
}

function legacyObjects(db: Database.Database, where: string, params: number[]): LegacyObjects {
  const fieldsOf = prepared(db, 'SELECT ord, name, config FROM fields WHERE ntid = ? ORDER BY ord');
  const templatesOf = prepared(db, 'SELECT ord, name, mtime_secs, usn, config FROM templates WHERE ntid = ? ORDER BY ord');
  const models = (prepared(db, `SELECT id, name, mtime_secs, usn, config FROM notetypes ${where}`).all(...params) as NotetypeRow[]).map(
    (nt) => notetypeToLegacy(nt, fieldsOf.all(nt.id) as FieldRow[], templatesOf.all(nt.id) as TemplateRow[]),
  );
  const decks = (prepared(db, `SELECT id, name, mtime_secs, usn, common, kind FROM decks ${where}`).all(...params) as DeckRow[]).map(
    deckToLegacy,
  );
  const configs = (
    prepared(db, `SELECT id, name, mtime_secs, usn, config FROM deck_config ${where}`).all(...params) as DeckConfigRow[]
  ).map((r) => deckConfigToLegacy(r));
  return { models, decks, configs };
}

/**
 * The config table as one JSON object, each value's stored JSON text sent as it is. Parsing the
 * ~30 values losslessly only to print them again was about 1 ms of every pull, and could only
 * give back the same value. Each text is still checked to be UTF-8 JSON, so a damaged value fails
 * the step (and rolls the sync back) instead of sending the client a reply it cannot read.
 */
export function configJson(db: Database.Database): string {
  const parts: string[] = [];
  for (const { KEY, val } of prepared(db, 'SELECT KEY, val FROM config').all() as { KEY: string; val: Uint8Array }[]) {
    let text: string;
    try {
      text = strictUtf8.decode(val);
      JSON.parse(text); // only a check: the text goes out unchanged, big integers included
    } catch {
      throw new Error(`config value ${JSON.stringify(KEY)} is not valid JSON`);
    }
    parts.push(`${JSON.stringify(KEY)}:${text}`);
  }
  return `{${parts.join(',')}}`;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
