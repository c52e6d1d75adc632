// The renderer ⇄ main API derived from one contract (src/shared/api.ts): the main-side
// registration (src/main/ipc.ts) and the preload bridge (src/preload/bridge.ts), joined through
// a fake ipcMain/ipcRenderer pair.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { registerApi } from '../../src/main/ipc.ts';
import type { IpcInvokeEvent, IpcMainLike } from '../../src/main/ipc.ts';
import { buildBridge } from '../../src/preload/bridge.ts';
import { API_METHODS, HEARTH_API, RENDERER_API_GLOBAL, apiChannel } from '../../src/shared/api.ts';
import type { ApiHandlers, AppStatus, HearthApi } from '../../src/shared/api.ts';
import { hearthApi } from '../../src/renderer/api.ts';
import { defaultSettings } from '../../src/shared/settings.ts';
import { silentLogger } from '../../src/server/logger.ts';

const OWN_PAGE = 'file:///app/src/renderer/index.html';
const SETTINGS = defaultSettings('/data');
const STATUS: AppStatus = {
  server: { kind: 'stopped' },
  serverEnabled: false,
  listen: 'lan',
  addresses: [],
  localUrl: null,
  otherHearths: [],
  logFile: '/logs/hearth.log',
  port: 8080,
  storageFolder: '/data',
  storageMove: { state: 'idle', from: null, to: null, copiedBytes: 0, totalBytes: 0, problem: null },
  firstRun: true,
  canPickFolder: true,
  throttledLogins: [],
};

class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcInvokeEvent, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: IpcInvokeEvent, ...args: unknown[]) => unknown): void {
    assert.ok(!this.handlers.has(channel), `one handler per channel (${channel})`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  /** What ipcRenderer.invoke does: find the handler, call it with the sender's event. */
  invoke(url: string | null, channel: string, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (!handler) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return Promise.resolve().then(() => handler({ senderFrame: url === null ? null : { url } }, ...args));
  }
}

function wire(overrides: Partial<ApiHandlers> = {}) {
  const calls: string[] = [];
  const handlers: ApiHandlers = {
    getStatus: () => (calls.push('getStatus'), STATUS),
    getSettings: () => SETTINGS,
    updateSettings: (patch) => (calls.push(`update:${JSON.stringify(patch)}`), { ok: true, settings: { ...SETTINGS, ...patch } }),
    setServerEnabled: (on) => (calls.push(`server:${on}`), { ...STATUS, serverEnabled: on }),
    setOpenAtLogin: (on) => ({ ...SETTINGS, startAtLogin: on }),
    quit: () => void calls.push('quit'),
    listPeople: () => [],
    addPerson: (username) => (calls.push(`add:${username}`), { ok: true }),
    allowLoginAgain: () => ({ ok: true }),
    changePassword: () => ({ ok: true }),
    signOutDevice: () => ({ ok: true }),
    signOutAllDevices: () => ({ ok: true }),
    downloadCollection: () => ({ kind: 'cancelled' }),
    removePerson: () => ({ ok: true }),
    listBackups: () => ({ ok: true, backups: [], rule: '' }),
    restoreBackup: () => ({ ok: true }),
    chooseStorageFolder: () => null,
    checkStorageFolder: () => ({ ok: true }),
    moveStorage: () => ({ ok: true }),
    checkPort: (port) => (calls.push(`port:${port}`), { ok: true }),
    getRecentErrors: () => [],
    finishFirstRun: () => void calls.push('finishFirstRun'),
    ...overrides,
  };
  const ipcMain = new FakeIpcMain();
  const unregister = registerApi(ipcMain, handlers, { isTrustedSender: (e) => e.senderFrame?.url === OWN_PAGE, logger: silentLogger });
  // The preload's bridge, with contextBridge's exposeInMainWorld played by a plain object.
  const world: Record<string, unknown> = {};
  const contextBridge = {
    exposeInMainWorld: (key: string, api: unknown) => {
      world[key] = api;
    },
  };
  contextBridge.exposeInMainWorld(
    RENDERER_API_GLOBAL,
    buildBridge((channel, ...args) => ipcMain.invoke(OWN_PAGE, channel, ...args)),
  );
  return { ipcMain, api: hearthApi(world), calls, unregister };
}

describe('API contract', () => {
  it('registers exactly one channel per method of the contract, named from the method', () => {
    const { ipcMain } = wire();
    assert.deepEqual([...ipcMain.handlers.keys()].sort(), API_METHODS.map(apiChannel).sort());
    assert.deepEqual(API_METHODS, Object.keys(HEARTH_API));
    assert.ok(API_METHODS.every((m) => apiChannel(m) === `hearth:${m}`));
  });

  it('the bridge has every method, and nothing else', () => {
    const { api } = wire();
    assert.deepEqual(Object.keys(api).sort(), [...API_METHODS].sort());
    assert.ok(Object.isFrozen(api));
  });

  it('calls go from the window through the bridge to the handler and back', async () => {
    const { api, calls } = wire();
    assert.deepEqual(await api.getStatus(), STATUS);
    assert.deepEqual(await api.setServerEnabled(true), { ...STATUS, serverEnabled: true });
    const updated = await api.updateSettings({ port: 9000 });
    assert.equal(updated.ok && updated.settings.port, 9000);
    await api.quit();
    assert.deepEqual(calls, ['getStatus', 'server:true', 'update:{"port":9000}', 'quit']);
  });

  it('refuses invalid arguments before the handler runs', async () => {
    const { ipcMain, calls } = wire();
    await assert.rejects(ipcMain.invoke(OWN_PAGE, apiChannel('setServerEnabled'), 'yes'), /invalid arguments/);
    await assert.rejects(ipcMain.invoke(OWN_PAGE, apiChannel('setServerEnabled')), /invalid arguments/);
    await assert.rejects(ipcMain.invoke(OWN_PAGE, apiChannel('updateSettings'), [1, 2]), /invalid arguments/);
    await assert.rejects(ipcMain.invoke(OWN_PAGE, apiChannel('getStatus'), 'extra'), /invalid arguments/);
    assert.deepEqual(calls, []);
  });

  it('refuses calls from any page but Hearth’s own', async () => {
    const { ipcMain, calls } = wire();
    await assert.rejects(ipcMain.invoke('https://evil.example/', apiChannel('quit')), /not allowed/);
    await assert.rejects(ipcMain.invoke(null, apiChannel('quit')), /not allowed/);
    assert.deepEqual(calls, []);
  });

  it('unregisters every channel', () => {
    const { ipcMain, unregister } = wire();
    unregister();
    assert.equal(ipcMain.handlers.size, 0);
  });

  it('a missing handler is a compile error', () => {
    // @ts-expect-error: `quit` is missing, so this is not ApiHandlers (tsc checks this line).
    const incomplete: ApiHandlers = {
      getStatus: () => STATUS,
      getSettings: () => SETTINGS,
      updateSettings: () => ({ ok: true, settings: SETTINGS }),
      setServerEnabled: () => STATUS,
      setOpenAtLogin: () => SETTINGS,
    };
    assert.ok(incomplete);
    // And the renderer's type is derived too: a wrong argument type does not compile.
    const typed = (api: HearthApi) => {
      // @ts-expect-error: setServerEnabled takes a boolean
      void api.setServerEnabled('on');
    };
    assert.equal(typeof typed, 'function');
  });

  it('the renderer refuses to run without the API', () => {
    assert.throws(() => hearthApi({}), /not available/);
  });
});
