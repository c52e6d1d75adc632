// `downloadFiles` (docs/protocol/media-sync.md §3.3; docs/protocol/behaviours.md D24-D27, plus bad names).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer } from '../../helpers/test-server.ts';
import type { TestServer } from '../../helpers/test-server.ts';
import { MediaClient, bytes, mediaState, sha1Hex, treeSnapshot } from './support.ts';

const MiB = 1024 * 1024;

describe('downloadFiles', () => {
  let t: TestServer;
  let c: MediaClient;
  const big = [bytes(2 * MiB, 1), bytes(2 * MiB, 2), bytes(2 * MiB, 3)];
  const mediaDir = (): string => join(t.base, 'user', 'media');

  before(async () => {
    t = await startTestServer();
    c = new MediaClient(t.endpoint, t.hkey());
    await c.upload([
      ['猫.jpg', 'cat'],
      ['emoji 🦊.txt', 'fox'],
      ['café.gif', 'coffee'],
      ['gone.txt', 'soon deleted'],
    ]);
    await c.upload([['gone.txt', null]]);
    await c.upload([
      ['big0.bin', big[0]!],
      ['big1.bin', big[1]!],
      ['big2.bin', big[2]!],
    ]);
  });
  after(() => t.stop());

  test('the zip has entries "0", "1", … in request order, STORED, and _meta {"0": name, …}', async () => {
    const zip = await c.download(['café.gif', '猫.jpg', 'emoji 🦊.txt']);
    assert.deepEqual(zip.order, ['0', '1', '2', '_meta']);
    assert.deepEqual(zip.meta, { 0: 'café.gif', 1: '猫.jpg', 2: 'emoji 🦊.txt' });
    assert.equal(zip.entries.get('0')?.toString(), 'coffee');
    assert.equal(zip.entries.get('1')?.toString(), 'cat');
    assert.equal(zip.entries.get('2')?.toString(), 'fox');
    for (const method of zip.methods.values()) assert.equal(method, 0, 'STORED like the reference');
  });

  test('an empty list of names gets an empty zip', async () => {
    const zip = await c.download([]);
    assert.deepEqual(zip.order, ['_meta']);
    assert.deepEqual(zip.meta, {});
  });

  test('D24: 26 names is 400; 25 is fine', async () => {
    const names = Array.from({ length: 26 }, () => '猫.jpg');
    assert.equal((await c.post('downloadFiles', { files: names })).status, 400);
    const zip = await c.download(names.slice(1));
    assert.equal(Object.keys(zip.meta).length, 25);
  });

  test('D25: three 2 MiB files give a zip with the first two only (the second crosses 2.5 MiB)', async () => {
    const zip = await c.download(['big2.bin', 'big0.bin', 'big1.bin']);
    assert.deepEqual(zip.meta, { 0: 'big2.bin', 1: 'big0.bin' });
    assert.ok(zip.entries.get('0')?.equals(big[2]!), 'bytes identical');
    assert.ok(zip.entries.get('1')?.equals(big[0]!), 'bytes identical');
    // The client asks again for what is left.
    const rest = await c.download(['big1.bin']);
    assert.equal(sha1Hex(rest.entries.get('0')!), sha1Hex(big[1]!));
  });

  test('small files before a large one all fit: the file that crosses the target is included', async () => {
    const zip = await c.download(['猫.jpg', 'big0.bin', 'café.gif', 'big1.bin']);
    assert.deepEqual(zip.meta, { 0: '猫.jpg', 1: 'big0.bin', 2: 'café.gif', 3: 'big1.bin' });
  });

  test('D26: a deleted name or an unknown name is 409 for the whole request', async () => {
    assert.equal((await c.post('downloadFiles', { files: ['gone.txt'] })).status, 409);
    assert.equal((await c.post('downloadFiles', { files: ['猫.jpg', 'never-existed.txt'] })).status, 409);
  });

  test('names with ../, /, \\, NUL, "." or ".." are 400, and nothing is read outside the media folder', async () => {
    for (const name of ['../user/media.db', '../../etc/passwd', 'a/b.txt', '..\\x', 'a\\b', 'a\0b', '.', '..', '']) {
      assert.equal((await c.post('downloadFiles', { files: [name] })).status, 400, JSON.stringify(name));
    }
    for (const body of [{}, { files: 'x' }, { files: [1] }]) {
      assert.equal((await c.post('downloadFiles', body)).status, 400, JSON.stringify(body));
    }
  });

  test('D27: a file that vanished from disk is 409 and its row is forgotten without a deletion record', async () => {
    await c.upload([
      ['vanish.txt', 'here today'],
      ['empty-on-disk.txt', 'truncated later'],
    ]);
    const before = await mediaState(c);
    const files = before.rows.filter((r) => r[2] !== '').length;
    assert.equal(await c.sanity(files), 'OK');

    rmSync(join(mediaDir(), 'vanish.txt'));
    assert.equal((await c.post('downloadFiles', { files: ['猫.jpg', 'vanish.txt'] })).status, 409);
    const after = await mediaState(c);
    assert.equal(after.usn, before.usn, 'no usn change');
    assert.ok(!after.rows.some((r) => r[0] === 'vanish.txt'), 'row gone, no deletion record');
    assert.equal(await c.sanity(files - 1), 'OK', 'file count decremented');

    // A 0-byte file (made by hand) is treated the same way; the reference would panic.
    truncateSync(join(mediaDir(), 'empty-on-disk.txt'), 0);
    assert.equal((await c.post('downloadFiles', { files: ['empty-on-disk.txt'] })).status, 409);
    assert.ok(!(await c.allChanges(0)).some((r) => r[0] === 'empty-on-disk.txt'));
    assert.equal(await c.sanity(files - 2), 'OK');
  });

  test('refused downloads write nothing', async () => {
    const tree = treeSnapshot(t.base);
    const state = await mediaState(c);
    await c.post('downloadFiles', { files: ['../x'] });
    await c.post('downloadFiles', { files: ['missing.txt'] });
    await c.post('downloadFiles', { files: Array.from({ length: 30 }, (_, i) => `n${i}`) });
    assert.deepEqual(treeSnapshot(t.base), tree);
    assert.deepEqual(await mediaState(c), state);
  });
});
