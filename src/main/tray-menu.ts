/**
 * The tray menu as a pure function of the app's state (after mattermost/desktop's
 * trayMenu): state in, template out. Items carry an `action` instead of a click handler, so the
 * menu can be tested item by item; tray.ts turns actions into effects and builds the Electron
 * menu from this template.
 */
import { errorShortLabel } from '../shared/errors.ts';
import { isSyncing } from '../shared/server-state.ts';
import type { ServerState } from '../shared/server-state.ts';

export type TrayAction =
  | { readonly kind: 'set-server-enabled'; readonly enabled: boolean }
  | { readonly kind: 'retry' }
  | { readonly kind: 'copy-url'; readonly url: string }
  | { readonly kind: 'open-window' }
  | { readonly kind: 'set-start-at-login'; readonly enabled: boolean }
  | { readonly kind: 'quit' };

export interface TrayMenuItem {
  /** Stable, for tests and for Electron's Menu.getMenuItemById. */
  readonly id: string;
  readonly type: 'normal' | 'checkbox' | 'separator';
  readonly label?: string;
  readonly enabled?: boolean;
  readonly checked?: boolean;
  readonly action?: TrayAction;
}

export interface TrayView {
  readonly server: ServerState;
  /** The person's on/off choice (settings.serverEnabled); the state says what actually runs. */
  readonly serverEnabled: boolean;
  readonly startAtLogin: boolean;
  /** The best sync URL (lan-addresses.ts) while running, else null. */
  readonly syncUrl: string | null;
}

export type TrayIconKind = 'running' | 'stopped' | 'error';

export function trayIconKind(server: ServerState): TrayIconKind {
  switch (server.kind) {
    case 'running':
      return 'running';
    case 'crashed':
      return 'error';
    case 'starting':
    case 'stopping':
    case 'stopped':
      return 'stopped';
  }
}

/** The first line of the menu and the tooltip: what the server is doing, in plain words. */
export function statusLine(view: TrayView): string {
  const s = view.server;
  switch (s.kind) {
    case 'stopped':
      return view.serverEnabled ? 'Sync server: not running' : 'Sync server: off';
    case 'starting':
      return s.attempt > 1 ? `Sync server: starting (try ${s.attempt})…` : 'Sync server: starting…';
    case 'running': {
      if (!s.activity.syncing) return 'Sync server: on';
      const who = s.activity.users[0]?.username;
      return who ? `Sync server: syncing with ${who}…` : 'Sync server: syncing…';
    }
    case 'stopping':
      return s.activity.syncing ? 'Sync server: stopping after the current sync…' : 'Sync server: stopping…';
    case 'crashed':
      return `Sync server: problem — ${errorShortLabel(s.error.code)}`;
  }
}

export function trayTooltip(view: TrayView): string {
  return `Hearth — ${statusLine(view).replace(/^Sync server: /, 'sync server ')}`;
}

export function trayMenu(view: TrayView): TrayMenuItem[] {
  const s = view.server;
  const items: TrayMenuItem[] = [{ id: 'status', type: 'normal', label: statusLine(view), enabled: false }];

  if (s.kind === 'crashed') {
    if (s.retryAt !== null)
      items.push({ id: 'retry-note', type: 'normal', label: 'Hearth will try again by itself shortly', enabled: false });
    items.push({ id: 'retry', type: 'normal', label: 'Try again now', enabled: true, action: { kind: 'retry' } });
  }

  if (s.kind === 'running' && view.syncUrl !== null) {
    items.push({
      id: 'sync-url',
      type: 'normal',
      label: `Copy sync address: ${view.syncUrl}`,
      enabled: true,
      action: { kind: 'copy-url', url: view.syncUrl },
    });
  } else {
    const why = s.kind === 'starting' ? 'shown once the server runs' : 'shown while the server is on';
    items.push({ id: 'sync-url', type: 'normal', label: `Sync address: ${why}`, enabled: false });
  }

  // While stopping, the switch waits: turning it back on mid-stop would only queue a restart.
  items.push({
    id: 'server-enabled',
    type: 'checkbox',
    label: 'Sync server on',
    checked: view.serverEnabled,
    enabled: s.kind !== 'stopping',
    action: { kind: 'set-server-enabled', enabled: !view.serverEnabled },
  });

  items.push(
    { id: 'separator-1', type: 'separator' },
    { id: 'open-window', type: 'normal', label: 'Open Hearth…', enabled: true, action: { kind: 'open-window' } },
    {
      id: 'start-at-login',
      type: 'checkbox',
      label: 'Start Hearth when I log in',
      checked: view.startAtLogin,
      enabled: true,
      action: { kind: 'set-start-at-login', enabled: !view.startAtLogin },
    },
    { id: 'separator-2', type: 'separator' },
    {
      id: 'quit',
      type: 'normal',
      // Quitting waits for a sync in progress; say so, so nobody thinks the app hangs.
      label: isSyncing(s) ? 'Quit Hearth (after the current sync)' : 'Quit Hearth',
      enabled: true,
      action: { kind: 'quit' },
    },
  );
  return items;
}
