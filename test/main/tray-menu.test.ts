// The tray menu as a pure function of state (src/main/tray-menu.ts), and its Electron wiring (src/main/tray.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { statusLine, trayIconKind, trayMenu, trayTooltip } from '../../src/main/tray-menu.ts';
import type { TrayAction, TrayMenuItem, TrayView } from '../../src/main/tray-menu.ts';
import { handleTrayAction, toElectronTemplate, trayIconPath } from '../../src/main/tray.ts';
import type { ServerState } from '../../src/shared/server-state.ts';
import { IDLE_ACTIVITY } from '../../src/shared/server-process.ts';

const URL = 'http://192.168.1.20:8080/';
const running: ServerState = { kind: 'running', host: '0.0.0.0', port: 8080, activity: IDLE_ACTIVITY };
const syncingState: ServerState = {
  kind: 'running',
  host: '0.0.0.0',
  port: 8080,
  activity: { syncing: true, activeRequests: 1, users: [{ username: 'alice', lastSyncAt: 1 }] },
};

function view(server: ServerState, extra: Partial<TrayView> = {}): TrayView {
  return {
    server,
    serverEnabled: server.kind !== 'stopped',
    startAtLogin: true,
    syncUrl: server.kind === 'running' ? URL : null,
    ...extra,
  };
}

const byId = (items: TrayMenuItem[], id: string): TrayMenuItem => {
  const item = items.find((i) => i.id === id);
  assert.ok(item, `menu has ${id}`);
  return item;
};

describe('tray menu', () => {
  it('running: copies the sync URL, the switch is on, quit is plain', () => {
    const items = trayMenu(view(running));
    assert.equal(byId(items, 'status').label, 'Sync server: on');
    assert.equal(byId(items, 'status').enabled, false);
    assert.deepEqual(byId(items, 'sync-url'), {
      id: 'sync-url',
      type: 'normal',
      label: `Copy sync address: ${URL}`,
      enabled: true,
      action: { kind: 'copy-url', url: URL },
    });
    const toggle = byId(items, 'server-enabled');
    assert.equal(toggle.checked, true);
    assert.equal(toggle.enabled, true);
    assert.deepEqual(toggle.action, { kind: 'set-server-enabled', enabled: false });
    assert.equal(byId(items, 'quit').label, 'Quit Hearth');
    assert.equal(
      items.some((i) => i.id === 'retry'),
      false,
    );
  });

  it('running while syncing: says who is syncing and that quitting waits', () => {
    const items = trayMenu(view(syncingState));
    assert.equal(byId(items, 'status').label, 'Sync server: syncing with alice…');
    assert.equal(byId(items, 'quit').label, 'Quit Hearth (after the current sync)');
  });

  it('stopped (switched off): no URL, the switch turns it on', () => {
    const items = trayMenu(view({ kind: 'stopped' }, { serverEnabled: false }));
    assert.equal(byId(items, 'status').label, 'Sync server: off');
    assert.equal(byId(items, 'sync-url').enabled, false);
    assert.equal(byId(items, 'sync-url').action, undefined);
    const toggle = byId(items, 'server-enabled');
    assert.equal(toggle.checked, false);
    assert.deepEqual(toggle.action, { kind: 'set-server-enabled', enabled: true });
  });

  it('starting: the URL waits, the switch can still turn it off', () => {
    const items = trayMenu(view({ kind: 'starting', attempt: 1 }));
    assert.equal(byId(items, 'status').label, 'Sync server: starting…');
    assert.equal(byId(items, 'sync-url').label, 'Sync address: shown once the server runs');
    assert.equal(byId(items, 'sync-url').enabled, false);
    assert.equal(byId(items, 'server-enabled').enabled, true);
    assert.equal(statusLine(view({ kind: 'starting', attempt: 3 })), 'Sync server: starting (try 3)…');
  });

  it('stopping: the switch is disabled until the stop is done', () => {
    const items = trayMenu(view({ kind: 'stopping', activity: syncingState.activity }, { serverEnabled: false }));
    assert.equal(byId(items, 'status').label, 'Sync server: stopping after the current sync…');
    assert.equal(byId(items, 'server-enabled').enabled, false);
    assert.equal(byId(items, 'sync-url').enabled, false);
    assert.equal(byId(items, 'quit').label, 'Quit Hearth (after the current sync)');
  });

  it('crashed: names the problem and offers to try again; says when it retries by itself', () => {
    const crashed: ServerState = { kind: 'crashed', error: { code: 'port-in-use' }, retryAt: null };
    const items = trayMenu(view(crashed, { serverEnabled: true }));
    assert.equal(byId(items, 'status').label, 'Sync server: problem — the port is used by another program');
    assert.deepEqual(byId(items, 'retry').action, { kind: 'retry' });
    assert.equal(
      items.some((i) => i.id === 'retry-note'),
      false,
    );
    assert.equal(byId(items, 'sync-url').enabled, false);

    const retrying = trayMenu(view({ kind: 'crashed', error: { code: 'server-crashed' }, retryAt: 5 }, { serverEnabled: true }));
    assert.equal(byId(retrying, 'retry-note').enabled, false);
  });

  it('always offers open, start at login (reflecting the setting) and quit', () => {
    const states: ServerState[] = [
      { kind: 'stopped' },
      { kind: 'starting', attempt: 1 },
      running,
      { kind: 'stopping', activity: IDLE_ACTIVITY },
      { kind: 'crashed', error: { code: 'internal' }, retryAt: null },
    ];
    for (const s of states) {
      for (const startAtLogin of [true, false]) {
        const items = trayMenu(view(s, { startAtLogin }));
        assert.deepEqual(byId(items, 'open-window').action, { kind: 'open-window' });
        const login = byId(items, 'start-at-login');
        assert.equal(login.checked, startAtLogin);
        assert.deepEqual(login.action, { kind: 'set-start-at-login', enabled: !startAtLogin });
        assert.deepEqual(byId(items, 'quit').action, { kind: 'quit' });
        assert.equal(new Set(items.map((i) => i.id)).size, items.length, 'ids are unique');
      }
    }
  });

  it('picks the icon per state, and the icon file per platform', () => {
    assert.equal(trayIconKind(running), 'running');
    assert.equal(trayIconKind({ kind: 'crashed', error: { code: 'internal' }, retryAt: null }), 'error');
    for (const s of ['stopped', 'starting', 'stopping'] as const) {
      assert.equal(
        trayIconKind(s === 'stopped' ? { kind: s } : s === 'starting' ? { kind: s, attempt: 1 } : { kind: s, activity: IDLE_ACTIVITY }),
        'stopped',
      );
    }
    assert.equal(trayIconPath('running', 'darwin', '/app/assets'), '/app/assets/tray/runningTemplate.png');
    assert.equal(trayIconPath('error', 'win32', '/app/assets'), '/app/assets/tray/error.ico');
    assert.equal(trayIconPath('stopped', 'linux', '/app/assets'), '/app/assets/tray/stopped.png');
  });

  it('has a tooltip for every state', () => {
    assert.equal(trayTooltip(view(running)), 'Hearth — sync server on');
    assert.equal(trayTooltip(view({ kind: 'stopped' }, { serverEnabled: false })), 'Hearth — sync server off');
  });
});

