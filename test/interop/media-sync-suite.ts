/**
 * Media-sync interop suite: the real Anki client (via anki-client.ts) against a sync server
 * started by servers.ts. Run against any server kind:
 *
 *   mediaSyncSuite('official')   // reference: Anki's own sync server
 *   mediaSyncSuite('hearth')     // ours
 *   mediaSyncSuite('official', { client: '2.1.50' })   // an old client (sync protocol 10)
 *
 * A media sync normally follows a collection sync. This suite needs no normal (incremental)
 * collection sync: devices share a collection through a full upload / full download, and media
 * syncs are started on their own with the driver's `sync_media` (the client then calls
 * msync/begin itself for the server usn). The tests run in order and share state.
 */
import { runAll } from './teardown.ts';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { AnkiClient } from './anki-client.ts';
import type { MediaFolder, OldClientVersion } from './anki-client.ts';
import { startServer } from './servers.ts';
import type { RunningServer, ServerKind, SuiteServerKind } from './servers.ts';
import { send, syncHeader } from '../helpers/sync-client.ts';
import { uploadZip } from '../server/media/support.ts';

const TEST_TIMEOUT_MS = 180_000;
const SETUP_TIMEOUT_MS = 120_000;

const ALICE = 'alice';
const ALICE_PASSWORD = 'correct-horse-battery';
const BOB = 'bob';
const BOB_PASSWORD = 'hunter2';
const USERS = [`${ALICE}:${ALICE_PASSWORD}`, `${BOB}:${BOB_PASSWORD}`];

/** Unicode names as a person's decks would have them (all NFC, none of the characters clients strip). */
const UNICODE_NAMES = [
  '猫.jpg',
  '犬 inu.png',
  '日本語の音声.mp3',
  'Ärger.jpg',
  'straße.png',
  'ΣΟΦΊΑ.gif',
  'مرحبا.jpg',
  'привет мир.png',
  'café.gif',
  'naïve.svg',
  '한국어.jpg',
  'emoji 🦊.png',
  'Ωμέγα.webp',
  'smörgåsbord.jpg',
  'ﬁne ligature.txt',
  'Ñandú.ogg',
];
const BIG_NAME = 'big five megabytes.bin';
const FILE_COUNT = 30;

const sha1 = (data: Buffer): string => createHash('sha1').update(data).digest('hex');

