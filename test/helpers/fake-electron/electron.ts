/**
 * A stand-in for the `electron` module, enough for src/main/index.ts and electron-store, and a
 * remote control for tests: the test process sends commands over this process's IPC channel
 * ({cmd: 'invoke' | 'tray' | 'windows' | 'quit' | 'published'}) and gets one reply each.
 *
 * Paths come from HEARTH_FAKE_ELECTRON_DIR (userData and home under it). The app's root is the
 * checkout, so the built dist/ is what runs; or, for a packaged app (the stand-in Electron of
 * test/helpers/stand-in-electron), HEARTH_FAKE_ELECTRON_APP, its app.asar.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { published } from './bonjour.ts';

const packagedApp = process.env.HEARTH_FAKE_ELECTRON_APP;
const root = packagedApp ?? fileURLToPath(new URL('../../../', import.meta.url));
const dir = process.env.HEARTH_FAKE_ELECTRON_DIR ?? join(root, '.cache', 'fake-electron');

type Listener = (...args: unknown[]) => unknown;

class FakeApp extends EventEmitter {
  isPackaged = packagedApp !== undefined;
  getAppPath = (): string => root;
  getPath = (name: string): string => join(dir, name === 'home' ? 'home' : 'userData');
  getVersion = (): string => '0.1.0-test';
  whenReady = (): Promise<void> => Promise.resolve();
  requestSingleInstanceLock = (): boolean => true;
  getLoginItemSettings = () => ({ openAtLogin: false, wasOpenedAtLogin: false });
  setLoginItemSettings = (): void => {};
  exit = (code: number): never => process.exit(code);
  quit = (): void => {
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (!prevented) setImmediate(() => process.exit(0));
  };
}

export const app = new FakeApp();

const handlers = new Map<string, Listener>();
export const ipcMain = {
  handle: (channel: string, listener: Listener) => void handlers.set(channel, listener),
  removeHandler: (channel: string) => void handlers.delete(channel),
  on: () => {},
};

export const session = { defaultSession: { setPermissionRequestHandler: () => {} } };
export const shell = {};
export const clipboard = { text: '', writeText: (t: string) => void (clipboard.text = t) };
export const nativeImage = { createFromPath: (path: string) => ({ path }) };
export const Menu = { buildFromTemplate: (template: unknown[]) => ({ template }) };
/**
 * The folder picker answers with HEARTH_FAKE_PICKED_FOLDER, or as if cancelled. The save dialog
 * saves under the name it offers into `<HEARTH_FAKE_ELECTRON_DIR>/saved` once that folder exists
 * (the test makes it), and is cancelled before.
 */
export const dialog = {
  showOpenDialog: async () => {
    const picked = process.env.HEARTH_FAKE_PICKED_FOLDER;
    return picked ? { canceled: false, filePaths: [picked] } : { canceled: true, filePaths: [] };
  },
  showSaveDialog: async (options: { defaultPath: string }) => {
    const folder = join(dir, 'saved');
    return existsSync(folder) ? { canceled: false, filePath: join(folder, basename(options.defaultPath)) } : { canceled: true };
  },
};

const trays: { image: unknown; tooltip: string; menu: unknown }[] = [];
export class Tray extends EventEmitter {
  readonly state: (typeof trays)[number];
  constructor(image: unknown) {
    super();
    this.state = { image, tooltip: '', menu: undefined };
    trays.push(this.state);
  }
  setImage(image: unknown): void {
    this.state.image = image;
  }
  setToolTip(text: string): void {
    this.state.tooltip = text;
  }
  setContextMenu(menu: unknown): void {
    this.state.menu = menu;
  }
  destroy(): void {}
}

const windows: { options: unknown; loaded: string }[] = [];
export class BrowserWindow extends EventEmitter {
  readonly webContents = Object.assign(new EventEmitter(), { setWindowOpenHandler: () => {} });
  readonly record: (typeof windows)[number];
  constructor(options: unknown) {
    super();
    this.record = { options, loaded: '' };
    windows.push(this.record);
  }
  loadFile(path: string): Promise<void> {
    this.record.loaded = path;
    setImmediate(() => this.emit('ready-to-show'));
    return Promise.resolve();
  }
  show(): void {}
  hide(): void {}
  focus(): void {}
  restore(): void {}
  isMinimized(): boolean {
    return false;
  }
}

/** Electron's utilityProcess, played by a Node child process (the entry supports both). */
export const utilityProcess = {
  fork(modulePath: string, args: string[] = []) {
    const child: ChildProcess = fork(modulePath, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    const proc = Object.assign(new EventEmitter(), {
      pid: child.pid,
      stdout: child.stdout,
      stderr: child.stderr,
      postMessage: (message: unknown) => {
        if (child.connected) child.send(message as object);
      },
      kill: () => child.kill('SIGKILL'),
    });
    child.on('message', (m) => proc.emit('message', m));
    child.on('exit', (code) => proc.emit('exit', code ?? -1));
    child.on('error', () => {});
    return proc;
  },
};

const indexUrl = pathToFileURL(join(root, 'dist', 'renderer', 'index.html')).href;

process.on('message', (raw) => {
  const command = raw as { id: number; cmd: string; channel?: string; args?: unknown[] };
  const reply = (result: unknown, error?: string): void => void process.send?.({ id: command.id, result, error });
  switch (command.cmd) {
    case 'invoke': {
      const handler = handlers.get(command.channel ?? '');
      if (!handler) return reply(undefined, `no handler for ${command.channel}`);
      Promise.resolve()
        .then(() => handler({ senderFrame: { url: indexUrl } }, ...(command.args ?? [])))
        .then(
          (r) => reply(r),
          (e: unknown) => reply(undefined, String(e)),
        );
      return;
    }
    case 'tray':
      return reply(trays.map((t) => ({ ...t, menu: (t.menu as { template?: unknown } | undefined)?.template })));
    case 'windows':
      return reply(windows);
    case 'published':
      return reply(published);
    case 'quit':
      reply('quitting');
      return app.quit();
  }
});

export default { app, ipcMain, session, shell, clipboard, nativeImage, Menu, Tray, BrowserWindow, utilityProcess };
