/**
 * The Electron main process: the composition root. It only wires the features together (each is
 * a module of plain functions plus a setupX(), with Electron passed in); the decisions live in
 * those modules and are tested there. This is the only main-process file that imports Electron,
 * electron-store or bonjour-service as values.
 *
 * Order: single-instance lock → app ready → log file, settings, supervisor, tray, window, IPC →
 * start the server if enabled. Quitting stops the server gracefully first (lifecycle.ts).
 */
import { randomUUID } from 'node:crypto';
import { networkInterfaces, hostname } from 'node:os';
import { join } from 'node:path';
import { app, BrowserWindow, clipboard, dialog, ipcMain, Menu, nativeImage, session, Tray, utilityProcess } from 'electron';
import Store from 'electron-store';
import { Bonjour } from 'bonjour-service';
import type { AppStatus } from '../shared/api.ts';
import { defaultSettings } from '../shared/settings.ts';
import { createLogger, openAccountStore } from '../server/index.ts';
import { createApiHandlers } from '../host/api-handlers.ts';
import { buildAppStatus } from '../host/app-status.ts';
import { accountUsernames, createPeople } from '../host/people.ts';
import { createBackups } from '../host/backups.ts';
import { setupRecentErrors } from '../host/recent-errors.ts';
import { setupServerControl } from '../host/server-control.ts';
import { openSettingsStore } from '../host/settings-store.ts';
import { setupStorageMove } from '../host/storage-move.ts';
import { createCollectionExport } from '../host/collection-export.ts';
import { createAutostart, setupAutostart, shouldShowWindowAtLaunch } from './autostart.ts';
import { saveCollectionCopy } from './collection-save.ts';
import { pickFolder } from './folder-picker.ts';
import { utilityProcessFork } from './fork.ts';
import { registerApi } from './ipc.ts';
import { setupGracefulQuit } from './lifecycle.ts';
import { createLogFile } from './log-file.ts';
import { createMdns, setupMdnsAdvertising } from './mdns.ts';
import { appPaths } from './paths.ts';
import { createServerHost } from './server-host.ts';
import { electronStoreBackend } from './settings-backend.ts';
import { setupSingleInstance } from './single-instance.ts';
import { handleTrayAction, setupTray } from './tray.ts';
import type { TrayView } from './tray-menu.ts';
import { setupWindow } from './window.ts';

