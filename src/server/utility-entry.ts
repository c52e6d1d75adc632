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
 * It starts the server the way every host does (start-server.ts: folder, lock, listen; each
 * problem a typed failure the window and the tray explain), passes the server's activity and
 * problems on, and on `stop` closes it: every request in flight finishes first (so a sync is
 * never cut mid-write), then the collections close and the lock is released.
 */
import { parseMainToServer } from '../shared/server-process.ts';
import type { CollectionCopy, MainToServer, ServerStartConfig, ServerToMain } from '../shared/server-process.ts';
import { runInBackgroundPriority } from './util/background-priority.ts';
import { keepYoungGenerationSmall } from './util/small-young-generation.ts';
import { createLogger } from './logger.ts';
import { configForStart, startSyncServer, StartFailure } from './start-server.ts';
import type { RunningServer } from './start-server.ts';
import { serverProcessDeps } from './server-process-deps.ts';
import { Mutex } from './util/mutex.ts';

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

async function main(): Promise<void> {
  const channel = parentChannel();
  if (!channel) {
    process.stderr.write(
      'This is Hearth’s server process; the app starts it. To run the server by itself use: npm run serve (or bash scripts/serve.sh)\n',
    );
    process.exitCode = 2;
    return;
  }
  const logger = createLogger((line) => process.stdout.write(line + '\n'));
  const log = logger.child('process');
  keepYoungGenerationSmall();
  if (!runInBackgroundPriority()) log.info('running at normal priority (the system did not allow lowering it)');

  let running: RunningServer | undefined;
  let lastSent = '';
  let statusTimer: NodeJS.Timeout | undefined;
  let phase: 'waiting' | 'starting' | 'running' | 'stopping' = 'waiting';

  const sendStatusSoon = (): void => {
    if (statusTimer || phase !== 'running') return;
    statusTimer = setTimeout(() => {
      statusTimer = undefined;
      if (!running) return;
      const activity = running.server.activity();
      const text = JSON.stringify(activity);
      if (text === lastSent) return;
      lastSent = text;
      void channel.post({ type: 'status', activity });
    }, STATUS_DEBOUNCE_MS);
  };

  const exit = (code: number): void => {
    // Let the last log lines and the message leave before the process ends.
    setImmediate(() => process.exit(code));
  };

  const start = async (config: ServerStartConfig): Promise<void> => {
    phase = 'starting';
    try {
      running = await startSyncServer(configForStart(config), config.createFolder, {
        logger,
        ...serverProcessDeps(),
        onProblem: (problem) => {
          if (phase === 'running') void channel.post({ type: 'problem', problem });
        },
      });
      running.server.onActivityChange(sendStatusSoon);
      phase = 'running';
      log.info('ready', { host: running.host, port: running.port, people: running.server.usernames().length });
      await channel.post({ type: 'ready', host: running.host, port: running.port });
    } catch (err) {
      const failure = err instanceof StartFailure ? err : new StartFailure('internal', String(err));
      if (failure.code === 'internal') {
        const cause = failure.cause instanceof Error ? failure.cause : failure;
        log.error('cannot start', { why: cause.stack ?? cause.message });
      } else log.warn('cannot start', { code: failure.code, why: failure.message });
      await channel.post({ type: 'failed', code: failure.code, detail: failure.message });
      exit(1);
    }
  };

  const stop = async (why: string): Promise<void> => {
    if (phase === 'stopping') return;
    phase = 'stopping';
    log.info('stopping', { why });
    clearTimeout(statusTimer);
    try {
      await running?.stop();
    } catch (err) {
      log.error('error while stopping', { why: err instanceof Error ? err.message : String(err) });
    }
    running = undefined;
    await channel.post({ type: 'stopped' });
    exit(0);
  };

  const copyCollection = async (id: number, username: string): Promise<void> => {
    let copy: CollectionCopy = { ok: false, reason: 'in-use' };
    try {
      if (running) copy = await running.server.copyCollection(username);
    } catch (err) {
      log.error('copying a collection failed', { user: username, why: err instanceof Error ? err.message : String(err) });
      copy = { ok: false, reason: 'failed' };
    }
    await channel.post({ type: 'collection-copied', id, copy });
  };

  // One message at a time: a `stop` that arrives while starting runs once the start is done.
  const queue = new Mutex();
  const handle = async (message: Exclude<MainToServer, { type: 'copy-collection' }>): Promise<void> => {
    if (message.type === 'start') {
      if (phase !== 'waiting') log.warn('ignored a second start');
      else await start(message.config);
    } else if (message.type === 'allow-login') {
      running?.server.allowLoginAgain(message.address, message.username);
      log.info('a refused address may try again', { address: message.address, user: message.username ?? '(any)' });
    } else if (message.type === 'restore-backup') {
      const outcome = running
        ? await running.server.restoreBackup(message.username, message.backupId).catch((err: unknown) => ({
            ok: false as const,
            problem: `The backup could not be restored: ${err instanceof Error ? err.message : String(err)}`,
          }))
        : { ok: false as const, problem: 'The sync server is not running.' };
      await channel.post({ type: 'backup-restored', id: message.id, ok: outcome.ok, problem: outcome.ok ? '' : outcome.problem });
    } else if (message.type === 'check-credentials') {
      try {
        await running?.server.credentialsChanged();
      } finally {
        await channel.post({ type: 'credentials-checked' });
      }
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
    // A copy may wait minutes for a person's sync to finish: it runs beside the queue, not in it.
    if (message.type === 'copy-collection') return void copyCollection(message.id, message.username);
    void queue.run(() => handle(message));
  });
  // Without a parent (it crashed) nobody would stop this server, and it would hold the port.
  channel.onDisconnect(() => void queue.run(() => stop('the app went away')));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void queue.run(() => stop(signal)));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`Hearth server process failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
