// Smoke test of a packaged Hearth, run by .github/workflows/release.yml on the system and CPU the
// package was made for, with the real Electron inside it (which our build machines cannot run):
//
//   node .github/smoke/smoke-test.mjs --app <the app's executable> [--python <python>] [--out <dir>]
//
//   1. writes a complete settings.json into the app's data folder (a free port, this PC only, a
//      fresh data folder, no start at login), as a person's first start would find it;
//   2. starts the app with Playwright's Electron support and waits for its window: it must be
//      visible, titled "Hearth", and have the window API (window.hearth);
//   3. waits for the sync server: http://127.0.0.1:<port>/health answers 200;
//   4. adds a person through the window's API (window.hearth.addPerson), as the People page does;
//   5. runs the real Anki client (anki_sync.py beside this file; `pip install anki==26.9.3`): it
//      logs in, full-uploads from one device, full-downloads to another, normal-syncs; the
//      window's API then shows the person's last sync;
//   6. quits the app as the tray's Quit does (app.quit(), Hearth stops the server gracefully
//      first) and checks that the app exited and /health no longer answers.
//
// A screenshot of the window and Hearth's log are left in --out for the workflow to keep.
// It writes the app's real settings file, so outside CI it refuses to replace an existing one.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { _electron } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const APP_NAME = 'Hearth';
const PERSON = { username: 'smoke', password: 'smoke-test-password' };

const LAUNCH_TIMEOUT_MS = 90_000;
const WINDOW_TIMEOUT_MS = 60_000;
const SERVER_TIMEOUT_MS = 60_000;
const ANKI_TIMEOUT_MS = 300_000;
const QUIT_TIMEOUT_MS = 60_000;

const { values: options } = parseArgs({
  options: {
    app: { type: 'string' },
    python: { type: 'string', default: process.platform === 'win32' ? 'python' : 'python3' },
    out: { type: 'string', default: 'smoke-output' },
  },
});

function step(message) {
  console.log(`smoke: ${message}`);
}

function fail(message) {
  throw new Error(message);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `promise`, or a failure naming `what` once `ms` have passed. */
async function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Paths compare as the system does: Windows ignores case. */
const samePath = (a, b) =>
  process.platform === 'win32' ? resolve(a).toLowerCase() === resolve(b).toLowerCase() : resolve(a) === resolve(b);

/** Polls `check` until it returns a truthy value or `timeoutMs` passes; then fails with `what`. */
async function waitFor(what, timeoutMs, check) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) fail(`${what}: not within ${timeoutMs / 1000} s${last ? ` (last error: ${last.message})` : ''}`);
    await sleep(250);
  }
}

/** Electron's userData folder for an app named Hearth (README: "Settings"): appData + the app's name. */
function userDataFolder() {
  switch (process.platform) {
    case 'win32':
      return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', APP_NAME);
    default:
      return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), APP_NAME);
  }
}

/** A port nobody listens on right now. */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

async function health(port) {
  const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(5_000) });
  return response.status;
}

/** Runs a program to its end with its output passed through; fails on a non-zero exit. */
function run(command, args, timeoutMs) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', env: { ...process.env, PYTHONIOENCODING: 'utf-8' } });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`${command} did not finish within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolveRun();
      else reject(new Error(`${command} ${args[0] ?? ''} exited with ${code ?? signal}`));
    });
  });
}

