// The garbage collection right after a sync, once the server is idle (src/server/util/idle-collector.ts).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createIdleCollector, fullGarbageCollection } from '../../src/server/util/idle-collector.ts';
import { send, syncHeader } from '../helpers/sync-client.ts';
import { startTestServer } from '../helpers/test-server.ts';

/** A collector on hand-driven timers: `fire()` runs the pending timer, if any. */
function manualCollector(busy?: () => boolean) {
  let pending: (() => void) | undefined;
  let collections = 0;
  const collector = createIdleCollector({
    delayMs: 100,
    ...(busy ? { busy } : {}),
    collect: () => {
      collections += 1;
    },
    setTimer: (fn) => {
      assert.equal(pending, undefined, 'at most one timer at a time');
      pending = fn;
      return {};
    },
    clearTimer: () => {
      pending = undefined;
    },
  });
  return {
    collector,
    armed: () => pending !== undefined,
    fire: () => {
      const fn = pending;
      pending = undefined;
      fn?.();
    },
    collections: () => collections,
  };
}

describe('idle collector', () => {
  test('collects once, after a sync ends and the server has been idle for the delay', () => {
    const m = manualCollector();
    m.collector.requestStarted();
    m.collector.syncEnded();
    assert.equal(m.armed(), false, 'not while the request that ended the sync is in flight');
    m.collector.requestEnded();
    assert.equal(m.armed(), true);
    m.fire();
    assert.equal(m.collections(), 1);
    // Idle again, but no new sync ended: nothing more.
    m.collector.requestStarted();
    m.collector.requestEnded();
    assert.equal(m.armed(), false);
    assert.equal(m.collections(), 1);
  });

  test('a request before the delay is over postpones the collection until the server is idle again', () => {
    const m = manualCollector();
    m.collector.syncEnded();
    assert.equal(m.armed(), true);
    m.collector.requestStarted(); // the next device's first request
    assert.equal(m.armed(), false);
    m.collector.requestStarted();
    m.collector.requestEnded();
    assert.equal(m.armed(), false, 'one request still in flight');
    m.collector.requestEnded();
    assert.equal(m.armed(), true);
    m.fire();
    assert.equal(m.collections(), 1);
  });

  test('several syncs ending before it runs make one collection; none after close', () => {
    const m = manualCollector();
    m.collector.syncEnded();
    m.collector.syncEnded();
    m.fire();
    m.fire();
    assert.equal(m.collections(), 1);
    m.collector.syncEnded();
    m.collector.close();
    assert.equal(m.armed(), false);
    m.fire();
    assert.equal(m.collections(), 1);
  });

  test("while another person's sync is open between its requests, the collection waits for a quiet moment", () => {
    let otherSyncOpen = true;
    const m = manualCollector(() => otherSyncOpen);
    m.collector.syncEnded();
    m.fire();
    assert.equal(m.collections(), 0, 'not between the other sync’s requests');
    assert.equal(m.armed(), true, 'tried again after the delay');
    otherSyncOpen = false;
    m.fire();
    assert.equal(m.collections(), 1);
  });

  test("V8's full collection is available to the server process and runs", () => {
    const gc = fullGarbageCollection();
    assert.equal(typeof gc, 'function');
    assert.doesNotThrow(() => gc!());
  });

  test('a server collects after a request that ends a sync (abort), not after one that does not (meta)', async (t) => {
    let collections = 0;
    const server = await startTestServer({ collectWhenIdle: () => (collections += 1) });
    t.after(() => server.stop());
    const call = (method: string, body: unknown) => send(server.endpoint, `/sync/${method}`, { header: syncHeader(server.hkey()), body });
    assert.equal((await call('meta', { v: 11, cv: 'test' })).status, 200);
    await sleep(300);
    assert.equal(collections, 0, 'meta alone ends no sync');
    const r = await call('abort', {});
    assert.equal(r.status, 200);
    await sleep(300);
    assert.equal(collections, 1, 'abort ends a sync');
  });

  test('a server does not collect after a media sync or a full download ends: only normal syncs leave garbage worth it', async (t) => {
    let collections = 0;
    const server = await startTestServer({ collectWhenIdle: () => (collections += 1) });
    t.after(() => server.stop());
    const header = syncHeader(server.hkey());
    const media = (method: string, body: unknown) => send(server.endpoint, `/msync/${method}`, { header, body });
    assert.equal((await media('begin', { v: 'anki,26.9.3 (test),linux' })).status, 200);
    assert.equal((await media('mediaSanity', { local: 0 })).status, 200);
    assert.equal((await send(server.endpoint, '/sync/download', { header, body: {} })).status, 200);
    await sleep(300);
    assert.equal(collections, 0, 'mediaSanity and download end syncs that need no collection');
    assert.equal(
      (await send(server.endpoint, '/sync/finish', { header, body: {} })).status,
      409,
      'finish without a started sync is refused',
    );
    await sleep(300);
    assert.equal(collections, 1, 'a failed normal-sync step ends that sync too');
  });
});
