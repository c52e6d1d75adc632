/**
 * The server process. The desktop app starts this file with Electron's `utilityProcess.fork`;
 * tests and headless tools may start it with Node's `child_process.fork`. Either way the
 * conversation is the one in src/shared/server-process.ts: `start{config}` in, `ready` or
 * `failed{code}` out, `status` while running, `stop` in, `stopped` out, exit 0.
 *
 * This is the only file that touches `process.parentPort` (Electron's channel to the main
 * process); without it, `process.send` / `process.on('message')` are used. Logs go to stdout;
 * the main process writes them to the log file.
 *
 * Before listening it checks, in order: the folder exists (or may be created), it is writable,
 * no other Hearth serves it (src/server/server-lock.ts). Each problem is a typed failure the
 * window and the tray explain. `stop` closes the listening socket, lets every request in flight
 * finish (so a sync is never cut mid-write), closes the collections, then releases the lock.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { parseMainToServer } from '../shared/server-process.ts';
import type { MainToServer, ServerActivity, ServerStartConfig, ServerToMain } from '../shared/server-process.ts';
import type { ServerFailureCode } from '../shared/errors.ts';
import { ConfigError } from './config.ts';
import { createSyncServer, IncompleteInstallError } from './index.ts';
import { runInBackgroundPriority } from './util/background-priority.ts';
import type { SyncServer } from './index.ts';
import { createLogger } from './logger.ts';
import type { LogFields, Logger } from './logger.ts';
import { acquireServerLock } from './server-lock.ts';
import { problemFromOutcome } from './problems.ts';
import { SYNC_QUIET_MS } from './activity.ts';
import type { RequestObserver } from './activity.ts';
import { fullGarbageCollection } from './util/idle-collector.ts';
import type { ServerLock } from './server-lock.ts';

/** Activity changes are batched so a burst of requests sends one status message. */
const STATUS_DEBOUNCE_MS = 200;

/** Electron's `process.parentPort` (typed here: the server must not import Electron). */
interface ParentPortLike {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
}

interface ParentChannel {
  post(message: ServerToMain): Promise<void>;
  onMessage(listener: (message: unknown) => void): void;
  onDisconnect(listener: () => void): void;
}

function parentChannel(): ParentChannel | undefined {
  const port = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
  if (port) {
    return {
      post: async (message) => port.postMessage(message),
      onMessage: (listener) => port.on('message', (event) => listener(event.data)),
      // Electron ends a utility process together with its parent.
      onDisconnect: () => {},
    };
  }
  if (process.send) {
    const send = process.send.bind(process);
    return {
      post: (message) =>
        new Promise((resolve) => {
          if (!process.connected) return resolve();
          send(message, undefined, {}, () => resolve());
        }),
      onMessage: (listener) => process.on('message', listener),
      onDisconnect: (listener) => process.once('disconnect', listener),
    };
  }
  return undefined;
}

class StartFailure extends Error {
  readonly code: ServerFailureCode;
  constructor(code: ServerFailureCode, detail: string) {
    super(detail);
    this.name = 'StartFailure';
    this.code = code;
  }
}

const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Exists (or is created when allowed), is a folder, and a file can be written in it. */
function prepareFolder(folder: string, create: boolean): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(folder).isDirectory();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') {
      if (!create) throw new StartFailure('folder-missing', `${folder} does not exist`);
      try {
        mkdirSync(folder, { recursive: true });
      } catch (mkErr) {
        if (NOT_WRITABLE.has(errnoCode(mkErr) ?? '')) throw new StartFailure('folder-not-writable', `cannot create ${folder}`);
        throw mkErr;
      }
      isDirectory = true;
    } else if (NOT_WRITABLE.has(errnoCode(err) ?? '')) {
      throw new StartFailure('folder-not-writable', `cannot open ${folder}`);
    } else {
      throw err;
    }
  }
  if (!isDirectory) throw new StartFailure('folder-missing', `${folder} is a file, not a folder`);
  // A real write, not access(W_OK): Windows ACLs and read-only mounts make access() answer wrongly.
  const probe = join(folder, `.hearth-write-test-${process.pid}`);
  try {
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (err) {
    if (NOT_WRITABLE.has(errnoCode(err) ?? '')) throw new StartFailure('folder-not-writable', `cannot write in ${folder}`);
    throw err;
  }
}

