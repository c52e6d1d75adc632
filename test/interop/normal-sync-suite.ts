/**
 * Normal (incremental) sync interop suite: the real Anki client (via anki-client.ts) against a
 * sync server started by servers.ts. Run against any server kind:
 *
 *   normalSyncSuite('official')   // reference: Anki's own sync server — the judge
 *   normalSyncSuite('hearth')     // ours: must behave the same
 *   normalSyncSuite('official', { client: '2.1.50' })   // an old client (sync protocol 10)
 *
 * Every expectation below is what the official server does with the real client (conflict
 * outcomes included); Hearth passes only by behaving identically. Tests run in order and share
 * device state, like full-sync-suite.ts. Each reference scenario (docs/protocol/behaviours.md A5–A8) gets an
 * account of its own, so it starts from a new server collection as in the reference.
 *
 * About "nothing to exchange": the server sets its `mod` at every `finish`
 * (docs/protocol/collection-sync.md §5.9) and a device only skips syncing when its `mod` equals the server's
 * (§3). So after a sync of device A, B's next sync is always a normal sync, even with nothing to
 * exchange, and it moves the server's mod again for A. What does hold, and is asserted after
 * every round: the device that synced last has nothing to do (no normal sync at all); the other
 * device's extra normal sync changes nothing; then it too has nothing to do; and neither device
 * has anything pending.
 */
import { runAll } from './teardown.ts';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';

import { AnkiClient, AnkiClientError, withoutNewerDeckConfigKeys } from './anki-client.ts';
import type { ChangesRequired, CollectionDump, DumpNote, OldClientVersion } from './anki-client.ts';
import { startServer } from './servers.ts';
import type { RunningServer, SuiteServerKind } from './servers.ts';

const TEST_TIMEOUT_MS = 120_000;
const SETUP_TIMEOUT_MS = 120_000;
/**
 * Notes, cards and decks carry their modification time in whole seconds, and conflicts are
 * decided on it (docs/protocol/collection-sync.md §8.2, §8.6, §8.7): edits meant to be "later" wait this long.
 */
const NEXT_SECOND_MS = 1_100;

const PASSWORD = 'correct-horse-battery';
/** alice: the multi-round scenario; bob: a second account; the others: one per reference test. */
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const;
type User = (typeof USERS)[number];

const START_DECKS = ['Vokabeln', '日本語::語彙'];
const START_TAGS = ['vokabeln', 'Ärger', '日本語::語彙'];
/** Tags new to the collection, added on device B during normal syncs. */
const NEW_TAGS = ['日本語::文法', 'Ärger::neu', 'ΣΟΦΊΑ'];
/** Decks new to the collection, created on device B during normal syncs. */
const NEW_DECKS = ['Übung::Äpfel 🍎', 'Ελληνικά::Λέξεις'];
const NEW_CONFIG = 'Intensiv ✓ 日本語';
/**
 * Bulk round sizes: over the 250 objects of one chunk (docs/protocol/collection-sync.md §5.6) in both
 * directions, and over the 250 ids of one applyGraves request (§5.4; 280 notes + 280 cards).
 */
const BULK_NOTES = 300;
const BULK_EDITED = 260;
const BULK_REMOVED = 280;

/** Tables whose rows carry usn -1 on the client until they are sent. */
const PENDING_TABLES = ['cards', 'notes', 'revlog', 'graves', 'decks', 'deck_config', 'notetypes', 'tags', 'config'];

/**
 * `oldClient`: compare without the deck config keys old clients do not know, which they hold only
 * where a config last came from the server (NEWER_DECK_CONFIG_KEYS).
 */
function assertSameCollection(actual: CollectionDump, expected: CollectionDump, what: string, oldClient: boolean): void {
  if (oldClient) [actual, expected] = [withoutNewerDeckConfigKeys(actual), withoutNewerDeckConfigKeys(expected)];
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

function noteById(dump: CollectionDump, id: number): DumpNote {
  const note = dump.notes.find((n) => n.id === id);
  assert.ok(note, `note ${id} missing`);
  return note;
}

function deckId(dump: CollectionDump, name: string): number {
  const deck = dump.decks.find((d) => d.name === name);
  assert.ok(deck, `deck ${name} missing (have: ${dump.decks.map((d) => d.name).join(', ')})`);
  return deck.id;
}

function deckName(dump: CollectionDump, id: number): string {
  const deck = dump.decks.find((d) => d.id === id);
  assert.ok(deck, `deck ${id} missing`);
  return deck.name;
}

function notetypeId(dump: CollectionDump, name: string): number {
  const nt = dump.notetypes.find((n) => n.name === name);
  assert.ok(nt, `notetype ${name} missing`);
  return nt.id;
}

function cardsOf(dump: CollectionDump, noteId: number): number[] {
  return dump.cards.filter((c) => c.nid === noteId).map((c) => c.id);
}

/** Asserts that a sync fails with the client's "please use Check Database" error. */
async function expectDbCheckRequired(promise: Promise<unknown>, what: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof AnkiClientError, `${what}: expected AnkiClientError, got ${String(err)}`);
    assert.equal(err.kind, 'db_check_required', `${what}: expected db_check_required, got ${err.message}`);
    return true;
  });
}

export interface NormalSyncSuiteOptions {
  /** Drive this old client instead of the current one. */
  client?: OldClientVersion;
}

