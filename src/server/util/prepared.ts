/**
 * Statements prepared once per connection. A sync runs the same few statements for every row
 * and request; preparing them again each time was a measurable share of a normal sync: 11–14 ms
 * of a 2,000-card push when `applyChunk` compiled its statements on every request
 * (docs/lab-notes/2026-11-21-normal-sync.md). The mode (raw rows, plucked first column) is part of the key, because
 * better-sqlite3 sets it on the statement object itself.
 */
import type Database from 'better-sqlite3';

export type StatementMode = 'objects' | 'raw' | 'pluck';

const cache = new WeakMap<Database.Database, Map<string, Database.Statement>>();

export function prepared(db: Database.Database, sql: string, mode: StatementMode = 'objects'): Database.Statement {
  let byText = cache.get(db);
  if (!byText) {
    byText = new Map();
    cache.set(db, byText);
  }
  const key = `${mode}\u0000${sql}`;
  let s = byText.get(key);
  if (!s) {
    s = db.prepare(sql);
    if (mode === 'raw') s.raw(true);
    else if (mode === 'pluck') s.pluck(true);
    byText.set(key, s);
  }
  return s;
}
