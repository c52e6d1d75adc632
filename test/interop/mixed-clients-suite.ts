/**
 * One account shared by a device with the current client (26.9.3, sync protocol 11) and a device
 * with an old one (2.1.50 or 2.1.56, protocol 10), against a sync server started by servers.ts:
 *
 *   mixedClientsSuite('official', '2.1.50')   // the reference
 *   mixedClientsSuite('hearth', '2.1.50')     // ours
 *
 * What each device changes, the other receives: through full syncs both ways (the server hands
 * the old device its collection in the old format, and takes the old format from it) and through
 * normal and media syncs both ways. The tests run in order and share state.
 */
import { runAll } from './teardown.ts';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import { AnkiClient, withoutNewerDeckConfigKeys } from './anki-client.ts';
import type { CollectionDump, MediaFolder, OldClientVersion } from './anki-client.ts';
import { startServer } from './servers.ts';
import type { RunningServer, SuiteServerKind } from './servers.ts';
import { startTogether } from '../helpers/start-together.ts';

const TEST_TIMEOUT_MS = 120_000;
const SETUP_TIMEOUT_MS = 120_000;
/** Notes and decks carry their modification time in whole seconds: edits meant to be later wait this long. */
const NEXT_SECOND_MS = 1_100;

const USERNAME = 'alice';
const PASSWORD = 'correct-horse-battery';
const DECKS = ['日本語::語彙', 'Ärger'];
const TAGS = ['日本語::語彙', 'straße'];

/**
 * Both devices hold the same collection. Deck configs are compared without the keys the old
 * client does not know (NEWER_DECK_CONFIG_KEYS): it holds them only where a config last came from
 * the server, and the current client sends its own values of them.
 */
function assertSameCollection(actual: CollectionDump, expected: CollectionDump, what: string): void {
  [actual, expected] = [withoutNewerDeckConfigKeys(actual), withoutNewerDeckConfigKeys(expected)];
  // Section by section so that a failure names what differs.
  assert.equal(actual.crt, expected.crt, `${what}: collection creation time differs`);
  assert.deepStrictEqual(actual.notes, expected.notes, `${what}: notes differ`);
  assert.deepStrictEqual(actual.cards, expected.cards, `${what}: cards differ`);
  assert.deepStrictEqual(actual.decks, expected.decks, `${what}: decks differ`);
  assert.deepStrictEqual(actual.deck_configs, expected.deck_configs, `${what}: deck configs differ`);
  assert.deepStrictEqual(actual.notetypes, expected.notetypes, `${what}: notetypes differ`);
  assert.deepStrictEqual(actual.tags, expected.tags, `${what}: tags differ`);
  assert.deepStrictEqual(actual.revlog, expected.revlog, `${what}: revlog differs`);
  assert.deepStrictEqual(actual, expected, `${what}: collections differ`);
}

/** The same files, by name and content. */
function assertSameMedia(actual: MediaFolder, expected: MediaFolder, what: string): void {
  const entries = (folder: MediaFolder): [string, string][] => folder.files.map((f) => [f.name, f.sha1]);
  assert.deepStrictEqual(entries(actual), entries(expected), what);
}

