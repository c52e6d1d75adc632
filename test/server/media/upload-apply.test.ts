// Applying an upload is all-or-nothing across media.db and the media folder
// (src/server/media/upload-changes.ts), and the on-disk format is the official server's
// (docs/protocol/media-sync.md §4.2, §5).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { changesAfter, openMediaDb, readMeta } from '../../../src/server/media/media-db.ts';
import { applyUploadedChanges } from '../../../src/server/media/upload-changes.ts';
import { newMediaTempPath, sweepMediaTemps } from '../../../src/server/user/upload-temps.ts';
import type { ReceivedChange, ReceivedFile } from '../../../src/server/media/zip.ts';

const sha1 = (s: string): Buffer => createHash('sha1').update(s).digest();

function setup(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-media-apply-'));
  const mediaDir = join(dir, 'media');
  mkdirSync(mediaDir);
  const db = openMediaDb(join(dir, 'media.db'));
  t.after(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** A received file as zip.ts hands it over: a small one in memory, a big one in a temp file in the media folder. */
  const received = (fname: string, content: string): ReceivedFile => {
    const data = Buffer.from(content);
    return { kind: 'add', fname, size: data.length, sha1: sha1(content), content: { data } };
  };
  const receivedInTemp = (fname: string, content: string, opts: { writeTemp?: boolean } = {}): ReceivedFile => {
    const tempPath = newMediaTempPath(mediaDir, 'part');
    if (opts.writeTemp !== false) writeFileSync(tempPath, content);
    return { kind: 'add', fname, size: Buffer.byteLength(content), sha1: sha1(content), content: { tempPath } };
  };
  return { dir, mediaDir, db, received, receivedInTemp };
}

test('a failure while moving files into place rolls back the DB and restores every file', (t) => {
  const { mediaDir, db, received, receivedInTemp } = setup(t);
  applyUploadedChanges(db, mediaDir, [received('keep.txt', 'original'), received('drop.txt', 'to delete')], 1000);
  const metaBefore = readMeta(db);
  const rowsBefore = changesAfter(db, -1, 1000);

  const changes: ReceivedChange[] = [
    { kind: 'delete', fname: 'drop.txt' },
    received('new.txt', 'new'),
    receivedInTemp('big.bin', 'a big file streamed to a temp file'),
    received('keep.txt', 'replacement'),
    // Its temp file was never written: the rename fails after the others succeeded.
    receivedInTemp('broken.txt', 'never arrives', { writeTemp: false }),
  ];
  assert.throws(() => applyUploadedChanges(db, mediaDir, changes, 2000), /ENOENT/);

  assert.deepEqual(readMeta(db), metaBefore, 'meta unchanged');
  assert.deepEqual(changesAfter(db, -1, 1000), rowsBefore, 'rows unchanged');
  assert.equal(readFileSync(join(mediaDir, 'keep.txt'), 'utf8'), 'original', 'replaced file restored');
  assert.equal(readFileSync(join(mediaDir, 'drop.txt'), 'utf8'), 'to delete', 'deleted file restored');
  assert.ok(!existsSync(join(mediaDir, 'new.txt')), 'file written from memory taken out again');
  assert.ok(!existsSync(join(mediaDir, 'big.bin')), 'file moved in from a temp file taken out again');
  // The big file is back under its temporary name, for the caller to remove.
  const temps = readdirSync(mediaDir).filter((n) => n.startsWith('.hearth-tmp-'));
  assert.equal(temps.length, 1);
  assert.deepEqual(
    readdirSync(mediaDir)
      .filter((n) => !n.startsWith('.hearth-tmp-'))
      .sort(),
    ['drop.txt', 'keep.txt'],
  );
});

test('a file that cannot be written from memory rolls back the files written before it', (t) => {
  const { mediaDir, db, received } = setup(t);
  applyUploadedChanges(db, mediaDir, [received('keep.txt', 'original')], 1000);
  const metaBefore = readMeta(db);
  // Longer than any file system allows: creating it fails after two files were written.
  const tooLong = 'x'.repeat(300) + '.txt';
  const changes: ReceivedChange[] = [received('one.txt', '1'), received('keep.txt', 'replacement'), received(tooLong, 'fails')];
  assert.throws(() => applyUploadedChanges(db, mediaDir, changes, 2000), /ENAMETOOLONG/);
  assert.deepEqual(readMeta(db), metaBefore, 'meta unchanged');
  assert.deepEqual(readdirSync(mediaDir), ['keep.txt'], 'only the file that was there before');
  assert.equal(readFileSync(join(mediaDir, 'keep.txt'), 'utf8'), 'original');
});

test('a case collision is found before any file moves', (t) => {
  const { mediaDir, db, received } = setup(t);
  applyUploadedChanges(db, mediaDir, [received('Photo.jpg', 'a')], 1000);
  const change = received('photo.JPG', 'b');
  assert.throws(() => applyUploadedChanges(db, mediaDir, [change], 2000), /differs only in letter case/);
  assert.equal(readMeta(db).lastUsn, 1);
  assert.deepEqual(readdirSync(mediaDir), ['Photo.jpg'], 'nothing written');
});

test('rows and meta are written in the official format: raw 20-byte csum, size, usn, mtime in seconds', (t) => {
  const { dir, mediaDir, db, received } = setup(t);
  const reply = applyUploadedChanges(db, mediaDir, [received('a.txt', 'aaa'), received('b.txt', 'bb')], 1_700_000_000);
  assert.deepEqual(reply.reply, [2, 2]);
  applyUploadedChanges(db, mediaDir, [{ kind: 'delete', fname: 'a.txt' }], 1_700_000_100);
  const rows = db.prepare('SELECT fname, csum, size, usn, mtime FROM media ORDER BY usn').all();
  assert.deepEqual(rows, [
    { fname: 'b.txt', csum: sha1('bb'), size: 2, usn: 2, mtime: 1_700_000_000 },
    // A deletion keeps the last checksum, size 0 marks it deleted.
    { fname: 'a.txt', csum: sha1('aaa'), size: 0, usn: 3, mtime: 1_700_000_100 },
  ]);
  assert.deepEqual(db.prepare('SELECT * FROM meta').all(), [{ last_usn: 3, total_bytes: 2, total_nonempty_files: 1 }]);
  assert.equal(db.pragma('user_version', { simple: true }), 4);
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  // NORMAL: commits reach the disk at the end of each media sync (see the roundtrip test of mediaSanity).
  assert.equal(db.pragma('synchronous', { simple: true }), 1);
  const columns = db.prepare('SELECT name, type, "notnull", pk FROM pragma_table_info(\'media\')').all();
  assert.deepEqual(columns, [
    { name: 'fname', type: 'TEXT', notnull: 1, pk: 1 },
    { name: 'csum', type: 'BLOB', notnull: 1, pk: 0 },
    { name: 'size', type: 'INT', notnull: 1, pk: 0 },
    { name: 'usn', type: 'INT', notnull: 1, pk: 0 },
    { name: 'mtime', type: 'INT', notnull: 1, pk: 0 },
  ]);
  assert.deepEqual(db.prepare("SELECT name FROM pragma_index_list('media') WHERE origin = 'c'").all(), [{ name: 'ix_usn' }]);
  // Files are named exactly as in the DB, directly in media/.
  assert.deepEqual(readdirSync(mediaDir), ['b.txt']);
  assert.ok(existsSync(join(dir, 'media.db')));
});

test('temporaries older than the cut-off are swept; newer ones and a media file that looks like one are kept', (t) => {
  const { mediaDir, db, received } = setup(t);
  const lookalike = '.hearth-tmp-0123456789abcdef01234567.part';
  applyUploadedChanges(db, mediaDir, [received(lookalike, 'a real media file')], 1000);
  const stale = newMediaTempPath(mediaDir, 'part');
  const fresh = newMediaTempPath(mediaDir, 'zip');
  for (const p of [stale, fresh, join(mediaDir, lookalike)]) writeFileSync(p, 'x');
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(stale, past, past);
  utimesSync(join(mediaDir, lookalike), past, past);
  sweepMediaTemps(db, mediaDir, Date.now() - 60_000);
  assert.ok(!existsSync(stale), 'stale temporary removed');
  assert.ok(existsSync(fresh), "this run's temporary kept");
  assert.ok(existsSync(join(mediaDir, lookalike)), 'media file kept');
});

test('a server starting on a folder removes upload temporaries a crash left in media/', async () => {
  const { startTestServer } = await import('../../helpers/test-server.ts');
  const { mkdtempSync, mkdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const base = mkdtempSync(join(tmpdir(), 'hearth-sweep-'));
  const mediaDir = join(base, 'user', 'media');
  mkdirSync(mediaDir, { recursive: true });
  const leftover = newMediaTempPath(mediaDir, 'part');
  writeFileSync(leftover, 'half a file');
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(leftover, past, past);
  const t = await startTestServer({ base });
  try {
    assert.ok(!existsSync(leftover));
  } finally {
    await t.stop();
  }
});

test('onFilesPlaced runs once the files are in place, before the commit, and only when files changed', (t) => {
  const { mediaDir, db, received } = setup(t);
  const seen: { fileThere: boolean; inTransaction: boolean }[] = [];
  const onFilesPlaced = (): void => {
    seen.push({ fileThere: existsSync(join(mediaDir, 'a.txt')), inTransaction: db.inTransaction });
  };
  applyUploadedChanges(db, mediaDir, [received('a.txt', 'aaa')], 1000, onFilesPlaced);
  assert.deepEqual(seen, [{ fileThere: true, inTransaction: true }]);

  // An identical re-add and a deletion of a name that is not there change no file.
  applyUploadedChanges(db, mediaDir, [received('a.txt', 'aaa'), { kind: 'delete', fname: 'never.txt' }], 1001, onFilesPlaced);
  assert.equal(seen.length, 1, 'not called when no file changed');
});
