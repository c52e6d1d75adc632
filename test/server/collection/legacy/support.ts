// Helpers for the legacy-JSON tests: reading schema-18 rows the way the sync code will, and
// comparing JSON values with exact numbers.
import type Database from 'better-sqlite3';
import type { DeckConfigRow } from '../../../../src/server/collection/legacy/deck-config.ts';
import type { DeckRow } from '../../../../src/server/collection/legacy/deck.ts';
import { isLosslessNumber, parseJson, type JsonValue } from '../../../../src/server/collection/legacy/json.ts';
import type { FieldRow, NotetypeRow, TemplateRow } from '../../../../src/server/collection/legacy/notetype.ts';

export interface StoredNotetype {
  row: NotetypeRow;
  fields: FieldRow[];
  templates: TemplateRow[];
}

export function readNotetypes(db: Database.Database): StoredNotetype[] {
  const rows = db.prepare('SELECT id, name, mtime_secs, usn, config FROM notetypes ORDER BY id').all() as NotetypeRow[];
  const fields = db.prepare('SELECT ord, name, config FROM fields WHERE ntid = ? ORDER BY ord');
  const templates = db.prepare('SELECT ord, name, mtime_secs, usn, config FROM templates WHERE ntid = ? ORDER BY ord');
  return rows.map((row) => ({
    row,
    fields: fields.all(row.id) as FieldRow[],
    templates: templates.all(row.id) as TemplateRow[],
  }));
}

export function readNotetype(db: Database.Database, name: string): StoredNotetype {
  const nt = readNotetypes(db).find((n) => n.row.name === name);
  if (!nt) throw new Error(`no notetype ${name}`);
  return nt;
}

export function readDecks(db: Database.Database): DeckRow[] {
  return db.prepare('SELECT id, name, mtime_secs, usn, common, kind FROM decks ORDER BY id').all() as DeckRow[];
}

export function readDeckConfigs(db: Database.Database): DeckConfigRow[] {
  return db.prepare('SELECT id, name, mtime_secs, usn, config FROM deck_config ORDER BY id').all() as DeckConfigRow[];
}

/** Parses JSON text losslessly (see json.ts) so numbers can be compared by value or by text. */
export const json = (text: string): JsonValue => parseJson(text);

/**
 * A JSON value with every number replaced by its exact value as a string (`1.0` and `1` both
 * become "1"), so values can be compared with deepEqual regardless of how numbers are typed.
 */
export function numbersByValue(v: JsonValue): unknown {
  if (typeof v === 'number' || typeof v === 'bigint') return `#${String(v)}`;
  if (isLosslessNumber(v)) return `#${String(Number.parseFloat(v.value))}`;
  if (Array.isArray(v)) return v.map(numbersByValue);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, numbersByValue(x)]));
  }
  return v;
}
