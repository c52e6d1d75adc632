/**
 * A stand-in Hearth for the window: an in-memory HearthApi served by the real admin server
 * (src/headless/admin-server.ts: the same page files, transport and checks). The UI tests
 * run against the real server (test/helpers/ui-server.ts); this one exists for the screenshots in docs/screenshots/,
 * which need fixed, lifelike data (a home-network address, people who synced hours ago, a
 * storage move half done, another Hearth on the network) that a test machine cannot produce.
 */
import { fileURLToPath } from 'node:url';
import { createAdminServer, newAdminToken } from '../../src/headless/admin-server.ts';
import { silentLogger } from '../../src/server/logger.ts';
import type {
  ActionResult,
  ApiHandlers,
  AppStatus,
  BackupSummary,
  PersonSummary,
  RecentError,
  StorageMove,
  SyncAddress,
  ThrottledLogin,
} from '../../src/shared/api.ts';
import { KEEP_RULE } from '../../src/server/backups/backup-files.ts';
import type { ServerState } from '../../src/shared/server-state.ts';
import { applySettingsPatch, defaultSettings } from '../../src/shared/settings.ts';
import type { Settings } from '../../src/shared/settings.ts';
import { passwordProblem, sameFolderName, usernameProblem } from '../../src/shared/usernames.ts';
import { IDLE_ACTIVITY } from '../../src/shared/server-process.ts';

const RENDERER_DIR = fileURLToPath(new URL('../../dist/renderer/', import.meta.url));

/** The keep rule as the real server says it (src/server/backups/backup-files.ts KEEP_RULE). */
export const KEEP_RULE_TEXT = KEEP_RULE;

export interface FakePerson extends PersonSummary {
  readonly password: string;
}

export interface FakeState {
  settings: Settings;
  server: ServerState;
  people: FakePerson[];
  errors: RecentError[];
  firstRun: boolean;
  canPickFolder: boolean;
  /** Addresses shown while running (the port is filled in). */
  hosts: { address: string; interfaceName: string; kind: SyncAddress['kind'] }[];
  localName: string | null;
  otherHearths: AppStatus['otherHearths'];
  storageMove: StorageMove;
  /** Ports checkPort calls taken. */
  takenPorts: number[];
  /** Folders checkStorageFolder refuses, with the sentence. */
  badFolders: Record<string, string>;
  /** What chooseStorageFolder returns. */
  pickedFolder: string | null;
  /** How long checkStorageFolder takes (a slow drive). */
  folderCheckMs?: number;
  /** Logins refused after wrong passwords (allowLoginAgain removes one). */
  throttledLogins: ThrottledLogin[];
  /** Each person's backups, newest first; restoreBackup records what it restored. */
  backups: Record<string, BackupSummary[]>;
  restored: { username: string; backupId: string }[];
}

export function initialFakeState(): FakeState {
  const settings = defaultSettings('/home/anna/.syncserver');
  return {
    settings,
    server: { kind: 'running', host: '0.0.0.0', port: settings.port, activity: IDLE_ACTIVITY },
    people: [],
    errors: [],
    firstRun: false,
    canPickFolder: false,
    hosts: [{ address: '192.168.1.20', interfaceName: 'Wi-Fi', kind: 'lan' }],
    localName: null,
    otherHearths: [],
    storageMove: { state: 'idle', from: null, to: null, copiedBytes: 0, totalBytes: 0, problem: null },
    takenPorts: [],
    badFolders: {},
    pickedFolder: null,
    throttledLogins: [],
    backups: {},
    restored: [],
  };
}

function statusOf(s: FakeState): AppStatus {
  const running = s.server.kind === 'running';
  const port = s.settings.port;
  const hosts = s.settings.listen === 'this-pc' ? [{ address: '127.0.0.1', interfaceName: 'this PC', kind: 'this-pc' as const }] : s.hosts;
  return {
    server: s.server,
    serverEnabled: s.settings.serverEnabled,
    listen: s.settings.listen,
    addresses: running ? hosts.map((h) => ({ ...h, url: `http://${h.address}:${port}/` })) : [],
    localUrl: running && s.localName ? `http://${s.localName}.local:${port}/` : null,
    otherHearths: s.otherHearths,
    logFile: '/home/anna/.config/Hearth/logs/hearth.log',
    port,
    storageFolder: s.settings.storageFolder,
    storageMove: s.storageMove,
    firstRun: s.firstRun,
    canPickFolder: s.canPickFolder,
    throttledLogins: running ? s.throttledLogins : [],
  };
}

const summary = ({ password: _password, ...rest }: FakePerson): PersonSummary => rest;

