// The small Electron-facing modules, with fakes: autostart, window security, single instance,
// graceful quit, and where files are.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAutostart, HIDDEN_ARG, linuxDesktopEntry, setupAutostart, shouldShowWindowAtLaunch } from '../../src/main/autostart.ts';
import { hardenContents, isOwnPage, WINDOW_CSP, windowOptions } from '../../src/main/window.ts';
import { setupSingleInstance } from '../../src/main/single-instance.ts';
import { setupGracefulQuit } from '../../src/main/lifecycle.ts';
import { appPaths } from '../../src/main/paths.ts';
import { silentLogger } from '../../src/server/logger.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('autostart', () => {
  it('writes and removes a freedesktop autostart entry on Linux', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-autostart-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const autostartDir = join(dir, '.config', 'autostart');
    const a = createAutostart({
      platform: 'linux',
      app: { setLoginItemSettings: () => assert.fail('not on Linux'), getLoginItemSettings: () => assert.fail('not on Linux') },
      executable: '/opt/Hearth/hearth',
      linuxAutostartDir: autostartDir,
    });
    assert.equal(a.isEnabled(), false);
    a.set(true);
    assert.equal(a.isEnabled(), true);
    assert.match(readFileSync(join(autostartDir, 'hearth.desktop'), 'utf8'), /^Exec="\/opt\/Hearth\/hearth" --hidden$/m);
    a.set(false);
    assert.equal(existsSync(join(autostartDir, 'hearth.desktop')), false);
  });

  it('quotes the executable per the Desktop Entry spec', () => {
    assert.match(linuxDesktopEntry('/home/a b/Hearth "x".AppImage'), /^Exec="\/home\/a b\/Hearth \\"x\\".AppImage" --hidden$/m);
  });

  it('uses the login item API on Windows (with --hidden) and macOS', () => {
    for (const platform of ['win32', 'darwin'] as const) {
      const calls: unknown[] = [];
      const a = createAutostart({
        platform,
        app: {
          setLoginItemSettings: (s) => void calls.push(s),
          getLoginItemSettings: (o) => (calls.push(o), { openAtLogin: true }),
        },
        executable: 'C:\\Hearth\\Hearth.exe',
        linuxAutostartDir: '/unused',
      });
      a.set(true);
      assert.equal(a.isEnabled(), true);
      if (platform === 'win32') {
        assert.deepEqual(calls, [
          { openAtLogin: true, args: [HIDDEN_ARG], path: 'C:\\Hearth\\Hearth.exe' },
          { args: [HIDDEN_ARG], path: 'C:\\Hearth\\Hearth.exe' },
        ]);
      } else {
        assert.deepEqual(calls, [{ openAtLogin: true }, undefined]);
      }
    }
  });

  it('keeps the OS in line with the setting, only in a packaged app', () => {
    const sets: boolean[] = [];
    let listener: (n: { startAtLogin: boolean }, p: { startAtLogin: boolean }) => void = () => {};
    const settings = { get: () => ({ startAtLogin: true }), onChange: (l: typeof listener) => (listener = l) };
    let registered = false;
    const autostart = { set: (on: boolean) => void (sets.push(on), (registered = on)), isEnabled: () => registered };
    setupAutostart({ autostart, settings, enabled: true, logger: silentLogger });
    listener({ startAtLogin: false }, { startAtLogin: true });
    assert.deepEqual(sets, [true, false]);
    const devSets: boolean[] = [];
    setupAutostart({
      autostart: { set: (on) => void devSets.push(on), isEnabled: () => false },
      settings,
      enabled: false,
      logger: silentLogger,
    });
    assert.deepEqual(devSets, []);
  });

  it('opens the window at launch unless started hidden or at login', () => {
    assert.equal(shouldShowWindowAtLaunch({ argv: ['hearth'], startHidden: false }), true);
    assert.equal(shouldShowWindowAtLaunch({ argv: ['hearth'], startHidden: true }), false);
    assert.equal(shouldShowWindowAtLaunch({ argv: ['hearth', HIDDEN_ARG], startHidden: false }), false);
    assert.equal(shouldShowWindowAtLaunch({ argv: ['hearth'], wasOpenedAtLogin: true, startHidden: false }), false);
  });
});