export function mixedClientsSuite(kind: SuiteServerKind, oldVersion: OldClientVersion): void {
  describe(`one account, a current and a ${oldVersion} device, against the ${kind} server`, { timeout: 10 * TEST_TIMEOUT_MS }, () => {
    let tmp = '';
    let server: RunningServer | undefined;
    let current: AnkiClient | undefined;
    let old: AnkiClient | undefined;
    /** The device with the current client, and the one with the old client. */
    const dev = { now: '', old: '' };

    const srv = (): RunningServer => {
      assert.ok(server, 'server not started');
      return server;
    };
    const cur = (): AnkiClient => {
      assert.ok(current, 'current Anki client not started');
      return current;
    };
    const legacy = (): AnkiClient => {
      assert.ok(old, `Anki client ${oldVersion} not started`);
      return old;
    };
    /** A sync that must carry out a normal sync (and leave nothing to do). */
    const syncPerforms = async (client: AnkiClient, device: string, what: string): Promise<void> => {
      const r = await client.sync(device);
      assert.equal(r.required, 'NO_CHANGES', `${what}: required after the sync`);
      assert.equal(r.normal_sync_performed, true, `${what}: a normal sync should have been carried out`);
    };
    const bothLevel = async (what: string): Promise<CollectionDump> => {
      const a = await cur().dump(dev.now);
      assertSameCollection(await legacy().dump(dev.old), a, what);
      assertSameMedia(await legacy().mediaFiles(dev.old), await cur().mediaFiles(dev.now), `${what}: media`);
      return a;
    };

    before(
      async () => {
        tmp = await mkdtemp(path.join(tmpdir(), `hearth-interop-mixed-${kind}-`));
        dev.now = path.join(tmp, 'device-current', 'collection.anki2');
        dev.old = path.join(tmp, `device-${oldVersion}`, 'collection.anki2');
        server = await startServer(kind, { users: [`${USERNAME}:${PASSWORD}`], base: path.join(tmp, 'server-base') });
        [current, old] = await startTogether(AnkiClient.start(), AnkiClient.start({ version: oldVersion }));
        assert.equal(old.legacy, true, `${oldVersion} should speak the old protocol`);
        assert.equal(current.legacy, false, `the current client (${current.version}) should not`);
      },
      { timeout: SETUP_TIMEOUT_MS },
    );

    after(
      async () =>
        runAll(
          () => Promise.all([current?.stop(), old?.stop()]),
          () => server?.stop(),
          () => (tmp !== '' ? rm(tmp, { recursive: true, force: true }) : undefined),
        ),
      { timeout: SETUP_TIMEOUT_MS },
    );

    it(
      `the current device uploads; the ${oldVersion} device downloads the same collection and finds it sound`,
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        await cur().login(dev.now, srv().endpoint, USERNAME, PASSWORD);
        await legacy().login(dev.old, srv().endpoint, USERNAME, PASSWORD);
        await cur().populate(dev.now, { notes: 20, decks: DECKS, tags: TAGS, reviews: 5 });
        assert.equal((await cur().sync(dev.now)).required, 'FULL_UPLOAD');
        await cur().fullUpload(dev.now);
        assert.equal((await legacy().sync(dev.old)).required, 'FULL_DOWNLOAD');
        await legacy().fullDownload(dev.old);
        const level = await bothLevel(`${oldVersion} after downloading`);
        assert.equal(level.notes.length, 20);
        const check = await legacy().check(dev.old);
        assert.deepStrictEqual(check.integrity, ['ok'], 'PRAGMA integrity_check');
        assert.deepStrictEqual(check.problems, [], 'Check Database found problems');
        // The download moved the server's mod: the current device's next sync is a normal one.
        await syncPerforms(cur(), dev.now, 'current device after the download');
      },
    );

    it(
      `the ${oldVersion} device adds, edits and deletes notes, reviews, and adds media; the current device receives all of it`,
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const before = await cur().dump(dev.now);
        const added = await legacy().addNotes(dev.old, [
          { deck: DECKS[0]!, fields: ['alt 1 — 古い', 'old one'], tags: ['alt'] },
          { deck: 'Neu::Älter', fields: ['alt 2', 'old two'], tags: ['alt', 'ΣΟΦΊΑ'] },
        ]);
        const [edited, removed] = [before.notes[0]!.id, before.notes[1]!.id];
        await legacy().editNote(dev.old, edited, { fields: { Back: `geändert von ${oldVersion}` }, tagsAdd: ['alt::bearbeitet'] });
        assert.equal(await legacy().removeNotes(dev.old, [removed]), 1);
        const reviewed = await legacy().review(dev.old, 3);
        const name = await legacy().mediaWrite(dev.old, `von ${oldVersion} 猫.txt`, Buffer.from(`media from ${oldVersion}`));
        await syncPerforms(legacy(), dev.old, `${oldVersion} device`);
        await legacy().syncMedia(dev.old);
        await syncPerforms(cur(), dev.now, 'current device');
        await cur().syncMedia(dev.now);

        const level = await bothLevel('after the old device’s changes');
        const ids = new Set(level.notes.map((n) => n.id));
        for (const id of added.note_ids) assert.ok(ids.has(id), `note ${id} added on ${oldVersion} missing`);
        assert.ok(!ids.has(removed), `note ${removed} deleted on ${oldVersion} still there`);
        assert.equal(level.notes.find((n) => n.id === edited)?.flds[1], `geändert von ${oldVersion}`);
        assert.ok(
          level.decks.some((d) => d.name === 'Neu::Älter'),
          'deck made on the old device',
        );
        assert.equal(level.revlog.length, before.revlog.length + reviewed.answered, 'the old device’s reviews');
        assert.ok(
          (await cur().mediaFiles(dev.now)).files.some((f) => f.name === name),
          `media file ${name}`,
        );
      },
    );

    it(
      `the current device adds, edits and deletes notes and media; the ${oldVersion} device receives all of it`,
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        // Later than the old device's edit of the same note, so that this one wins.
        await sleep(NEXT_SECOND_MS);
        const before = await cur().dump(dev.now);
        const added = await cur().addNotes(dev.now, [{ deck: DECKS[1]!, fields: ['neu — 新しい', 'new'], tags: ['neu'] }]);
        const [edited, removed] = [before.notes[0]!.id, before.notes[2]!.id];
        await cur().editNote(dev.now, edited, { fields: { Front: 'geändert vom neuen Gerät' } });
        assert.equal(await cur().removeNotes(dev.now, [removed]), 1);
        const removedDeck = before.decks.find((d) => d.name === 'Neu::Älter')!.id;
        await cur().removeDecks(dev.now, [removedDeck]);
        const media = await cur().mediaFiles(dev.now);
        const trashed = media.files[0]!.name;
        await cur().mediaTrash(dev.now, [trashed]);
        const name = await cur().mediaWrite(dev.now, 'vom neuen Gerät 犬.txt', Buffer.from('media from the current client'));
        await syncPerforms(cur(), dev.now, 'current device');
        await cur().syncMedia(dev.now);
        await syncPerforms(legacy(), dev.old, `${oldVersion} device`);
        await legacy().syncMedia(dev.old);

        const level = await bothLevel('after the current device’s changes');
        const ids = new Set(level.notes.map((n) => n.id));
        for (const id of added.note_ids) assert.ok(ids.has(id), `note ${id} added on the current device missing`);
        assert.ok(!ids.has(removed), `note ${removed} deleted on the current device still there`);
        assert.equal(level.notes.find((n) => n.id === edited)?.flds[0], 'geändert vom neuen Gerät');
        assert.ok(!level.decks.some((d) => d.id === removedDeck), 'deck deleted on the current device');
        const oldMedia = (await legacy().mediaFiles(dev.old)).files.map((f) => f.name);
        assert.ok(oldMedia.includes(name) && !oldMedia.includes(trashed), `${oldVersion} media: ${oldMedia.join(', ')}`);
      },
    );

    it(
      `a schema change on the ${oldVersion} device: it uploads its collection, and the current device downloads it`,
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        await legacy().addField(dev.old, 'Basic', 'Notiz 📝');
        assert.equal((await legacy().sync(dev.old)).required, 'FULL_SYNC');
        await legacy().fullUpload(dev.old);
        assert.equal((await cur().sync(dev.now)).required, 'FULL_SYNC');
        await cur().fullDownload(dev.now);
        const level = await bothLevel('current device after downloading');
        assert.deepEqual(
          level.notetypes.find((n) => n.name === 'Basic')?.fields.map((f) => f.name),
          ['Front', 'Back', 'Notiz 📝'],
        );
        // And normal syncs carry on, both ways.
        await syncPerforms(legacy(), dev.old, `${oldVersion} device after the upload`);
        const note = level.notes[0]!.id;
        await cur().editNote(dev.now, note, { fields: { 'Notiz 📝': 'eine Notiz' } });
        await syncPerforms(cur(), dev.now, 'current device');
        await syncPerforms(legacy(), dev.old, `${oldVersion} device`);
        assert.equal((await bothLevel('after the last round')).notes.find((n) => n.id === note)?.flds[2], 'eine Notiz');

        // Old clients do not record a card's last review time (in the card's data): the current
        // client's Check Database adds it to the cards the old one reviewed, and finds nothing
        // else. (Having changed cards, it then asks for a full sync: so it runs last.)
        const check = await cur().check(dev.now);
        assert.deepStrictEqual(check.integrity, ['ok'], 'PRAGMA integrity_check');
        for (const problem of check.problems) assert.match(problem, /^Added last review time to \S+ cards?\.$/u);
      },
    );
  });
}
