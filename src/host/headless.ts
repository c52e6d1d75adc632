/**
 * The headless server (`npm run serve`, src/server/cli.ts) as the window sees it: the sync
 * server run in this process, with the same HearthApi the desktop app implements, so the admin
 * page (src/server/admin/) is the same window as the app's.
 *
 * Differences from the app, each said in plain words where it matters:
 *   - settings come from the environment plus `<SYNC_BASE>/.hearth/headless-settings.json`
 *     (src/host/headless-settings.ts); changing the port or the network scope restarts the sync
 *     listener in this process, after a sync in progress has finished;
 *   - there is no folder picker (chooseStorageFolder is null, canPickFolder false): the window
 *     asks for a path;
 *   - start at login and start in the tray do not apply (the service manager starts the server);
 *   - SYNC_USERn people are listed but cannot be edited;
 *   - quit stops the server and ends the process.
 */
import { mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ActionResult, ApiHandlers, AppStatus } from '../shared/api.ts';
import type { HearthError } from '../shared/errors.ts';
import type { ServerState } from '../shared/server-state.ts';
import { SETTINGS_FIELDS, settingProblem } from '../shared/settings.ts';
import type { Settings, SettingsField, SettingsProblem, Validated } from '../shared/settings.ts';
import { systemClock } from '../server/clock.ts';
import type { Clock } from '../server/clock.ts';
import type { ServerConfig } from '../server/config.ts';
import { createSyncServer, IncompleteInstallError } from '../server/index.ts';
import type { SyncServer } from '../server/index.ts';
import type { Logger } from '../server/logger.ts';
import { problemFromOutcome } from '../server/problems.ts';
import { acquireServerLock } from '../server/server-lock.ts';
import type { ServerLock } from '../server/server-lock.ts';
import type { RequestObserver } from '../server/activity.ts';
import { readActivity } from '../server/activity.ts';
import { buildAppStatus } from './app-status.ts';
import { effectiveHeadlessSettings, headlessSettingsPath, readHeadlessSettings, writeHeadlessSettings } from './headless-settings.ts';
import type { HeadlessSettingsFile } from './headless-settings.ts';
import type { NetworkInterfaces } from './lan-addresses.ts';
import { createPeople } from './people.ts';
import { checkPort, tryBind } from './port-check.ts';
import { createRecentErrors, problemSentence, serverErrorSentence } from './recent-errors.ts';
import { checkStorageFolder, createStorageMover } from './storage.ts';
import { fullGarbageCollection } from '../server/util/idle-collector.ts';

/** Longest a settings change waits for a sync to finish before restarting the listener anyway. */
export const HEADLESS_IDLE_WAIT_MS = 2 * 60_000;
const IDLE_POLL_MS = 250;

export interface HeadlessDeps {
  /** From the environment (configFromEnv). */
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly interfaces: () => NetworkInterfaces;
  /** Where the log goes, for the window's "where is the log" line. */
  readonly logFile: string;
  /** The window asked to quit: the caller stops everything and exits. */
  readonly onQuit: () => void;
}

export interface Headless {
  readonly handlers: ApiHandlers;
  /** Starts the sync server (when switched on); the state says whether it runs. */
  start(): Promise<ServerState>;
  state(): ServerState;
  settings(): Settings;
  /** People who can sync now (SYNC_USERn and Hearth accounts). */
  usernames(): string[];
  /** Waits for a data move in progress, then stops the sync server gracefully. */
  close(): Promise<void>;
}