describe('window', () => {
  it('is sandboxed and isolated, without Node, with the bundled preload', () => {
    const prefs = windowOptions('/app/dist/preload/index.cjs').webPreferences!;
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.webviewTag, false);
    assert.equal(prefs.preload, '/app/dist/preload/index.cjs');
  });

  it('the page carries the same strict CSP', () => {
    const html = readFileSync(join(ROOT, 'src', 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    assert.equal(meta?.[1], WINDOW_CSP);
    assert.match(WINDOW_CSP, /default-src 'none'/);
    assert.doesNotMatch(WINDOW_CSP, /unsafe-inline|unsafe-eval/);
  });

  it('denies new windows and navigation away from Hearth’s page', () => {
    const index = 'file:///app/src/renderer/index.html';
    const handlers = new Map<string, (event: { preventDefault(): void }, url?: string) => void>();
    let openHandler: (() => { action: string }) | undefined;
    const contents = {
      setWindowOpenHandler: (h: () => { action: string }) => void (openHandler = h),
      on: (name: string, h: (event: { preventDefault(): void }, url?: string) => void) => handlers.set(name, h),
    };
    hardenContents(contents as unknown as Parameters<typeof hardenContents>[0], index);
    assert.deepEqual(openHandler!(), { action: 'deny' });
    const navigate = (url: string): boolean => {
      let prevented = false;
      handlers.get('will-navigate')!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    assert.equal(navigate('https://example.com/'), true);
    assert.equal(navigate('file:///etc/passwd'), true);
    assert.equal(navigate(`${index}#people`), false);
    let webview = false;
    handlers.get('will-attach-webview')!({ preventDefault: () => (webview = true) });
    assert.equal(webview, true);
    assert.equal(isOwnPage('not a url', index), false);
  });
});

describe('app lifecycle', () => {
  it('a second launch focuses the first instead of starting another Hearth', () => {
    let quit = false;
    const first = setupSingleInstance({ requestSingleInstanceLock: () => false, on: () => {}, quit: () => (quit = true) }, () => {});
    assert.equal(first, false);
    assert.equal(quit, true);
    let onSecond: (() => void) | undefined;
    let focused = 0;
    const ok = setupSingleInstance(
      { requestSingleInstanceLock: () => true, on: (_e, l) => (onSecond = l), quit: () => {} },
      () => focused++,
    );
    assert.equal(ok, true);
    onSecond!();
    assert.equal(focused, 1);
  });

  it('quitting waits for the server to stop, then quits once', async () => {
    let beforeQuit: ((event: { preventDefault(): void }) => void) | undefined;
    let quits = 0;
    let releaseStop: () => void = () => {};
    const stopped = new Promise<void>((r) => (releaseStop = r));
    let quitting = 0;
    const app = {
      on: (event: string, listener: (event: { preventDefault(): void }) => void) => {
        if (event === 'before-quit') beforeQuit = listener;
      },
      quit: () => {
        quits++;
        let prevented = false;
        beforeQuit!({ preventDefault: () => (prevented = true) });
        return prevented;
      },
    };
    setupGracefulQuit({ app: app as never, shutDown: () => stopped, onQuitting: () => quitting++, logger: silentLogger });
    let prevented = false;
    beforeQuit!({ preventDefault: () => (prevented = true) });
    assert.equal(prevented, true, 'the first quit is held');
    beforeQuit!({ preventDefault: () => {} }); // a second Cmd+Q while stopping
    assert.equal(quitting, 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(quits, 0, 'not before the server stopped');
    releaseStop();
    await new Promise((r) => setImmediate(r));
    assert.equal(quits, 1, 'quits once it stopped');
  });

  it('finds the app’s files from its roots', () => {
    const p = appPaths({ appRoot: '/opt/Hearth/resources/app.asar', userData: '/home/a/.config/Hearth', home: '/home/a' });
    assert.equal(p.serverEntry, '/opt/Hearth/resources/app.asar/dist/server/utility-entry.js');
    assert.equal(p.preload, '/opt/Hearth/resources/app.asar/dist/preload/index.cjs');
    assert.equal(p.defaultStorageFolder, '/home/a/.syncserver');
    assert.equal(p.logFile, '/home/a/.config/Hearth/logs/hearth.log');
  });
});
