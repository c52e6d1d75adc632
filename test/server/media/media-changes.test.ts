// `mediaChanges` paging and order (docs/protocol/media-sync.md §3.2; docs/protocol/behaviours.md D23).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from '../../helpers/test-server.ts';
import type { TestServer } from '../../helpers/test-server.ts';
import { MediaClient, sha1Hex } from './support.ts';
import type { UploadItem } from './support.ts';

describe('mediaChanges', () => {
  let t: TestServer;
  let c: MediaClient;
  before(async () => {
    t = await startTestServer();
    c = new MediaClient(t.endpoint, t.hkey());
  });
  after(() => t.stop());

  test('a new account has no changes', async () => {
    assert.deepEqual(await c.changes(0), []);
  });

  test('D23: with 1025 pending changes a reply holds exactly 1000 in ascending usn order, and the next call continues', async () => {
    for (let batch = 0; batch < 41; batch++) {
      const items: UploadItem[] = [];
      for (let i = 0; i < 25; i++) items.push([`f${batch * 25 + i}.txt`, `content ${batch * 25 + i}`]);
      assert.deepEqual(await c.upload(items), [25, (batch + 1) * 25]);
    }
    const first = await c.changes(0);
    assert.equal(first.length, 1000);
    assert.deepEqual(
      first.map((e) => e[1]),
      Array.from({ length: 1000 }, (_, i) => i + 1),
    );
    assert.deepEqual(first[0], ['f0.txt', 1, sha1Hex('content 0')]);
    const second = await c.changes(first[999]![1]);
    assert.equal(second.length, 25);
    assert.deepEqual(second[0], ['f1000.txt', 1001, sha1Hex('content 1000')]);
    assert.deepEqual(second[24]?.[1], 1025);
    assert.deepEqual(await c.changes(1025), []);
  });

  test('a changed name appears once, at its new usn; a deleted one with an empty sha1', async () => {
    assert.deepEqual(
      await c.upload([
        ['f0.txt', 'changed'],
        ['f1.txt', null],
      ]),
      [2, 1027],
    );
    const all = await c.allChanges(0);
    assert.equal(all.length, 1025, 'one row per name');
    assert.deepEqual(all.slice(-2), [
      ['f0.txt', 1026, sha1Hex('changed')],
      ['f1.txt', 1027, ''],
    ]);
    assert.ok(!all.slice(0, -2).some((e) => e[0] === 'f0.txt' || e[0] === 'f1.txt'));
  });

  test('a cursor beyond the server usn gets an empty list; lastUsn must be an integer', async () => {
    assert.deepEqual(await c.changes(5000), []);
    for (const body of [{}, { lastUsn: '3' }, { lastUsn: 1.5 }, { lastUsn: null }]) {
      assert.equal((await c.post('mediaChanges', body)).status, 400, JSON.stringify(body));
    }
  });
});