async function main(): Promise<void> {
  const paths = appPaths({ appRoot: app.getAppPath(), userData: app.getPath('userData'), home: app.getPath('home') });
  const logFile = createLogFile({
    path: paths.logFile,
    onError: (err) => process.stderr.write(`Hearth cannot write its log file ${paths.logFile}: ${String(err)}\n`),
  });
  const writeLine = (line: string): void => {
    logFile.writeLine(line);
    process.stderr.write(line + '\n');
  };
  const logger = createLogger(writeLine, 'info', 'main');

  let showWindow = (): void => {};
  if (!setupSingleInstance(app, () => showWindow())) return;
  await app.whenReady();
  logger.info('starting', { version: app.getVersion(), platform: process.platform, packaged: app.isPackaged });

  // Deny every permission (camera, notifications, …): the window needs none.
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));

  const settings = openSettingsStore(
    electronStoreBackend(
      join(paths.settingsFolder, 'settings.json'),
      () => new Store<Record<string, unknown>>({ name: 'settings', cwd: paths.settingsFolder, clearInvalidConfig: false }),
      logger,
    ),
    defaultSettings(paths.defaultStorageFolder),
    logger,
  );

  const host = createServerHost({
    fork: utilityProcessFork(utilityProcess, paths.serverEntry, (line) => writeLine(line)),
    logger,
  });
  const recentErrors = setupRecentErrors({
    runner: host,
    now: () => Date.now(),
    usernames: () => accountUsernames(settings.get().storageFolder),
  });

  const mdns = createMdns({
    bonjour: new Bonjour({}, (err: Error) => logger.child('mdns').warn('mDNS is not available', { why: err.message })),
    osHostname: hostname(),
    instanceId: randomUUID(),
    appVersion: app.getVersion(),
    logger,
  });
  setupMdnsAdvertising({ mdns, onServerChange: (l) => host.onChange(l), listenScope: () => settings.get().listen });

  setupAutostart({
    autostart: createAutostart({
      platform: process.platform,
      app,
      executable: process.env.APPIMAGE ?? process.execPath,
      linuxAutostartDir: join(process.env.XDG_CONFIG_HOME ?? join(app.getPath('home'), '.config'), 'autostart'),
    }),
    settings,
    enabled: app.isPackaged,
    logger: logger.child('autostart'),
  });

  const window = setupWindow({ BrowserWindow, indexPath: paths.indexHtml, preloadPath: paths.preload });
  showWindow = () => window.show();
  app.on('activate', showWindow);

  const control = setupServerControl({ settings, runner: host, startConfig: { defaultStorageFolder: paths.defaultStorageFolder }, logger });
  void control.start();
  const mover = setupStorageMove({ settings, runner: host, control, logger });
  const exporter = createCollectionExport({
    base: () => settings.get().storageFolder,
    // The app's people are Hearth's own accounts.
    people: async () =>
      openAccountStore(settings.get().storageFolder)
        .list()
        .map((a) => a.username),
    runner: host,
    moving: () => mover.running() !== undefined,
    logger,
  });

  const status = (): AppStatus =>
    buildAppStatus({
      server: host.state(),
      settings: settings.get(),
      interfaces: networkInterfaces(),
      localUrl: mdns.localUrl(),
      otherHearths: mdns.otherHearths(),
      logFile: paths.logFile,
      storageMove: mover.state(),
      canPickFolder: true,
    });
  const trayView = (): TrayView => {
    const s = status();
    return {
      server: s.server,
      serverEnabled: s.serverEnabled,
      startAtLogin: settings.get().startAtLogin,
      syncUrl: s.addresses[0]?.url ?? null,
    };
  };

  const tray = setupTray(
    {
      Tray,
      Menu,
      createImage: (path) => nativeImage.createFromPath(path),
      platform: process.platform,
      assetsDir: paths.assets,
      onClick: showWindow,
      onAction: (action) =>
        handleTrayAction(action, {
          setServerEnabled: (enabled) => void settings.update({ serverEnabled: enabled }),
          retry: () => void control.retry(),
          copyText: (text) => clipboard.writeText(text),
          openWindow: showWindow,
          setStartAtLogin: (enabled) => void settings.update({ startAtLogin: enabled }),
          quit: () => app.quit(),
        }),
    },
    trayView(),
  );
  const refreshTray = (): void => tray.update(trayView());
  host.onChange(refreshTray);
  settings.onChange(refreshTray);

  const people = createPeople({
    base: () => settings.get().storageFolder,
    // The app's people are Hearth's own accounts; SYNC_USERn belongs to the headless server.
    envUsernames: () => [],
    credentialsChanged: () => host.credentialsChanged(),
    logger,
  });
  const handlers = createApiHandlers({
    settings,
    runner: host,
    status,
    listenAddress: () => control.config().host,
    people,
    backups: createBackups({
      base: () => settings.get().storageFolder,
      people: async () => (await people.list()).map((p) => p.username),
      runner: host,
      logger,
    }),
    mover,
    recentErrors,
    pickFolder: () => pickFolder(dialog),
    quit: () => app.quit(),
    downloadCollection: (username) => saveCollectionCopy(username, { dialog, exporter, defaultFolder: app.getPath('documents') }),
  });
  registerApi(ipcMain, handlers, { isTrustedSender: (event) => window.isTrustedSender(event), logger });

  setupGracefulQuit({
    app,
    logger,
    onQuitting: () => window.allowClose(),
    shutDown: async () => {
      // A data move in progress finishes (or rolls back) first: nothing is left half-copied.
      await mover.running();
      control.dispose();
      await host.stop();
      await mdns.close();
      tray.destroy();
    },
  });

  if (
    shouldShowWindowAtLaunch({
      argv: process.argv,
      wasOpenedAtLogin: process.platform === 'darwin' ? app.getLoginItemSettings().wasOpenedAtLogin : undefined,
      startHidden: settings.get().startHidden,
    })
  ) {
    window.show();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`Hearth could not start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  app.exit(1);
});
