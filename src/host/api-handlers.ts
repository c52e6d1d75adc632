/**
 * The whole HearthApi (src/shared/api.ts), written once from the parts that own each answer:
 * the app registers it over IPC (src/main/ipc.ts), the headless host serves it to the admin page
 * (src/headless/admin-server.ts). Everything is passed in, so the handlers are tested without
 * Electron or a browser; where the hosts differ (a folder picker, what quitting means), the
 * difference is a dependency.
 */
import type { ApiHandlers, AppStatus, CollectionDownload } from '../shared/api.ts';
import type { ServerState } from '../shared/server-state.ts';
import type { People } from './people.ts';
import type { Backups } from './backups.ts';
import { checkPort } from './port-check.ts';
import type { BindResult, OwnPort } from './port-check.ts';
import type { RecentErrors } from './recent-errors.ts';
import type { ServerRunner } from './server-runner.ts';
import type { SettingsStore } from './settings-store.ts';
import { checkStorageFolder } from './storage.ts';
import type { StorageMover } from './storage.ts';

export interface ApiHandlerDeps {
  readonly settings: SettingsStore;
  readonly runner: Pick<ServerRunner, 'state' | 'allowLogin'>;
  readonly status: () => AppStatus;
  readonly people: People;
  readonly backups: Backups;
  readonly mover: StorageMover;
  readonly recentErrors: Pick<RecentErrors, 'list'>;
  /** The system's folder picker (null when cancelled); null when there is none (a browser asks for a path). */
  readonly pickFolder: (() => Promise<string | null>) | null;
  readonly quit: () => void;
  /** "Download a copy": the app saves where the person chooses (src/main/collection-save.ts); the headless admin offers a download (src/headless/download-offers.ts). */
  readonly downloadCollection: (username: string) => Promise<CollectionDownload>;
  /** The address the server listens on with the current settings (for the port check): ServerControl.config().host. */
  readonly listenAddress: () => string;
  readonly bind?: (host: string, port: number) => Promise<BindResult>;
  /** Ports the host uses besides the sync server's (the headless admin page's): not offered to it. */
  readonly otherOwnPorts?: () => readonly OwnPort[];
}

/** People whose devices are syncing now, as the server process last reported. */
export function syncingUsers(state: ServerState): readonly string[] {
  return state.kind === 'running' || state.kind === 'stopping' ? (state.activity.syncingUsers ?? []) : [];
}

export function createApiHandlers(deps: ApiHandlerDeps): ApiHandlers {
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
    changePassword: (username, password, keepDevices) => deps.people.changePassword(username, password, keepDevices),
    signOutDevice: (username, deviceId) => deps.people.signOutDevice(username, deviceId),
    signOutAllDevices: (username) => deps.people.signOutAllDevices(username),
    downloadCollection: (username) => deps.downloadCollection(username),
    removePerson: (username, deleteData) => deps.people.remove(username, deleteData),
    listBackups: (username) => deps.backups.list(username),
    restoreBackup: (username, backupId) => deps.backups.restore(username, backupId),
    chooseStorageFolder: () => (deps.pickFolder ? deps.pickFolder() : null),
    checkStorageFolder: (path) => checkStorageFolder(path, { current: settings.get().storageFolder }),
    moveStorage: (path) => deps.mover.start(path),
    checkPort: (port) =>
      checkPort(port, {
        host: deps.listenAddress,
        ownPort: () => {
          const s = deps.runner.state();
          return s.kind === 'running' ? s.port : null;
        },
        ...(deps.bind ? { bind: deps.bind } : {}),
        ...(deps.otherOwnPorts ? { otherOwnPorts: deps.otherOwnPorts } : {}),
      }),
    getRecentErrors: () => deps.recentErrors.list(),
    allowLoginAgain: (address, username) =>
      deps.runner.allowLogin(address, username)
        ? { ok: true }
        : { ok: false, problem: 'The sync server is not running, so nobody is refused now.' },
    finishFirstRun() {
      settings.update({ firstRunDone: true });
    },
  };
}
