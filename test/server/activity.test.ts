// Who synced when, with which app: src/server/activity.ts, and the request handler feeding it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACTIVITY_WRITE_DELAY_MS,
  SYNC_QUIET_MS,
  activityFilePath,
  createActivityRecorder,
  isSuccessfulSync,
  readActivity,
} from '../../src/server/activity.ts';
import type { RequestOutcome } from '../../src/server/activity.ts';
import { problemFromOutcome } from '../../src/server/problems.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { startTestServer } from '../helpers/test-server.ts';
import { send, syncHeader } from '../helpers/sync-client.ts';

const tempBase = (t: { after: (fn: () => void) => void }): string => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-activity-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

const outcome = (o: Partial<RequestOutcome>): RequestOutcome => ({
  kind: 'sync',
  method: 'meta',
  user: 'alice',
  client: '25.09.2,3890e12,linux',
  status: 200,
  ...o,
});

describe('activity record', () => {
  it('counts successful meta, finish, upload, download and media requests as a sync', () => {
    for (const method of ['meta', 'finish', 'upload', 'download']) assert.equal(isSuccessfulSync(outcome({ method })), true, method);
    assert.equal(isSuccessfulSync(outcome({ kind: 'media', method: 'begin' })), true);
    assert.equal(isSuccessfulSync(outcome({ method: 'start' })), false, 'a step in the middle');
    assert.equal(isSuccessfulSync(outcome({ status: 500 })), false);
    assert.equal(isSuccessfulSync(outcome({ method: 'upload', refused: 'Your upload was corrupt.' })), false);
    assert.equal(isSuccessfulSync(outcome({ user: undefined, method: 'hostKey' })), false);
  });

  it('writes activity.json atomically after a burst, keeps earlier people, and survives a restart', async (t) => {
    const base = tempBase(t);
    mkdirSync(join(base, '.hearth'));
    writeFileSync(
      activityFilePath(base),
      JSON.stringify({ version: 1, users: { bob: { lastSyncAt: '2025-01-01T00:00:00.000Z', client: 'x' } } }),
    );
    let now = Date.parse('2026-03-01T10:00:00Z');
    const rec = createActivityRecorder({ base, clock: { nowMs: () => now }, logger: silentLogger, writeDelayMs: 20 });
    rec.authenticated('alice');
    rec.finished(outcome({}));
    now += 1000;
    rec.authenticated('alice');
    rec.finished(outcome({ kind: 'media', method: 'begin', client: '25.09.2,dev,android' }));
    assert.equal(readActivity(base).alice, undefined, 'throttled: not written at once');
    // Written on the thread pool after the 20 ms throttle: wait for it (bounded).
    for (let waited = 0; readActivity(base).alice === undefined && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    const saved = readActivity(base);
    assert.deepEqual(saved.alice, { lastSyncAt: '2026-03-01T10:00:01.000Z', client: '25.09.2,dev,android' });
    assert.deepEqual(saved.bob, { lastSyncAt: '2025-01-01T00:00:00.000Z', client: 'x' });
    assert.ok(!readFileSync(activityFilePath(base), 'utf8').includes('tmp'));
    const again = createActivityRecorder({ base, clock: { nowMs: () => now }, logger: silentLogger });
    assert.equal(again.records().alice?.client, '25.09.2,dev,android');
  });

  it('knows who is syncing: a request in flight, or one that ended moments ago', () => {
    let now = 1_000_000;
    const rec = createActivityRecorder({ base: join(tmpdir(), 'hearth-never-written'), clock: { nowMs: () => now }, logger: silentLogger });
    rec.authenticated('alice');
    assert.deepEqual(rec.syncingUsers(), ['alice']);
    now += 60_000;
    assert.deepEqual(rec.syncingUsers(), ['alice'], 'a long upload is still a sync');
    rec.finished(outcome({ status: 409 }));
    assert.deepEqual(rec.syncingUsers(), ['alice']);
    now += SYNC_QUIET_MS;
    assert.deepEqual(rec.syncingUsers(), []);
  });

  it('reads a damaged file as "nobody synced yet"', (t) => {
    const base = tempBase(t);
    mkdirSync(join(base, '.hearth'));
    for (const text of ['{', '[]', '{"version":2,"users":{}}', '{"version":1,"users":{"a":{"lastSyncAt":"never","client":""}}}']) {
      writeFileSync(activityFilePath(base), text);
      assert.deepEqual(readActivity(base), {}, text);
    }
  });

  it('is fed by the real server: the time and the client of the last sync, per person', async (t) => {
    const srv = await startTestServer({ users: ['alice:password1', 'bob:password2'] });
    t.after(() => srv.stop());
    const header = { ...syncHeader(srv.hkey('alice:password1')), c: '25.09.2,3890e12,linux' };
    const r = await send(srv.endpoint, '/sync/meta', { header, body: { v: 11, cv: 'x' } });
    assert.equal(r.status, 200);
    // A failed request is not a sync.
    await send(srv.endpoint, '/sync/meta', { header: { ...syncHeader(srv.hkey('bob:password2')), v: 99 }, body: {} });
    await srv.server.close();
    const saved = readActivity(srv.base);
    assert.equal(saved.alice?.client, '25.09.2,3890e12,linux');
    assert.ok(Date.now() - Date.parse(saved.alice!.lastSyncAt) < 60_000);
    assert.equal(saved.bob, undefined);
    assert.ok(ACTIVITY_WRITE_DELAY_MS <= 5_000, 'written within seconds');
  });
});

describe('problems from requests', () => {
  it('turns failed requests into problems, and leaves the rest alone', () => {
    const at = 1;
    assert.equal(problemFromOutcome(outcome({}), at), undefined);
    assert.equal(problemFromOutcome(outcome({ method: 'hostKey', user: undefined, status: 403 }), at)?.kind, 'login-failed');
    assert.equal(problemFromOutcome(outcome({ status: 403, user: undefined }), at)?.kind, 'login-expired');
    assert.equal(problemFromOutcome(outcome({ method: 'hostKey', status: 429 }), at)?.kind, 'login-throttled');
    assert.equal(problemFromOutcome(outcome({ status: 501 }), at)?.kind, 'client-too-old');
    assert.deepEqual(problemFromOutcome(outcome({ method: 'upload', refused: 'Your upload was corrupt.' }), at), {
      at,
      kind: 'upload-refused',
      user: 'alice',
      method: 'upload',
      status: 200,
      detail: 'Your upload was corrupt.',
    });
    assert.equal(problemFromOutcome(outcome({ status: 500 }), at)?.kind, 'sync-failed');
    assert.equal(problemFromOutcome(outcome({ status: 400 }), at)?.kind, 'sync-failed');
  });

  it('carries the username a refused login tried (for "use anna, not an email address"), and only for a login', () => {
    const tried = { user: undefined, status: 403, triedUser: 'anna@gmail.com' };
    assert.equal(problemFromOutcome(outcome({ method: 'hostKey', ...tried }), 1)?.tried, 'anna@gmail.com');
    assert.equal(problemFromOutcome(outcome({ method: 'hostKey', ...tried, status: 429 }), 1)?.tried, 'anna@gmail.com');
    assert.equal(problemFromOutcome(outcome({ method: 'meta', ...tried }), 1)?.tried, undefined);
  });
});