export function normalSyncSuite(kind: SuiteServerKind, options: NormalSyncSuiteOptions = {}): void {
  const clientName = options.client === undefined ? 'real Anki client' : `real Anki client ${options.client}`;
  describe(`normal sync: ${clientName} against the ${kind} server`, { timeout: 20 * TEST_TIMEOUT_MS }, () => {
    const assertSame = (actual: CollectionDump, expected: CollectionDump, what: string): void =>
      assertSameCollection(actual, expected, what, options.client !== undefined);
    let tmp = '';
    let server: RunningServer | undefined;
    let client: AnkiClient | undefined;
    /** A second driver process, so that two accounts can sync at the same time. */
    let client2: AnkiClient | undefined;

    const srv = (): RunningServer => {
      assert.ok(server, 'server not started');
      return server;
    };
    const anki = (): AnkiClient => {
      assert.ok(client, 'Anki client not started');
      return client;
    };
    const anki2 = (): AnkiClient => {
      assert.ok(client2, 'second Anki client not started');
      return client2;
    };
    const devicePath = (name: string): string => path.join(tmp, `device-${name}`, 'collection.anki2');
    const login = async (device: string, user: User, driver: AnkiClient = anki()): Promise<void> => {
      await driver.login(device, srv().endpoint, user, PASSWORD);
    };

    /** A sync that must carry out a normal sync (and then have nothing left to do). */
    const syncPerforms = async (device: string, what: string, driver: AnkiClient = anki()): Promise<void> => {
      const r = await driver.sync(device);
      assert.equal(r.required, 'NO_CHANGES', `${what}: required after the sync`);
      assert.equal(r.normal_sync_performed, true, `${what}: a normal sync should have been carried out`);
    };
    /** A sync that must find the device level with the server: no normal sync at all. */
    const syncIsNoop = async (device: string, what: string, driver: AnkiClient = anki()): Promise<void> => {
      const r = await driver.sync(device);
      assert.equal(r.required, 'NO_CHANGES', `${what}: required`);
      assert.equal(r.normal_sync_performed, false, `${what}: no normal sync should have been needed`);
    };
    const syncRequires = async (device: string, required: ChangesRequired, what: string): Promise<void> => {
      const r = await anki().sync(device);
      assert.equal(r.required, required, what);
      assert.equal(r.normal_sync_performed, false, `${what}: no normal sync should have taken place`);
    };
    const pending = async (device: string, driver: AnkiClient = anki()): Promise<Record<string, number>> => {
      const counts: Record<string, number> = {};
      for (const table of PENDING_TABLES) {
        const rows = await driver.execSql(device, `select count() from ${table} where usn = -1`);
        const n = Number(rows[0]?.[0]);
        if (n !== 0) counts[table] = n;
      }
      return counts;
    };

    /**
     * Syncs two devices of one account in `order` (each sync must carry out a normal sync), then
     * checks that they are level (see the header comment) and returns the common dump.
     */
    const syncRound = async (devices: Record<string, string>, order: string[], driver: AnkiClient = anki()): Promise<CollectionDump> => {
      const names = Object.keys(devices);
      assert.equal(names.length, 2);
      const dev = (name: string): string => devices[name]!;
      for (const [i, name] of order.entries()) await syncPerforms(dev(name), `sync ${i + 1} (${name}) of ${order.join(', ')}`, driver);
      const last = order.at(-1)!;
      const other = names.find((n) => n !== last)!;
      await syncIsNoop(dev(last), `${last} syncing again right after its sync`, driver);
      const otherBefore = await driver.dump(dev(other));
      // The server's mod moved at the last finish, so the other device runs one more (empty) sync.
      await syncPerforms(dev(other), `${other}'s follow-up sync`, driver);
      assertSame(await driver.dump(dev(other)), otherBefore, `${other}'s follow-up sync should bring nothing`);
      await syncIsNoop(dev(other), `${other} syncing again right after its follow-up sync`, driver);
      const a = await driver.dump(dev(names[0]!));
      const b = await driver.dump(dev(names[1]!));
      assertSame(b, a, `${names[1]} vs ${names[0]}`);
      for (const name of names) assert.deepStrictEqual(await pending(dev(name), driver), {}, `${name} still has changes to send`);
      return a;
    };

    before(
      async () => {
        tmp = await mkdtemp(path.join(tmpdir(), `hearth-interop-normal-sync-${kind}-`));
        server = await startServer(kind, {
          users: USERS.map((u) => `${u}:${PASSWORD}`),
          base: path.join(tmp, 'server-base'),
        });
        [client, client2] = await Promise.all([
          AnkiClient.start({ version: options.client }),
          AnkiClient.start({ version: options.client }),
        ]);
      },
      { timeout: SETUP_TIMEOUT_MS },
    );

    after(
      async () =>
        runAll(
          () => Promise.all([client?.stop(), client2?.stop()]),
          () => server?.stop(),
          () => (tmp !== '' ? rm(tmp, { recursive: true, force: true }) : undefined),
        ),
      { timeout: SETUP_TIMEOUT_MS },
    );

    // --- 1. several rounds between two devices of one account ----------------------------------

    describe('two devices of one account, several rounds of normal syncs', () => {
      const dev = { A: '', B: '' };
      /** The collection as both devices hold it after the latest round. */
      let level: CollectionDump | undefined;
      const levelDump = (): CollectionDump => {
        assert.ok(level, 'an earlier step did not complete');
        return level;
      };

      it('starts level: A uploads 30 notes, B downloads them', { timeout: TEST_TIMEOUT_MS }, async () => {
        dev.A = devicePath('A');
        dev.B = devicePath('B');
        await login(dev.A, 'alice');
        await login(dev.B, 'alice');
        await anki().populate(dev.A, { notes: 30, decks: START_DECKS, tags: START_TAGS, reviews: 6 });
        await syncRequires(dev.A, 'FULL_UPLOAD', 'A, new account');
        await anki().fullUpload(dev.A);
        await syncRequires(dev.B, 'FULL_DOWNLOAD', 'B, empty device');
        await anki().fullDownload(dev.B);
        // The download moved the server's mod, so A's first sync is a normal one.
        level = await syncRound(dev, ['A']);
        assert.equal(level.notes.length, 30);
      });

      it('A adds notes and reviews cards; B receives the notes, cards and revlog', { timeout: TEST_TIMEOUT_MS }, async () => {
        const before = levelDump();
        const added = await anki().addNotes(
          dev.A,
          [0, 1, 2, 3, 4, 5].map((i) => ({
            deck: START_DECKS[i % 2]!,
            fields: [`neu ${i}: Schlüssel — 鍵 ${i}`, `<i>key</i> ${i} ∑`],
            tags: i % 2 === 0 ? ['vokabeln', 'neu'] : ['日本語::語彙'],
          })),
        );
        const reviewed = await anki().review(dev.A, 8);
        assert.equal(reviewed.answered, 8, 'A should have had 8 cards to answer');
        level = await syncRound(dev, ['A', 'B']);
        assert.equal(level.notes.length, before.notes.length + 6);
        for (const id of added.note_ids) noteById(level, id);
        assert.equal(level.revlog.length, before.revlog.length + 8, 'revlog rows of the 8 answers');
        for (const cid of reviewed.card_ids) {
          const card = level.cards.find((c) => c.id === cid);
          assert.ok(card && card.reps > 0, `card ${cid} should show its review`);
        }
        assert.ok(level.tags.includes('neu'), 'new tag "neu"');
      });

      it(
        'B edits fields, adds non-ASCII tags, removes a tag, creates non-ASCII decks and moves cards; A receives all of it',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          const before = levelDump();
          const edited = before.notes.slice(0, 4).map((n) => n.id);
          for (const [i, id] of edited.entries()) {
            await anki().editNote(dev.B, id, {
              fields: { Back: `geändert ${i} ✓ «ÄÖÜ» 変更` },
              tagsAdd: NEW_TAGS,
              tagsRemove: ['vokabeln'],
            });
          }
          const firstDeck = await anki().addDeck(dev.B, NEW_DECKS[0]!);
          const moved = before.cards.slice(4, 10).map((c) => c.id);
          assert.equal(await anki().moveCards(dev.B, moved.slice(0, 3), NEW_DECKS[0]!), firstDeck);
          const secondDeck = await anki().moveCards(dev.B, moved.slice(3), NEW_DECKS[1]!);
          level = await syncRound(dev, ['B', 'A']);

          for (const [i, id] of edited.entries()) {
            const note = noteById(level, id);
            assert.equal(note.flds[1], `geändert ${i} ✓ «ÄÖÜ» 変更`);
            for (const tag of NEW_TAGS) assert.ok(note.tags.includes(tag), `note ${id} lacks tag ${tag}`);
            assert.ok(!note.tags.includes('vokabeln'), `note ${id} still has tag vokabeln`);
          }
          for (const tag of NEW_TAGS) assert.ok(level.tags.includes(tag), `tag ${tag} missing from the tag list`);
          assert.equal(deckId(level, NEW_DECKS[0]!), firstDeck);
          assert.equal(deckId(level, NEW_DECKS[1]!), secondDeck);
          for (const parent of ['Übung', 'Ελληνικά']) deckId(level, parent);
          for (const [i, cid] of moved.entries()) {
            assert.equal(level.cards.find((c) => c.id === cid)?.did, i < 3 ? firstDeck : secondDeck, `card ${cid} deck`);
          }
        },
      );

      it(
        'A creates a deck config with its own limits and steps, assigns it to a deck and changes the default options; B receives them',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          const before = levelDump();
          const target = deckId(before, NEW_DECKS[0]!);
          const confId = await anki().setDeckConfig(dev.A, {
            newConfigName: NEW_CONFIG,
            deckId: target,
            changes: {
              new: { perDay: 42, delays: [1, 5, 15], ints: [2, 6, 0] },
              rev: { perDay: 321, maxIvl: 3650 },
              lapse: { delays: [2, 20], leechFails: 5 },
              maxTaken: 90,
            },
          });
          await anki().setDeckConfig(dev.A, { configId: 1, changes: { new: { perDay: 7 }, rev: { perDay: 150 } } });
          level = await syncRound(dev, ['A', 'B']);

          const conf = level.deck_configs.find((c) => c.id === confId);
          assert.ok(conf, 'new deck config missing');
          assert.equal(conf.name, NEW_CONFIG);
          const c = conf.config as {
            new: Record<string, unknown>;
            rev: Record<string, unknown>;
            lapse: Record<string, unknown>;
            maxTaken: number;
          };
          assert.deepEqual([c.new['perDay'], c.new['delays'], c.new['ints']], [42, [1, 5, 15], [2, 6, 0]]);
          assert.deepEqual([c.rev['perDay'], c.rev['maxIvl']], [321, 3650]);
          assert.deepEqual([c.lapse['delays'], c.lapse['leechFails']], [[2, 20], 5]);
          assert.equal(c.maxTaken, 90);
          assert.equal(level.decks.find((d) => d.id === target)?.conf, confId, 'deck should use the new config');
          const def = level.deck_configs.find((x) => x.id === 1)?.config as { new: { perDay: number }; rev: { perDay: number } };
          assert.deepEqual([def.new.perDay, def.rev.perDay], [7, 150]);
        },
      );

      it(
        'both devices change different things between syncs; after A, B, A both hold everything',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          const before = levelDump();
          const added = await anki().addNotes(dev.A, [
            { deck: NEW_DECKS[1]!, fields: ['Λέξη ένα', 'word one'], tags: ['ΣΟΦΊΑ'] },
            { deck: NEW_DECKS[1]!, fields: ['Λέξη δύο', 'word two'], tags: ['ΣΟΦΊΑ', 'Ärger::neu::tiefer'] },
          ]);
          const reviewed = await anki().review(dev.A, 4, { deck: START_DECKS[1]! });
          assert.ok(reviewed.answered > 0, 'A should have had cards to answer');
          const edited = before.notes.slice(10, 12).map((n) => n.id);
          for (const id of edited) await anki().editNote(dev.B, id, { fields: { Front: `B hat ${id} geändert` }, tagsAdd: ['geändert'] });
          const deck = await anki().addDeck(dev.B, 'Ärger::Übungen');
          // "Different things": a card A just reviewed is left alone. If B moved one, whichever edit
          // came in a later second would win the merge, and a device could end with A's review in its
          // revlog but B's card (no last review time): a real conflict, tested further down.
          const untouched = before.notes.slice(12).find((n) => !cardsOf(before, n.id).some((cid) => reviewed.card_ids.includes(cid)))!;
          const moved = cardsOf(before, untouched.id);
          await anki().moveCards(dev.B, moved, 'Ärger::Übungen');
          level = await syncRound(dev, ['A', 'B', 'A']);

          for (const id of added.note_ids) noteById(level, id);
          assert.ok(level.tags.includes('Ärger::neu::tiefer'));
          assert.equal(level.revlog.length, before.revlog.length + reviewed.answered);
          for (const id of edited) assert.equal(noteById(level, id).flds[0], `B hat ${id} geändert`);
          for (const cid of moved) assert.equal(level.cards.find((c) => c.id === cid)?.did, deck);
        },
      );

      it(
        'B deletes notes, a card (with its now empty note) and a deck with its cards; A loses them too',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          const before = levelDump();
          const removedNotes = before.notes.slice(20, 22).map((n) => n.id);
          assert.equal(await anki().removeNotes(dev.B, removedNotes), 2);
          const lonely = before.notes[22]!.id;
          await anki().removeCards(dev.B, cardsOf(before, lonely));
          const doomedDeck = deckId(before, NEW_DECKS[1]!);
          const doomedCards = before.cards.filter((c) => c.did === doomedDeck).map((c) => c.id);
          assert.ok(doomedCards.length > 0, 'the deck to delete should hold cards');
          assert.ok((await anki().removeDecks(dev.B, [doomedDeck])) > 0);
          level = await syncRound(dev, ['B', 'A']);

          const noteIds = new Set(level.notes.map((n) => n.id));
          for (const id of [...removedNotes, lonely]) assert.ok(!noteIds.has(id), `note ${id} should be gone`);
          const cardIds = new Set(level.cards.map((c) => c.id));
          for (const id of doomedCards) assert.ok(!cardIds.has(id), `card ${id} of the deleted deck should be gone`);
          assert.ok(!level.decks.some((d) => d.id === doomedDeck), 'deleted deck still present');
          assert.ok(!level.cards.some((c) => c.did === doomedDeck), 'a card still points to the deleted deck');
          assert.ok(
            level.cards.every((c) => noteIds.has(c.nid)),
            'a card lost its note',
          );
          assert.ok(
            level.notes.every((n) => cardsOf(level!, n.id).length > 0),
            'a note lost all its cards',
          );
        },
      );

      it(
        'bulk: 300 new notes, then 260 edited and 280 deleted, cross in several chunks (250 objects) and several graves requests each way',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          const before = levelDump();
          const added = await anki().addNotes(
            dev.A,
            Array.from({ length: BULK_NOTES }, (_, i) => ({
              deck: 'Massen::Übung',
              fields: [`Masse ${i} — 大量 ${i}`, `Antwort ${i}`],
              tags: ['masse', i % 2 === 0 ? 'masse::gerade' : 'masse::ungerade'],
            })),
          );
          assert.equal(added.note_ids.length, BULK_NOTES);
          level = await syncRound(dev, ['A', 'B']);
          assert.equal(level.notes.length, before.notes.length + BULK_NOTES, 'B received every new note');
          assert.equal(level.cards.length, before.cards.length + BULK_NOTES, 'B received every new card');

          const edited = added.note_ids.slice(0, BULK_EDITED);
          for (const id of edited)
            await anki().editNote(dev.B, id, { fields: { Back: `bearbeitet ${id}` }, tagsAdd: ['masse::bearbeitet'] });
          level = await syncRound(dev, ['B', 'A']);
          for (const id of edited) {
            const note = noteById(level, id);
            assert.equal(note.flds[1], `bearbeitet ${id}`);
            assert.ok(note.tags.includes('masse::bearbeitet'));
          }

          const removed = added.note_ids.slice(BULK_NOTES - BULK_REMOVED);
          assert.equal(await anki().removeNotes(dev.B, removed), BULK_REMOVED);
          level = await syncRound(dev, ['B', 'A']);
          assert.equal(level.notes.length, before.notes.length + BULK_NOTES - BULK_REMOVED, 'A lost every deleted note');
          assert.equal(level.cards.length, before.cards.length + BULK_NOTES - BULK_REMOVED, 'A lost every deleted card');
        },
      );

      // --- 5. the client's database check on what normal syncs produced ------------------------

      it(
        "both devices, and a fresh download of the server's copy, pass the client's database check after syncing non-ASCII tags and decks",
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          const C = devicePath('A-check');
          await login(C, 'alice');
          await syncRequires(C, 'FULL_DOWNLOAD', 'fresh device');
          await anki().fullDownload(C);
          assertSame(await anki().dump(C), levelDump(), "server's copy vs the devices");
          for (const [name, device] of [
            ['A', dev.A],
            ['B', dev.B],
            ["the server's copy", C],
          ] as const) {
            const result = await anki().check(device);
            assert.deepStrictEqual(result.integrity, ['ok'], `${name}: PRAGMA integrity_check`);
            assert.deepStrictEqual(result.problems, [], `${name}: Check Database found problems`);
          }
          // Check Database on the devices must not have had anything to repair either.
          level = await syncRound(dev, ['A', 'B']);
          assertSame(await anki().dump(C), level, "server's copy after the check");
          await anki().close(C);
        },
      );

      // --- 2. conflicting edits ---------------------------------------------------------------

      it(
        'conflicting edits of one note, card or deck on both devices: the later edit wins, whichever device syncs first',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          const before = levelDump();
          const [n1, n2] = [before.notes[0]!.id, before.notes[1]!.id];
          const card = cardsOf(before, before.notes[2]!.id)[0]!;
          const deck = deckId(before, 'Ärger::Übungen');
          // Earlier edits: n1 and the card and the deck on A, n2 on B.
          await anki().editNote(dev.A, n1, { fields: { Front: 'A, früher' }, tagsAdd: ['früh'] });
          await anki().editNote(dev.B, n2, { fields: { Front: 'B, früher' } });
          await anki().moveCards(dev.A, [card], NEW_DECKS[0]!);
          await anki().renameDeck(dev.A, deck, 'Ärger::Übungen (A)');
          await sleep(NEXT_SECOND_MS);
          // Later edits: n1 and the card and the deck on B, n2 on A.
          await anki().editNote(dev.B, n1, { fields: { Front: 'B, später' }, tagsAdd: ['spät'] });
          await anki().editNote(dev.A, n2, { fields: { Front: 'A, später' } });
          const laterDeck = await anki().moveCards(dev.B, [card], START_DECKS[1]!);
          await anki().renameDeck(dev.B, deck, 'Ärger::Übungen (B)');
          level = await syncRound(dev, ['A', 'B', 'A']);

          const note1 = noteById(level, n1);
          assert.equal(note1.flds[0], 'B, später', 'n1: B edited it later');
          assert.ok(note1.tags.includes('spät') && !note1.tags.includes('früh'), 'n1: the whole note is B’s');
          assert.equal(noteById(level, n2).flds[0], 'A, später', 'n2: A edited it later (and A synced first)');
          assert.equal(level.cards.find((c) => c.id === card)?.did, laterDeck, 'card: B moved it later');
          assert.equal(deckName(level, deck), 'Ärger::Übungen (B)', 'deck: B renamed it later');
        },
      );

      it(
        'conflicting edits with the same modification time: notes keep the first-synced version on the server and the other device keeps its own; decks swap',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          // Same-second edits, made deterministic by giving both sides the same mtime. The rules
          // (docs/protocol/collection-sync.md §8.2, §8.7, and the client's own): a note replaces another only if
          // the other is not pending or is strictly older — so on a tie the server keeps the version
          // synced first, and the second device keeps (and sends, in vain) its own. A deck replaces
          // another if it is not older (<=) — so on a tie the server takes the second device's
          // deck while that device takes the server's, and the first device then takes the second's.
          const before = levelDump();
          const note = before.notes[3]!.id;
          const deck = deckId(before, 'Ärger::Übungen (B)'); // a deck without children
          await anki().editNote(dev.A, note, { fields: { Front: 'A, gleichzeitig' } });
          await anki().editNote(dev.B, note, { fields: { Front: 'B, gleichzeitig' } });
          await anki().renameDeck(dev.A, deck, 'Ärger::gleich A');
          await anki().renameDeck(dev.B, deck, 'Ärger::gleich B');
          const mtime = Math.floor(Date.now() / 1000);
          for (const device of [dev.A, dev.B]) {
            await anki().execSql(device, 'update notes set mod = ? where id = ?', [mtime, note]);
            await anki().execSql(device, 'update decks set mtime_secs = ? where id = ?', [mtime, deck]);
          }
          for (const [i, name] of ['A', 'B', 'A'].entries()) await syncPerforms(dev[name as 'A' | 'B'], `sync ${i + 1} (${name})`);
          await syncIsNoop(dev.A, 'A again');
          await syncPerforms(dev.B, "B's follow-up sync");
          await syncIsNoop(dev.B, 'B again');
          const a = await anki().dump(dev.A);
          const b = await anki().dump(dev.B);
          assert.equal(noteById(a, note).flds[0], 'A, gleichzeitig', 'A (synced first) keeps its note');
          assert.equal(noteById(b, note).flds[0], 'B, gleichzeitig', 'B keeps its own note: the server refused it on the tie');
          assert.equal(deckName(a, deck), 'Ärger::gleich B', "A ends with B's deck name");
          assert.equal(deckName(b, deck), 'Ärger::gleich A', "B ends with A's deck name");
          for (const device of [dev.A, dev.B]) assert.deepStrictEqual(await pending(device), {});
          // What the server holds: a fresh download shows it.
          const C = devicePath('A-tie');
          await login(C, 'alice');
          await syncRequires(C, 'FULL_DOWNLOAD', 'fresh device');
          await anki().fullDownload(C);
          const onServer = await anki().dump(C);
          assert.equal(noteById(onServer, note).flds[0], 'A, gleichzeitig', "server: the first-synced device's note");
          assert.equal(deckName(onServer, deck), 'Ärger::gleich B', "server: the second-synced device's deck");
          await anki().close(C);
          level = undefined; // the devices differ now; the next step makes them level by a full sync
        },
      );

      it(
        'a deck of the same name created on both devices: each side renames the deck it receives with a "+", so the devices end up with the names swapped',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          // Deck names are unique (unicase). Whoever *receives* a deck whose name is taken appends
          // "+" to the incoming deck (docs/protocol/collection-sync.md §8.2; the client does the same), and a
          // receiver's rename is not sent back. So the server and A (synced first) keep A's deck
          // as "Neu ✨" and B's as "Neu ✨+", while B has them the other way round.
          const name = 'Neu ✨';
          const fromA = await anki().addDeck(dev.A, name);
          // Deck ids are millisecond timestamps: two devices creating a deck in the same
          // millisecond would share an id, which is not the case under test.
          await new Promise((resolve) => setTimeout(resolve, 5));
          const fromB = await anki().addDeck(dev.B, name);
          assert.notEqual(fromA, fromB);
          for (const [i, d] of ['A', 'B', 'A'].entries()) await syncPerforms(dev[d as 'A' | 'B'], `sync ${i + 1} (${d})`);
          await syncIsNoop(dev.A, 'A again');
          await syncPerforms(dev.B, "B's follow-up sync");
          await syncIsNoop(dev.B, 'B again');
          const a = await anki().dump(dev.A);
          const b = await anki().dump(dev.B);
          assert.deepEqual([deckName(a, fromA), deckName(a, fromB)], [name, `${name}+`], 'A');
          assert.deepEqual([deckName(b, fromA), deckName(b, fromB)], [`${name}+`, name], 'B');
          for (const device of [dev.A, dev.B]) assert.deepStrictEqual(await pending(device), {});
          const C = devicePath('A-same-name');
          await login(C, 'alice');
          await syncRequires(C, 'FULL_DOWNLOAD', 'fresh device');
          await anki().fullDownload(C);
          const onServer = await anki().dump(C);
          assert.deepEqual([deckName(onServer, fromA), deckName(onServer, fromB)], [name, `${name}+`], 'server');
          await anki().close(C);
        },
      );

      // --- 3. a schema change forces a full sync ----------------------------------------------

      it(
        'adding a field to a notetype on A makes A need a full sync; after A uploads, B needs one too and downloads; both are level',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          await anki().addField(dev.A, 'Basic', 'Notiz 📝');
          await syncRequires(dev.A, 'FULL_SYNC', 'A after changing the notetype (upload and download both possible)');
          await anki().fullUpload(dev.A);
          await syncRequires(dev.B, 'FULL_SYNC', 'B after A uploaded (upload and download both possible)');
          await anki().fullDownload(dev.B);
          const b = await anki().dump(dev.B);
          assertSame(b, await anki().dump(dev.A), 'B after downloading vs A');
          const basic = b.notetypes.find((n) => n.name === 'Basic');
          assert.deepEqual(
            basic?.fields.map((f) => f.name),
            ['Front', 'Back', 'Notiz 📝'],
          );
          level = await syncRound(dev, ['A']);
          // And normal syncs work again on the new schema.
          const note = level.notes.find((n) => n.mid === basic!.id)!.id;
          await anki().editNote(dev.B, note, { fields: { 'Notiz 📝': 'eine Notiz' } });
          level = await syncRound(dev, ['B', 'A']);
          assert.equal(noteById(level, note).flds[2], 'eine Notiz');
        },
      );

      // --- 4. accounts are isolated -----------------------------------------------------------

      it(
        "a second account's devices, syncing at the same time, never see alice's data and alice never sees theirs",
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          const bob = { C: devicePath('bob-C'), D: devicePath('bob-D') };
          await login(bob.C, 'bob', anki2());
          await login(bob.D, 'bob', anki2());
          await anki2().populate(bob.C, { notes: 5, decks: ['Bobs Deck'], tags: ['bob::privat'] });
          assert.equal((await anki2().sync(bob.C)).required, 'FULL_UPLOAD', "bob's account is new");
          await anki2().fullUpload(bob.C);
          assert.equal((await anki2().sync(bob.D)).required, 'FULL_DOWNLOAD');
          await anki2().fullDownload(bob.D);

          // Both accounts sync concurrently (two client processes), several times.
          for (let i = 0; i < 4; i++) {
            await Promise.all([
              (async () => {
                await anki().addNotes(dev.A, [{ deck: 'Vokabeln', fields: [`alice ${i}`, 'nur alice'], tags: ['alice::privat'] }]);
                await syncPerforms(dev.A, `alice A, round ${i}`);
                await syncPerforms(dev.B, `alice B, round ${i}`);
              })(),
              (async () => {
                await anki2().addNotes(bob.C, [{ deck: 'Bobs Deck', fields: [`bob ${i}`, 'nur bob'], tags: ['bob::privat'] }]);
                await syncPerforms(bob.C, `bob C, round ${i}`, anki2());
                await syncPerforms(bob.D, `bob D, round ${i}`, anki2());
              })(),
            ]);
          }
          const [alice, bobs] = await Promise.all([syncRound(dev, ['A']), syncRound(bob, ['C'], anki2())]);
          level = alice;

          const text = (d: CollectionDump): string => JSON.stringify([d.notes, d.decks, d.tags]);
          assert.ok(!text(alice).includes('bob'), "alice's collection holds something of bob's");
          assert.ok(!text(bobs).includes('alice'), "bob's collection holds something of alice's");
          assert.equal(alice.notes.filter((n) => n.tags.includes('alice::privat')).length, 4);
          assert.equal(bobs.notes.filter((n) => n.tags.includes('bob::privat')).length, 9);
          assert.equal(bobs.notes.length, 9);
          const aliceGuids = new Set(alice.notes.map((n) => n.guid));
          assert.ok(!bobs.notes.some((n) => aliceGuids.has(n.guid)), 'a note guid appears in both accounts');
          for (const device of [bob.C, bob.D]) await anki2().close(device);
        },
      );
    });

    // --- 6. the reference's own scenarios (docs/protocol/behaviours.md A5–A8) ----------------------------

    /** A5a upload_download: col1 adds one Basic note "1", uploads; an empty col2 downloads. */
    const uploadDownload = async (user: User, col1: string, col2: string): Promise<void> => {
      await login(col1, user);
      await login(col2, user);
      await anki().addNotes(col1, [{ deck: 'Default', fields: ['1'] }]);
      await syncRequires(col1, 'FULL_UPLOAD', 'col1, new account');
      await anki().fullUpload(col1);
      // The server now has cards: an empty device may only download ("won't allow AnkiWeb clobber").
      await syncRequires(col2, 'FULL_DOWNLOAD', 'col2, empty');
      await anki().fullDownload(col2);
      assertSame(await anki().dump(col2), await anki().dump(col1), 'col2 after downloading vs col1');
    };

    describe('A5 sync_roundtrip (upload_download, then regular_sync)', () => {
      const col1 = (): string => devicePath('carol-1');
      const col2 = (): string => devicePath('carol-2');
      const ids = { deck: 0, dconf: 0, notetype: 0, note: 0, card: 0 };

      /** compare_sides: everything, the whole config map and the revlog entry 123 included. */
      const compareSides = async (): Promise<CollectionDump> => {
        const a = await anki().dump(col1());
        assertSame(await anki().dump(col2()), a, 'col2 vs col1');
        assert.deepStrictEqual(await anki().getConfig(col2()), await anki().getConfig(col1()), 'config differs');
        const revlog = a.revlog.find((r) => r.id === 123);
        assert.deepStrictEqual(revlog, { id: 123, cid: 456, ease: 0, ivl: 10, lastIvl: 0, factor: 0, time: 0, type: 0 });
        return a;
      };

      it(
        'A5a: col1 uploads, an empty col2 may only download, and then holds the same collection',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          await uploadDownload('carol', col1(), col2());
        },
      );

      it(
        'A5b: a new deck with a new deck config, a new notetype, a tagged note, a revlog row and a config key reach col2',
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          ids.deck = await anki().addDeck(col1(), 'new deck');
          ids.dconf = await anki().setDeckConfig(col1(), { newConfigName: 'new dconf', deckId: ids.deck });
          ids.notetype = await anki().addNotetypeCopy(col1(), 'Basic', 'new');
          const added = await anki().addNotes(col1(), [{ notetype: 'new', deck: 'new deck', fields: ['2'], tags: ['tag'] }]);
          ids.note = added.note_ids[0]!;
          ids.card = added.card_ids[0]!;
          // A revlog row as the reference's mock entry: id 123, cid 456, usn -1 (pending), ivl 10.
          await anki().execSql(
            col1(),
            'insert into revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) values (123, 456, -1, 0, 10, 0, 0, 0, 0)',
          );
          await anki().setConfig(col1(), 'test', 'test1');

          assert.equal((await anki().syncStatus(col1())).required, 'NORMAL_SYNC');
          await syncPerforms(col1(), 'col1');
          await syncPerforms(col2(), 'col2');
          const both = await compareSides();
          assert.equal((await anki().getConfig(col2()))['test'], 'test1');
          assert.equal(deckName(both, ids.deck), 'new deck');
          assert.equal(both.decks.find((d) => d.id === ids.deck)?.conf, ids.dconf);
          assert.equal(both.deck_configs.find((c) => c.id === ids.dconf)?.name, 'new dconf');
          assert.equal(notetypeId(both, 'new'), ids.notetype);
          assert.deepEqual(noteById(both, ids.note).tags, ['tag']);
          assert.ok(both.tags.includes('tag'));
          assert.equal(both.cards.find((c) => c.id === ids.card)?.did, ids.deck);
        },
      );

      it(
        "A5b: col2 edits the note's second field, adds tag2, puts the card in the review queue, renames the deck and the notetype; col1 receives all of it",
        { timeout: TEST_TIMEOUT_MS },
        async () => {
          await anki().editNote(col2(), ids.note, { fields: { '1': 'new' }, tagsAdd: ['tag2'] });
          await anki().setCard(col2(), ids.card, { queue: 2 });
          await anki().renameDeck(col2(), ids.deck, 'newer');
          await anki().renameNotetype(col2(), ids.notetype, 'newer');
          await syncPerforms(col2(), 'col2');
          await syncPerforms(col1(), 'col1');
          const both = await compareSides();
          assert.deepEqual(noteById(both, ids.note).flds, ['2', 'new']);
          assert.deepEqual(noteById(both, ids.note).tags.sort(), ['tag', 'tag2']);
          assert.equal(both.cards.find((c) => c.id === ids.card)?.queue, 2);
          assert.equal(deckName(both, ids.deck), 'newer');
          assert.equal(notetypeId(both, 'newer'), ids.notetype);
          assert.deepEqual([both.cards.length, both.notes.length, both.decks.length], [2, 2, 2], 'cards, notes, decks');
        },
      );

      it('A5b: col1 deletes the card (and so its note) and the deck; col2 loses them', { timeout: TEST_TIMEOUT_MS }, async () => {
        await anki().removeCards(col1(), [ids.card]);
        await anki().removeNotes(col1(), [ids.note]); // already gone with its last card: a no-op, as in the reference
        await anki().removeDecks(col1(), [ids.deck]);
        await syncPerforms(col1(), 'col1');
        await syncPerforms(col2(), 'col2');
        const b = await anki().dump(col2());
        assert.deepEqual([b.cards.length, b.notes.length, b.decks.length], [1, 1, 1], 'cards, notes, decks on col2');
        assertSame(b, await anki().dump(col1()), 'col2 vs col1');
      });

      it('A5b: removing a notetype on col2 forces a full sync', { timeout: TEST_TIMEOUT_MS }, async () => {
        await anki().removeNotetype(col2(), ids.notetype);
        await syncRequires(col2(), 'FULL_SYNC', 'col2 after removing a notetype');
      });
    });

    it(
      'A6: a new empty collection on a new account needs no full sync; after adding a note it needs a full upload',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const col1 = devicePath('dave-1');
        await login(col1, 'dave');
        // The status is the client's own guess: old clients (2.1.50–2.1.56) take a schema stamped
        // after the last sync (a new collection's) for a full sync, without asking the server.
        // The sync itself is the same for them.
        const status = options.client === undefined ? 'NO_CHANGES' : 'FULL_SYNC';
        assert.equal((await anki().syncStatus(col1)).required, status);
        await syncIsNoop(col1, 'new empty collection');
        assert.deepEqual(await anki().execSql(col1, 'select mod, ls from col'), [[0, 0]], 'the sync must not stamp the collection');
        assert.equal((await anki().syncStatus(col1)).required, status);
        await anki().addNotes(col1, [{ deck: 'Default', fields: ['1'] }]);
        await syncRequires(col1, 'FULL_UPLOAD', 'after adding a note');
      },
    );

    it(
      'A7: a sanity-check failure (a deck kept from the server) rolls the server back and makes the device need a full sync',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const col1 = devicePath('erin-1');
        const col2 = devicePath('erin-2');
        await uploadDownload('erin', col1, col2);
        const serverBefore = await anki().dump(col2);
        const deck = await anki().addDeck(col1, 'unsynced deck');
        await anki().execSql(col1, 'update decks set usn = 0 where id = ?', [deck]);
        await expectDbCheckRequired(anki().sync(col1), 'col1 with an unsent deck');
        // Rolled back: the server's mod is still the one col2 got with its download.
        await syncIsNoop(col2, 'col2 after the failed sync');
        assertSame(await anki().dump(col2), serverBefore, 'col2');
        if (options.client === undefined) {
          // The client marked its schema modified: either direction of full sync is offered.
          await syncRequires(col1, 'FULL_SYNC', 'col1 after the sanity check failed');
        } else {
          // Old clients (2.1.50–2.1.56) do not mark it: the same sync fails again the same way.
          await expectDbCheckRequired(anki().sync(col1), 'an old client retrying');
          await syncIsNoop(col2, 'col2 after the second failed sync');
        }
      },
    );

    it(
      'A8: a note whose notetype was not sent makes the server fail the sync: the client asks for a database check, the server rolled back, and a retry fails the same way without forcing a full sync',
      { timeout: TEST_TIMEOUT_MS },
      async () => {
        const col1 = devicePath('frank-1');
        const col2 = devicePath('frank-2');
        await uploadDownload('frank', col1, col2);
        const serverBefore = await anki().dump(col2);
        await anki().addNotetypeCopy(col1, 'Basic', 'new');
        await anki().addNotes(col1, [{ notetype: 'new', deck: 'Default', fields: ['test'] }]);
        await anki().execSql(col1, 'update notetypes set usn = 0');
        await expectDbCheckRequired(anki().sync(col1), 'col1 with an unsent notetype');
        await syncIsNoop(col2, 'col2 after the failed sync');
        assertSame(await anki().dump(col2), serverBefore, 'col2');
        await expectDbCheckRequired(anki().sync(col1), 'col1 retrying');
      },
    );
  });
}
