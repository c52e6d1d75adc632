// Settings → server (src/host/server-control.ts) and the status the window sees (src/host/app-status.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { planServerChange, setupServerControl, startConfigFor } from '../../src/host/server-control.ts';
import { createServerHost } from '../../src/main/server-host.ts';
import { fileSettingsBackend, openSettingsStore } from '../../src/host/settings-store.ts';
import { buildAppStatus, syncAddresses } from '../../src/host/app-status.ts';
import { defaultSettings } from '../../src/shared/settings.ts';
import { IDLE_ACTIVITY } from '../../src/shared/server-process.ts';
import type { ServerState } from '../../src/shared/server-state.ts';
import { silentLogger } from '../../src/server/logger.ts';
import { fakeTimers, settle } from '../helpers/fake-timers.ts';
import { fakeFork } from '../helpers/fake-server-child.ts';

const DEFAULT_FOLDER = '/home/anna/.syncserver';
const DEFAULTS = defaultSettings(DEFAULT_FOLDER);

describe('server control', () => {
  it('maps settings to the server process config', () => {
    assert.deepEqual(startConfigFor(DEFAULTS, { defaultStorageFolder: DEFAULT_FOLDER }), {
      storageFolder: DEFAULT_FOLDER,
      createFolder: true,
      host: '0.0.0.0',
      port: 8080,
      maxPayloadMegs: 100,
    });
    const chosen = startConfigFor(
      { ...DEFAULTS, storageFolder: '/media/usb/anki', listen: 'this-pc' },
      { defaultStorageFolder: DEFAULT_FOLDER },
    );
    assert.equal(chosen.createFolder, false, 'a folder the person chose is never created (an unplugged drive)');
    assert.equal(chosen.host, '127.0.0.1');
  });

  it('plans the smallest change', () => {
    const off = { ...DEFAULTS, serverEnabled: false };
    assert.equal(planServerChange(DEFAULTS, off), 'stop');
    assert.equal(planServerChange(off, DEFAULTS), 'start');
    assert.equal(planServerChange(off, { ...off, port: 9000 }), 'none');
    assert.equal(planServerChange(DEFAULTS, { ...DEFAULTS, port: 9000 }), 'restart');
    assert.equal(planServerChange(DEFAULTS, { ...DEFAULTS, listen: 'this-pc' }), 'restart');
    assert.equal(planServerChange(DEFAULTS, { ...DEFAULTS, storageFolder: '/srv' }), 'restart');
    assert.equal(planServerChange(DEFAULTS, { ...DEFAULTS, startHidden: true }), 'none');
  });

  it('starts at launch, restarts on a port change without cutting a sync, stops when switched off', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hearth-control-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const settings = openSettingsStore(fileSettingsBackend(join(dir, 'settings.json')), DEFAULTS, silentLogger);
    const timers = fakeTimers();
    const { fork, children } = fakeFork();
    const host = createServerHost({ fork, logger: silentLogger, timers });
    const control = setupServerControl({
      settings,
      runner: host,
      startConfig: { defaultStorageFolder: DEFAULT_FOLDER },
      logger: silentLogger,
    });
    void control.start();
    await settle();
    assert.equal(host.state().kind, 'running');

    // A sync is in progress when the person changes the port.
    children[0]!.emit({ type: 'status', activity: { syncing: true, activeRequests: 1, users: [] } });
    settings.update({ port: 9000 });
    await timers.advance(10_000);
    assert.equal(children.length, 1, 'the server keeps running until the sync ends');
    assert.ok(!children[0]!.sent.some((m) => m.type === 'stop'));
    children[0]!.emit({ type: 'status', activity: IDLE_ACTIVITY });
    await settle();
    assert.equal(children.length, 2);
    assert.deepEqual(children[1]!.sent[0], {
      type: 'start',
      config: startConfigFor(settings.get(), { defaultStorageFolder: DEFAULT_FOLDER }),
    });
    assert.equal(host.state().kind, 'running');

    settings.update({ serverEnabled: false });
    await settle();
    assert.equal(host.state().kind, 'stopped');

    await control.retry(); // "Try again" turns it back on
    await settle();
    assert.equal(settings.get().serverEnabled, true);
    assert.equal(host.state().kind, 'running');
    control.dispose();
  });
});

describe('app status', () => {
  const running: ServerState = { kind: 'running', host: '0.0.0.0', port: 8080, activity: IDLE_ACTIVITY };
  const interfaces = { wlan0: [{ address: '192.168.1.9', family: 'IPv4', internal: false }] };

  it('lists LAN addresses while running for the network', () => {
    assert.deepEqual(
      syncAddresses(running, DEFAULTS, interfaces).map((a) => a.url),
      ['http://192.168.1.9:8080/'],
    );
    assert.deepEqual(syncAddresses({ kind: 'stopped' }, DEFAULTS, interfaces), []);
  });

  it('offers 127.0.0.1 for "this PC only", and when there is no network', () => {
    const thisPc = syncAddresses(running, { ...DEFAULTS, listen: 'this-pc' }, interfaces);
    assert.deepEqual(thisPc, [{ address: '127.0.0.1', interfaceName: 'this PC', kind: 'this-pc', url: 'http://127.0.0.1:8080/' }]);
    assert.equal(syncAddresses(running, DEFAULTS, {})[0]!.kind, 'this-pc');
  });

  it('shows the .local URL only while running', () => {
    const base = {
      settings: DEFAULTS,
      interfaces,
      localUrl: 'http://pc.local:8080/',
      otherHearths: [],
      logFile: '/l',
      storageMove: { state: 'idle', from: null, to: null, copiedBytes: 0, totalBytes: 0, problem: null } as const,
      canPickFolder: true,
    };
    assert.equal(buildAppStatus({ ...base, server: running }).localUrl, 'http://pc.local:8080/');
    assert.equal(buildAppStatus({ ...base, server: { kind: 'stopped' } }).localUrl, null);
  });
});
