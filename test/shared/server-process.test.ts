// Runtime checks of the main ⇄ server-process messages (src/shared/server-process.ts) and error codes.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMainToServer, parseServerToMain } from '../../src/shared/server-process.ts';
import {
  SERVER_FAILURE_CODES,
  SUPERVISOR_ERROR_CODES,
  errorSentence,
  errorShortLabel,
  retriesAutomatically,
} from '../../src/shared/errors.ts';

const config = { storageFolder: '/data', createFolder: false, host: '0.0.0.0', port: 8080, maxPayloadMegs: 100 };

describe('server-process messages', () => {
  it('accepts start and stop, and nothing else, from the main process', () => {
    assert.deepEqual(parseMainToServer({ type: 'start', config }), { type: 'start', config });
    assert.deepEqual(parseMainToServer({ type: 'stop', extra: 1 }), { type: 'stop' });
    assert.equal(parseMainToServer({ type: 'start', config: { ...config, port: 70000 } }), undefined);
    assert.equal(parseMainToServer({ type: 'start', config: { ...config, storageFolder: '' } }), undefined);
    assert.equal(parseMainToServer({ type: 'start' }), undefined);
    assert.equal(parseMainToServer({ type: 'exec' }), undefined);
    assert.equal(parseMainToServer('stop'), undefined);
  });

  it('accepts the server process’s messages with their fields checked', () => {
    assert.deepEqual(parseServerToMain({ type: 'ready', host: '0.0.0.0', port: 8080 }), { type: 'ready', host: '0.0.0.0', port: 8080 });
    assert.deepEqual(parseServerToMain({ type: 'failed', code: 'folder-in-use', detail: 'x' }), {
      type: 'failed',
      code: 'folder-in-use',
      detail: 'x',
    });
    assert.equal(parseServerToMain({ type: 'failed', code: 'disk-on-fire', detail: 'x' }), undefined);
    const activity = { syncing: true, activeRequests: 2, users: [{ username: 'alice', lastSyncAt: 5 }] };
    assert.deepEqual(parseServerToMain({ type: 'status', activity }), { type: 'status', activity });
    assert.equal(parseServerToMain({ type: 'status', activity: { ...activity, activeRequests: -1 } }), undefined);
    assert.equal(parseServerToMain({ type: 'status', activity: { ...activity, users: [{ username: 1 }] } }), undefined);
    assert.deepEqual(parseServerToMain({ type: 'stopped' }), { type: 'stopped' });
    assert.equal(parseServerToMain(null), undefined);
  });

  it('accepts who is syncing in the status, and older statuses without it', () => {
    const activity = { syncing: true, activeRequests: 1, users: [], syncingUsers: ['alice'] };
    assert.deepEqual(parseServerToMain({ type: 'status', activity }), { type: 'status', activity });
    assert.equal(parseServerToMain({ type: 'status', activity: { ...activity, syncingUsers: [1] } }), undefined);
    assert.equal(parseServerToMain({ type: 'status', activity: { ...activity, syncingUsers: 'alice' } }), undefined);
  });

  it('accepts problems with their fields checked', () => {
    const problem = { at: 5, kind: 'upload-refused', user: 'alice', method: 'upload', status: 200, detail: 'Your upload was corrupt.' };
    assert.deepEqual(parseServerToMain({ type: 'problem', problem }), { type: 'problem', problem });
    assert.deepEqual(parseServerToMain({ type: 'problem', problem: { ...problem, user: null } }), {
      type: 'problem',
      problem: { ...problem, user: null },
    });
    for (const bad of [{ kind: 'disk-on-fire' }, { at: 'now' }, { user: 5 }, { status: -1 }, { detail: undefined }, { method: null }]) {
      assert.equal(parseServerToMain({ type: 'problem', problem: { ...problem, ...bad } }), undefined, JSON.stringify(bad));
    }
    // A login's problem carries the username tried; anything but a short string there is refused.
    const login = { at: 5, kind: 'login-failed', user: null, method: 'hostKey', status: 403, detail: '', tried: 'anna@gmail.com' };
    assert.deepEqual(parseServerToMain({ type: 'problem', problem: login }), { type: 'problem', problem: login });
    assert.equal(parseServerToMain({ type: 'problem', problem: { ...login, tried: 5 } }), undefined);
    assert.equal(parseServerToMain({ type: 'problem', problem: { ...login, tried: 'x'.repeat(201) } }), undefined);
    assert.equal(parseServerToMain({ type: 'problem' }), undefined);
  });
});