/** Deterministic, incompressible bytes. */
function content(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = (Math.imul(seed + 1, 2654435761) + 7) >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** The server's media usn for an account, asked the way the client asks (msync/begin). */
async function serverMediaUsn(endpoint: string, hkey: string): Promise<number> {
  const r = await send(endpoint, 'msync/begin', { header: syncHeader(hkey, 'suite1'), body: { v: 'anki,26.9.3 (interop),linux' } });
  assert.equal(r.status, 200, `msync/begin answered ${r.status}`);
  return (r.json() as { data: { usn: number } }).data.usn;
}

function assertFolderHolds(folder: MediaFolder, expected: ReadonlyMap<string, Buffer>, what: string): void {
  assert.deepEqual(
    folder.files.map((f) => f.name),
    [...expected.keys()].sort(),
    `${what}: file names`,
  );
  for (const file of folder.files) {
    const want = expected.get(file.name)!;
    assert.equal(file.sha1, sha1(want), `${what}: ${file.name} content`);
    // Byte for byte, read from the device's own folder.
    assert.ok(readFileSync(path.join(folder.dir, file.name)).equals(want), `${what}: ${file.name} bytes`);
  }
}

/** The server's copy of an account's media (official layout: SYNC_BASE/<user>/media/<name>). */
function assertServerFolderHolds(base: string, user: string, expected: ReadonlyMap<string, Buffer>): void {
  const dir = path.join(base, user, 'media');
  assert.deepEqual(readdirSync(dir).sort(), [...expected.keys()].sort(), `server media folder of ${user}`);
  for (const [name, data] of expected) assert.ok(readFileSync(path.join(dir, name)).equals(data), `server copy of ${name}`);
}

export interface MediaSyncSuiteOptions {
  /** Drive this old client instead of the current one. */
  client?: OldClientVersion;
}

export function mediaSyncSuite(kind: SuiteServerKind, options: MediaSyncSuiteOptions = {}): void {
  const otherKind: ServerKind = kind === 'official' ? 'hearth' : 'official';
  const clientName = options.client === undefined ? 'real Anki client' : `real Anki client ${options.client}`;

  describe(`media sync: ${clientName} against the ${kind} server`, { timeout: 12 * TEST_TIMEOUT_MS }, () => {
    let tmp = '';
    let base = '';
    let server: RunningServer | undefined;
    let client: AnkiClient | undefined;
    const device: Record<'A' | 'B' | 'C' | 'D', string> = { A: '', B: '', C: '', D: '' };
    const hkeys: Record<string, string> = {};
    /** What alice's media should be everywhere: name → bytes. */
    const alice = new Map<string, Buffer>();
    /** The names the client chose for UNICODE_NAMES, in order (current clients lower-case them). */
    const chosen: string[] = [];
    const bob = new Map<string, Buffer>();

    const srv = (): RunningServer => {
      assert.ok(server, 'server not started');
      return server;
    };
    const anki = (): AnkiClient => {
      assert.ok(client, 'Anki client not started');
      return client;
    };
    const usnOf = (user: string): Promise<number> => serverMediaUsn(srv().endpoint, hkeys[user]!);

    before(
      async () => {
        tmp = await mkdtemp(path.join(tmpdir(), `hearth-interop-media-${kind}-`));
        for (const d of ['A', 'B', 'C', 'D'] as const) device[d] = path.join(tmp, `device-${d}`, 'collection.anki2');
        base = path.join(tmp, 'server-base');
        server = await startServer(kind, { users: USERS, base });
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

    it(
      'logs in four devices; A uploads its collection and B downloads it (full sync, no normal sync needed)',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        for (const d of ['A', 'B', 'C'] as const)
          hkeys[ALICE] = (await anki().login(device[d], srv().endpoint, ALICE, ALICE_PASSWORD)).hkey;
        hkeys[BOB] = (await anki().login(device.D, srv().endpoint, BOB, BOB_PASSWORD)).hkey;
        await anki().populate(device.A, { notes: 5 });
        assert.equal((await anki().sync(device.A)).required, 'FULL_UPLOAD');
        await anki().fullUpload(device.A);
        assert.equal((await anki().sync(device.B)).required, 'FULL_DOWNLOAD');
        await anki().fullDownload(device.B);
        assert.equal(await usnOf(ALICE), 0, 'no media yet');
      },
    );

    it(
      `device A adds ${FILE_COUNT} files (unicode names, one of 5 MB) and a media sync uploads them`,
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const wanted: [string, Buffer][] = [[BIG_NAME, content(5 * 1024 * 1024, 999)]];
        UNICODE_NAMES.forEach((name, i) => wanted.push([name, content(1000 + i * 7919, i)]));
        for (let i = wanted.length; i < FILE_COUNT; i++) wanted.push([`plain-${i}.txt`, content(200 + i, 100 + i)]);
        assert.equal(wanted.length, FILE_COUNT);
        for (const [name, data] of wanted) {
          const used = await anki().mediaWrite(device.A, name, data);
          assert.ok(!alice.has(used), `the client chose a new name for ${name}`);
          alice.set(used, data);
          if (UNICODE_NAMES.includes(name)) chosen.push(used);
        }
        assert.equal(chosen.length, UNICODE_NAMES.length);
        await anki().syncMedia(device.A);
        assert.equal(await usnOf(ALICE), FILE_COUNT, 'one usn per added file');
        assertServerFolderHolds(base, ALICE, alice);
      },
    );

    it('device B media-syncs and has byte-identical files', { timeout: TEST_TIMEOUT_MS }, async () => {
      await anki().syncMedia(device.B);
      assertFolderHolds(await anki().mediaFiles(device.B), alice, 'device B');
    });

    it('A deletes 3 files; after syncing A then B, B has lost them too', { timeout: TEST_TIMEOUT_MS }, async () => {
      const doomed = [chosen[0]!, chosen[5]!, 'plain-20.txt'];
      await anki().mediaTrash(device.A, doomed);
      for (const name of doomed) alice.delete(name);
      await anki().syncMedia(device.A);
      assert.equal(await usnOf(ALICE), FILE_COUNT + 3, 'one usn per deletion');
      await anki().syncMedia(device.B);
      assertFolderHolds(await anki().mediaFiles(device.B), alice, 'device B');
      assertFolderHolds(await anki().mediaFiles(device.A), alice, 'device A');
      assertServerFolderHolds(base, ALICE, alice);
    });

    it('re-adding an identical file does not change the media usn', { timeout: TEST_TIMEOUT_MS }, async () => {
      const usn = await usnOf(ALICE);
      // Remove and put back the same bytes before syncing: the client uploads the file again,
      // and the server finds it identical to what it has.
      const name = chosen[3]!;
      await anki().mediaTrash(device.A, [name]);
      assert.equal(await anki().mediaWrite(device.A, name, alice.get(name)!), name);
      await anki().syncMedia(device.A);
      assert.equal(await usnOf(ALICE), usn, 'identical re-add from the client');

      // The same at the protocol level, as a second device would send it (docs/protocol/behaviours.md B6),
      // and a repeated deletion of an already deleted file.
      const reply = await send(srv().endpoint, 'msync/uploadChanges', {
        header: syncHeader(hkeys[ALICE]!, 'suite2'),
        body: await uploadZip([
          [name, alice.get(name)!],
          [chosen[0]!, null],
        ]),
      });
      assert.equal(reply.status, 200);
      assert.deepEqual(reply.json(), { data: [2, usn], err: '' });
      assert.equal(await usnOf(ALICE), usn);

      await anki().syncMedia(device.B);
      assertFolderHolds(await anki().mediaFiles(device.B), alice, 'device B');
    });

    it('a full download to a fresh device followed by a media sync brings every file', { timeout: TEST_TIMEOUT_MS }, async () => {
      assert.equal((await anki().sync(device.C)).required, 'FULL_DOWNLOAD');
      await anki().fullDownload(device.C);
      await anki().syncMedia(device.C);
      assertFolderHolds(await anki().mediaFiles(device.C), alice, 'device C');
    });

    it("two accounts' media are isolated", { timeout: TEST_TIMEOUT_MS }, async () => {
      const aliceUsn = await usnOf(ALICE);
      for (const [name, data] of [
        ['bob only.png', content(3000, 42)],
        [chosen[1]!, content(500, 43)], // same name as one of alice's files, other content
      ] as const) {
        bob.set(await anki().mediaWrite(device.D, name, data), data);
      }
      await anki().syncMedia(device.D);
      assert.equal(await usnOf(BOB), 2);
      assert.equal(await usnOf(ALICE), aliceUsn, "bob's uploads do not touch alice's usn");
      assertFolderHolds(await anki().mediaFiles(device.D), bob, 'device D (bob)');
      assertServerFolderHolds(base, BOB, bob);
      assertServerFolderHolds(base, ALICE, alice);
      await anki().syncMedia(device.B);
      assertFolderHolds(await anki().mediaFiles(device.B), alice, 'device B (alice)');
      // Bob's key cannot fetch a file only alice has.
      const r = await send(srv().endpoint, 'msync/downloadFiles', {
        header: syncHeader(hkeys[BOB]!, 'suite3'),
        body: { files: ['café.gif'] },
      });
      assert.equal(r.status, 409);
    });

    const moveOptions = {
      timeout: TEST_TIMEOUT_MS,
      // What moves is the servers' data folder, whatever the client: the current client's run
      // covers it, and an old client's would also depend on the other server serving old clients.
      skip: options.client !== undefined && 'a server-side move: covered by the current client',
    };
    it(`the data folder moves to the ${otherKind} server with no media resync`, moveOptions, async () => {
      const usns = { alice: await usnOf(ALICE), bob: await usnOf(BOB) };
      const mtimes = (folder: MediaFolder): Record<string, number> =>
        Object.fromEntries(folder.files.map((f) => [f.name, statSync(path.join(folder.dir, f.name)).mtimeMs]));
      const before = mtimes(await anki().mediaFiles(device.B));

      await srv().stop();
      server = undefined;
      server = await startServer(otherKind, { users: USERS, base });
      if (otherKind === 'official') {
        // The official server knows only the key it derives from the password, not the keys
        // Hearth hands each login: the devices log in again there (README, "Devices and keys").
        for (const d of ['A', 'B', 'C'] as const)
          hkeys[ALICE] = (await anki().login(device[d], srv().endpoint, ALICE, ALICE_PASSWORD)).hkey;
        hkeys[BOB] = (await anki().login(device.D, srv().endpoint, BOB, BOB_PASSWORD)).hkey;
      } else {
        // Hearth takes the official server's keys as they are.
        for (const d of ['A', 'B', 'C'] as const) await anki().setAuth(device[d], srv().endpoint, hkeys[ALICE]!);
        await anki().setAuth(device.D, srv().endpoint, hkeys[BOB]!);
      }

      assert.equal(await usnOf(ALICE), usns.alice, `the ${otherKind} server reads the same media usn`);
      assert.equal(await usnOf(BOB), usns.bob);
      await anki().syncMedia(device.B);
      await anki().syncMedia(device.D);
      const folderB = await anki().mediaFiles(device.B);
      assertFolderHolds(folderB, alice, 'device B after the move');
      assert.deepEqual(mtimes(folderB), before, 'nothing was downloaded again');
      assertFolderHolds(await anki().mediaFiles(device.D), bob, 'device D after the move');

      // And syncing carries on from there.
      const added = content(12_345, 7);
      alice.set(await anki().mediaWrite(device.C, 'after the move.jpg', added), added);
      await anki().syncMedia(device.C);
      assert.equal(await usnOf(ALICE), usns.alice + 1);
      await anki().syncMedia(device.A);
      assertFolderHolds(await anki().mediaFiles(device.A), alice, 'device A after the move');
      assertServerFolderHolds(base, ALICE, alice);
      assert.ok(existsSync(path.join(base, ALICE, 'media.db')));
    });
  });
}
