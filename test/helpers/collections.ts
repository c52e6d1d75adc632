/** Builds small but valid schema-18 collections for HTTP-level tests, as a client would upload them. */
import { createCollection } from '../../src/server/collection/create.ts';
import { checkpointAndClose, openCollection } from '../../src/server/collection/open.ts';

export interface MadeCollection {
  readonly mod: number;
  readonly scm: number;
  readonly usn: number;
}

/**
 * A collection with `notes` Basic notes (one card each), prepared like a client prepares an
 * upload (docs/protocol/schema.md §8): usn 0 everywhere, scm = ls = now, mod >= scm.
 */
export function makeUploadableCollection(path: string, notes: number, nowMs = Date.now(), opts: { revlog?: number } = {}): MadeCollection {
  createCollection(path, { nowMs: () => nowMs - 60_000 });
  const db = openCollection(path);
  const basic = db.prepare("SELECT id FROM notetypes WHERE name = 'Basic'").get() as { id: number };
  const addNote = db.prepare('INSERT INTO notes VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?, 0, ?)');
  const addCard = db.prepare('INSERT INTO cards VALUES (?, ?, 1, 0, ?, 0, 0, 0, ?, 0, 0, 0, 0, 0, 0, 0, 0, ?)');
  db.transaction(() => {
    for (let i = 0; i < notes; i++) {
      const id = nowMs - 1_000_000 + i;
      addNote.run(id, `guid${i}`, basic.id, Math.floor(nowMs / 1000), ' tag ', `front ${i}\u001fback ${i}`, `front ${i}`, 1000 + i, '');
      addCard.run(id, id, Math.floor(nowMs / 1000), i + 1, '{}');
    }
    const addRevlog = db.prepare('INSERT INTO revlog VALUES (?, ?, 0, 3, 1, 0, 2500, 6000, 1)');
    for (let i = 0; i < (opts.revlog ?? 0); i++) addRevlog.run(nowMs - 500_000 + i, nowMs - 1_000_000 + (i % Math.max(1, notes)));
    db.prepare('UPDATE col SET usn = 1, scm = ?, ls = ?, mod = ?').run(nowMs, nowMs, nowMs);
  })();
  db.exec('VACUUM; ANALYZE');
  checkpointAndClose(db);
  return { mod: nowMs, scm: nowMs, usn: 1 };
}

/** Id of the Basic notetype in a collection file (opened briefly). */
export function basicNotetypeId(path: string): number {
  const db = openCollection(path, { readonly: true });
  try {
    return (db.prepare("SELECT id FROM notetypes WHERE name = 'Basic'").get() as { id: number }).id;
  } finally {
    db.close();
  }
}
