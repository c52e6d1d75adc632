// The people list and account actions shared by the app and the headless admin (src/host/people.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPeople } from '../../src/host/people.ts';
import { openAccountStore } from '../../src/server/accounts/account-store.ts';
import { activityFilePath } from '../../src/server/activity.ts';
import { silentLogger } from '../../src/server/logger.ts';

function setup(t: { after: (fn: () => void) => void }, opts: { env?: string[]; syncing?: string[] } = {}) {
  const base = mkdtempSync(join(tmpdir(), 'hearth-people-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const syncing = [...(opts.syncing ?? [])];
  const people = createPeople({ base: () => base, envUsernames: () => opts.env ?? [], syncingUsers: () => syncing, logger: silentLogger });
  return { base, people, syncing, store: openAccountStore(base) };
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
    const [alice] = await people.list();
    assert.deepEqual(alice, {
      username: 'alice',
      source: 'hearth',
      lastSyncAt: '2026-03-01T10:00:00.000Z',
      lastClient: 'AnkiDroid 2.23 or 2.24',
      collectionBytes: 4096,
      mediaFiles: 2,
      mediaBytes: 1500,
    });
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

  it('refuses to remove a person while they are syncing', async (t) => {
    const { base, people, store, syncing } = setup(t);
    await people.add('alice', PASSWORD);
    mkdirSync(join(base, 'alice'), { recursive: true });
    syncing.push('alice');
    const r = await people.remove('alice', true);
    assert.match(r.ok ? '' : r.problem, /syncing right now/);
    assert.equal(store.list().length, 1);
    assert.ok(existsSync(join(base, 'alice')));
    syncing.length = 0;
    assert.deepEqual(await people.remove('alice', true), { ok: true });
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
