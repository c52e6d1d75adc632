/**
 * The ServerRunner of the headless host: the sync server in this very process, started the same
 * way the app's server process starts it (startSyncServer: folder, lock, listen). One start or
 * stop at a time, in call order; a failed start leaves the state `crashed` with the reason (no
 * automatic retry: whatever runs the headless server, a person or a service manager, decides).
 */
import { configForStart, listenerSet, Mutex, startSyncServer, StartFailure, systemClock } from '../server/index.ts';
import type { Clock, EnvUserEntry, Logger, RunningServer, ServerProcessDeps } from '../server/index.ts';
import type { HearthError } from '../shared/errors.ts';
import type { ServerProblem, ServerStartConfig } from '../shared/server-process.ts';
import { IDLE_ACTIVITY } from '../shared/server-process.ts';
import { isSyncing } from '../shared/server-state.ts';
import type { ServerState } from '../shared/server-state.ts';
import { IDLE_WAIT_TIMEOUT_MS } from './server-runner.ts';
import type { ServerRunner } from './server-runner.ts';

/** Activity changes are batched so a burst of requests is one state change. */
const ACTIVITY_DEBOUNCE_MS = 200;

export interface InProcessRunnerDeps {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** SYNC_USERn and PASSWORDS_HASHED of the official server; the app has none (its people are Hearth accounts). */
  readonly envUsers: readonly EnvUserEntry[];
  readonly passwordsHashed: boolean;
  /** Passed to the server (warm-up, idle collection, heap shrinking). */
  readonly server?: ServerProcessDeps;
  /** Longest restart() waits for a sync to finish; IDLE_WAIT_TIMEOUT_MS unless a test shortens it. */
  readonly idleWaitMs?: number;
}

export function createInProcessRunner(deps: InProcessRunnerDeps): ServerRunner {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child('runner');
  const changes = listenerSet<[ServerState]>(log, 'a state listener');
  const problems = listenerSet<[ServerProblem]>(log, 'a problem listener');
  const queue = new Mutex();

  let state: ServerState = { kind: 'stopped' };
  let running: RunningServer | undefined;
  let unsubscribe = (): void => {};
  let activityTimer: NodeJS.Timeout | undefined;

  const setState = (next: ServerState): void => {
    if (next.kind !== state.kind) log.info('state', { from: state.kind, to: next.kind });
    state = next;
    changes.emit(current());
  };
  /** The state, with the running server's activity as it is now. */
  const current = (): ServerState => (state.kind === 'running' && running ? { ...state, activity: running.server.activity() } : state);

  const launch = async (config: ServerStartConfig): Promise<ServerState> => {
    setState({ kind: 'starting', attempt: 1 });
    try {
      running = await startSyncServer(configForStart(config, deps), config.createFolder, {
        logger: deps.logger,
        clock,
        ...deps.server,
        onProblem: (problem) => problems.emit(problem),
      });
      unsubscribe = running.server.onActivityChange(() => {
        if (activityTimer) return;
        activityTimer = setTimeout(() => {
          activityTimer = undefined;
          if (state.kind === 'running') setState(state);
        }, ACTIVITY_DEBOUNCE_MS);
        activityTimer.unref();
      });
      log.info('sync server running', { host: running.host, port: running.port, folder: config.storageFolder });
      setState({ kind: 'running', host: running.host, port: running.port, activity: IDLE_ACTIVITY });
    } catch (err) {
      const failure = err instanceof StartFailure ? err : new StartFailure('internal', String(err));
      const error: HearthError = { code: failure.code, detail: failure.message };
      log.error('the sync server could not start', { code: error.code, detail: error.detail });
      setState({ kind: 'crashed', error, retryAt: null });
    }
    return current();
  };

  const halt = async (): Promise<void> => {
    const r = running;
    running = undefined;
    unsubscribe();
    clearTimeout(activityTimer);
    activityTimer = undefined;
    if (r) {
      setState({ kind: 'stopping', activity: r.server.activity() });
      try {
        await r.stop();
      } catch (err) {
        log.error('error while stopping', { why: err instanceof Error ? err.message : String(err) });
      }
    }
    if (state.kind !== 'stopped') setState({ kind: 'stopped' });
  };

  const whenIdle = async (): Promise<void> => {
    const deadline = clock.nowMs() + (deps.idleWaitMs ?? IDLE_WAIT_TIMEOUT_MS);
    if (isSyncing(current())) log.info('waiting for a sync to finish before restarting');
    while (isSyncing(current()) && clock.nowMs() < deadline) await new Promise((r) => setTimeout(r, 250));
  };

  return {
    state: current,
    onChange: (listener) => changes.add(listener),
    onProblem: (listener) => problems.add(listener),
    start: (config) => queue.run(() => (state.kind === 'running' ? Promise.resolve(current()) : launch(config))),
    stop: () => queue.run(halt),
    async restart(config) {
      await whenIdle();
      return queue.run(async () => {
        await halt();
        return launch(config);
      });
    },
    copyCollection: (username) => running?.server.copyCollection(username) ?? Promise.resolve('not-running' as const),
    allowLogin(address, username) {
      if (!running) return false;
      running.server.allowLoginAgain(address, username);
      log.info('a refused address may try again', { address, user: username ?? '(any)' });
      return true;
    },
    credentialsChanged: () => running?.server.credentialsChanged() ?? Promise.resolve(),
    async restoreBackup(username, backupId) {
      if (!running) return 'not-running';
      const outcome = await running.server.restoreBackup(username, backupId);
      return outcome.ok ? { ok: true } : outcome;
    },
  };
}
