// Media sync round trips at the protocol level: docs/protocol/behaviours.md B4-B6, D29, D30
// (docs/protocol/media-sync.md §3.2-§3.5). Each test uses its own account, so they do not share usns.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/test-server.ts';
import type { TestServer } from '../../helpers/test-server.ts';
import { zstdCompressSync } from 'node:zlib';
import { MediaClient, bytes, sha1Hex, uploadZip } from './support.ts';
import type { UploadItem } from './support.ts';

const MiB = 1024 * 1024;

const USERS = ['b4:pass', 'b5:pass', 'b6:pass', 'd29:pass', 'sizes:pass', 'durable:pass'];

describe('media round trips', () => {
  let t: TestServer;
  const client = (user: string): MediaClient => new MediaClient(t.endpoint, t.hkey(`${user}:pass`));
  const mediaDir = (user: string): string => join(t.base, user, 'media');

  before(async () => {
    t = await startTestServer({ users: USERS });
  });
  after(() => t.stop());

  test('B4: mediaSanity is OK for the server file count and "mediaSanity" for any other', async () => {
    const c = client('b4');
    assert.equal(await c.sanity(0), 'OK');
    assert.equal(await c.sanity(1), 'mediaSanity');
    await c.upload([['a.txt', 'a']]);
    assert.equal(await c.sanity(1), 'OK');
    assert.equal(await c.sanity(0), 'mediaSanity');
    assert.equal((await c.post('mediaSanity', { local: -1 })).status, 400);
    assert.equal((await c.post('mediaSanity', { local: '1' })).status, 400);
  });

  test('uploads are in media.db itself (checkpointed and synced) once mediaSanity has answered, not before', async () => {
    // What a power cut would leave: the main database file without its write-ahead log.
    const namesInMainFile = (): string[] => {
      const dir = mkdtempSync(join(tmpdir(), 'hearth-durable-'));
      try {
        copyFileSync(join(t.base, 'durable', 'media.db'), join(dir, 'media.db'));
        const db = new Database(join(dir, 'media.db'), { readonly: true });
        try {
          const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'media'").get() !== undefined;
          return hasTable ? (db.prepare('SELECT fname FROM media ORDER BY fname').all() as { fname: string }[]).map((r) => r.fname) : [];
        } finally {
          db.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const c = client('durable');
    assert.deepEqual(
      await c.upload([
        ['one.txt', '1'],
        ['two.txt', '2'],
      ]),
      [2, 2],
    );
    assert.deepEqual(namesInMainFile(), [], 'before the sanity check the commits are only in the log');
    assert.equal(await c.sanity(2), 'OK');
    assert.deepEqual(namesInMainFile(), ['one.txt', 'two.txt']);
  });

  test('B5: add, change, delete round trip between two devices', async () => {
    const one = client('b5');
    const two = client('b5');
    // Device 1 adds three files.
    assert.deepEqual(
      await one.upload([
        ['manual1', 'manual1'],
        ['auto1', 'auto1'],
        ['manual2', 'manual2'],
      ]),
      [3, 3],
    );
    // Device 2 fetches the changes and downloads them.
    const changes = await two.changes(0);
    assert.deepEqual(changes, [
      ['manual1', 1, sha1Hex('manual1')],
      ['auto1', 2, sha1Hex('auto1')],
      ['manual2', 3, sha1Hex('manual2')],
    ]);
    const zip = await two.download(changes.map((c) => c[0]));
    assert.deepEqual(zip.meta, { 0: 'manual1', 1: 'auto1', 2: 'manual2' });
    assert.equal(zip.entries.get('1')?.toString(), 'auto1');
    assert.deepEqual(await two.changes(3), []);

    // Device 2 changes manual1 and deletes manual2: one usn each.
    assert.deepEqual(
      await two.upload([
        ['manual1', 'changed1'],
        ['manual2', null],
      ]),
      [2, 5],
    );
    // Device 1 sees the replacement with its new sha1 and the deletion with "".
    assert.deepEqual(await one.changes(3), [
      ['manual1', 4, sha1Hex('changed1')],
      ['manual2', 5, ''],
    ]);
    assert.equal((await one.download(['manual1'])).entries.get('0')?.toString(), 'changed1');
    assert.equal((await one.post('downloadFiles', { files: ['manual2'] })).status, 409);
    assert.equal(await one.sanity(2), 'OK');

    // Both delete the rest: back to an empty folder.
    assert.deepEqual(await one.upload([['manual1', null]]), [1, 6]);
    assert.deepEqual(await two.upload([['auto1', null]]), [1, 7]);
    assert.deepEqual(await two.changes(5), [
      ['manual1', 6, ''],
      ['auto1', 7, ''],
    ]);
    assert.equal(await one.sanity(0), 'OK');
    assert.deepEqual(readdirSync(mediaDir('b5')), []);
  });

  test('B6: identical re-add and repeated deletion leave the usn alone; the first upload of a name wins', async () => {
    const one = client('b6');
    const two = client('b6');
    await one.upload([['auto', 'auto']]);
    const u0 = await one.usn();
    assert.deepEqual(await two.upload([['auto', 'auto']]), [1, u0], 'identical file: processed, usn unchanged');
    assert.equal(await two.usn(), u0);

    await one.upload([['auto', null]]);
    const u1 = await one.usn();
    assert.equal(u1, u0 + 1);
    assert.deepEqual(await two.upload([['auto', null]]), [1, u1], 'already deleted: processed, usn unchanged');
    assert.equal(await two.usn(), u1);

    // Both add "diff" with different content; device 1 syncs first.
    await one.upload([['diff', '1']]);
    // Device 2 fetches before uploading, sees another sha1 and downloads (server wins, docs/protocol/media-sync.md §4.3).
    const [entry] = await two.changes(u1);
    assert.deepEqual(entry, ['diff', u1 + 1, sha1Hex('1')]);
    assert.notEqual(entry?.[2], sha1Hex('2'));
    assert.equal((await two.download(['diff'])).entries.get('0')?.toString(), '1');
    assert.equal(readFileSync(join(mediaDir('b6'), 'diff'), 'utf8'), '1');
  });

  test('D29/D30: add + replace + delete + identical + already-deleted in one zip answers [5, old+3]', async () => {
    const c = client('d29');
    await c.upload([
      ['a.txt', 'a'],
      ['b.txt', 'b'],
      ['c.txt', 'c'],
      ['d.txt', 'd'],
    ]);
    await c.upload([['d.txt', null]]);
    const old = await c.usn();
    assert.equal(old, 5);

    const reply = await c.upload([
      ['new.txt', 'n'], // add
      ['a.txt', 'A2'], // replace
      ['b.txt', null], // delete
      ['c.txt', 'c'], // identical
      ['d.txt', null], // already deleted
    ]);
    assert.deepEqual(reply, [5, old + 3]);
    assert.deepEqual(await c.changes(old), [
      ['new.txt', old + 1, sha1Hex('n')],
      ['a.txt', old + 2, sha1Hex('A2')],
      ['b.txt', old + 3, ''],
    ]);
    // D30: three files exist now (new, a, c).
    assert.equal(await c.sanity(3), 'OK');
    assert.equal(await c.sanity(2), 'mediaSanity');
    assert.equal(await c.sanity(4), 'mediaSanity');
    // The folder matches the database.
    const dir = mediaDir('d29');
    assert.deepEqual(readdirSync(dir).sort(), ['a.txt', 'c.txt', 'new.txt']);
    assert.equal(readFileSync(join(dir, 'a.txt'), 'utf8'), 'A2');
    assert.ok(!existsSync(join(dir, 'b.txt')));
  });

  test('the same name twice in one upload is applied in order, one usn per real change', async () => {
    const c = client('d29');
    const start = await c.usn();
    assert.deepEqual(
      await c.upload([
        ['twice.txt', 'first'],
        ['twice.txt', 'second'],
        ['gone.txt', 'x'],
        ['gone.txt', null],
      ]),
      [4, start + 4],
    );
    assert.equal(readFileSync(join(mediaDir('d29'), 'twice.txt'), 'utf8'), 'second');
    assert.ok(!existsSync(join(mediaDir('d29'), 'gone.txt')));
    assert.deepEqual(await c.changes(start), [
      ['twice.txt', start + 2, sha1Hex('second')],
      ['gone.txt', start + 4, ''],
    ]);
  });

  test('deflated upload entries are accepted too (docs/protocol/media-sync.md §3.4: clients use STORED, accept DEFLATE)', async () => {
    const c = client('b4');
    const before = await c.usn();
    const r = await c.uploadRaw(await uploadZip([['deflated.txt', 'z'.repeat(10_000)]], { compress: true }));
    assert.equal(r.status, 200);
    assert.deepEqual((r.json() as { data: unknown }).data, [1, before + 1]);
    assert.equal(readFileSync(join(mediaDir('b4'), 'deflated.txt'), 'utf8'), 'z'.repeat(10_000));
  });

  test('uploads of every size arrive byte-identical, and downloads of every size carry them back', async () => {
    const c = client('sizes');
    const small = (i: number): UploadItem => [`small-${i}.bin`, bytes(1500 + i, i)];
    // 1. The usual upload: small files, the zip decoded and checked in memory.
    const smalls = Array.from({ length: 25 }, (_, i) => small(i));
    // 2. A big file in an in-memory zip: streamed to a temp file, then moved into place.
    const bigInMemoryZip: UploadItem[] = [['big-3mib.bin', bytes(3 * MiB, 100)], small(30)];
    // 3. A body over 8 MiB: the zip itself is decoded into a temp file first.
    const bodyOnDisk: UploadItem[] = [['big-6mib.bin', bytes(6 * MiB, 101)], ['big-3mib-b.bin', bytes(3 * MiB, 102)], small(31)];
    // 4. Tiny on the wire, 9 MiB decoded (zeros): decoded a second time, into a file.
    const compressible: UploadItem[] = [['zeros.bin', Buffer.alloc(9 * MiB)], small(32)];
    const all = [...smalls, ...bigInMemoryZip, ...bodyOnDisk, ...compressible];
    let usn = 0;
    for (const batch of [smalls, bigInMemoryZip, bodyOnDisk, compressible]) {
      const zip = await uploadZip(batch);
      if (batch === compressible) assert.ok(zstdCompressSync(zip).length < MiB, 'small on the wire');
      usn += batch.length;
      assert.deepEqual(await c.upload(batch), [batch.length, usn]);
    }
    for (const [fname, data] of all) {
      assert.equal(sha1Hex(readFileSync(join(mediaDir('sizes'), fname))), sha1Hex(data as Buffer), `${fname} on disk`);
    }
    assert.deepEqual(
      readdirSync(mediaDir('sizes')).filter((n) => n.startsWith('.hearth-tmp-')),
      [],
      'no temporaries left',
    );
    const changes = await c.allChanges();
    assert.deepEqual(
      changes.map(([fname, , sha1]) => [fname, sha1]),
      all.map(([fname, data]) => [fname, sha1Hex(data as Buffer)]),
    );
    // Downloads: only small files (built in memory), then a mix with a big one (streamed; it crosses 2.5 MiB, so it is last).
    for (const names of [smalls.map((f) => f[0]), ['small-30.bin', 'small-31.bin', 'big-3mib.bin']]) {
      const zip = await c.download(names);
      names.forEach((fname, i) => {
        assert.equal(zip.meta[String(i)], fname);
        assert.equal(sha1Hex(zip.entries.get(String(i))!), sha1Hex(all.find((f) => f[0] === fname)![1] as Buffer), `${fname} downloaded`);
      });
      assert.deepEqual(zip.order, [...names.map((_, i) => String(i)), '_meta']);
      assert.ok(
        [...zip.methods.values()].every((m) => m === 0),
        'every entry STORED',
      );
    }
  });
});
