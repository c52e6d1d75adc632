/**
 * The app's ServerRunner (src/host/server-runner.ts): the supervisor of the server process
 * (src/server/utility-entry.ts), after rancher-desktop's backend supervisor: explicit states (src/shared/server-state.ts), one operation at a time,
 * readiness as a message raced against a named timeout, restarts with exponential backoff only
 * when the process that exited is the current one, and typed errors for the tray and window.
 *
 * Effects are passed in: `fork` creates the process (Electron's utilityProcess in the app, a
 * fake or Node's child_process in tests, see fork.ts), `timers` is the clock, `logger` logs.
 */
import { IDLE_ACTIVITY, parseServerToMain } from '../shared/server-process.ts';
import type { MainToServer, ServerProblem, ServerStartConfig, ServerToMain } from '../shared/server-process.ts';
import { retriesAutomatically } from '../shared/errors.ts';
import type { HearthError } from '../shared/errors.ts';
import { isSyncing } from '../shared/server-state.ts';
import type { ServerState } from '../shared/server-state.ts';
import { listenerSet, Mutex } from '../server/index.ts';
import type { Logger } from '../server/index.ts';
import { IDLE_WAIT_TIMEOUT_MS } from '../host/server-runner.ts';
import type { ServerRunner } from '../host/server-runner.ts';

/** The server process as the supervisor sees it; fork.ts adapts utilityProcess and child_process to it. */
export interface ServerChild {
  readonly pid: number | undefined;
  send(message: MainToServer): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once; code is null when the process was killed by a signal. */
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

export type ForkServer = () => ServerChild;

export interface Timers {
  now(): number;
  /** Runs `callback` after `ms`; returns a function that cancels it. */
  after(ms: number, callback: () => void): () => void;
}

export const systemTimers: Timers = {
  now: () => Date.now(),
  after(ms, callback) {
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  },
};

/** Longest the process may take from `start` to `ready` (opening the account store, binding the port). */
export const READY_TIMEOUT_MS = 30_000;
/**
 * Longest a graceful stop may take. It waits for requests in flight, and a full upload of a
 * large collection over slow Wi-Fi can take minutes; only then is the process killed.
 */
export const STOP_TIMEOUT_MS = 5 * 60_000;
/** Longest the process may take to exit after `stopped`, `failed` or a kill. */
export const EXIT_TIMEOUT_MS = 5_000;
/**
 * Longest the server process may take to answer copy-collection: it waits up to 5 minutes for a
 * sync of the person to finish (COPY_WAIT_MS in src/server/user/collection-copy.ts), then copies.
 */
export const COPY_ANSWER_TIMEOUT_MS = 7 * 60_000;
/** A process that ran this long before crashing starts the backoff from the beginning again. */
export const STABLE_RUN_MS = 60_000;

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly factor: number;
  readonly maxMs: number;
  /** Restarts tried after consecutive failures; then the supervisor waits for the person ("Try again"). */
  readonly maxAttempts: number;
}

export const RESTART_BACKOFF: BackoffPolicy = { initialMs: 1_000, factor: 2, maxMs: 60_000, maxAttempts: 8 };

/** Delay before retry number `failures` (1 = after the first failure): 1 s, 2 s, 4 s, … capped. */
export function backoffDelay(failures: number, policy: BackoffPolicy = RESTART_BACKOFF): number {
  return Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, failures - 1));
}

export interface ServerHostDeps {
  readonly fork: ForkServer;
  readonly logger: Logger;
  readonly timers?: Timers;
  readonly backoff?: BackoffPolicy;
}

type RunEvent = { readonly kind: 'message'; readonly message: ServerToMain } | { readonly kind: 'exit'; readonly code: number | null };

interface Run {
  readonly id: number;
  readonly child: ServerChild;
  exitCode: number | null | undefined;
  readyAt: number | null;
  readonly waiters: Set<(event: RunEvent) => void>;
}

