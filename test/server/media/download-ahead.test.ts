// downloadFiles replies built ahead (src/server/media/download-ahead.ts): served only for exactly
// the names they were built for and only while nothing changed; never a side effect of their own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../../src/server/logger.ts';
import { startTestServer } from '../../helpers/test-server.ts';
import type { TestServer } from '../../helpers/test-server.ts';
import { MediaClient, bytes, mediaState, sha1Hex } from './support.ts';
import type { UploadItem } from './support.ts';

/** Time for a read-ahead scheduled after a reply to finish (it runs right after the request). */
const SETTLE_MS = 100;

describe('downloadFiles replies built ahead', () => {
  let t: TestServer;
  const lines: string[] = [];
  const USERS = ['seq', 'changed', 'other', 'vanish', 'empty'];
  const client = (user: string): MediaClient => new MediaClient(t.endpoint, t.hkey(`${user}:pass`));
  const mediaDir = (user: string): string => join(t.base, user, 'media');
  /** `ahead` of the last downloadFiles log lines, oldest first. */
  const aheadFlags = (n: number): boolean[] =>
    lines
      .filter((l) => l.includes('/msync/downloadFiles'))
      .slice(-n)
      .map((l) => / ahead=yes\b/.test(l));
  const files = (prefix: string, n: number): UploadItem[] =>
    Array.from({ length: n }, (_, i) => [`${prefix}-${i}.bin`, bytes(1000 + i, i)]);

  before(async () => {
    t = await startTestServer({ users: USERS.map((u) => `${u}:pass`), logger: createLogger((l) => lines.push(l)) });
  });
  after(() => t.stop());

  test('a client fetching in list order gets every zip built ahead, each holding the requested files byte for byte', async () => {
    const c = client('seq');
    const all = files('seq', 60);
    await c.upload(all.slice(0, 25));
    await c.upload(all.slice(25, 50));
    await c.upload(all.slice(50));
    const changes = await c.changes(0);
    const names = changes.map((ch) => ch[0]);
    for (let i = 0; i < names.length; i += 25) {
      await sleep(SETTLE_MS);
      const zip = await c.download(names.slice(i, i + 25));
      names.slice(i, i + 25).forEach((fname, k) => {
        assert.equal(zip.meta[String(k)], fname);
        assert.equal(sha1Hex(zip.entries.get(String(k))!), sha1Hex(all.find(([n]) => n === fname)![1] as Buffer));
      });
    }
    assert.deepEqual(aheadFlags(3), [true, true, true]);
  });

  test('a file replaced after the zip was built ahead is sent as it is now', async () => {
    const c = client('changed');
    await c.upload([
      ['a.txt', 'old a'],
      ['b.txt', 'old b'],
    ]);
    await c.changes(0);
    await sleep(SETTLE_MS);
    await c.upload([['b.txt', 'new b']]);
    const zip = await c.download(['a.txt', 'b.txt']);
    assert.equal(zip.entries.get('1')?.toString(), 'new b');
    assert.deepEqual(aheadFlags(1), [false]);
  });

  test('a request for other names than expected gets its own zip', async () => {
    const c = client('other');
    const all = files('other', 30);
    await c.upload(all.slice(0, 25));
    await c.upload(all.slice(25));
    await c.changes(0);
    await sleep(SETTLE_MS);
    // The client already had the first ones and asks for a later stretch.
    const zip = await c.download(['other-28.bin', 'other-3.bin']);
    assert.deepEqual(zip.meta, { 0: 'other-28.bin', 1: 'other-3.bin' });
    assert.equal(sha1Hex(zip.entries.get('0')!), sha1Hex(bytes(1028, 28)));
    assert.deepEqual(aheadFlags(1), [false]);
  });

  test('an empty list of names (nothing to guess the next request from) is an empty zip, and nothing fails', async () => {
    const c = client('empty');
    await c.upload([['x.txt', 'x']]);
    await c.changes(0);
    lines.length = 0;
    const zip = await c.download([]);
    assert.deepEqual(zip.meta, {});
    await sleep(SETTLE_MS);
    assert.deepEqual(
      lines.filter((l) => /\b(ERROR|WARN)\b/.test(l)),
      [],
    );
  });

  test('building ahead changes nothing: a vanished file is forgotten only when a request asks for it', async () => {
    const c = client('vanish');
    await c.upload([
      ['keep.txt', 'keep'],
      ['gone.txt', 'gone'],
    ]);
    rmSync(join(mediaDir('vanish'), 'gone.txt'));
    const before = await mediaState(c); // its mediaChanges schedules a read-ahead of both names
    await sleep(SETTLE_MS);
    assert.deepEqual(await mediaState(c), before, 'the read-ahead forgot nothing');
    assert.equal(await c.sanity(2), 'OK');
    assert.equal((await c.post('downloadFiles', { files: ['keep.txt', 'gone.txt'] })).status, 409);
    assert.equal(await c.sanity(1), 'OK', 'the request itself forgot the vanished file');
  });
});