describe('tray wiring', () => {
  it('turns the template into Electron menu items whose clicks run the actions', () => {
    const clicked: TrayAction[] = [];
    const template = toElectronTemplate(trayMenu(view(running)), (a) => clicked.push(a));
    const url = template.find((t) => t.id === 'sync-url')!;
    assert.equal(url.label, `Copy sync address: ${URL}`);
    (url.click as () => void)();
    assert.deepEqual(clicked, [{ kind: 'copy-url', url: URL }]);
    assert.equal(template.find((t) => t.id === 'status')!.click, undefined);
    assert.equal(template.find((t) => t.id === 'separator-1')!.type, 'separator');
    assert.equal(template.find((t) => t.id === 'server-enabled')!.checked, true);
  });

  it('runs the effect of each action', () => {
    const calls: string[] = [];
    const deps = {
      setServerEnabled: (on: boolean) => calls.push(`server:${on}`),
      retry: () => calls.push('retry'),
      copyText: (t: string) => calls.push(`copy:${t}`),
      openWindow: () => calls.push('open'),
      setStartAtLogin: (on: boolean) => calls.push(`login:${on}`),
      quit: () => calls.push('quit'),
    };
    const actions: TrayAction[] = [
      { kind: 'set-server-enabled', enabled: false },
      { kind: 'retry' },
      { kind: 'copy-url', url: URL },
      { kind: 'open-window' },
      { kind: 'set-start-at-login', enabled: true },
      { kind: 'quit' },
    ];
    for (const a of actions) handleTrayAction(a, deps);
    assert.deepEqual(calls, ['server:false', 'retry', `copy:${URL}`, 'open', 'login:true', 'quit']);
  });
});
