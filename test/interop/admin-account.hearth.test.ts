// The whole path a family takes on a NAS: a person is added on the headless server's admin page
// (through its HTTP API, as the window does), and the REAL Anki client logs in with that account
// and syncs; the admin page then shows when and with which app. Changing the password or
// removing the person takes effect at once.
// Run: source scripts/node-env.sh && node --test test/interop/admin-account.hearth.test.ts
import { runAll } from './teardown.ts';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AnkiClient, AnkiClientError } from './anki-client.ts';
import { startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';

const TEST_TIMEOUT_MS = 180_000;
const SETUP_TIMEOUT_MS = 120_000;
/** Longest the activity record may take to show a sync (it is written a few seconds after). */
const ACTIVITY_TIMEOUT_MS = 15_000;

const USERNAME = 'alice';
const PASSWORD = 'alices long password';

async function expectAuthError(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AnkiClientError, `expected AnkiClientError, got ${String(err)}`);
    assert.equal(err.kind, 'auth', `expected an auth error, got ${err.message}`);
    return true;
  });
}

describe('an account added on the headless admin page, used by the real Anki client', { timeout: 10 * TEST_TIMEOUT_MS }, () => {
  let tmp = '';
  let ui: UiServer | undefined;
  let client: AnkiClient | undefined;
  let device = '';
  let second = '';

  const admin = (): UiServer => {
    assert.ok(ui, 'server not started');
    return ui;
  };
  const anki = (): AnkiClient => {
    assert.ok(client, 'Anki client not started');
    return client;
  };

  before(
    async () => {
      tmp = await mkdtemp(path.join(tmpdir(), 'hearth-interop-admin-'));
      device = path.join(tmp, 'device-a', 'collection.anki2');
      second = path.join(tmp, 'device-b', 'collection.anki2');
      ui = await startUiServer({ base: path.join(tmp, 'server-base') });
      client = await AnkiClient.start();
    },
    { timeout: SETUP_TIMEOUT_MS },
  );

  after(
    async () =>
      runAll(
        () => client?.stop(),
        () => ui?.stop(),
        () => (tmp !== '' ? rm(tmp, { recursive: true, force: true }) : undefined),
      ),
    { timeout: SETUP_TIMEOUT_MS },
  );

  it('nobody can log in before the person is added', { timeout: TEST_TIMEOUT_MS }, async () => {
    await expectAuthError(anki().login(device, admin().syncEndpoint, USERNAME, PASSWORD));
  });

  it('the person added on the admin page logs in and uploads a collection', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.deepEqual(await admin().api.addPerson(USERNAME, PASSWORD), { ok: true });
    const login = await anki().login(device, admin().syncEndpoint, USERNAME, PASSWORD);
    assert.match(login.hkey, /\S/);
    await anki().populate(device, { notes: 30 });
    const first = await anki().sync(device);
    assert.equal(first.required, 'FULL_UPLOAD');
    await anki().fullUpload(device);
    const again = await anki().sync(device);
    assert.equal(again.required, 'NO_CHANGES');
  });

  it('a second device downloads it with the same account', { timeout: TEST_TIMEOUT_MS }, async () => {
    await anki().login(second, admin().syncEndpoint, USERNAME, PASSWORD);
    const first = await anki().sync(second);
    assert.equal(first.required, 'FULL_DOWNLOAD');
    await anki().fullDownload(second);
    assert.equal((await anki().dump(second)).notes.length, 30);
  });

  it('the admin page shows when the person synced, with which Anki, and the space used', { timeout: TEST_TIMEOUT_MS }, async () => {
    const deadline = Date.now() + ACTIVITY_TIMEOUT_MS;
    let [person] = await admin().api.listPeople();
    while (person?.lastSyncAt === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      [person] = await admin().api.listPeople();
    }
    assert.ok(person, 'alice is listed');
    assert.equal(person.username, USERNAME);
    assert.equal(person.source, 'hearth');
    assert.ok(person.lastSyncAt !== null && Date.now() - Date.parse(person.lastSyncAt) < 5 * 60_000, `last sync ${person.lastSyncAt}`);
    const { anki_version: version } = await anki().ping();
    assert.equal(person.lastClient, `Anki ${version} (Linux)`, 'the real client’s "version,buildhash,linux"');
    assert.ok(person.collectionBytes > 0);
  });

  it('a changed password logs the old one out at once', { timeout: TEST_TIMEOUT_MS }, async () => {
    assert.deepEqual(await admin().api.changePassword(USERNAME, 'a brand new password', []), { ok: true });
    await expectAuthError(anki().login(device, admin().syncEndpoint, USERNAME, PASSWORD));
    await anki().login(device, admin().syncEndpoint, USERNAME, 'a brand new password');
    assert.equal((await anki().sync(device)).required, 'NO_CHANGES');
  });

  it('a removed person can no longer sync', { timeout: TEST_TIMEOUT_MS }, async () => {
    await new Promise((r) => setTimeout(r, 5_500)); // the last sync counts as finished after a quiet moment
    assert.deepEqual(await admin().api.removePerson(USERNAME, false), { ok: true });
    await expectAuthError(anki().sync(device));
  });
});
