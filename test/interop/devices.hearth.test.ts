// Devices as the real Anki client meets them (src/server/accounts/device-store.ts): every login
// gets a key of its own; a device that logged in before this version holds the key the official
// server derives from the password and goes on syncing until it is signed out; and a data folder
// moved to the official server and back needs no full sync, only a new login where the key is
// unknown. (Hearth only: the official server has one key per password and no devices.)
// The window's part (sign out from People in real Chromium) is test/ui/devices.test.ts.
import { runAll } from './teardown.ts';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AnkiClient, AnkiClientError } from './anki-client.ts';
import { startServer } from './servers.ts';
import { hostKeyFor } from '../../src/server/accounts/host-key.ts';
import { openAccountStore } from '../../src/server/accounts/account-store.ts';
import { BEFORE_DEVICE_ID, openDeviceStore } from '../../src/server/accounts/device-store.ts';

const TEST_TIMEOUT_MS = 180_000;
const FULL = ['FULL_SYNC', 'FULL_UPLOAD', 'FULL_DOWNLOAD'];

async function expectAuthError(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AnkiClientError, `expected AnkiClientError, got ${String(err)}`);
    assert.equal(err.kind, 'auth', `expected an auth error, got ${err.message}`);
    return true;
  });
}

describe('devices: the real Anki client against Hearth', { timeout: 3 * TEST_TIMEOUT_MS }, () => {
  let tmp = '';
  let anki: AnkiClient | undefined;
  const client = (): AnkiClient => {
    assert.ok(anki, 'Anki client not started');
    return anki;
  };

  before(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), 'hearth-devices-'));
    anki = await AnkiClient.start();
  });
  after(() =>
    runAll(
      () => anki?.stop(),
      () => rm(tmp, { recursive: true, force: true }),
    ),
  );

  it(
    'a device logged in before this version keeps syncing with its old key until signed out, then logs in again with no full sync',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const base = path.join(tmp, 'upgraded');
      // An account as an earlier Hearth wrote it: no keyFromBefore field.
      await openAccountStore(base).add('alice', 'alices password');
      const file = path.join(base, '.hearth', 'accounts.json');
      const data = JSON.parse(await readFile(file, 'utf8')) as { accounts: Record<string, unknown>[] };
      for (const a of data.accounts) delete a.keyFromBefore;
      await writeFile(file, JSON.stringify(data));
      const server = await startServer('hearth', { users: [], base });
      try {
        const phone = path.join(tmp, 'old-phone', 'collection.anki2');
        // What the phone holds from its login to the earlier Hearth.
        await client().setAuth(phone, server.endpoint, hostKeyFor('alice:alices password'));
        await client().populate(phone, { notes: 12 });
        assert.equal((await client().sync(phone)).required, 'FULL_UPLOAD');
        await client().fullUpload(phone);
        await client().populate(phone, { notes: 3 });
        assert.equal((await client().sync(phone)).required, 'NO_CHANGES', 'a normal sync with the key from before');

        // Signed out as the window or `npm run accounts -- signout alice before` does.
        const devices = openDeviceStore(base, Date.now());
        assert.deepEqual(
          devices.list('alice').map((d) => d.id),
          [BEFORE_DEVICE_ID],
          'listed as the devices from before',
        );
        devices.signOut('alice', BEFORE_DEVICE_ID, Date.now());
        devices.close();
        await expectAuthError(client().sync(phone));

        const login = await client().login(phone, server.endpoint, 'alice', 'alices password');
        assert.notEqual(login.hkey, hostKeyFor('alice:alices password'), 'a key of its own now');
        await client().populate(phone, { notes: 1 });
        const again = await client().sync(phone);
        assert.ok(!FULL.includes(again.required), `no full sync after logging in again (${again.required})`);
        assert.equal((await client().dump(phone)).notes.length, 16);
      } finally {
        await server.stop();
      }
    },
  );

  it(
    'a data folder moved to the official server and back needs no full sync; devices log in again where their key is unknown',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const base = path.join(tmp, 'moved');
      const users = ['carol:carols password'];
      const laptop = path.join(tmp, 'laptop', 'collection.anki2');

      let hearthKey = '';
      const hearth = await startServer('hearth', { users, base });
      try {
        hearthKey = (await client().login(laptop, hearth.endpoint, 'carol', 'carols password')).hkey;
        assert.notEqual(hearthKey, hostKeyFor('carol:carols password'), 'Hearth hands out a key of the device’s own');
        await client().populate(laptop, { notes: 10 });
        assert.equal((await client().sync(laptop)).required, 'FULL_UPLOAD');
        await client().fullUpload(laptop);
      } finally {
        await hearth.stop();
      }

      const official = await startServer('official', { users, base });
      try {
        // The same device, pointed at the official server (the address is all that changed).
        await client().setAuth(laptop, official.endpoint, hearthKey);
        await expectAuthError(client().sync(laptop));
        const login = await client().login(laptop, official.endpoint, 'carol', 'carols password');
        assert.equal(login.hkey, hostKeyFor('carol:carols password'), 'the official server’s derived key');
        await client().populate(laptop, { notes: 2 });
        const there = await client().sync(laptop);
        assert.ok(!FULL.includes(there.required), `no full sync on the official server (${there.required})`);
      } finally {
        await official.stop();
      }

      const back = await startServer('hearth', { users, base });
      try {
        await client().setAuth(laptop, back.endpoint, hostKeyFor('carol:carols password'));
        await client().populate(laptop, { notes: 1 });
        const home = await client().sync(laptop);
        assert.ok(!FULL.includes(home.required), `no full sync back on Hearth, with the official key (${home.required})`);
        assert.equal((await client().dump(laptop)).notes.length, 13);
      } finally {
        await back.stop();
      }
    },
  );
});
