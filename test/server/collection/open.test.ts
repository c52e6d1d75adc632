// Opening collections with the reference connection setup (docs/protocol/schema.md §1) and flushing the WAL
// before a file is read as bytes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { checkpointAndClose, openCollection } from '../../../src/server/collection/open.ts';
import { tempDir } from './support.ts';

test('openCollection applies the reference pragmas and registers unicase', (t) => {
  const path = join(tempDir(t), 'c.anki2');
  const db = openCollection(path, { mustExist: false });
  t.after(() => db.open && db.close());
  assert.equal(db.pragma('locking_mode', { simple: true }), 'exclusive');
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  assert.equal(db.pragma('page_size', { simple: true }), 4096);
  assert.equal(db.pragma('cache_size', { simple: true }), -40960);
  assert.equal(db.pragma('busy_timeout', { simple: true }), 0);
  // FULL (2): a commit is on disk before the server answers; better-sqlite3's build defaults to NORMAL in WAL mode.
  assert.equal(db.pragma('synchronous', { simple: true }), 2);
  // unicase: full case folding, not ASCII-only NOCASE (docs/protocol/behaviours.md C8).
  const eq = db.prepare('SELECT ? = ? COLLATE unicase AS eq').pluck();
  assert.equal(eq.get('Maße', 'MASSE'), 1);
  assert.equal(eq.get('foo bar', 'FoO BAR'), 1);
  db.exec('CREATE TABLE t (name text COLLATE unicase); CREATE UNIQUE INDEX ix ON t (name)');
  db.prepare('INSERT INTO t VALUES (?)').run('Straße');
  assert.throws(() => db.prepare('INSERT INTO t VALUES (?)').run('STRASSE'), /UNIQUE/);
});

test('exclusive locking: no -shm file, and a second connection is refused at once', (t) => {
  const path = join(tempDir(t), 'c.anki2');
  const db = openCollection(path, { mustExist: false });
  t.after(() => db.open && db.close());
  db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
  assert.equal(existsSync(`${path}-shm`), false);
  const started = Date.now();
  assert.throws(() => {
    const other = openCollection(path);
    try {
      other.prepare('SELECT * FROM t').all();
    } finally {
      other.close();
    }
  }, /locked|busy/i);
  assert.ok(Date.now() - started < 1000, 'busy timeout 0 fails immediately');
});

test('openCollection refuses a missing file unless asked to create it', (t) => {
  const path = join(tempDir(t), 'missing.anki2');
  assert.throws(() => openCollection(path));
  assert.equal(existsSync(path), false);
  assert.throws(() => openCollection(path, { readonly: true }));
});

test('a read-only connection can read a WAL-mode collection', (t) => {
  const path = join(tempDir(t), 'c.anki2');
  const rw = openCollection(path, { mustExist: false });
  rw.exec("CREATE TABLE t (name text COLLATE unicase); CREATE INDEX ix ON t (name); INSERT INTO t VALUES ('a')");
  checkpointAndClose(rw);
  const ro = openCollection(path, { readonly: true });
  t.after(() => ro.open && ro.close());
  assert.equal(ro.prepare("SELECT count(*) FROM t WHERE name = 'A'").pluck().get(), 1);
  assert.throws(() => ro.exec('INSERT INTO t VALUES (1)'), /readonly/);
  assert.equal(existsSync(`${path}-shm`), false);
  checkpointAndClose(ro);
});

test('checkpointAndClose leaves everything in the main file, with no -wal left', (t) => {
  const path = join(tempDir(t), 'c.anki2');
  const db = openCollection(path, { mustExist: false });
  db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (42)');
  assert.ok(existsSync(`${path}-wal`) && statSync(`${path}-wal`).size > 0, 'data sits in the WAL first');
  checkpointAndClose(db);
  assert.equal(db.open, false);
  assert.equal(existsSync(`${path}-wal`), false);
  // The header marks WAL mode (bytes 18–19 = 2), as the reference leaves its files.
  const header = readFileSync(path).subarray(18, 20);
  assert.deepEqual([...header], [2, 2]);
  // Readable from the main file alone.
  const again = openCollection(path, { readonly: true });
  assert.equal(again.prepare('SELECT x FROM t').pluck().get(), 42);
  again.close();
});

test('checkpointAndClose refuses inside a transaction and keeps the connection usable', (t) => {
  const path = join(tempDir(t), 'c.anki2');
  const db = openCollection(path, { mustExist: false });
  t.after(() => db.open && db.close());
  db.exec('CREATE TABLE t (x)');
  db.exec('BEGIN');
  db.exec('INSERT INTO t VALUES (1)');
  assert.throws(() => checkpointAndClose(db), /transaction/);
  assert.equal(db.open, true);
  db.exec('ROLLBACK');
  checkpointAndClose(db);
  assert.equal(db.open, false);
});

test('a read-only open leaves a legacy DELETE-mode file as it is', (t) => {
  const path = join(tempDir(t), 'legacy.anki2');
  const plain = new Database(path);
  plain.exec('CREATE TABLE t (x); INSERT INTO t VALUES (7)');
  plain.close();
  const ro = openCollection(path, { readonly: true });
  assert.equal(ro.pragma('journal_mode', { simple: true }), 'delete');
  assert.equal(ro.prepare('SELECT x FROM t').pluck().get(), 7);
  checkpointAndClose(ro);
  assert.deepEqual([...readFileSync(path).subarray(18, 20)], [1, 1]);
});
