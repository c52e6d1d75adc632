// Moving the data folder (src/host/storage-move.ts), here with the app's supervised server: the
// server control pauses it, the settings store switches the folder, resuming starts the server
// there; a server that cannot start on the new folder sends everything back to the old one. Also
// the API handlers for these methods (src/host/api-handlers.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServerHost } from '../../src/main/server-host.ts';
import { setupServerControl } from '../../src/host/server-control.ts';
import { fileSettingsBackend, openSettingsStore } from '../../src/host/settings-store.ts';
import { setupStorageMove } from '../../src/host/storage-move.ts';
import { createApiHandlers } from '../../src/host/api-handlers.ts';
import { setupRecentErrors } from '../../src/host/recent-errors.ts';
import { createPeople } from '../../src/host/people.ts';
import { createBackups } from '../../src/host/backups.ts';
import { buildAppStatus } from '../../src/host/app-status.ts';
import { defaultSettings } from '../../src/shared/settings.ts';
import type { ServerProblem } from '../../src/shared/server-process.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { fakeFork } from '../helpers/fake-server-child.ts';
import type { FakeServerChild } from '../helpers/fake-server-child.ts';

type T = { after: (fn: () => void) => void };

function app(t: T, opts: { refuseFolder?: (folder: string) => boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-app-move-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const from = join(dir, 'home', '.syncserver');
  mkdirSync(join(from, 'alice', 'media'), { recursive: true });
  writeFileSync(join(from, 'alice', 'collection.anki2'), 'alice’s cards');
  writeFileSync(join(from, 'alice', 'media', 'cat.jpg'), 'meow');
  const settings = openSettingsStore(fileSettingsBackend(join(dir, 'settings.json')), defaultSettings(from), silentLogger);
  const problems: ServerProblem[] = [];
  const { fork, children } = fakeFork({
    onStart: (child: FakeServerChild) => {
      const start = child.sent[0];
      const folder = start?.type === 'start' ? start.config.storageFolder : '';
      if (opts.refuseFolder?.(folder)) {
        child.emit({ type: 'failed', code: 'folder-in-use', detail: `${folder}/.hearth/server.lock is held by another process` });
        child.exit(1);
      } else {
        child.emit({ type: 'ready', host: '127.0.0.1', port: 8080 });
      }
    },
  });
  const host = createServerHost({ fork, logger: silentLogger });
  host.onProblem((p) => problems.push(p));
  const recent = setupRecentErrors({ runner: host, now: () => 1000 });
  const control = setupServerControl({ settings, runner: host, startConfig: { defaultStorageFolder: from }, logger: silentLogger });
  void control.start();
  const mover = setupStorageMove({ settings, runner: host, control, logger: silentLogger, freeBytes: async () => 1e12 });
  const handlers = createApiHandlers({
    settings,
    runner: host,
    listenAddress: () => control.config().host,
    status: () =>
      buildAppStatus({
        server: host.state(),
        settings: settings.get(),
        interfaces: {},
        localUrl: null,
        otherHearths: [],
        logFile: '/log',
        storageMove: mover.state(),
        canPickFolder: true,
      }),
    people: createPeople({
      base: () => settings.get().storageFolder,
      envUsernames: () => [],
      logger: silentLogger,
    }),
    backups: createBackups({ base: () => settings.get().storageFolder, people: async () => [], runner: host, logger: silentLogger }),
    mover,
    recentErrors: recent,
    pickFolder: async () => join(dir, 'picked'),
    quit: () => {},
    downloadCollection: async () => ({ kind: 'cancelled' }),
  });
  const running = async (): Promise<void> => {
    for (let i = 0; i < 50 && host.state().kind !== 'running'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(host.state().kind, 'running');
  };
  return { dir, from, settings, host, control, mover, handlers, children, problems, recent, running };
}

describe('moving the data folder in the app', () => {
  it('pauses the server, switches the folder in the settings, and starts the server there', async (t) => {
    const a = app(t);
    await a.running();
    const to = join(a.dir, 'usb', 'Hearth');
    assert.deepEqual(await a.handlers.moveStorage(to), { ok: true });
    await a.mover.running();
    assert.equal(a.mover.state().state, 'done', a.mover.state().problem ?? '');
    assert.equal(a.settings.get().storageFolder, to);
    const last = a.children.at(-1)!.sent[0];
    assert.equal(last?.type === 'start' ? last.config.storageFolder : '', to, 'the server runs on the new folder');
    assert.equal(a.children.length, 2, 'one stop, one start: no restart in between');
    assert.equal(readFileSync(join(to, 'alice', 'media', 'cat.jpg'), 'utf8'), 'meow');
    assert.equal(existsSync(a.from), false);
    assert.equal((await a.handlers.getStatus()).storageMove.state, 'done');
  });

  it('goes back to the old folder when the server cannot start on the new one', async (t) => {
    const a = app(t, { refuseFolder: (folder) => folder.includes('usb') });
    await a.running();
    const to = join(a.dir, 'usb', 'Hearth');
    assert.deepEqual(await a.handlers.moveStorage(to), { ok: true });
    await a.mover.running();
    const state = a.mover.state();
    assert.equal(state.state, 'failed');
    assert.match(state.problem ?? '', /could not start with the new folder: Another copy of Hearth is already using this sync folder/);
    assert.match(state.problem ?? '', /Nothing was lost: Hearth keeps using .*\.syncserver/);
    assert.equal(a.settings.get().storageFolder, a.from);
    assert.equal(a.host.state().kind, 'running');
    const last = a.children.at(-1)!.sent[0];
    assert.equal(last?.type === 'start' ? last.config.storageFolder : '', a.from);
    assert.equal(readFileSync(join(a.from, 'alice', 'collection.anki2'), 'utf8'), 'alice’s cards');
    assert.equal(existsSync(to), false, 'the copy is removed');
    assert.match((await a.handlers.getRecentErrors())[0]?.message ?? '', /could not start/);
  });

  it('is refused while a device syncs (as the server process reports it)', async (t) => {
    const a = app(t);
    await a.running();
    a.children[0]!.emit({ type: 'status', activity: { syncing: true, activeRequests: 1, users: [], syncingUsers: ['alice'] } });
    const r = await a.handlers.moveStorage(join(a.dir, 'elsewhere'));
    assert.match(r.ok ? '' : r.problem, /syncing right now/);
    assert.equal(a.host.state().kind, 'running', 'the server was not stopped');
    const removal = await a.handlers.removePerson('alice', false);
    assert.equal(removal.ok, false);
  });
});

describe('the app’s handlers', () => {
  it('checks ports against the listen address, with the running server’s port counting as free', async (t) => {
    const a = app(t);
    await a.running();
    assert.deepEqual(await a.handlers.checkPort(8080), { ok: true }, 'the fake server runs on 8080');
    const r = await a.handlers.checkPort(80);
    assert.match(r.ok ? '' : r.problem, /1024/);
  });

  it('finishes the first-run guide in the settings, and picks folders with the system picker', async (t) => {
    const a = app(t);
    assert.equal((await a.handlers.getStatus()).firstRun, true);
    await a.handlers.finishFirstRun();
    assert.equal(a.settings.get().firstRunDone, true);
    assert.equal((await a.handlers.getStatus()).firstRun, false);
    assert.equal(await a.handlers.chooseStorageFolder(), join(a.dir, 'picked'));
  });

  it('passes the server’s problems on to recent problems', async (t) => {
    const a = app(t);
    await a.running();
    a.children[0]!.emit({
      type: 'problem',
      problem: { at: 2000, kind: 'upload-refused', user: 'alice', method: 'upload', status: 200, detail: 'Your upload was corrupt.' },
    });
    assert.equal(a.problems.length, 1);
    assert.deepEqual(await a.handlers.getRecentErrors(), [
      {
        at: new Date(2000).toISOString(),
        message: 'Hearth refused a full upload by alice. The device was told: “Your upload was corrupt.”',
      },
    ]);
  });

  it('does not change the folder setting while the data is being moved', async (t) => {
    const a = app(t);
    await a.running();
    await a.handlers.moveStorage(join(a.dir, 'usb'));
    const r = await a.handlers.updateSettings({ storageFolder: join(a.dir, 'other') });
    assert.equal(r.ok, false);
    await a.mover.running();
    assert.equal(a.settings.get().storageFolder, join(a.dir, 'usb'));
  });
});
