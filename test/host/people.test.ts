// The people list and account actions shared by the app and the headless admin (src/host/people.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPeople } from '../../src/host/people.ts';
import { openAccountStore } from '../../src/server/accounts/account-store.ts';
import { openDeviceStore } from '../../src/server/accounts/device-store.ts';
import { activityFilePath } from '../../src/server/activity.ts';
import { studyStatsFilePath } from '../../src/server/stats/stats-file.ts';
import { silentLogger } from '../../src/server/logger.ts';

function setup(t: { after: (fn: () => void) => void }, opts: { env?: string[] } = {}) {
  const base = mkdtempSync(join(tmpdir(), 'hearth-people-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  /** What was true each time the server was told (ServerRunner.credentialsChanged). */
  const told: { accounts: string[]; folders: string[] }[] = [];
  const store = openAccountStore(base);
  const people = createPeople({
    base: () => base,
    envUsernames: () => opts.env ?? [],
    logger: silentLogger,
    credentialsChanged: async () => {
      told.push({ accounts: store.list().map((a) => a.username), folders: ['alice', 'bob'].filter((n) => existsSync(join(base, n))) });
    },
  });
  return { base, people, store, told };
}

/** Devices logged in as the server would log them in (its own connection to the device list). */
function logIn(base: string, username: string, client: string, address: string, atMs: number): string {
  const devices = openDeviceStore(base, atMs);
  try {
    devices.addDevice(username, client, address, atMs);
    return devices.list(username).find((d) => d.signedInAt === atMs)!.id;
  } finally {
    devices.close();
  }
}

const PASSWORD = 'correct horse';

describe('people', () => {
  it('adds a person; the account store (which the server reloads) has them at once', async (t) => {
    const { people, store } = setup(t);
    assert.deepEqual(await people.add('alice', PASSWORD), { ok: true });
    assert.deepEqual(
      store.list().map((a) => a.username),
      ['alice'],
    );
    const [alice] = await people.list();
    assert.deepEqual(alice, {
      username: 'alice',
      source: 'hearth',
      lastSyncAt: null,
      lastClient: null,
      collectionBytes: 0,
      mediaFiles: 0,
      mediaBytes: 0,
      devices: [],
      study: null,
    });
  });

  it('refuses bad usernames and passwords with a sentence, and changes nothing', async (t) => {
    const { people, store } = setup(t, { env: ['Carol'] });
    await people.add('alice', PASSWORD);
    const cases: [string, string, RegExp][] = [
      ['', PASSWORD, /enter a username/],
      ['bob:smith', PASSWORD, /colon/],
      ['ALICE', PASSWORD, /already a person called “alice”/],
      ['alice', PASSWORD, /already a person called “alice”/],
      ['carol', PASSWORD, /already a person called “Carol”/],
      ['bob', 'short', /at least 8 characters/],
      ['bob', '', /at least 8 characters/],
      [' bob', PASSWORD, /space/],
      ['../bob', PASSWORD, /slash/],
      ['con', PASSWORD, /Windows reserves/],
    ];
    for (const [name, password, expected] of cases) {
      const r = await people.add(name, password);
      assert.equal(r.ok, false, `${name}/${password}`);
      assert.match(r.ok ? '' : r.problem, expected, name);
    }
    assert.deepEqual(
      store.list().map((a) => a.username),
      ['alice'],
    );
  });

  it('changes a password; short passwords, unknown people and SYNC_USERn people are refused', async (t) => {
    const { people, store } = setup(t, { env: ['carol'] });
    await people.add('alice', PASSWORD);
    const before = store.list()[0]!.verifier;
    const short = await people.changePassword('alice', 'short');
    assert.match(short.ok ? '' : short.problem, /at least 8 characters/);
    const nobody = await people.changePassword('dave', PASSWORD);
    assert.match(nobody.ok ? '' : nobody.problem, /no person called “dave”/);
    const env = await people.changePassword('carol', PASSWORD);
    assert.match(env.ok ? '' : env.problem, /SYNC_USER/);
    assert.equal(store.list()[0]!.verifier, before, 'nothing changed');
    assert.deepEqual(await people.changePassword('alice', 'another long one'), { ok: true });
    assert.notEqual(store.list()[0]!.verifier, before);
  });

  it('lists SYNC_USERn people as environment (read-only), the rest as Hearth accounts, by name', async (t) => {
    const { people } = setup(t, { env: ['carol', 'Bob'] });
    await people.add('alice', PASSWORD);
    await people.add('dave', PASSWORD);
    const list = await people.list();
    assert.deepEqual(
      list.map((p) => [p.username, p.source]),
      [
        ['alice', 'hearth'],
        ['Bob', 'environment'],
        ['carol', 'environment'],
        ['dave', 'hearth'],
      ],
    );
    const r = await people.remove('carol', false);
    assert.match(r.ok ? '' : r.problem, /SYNC_USER/);
  });

  it('shows the last sync, the app in words, the collection size and the media', async (t) => {
    const { base, people } = setup(t);
    await people.add('alice', PASSWORD);
    mkdirSync(join(base, 'alice', 'media'), { recursive: true });
    writeFileSync(join(base, 'alice', 'collection.anki2'), Buffer.alloc(4096));
    writeFileSync(join(base, 'alice', 'media', 'a.jpg'), Buffer.alloc(1000));
    writeFileSync(join(base, 'alice', 'media', 'b.mp3'), Buffer.alloc(500));
    mkdirSync(join(base, '.hearth'), { recursive: true });
    writeFileSync(
      activityFilePath(base),
      JSON.stringify({ version: 1, users: { alice: { lastSyncAt: '2026-03-01T10:00:00.000Z', client: '25.09.2,dev,android' } } }),
    );
    // The study figures the server worked out after alice's last sync, on the same day.
    const computedAt = Date.now();
    const figures = {
      computedAt,
      nextDayAt: Math.floor(computedAt / 1000) + 36_000,
      daysElapsed: 30,
      reviewsToday: 12,
      reviewsByDay: [12, 30, 0, 8, 0, 0, 30],
      daysInARow: 2,
      dueByDay: [23, 40, 41, 41, 45, 45, 50],
      notes: 1204,
      cards: 2380,
    };
    writeFileSync(studyStatsFilePath(base), JSON.stringify({ version: 1, users: { alice: figures, bob: figures } }));
    const [alice] = await people.list();
    assert.deepEqual(alice, {
      username: 'alice',
      source: 'hearth',
      lastSyncAt: '2026-03-01T10:00:00.000Z',
      lastClient: 'AnkiDroid 2.23 or 2.24',
      collectionBytes: 4096,
      mediaFiles: 2,
      mediaBytes: 1500,
      devices: [],
      study: {
        reviewsToday: 12,
        reviewsLast7Days: 80,
        daysInARow: 2,
        dueToday: 23,
        notes: 1204,
        cards: 2380,
        asOf: new Date(computedAt).toISOString(),
      },
    });
    // Figures of a collection no longer there are nobody's.
    await people.add('bob', PASSWORD);
    const bob = (await people.list()).find((p) => p.username === 'bob');
    assert.equal(bob?.study, null);
  });

  it('removes a person and keeps their folder, or deletes it (only after the account is gone)', async (t) => {
    const { base, people, store } = setup(t);
    await people.add('alice', PASSWORD);
    await people.add('bob', PASSWORD);
    for (const name of ['alice', 'bob']) {
      mkdirSync(join(base, name, 'media'), { recursive: true });
      writeFileSync(join(base, name, 'collection.anki2'), 'x');
    }
    assert.deepEqual(await people.remove('alice', false), { ok: true });
    assert.ok(existsSync(join(base, 'alice', 'collection.anki2')), 'kept');
    assert.deepEqual(await people.remove('bob', true), { ok: true });
    assert.equal(existsSync(join(base, 'bob')), false, 'deleted');
    assert.ok(existsSync(base), 'the data folder itself stays');
    assert.deepEqual(store.list(), []);
    const again = await people.remove('bob', true);
    assert.match(again.ok ? '' : again.problem, /no person called “bob”/);
  });

  it('removing a person tells the server once the account is gone and before the folder is deleted', async (t) => {
    const { base, people, told } = setup(t);
    await people.add('alice', PASSWORD);
    mkdirSync(join(base, 'alice'), { recursive: true });
    logIn(base, 'alice', '26.09.3,abc,linux', '10.0.0.5', Date.parse('2026-12-01T10:00:00Z'));
    assert.deepEqual(await people.remove('alice', true), { ok: true });
    assert.deepEqual(told, [{ accounts: [], folders: ['alice'] }], 'told after the account went, before the folder did');
    assert.equal(existsSync(join(base, 'alice')), false);
    const devices = openDeviceStore(base, 0);
    t.after(() => devices.close());
    assert.deepEqual(devices.list('alice'), [], 'her devices are forgotten');
  });

  it('lists each device of a person, named for a parent, most recent first', async (t) => {
    const { base, people } = setup(t);
    await people.add('alice', PASSWORD);
    const phone = logIn(base, 'alice', '25.09.2,dev,android', '192.168.1.40', Date.parse('2026-12-01T10:00:00Z'));
    const laptop = logIn(base, 'alice', '25.09.2,3890e12,windows', '192.168.1.41', Date.parse('2026-12-02T10:00:00Z'));
    const devices = openDeviceStore(base, 0);
    devices.recordSync('alice', phone, '25.09.2,dev,android', '192.168.1.42', Date.parse('2026-12-03T10:00:00Z'));
    devices.close();
    const [alice] = await people.list();
    assert.deepEqual(alice!.devices, [
      {
        id: phone,
        name: 'AnkiDroid on Android',
        app: 'AnkiDroid 2.23 or 2.24',
        fromBefore: false,
        signedInAt: '2026-12-01T10:00:00.000Z',
        firstSyncAt: '2026-12-03T10:00:00.000Z',
        lastSyncAt: '2026-12-03T10:00:00.000Z',
        lastAddress: '192.168.1.42',
      },
      {
        id: laptop,
        name: 'Anki on Windows',
        app: 'Anki 25.09.2 (Windows)',
        fromBefore: false,
        signedInAt: '2026-12-02T10:00:00.000Z',
        firstSyncAt: null,
        lastSyncAt: null,
        lastAddress: '192.168.1.41',
      },
    ]);
  });

  it('a person who synced before this update has one entry for the devices from before, until it is signed out', async (t) => {
    const { base, people, store } = setup(t);
    await people.add('alice', PASSWORD);
    // An account file and activity from an earlier Hearth: no keyFromBefore, a sync last week.
    const file = join(base, '.hearth', 'accounts.json');
    const data = JSON.parse(readFileSync(file, 'utf8')) as { accounts: Record<string, unknown>[] };
    for (const a of data.accounts) delete a.keyFromBefore;
    writeFileSync(file, JSON.stringify(data));
    writeFileSync(
      activityFilePath(base),
      JSON.stringify({ version: 1, users: { alice: { lastSyncAt: '2026-11-30T10:00:00.000Z', client: '25.09.2,dev,android' } } }),
    );
    const [alice] = await people.list();
    assert.deepEqual(alice!.devices, [
      {
        id: 'before',
        name: 'Devices signed in before this update',
        app: 'AnkiDroid 2.23 or 2.24',
        fromBefore: true,
        signedInAt: null,
        firstSyncAt: null,
        lastSyncAt: '2026-11-30T10:00:00.000Z',
        lastAddress: null,
      },
    ]);
    assert.deepEqual(await people.signOutDevice('alice', 'before'), { ok: true });
    assert.deepEqual((await people.list())[0]!.devices, []);
    assert.ok(store.list().length === 1, 'the person stays');
  });

  it('signs out one device, or all of them, and tells the server', async (t) => {
    const { base, people, told } = setup(t);
    await people.add('alice', PASSWORD);
    const phone = logIn(base, 'alice', '25.09.2,dev,android', '10.0.0.1', 1_000);
    const laptop = logIn(base, 'alice', '25.09.2,x,linux', '10.0.0.2', 2_000);
    const tablet = logIn(base, 'alice', '25.09.2,x,ios', '10.0.0.3', 3_000);
    assert.deepEqual(await people.signOutDevice('alice', phone), { ok: true });
    assert.equal(told.length, 1);
    assert.deepEqual((await people.list())[0]!.devices.map((d) => d.id).sort(), [laptop, tablet].sort());
    assert.deepEqual(await people.signOutAllDevices('alice'), { ok: true });
    assert.equal(told.length, 2);
    assert.deepEqual((await people.list())[0]!.devices, []);
  });

  it('an unknown device, a device of another person or an unknown person is refused in plain words, and nothing changes', async (t) => {
    const { base, people, told } = setup(t);
    await people.add('alice', PASSWORD);
    await people.add('bob', PASSWORD);
    const bobs = logIn(base, 'bob', '25.09.2,x,linux', '10.0.0.2', 2_000);
    for (const [who, id] of [
      ['alice', bobs],
      ['alice', 'nothing1'],
      ['alice', ''],
    ] as const) {
      const r = await people.signOutDevice(who, id);
      assert.match(r.ok ? '' : r.problem, /alice has no such device/, id);
    }
    const nobody = await people.signOutDevice('carol', bobs);
    assert.match(nobody.ok ? '' : nobody.problem, /no person called “carol”/);
    const keep = await people.changePassword('alice', 'a new password', [bobs]);
    assert.match(keep.ok ? '' : keep.problem, /alice has no such device/);
    assert.deepEqual(told, []);
    assert.deepEqual(
      (await people.list()).find((p) => p.username === 'bob')!.devices.map((d) => d.id),
      [bobs],
    );
  });

  it('a new password signs out every device but the ones kept', async (t) => {
    const { base, people } = setup(t);
    await people.add('alice', PASSWORD);
    const phone = logIn(base, 'alice', '25.09.2,dev,android', '10.0.0.1', 1_000);
    logIn(base, 'alice', '25.09.2,x,linux', '10.0.0.2', 2_000);
    assert.deepEqual(await people.changePassword('alice', 'a new password', [phone]), { ok: true });
    assert.deepEqual(
      (await people.list())[0]!.devices.map((d) => d.id),
      [phone],
    );
  });

  it('devices of a SYNC_USER person can be signed out, though the person cannot be edited here', async (t) => {
    const { base, people } = setup(t, { env: ['carol'] });
    const phone = logIn(base, 'carol', '25.09.2,dev,android', '10.0.0.1', 1_000);
    assert.deepEqual(await people.signOutDevice('carol', phone), { ok: true });
    const pw = await people.changePassword('carol', 'a new password', []);
    assert.match(pw.ok ? '' : pw.problem, /SYNC_USER/);
  });

  it('never deletes outside the data folder, even for a damaged account file', async (t) => {
    const { base, people } = setup(t);
    const outside = mkdtempSync(join(tmpdir(), 'hearth-outside-'));
    t.after(() => rmSync(outside, { recursive: true, force: true }));
    // accounts.json validation refuses such names, so the store cannot even be read.
    mkdirSync(join(base, '.hearth'), { recursive: true });
    writeFileSync(
      join(base, '.hearth', 'accounts.json'),
      JSON.stringify({ version: 1, accounts: [{ username: '..', verifier: '$argon2id$x', createdAt: '', passwordChangedAt: '' }] }),
    );
    await assert.rejects(people.remove('..', true));
    assert.ok(existsSync(outside));
    assert.ok(existsSync(base));
  });
});
