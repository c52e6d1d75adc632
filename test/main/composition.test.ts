// The composition root (src/main/index.ts), built (npm run build) and run in Node with a
// stand-in for Electron (test/helpers/fake-electron): the real settings store (electron-store),
// supervisor, server process (dist/server/utility-entry.js), tray menu and IPC handlers,
// wired together as in the app. What it cannot show: real tray rendering, real windows.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { zstdDecompressSync } from 'node:zlib';
import type { ApiMethod, ApiResult } from '../../src/shared/api.ts';
import { defaultSettings } from '../../src/shared/settings.ts';
import { send, syncHeader } from '../helpers/sync-client.ts';
import { makeUploadableCollection } from '../helpers/collections.ts';
import { openCollection } from '../../src/server/collection/open.ts';
import { AppRemote } from '../helpers/fake-electron/remote.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILD_TIMEOUT_MS = 120_000;
/** Longest a reply from the app may take. */
const REPLY_TIMEOUT_MS = 20_000;
/** Longest the server may take to reach a state after a change. */
const STATE_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 120_000;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

interface TrayRecord {
  image: { path: string };
  tooltip: string;
  menu: { id: string; label?: string; enabled?: boolean; checked?: boolean }[];
}

describe('the desktop app’s main process, with a stand-in for Electron', { timeout: 5 * TEST_TIMEOUT_MS }, () => {
  let dir = '';
  let app: ChildProcess | undefined;
  let output = '';
  const remote = new AppRemote({ replyMs: REPLY_TIMEOUT_MS, stateMs: STATE_TIMEOUT_MS });
  const command = (cmd: string, extra: Record<string, unknown> = {}): Promise<unknown> => remote.command(cmd, extra);
  const invoke = <M extends ApiMethod>(method: M, ...args: unknown[]): Promise<ApiResult<M>> => remote.invoke(method, ...args);
  const waitForServer = (kind: string): Promise<ApiResult<'getStatus'>> => remote.waitForServer(kind);

  const tray = async (): Promise<TrayRecord> => ((await command('tray')) as TrayRecord[])[0]!;

  let port = 0;

  before(
    async () => {
      const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(build.status, 0, `npm run build failed:\n${build.stdout}\n${build.stderr}`);
      dir = mkdtempSync(join(tmpdir(), 'hearth-app-'));
      port = await freePort();
      // An existing settings file: this PC only (nothing listens on the network), a free port.
      mkdirSync(join(dir, 'userData'), { recursive: true });
      const settings = { ...defaultSettings(join(dir, 'home', '.syncserver')), port, listen: 'this-pc' };
      writeFileSync(join(dir, 'userData', 'settings.json'), JSON.stringify(settings));
      app = fork(join(ROOT, 'dist', 'main', 'index.js'), [], {
        cwd: ROOT,
        execArgv: ['--import', join(ROOT, 'test', 'helpers', 'fake-electron', 'register.ts')],
        env: { ...process.env, HEARTH_FAKE_ELECTRON_DIR: dir },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      for (const s of [app.stdout, app.stderr]) {
        s?.setEncoding('utf8');
        s?.on('data', (c: string) => (output += c));
      }
      remote.attach(app, () => output);
    },
    { timeout: BUILD_TIMEOUT_MS },
  );

  after(() => {
    if (app && app.exitCode === null) app.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the server from the settings and shows its address in the tray', { timeout: TEST_TIMEOUT_MS }, async () => {
    const status = await waitForServer('running');
    assert.deepEqual(
      status.addresses.map((a) => a.url),
      [`http://127.0.0.1:${port}/`],
    );
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    assert.ok(existsSync(join(dir, 'home', '.syncserver')), 'the default folder is created');
    const t = await tray();
    assert.match(t.image.path, /assets[\\/]tray[\\/]running\.png$/);
    assert.equal(t.menu.find((i) => i.id === 'sync-url')?.label, `Copy sync address: http://127.0.0.1:${port}/`);
    assert.equal(t.tooltip, 'Hearth — sync server on');
  });

  it('opens a sandboxed window on Hearth’s page', { timeout: TEST_TIMEOUT_MS }, async () => {
    const windows = (await command('windows')) as { options: { webPreferences: Record<string, unknown> }; loaded: string }[];
    assert.equal(windows.length, 1);
    assert.equal(windows[0]!.loaded, join(ROOT, 'dist', 'renderer', 'index.html'));
    assert.equal(windows[0]!.options.webPreferences.sandbox, true);
    assert.ok(existsSync(windows[0]!.options.webPreferences.preload as string), 'the bundled preload exists');
  });

  it('switching the server off and on through the API stops and starts it', { timeout: TEST_TIMEOUT_MS }, async () => {
    const off = await invoke('setServerEnabled', false);
    assert.equal(off.serverEnabled, false);
    await waitForServer('stopped');
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
    const t = await tray();
    assert.match(t.image.path, /stopped\.png$/);
    assert.equal(t.menu.find((i) => i.id === 'server-enabled')?.checked, false);

    const newPort = await freePort();
    const updated = await invoke('updateSettings', { serverEnabled: true, port: newPort });
    assert.equal(updated.ok, true);
    const status = await waitForServer('running');
    assert.equal(status.addresses[0]?.url, `http://127.0.0.1:${newPort}/`);
    port = newPort;
    const saved = JSON.parse(readFileSync(join(dir, 'userData', 'settings.json'), 'utf8')) as { port: number };
    assert.equal(saved.port, newPort, 'saved by electron-store');
  });

  it('refuses invalid settings with sentences', { timeout: TEST_TIMEOUT_MS }, async () => {
    const r = await invoke('updateSettings', { port: 80 });
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.problems[0]!.message, /1024/);
  });

  it('manages people, the first-run guide, ports and recent problems through the API', { timeout: TEST_TIMEOUT_MS }, async () => {
    const status = await waitForServer('running');
    assert.equal(status.firstRun, true);
    assert.equal(status.canPickFolder, true);
    assert.equal(status.port, port);
    assert.equal(status.storageFolder, join(dir, 'home', '.syncserver'));
    assert.deepEqual(await invoke('addPerson', 'alice', 'alices password'), { ok: true });
    const bad = await invoke('addPerson', 'ALICE', 'alices password');
    assert.match(bad.ok ? '' : bad.problem, /already a person/);
    // The server process picks up the new account at once.
    const login = await send(`http://127.0.0.1:${port}/`, '/sync/hostKey', {
      header: syncHeader(''),
      body: { u: 'alice', p: 'alices password' },
    });
    assert.equal(login.status, 200);
    const people = await invoke('listPeople');
    assert.deepEqual(
      people.map((p) => [p.username, p.source]),
      [['alice', 'hearth']],
    );
    assert.deepEqual(await invoke('checkPort', port), { ok: true }, 'its own port');
    assert.equal(await invoke('chooseStorageFolder'), null, 'the picker was cancelled');
    await invoke('finishFirstRun');
    assert.equal((await invoke('getStatus')).firstRun, false);
    const saved = JSON.parse(readFileSync(join(dir, 'userData', 'settings.json'), 'utf8')) as { firstRunDone: boolean; version: number };
    assert.equal(saved.firstRunDone, true);
    assert.equal(saved.version, 2);

    // A wrong password reaches the window's recent problems from the server process.
    assert.equal(
      (await send(`http://127.0.0.1:${port}/`, '/sync/hostKey', { header: syncHeader(''), body: { u: 'alice', p: 'wrong' } })).status,
      403,
    );
    const deadline = Date.now() + STATE_TIMEOUT_MS;
    let errors = await invoke('getRecentErrors');
    while (errors.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      errors = await invoke('getRecentErrors');
    }
    assert.match(errors[0]?.message ?? '', /could not log in/);
  });

  it(
    'shows a device refused after wrong passwords, from the server process, and lets it try again',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      const login = (p: string) => send(`http://127.0.0.1:${port}/`, '/sync/hostKey', { header: syncHeader(''), body: { u: 'alice', p } });
      for (let i = 0; i < 10; i++) await login(`wrong ${i}`);
      assert.equal((await login('alices password')).status, 429);
      const deadline = Date.now() + STATE_TIMEOUT_MS;
      let status = await invoke('getStatus');
      while (status.throttledLogins.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        status = await invoke('getStatus');
      }
      assert.deepEqual(
        status.throttledLogins.map((t) => [t.username, t.address]),
        [['alice', '127.0.0.1']],
      );
      assert.ok(Date.parse(status.throttledLogins[0]!.until) > Date.now() + 10 * 60_000, 'for about 15 minutes');
      assert.deepEqual(await invoke('allowLoginAgain', '127.0.0.1', 'alice'), { ok: true });
      let again = await login('alices password');
      while (again.status === 429 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        again = await login('alices password');
      }
      assert.equal(again.status, 200);
    },
  );

  it(
    'saves a person’s collection as a .colpkg where the save dialog says, the copy made by the server process',
    { timeout: TEST_TIMEOUT_MS },
    async () => {
      await waitForServer('running');
      const endpoint = `http://127.0.0.1:${port}/`;
      const login = await send(endpoint, '/sync/hostKey', { header: syncHeader(''), body: { u: 'alice', p: 'alices password' } });
      const hkey = (login.json() as { key: string }).key;
      const made = join(dir, 'alice-upload.anki2');
      makeUploadableCollection(made, 7);
      assert.equal((await send(endpoint, '/sync/upload', { header: syncHeader(hkey), body: readFileSync(made) })).text(), 'OK');

      assert.deepEqual(await invoke('downloadCollection', 'nobody'), { kind: 'problem', problem: 'There is no person called “nobody”.' });
      assert.deepEqual(await invoke('downloadCollection', 'alice'), { kind: 'cancelled' }, 'the dialog was cancelled');
      mkdirSync(join(dir, 'saved'));
      const saved = await invoke('downloadCollection', 'alice');
      assert.equal(saved.kind, 'saved', JSON.stringify(saved));
      if (saved.kind !== 'saved') return;
      assert.match(saved.path, /[\\/]saved[\\/]alice \d{4}-\d\d-\d\d\.colpkg$/);
      assert.equal(readFileSync(saved.path).length, saved.bytes);
      // The collection inside is the server's: its seven notes.
      const pkg = readFileSync(saved.path);
      const start = pkg.indexOf('collection.anki21b') + 'collection.anki21b'.length;
      const copy = join(dir, 'inside.anki2');
      writeFileSync(copy, zstdDecompressSync(pkg.subarray(start, pkg.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]), start))));
      const db = openCollection(copy, { readonly: true });
      assert.equal((db.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n, 7);
      db.close();
      assert.deepEqual(
        readdirSync(join(dir, 'home', '.syncserver', 'alice')).filter((n) => n.startsWith('.upload-')),
        [],
        'the server process’s copy is gone',
      );
    },
  );

  it('moves the data to another folder and serves it from there', { timeout: TEST_TIMEOUT_MS }, async () => {
    const from = join(dir, 'home', '.syncserver');
    const target = join(dir, 'external drive', 'Hearth');
    await new Promise((r) => setTimeout(r, 5_500)); // the last sync counts as finished after a quiet moment
    assert.deepEqual(await invoke('checkStorageFolder', target), { ok: true });
    assert.deepEqual(await invoke('moveStorage', target), { ok: true });
    const deadline = Date.now() + STATE_TIMEOUT_MS;
    let status = await invoke('getStatus');
    while (!['done', 'failed'].includes(status.storageMove.state) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = await invoke('getStatus');
    }
    assert.equal(status.storageMove.state, 'done', JSON.stringify(status.storageMove));
    status = await waitForServer('running');
    assert.equal(status.storageFolder, target);
    const saved = JSON.parse(readFileSync(join(dir, 'userData', 'settings.json'), 'utf8')) as { storageFolder: string };
    assert.equal(saved.storageFolder, target);
    assert.ok(existsSync(join(target, '.hearth', 'accounts.json')));
    assert.equal(existsSync(from), false, 'the old copy is removed');
    const login = await send(`http://127.0.0.1:${port}/`, '/sync/hostKey', {
      header: syncHeader(''),
      body: { u: 'alice', p: 'alices password' },
    });
    assert.equal(login.status, 200, 'alice’s account moved with the data');
  });

  it('quits after stopping the server, and the log file has the server’s lines', { timeout: TEST_TIMEOUT_MS }, async () => {
    const exited = new Promise<number | null>((resolve) => app!.once('exit', (code) => resolve(code)));
    await command('quit');
    assert.equal(await exited, 0);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/health`));
    const log = readFileSync(join(dir, 'userData', 'logs', 'hearth.log'), 'utf8');
    assert.match(log, /\[server:process\] ready/);
    assert.match(log, /\[main:lifecycle\] quitting/);
    assert.match(log, /\[server:process\] stopping/);
    assert.equal(existsSync(join(dir, 'external drive', 'Hearth', '.hearth', 'server.lock')), false);
  });
});