async function main() {
  if (!options.app) fail('usage: node .github/smoke/smoke-test.mjs --app <executable> [--python <python>] [--out <dir>]');
  const executable = resolve(options.app);
  if (!existsSync(executable)) {
    const release = resolve('release');
    const listing = existsSync(release) ? readdirSync(release).join(', ') : '(no release/ folder)';
    fail(`no app at ${executable}; release/ has: ${listing}`);
  }
  const out = resolve(options.out);
  mkdirSync(out, { recursive: true });

  // 1. The settings a first start finds (src/shared/settings.ts, version 2: every field).
  const userData = userDataFolder();
  const settingsFile = join(userData, 'settings.json');
  if (existsSync(settingsFile) && process.env.CI !== 'true') {
    fail(`${settingsFile} exists; this smoke test replaces the app's settings, so it runs only in CI (CI=true)`);
  }
  const work = mkdtempSync(join(tmpdir(), 'hearth-smoke-'));
  const port = await freePort();
  const settings = {
    version: 2,
    port,
    storageFolder: join(work, 'sync-data'),
    listen: 'this-pc',
    startAtLogin: false,
    startHidden: false,
    serverEnabled: true,
    firstRunDone: true,
  };
  // Hearth creates only its default folder (~/.syncserver); a chosen one must exist, as the
  // folder picker guarantees.
  mkdirSync(settings.storageFolder, { recursive: true });
  mkdirSync(userData, { recursive: true });
  writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  step(`settings written to ${settingsFile}: port ${port}, data in ${settings.storageFolder}`);

  let app;
  try {
    // 2. Start the packaged app. Playwright adds --inspect=0 and --remote-debugging-port=0 (and
    // --no-sandbox on Linux); a package built without electron-builder's fuses keeps those working.
    step(`starting ${executable}`);
    app = await _electron.launch({
      executablePath: executable,
      args: [],
      cwd: work,
      env: { ...process.env, ELECTRON_ENABLE_LOGGING: '1' },
      timeout: LAUNCH_TIMEOUT_MS,
    });
    app.process().stderr?.on('data', (chunk) => process.stderr.write(`[hearth] ${chunk}`));
    app.process().stdout?.on('data', (chunk) => process.stdout.write(`[hearth] ${chunk}`));

    const actualUserData = await app.evaluate(({ app: electronApp }) => electronApp.getPath('userData'));
    if (!samePath(actualUserData, userData)) {
      fail(`the app keeps its settings in ${actualUserData}, not in ${userData} where this test wrote them`);
    }
    const packaged = await app.evaluate(({ app: electronApp }) => electronApp.isPackaged);
    if (!packaged) fail('app.isPackaged is false: this is not the packaged app');

    const page = await app.firstWindow({ timeout: WINDOW_TIMEOUT_MS });
    await page.waitForLoadState('domcontentloaded', { timeout: WINDOW_TIMEOUT_MS });
    const title = await page.title();
    if (title !== APP_NAME) fail(`the window's title is ${JSON.stringify(title)}, not "${APP_NAME}"`);
    const browserWindow = await app.browserWindow(page);
    await waitFor('the window to be shown', WINDOW_TIMEOUT_MS, () => browserWindow.evaluate((w) => w.isVisible()));
    await waitFor('the window API (window.hearth)', WINDOW_TIMEOUT_MS, () =>
      page.evaluate(() => typeof window.hearth?.addPerson === 'function'),
    );
    step(`window "${title}" is open, with the window API`);

    // 3. The sync server, started by the app in its utility process.
    await waitFor(`http://127.0.0.1:${port}/health to answer 200`, SERVER_TIMEOUT_MS, async () => (await health(port)) === 200).catch(
      async (err) => {
        const status = await page.evaluate(() => window.hearth.getStatus()).catch((e) => `getStatus failed: ${e.message}`);
        fail(`${err.message}\nthe app's status: ${JSON.stringify(status)}`);
      },
    );
    step(`the sync server answers on http://127.0.0.1:${port}/health`);

    // 4. A person, added as the People page adds one.
    const added = await page.evaluate(([u, p]) => window.hearth.addPerson(u, p), [PERSON.username, PERSON.password]);
    if (!added?.ok) fail(`addPerson refused: ${JSON.stringify(added)}`);
    step(`person "${PERSON.username}" added through window.hearth.addPerson`);
    await page.screenshot({ path: join(out, 'window.png') });

    // 5. The real Anki client.
    await run(
      options.python,
      [
        join(HERE, 'anki_sync.py'),
        '--endpoint',
        `http://127.0.0.1:${port}/`,
        '--username',
        PERSON.username,
        '--password',
        PERSON.password,
        '--folder',
        join(work, 'devices'),
      ],
      ANKI_TIMEOUT_MS,
    );
    let people = [];
    const person = await waitFor('the People page to show the sync', 15_000, async () => {
      people = await page.evaluate(() => window.hearth.listPeople());
      return people.find((p) => p.username === PERSON.username && p.lastSyncAt);
    }).catch((err) => fail(`${err.message}: ${JSON.stringify(people)}`));
    step(`the window shows the sync: last sync ${person.lastSyncAt} with ${person.lastClient}`);
    await page.screenshot({ path: join(out, 'window-after-sync.png') }).catch(() => {});

    // 6. Quit, as the tray's Quit does.
    const child = app.process();
    await withTimeout(app.close(), QUIT_TIMEOUT_MS, 'the app to quit');
    await waitFor('the app process to exit', 10_000, () => child.exitCode !== null || child.signalCode !== null);
    if (child.exitCode !== 0) fail(`the app exited with ${child.exitCode ?? child.signalCode}`);
    app = undefined;
    await waitFor('/health to stop answering after quitting', 15_000, () =>
      health(port).then(
        () => false,
        () => true,
      ),
    );
    step('the app quit and the sync server stopped');
  } finally {
    if (app) {
      const child = app.process();
      await Promise.race([app.close().catch(() => {}), sleep(15_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const log = join(userData, 'logs', 'hearth.log');
    if (existsSync(log)) copyFileSync(log, join(out, 'hearth.log'));
    rmSync(work, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
  }
}

main().then(
  () => console.log('smoke: PASSED'),
  (err) => {
    console.error(`smoke: FAILED: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
