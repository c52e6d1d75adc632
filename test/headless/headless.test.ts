// The headless server with its admin page (src/headless/cli.ts + src/headless/headless.ts), started as
// `npm run serve` starts it (test/helpers/ui-server.ts) and driven through the admin API exactly
// as the window drives it: people, settings, the port, recent problems, moving the data, quit.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort, startUiServer } from '../helpers/ui-server.ts';
import type { UiServer } from '../helpers/ui-server.ts';
import { send, syncHeader } from '../helpers/sync-client.ts';
import { hostKeyFor } from '../../src/server/accounts/host-key.ts';
import type { AppStatus } from '../../src/shared/api.ts';

const TEST_TIMEOUT_MS = 60_000;
/** Longest a restart of the sync listener, or a move, may take here. */
const STATE_TIMEOUT_MS = 20_000;

type T = { after: (fn: () => unknown) => void };

async function started(t: T, options: Parameters<typeof startUiServer>[0] = {}): Promise<UiServer> {
  const ui = await startUiServer(options);
  t.after(() => ui.stop());
  return ui;
}

async function until(what: string, ui: UiServer, ok: (s: AppStatus) => boolean): Promise<AppStatus> {
  const deadline = Date.now() + STATE_TIMEOUT_MS;
  for (;;) {
    const s = await ui.api.getStatus();
    if (ok(s)) return s;
    if (Date.now() > deadline) throw new Error(`${what} not within ${STATE_TIMEOUT_MS} ms: ${JSON.stringify(s)}\n${ui.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const login = (endpoint: string, u: string, p: string) => send(endpoint, '/sync/hostKey', { header: syncHeader(''), body: { u, p } });

describe('headless server with the admin page', { timeout: 10 * TEST_TIMEOUT_MS }, () => {
  it('shows the status and settings a browser window can use', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const ui = await started(t, { users: ['carol:carols-password'] });
    const s = await ui.api.getStatus();
    assert.equal(s.server.kind, 'running');
    assert.equal(s.canPickFolder, false);
    assert.equal(s.firstRun, true);
    assert.equal(s.storageFolder, ui.base);
    assert.equal(s.port, Number(new URL(ui.syncEndpoint).port));
    assert.equal(s.listen, 'this-pc');
    assert.deepEqual(
      s.addresses.map((a) => a.url),
      [ui.syncEndpoint],
    );
    assert.equal(s.storageMove.state, 'idle');
    assert.equal(await ui.api.chooseStorageFolder(), null, 'no folder picker in a browser');
    const settings = await ui.api.setOpenAtLogin(true);
    assert.equal(settings.startAtLogin, false, 'start at login does not apply');
    const hidden = await ui.api.updateSettings({ startHidden: true });
    assert.equal(hidden.ok, false);
    assert.match(hidden.ok ? '' : hidden.problems[0]!.message, /does not apply to the headless server/);
  });

  it('adds a person who can log in at once; SYNC_USERn people are listed but not editable', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const ui = await started(t, { users: ['carol:carols-password'] });
    assert.deepEqual(await ui.api.addPerson('alice', 'alices password'), { ok: true });
    const r = await login(ui.syncEndpoint, 'alice', 'alices password');
    assert.equal(r.status, 200);
    const { key } = r.json() as { key: string };
    assert.match(key, /^[0-9a-f]{40}$/);
    assert.notEqual(key, hostKeyFor('alice:alices password'), 'a key of the device’s own, not the password’s');
    const people = await ui.api.listPeople();
    assert.deepEqual(
      people.map((p) => [p.username, p.source]),
      [
        ['alice', 'hearth'],
        ['carol', 'environment'],
      ],
    );
    for (const [name, password, expected] of [
      ['', 'long password', /enter a username/],
      ['Alice', 'long password', /already a person/],
      ['carol', 'long password', /already a person/],
      ['x:y', 'long password', /colon/],
      ['bob', 'short', /at least 8/],
    ] as const) {
      const added = await ui.api.addPerson(name, password);
      assert.match(added.ok ? '' : added.problem, expected, name);
    }
    const env = await ui.api.changePassword('carol', 'a new password', []);
    assert.match(env.ok ? '' : env.problem, /SYNC_USER/);

    // A new password works at once; the old one does not.
    assert.deepEqual(await ui.api.changePassword('alice', 'another password', []), { ok: true });
    assert.equal((await login(ui.syncEndpoint, 'alice', 'alices password')).status, 403);
    assert.equal(
      (await send(ui.syncEndpoint, '/sync/meta', { header: syncHeader(key), body: { v: 11, cv: 'x' } })).status,
      403,
      'signed out',
    );
    const again = await login(ui.syncEndpoint, 'alice', 'another password');
    assert.equal(again.status, 200);
    // Removed with the data: gone from the list, the folder deleted, no more logins.
    const meta = await send(ui.syncEndpoint, '/sync/meta', {
      header: syncHeader((again.json() as { key: string }).key),
      body: { v: 11, cv: 'x' },
    });
    assert.equal(meta.status, 200);
    assert.ok(existsSync(join(ui.base, 'alice')));
    assert.deepEqual(await ui.api.removePerson('alice', true), { ok: true });
    assert.equal(existsSync(join(ui.base, 'alice')), false);
    assert.equal((await login(ui.syncEndpoint, 'alice', 'another password')).status, 403);
    assert.deepEqual(
      (await ui.api.listPeople()).map((p) => p.username),
      ['carol'],
    );
  });

  it('shows a person’s last sync with the app that made it', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const ui = await started(t);
    await ui.api.addPerson('alice', 'alices password');
    const { key } = (await login(ui.syncEndpoint, 'alice', 'alices password')).json() as { key: string };
    const meta = await send(ui.syncEndpoint, '/sync/meta', {
      header: syncHeader(key),
      body: { v: 11, cv: 'x' },
    });
    assert.equal(meta.status, 200);
    // The record is written a moment after the sync (throttled).
    const deadline = Date.now() + STATE_TIMEOUT_MS;
    let person = (await ui.api.listPeople())[0]!;
    while (person.lastSyncAt === null && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      person = (await ui.api.listPeople())[0]!;
    }
    assert.equal(person.lastClient, 'Anki 26.9.3 (Linux)', 'from the test client’s "26.9.3,hearth-test,linux"');
    assert.ok(Date.now() - Date.parse(person.lastSyncAt!) < 60_000);
  });

  it('reports failed logins in recent problems', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const ui = await started(t, { users: ['carol:carols-password'] });
    assert.deepEqual(await ui.api.getRecentErrors(), []);
    assert.equal((await login(ui.syncEndpoint, 'carol', 'wrong')).status, 403);
    assert.equal((await login(ui.syncEndpoint, 'carol', 'wrong again')).status, 403);
    const errors = await ui.api.getRecentErrors();
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /^A device could not log in as “carol”: the username or password was wrong\. \(2 times\)$/);
    assert.ok(Date.now() - Date.parse(errors[0]!.at) < 60_000);
  });

  it('checks ports, and moves the sync listener to a new port in place', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const ui = await started(t, { users: ['carol:carols-password'] });
    const oldPort = Number(new URL(ui.syncEndpoint).port);
    for (const port of [80, 70000, 1023.5]) {
      const r = await ui.api.checkPort(port);
      assert.match(r.ok ? '' : r.problem, /whole number from 1024 to 65535/, String(port));
    }
    assert.deepEqual(await ui.api.checkPort(oldPort), { ok: true }, 'its own port');
    const other: Server = await new Promise((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    t.after(() => other.close());
    const taken = (other.address() as AddressInfo).port;
    const r = await ui.api.checkPort(taken);
    assert.match(
      r.ok ? '' : r.problem,
      new RegExp(`^Port ${taken} is already used by another program on this computer\\. Choose another, for example \\d+\\.$`),
    );

    const newPort = await freeLoopbackPort();
    assert.deepEqual(await ui.api.checkPort(newPort), { ok: true });
    const updated = await ui.api.updateSettings({ port: newPort });
    assert.equal(updated.ok, true);
    await until('running on the new port', ui, (s) => s.server.kind === 'running' && s.server.port === newPort);
    assert.equal((await fetch(`http://127.0.0.1:${newPort}/health`)).status, 200);
    await assert.rejects(fetch(`http://127.0.0.1:${oldPort}/health`));
    const saved = JSON.parse(readFileSync(join(ui.base, '.hearth', 'headless-settings.json'), 'utf8')) as { port: number };
    assert.equal(saved.port, newPort, 'kept for the next start');
    assert.equal((await ui.api.updateSettings({ port: 22 })).ok, false);

    // The on/off switch stops the sync listener; the admin page stays.
    assert.equal((await ui.api.setServerEnabled(false)).serverEnabled, false);
    await until('stopped', ui, (s) => s.server.kind === 'stopped');
    await assert.rejects(fetch(`http://127.0.0.1:${newPort}/health`));
    await ui.api.setServerEnabled(true);
    await until('running again', ui, (s) => s.server.kind === 'running');
    assert.equal((await fetch(`http://127.0.0.1:${newPort}/health`)).status, 200);
  });

  it('remembers the first-run guide and the port across restarts', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const base = mkdtempSync(join(tmpdir(), 'hearth-headless-'));
    t.after(() => rmSync(base, { recursive: true, force: true }));
    const first = await startUiServer({ base, users: ['carol:carols-password'] });
    await first.api.finishFirstRun();
    assert.equal((await first.api.getStatus()).firstRun, false);
    const port = await freeLoopbackPort();
    await first.api.updateSettings({ port });
    await until('restarted', first, (s) => s.server.kind === 'running' && s.server.port === port);
    await first.stop();
    const second = await startUiServer({ base, users: ['carol:carols-password'] });
    t.after(() => second.stop());
    const s = await second.api.getStatus();
    assert.equal(s.firstRun, false);
    assert.equal(s.port, port, 'the port changed on the admin page wins over SYNC_PORT');
  });

  it(
    'moves the data to a new folder: verified, switched, served from there, and kept there after a restart',
    { timeout: TEST_TIMEOUT_MS },
    async (t) => {
      const base = mkdtempSync(join(tmpdir(), 'hearth-headless-'));
      const parent = mkdtempSync(join(tmpdir(), 'hearth-headless-target-'));
      t.after(() => rmSync(base, { recursive: true, force: true }));
      t.after(() => rmSync(parent, { recursive: true, force: true }));
      const target = join(parent, 'Hearth');
      const ui = await startUiServer({ base });
      await ui.api.addPerson('alice', 'alices password');
      const { key: hkey } = (await login(ui.syncEndpoint, 'alice', 'alices password')).json() as { key: string };
      assert.equal((await send(ui.syncEndpoint, '/sync/meta', { header: syncHeader(hkey), body: { v: 11, cv: 'x' } })).status, 200);

      const bad = await ui.api.checkStorageFolder('relative/folder');
      assert.match(bad.ok ? '' : bad.problem, /full path/);
      const inside = await ui.api.moveStorage(join(base, 'alice'));
      assert.match(inside.ok ? '' : inside.problem, /inside the current one/);
      assert.deepEqual(await ui.api.checkStorageFolder(target), { ok: true });
      // Refused while alice's sync is still "in progress" (it ended moments ago).
      const during = await ui.api.moveStorage(target);
      assert.match(during.ok ? '' : during.problem, /syncing right now/);
      await new Promise((r) => setTimeout(r, 5_100));

      assert.deepEqual(await ui.api.moveStorage(target), { ok: true });
      const s = await until('moved', ui, (st) => st.storageMove.state === 'done' || st.storageMove.state === 'failed');
      assert.equal(s.storageMove.state, 'done', JSON.stringify(s.storageMove));
      assert.equal(s.storageMove.copiedBytes, s.storageMove.totalBytes);
      assert.ok(s.storageMove.totalBytes > 0);
      await until('running again', ui, (st) => st.server.kind === 'running');
      assert.equal((await ui.api.getStatus()).storageFolder, target);
      assert.ok(existsSync(join(target, 'alice', 'collection.anki2')));
      assert.ok(existsSync(join(target, '.hearth', 'accounts.json')));
      assert.deepEqual(readdirSync(base), ['.hearth'], 'the old copy is gone');
      assert.deepEqual(readdirSync(join(base, '.hearth')), ['headless-settings.json'], 'only the note of where the data went stays');
      assert.equal(
        (await send(ui.syncEndpoint, '/sync/meta', { header: syncHeader(hkey), body: { v: 11, cv: 'x' } })).status,
        200,
        'alice syncs from the new folder',
      );
      await ui.stop();

      const again = await startUiServer({ base });
      t.after(() => again.stop());
      assert.equal((await again.api.getStatus()).storageFolder, target);
      assert.equal((await login(again.syncEndpoint, 'alice', 'alices password')).status, 200);
    },
  );

  it('quit from the window stops the server', { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const ui = await started(t, { users: ['carol:carols-password'] });
    await ui.api.quit();
    const deadline = Date.now() + STATE_TIMEOUT_MS;
    while (Date.now() < deadline) {
      try {
        await fetch(`${ui.syncEndpoint}health`);
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await assert.rejects(fetch(`${ui.syncEndpoint}health`));
    assert.match(ui.output(), /stopping why="quit from the admin page"/);
  });

  it('HEARTH_ADMIN=off serves no admin page; with nobody to sync it refuses to start', { timeout: TEST_TIMEOUT_MS }, async () => {
    await assert.rejects(startUiServer({ env: { HEARTH_ADMIN: 'off' } }), /exited \(code 1\)[\s\S]*No users defined/);
  });
});