const TIMED_OUT = Symbol('timed out');
/**
 * Longest the window waits for the server to roll back a signed-out device's sync. It waits for
 * the person's request in flight, which a slow full download can make long; the device is
 * refused from its next request either way.
 */
export const CREDENTIALS_TIMEOUT_MS = 10_000;
/** Longest a restore may take in the server process: it waits for the person's request in flight, then copies and checks a collection. */
const RESTORE_TIMEOUT_MS = 120_000;

/** Stands in for a process that could not be created. */
const deadChild: ServerChild = { pid: undefined, send: () => {}, onMessage: () => {}, onExit: () => {}, kill: () => {} };

/** The app's ServerRunner; stop() waits for the server's `stopped`, then for the exit. */
export function createServerHost(deps: ServerHostDeps): ServerRunner {
  const { fork, logger } = deps;
  const timers = deps.timers ?? systemTimers;
  const backoff = deps.backoff ?? RESTART_BACKOFF;
  const log = logger.child('server-host');

  let state: ServerState = { kind: 'stopped' };
  let current: Run | undefined;
  let nextRunId = 1;
  let nextRequestId = 1;
  let failures = 0;
  let nextCopyId = 1;
  let lastConfig: ServerStartConfig | undefined;
  let cancelRetry: (() => void) | undefined;
  const listeners = listenerSet<[ServerState]>(log, 'a state listener');
  const problems = listenerSet<[ServerProblem]>(log, 'a problem listener');

  const setState = (next: ServerState): void => {
    if (next.kind !== state.kind)
      log.info('state', { from: state.kind, to: next.kind, ...(next.kind === 'crashed' ? { code: next.error.code } : {}) });
    state = next;
    listeners.emit(state);
  };

  // One operation at a time, in call order; a failed one does not block the next.
  const queue = new Mutex();
  const serial = <T>(op: () => Promise<T>): Promise<T> => queue.run(op);

  /** Resolves with the first event matching `wanted`, or TIMED_OUT after `ms`. Register before acting. */
  const waitFor = (run: Run, wanted: (event: RunEvent) => boolean, ms: number): Promise<RunEvent | typeof TIMED_OUT> => {
    if (run.exitCode !== undefined && wanted({ kind: 'exit', code: run.exitCode })) {
      return Promise.resolve({ kind: 'exit', code: run.exitCode });
    }
    return new Promise((resolve) => {
      const waiter = (event: RunEvent): void => {
        if (!wanted(event)) return;
        cancel();
        run.waiters.delete(waiter);
        resolve(event);
      };
      const cancel = timers.after(ms, () => {
        run.waiters.delete(waiter);
        resolve(TIMED_OUT);
      });
      run.waiters.add(waiter);
    });
  };

  const deliver = (run: Run, event: RunEvent): void => {
    for (const waiter of [...run.waiters]) waiter(event);
  };

  const isExit = (e: RunEvent): boolean => e.kind === 'exit';

  /** Kills the process and waits (bounded) for it to go. */
  const kill = async (run: Run): Promise<void> => {
    if (run.exitCode !== undefined) return;
    const exited = waitFor(run, isExit, EXIT_TIMEOUT_MS);
    run.child.kill();
    if ((await exited) === TIMED_OUT) log.error('the server process did not exit after kill', { pid: run.child.pid, ms: EXIT_TIMEOUT_MS });
  };

  const spawn = (): Run => {
    const run: Run = { id: nextRunId++, child: fork(), exitCode: undefined, readyAt: null, waiters: new Set() };
    run.child.onMessage((raw) => {
      const message = parseServerToMain(raw);
      if (!message) {
        log.warn('ignored a message that is not part of the protocol', { run: run.id });
        return;
      }
      if (run !== current) return; // an old process saying goodbye
      if (message.type === 'status' && (state.kind === 'running' || state.kind === 'stopping')) {
        setState({ ...state, activity: message.activity });
      }
      if (message.type === 'problem') problems.emit(message.problem);
      deliver(run, { kind: 'message', message });
    });
    run.child.onExit((code) => {
      run.exitCode = code;
      deliver(run, { kind: 'exit', code });
      if (run !== current) {
        log.info('an earlier server process exited; nothing to do', { run: run.id, code });
        return;
      }
      // Exits while starting or stopping are handled by the operation waiting for them.
      if (state.kind === 'running') crash(run, { code: 'server-crashed', detail: `exited with code ${code}` });
    });
    log.info('server process created', { run: run.id, pid: run.child.pid });
    return run;
  };

  const crash = (run: Run, error: HearthError): ServerState => {
    if (run === current) current = undefined;
    if (run.readyAt !== null && timers.now() - run.readyAt >= STABLE_RUN_MS) failures = 0;
    failures++;
    const retry = lastConfig !== undefined && retriesAutomatically(error.code) && failures <= backoff.maxAttempts;
    const delay = backoffDelay(failures, backoff);
    log.error('server failed', { code: error.code, detail: error.detail, failures, retryInMs: retry ? delay : null });
    cancelRetry?.();
    cancelRetry = undefined;
    if (retry) {
      const config = lastConfig!;
      cancelRetry = timers.after(delay, () => {
        cancelRetry = undefined;
        void serial(() => launch(config));
      });
    }
    setState({ kind: 'crashed', error, retryAt: retry ? timers.now() + delay : null });
    return state;
  };

  const launch = async (config: ServerStartConfig): Promise<ServerState> => {
    cancelRetry?.();
    cancelRetry = undefined;
    lastConfig = config;
    let run: Run;
    try {
      run = spawn();
    } catch (err) {
      // No process at all (e.g. the entry file is missing from a broken install).
      const placeholder: Run = { id: nextRunId++, child: deadChild, exitCode: null, readyAt: null, waiters: new Set() };
      return crash(placeholder, {
        code: 'internal',
        detail: `cannot create the server process: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
    current = run;
    setState({ kind: 'starting', attempt: failures + 1 });
    const outcome = waitFor(run, (e) => e.kind === 'exit' || e.message.type === 'ready' || e.message.type === 'failed', READY_TIMEOUT_MS);
    run.child.send({ type: 'start', config });
    const event = await outcome;
    if (event === TIMED_OUT) {
      await kill(run);
      return crash(run, { code: 'server-start-timeout', detail: `no ready message within ${READY_TIMEOUT_MS} ms (READY_TIMEOUT_MS)` });
    }
    if (event.kind === 'exit') return crash(run, { code: 'server-crashed', detail: `exited with code ${event.code} while starting` });
    if (event.message.type === 'failed') {
      // The process exits by itself after `failed`.
      if ((await waitFor(run, isExit, EXIT_TIMEOUT_MS)) === TIMED_OUT) await kill(run);
      return crash(run, { code: event.message.code, detail: event.message.detail });
    }
    if (event.message.type !== 'ready') throw new Error('unreachable');
    run.readyAt = timers.now();
    setState({ kind: 'running', host: event.message.host, port: event.message.port, activity: IDLE_ACTIVITY });
    return state;
  };

  const stopNow = async (): Promise<void> => {
    cancelRetry?.();
    cancelRetry = undefined;
    const run = current;
    if (!run || run.exitCode !== undefined) {
      current = undefined;
      failures = 0;
      if (state.kind !== 'stopped') setState({ kind: 'stopped' });
      return;
    }
    setState({ kind: 'stopping', activity: state.kind === 'running' ? state.activity : IDLE_ACTIVITY });
    const done = waitFor(run, (e) => e.kind === 'exit' || e.message.type === 'stopped', STOP_TIMEOUT_MS);
    run.child.send({ type: 'stop' });
    const event = await done;
    if (event === TIMED_OUT) {
      log.error('the server did not stop in time; killing it', { ms: STOP_TIMEOUT_MS });
      await kill(run);
    } else if (event.kind === 'message') {
      if ((await waitFor(run, isExit, EXIT_TIMEOUT_MS)) === TIMED_OUT) {
        log.warn('the server stopped but did not exit; killing it', { ms: EXIT_TIMEOUT_MS });
        await kill(run);
      }
    } else if (event.code !== 0) {
      log.warn('the server exited while stopping', { code: event.code });
    }
    if (current === run) current = undefined;
    failures = 0;
    setState({ kind: 'stopped' });
  };

  const whenIdle = (ms: number): Promise<void> => {
    if (!isSyncing(state)) return Promise.resolve();
    log.info('waiting for a sync to finish before restarting', { maxMs: ms });
    return new Promise((resolve) => {
      const finish = (): void => {
        cancel();
        unsubscribe();
        resolve();
      };
      const unsubscribe = listeners.add((s) => {
        if (!isSyncing(s)) finish();
      });
      const cancel = timers.after(ms, finish);
    });
  };

  return {
    state: () => state,
    onChange: (listener) => listeners.add(listener),
    onProblem: (listener) => problems.add(listener),
    start: (config) =>
      serial(async () => {
        if (state.kind === 'running' || state.kind === 'starting') return state;
        failures = 0;
        return launch(config);
      }),
    stop: () => serial(stopNow),
    allowLogin(address, username) {
      if (state.kind !== 'running' || !current) return false;
      current.child.send({ type: 'allow-login', address, username });
      return true;
    },
    async restoreBackup(username, backupId) {
      const run = current;
      if (state.kind !== 'running' || !run) return 'not-running';
      const id = nextRequestId++;
      const answered = waitFor(
        run,
        (e) => e.kind === 'exit' || (e.message.type === 'backup-restored' && e.message.id === id),
        RESTORE_TIMEOUT_MS,
      );
      run.child.send({ type: 'restore-backup', id, username, backupId });
      const event = await answered;
      if (event === TIMED_OUT)
        return {
          ok: false,
          problem: 'The sync server did not answer in time; the backup may not have been restored. Look at the backups again in a minute.',
        };
      if (event.kind === 'exit')
        return {
          ok: false,
          problem: 'The sync server stopped while restoring; nothing was changed if the backup is not listed as restored.',
        };
      const m = event.message;
      return m.type === 'backup-restored' && m.ok
        ? { ok: true }
        : { ok: false, problem: m.type === 'backup-restored' ? m.problem : 'Unexpected answer.' };
    },
    async credentialsChanged() {
      const run = current;
      if (state.kind !== 'running' || !run) return;
      const checked = waitFor(run, (e) => e.kind === 'exit' || e.message.type === 'credentials-checked', CREDENTIALS_TIMEOUT_MS);
      run.child.send({ type: 'check-credentials' });
      if ((await checked) === TIMED_OUT) log.warn('the server did not confirm signed-out devices in time', { ms: CREDENTIALS_TIMEOUT_MS });
    },
    async copyCollection(username) {
      const run = current;
      if (state.kind !== 'running' || !run) return 'not-running';
      const id = nextCopyId++;
      const answered = waitFor(
        run,
        (e) => e.kind === 'exit' || (e.message.type === 'collection-copied' && e.message.id === id),
        COPY_ANSWER_TIMEOUT_MS,
      );
      run.child.send({ type: 'copy-collection', id, username });
      const event = await answered;
      if (event !== TIMED_OUT && event.kind === 'message' && event.message.type === 'collection-copied') return event.message.copy;
      log.warn('the server process did not answer a collection copy', { why: event === TIMED_OUT ? 'timed out' : 'it exited' });
      return { ok: false, reason: 'failed' };
    },
    async restart(config) {
      await whenIdle(IDLE_WAIT_TIMEOUT_MS);
      return serial(async () => {
        await stopNow();
        return launch(config);
      });
    },
  };
}
