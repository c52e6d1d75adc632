/**
 * Keeps the sync server in line with the settings, in the app and the headless host alike: on at
 * launch when enabled, off when the person switches it off, and restarted when the port, folder
 * or network scope changes — only after the running server has stopped gracefully, and after a
 * sync in progress has finished (ServerRunner.restart waits for that), so a change in the window
 * never breaks a sync. planServerChange is the one rule for which changes need a restart.
 */
import { DEFAULT_MAX_PAYLOAD_MEGS } from '../server/index.ts';
import type { Logger } from '../server/index.ts';
import type { ServerStartConfig } from '../shared/server-process.ts';
import type { ServerState } from '../shared/server-state.ts';
import type { Settings } from '../shared/settings.ts';
import type { ServerRunner } from './server-runner.ts';
import type { SettingsStore } from './settings-store.ts';

/** Listen on every interface for the home network, on loopback for "this PC only". */
export function listenHost(listen: Settings['listen']): string {
  return listen === 'lan' ? '0.0.0.0' : '127.0.0.1';
}

export interface StartConfigRules {
  /** The folder Hearth made itself and may make again; a folder the person chose must exist. */
  readonly defaultStorageFolder: string;
  /** The address to listen on for these settings (default: listenHost). */
  readonly listenAddress?: (settings: Settings) => string;
  /** MAX_SYNC_PAYLOAD_MEGS (default DEFAULT_MAX_PAYLOAD_MEGS). */
  readonly maxPayloadMegs?: number;
}

export function startConfigFor(settings: Settings, rules: StartConfigRules): ServerStartConfig {
  return {
    storageFolder: settings.storageFolder,
    // Hearth may create its own default folder; a folder the person chose must exist (an
    // unplugged drive must not be replaced by an empty folder at the same path).
    createFolder: settings.storageFolder === rules.defaultStorageFolder,
    host: (rules.listenAddress ?? ((s) => listenHost(s.listen)))(settings),
    port: settings.port,
    maxPayloadMegs: rules.maxPayloadMegs ?? DEFAULT_MAX_PAYLOAD_MEGS,
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
  readonly runner: ServerRunner;
  readonly startConfig: StartConfigRules;
  readonly logger: Logger;
}

export interface ServerControl {
  /** What the server is (or would be) started with under the current settings. */
  config(): ServerStartConfig;
  /** Starts the server when it is switched on (at launch); resolves with its state. */
  start(): Promise<ServerState>;
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
  const { settings, runner } = deps;
  const log = deps.logger.child('server-control');
  const config = (): ServerStartConfig => startConfigFor(settings.get(), deps.startConfig);

  const run = (what: string, op: Promise<unknown>): void => {
    op.catch((err: unknown) => log.error(`${what} failed`, { why: err instanceof Error ? err.message : String(err) }));
  };

  let paused = false;
  const unsubscribe = settings.onChange((next, previous) => {
    if (paused) return;
    const plan = planServerChange(previous, next);
    if (plan !== 'none') log.info('applying settings', { plan });
    if (plan === 'start') run('start', runner.start(config()));
    else if (plan === 'stop') run('stop', runner.stop());
    else if (plan === 'restart') run('restart', runner.restart(config()));
  });

  const resume = async (): Promise<ServerState> => {
    paused = false;
    if (!settings.get().serverEnabled) return runner.state();
    return runner.start(config());
  };

  return {
    config,
    start: resume,
    async retry() {
      // While the data is being moved the server stays off; the move starts it again.
      if (paused) return;
      if (!settings.get().serverEnabled) settings.update({ serverEnabled: true });
      else await runner.restart(config());
    },
    async pause() {
      paused = true;
      log.info('paused: the server stays stopped until resumed');
      await runner.stop();
    },
    resume,
    dispose: unsubscribe,
  };
}
