import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { send, syncHeader } from '../helpers/sync-client.ts';
import { startTestServer } from '../helpers/test-server.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { makeUploadableCollection } from '../helpers/collections.ts';
import { openCollection, checkpointAndClose } from '../../src/server/collection/open.ts';
import { UPLOAD_CORRUPT, UPLOAD_TOO_LARGE } from '../../src/server/sync/upload.ts';

const sha1 = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

describe('full upload and download', () => {
  let t: TestServer;
  let work: string;
  let valid: Buffer;
  let made: { mod: number; scm: number; usn: number };
  const meta = async () =>
    (await send(t.endpoint, '/sync/meta', { header: syncHeader(t.hkey()), body: { v: 11, cv: 'x' } })).json() as Record<
      string,
      number | boolean
    >;
  const upload = (bytes: Buffer) => send(t.endpoint, '/sync/upload', { header: syncHeader(t.hkey()), body: bytes });
  const collectionPath = () => join(t.base, 'user', 'collection.anki2');
  /** The server's collection as it is on disk, with any WAL folded in. */
  const serverFileHash = () => {
    const db = openCollection(collectionPath());
    const rows = db.prepare('SELECT * FROM col').all();
    const cards = db.prepare('SELECT count(*) AS n FROM cards').get();
    db.close();
    return JSON.stringify([rows, cards]);
  };

  before(async () => {
    t = await startTestServer({ maxPayloadMegs: 1 });
    work = mkdtempSync(join(tmpdir(), 'hearth-upload-'));
    made = makeUploadableCollection(join(work, 'valid.anki2'), 50);
    valid = readFileSync(join(work, 'valid.anki2'));
  });
  after(async () => {
    await t.stop();
    rmSync(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await meta(); // make sure the user's collection exists
  });

  test('a valid schema-18 upload answers OK and meta then reports its mod, scm, usn and that it has cards', async () => {
    const r = await upload(valid);
    assert.equal(r.status, 200);
    assert.equal(r.text(), 'OK');
    const m = await meta();
    assert.equal(m.mod, made.mod);
    assert.equal(m.scm, made.scm);
    assert.equal(m.usn, made.usn);
    assert.equal(m.empty, false);
  });

  test('the replaced collection is kept in backups/', async () => {
    await upload(valid);
    const backups = readdirSync(join(t.base, 'user', 'backups'));
    assert.ok(
      backups.some((f) => f.startsWith('collection-before-upload-')),
      backups.join(', '),
    );
  });

  test('download bumps usn and mod, and sends a complete file that passes integrity_check', async () => {
    await upload(valid);
    const before = await meta();
    const started = Date.now();
    const r = await send(t.endpoint, '/sync/download', { header: syncHeader(t.hkey()), body: {} });
    assert.equal(r.status, 200);
    assert.equal(Number(r.headers['anki-original-size']), r.body.length);
    const file = join(work, 'downloaded.anki2');
    writeFileSync(file, r.body);
    const db = openCollection(file);
    assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    const col = db.prepare('SELECT usn, mod, scm FROM col').get() as { usn: number; mod: number; scm: number };
    assert.equal(col.usn, (before.usn as number) + 1);
    assert.ok(col.mod >= started);
    assert.equal(col.scm, before.scm);
    assert.equal((db.prepare('SELECT count(*) AS n FROM cards').get() as { n: number }).n, 50);
    checkpointAndClose(db);
    const afterMeta = await meta();
    assert.equal(afterMeta.usn, col.usn);
    assert.equal(afterMeta.mod, col.mod);
  });

  const refusedUploads: Array<[string, () => Buffer, string]> = [
    ['a non-SQLite upload', () => Buffer.from('fake data'), UPLOAD_CORRUPT],
    ['a truncated SQLite upload', () => valid.subarray(0, Math.floor(valid.length / 2)), UPLOAD_CORRUPT],
    ['an empty upload', () => Buffer.alloc(0), UPLOAD_CORRUPT],
    [
      'an SQLite file that is not an Anki collection',
      () => {
        const p = join(work, 'other.sqlite');
        rmSync(p, { force: true });
        const db = openCollection(p, { mustExist: false });
        db.exec('CREATE TABLE t (x)');
        checkpointAndClose(db);
        return readFileSync(p);
      },
      UPLOAD_CORRUPT,
    ],
    ['an upload decoding past 3 × MAX_SYNC_PAYLOAD_MEGS', () => Buffer.concat([valid, Buffer.alloc(3 * 1024 * 1024)]), UPLOAD_TOO_LARGE],
  ];
  for (const [what, bytes, reply] of refusedUploads) {
    test(`${what} is refused with "${reply}" and changes nothing`, async () => {
      await upload(valid);
      const beforeState = serverFileHash();
      const filesBefore = readdirSync(join(t.base, 'user')).sort();
      const r = await upload(bytes());
      assert.equal(r.status, 200);
      assert.equal(r.text(), reply);
      assert.equal(serverFileHash(), beforeState);
      assert.deepEqual(readdirSync(join(t.base, 'user')).sort(), filesBefore, 'no temp file left behind');
    });
  }

  test('a page-corrupted collection fails integrity_check and is refused', async () => {
    const p = join(work, 'damaged.anki2');
    writeFileSync(p, valid);
    // Overwrite part of a b-tree page in the middle of the file.
    const damaged = readFileSync(p);
    const page = 4096 * Math.floor(damaged.length / 4096 / 2);
    damaged.fill(0x41, page + 8, page + 600);
    const r = await upload(damaged);
    assert.equal(r.text(), UPLOAD_CORRUPT);
  });

  test('after a refused upload the previous collection still downloads intact', async () => {
    await upload(valid);
    assert.equal((await upload(Buffer.from('fake data'))).text(), UPLOAD_CORRUPT);
    const r = await send(t.endpoint, '/sync/download', { header: syncHeader(t.hkey()), body: {} });
    const file = join(work, 'after-refused.anki2');
    writeFileSync(file, r.body);
    const db = openCollection(file);
    assert.deepEqual(db.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    assert.equal((db.prepare('SELECT count(*) AS n FROM cards').get() as { n: number }).n, 50);
    checkpointAndClose(db);
  });

  test('a wrong host key on upload writes nothing', async () => {
    const filesBefore = readdirSync(join(t.base, 'user')).sort();
    const r = await send(t.endpoint, '/sync/upload', { header: syncHeader('a'.repeat(40)), body: valid });
    assert.equal(r.status, 403);
    assert.deepEqual(readdirSync(join(t.base, 'user')).sort(), filesBefore);
    assert.ok(!existsSync(join(t.base, 'a'.repeat(40))));
  });

  test('sha1 of two downloads without changes in between differ only by the bumped usn/mod', async () => {
    await upload(valid);
    const a = (await send(t.endpoint, '/sync/download', { header: syncHeader(t.hkey()), body: {} })).body;
    const b = (await send(t.endpoint, '/sync/download', { header: syncHeader(t.hkey()), body: {} })).body;
    assert.notEqual(sha1(a), sha1(b));
    assert.equal(a.length, b.length);
  });
});
