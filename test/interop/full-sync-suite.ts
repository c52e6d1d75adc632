/**
 * Full-sync interop suite: the real Anki client (via anki-client.ts) against a
 * sync server started by servers.ts. Run against any server kind:
 *
 *   fullSyncSuite('official')   // reference: Anki's own sync server
 *   fullSyncSuite('hearth')     // ours
 *   fullSyncSuite('hearth', { client: '2.1.50' })   // an old client (sync protocol 10)
 *
 * The tests run in order and share state (device A uploads what device B downloads).
 */
import { runAll } from './teardown.ts';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { AnkiClient, AnkiClientError, withoutNewerDeckConfigKeys } from './anki-client.ts';
import type { CollectionDump, OldClientVersion } from './anki-client.ts';
import { startServer } from './servers.ts';
import { send, syncHeader } from '../helpers/sync-client.ts';
import { UPLOAD_CORRUPT } from '../../src/server/sync/upload.ts';
import type { RunningServer, SuiteServerKind } from './servers.ts';

const TEST_TIMEOUT_MS = 180_000;
const SETUP_TIMEOUT_MS = 120_000;

const USERNAME = 'alice';
const PASSWORD = 'correct-horse-battery';
const OTHER_USER = 'bob:hunter2';

const NOTE_COUNT = 200;
const DECKS = ['日本語::語彙', 'Ärger', 'straße', 'ΣΟΦΊΑ'];
const TAGS = ['日本語::語彙', 'Ärger', 'straße', 'ΣΟΦΊΑ'];

async function expectAuthError(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AnkiClientError, `expected AnkiClientError, got ${String(err)}`);
    assert.equal(err.kind, 'auth', `expected an auth error, got ${err.message}`);
    return true;
  });
}

/**
 * `oldClient`: compare without the deck config keys old clients do not know (the server's copy
 * adds them; NEWER_DECK_CONFIG_KEYS).
 */
function assertSameCollection(actual: CollectionDump, expected: CollectionDump, oldClient = false): void {
  if (oldClient) [actual, expected] = [withoutNewerDeckConfigKeys(actual), withoutNewerDeckConfigKeys(expected)];
  // Section by section so that a failure names what differs.
  assert.equal(actual.crt, expected.crt, 'collection creation time differs');
  assert.deepStrictEqual(actual.notes, expected.notes, 'notes differ');
  assert.deepStrictEqual(actual.cards, expected.cards, 'cards differ');
  assert.deepStrictEqual(actual.decks, expected.decks, 'decks differ');
  assert.deepStrictEqual(actual.deck_configs, expected.deck_configs, 'deck configs differ');
  assert.deepStrictEqual(actual.notetypes, expected.notetypes, 'notetypes differ');
  assert.deepStrictEqual(actual.tags, expected.tags, 'tags differ');
  assert.deepStrictEqual(actual.revlog, expected.revlog, 'revlog differs');
  assert.deepStrictEqual(actual, expected, 'collections differ');
}

export interface FullSyncSuiteOptions {
  /** Drive this old client instead of the current one. */
  client?: OldClientVersion;
}

