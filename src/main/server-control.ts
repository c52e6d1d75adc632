/**
 * Keeps the server process in line with the settings: on at launch when enabled, off when the
 * person switches it off, and restarted when the port, folder or network scope changes — only
 * after the running server has stopped gracefully, and after a sync in progress has finished
 * (ServerHost.restart waits for that), so a change in the window never breaks a sync.
 */
import { DEFAULT_MAX_PAYLOAD_MEGS } from '../server/config.ts';
import type { Logger } from '../server/logger.ts';
import type { ServerStartConfig } from '../shared/server-process.ts';
import type { ServerState } from '../shared/server-state.ts';
import type { Settings } from '../shared/settings.ts';
import type { ServerHost } from './server-host.ts';
import type { SettingsStore } from './settings-store.ts';

/** Listen on every interface for the home network, on loopback for "this PC only". */
export function listenHost(listen: Settings['listen']): string {
  return listen === 'lan' ? '0.0.0.0' : '127.0.0.1';
}

export function startConfigFor(settings: Settings, defaultStorageFolder: string): ServerStartConfig {
  return {
    storageFolder: settings.storageFolder,
    // Hearth may create its own default folder; a folder the person chose must exist (an
    // unplugged drive must not be replaced by an empty folder at the same path).
    createFolder: settings.storageFolder === defaultStorageFolder,
    host: listenHost(settings.listen),
    port: settings.port,
    maxPayloadMegs: DEFAULT_MAX_PAYLOAD_MEGS,
  };
}

export type ServerPlan = 'none' | 'start' | 'stop' | 'restart';

export function planServerChange(previous: Settings, next: Settings): ServerPlan {
  if (!next.serverEnabled) return previous.serverEnabled ? 'stop' : 'none';
  if (!previous.serverEnabled) return 'start';
  const moved = previous.port !== next.port || previous.storageFolder !== next.storageFolder || previous.listen !== next.listen;
  return moved ? 'restart' : 'none';
}

export interface ServerControlDeps {
  readonly settings: SettingsStore;
  readonly host: ServerHost;
  readonly defaultStorageFolder: string;
  readonly logger: Logger;
}

export interface ServerControl {
  /** "Try again" from the tray or window: starts with the current settings. */
  retry(): Promise<void>;
  /**
   * Stops the server gracefully and keeps it stopped: settings changes are saved but not applied
   * until resume() (moving the data folder switches the folder while the server is off).
   */
  pause(): Promise<void>;
  /** Applies the current settings again: starts the server when it is switched on; resolves with its state. */
  resume(): Promise<ServerState>;
  dispose(): void;
}

export function setupServerControl(deps: ServerControlDeps): ServerControl {
  const { settings, host } = deps;
  const log = deps.logger.child('server-control');
  const config = (): ServerStartConfig => startConfigFor(settings.get(), deps.defaultStorageFolder);

  const run = (what: string, op: Promise<unknown>): void => {
    op.catch((err: unknown) => log.error(`${what} failed`, { why: err instanceof Error ? err.message : String(err) }));
  };

  if (settings.get().serverEnabled) run('start', host.start(config()));

  let paused = false;
  const unsubscribe = settings.onChange((next, previous) => {
    if (paused) return;
    const plan = planServerChange(previous, next);
    if (plan !== 'none') log.info('applying settings', { plan });
    if (plan === 'start') run('start', host.start(config()));
    else if (plan === 'stop') run('stop', host.stop());
    else if (plan === 'restart') run('restart', host.restart(config()));
  });

  return {
    async retry() {
      // While the data is being moved the server stays off; the move starts it again.
      if (paused) return;
      if (!settings.get().serverEnabled) settings.update({ serverEnabled: true });
      else await host.restart(config());
    },
    async pause() {
      paused = true;
      log.info('paused: the server stays stopped until resumed');
      await host.stop();
    },
    async resume() {
      paused = false;
      if (!settings.get().serverEnabled) return host.state();
      return host.start(config());
    },
    dispose: unsubscribe,
  };
}