export function fakeHandlers(s: FakeState): ApiHandlers {
  const refuse = (problem: string): ActionResult => ({ ok: false, problem });
  const hearthPerson = (name: string): FakePerson | undefined => s.people.find((p) => p.username === name && p.source === 'hearth');
  const anyPerson = (name: string): FakePerson | undefined => s.people.find((p) => p.username === name);
  const noSuchDevice = (name: string): ActionResult =>
    refuse(`${name} has no such device (it may have been signed out already); nothing was changed.`);
  const replace = (p: FakePerson, changed: Partial<FakePerson>): void => {
    s.people = s.people.map((q) => (q === p ? { ...p, ...changed } : q));
  };
  return {
    listBackups: (username) =>
      anyPerson(username)
        ? { ok: true, backups: s.backups[username] ?? [], rule: KEEP_RULE_TEXT }
        : { ok: false, problem: `There is no person called “${username}”.` },
    restoreBackup: (username, backupId) => {
      if (!anyPerson(username)) return refuse(`There is no person called “${username}”.`);
      const backup = (s.backups[username] ?? []).find((b) => b.id === backupId);
      if (!backup) return refuse(`${username} has no such backup (it may have been removed by the keep rule); nothing was changed.`);
      if (!backup.readable) return refuse(`That backup of ${username}'s cards is damaged; nothing was changed.`);
      s.restored.push({ username, backupId });
      return { ok: true };
    },
    getStatus: () => statusOf(s),
    getSettings: () => s.settings,
    updateSettings: (patch) => {
      const result = applySettingsPatch(s.settings, patch);
      if (result.ok) {
        s.settings = result.settings;
        if (s.server.kind === 'running') s.server = { ...s.server, port: s.settings.port };
      }
      return result;
    },
    setServerEnabled: (enabled) => {
      s.settings = { ...s.settings, serverEnabled: enabled };
      s.server = enabled ? { kind: 'running', host: '0.0.0.0', port: s.settings.port, activity: IDLE_ACTIVITY } : { kind: 'stopped' };
      return statusOf(s);
    },
    setOpenAtLogin: (enabled) => {
      s.settings = { ...s.settings, startAtLogin: enabled };
      return s.settings;
    },
    quit: () => undefined,
    allowLoginAgain: (address, username) => {
      s.throttledLogins = s.throttledLogins.filter((t) => !(t.address === address && t.username === username));
      return { ok: true };
    },
    listPeople: () => s.people.map(summary),
    addPerson: (username, password) => {
      const problem = usernameProblem(username) ?? passwordProblem(password);
      if (problem) return refuse(problem);
      if (s.people.some((p) => sameFolderName(p.username, username)))
        return refuse(`“${username}” is already taken. Choose another username.`);
      s.people.push({
        username,
        password,
        source: 'hearth',
        lastSyncAt: null,
        lastClient: null,
        collectionBytes: 0,
        mediaFiles: 0,
        mediaBytes: 0,
        devices: [],
        study: null,
      });
      return { ok: true };
    },
    changePassword: (username, password, keepDevices) => {
      const p = hearthPerson(username);
      if (!p) return refuse(`There is no one called “${username}” to change.`);
      const problem = passwordProblem(password);
      if (problem) return refuse(problem);
      if (keepDevices.some((id) => !p.devices.some((d) => d.id === id))) return noSuchDevice(username);
      replace(p, { password, devices: p.devices.filter((d) => keepDevices.includes(d.id)) });
      return { ok: true };
    },
    signOutDevice: (username, deviceId) => {
      const p = anyPerson(username);
      if (!p) return refuse(`There is no person called “${username}”.`);
      if (!p.devices.some((d) => d.id === deviceId)) return noSuchDevice(username);
      replace(p, { devices: p.devices.filter((d) => d.id !== deviceId) });
      return { ok: true };
    },
    signOutAllDevices: (username) => {
      const p = anyPerson(username);
      if (!p) return refuse(`There is no person called “${username}”.`);
      replace(p, { devices: [] });
      return { ok: true };
    },
    // As the app answers once the file is written where the person chose.
    downloadCollection: (username) => {
      const p = anyPerson(username);
      if (!p) return { kind: 'problem', problem: `There is no person called “${username}”.` };
      const path = `/home/family/Documents/${username} 2026-12-07.colpkg`;
      return { kind: 'saved', path, bytes: p.collectionBytes + p.mediaBytes, mediaFiles: p.mediaFiles };
    },
    removePerson: (username) => {
      if (!hearthPerson(username)) return refuse(`There is no one called “${username}” to remove.`);
      s.people = s.people.filter((p) => p.username !== username);
      return { ok: true };
    },
    chooseStorageFolder: () => s.pickedFolder,
    checkStorageFolder: async (path) => {
      if (s.folderCheckMs) await new Promise((r) => setTimeout(r, s.folderCheckMs));
      const bad = s.badFolders[path];
      return bad ? refuse(bad) : { ok: true };
    },
    moveStorage: (path) => {
      const total = s.people.reduce((sum, p) => sum + p.collectionBytes + p.mediaBytes, 0);
      s.storageMove = { state: 'copying', from: s.settings.storageFolder, to: path, copiedBytes: 0, totalBytes: total, problem: null };
      return { ok: true };
    },
    checkPort: (port) =>
      s.takenPorts.includes(port) ? refuse(`Another program is already using port ${port}. Choose another number.`) : { ok: true },
    getRecentErrors: () => s.errors,
    finishFirstRun: () => {
      s.firstRun = false;
    },
  };
}

export interface FakeHearth {
  /** Open this in the browser: the page with `#token=…`. */
  readonly adminUrl: string;
  readonly state: FakeState;
  stop(): Promise<void>;
}

/** The stand-in handlers behind the real admin server (the same transport, checks and page files). */
export async function startFakeHearth(state: FakeState = initialFakeState(), staticDir: string = RENDERER_DIR): Promise<FakeHearth> {
  const admin = createAdminServer({
    handlers: fakeHandlers(state),
    staticDir,
    port: 0,
    token: newAdminToken(),
    logger: silentLogger,
  });
  const { url } = await admin.listen();
  return { adminUrl: url, state, stop: () => admin.close() };
}