export function fullSyncSuite(kind: SuiteServerKind, options: FullSyncSuiteOptions = {}): void {
  const clientName = options.client === undefined ? 'real Anki client' : `real Anki client ${options.client}`;
  describe(`full sync: ${clientName} against the ${kind} server`, { timeout: 10 * TEST_TIMEOUT_MS }, () => {
    let tmp = '';
    let server: RunningServer | undefined;
    let client: AnkiClient | undefined;
    let deviceA = '';
    let deviceB = '';
    let deviceC = '';
    let uploaded: CollectionDump | undefined;

    const srv = (): RunningServer => {
      assert.ok(server, 'server not started');
      return server;
    };
    const anki = (): AnkiClient => {
      assert.ok(client, 'Anki client not started');
      return client;
    };

    before(
      async () => {
        tmp = await mkdtemp(path.join(tmpdir(), `hearth-interop-full-sync-${kind}-`));
        deviceA = path.join(tmp, 'device-a', 'collection.anki2');
        deviceB = path.join(tmp, 'device-b', 'collection.anki2');
        deviceC = path.join(tmp, 'device-c', 'collection.anki2');
        server = await startServer(kind, {
          users: [`${USERNAME}:${PASSWORD}`, OTHER_USER],
          base: path.join(tmp, 'server-base'),
        });
        client = await AnkiClient.start({ version: options.client });
      },
      { timeout: SETUP_TIMEOUT_MS },
    );

    after(
      async () =>
        runAll(
          () => client?.stop(),
          () => server?.stop(),
          () => (tmp !== '' ? rm(tmp, { recursive: true, force: true }) : undefined),
        ),
      { timeout: SETUP_TIMEOUT_MS },
    );

    it('rejects a wrong password at login with an auth error', { timeout: TEST_TIMEOUT_MS }, async () => {
      await expectAuthError(anki().login(deviceA, srv().endpoint, USERNAME, 'wrong-password'));
    });

    it('rejects an unknown user at login with an auth error', { timeout: TEST_TIMEOUT_MS }, async () => {
      await expectAuthError(anki().login(deviceA, srv().endpoint, 'mallory', PASSWORD));
    });

    it('accepts the right password at login and returns a host key', { timeout: TEST_TIMEOUT_MS }, async () => {
      const a = await anki().login(deviceA, srv().endpoint, USERNAME, PASSWORD);
      assert.match(a.hkey, /\S/, 'host key is empty');
      const b = await anki().login(deviceB, srv().endpoint, USERNAME, PASSWORD);
      assert.match(b.hkey, /\S/, 'host key is empty');
    });

    it(
      'asks a device with 200 notes to upload when the account is new, and accepts the full upload',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const counts = await anki().populate(deviceA, { notes: NOTE_COUNT, decks: DECKS, tags: TAGS });
        assert.equal(counts.notes, NOTE_COUNT);
        assert.equal(counts.cards, NOTE_COUNT);
        assert.ok(counts.revlog > 0, 'populate should have produced revlog rows');
        // The client's own Check Database first: answering cards in quick succession can leave one
        // without its last-review time (seen once: "Added last review time to 1 card" on the
        // download). The client repairs that itself; what this suite checks is that the server
        // keeps a collection the client considers clean exactly as clean.
        assert.deepStrictEqual((await anki().check(deviceA)).integrity, ['ok']);

        const first = await anki().sync(deviceA);
        assert.equal(first.required, 'FULL_UPLOAD', 'a new account with a non-empty device needs a full upload');
        await anki().fullUpload(deviceA);

        uploaded = await anki().dump(deviceA);
        assert.equal(uploaded.notes.length, NOTE_COUNT);
      },
    );

    it('asks an empty second device to download the collection, and downloads it', { timeout: TEST_TIMEOUT_MS }, async () => {
      const empty = await anki().dump(deviceB);
      assert.equal(empty.notes.length, 0, 'device B should start empty');

      const first = await anki().sync(deviceB);
      assert.equal(first.required, 'FULL_DOWNLOAD', 'an empty device syncing with a non-empty account needs a full download');
      await anki().fullDownload(deviceB);
    });

    it('gives the second device a collection identical to the uploaded one', { timeout: TEST_TIMEOUT_MS }, async () => {
      assert.ok(uploaded, 'upload step did not complete');
      const downloaded = await anki().dump(deviceB);
      assertSameCollection(downloaded, uploaded, anki().legacy);

      // The non-ASCII names made the round trip.
      const deckNames = downloaded.decks.map((d) => d.name);
      for (const name of [...DECKS, '日本語']) assert.ok(deckNames.includes(name), `deck ${name} missing`);
      for (const tag of TAGS) assert.ok(downloaded.tags.includes(tag), `tag ${tag} missing`);
      assert.equal(downloaded.cards.length, NOTE_COUNT);
      assert.ok(downloaded.revlog.length > 0, 'revlog missing');
    });

    it("passes the client's own database check on the downloaded collection", { timeout: TEST_TIMEOUT_MS }, async () => {
      const result = await anki().check(deviceB);
      assert.deepStrictEqual(result.integrity, ['ok'], 'PRAGMA integrity_check failed');
      assert.deepStrictEqual(result.problems, [], 'Check Database found problems');
      assert.equal(result.ok, true);
    });

    it(
      'refuses a corrupt upload with the corrupt-upload message, and the previous collection still downloads intact',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        assert.ok(uploaded, 'upload step did not complete');
        const { hkey } = await anki().login(deviceC, srv().endpoint, USERNAME, PASSWORD);
        // A damaged file sent with the account's real host key: what a failing disk or a broken
        // client would upload. The real client cannot be made to send one, so the protocol
        // client does, then the real client checks what the server still has.
        const sqliteHeader = Buffer.from('SQLite format 3\0', 'latin1');
        for (const bytes of [Buffer.from('fake data'), Buffer.concat([sqliteHeader, Buffer.alloc(50_000, 7)])]) {
          const reply = await send(srv().endpoint, 'sync/upload', { header: syncHeader(hkey), body: bytes });
          assert.equal(reply.status, 200);
          assert.equal(reply.text(), UPLOAD_CORRUPT);
        }
        const first = await anki().sync(deviceC);
        assert.equal(first.required, 'FULL_DOWNLOAD');
        await anki().fullDownload(deviceC);
        assertSameCollection(await anki().dump(deviceC), uploaded, anki().legacy);
        const check = await anki().check(deviceC);
        assert.deepStrictEqual(check.problems, [], 'Check Database found problems');
        assert.deepStrictEqual(check.integrity, ['ok']);
      },
    );
  });
}
