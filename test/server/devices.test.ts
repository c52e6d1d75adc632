// Devices at the HTTP level (src/server/accounts/device-store.ts): a key per login, the device's
// last sync recorded, and a device signed out or a person removed in the middle of a sync: the
// sync is rolled back (what it wrote is not in the collection on disk) and every later
// request with the key is refused with 403, which the client shows as "log in again".
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { send, syncHeader } from '../helpers/sync-client.ts';
import { startTestServer } from '../helpers/test-server.ts';
import type { TestServer } from '../helpers/test-server.ts';
import { openAccountStore } from '../../src/server/accounts/account-store.ts';
import { BEFORE_DEVICE_ID, openDeviceStore } from '../../src/server/accounts/device-store.ts';
import { openCollection } from '../../src/server/collection/open.ts';

const PASSWORD = 'annas-password';
const ANDROID = '25.09.2,dev,android';
const LINUX = '26.09.3,abc1234,linux';
const CHANGES = { changes: { models: [], decks: [[], []], tags: ['added-during-the-sync'] } };

describe('devices (HTTP level)', () => {
  let t: TestServer;

  beforeEach(async () => {
    t = await startTestServer({ users: ['carol:carols-password'] });
    await openAccountStore(t.base).add('anna', PASSWORD);
  });
  afterEach(() => t.stop());

  const login = async (client: string): Promise<string> => {
    const r = await send(t.endpoint, '/sync/hostKey', { header: { ...syncHeader(''), c: client }, body: { u: 'anna', p: PASSWORD } });
    assert.equal(r.status, 200);
    return (r.json() as { key: string }).key;
  };
  const call = (key: string, method: string, body: unknown, client = LINUX) =>
    send(t.endpoint, `/sync/${method}`, { header: { ...syncHeader(key, 'sk1'), c: client }, body });
  /**
   * The tags in anna's collection on disk. Opening it needs the server to have let go of it: a
   * sync still open holds it locked (exclusive locking), so this also fails if nothing was rolled back.
   */
  const tagsOnDisk = (): string[] => {
    const col = openCollection(join(t.base, 'anna', 'collection.anki2'), { readonly: true });
    try {
      return (col.prepare('SELECT tag FROM tags').all() as { tag: string }[]).map((r) => r.tag);
    } finally {
      col.close();
    }
  };
  /** The window's own connection to the device list, as the app's main process has. */
  const fromTheWindow = <T>(use: (devices: ReturnType<typeof openDeviceStore>) => T): T => {
    const devices = openDeviceStore(t.base, Date.now());
    try {
      return use(devices);
    } finally {
      devices.close();
    }
  };
  /** Starts a normal sync and writes something in it (a tag), without finishing. */
  const halfASync = async (key: string): Promise<void> => {
    assert.equal((await call(key, 'meta', { v: 11, cv: 'x' }, ANDROID)).status, 200);
    assert.equal((await call(key, 'start', { minUsn: 0, lnewer: false }, ANDROID)).status, 200);
    assert.equal((await call(key, 'applyChanges', CHANGES, ANDROID)).status, 200);
  };

  test('two logins get two keys; each device is listed with its app, address and last sync', async () => {
    const phone = await login(ANDROID);
    const laptop = await login(LINUX);
    assert.notEqual(phone, laptop);
    assert.equal((await call(phone, 'meta', { v: 11, cv: 'x' }, ANDROID)).status, 200);
    const listed = fromTheWindow((d) => d.list('anna'));
    assert.equal(listed.length, 2);
    const synced = listed.find((d) => d.lastSyncAt !== null);
    assert.ok(synced, 'the phone’s sync is recorded');
    assert.equal(synced.client, ANDROID);
    assert.equal(synced.lastAddress, '127.0.0.1');
    const other = listed.find((d) => d !== synced)!;
    assert.equal(other.client, LINUX);
    assert.equal(other.lastSyncAt, null, 'logged in, not synced yet');
  });

  test('a device signed out in the middle of a sync: the sync is rolled back, its next request is refused, the other device syncs', async () => {
    const phone = await login(ANDROID);
    const laptop = await login(LINUX);
    assert.equal((await call(laptop, 'meta', { v: 11, cv: 'x' })).status, 200);
    await halfASync(phone);
    const id = fromTheWindow((d) => d.list('anna').find((x) => x.client === ANDROID)!.id);
    assert.equal(
      fromTheWindow((d) => d.signOut('anna', id, Date.now())),
      true,
    );
    await t.server.credentialsChanged();
    assert.deepEqual(tagsOnDisk(), [], 'rolled back: the tag sent during the sync is not there');
    assert.equal((await call(phone, 'chunk', {})).status, 403);
    assert.equal((await call(phone, 'meta', { v: 11, cv: 'x' })).status, 403);
    assert.equal((await call(laptop, 'meta', { v: 11, cv: 'x' })).status, 200);
  });

  test('a device signed out by another process is rolled back at the next request even unannounced', async () => {
    const phone = await login(ANDROID);
    await halfASync(phone);
    const id = fromTheWindow((d) => d.list('anna')[0]!.id);
    fromTheWindow((d) => d.signOut('anna', id, Date.now()));
    assert.equal((await call(phone, 'chunk', {})).status, 403);
    assert.deepEqual(tagsOnDisk(), [], 'rolled back');
  });

  test('removing a person in the middle of a sync rolls it back and refuses every key of theirs', async () => {
    const phone = await login(ANDROID);
    const laptop = await login(LINUX);
    assert.equal((await call(laptop, 'meta', { v: 11, cv: 'x' })).status, 200);
    await halfASync(phone);
    openAccountStore(t.base).remove('anna');
    await t.server.credentialsChanged();
    assert.deepEqual(tagsOnDisk(), [], 'rolled back, and the files closed');
    for (const key of [phone, laptop]) assert.equal((await call(key, 'meta', { v: 11, cv: 'x' })).status, 403);
    assert.deepEqual(t.server.usernames(), ['carol']);
  });

  test('a SYNC_USER device holding the official key from before syncs, is listed once as "before", and can be signed out', async () => {
    const official = t.hkey('carol:carols-password');
    assert.equal((await call(official, 'meta', { v: 11, cv: 'x' }, ANDROID)).status, 200);
    const listed = fromTheWindow((d) => d.list('carol'));
    assert.deepEqual(
      listed.map((d) => [d.id, d.kind, d.client]),
      [[BEFORE_DEVICE_ID, 'before', ANDROID]],
    );
    fromTheWindow((d) => d.signOut('carol', BEFORE_DEVICE_ID, Date.now()));
    assert.equal((await call(official, 'meta', { v: 11, cv: 'x' })).status, 403);
    // Logging in again gives a key of its own, which syncs.
    const r = await send(t.endpoint, '/sync/hostKey', { header: syncHeader(''), body: { u: 'carol', p: 'carols-password' } });
    const { key } = r.json() as { key: string };
    assert.notEqual(key, official);
    assert.equal((await call(key, 'meta', { v: 11, cv: 'x' })).status, 200);
  });
});