describe('error codes', () => {
  it('has a sentence and a short label for every code', () => {
    for (const code of [...SERVER_FAILURE_CODES, ...SUPERVISOR_ERROR_CODES]) {
      assert.match(errorSentence(code), /\.$/);
      assert.ok(errorShortLabel(code).length < 45, code);
    }
  });

  it('retries only what may fix itself', () => {
    assert.equal(retriesAutomatically('port-in-use'), false);
    assert.equal(retriesAutomatically('folder-in-use'), false);
    assert.equal(retriesAutomatically('folder-not-writable'), false);
    assert.equal(retriesAutomatically('folder-missing'), true);
    assert.equal(retriesAutomatically('server-crashed'), true);
  });
});

test('refused logins cross the process boundary checked: allow-login, and the throttled list in a status', () => {
  assert.deepEqual(parseMainToServer({ type: 'allow-login', address: '192.168.1.40', username: 'anna' }), {
    type: 'allow-login',
    address: '192.168.1.40',
    username: 'anna',
  });
  assert.deepEqual(parseMainToServer({ type: 'allow-login', address: '10.0.0.2', username: null }), {
    type: 'allow-login',
    address: '10.0.0.2',
    username: null,
  });
  for (const bad of [
    { type: 'allow-login', address: '', username: 'a' },
    { type: 'allow-login', address: 'x', username: 3 },
    { type: 'allow-login' },
  ]) {
    assert.equal(parseMainToServer(bad), undefined, JSON.stringify(bad));
  }
  const throttled = [{ username: 'anna', address: '192.168.1.40', untilMs: 1_800_000_000_000 }];
  const status = parseServerToMain({ type: 'status', activity: { syncing: false, activeRequests: 0, users: [], throttled } });
  assert.deepEqual(status, { type: 'status', activity: { syncing: false, activeRequests: 0, users: [], throttled } });
  assert.equal(
    parseServerToMain({ type: 'status', activity: { syncing: false, activeRequests: 0, users: [], throttled: [{ address: 1 }] } }),
    undefined,
  );
});

test('a collection copy crosses the process boundary checked: copy-collection, and its answer', () => {
  assert.deepEqual(parseMainToServer({ type: 'copy-collection', id: 3, username: 'anna' }), {
    type: 'copy-collection',
    id: 3,
    username: 'anna',
  });
  for (const bad of [
    { type: 'copy-collection', id: -1, username: 'anna' },
    { type: 'copy-collection', id: 1, username: '' },
    { type: 'copy-collection', id: 1, username: 'x'.repeat(201) },
    { type: 'copy-collection', username: 'anna' },
  ]) {
    assert.equal(parseMainToServer(bad), undefined, JSON.stringify(bad));
  }
  const copied = { type: 'collection-copied', id: 3, copy: { ok: true, file: '/data/anna/.upload-0123456789ab.tmp' } };
  assert.deepEqual(parseServerToMain(copied), copied);
  for (const reason of ['unknown-person', 'no-collection', 'syncing', 'in-use', 'failed']) {
    const refused = { type: 'collection-copied', id: 4, copy: { ok: false, reason } };
    assert.deepEqual(parseServerToMain(refused), refused);
  }
  for (const bad of [
    { type: 'collection-copied', id: 4, copy: { ok: false, reason: 'because' } },
    { type: 'collection-copied', id: 4, copy: { ok: true, file: '' } },
    { type: 'collection-copied', id: 4, copy: { ok: true } },
    { type: 'collection-copied', copy: { ok: true, file: '/x' } },
  ]) {
    assert.equal(parseServerToMain(bad), undefined, JSON.stringify(bad));
  }
});
