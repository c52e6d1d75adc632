/**
 * The app's implementation of the whole HearthApi (src/shared/api.ts), from the parts that own
 * each answer; index.ts registers it over IPC. Everything is passed in, so the handlers are
 * tested without Electron (test/main/handlers.test.ts). The logic the headless admin shares
 * lives in src/host; here it is only connected to the app's settings store and supervisor.
 */
import type { ApiHandlers, AppStatus } from '../shared/api.ts';
import type { ServerState } from '../shared/server-state.ts';
import type { People } from '../host/people.ts';
import { checkPort } from '../host/port-check.ts';
import type { BindResult } from '../host/port-check.ts';
import type { RecentErrors } from '../host/recent-errors.ts';
import { checkStorageFolder } from '../host/storage.ts';
import type { StorageMover } from '../host/storage.ts';
import { listenHost } from './server-control.ts';
import type { SettingsStore } from './settings-store.ts';

export interface AppHandlerDeps {
  readonly settings: SettingsStore;
  readonly serverState: () => ServerState;
  readonly status: () => AppStatus;
  readonly people: People;
  readonly mover: StorageMover;
  readonly recentErrors: Pick<RecentErrors, 'list'>;
  /** The system's folder picker; null when cancelled. */
  readonly pickFolder: () => Promise<string | null>;
  readonly quit: () => void;
  /** Tells the server process to let an address try again (false: no server running). */
  readonly allowLogin: (address: string, username: string | null) => boolean;
  readonly bind?: (host: string, port: number) => Promise<BindResult>;
}

/** People whose devices are syncing now, as the server process last reported. */
export function syncingUsers(state: ServerState): readonly string[] {
  return state.kind === 'running' || state.kind === 'stopping' ? (state.activity.syncingUsers ?? []) : [];
}

export function createAppHandlers(deps: AppHandlerDeps): ApiHandlers {
  const { settings } = deps;
  return {
    getStatus: deps.status,
    getSettings: () => settings.get(),
    updateSettings(patch) {
      if (deps.mover.running() && typeof patch === 'object' && patch !== null && 'storageFolder' in patch) {
        return {
          ok: false,
          problems: [{ field: 'storageFolder', message: 'The sync data is being moved. Change the folder when the move has finished.' }],
        };
      }
      return settings.update(patch);
    },
    setServerEnabled(enabled) {
      settings.update({ serverEnabled: enabled });
      return deps.status();
    },
    setOpenAtLogin(enabled) {
      settings.update({ startAtLogin: enabled });
      return settings.get();
    },
    quit: deps.quit,
    listPeople: () => deps.people.list(),
    addPerson: (username, password) => deps.people.add(username, password),
    changePassword: (username, password) => deps.people.changePassword(username, password),
    removePerson: (username, deleteData) => deps.people.remove(username, deleteData),
    chooseStorageFolder: () => deps.pickFolder(),
    checkStorageFolder: (path) => checkStorageFolder(path, { current: settings.get().storageFolder }),
    moveStorage: (path) => deps.mover.start(path),
    checkPort: (port) =>
      checkPort(port, {
        host: () => listenHost(settings.get().listen),
        ownPort: () => {
          const s = deps.serverState();
          return s.kind === 'running' ? s.port : null;
        },
        ...(deps.bind ? { bind: deps.bind } : {}),
      }),
    getRecentErrors: () => deps.recentErrors.list(),
    allowLoginAgain: (address, username) =>
      deps.allowLogin(address, username)
        ? { ok: true }
        : { ok: false, problem: 'The sync server is not running, so nobody is refused now.' },
    finishFirstRun() {
      settings.update({ firstRunDone: true });
    },
  };
}
