/**
 * The headless host (`npm run serve`, src/headless/cli.ts) as the window sees it: the same parts
 * as the desktop app (src/main/index.ts), wired to an in-process runner and to settings that come
 * from the official environment variables. So the admin page (admin-server.ts) is the same
 * window, with the same answers, as the app's.
 *
 * Differences from the app, each a dependency rather than a branch:
 *   - settings: the environment plus `<SYNC_BASE>/.hearth/headless-settings.json`
 *     (headless-settings.ts); start at login and start in the tray are refused (the service
 *     manager starts the server);
 *   - the server runs in this process (src/host/in-process-runner.ts);
 *   - there is no folder picker: the window asks for a path;
 *   - SYNC_USERn people are listed but cannot be edited;
 *   - quit stops the server and ends the process.
 */
import { resolve } from 'node:path';
import type { ApiHandlers } from '../shared/api.ts';
import type { ServerState } from '../shared/server-state.ts';
import type { Settings } from '../shared/settings.ts';
import { serverProcessDeps, systemClock } from '../server/index.ts';
import type { Clock, Logger, ServerConfig } from '../server/index.ts';
import { createApiHandlers } from '../host/api-handlers.ts';
import { buildAppStatus } from '../host/app-status.ts';
import { createInProcessRunner } from '../host/in-process-runner.ts';
import type { NetworkInterfaces } from '../host/lan-addresses.ts';
import { accountUsernames, createPeople } from '../host/people.ts';
import { createBackups } from '../host/backups.ts';
import { setupRecentErrors } from '../host/recent-errors.ts';
import { setupServerControl } from '../host/server-control.ts';
import { openSettingsStore } from '../host/settings-store.ts';
import { setupStorageMove } from '../host/storage-move.ts';
import { createCollectionExport } from '../host/collection-export.ts';
import { envSettings, headlessListenAddress, headlessSettingsBackend, headlessSettingsRule } from './headless-settings.ts';
import { createDownloadOffers, offerCollectionDownload } from './download-offers.ts';
import type { DownloadOffers } from './download-offers.ts';

export interface HeadlessDeps {
  /** From the environment (configFromEnv). */
  readonly config: ServerConfig;
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly interfaces: () => NetworkInterfaces;
  /** Where the log goes, for the window's "where is the log" line. */
  readonly logFile: string;
  /** The admin page's port once it listens (null before, or without one): the sync server may not take it. */
  readonly adminPort?: () => number | null;
  /** The window asked to quit: the caller stops everything and exits. */
  readonly onQuit: () => void;
}

export interface Headless {
  readonly handlers: ApiHandlers;
  /** The collection packages the window asked to download, for the admin page's download route. */
  readonly downloads: Pick<DownloadOffers, 'take'>;
  /** Starts the sync server (when switched on); the state says whether it runs. */
  start(): Promise<ServerState>;
  settings(): Settings;
  /** People who can sync now (SYNC_USERn and Hearth accounts). */
  usernames(): Promise<string[]>;
  /** Waits for a data move in progress, then stops the sync server gracefully. */
  close(): Promise<void>;
}

export function createHeadless(deps: HeadlessDeps): Headless {
  const { config, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const settings = openSettingsStore(
    headlessSettingsBackend(config, logger.child('settings')),
    envSettings(config),
    logger,
    headlessSettingsRule,
  );
  const envUsernames = config.envUsers.map((u) => u.raw.slice(0, Math.max(0, u.raw.indexOf(':'))));

  const runner = createInProcessRunner({
    logger,
    clock,
    envUsers: config.envUsers,
    passwordsHashed: config.passwordsHashed,
    server: serverProcessDeps(),
  });
  const recentErrors = setupRecentErrors({
    runner,
    now: () => clock.nowMs(),
    usernames: () => [...envUsernames, ...accountUsernames(settings.get().storageFolder)],
  });
  const control = setupServerControl({
    settings,
    runner,
    startConfig: {
      defaultStorageFolder: resolve(config.base),
      listenAddress: headlessListenAddress(config),
      maxPayloadMegs: config.maxPayloadMegs,
    },
    logger,
  });
  const mover = setupStorageMove({ settings, runner, control, logger });
  const people = createPeople({
    base: () => settings.get().storageFolder,
    envUsernames: () => envUsernames,
    credentialsChanged: () => runner.credentialsChanged(),
    logger,
  });
  const downloads = createDownloadOffers({ logger });
  const exporter = createCollectionExport({
    base: () => settings.get().storageFolder,
    people: async () => (await people.list()).map((p) => p.username),
    runner,
    moving: () => mover.running() !== undefined,
    logger,
  });

  const handlers = createApiHandlers({
    settings,
    runner,
    status: () =>
      buildAppStatus({
        server: runner.state(),
        settings: settings.get(),
        interfaces: deps.interfaces(),
        localUrl: null,
        otherHearths: [],
        logFile: deps.logFile,
        storageMove: mover.state(),
        canPickFolder: false,
      }),
    people,
    backups: createBackups({
      base: () => settings.get().storageFolder,
      people: async () => (await people.list()).map((p) => p.username),
      runner,
      logger,
    }),
    mover,
    recentErrors,
    pickFolder: null,
    quit: deps.onQuit,
    downloadCollection: offerCollectionDownload(exporter, downloads),
    listenAddress: () => control.config().host,
    otherOwnPorts: () => {
      const port = deps.adminPort?.() ?? null;
      return port === null ? [] : [{ port, use: 'the admin page’s own port (the page you are using now)' }];
    },
  });

  return {
    handlers,
    downloads,
    start: () => control.start(),
    settings: () => settings.get(),
    usernames: async () => (await people.list()).map((p) => p.username),
    async close() {
      await mover.running();
      control.dispose();
      await runner.stop();
      await downloads.close();
    },
  };
}