/** After a failed listen: is the port taken? (The server reports EADDRINUSE as a ConfigError sentence.) */
function portIsTaken(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE'));
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
}

/**
 * Which requests are in flight (Node's own http diagnostics channel, so the server library needs
 * no hook) and who synced when (the `user` field of the server's per-request log line). A stop
 * that waits for them is the server library's close() (src/server/http/graceful-close.ts).
 */
function createActivityTracker(onChange: () => void) {
  let active = 0;
  let lastEndedAt = Number.NEGATIVE_INFINITY;
  const lastSync = new Map<string, number>();
  let quietTimer: NodeJS.Timeout | undefined;

  const onRequest = (message: unknown): void => {
    const { request, response } = message as { request: IncomingMessage; response: ServerResponse };
    const counted = /^\/m?sync\//.test(request.url ?? '');
    if (!counted) return;
    active++;
    onChange();
    // 'close' fires whether the response finished or the client went away.
    response.once('close', () => {
      active--;
      lastEndedAt = Date.now();
      onChange();
      clearTimeout(quietTimer);
      quietTimer = setTimeout(onChange, SYNC_QUIET_MS + 50);
      quietTimer.unref();
    });
  };

  return {
    start: () => subscribe('http.server.request.start', onRequest),
    stop: () => {
      unsubscribe('http.server.request.start', onRequest);
      clearTimeout(quietTimer);
    },
    userSynced(username: string): void {
      lastSync.set(username, Date.now());
      onChange();
    },
    /** Something the status shows changed (e.g. a person's request was authenticated). */
    changed: onChange,
    snapshot(): ServerActivity {
      return {
        syncing: active > 0 || Date.now() - lastEndedAt < SYNC_QUIET_MS,
        activeRequests: active,
        users: [...lastSync].sort((a, b) => b[1] - a[1]).map(([username, lastSyncAt]) => ({ username, lastSyncAt })),
      };
    },
  };
}

type Tracker = ReturnType<typeof createActivityTracker>;

/** Passes every line on, and tells the tracker when a person's request succeeded. */
function trackingLogger(inner: Logger, tracker: Pick<Tracker, 'userSynced'>): Logger {
  const seen = (fields?: LogFields): void => {
    if (typeof fields?.user === 'string' && fields.status === 200) tracker.userSynced(fields.user);
  };
  return {
    debug: (m, f) => inner.debug(m, f),
    info: (m, f) => (seen(f), inner.info(m, f)),
    warn: (m, f) => (seen(f), inner.warn(m, f)),
    error: (m, f) => inner.error(m, f),
    child: (prefix) => trackingLogger(inner.child(prefix), tracker),
  };
}

