/**
 * Hearth's window: sandboxed, context-isolated, no Node in the page, a strict Content Security
 * Policy, no navigation away from Hearth's own page and no new windows (Electron's security
 * checklist). Closing it hides it: Hearth keeps serving from the tray until "Quit".
 * BrowserWindow is passed in (index.ts), so the options and checks are tested without Electron.
 */
import { pathToFileURL } from 'node:url';
import type { BrowserWindow, BrowserWindowConstructorOptions, Event, WebContents } from 'electron';
import type { IpcInvokeEvent } from './ipc.ts';

export { WINDOW_CSP } from '../shared/window-csp.ts';

export function windowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 760,
    height: 600,
    minWidth: 480,
    minHeight: 400,
    show: false,
    title: 'Hearth',
    autoHideMenuBar: true,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/** Same document (file URL) as Hearth's page; a #fragment or ?query does not make it another page. */
export function isOwnPage(url: string, indexUrl: string): boolean {
  try {
    const a = new URL(url);
    const b = new URL(indexUrl);
    return a.protocol === 'file:' && a.protocol === b.protocol && a.host === b.host && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

type ContentsLike = Pick<WebContents, 'setWindowOpenHandler' | 'on'>;

/** No popups, no navigation to other pages, no <webview>. */
export function hardenContents(contents: ContentsLike, indexUrl: string): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event: Event, url: string) => {
    if (!isOwnPage(url, indexUrl)) event.preventDefault();
  });
  contents.on('will-redirect', (event: Event, url: string) => {
    if (!isOwnPage(url, indexUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event: Event) => event.preventDefault());
}

export interface WindowDeps {
  readonly BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  readonly indexPath: string;
  readonly preloadPath: string;
}

export interface WindowController {
  show(): void;
  /** Lets the window really close (on quit). */
  allowClose(): void;
  /** For ipc.ts: only Hearth's own page may call the API. */
  isTrustedSender(event: IpcInvokeEvent): boolean;
}

export function setupWindow(deps: WindowDeps): WindowController {
  const indexUrl = pathToFileURL(deps.indexPath).href;
  let win: BrowserWindow | undefined;
  let closing = false;

  const create = (): BrowserWindow => {
    const w = new deps.BrowserWindow(windowOptions(deps.preloadPath));
    hardenContents(w.webContents, indexUrl);
    w.on('close', (event) => {
      if (closing) return;
      event.preventDefault();
      w.hide();
    });
    w.on('closed', () => {
      if (win === w) win = undefined;
    });
    w.once('ready-to-show', () => w.show());
    void w.loadFile(deps.indexPath);
    return w;
  };

  return {
    show() {
      if (!win) {
        win = create();
        return;
      }
      if (win.isMinimized()) win.restore();
      win.show();
      win.focus();
    },
    allowClose() {
      closing = true;
    },
    isTrustedSender: (event) => event.senderFrame !== null && isOwnPage(event.senderFrame.url, indexUrl),
  };
}