class StartProblem extends Error {
  readonly error: HearthError;
  constructor(error: HearthError) {
    super(error.detail ?? error.code);
    this.error = error;
  }
}

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);
const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/** The folder exists (or is the default, then it is made) and a file can be written in it. */
function prepareFolder(folder: string, create: boolean): void {
  try {
    if (!statSync(folder).isDirectory()) throw new StartProblem({ code: 'folder-missing', detail: `${folder} is a file, not a folder` });
  } catch (err) {
    if (err instanceof StartProblem) throw err;
    if (errno(err) !== 'ENOENT' || !create) throw new StartProblem({ code: 'folder-missing', detail: `${folder} does not exist` });
    try {
      mkdirSync(folder, { recursive: true });
    } catch {
      throw new StartProblem({ code: 'folder-not-writable', detail: `cannot create ${folder}` });
    }
  }
  const probe = join(folder, `.hearth-write-test-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (err) {
    if (NOT_WRITABLE.has(errno(err) ?? '')) throw new StartProblem({ code: 'folder-not-writable', detail: `cannot write in ${folder}` });
    throw err;
  }
}

export function createHeadless(deps: HeadlessDeps): Headless {
  const { config } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child('headless');
  const settingsPath = headlessSettingsPath(config.base);
  let file: HeadlessSettingsFile = readHeadlessSettings(settingsPath, log);
  let { settings, host } = effectiveHeadlessSettings(config, file);
  if (file.port !== undefined || file.listen !== undefined || file.storageFolder !== undefined) {
    log.info('using settings changed on the admin page', { file: settingsPath, port: settings.port, host, folder: settings.storageFolder });
  }
  const envUsernames = config.envUsers.map((u) => u.raw.slice(0, Math.max(0, u.raw.indexOf(':'))));

  let state: ServerState = { kind: 'stopped' };
  let server: SyncServer | undefined;
  let lock: ServerLock | undefined;
  const recent = createRecentErrors({ now: () => clock.nowMs() });

  const observer: RequestObserver = {
    authenticated: () => {},
    finished(outcome) {
      const problem = problemFromOutcome(outcome, clock.nowMs());
      if (problem) recent.add(problemSentence(problem), problem.at);
    },
  };
  const syncingUsers = (): string[] => server?.syncingUsers() ?? [];

  // One start/stop at a time, in call order.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const result = chain.then(op, op);
    chain = result.catch(() => undefined);
    return result;
  };

  const launch = async (): Promise<ServerState> => {
    const folder = settings.storageFolder;
    state = { kind: 'starting', attempt: 1 };
    try {
      prepareFolder(folder, resolve(folder) === resolve(config.base));
      const locked = acquireServerLock(folder);
      if (!locked.ok) {
        const who = locked.owner ? `process ${locked.owner.pid} on ${locked.owner.hostname}` : 'another process';
        throw new StartProblem({ code: 'folder-in-use', detail: `${locked.path} is held by ${who}` });
      }
      lock = locked.lock;
      server = await createSyncServer(
        { ...config, base: folder, host, port: settings.port },
        { logger: deps.logger, clock, observer, warmUp: true, collectWhenIdle: fullGarbageCollection() },
      );
      let address;
      try {
        address = await server.listen();
      } catch (err) {
        if ((await tryBind(host, settings.port)) === 'in-use')
          throw new StartProblem({ code: 'port-in-use', detail: `port ${settings.port} on ${host}` });
        throw err;
      }
      state = { kind: 'running', host: address.host, port: address.port, activity: { syncing: false, activeRequests: 0, users: [] } };
      log.info('sync server running', { host: address.host, port: address.port, folder });
    } catch (err) {
      const error: HearthError =
        err instanceof StartProblem
          ? err.error
          : err instanceof IncompleteInstallError
            ? { code: 'incomplete-install', detail: err.message }
            : { code: 'internal', detail: err instanceof Error ? err.message : String(err) };
      await halt();
      state = { kind: 'crashed', error, retryAt: null };
      log.error('the sync server could not start', { code: error.code, detail: error.detail });
      recent.add(`The sync server could not start. ${serverErrorSentence(error)}`);
    }
    return state;
  };

  /** Closes the listener (requests in flight finish first) and releases the folder. */
  const halt = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (s) {
      state = { kind: 'stopping', activity: { syncing: false, activeRequests: 0, users: [] } };
      await s.close();
    }
    lock?.release();
    lock = undefined;
    state = { kind: 'stopped' };
  };

  const whenIdle = async (): Promise<void> => {
    const deadline = clock.nowMs() + HEADLESS_IDLE_WAIT_MS;
    while (syncingUsers().length > 0 && clock.nowMs() < deadline) await new Promise((r) => setTimeout(r, IDLE_POLL_MS));
  };

  const restart = (): Promise<ServerState> =>
    serial(async () => {
      await whenIdle();
      await halt();
      return settings.serverEnabled ? launch() : state;
    });

  const saveFile = (next: HeadlessSettingsFile): void => {
    writeHeadlessSettings(settingsPath, next);
    file = next;
  };

  const people = createPeople({ base: () => settings.storageFolder, envUsernames: () => envUsernames, syncingUsers, logger: deps.logger });

  const mover = createStorageMover({
    currentFolder: () => settings.storageFolder,
    isSyncing: () => syncingUsers().length > 0,
    stopServer: () => serial(halt),
    saveFolder(folder) {
      const atHome = resolve(folder) === resolve(config.base);
      const { storageFolder: _old, ...rest } = file;
      saveFile(atHome ? rest : { ...rest, storageFolder: folder });
      settings = { ...settings, storageFolder: folder };
    },
    startServer: () =>
      serial(async (): Promise<ActionResult> => {
        if (!settings.serverEnabled) return { ok: true };
        const s = await launch();
        return s.kind === 'running'
          ? { ok: true }
          : { ok: false, problem: s.kind === 'crashed' ? serverErrorSentence(s.error) : 'it did not start.' };
      }),
    logger: deps.logger,
  });

  const status = (): AppStatus => {
    const s: ServerState =
      state.kind === 'running'
        ? {
            ...state,
            activity: {
              syncing: syncingUsers().length > 0,
              activeRequests: 0,
              users: Object.entries(readActivity(settings.storageFolder))
                .map(([username, r]) => ({ username, lastSyncAt: Date.parse(r.lastSyncAt) }))
                .sort((a, b) => b.lastSyncAt - a.lastSyncAt),
              syncingUsers: syncingUsers(),
              throttled: server?.throttledLogins() ?? [],
            },
          }
        : state;
    return buildAppStatus({
      server: s,
      settings,
      interfaces: deps.interfaces(),
      localUrl: null,
      otherHearths: [],
      logFile: deps.logFile,
      storageMove: mover.state(),
      canPickFolder: false,
    });
  };

  const notHere = (field: SettingsField, what: string): SettingsProblem => ({
    field,
    message: `“${what}” does not apply to the headless server: it runs as long as the program or service that started it.`,
  });

  const updateSettings = (patch: unknown): Validated => {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      return { ok: false, problems: [{ field: 'port', message: 'The change could not be read.' }] };
    }
    const entries = Object.entries(patch as Record<string, unknown>);
    const unknown = entries.filter(([k]) => !(SETTINGS_FIELDS as readonly string[]).includes(k)).map(([k]) => k);
    if (unknown.length > 0) return { ok: false, problems: [{ field: 'port', message: `Unknown setting: ${unknown.join(', ')}.` }] };
    const problems: SettingsProblem[] = [];
    for (const [key, value] of entries) {
      const field = key as SettingsField;
      const problem = settingProblem(field, value);
      if (problem) problems.push({ field, message: problem });
      else if (field === 'startAtLogin' && value !== settings.startAtLogin) problems.push(notHere(field, 'Start Hearth when I log in'));
      else if (field === 'startHidden' && value !== settings.startHidden) problems.push(notHere(field, 'Start in the tray'));
    }
    const moving = mover.running() !== undefined;
    if (moving && entries.some(([k]) => k === 'port' || k === 'listen' || k === 'storageFolder' || k === 'serverEnabled')) {
      problems.push({ field: 'storageFolder', message: 'The sync data is being moved. Change this when the move has finished.' });
    }
    if (problems.length > 0) return { ok: false, problems };

    const previous = settings;
    const next: Settings = { ...settings, ...(patch as Partial<Settings>), version: settings.version };
    const stored: Record<string, unknown> = { ...file };
    for (const field of ['port', 'listen', 'storageFolder', 'serverEnabled', 'firstRunDone'] as const) {
      if (next[field] !== previous[field]) stored[field] = next[field];
    }
    if (resolve(next.storageFolder) === resolve(config.base)) delete stored.storageFolder;
    saveFile(stored as unknown as HeadlessSettingsFile);
    settings = next;
    if (next.listen !== previous.listen) host = next.listen === 'lan' ? '0.0.0.0' : '127.0.0.1';

    const moved = next.port !== previous.port || next.listen !== previous.listen || next.storageFolder !== previous.storageFolder;
    const restartNeeded = next.serverEnabled !== previous.serverEnabled || (next.serverEnabled && moved);
    if (restartNeeded) {
      log.info('applying settings', { port: next.port, host, folder: next.storageFolder, enabled: next.serverEnabled });
      restart().catch((err: unknown) => log.error('restart failed', { why: err instanceof Error ? err.message : String(err) }));
    }
    return { ok: true, settings: next };
  };

  const handlers: ApiHandlers = {
    getStatus: status,
    getSettings: () => settings,
    updateSettings,
    setServerEnabled(enabled) {
      updateSettings({ serverEnabled: enabled });
      return status();
    },
    setOpenAtLogin(enabled) {
      if (enabled) log.info('start at login does not apply to the headless server; ignored');
      return settings;
    },
    quit: () => deps.onQuit(),
    listPeople: () => people.list(),
    addPerson: (username, password) => people.add(username, password),
    changePassword: (username, password) => people.changePassword(username, password),
    removePerson: (username, deleteData) => people.remove(username, deleteData),
    chooseStorageFolder: () => null,
    checkStorageFolder: (path) => checkStorageFolder(path, { current: settings.storageFolder }),
    moveStorage: (path) => mover.start(path),
    checkPort: (port) => checkPort(port, { host: () => host, ownPort: () => (state.kind === 'running' ? state.port : null) }),
    getRecentErrors: () => recent.list(),
    allowLoginAgain(address, username) {
      if (!server) return { ok: false, problem: 'The sync server is not running, so nobody is refused now.' };
      server.allowLoginAgain(address, username);
      log.info('a refused address may try again', { address, user: username ?? '(any)' });
      return { ok: true };
    },
    finishFirstRun() {
      if (settings.firstRunDone) return;
      saveFile({ ...file, firstRunDone: true });
      settings = { ...settings, firstRunDone: true };
    },
  };

  return {
    handlers,
    start: () => serial(() => (settings.serverEnabled ? launch() : Promise.resolve(state))),
    state: () => state,
    settings: () => settings,
    usernames: () => server?.usernames() ?? envUsernames,
    async close() {
      await mover.running();
      await serial(halt);
    },
  };
}