async function main(): Promise<void> {
  const channel = parentChannel();
  if (!channel) {
    process.stderr.write(
      'This is Hearth’s server process; the app starts it. To run the server by itself use: npm run serve (or bash scripts/serve.sh)\n',
    );
    process.exitCode = 2;
    return;
  }
  const baseLogger = createLogger((line) => process.stdout.write(line + '\n'));
  const log = baseLogger.child('process');
  if (!runInBackgroundPriority()) log.info('running at normal priority (the system did not allow lowering it)');

  let server: SyncServer | undefined;
  let lock: ServerLock | undefined;
  let lastSent = '';
  let statusTimer: NodeJS.Timeout | undefined;
  let phase: 'waiting' | 'starting' | 'running' | 'stopping' = 'waiting';

  const tracker = createActivityTracker(() => {
    if (statusTimer || phase !== 'running') return;
    statusTimer = setTimeout(() => {
      statusTimer = undefined;
      const activity: ServerActivity = {
        ...tracker.snapshot(),
        syncingUsers: server?.syncingUsers() ?? [],
        throttled: server?.throttledLogins() ?? [],
      };
      const text = JSON.stringify(activity);
      if (text === lastSent) return;
      lastSent = text;
      void channel.post({ type: 'status', activity });
    }, STATUS_DEBOUNCE_MS);
  });
  const logger = trackingLogger(baseLogger, tracker);
  // Who is syncing (for the status) and what went wrong (for the window's recent problems).
  const observer: RequestObserver = {
    authenticated: () => tracker.changed(),
    finished(outcome) {
      const problem = problemFromOutcome(outcome, Date.now());
      if (problem && phase === 'running') void channel.post({ type: 'problem', problem });
      // Who is refused changed: the window lists them.
      if (outcome.status === 429 || outcome.status === 403) tracker.changed();
    },
  };

  const exit = (code: number): void => {
    // Let the last log lines and the message leave before the process ends.
    setImmediate(() => process.exit(code));
  };

  const start = async (config: ServerStartConfig): Promise<void> => {
    phase = 'starting';
    try {
      prepareFolder(config.storageFolder, config.createFolder);
      let result;
      try {
        result = acquireServerLock(config.storageFolder);
      } catch (err) {
        if (NOT_WRITABLE.has(errnoCode(err) ?? ''))
          throw new StartFailure('folder-not-writable', `cannot write the lock in ${config.storageFolder}`);
        throw err;
      }
      if (!result.ok) {
        const who = result.owner ? `process ${result.owner.pid} on ${result.owner.hostname}` : 'another process';
        throw new StartFailure('folder-in-use', `${result.path} is held by ${who}`);
      }
      lock = result.lock;
      tracker.start();
      server = await createSyncServer(
        {
          base: config.storageFolder,
          host: config.host,
          port: config.port,
          maxPayloadMegs: config.maxPayloadMegs,
          // The app's people are Hearth's own accounts (<base>/.hearth/accounts.json).
          envUsers: [],
          passwordsHashed: false,
        },
        { logger, observer, warmUp: true, collectWhenIdle: fullGarbageCollection() },
      );
      let address;
      try {
        address = await server.listen();
      } catch (err) {
        if (err instanceof ConfigError && (await portIsTaken(config.host, config.port))) {
          throw new StartFailure('port-in-use', `port ${config.port} on ${config.host}`);
        }
        throw err;
      }
      phase = 'running';
      log.info('ready', { host: address.host, port: address.port, people: server.usernames().length });
      await channel.post({ type: 'ready', host: address.host, port: address.port });
    } catch (err) {
      const failure =
        err instanceof StartFailure
          ? err
          : err instanceof IncompleteInstallError
            ? new StartFailure('incomplete-install', err.message)
            : new StartFailure('internal', err instanceof Error ? err.message : String(err));
      if (failure.code === 'internal') log.error('cannot start', { why: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      else log.warn('cannot start', { code: failure.code, why: failure.message });
      await shutDown();
      await channel.post({ type: 'failed', code: failure.code, detail: failure.message });
      exit(1);
    }
  };

  /** Closes what is open; the server's close() waits for requests in flight. */
  const shutDown = async (): Promise<void> => {
    clearTimeout(statusTimer);
    const s = server;
    server = undefined;
    if (s) await s.close();
    tracker.stop();
    lock?.release();
    lock = undefined;
  };

  const stop = async (why: string): Promise<void> => {
    if (phase === 'stopping') return;
    phase = 'stopping';
    log.info('stopping', { why });
    try {
      await shutDown();
    } catch (err) {
      log.error('error while stopping', { why: err instanceof Error ? err.message : String(err) });
    }
    await channel.post({ type: 'stopped' });
    exit(0);
  };

  // One message at a time: a `stop` that arrives while starting runs once the start is done.
  let queue = Promise.resolve();
  const handle = async (message: MainToServer): Promise<void> => {
    if (message.type === 'start') {
      if (phase !== 'waiting') log.warn('ignored a second start');
      else await start(message.config);
    } else if (message.type === 'allow-login') {
      server?.allowLoginAgain(message.address, message.username);
      log.info('a refused address may try again', { address: message.address, user: message.username ?? '(any)' });
      tracker.changed();
    } else {
      await stop('asked by the app');
    }
  };
  channel.onMessage((raw) => {
    const message = parseMainToServer(raw);
    if (!message) {
      log.warn('ignored a message that is not part of the protocol');
      return;
    }
    queue = queue.then(() => handle(message));
  });
  // Without a parent (it crashed) nobody would stop this server, and it would hold the port.
  channel.onDisconnect(() => {
    queue = queue.then(() => stop('the app went away'));
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      queue = queue.then(() => stop(signal));
    });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`Hearth server process failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
