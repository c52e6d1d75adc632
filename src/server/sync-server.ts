/**
 * The sync server: `createSyncServer(config, deps)` → `{ listen, close, … }`. Hosts start it
 * through start-server.ts (folder checks and the folder's lock first); tests create it directly.
 */
import { createServer } from './util/node-http.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { mkdirSync } from 'node:fs';
import type { ServerConfig } from './config.ts';
import { ConfigError } from './config.ts';
import type { Clock } from './clock.ts';
import { systemClock } from './clock.ts';
import type { Logger } from './logger.ts';
import { createLogger } from './logger.ts';
import { createAuthenticator, loadEnvUsers } from './accounts/authenticator.ts';
import type { ThrottledLogin } from './accounts/authenticator.ts';
import { openAccountStore } from './accounts/account-store.ts';
import { openDeviceStore } from './accounts/device-store.ts';
import { createDeviceRecorder } from './accounts/device-recorder.ts';
import { UserState } from './user/user-state.ts';
import type { CollectionMaker } from './user/user-state.ts';
import { copyCollectionOfUser } from './user/collection-copy.ts';
import type { CollectionCopy } from './user/collection-copy.ts';
import { createRequestHandler } from './http/request-handler.ts';
import { trackForGracefulClose } from './http/graceful-close.ts';
import type { GracefulClose } from './http/graceful-close.ts';
import { createActivityRecorder, isSuccessfulSync } from './activity.ts';
import type { RequestObserver, RequestOutcome } from './activity.ts';
import { problemFromOutcome } from './problems.ts';
import type { ServerActivity, ServerProblem } from '../shared/server-process.ts';
import { createIdleCollector } from './util/idle-collector.ts';
import { checkRuntime } from './runtime-check.ts';
import { afterReply } from './util/after-reply.ts';
import { takeDailyBackup } from './backups/take-backup.ts';
import type { RestoreOutcome } from './backups/restore.ts';
import { listBackupFiles, localDay } from './backups/backup-files.ts';
import { computeStudyStats } from './stats/study-stats.ts';
import { createStudyStatsRecorder } from './stats/stats-file.ts';
import type { IdleCollector } from './util/idle-collector.ts';
import { lazyModule } from './util/lazy-module.ts';
import { releaseFreedCMemory } from './util/release-c-heap.ts';

const IDLE_CONNECTION_MS = 120_000;
/** The requests that are somebody's sync (not the landing page, not the health check). */
const SYNC_PATH = /^\/m?sync\//;
/**
 * Longest one request may take to arrive, body included. A body that trickles in (a byte now and
 * then, never idle long enough for IDLE_CONNECTION_MS) would otherwise hold its connection, and
 * for an upload its temp file, forever. An hour lets the largest upload (300 MiB decoded, rarely
 * more than half that compressed) arrive over a slow phone connection of about 1 Mbit/s.
 */
const REQUEST_TIMEOUT_MS = 60 * 60_000;
/** How long the server must have been idle after a sync before the garbage collection (util/idle-collector.ts). */
const IDLE_COLLECT_MS = 100;
/**
 * How long the server must have been idle after any sync before SQLite's caches are given back
 * (UserState.releaseMemory): long enough that the requests of one sync, and the media sync that
 * follows a collection sync, find the pages they share still in memory.
 */
const IDLE_RELEASE_MS = 2_000;
/**
 * How long the server must have been idle after any sync before V8's spare pages are given back
 * (`shrinkHeapWhenIdle`): the end of a burst of syncs, not a pause inside one. The collection that
 * does it costs ~40 ms, and run after every 2 s lull (20 devices answering cards leave many) it
 * raised their peak: 123 and 135 MB in two runs, against 113 and 114 without it (bench/memory).
 * V8's own memory reducer waits about as long.
 */
const IDLE_HEAP_SHRINK_MS = 10_000;

/**
 * The requests after which a device's normal sync is over (successfully or not): the moments the
 * idle collection follows (util/idle-collector.ts). Not full syncs and media syncs: they move
 * files through streams, SQLite and buffers outside V8's heap and leave little garbage in it,
 * while a forced collection sets V8's next limit close to what is alive, so the sync after it
 * collects sooner by itself. Measured with --trace-gc: a 5,000-file media upload that followed a
 * full download had two or three major collections of 5-10 ms when the download had been
 * collected after, none when it had not (docs/lab-notes/2026-11-22-harness-and-gc-after-normal-syncs.md).
 */
function endsANormalSync(outcome: RequestOutcome): boolean {
  if (outcome.kind !== 'sync' || outcome.method === 'hostKey') return false;
  return ['finish', 'abort'].includes(outcome.method) || (outcome.status >= 400 && !['upload', 'download'].includes(outcome.method));
}

export interface SyncServerDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Told about each person's requests too (after the server's own activity record, src/server/activity.ts). */
  readonly observer?: RequestObserver;
  /** Told about each finished request a person should hear about (problems.ts): the window's recent problems. */
  readonly onProblem?: (problem: ServerProblem) => void;
  /**
   * Warm the normal-sync codecs (sync/warm-up.ts) as part of loading the sync engine, before the
   * first sync request is answered, so that no normal sync is slowed by JIT compilation. Not at
   * start: the engine and the compiler's code would then stay in memory for hours before anyone
   * syncs (sync-engine.ts). Nor beside a sync: run in the background after the first request or
   * when the server was idle, it slowed the full upload or download it met (measured ~10 %), and
   * a later one left the first normal sync ~40 ms slower. The first request after a start waits
   * ~0.1–0.2 s instead, once. On for the app's server process; off by default for tests, which
   * start hundreds of servers.
   */
  readonly warmUp?: boolean;
  /**
   * Collect garbage right after each normal sync once idle (util/idle-collector.ts), given V8's full
   * collection (`fullGarbageCollection()`); off (undefined) by default, like warmUp.
   */
  readonly collectWhenIdle?: () => void;
  /**
   * Give V8's spare pages back once the server has been idle IDLE_HEAP_SHRINK_MS after any sync,
   * given `heapShrinkingCollection()` (util/idle-collector.ts); off (undefined) by default, like
   * warmUp.
   */
  readonly shrinkHeapWhenIdle?: () => void;
  /** IDLE_HEAP_SHRINK_MS unless a test shortens it. */
  readonly heapShrinkDelayMs?: number;
  /** Longest one request may take to arrive (default REQUEST_TIMEOUT_MS; tests shorten it). */
  readonly requestTimeoutMs?: number;
}

export interface SyncServer {
  /** Starts listening; resolves with the bound address (port 0 → a free port). */
  listen(): Promise<{ host: string; port: number }>;
  /** Stops accepting, lets requests in flight finish, then closes every collection. */
  close(): Promise<void>;
  /** Usernames that can sync right now. */
  usernames(): string[];
  /** People with a sync in progress (a request in flight or one that ended moments ago). */
  syncingUsers(): string[];
  /** Logins refused for now after too many failures: who, from where, until when. */
  throttledLogins(): ThrottledLogin[];
  /** Lets that address try that username (null: any name) again now. */
  allowLoginAgain(address: string, username: string | null): void;
  /** Who is syncing, who synced when, who is refused: what the tray and the window show. */
  activity(): ServerActivity;
  /** Called whenever activity() may have changed; returns the unsubscribe function. */
  onActivityChange(listener: () => void): () => void;
  /**
   * A copy of the person's collection file to take away (user/collection-copy.ts): made between
   * two syncs, never during one; the caller removes the file when done with it.
   */
  copyCollection(username: string): Promise<CollectionCopy>;
  /**
   * People or devices were removed or signed out (by the window, or another process): their
   * syncs in progress are rolled back and a removed person's files closed, now rather than at the
   * next request. Resolves when done.
   */
  credentialsChanged(): Promise<void>;
  /**
   * Puts one of the person's backups back (backups/restore.ts): refused while they sync. Every
   * device of theirs must then do a full sync and take the server's copy.
   */
  restoreBackup(username: string, backupId: string): Promise<RestoreOutcome>;
}

export async function createSyncServer(config: ServerConfig, deps: SyncServerDeps = {}): Promise<SyncServer> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger();
  // Before anything is written: a server that cannot read a collection must not start.
  checkRuntime();
  mkdirSync(config.base, { recursive: true });
  const envUsers = await loadEnvUsers(config.envUsers, config.passwordsHashed);
  const store = openAccountStore(config.base);
  for (const account of store.list()) {
    if (envUsers.some((u) => u.username === account.username)) {
      logger.warn('account also defined in SYNC_USERn; the environment variable wins', { user: account.username });
    }
  }
  const devices = openDeviceStore(config.base, clock.nowMs(), (aside, why) =>
    logger.warn('the device list was damaged and was put aside; devices with keys of their own must log in again', { aside, why }),
  );
  const auth = await createAuthenticator(envUsers, store, devices, { clock });

  /** The sync engine (sync-engine.ts): imported by the first request that needs it, not at start. */
  const engine = lazyModule(async () => {
    const started = performance.now();
    const loaded = await import('./sync-engine.ts');
    if (deps.warmUp) {
      await loaded.warmUpSyncCodecs(clock).catch((err: unknown) => {
        logger.warn('warm-up failed (syncs work, the first one is only slower)', { why: err instanceof Error ? err.message : String(err) });
      });
    }
    logger.debug('sync engine loaded', { ms: (performance.now() - started).toFixed(0), warmedUp: deps.warmUp ?? false });
    return loaded;
  });
  // Every path that can reach a collection (a sync, a copy, a restore) has loaded the engine first.
  const makeCollection: CollectionMaker = (path, at) => {
    const loaded = engine.loaded();
    if (!loaded) throw new Error('a collection was to be created before the sync engine was loaded');
    loaded.createCollection(path, at);
  };

  const users = new Map<string, UserState>();
  const userState = (username: string): UserState => {
    let state = users.get(username);
    if (state && !state.folderIsCurrent()) {
      // The person's folder was deleted (removed with their data) or replaced: start afresh.
      const stale = state;
      users.delete(username);
      void stale.lock.run(() => stale.close());
      logger.info('a person’s folder changed on disk; reopening it', { user: username });
      state = undefined;
    }
    if (!state) {
      state = new UserState(config.base, username, clock, makeCollection);
      state.prepareFolder();
      users.set(username, state);
    }
    return state;
  };
  // Like the reference, every known user's folder, media/ and media.db exist from the start.
  for (const name of auth.usernames()) userState(name);

  /**
   * Rolls back the syncs of devices no longer signed in and closes the files of people no longer
   * there. Run when a host says so, and before a request when the account file or the device
   * list changed since the last run (the command line changes them from another process).
   */
  let credentialsSeen = '';
  const credentialsVersion = (): string => `${store.generation()}:${devices.dataVersion()}`;
  const revalidate = async (): Promise<void> => {
    credentialsSeen = credentialsVersion();
    const people = new Set(auth.usernames());
    await Promise.all(
      [...users].map(async ([name, state]) => {
        if (!people.has(name)) {
          users.delete(name);
          await state.lock.run(() => state.close());
          logger.info('a removed person’s files were closed', { user: name });
          return;
        }
        const session = state.session;
        if (session && !auth.isSignedIn({ username: name, device: session.device })) {
          await state.lock.run(() => {
            // Still the same device's sync once the lock is ours: roll it back.
            if (state.session && !auth.isSignedIn({ username: name, device: state.session.device })) {
              state.abortSession();
              logger.info('a signed-out device’s sync was rolled back', { user: name });
            }
          });
        }
      }),
    );
  };
  const revalidateIfChanged = async (): Promise<void> => {
    if (credentialsVersion() !== credentialsSeen) await revalidate();
  };
  credentialsSeen = credentialsVersion();
  const deviceRecorder = createDeviceRecorder(devices, logger);

  /**
   * One backup a day per person, after the first sync that changed something (a `finish` or an
   * `upload`), taken after the reply under the person's lock (backups/take-backup.ts).
   */
  const backedUpOn = new Map<string, string>();
  const dailyBackupAfter = (username: string): void => {
    const state = users.get(username);
    const today = localDay(clock.nowMs());
    if (!state || backedUpOn.get(username) === today) return;
    afterReply(
      state.lock,
      () => {
        const outcome = takeDailyBackup(state, clock.nowMs());
        if ('taken' in outcome) {
          backedUpOn.set(username, today);
          logger.info('daily backup taken', { user: username, file: outcome.taken });
        } else if (outcome.skipped === 'already-today') {
          backedUpOn.set(username, today);
        } else if (outcome.skipped === 'low-space') {
          backedUpOn.set(username, today);
          logger.warn('daily backup skipped: the disk is nearly full', { user: username, free: outcome.freeBytes });
          deps.onProblem?.({
            at: clock.nowMs(),
            kind: 'backup-skipped',
            user: username,
            method: 'backup',
            status: 0,
            detail: String(outcome.freeBytes),
          });
        }
      },
      (why) => logger.warn('daily backup failed', { user: username, why }),
    );
  };

  /**
   * Each person's study figures (stats/study-stats.ts), worked out again after each sync that
   * changed their collection, at the same moment as the daily backup: after the reply, under
   * their lock, with no sync of theirs open; saved to `.hearth/stats.json` for the hosts.
   */
  const studyStats = createStudyStatsRecorder({ base: config.base, logger });
  let closing = false;
  const studyStatsAfter = (username: string): void => {
    const state = users.get(username);
    if (!state) return;
    afterReply(
      state.lock,
      () => {
        // A sync begun meanwhile has its own finish; a closing server opens no collection again.
        if (state.session !== undefined || closing) return;
        const started = performance.now();
        studyStats.record(
          username,
          state.withCollectionAsFound((col) => computeStudyStats(col, clock.nowMs(), studyStats.get(username))),
        );
        logger.debug('study figures worked out', { user: username, ms: (performance.now() - started).toFixed(1) });
      },
      (why) => logger.warn('study figures not worked out', { user: username, why }),
    );
  };

  /** The listening server's graceful close; undefined until it listens and once it is closing. */
  let listening: GracefulClose | undefined;
  // The address the device used to reach us is the one it should sync with. A Host header that
  // is not a plain host[:port] is ignored rather than echoed.
  const publicUrl = (req: IncomingMessage): string => {
    const host = req.headers.host;
    const port = (req.socket.localPort ?? config.port).toString();
    return host && /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host)
      ? `http://${host}/`
      : `http://localhost:${port}/`;
  };
  const activity = createActivityRecorder({ base: config.base, clock, logger });
  /** A normal sync is open between its requests (someone else's): idle work waits for another quiet moment. */
  const aSyncIsOpen = (): boolean => [...users.values()].some((u) => u.session !== undefined);
  const collect = deps.collectWhenIdle;
  const collector: IdleCollector | undefined = collect
    ? createIdleCollector({
        delayMs: IDLE_COLLECT_MS,
        busy: aSyncIsOpen,
        collect: () => {
          const started = performance.now();
          collect();
          logger.debug('garbage collected after a sync', { ms: (performance.now() - started).toFixed(1) });
        },
      })
    : undefined;
  const trimCHeap = (): boolean => {
    try {
      return releaseFreedCMemory();
    } catch (err) {
      logger.warn('freed memory could not be given back', { why: err instanceof Error ? err.message : String(err) });
      return false;
    }
  };
  // Whatever kind of sync ended: a full sync fills a collection's page cache most of all.
  const releaser = createIdleCollector({
    delayMs: IDLE_RELEASE_MS,
    busy: aSyncIsOpen,
    collect: () => {
      for (const state of users.values()) state.releaseMemory();
      logger.debug('SQLite memory given back after a sync', { trimmed: trimCHeap() });
    },
  });
  const shrinkHeap = deps.shrinkHeapWhenIdle;
  const heapShrinker: IdleCollector | undefined = shrinkHeap
    ? createIdleCollector({
        delayMs: deps.heapShrinkDelayMs ?? IDLE_HEAP_SHRINK_MS,
        busy: aSyncIsOpen,
        collect: () => {
          const started = performance.now();
          shrinkHeap();
          // What V8 freed (its compilers' zones among it) goes back with the rest.
          const trimmed = trimCHeap();
          logger.debug("V8's spare pages given back after a sync", { trimmed, ms: (performance.now() - started).toFixed(1) });
        },
      })
    : undefined;
  /** Every idle job waits for the requests in flight; which sync ends arm which job differs (below). */
  const idleJobs = [collector, releaser, heapShrinker].filter((job) => job !== undefined);
  const afterAnySync = [releaser, heapShrinker].filter((job) => job !== undefined);

  const outer = deps.observer;
  const observer: RequestObserver = {
    authenticated(user) {
      activity.authenticated(user);
      outer?.authenticated(user);
    },
    finished(outcome) {
      activity.finished(outcome);
      deviceRecorder.finished(outcome, clock.nowMs());
      outer?.finished(outcome);
      if (deps.onProblem) {
        const problem = problemFromOutcome(outcome, clock.nowMs());
        if (problem) deps.onProblem(problem);
      }
      // Who is refused may have changed: the window lists them.
      if (outcome.status === 429 || outcome.status === 403) activity.changed();
      if (endsANormalSync(outcome)) collector?.syncEnded();
      // Any sync or media request but a login: media has no method of that name.
      if (outcome.method !== 'hostKey') for (const job of afterAnySync) job.syncEnded();
      // A refused upload is answered 200 too: only a collection that changed is backed up.
      if (
        outcome.user !== undefined &&
        isSuccessfulSync(outcome) &&
        outcome.kind === 'sync' &&
        ['finish', 'upload'].includes(outcome.method)
      ) {
        dailyBackupAfter(outcome.user);
        studyStatsAfter(outcome.user);
      }
    },
  };
  const handle = createRequestHandler({
    config,
    auth,
    clock,
    logger,
    userState,
    publicUrl,
    observer,
    handlers: async () => (await engine.load()).METHOD_HANDLERS,
  });
  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (SYNC_PATH.test(req.url ?? '')) {
      try {
        await revalidateIfChanged();
      } catch (err) {
        logger.error('checking for signed-out devices failed', { why: err instanceof Error ? err.message : String(err) });
      }
    }
    return handle(req, res);
  };

  return {
    usernames: () => auth.usernames(),
    syncingUsers: () => activity.syncingUsers(),
    throttledLogins: () => auth.throttled(),
    allowLoginAgain(address, username) {
      auth.allowAgain(address, username);
      activity.changed();
    },
    activity: () => activity.snapshot(auth.throttled()),
    onActivityChange: (listener) => activity.onChange(listener),
    async copyCollection(username) {
      if (!auth.usernames().includes(username)) return { ok: false, reason: 'unknown-person' };
      const quiet = (): boolean => !activity.syncingUsers().includes(username);
      // A person who never synced has no collection yet: the copy makes an empty one.
      await engine.load();
      return copyCollectionOfUser(userState(username), { clock, logger, quiet });
    },
    credentialsChanged: revalidate,
    async restoreBackup(username, backupId) {
      if (!auth.usernames().includes(username)) return { ok: false, problem: `There is no person called “${username}”.` };
      const state = userState(username);
      if (!listBackupFiles(state.paths.backups).some((b) => b.id === backupId)) {
        return { ok: false, problem: `${username} has no such backup (it may have been removed by the keep rule); nothing was changed.` };
      }
      // A sync is several requests: between two of them no session may be open, and yet it runs.
      if (activity.syncingUsers().includes(username)) {
        return {
          ok: false,
          problem: `${username} is syncing right now. Try again in a minute, when the sync has finished; nothing was changed.`,
        };
      }
      const { restoreBackup } = await engine.load();
      const outcome = await state.lock.run(() => restoreBackup(state, backupId, clock));
      if (outcome.ok) {
        logger.info('backup restored', { user: username, backup: backupId });
        studyStatsAfter(username);
      }
      return outcome;
    },
    listen() {
      return new Promise((resolve, reject) => {
        const requestTimeout = deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
        // headersTimeout must not exceed requestTimeout (Node checks both with one timer).
        const headersTimeout = Math.min(60_000, requestTimeout);
        // Node checks both limits on a timer (30 s by default), often enough for an hour.
        const connectionsCheckingInterval = Math.min(30_000, Math.max(100, requestTimeout / 4));
        const s = createServer({ requestTimeout, headersTimeout, connectionsCheckingInterval, keepAliveTimeout: 65_000 }, (req, res) => {
          // Sync and media requests count as activity until their response closes (finished, or the client went away).
          if (SYNC_PATH.test(req.url ?? '')) res.once('close', activity.requestStarted());
          for (const job of idleJobs) job.requestStarted();
          void handler(req, res).finally(() => {
            for (const job of idleJobs) job.requestEnded();
          });
        });
        // A connection on which nothing moves for 2 minutes is dead (a phone that left the Wi-Fi
        // mid-download): close it, so the person's lock, held while a download streams, is freed.
        // Clients give up after 30-60 s of silence themselves (docs/protocol/http.md §4).
        s.setTimeout(IDLE_CONNECTION_MS);
        // A request whose head is over 16 KiB: the reply goes out whole, and what the client still
        // sends is read and dropped until it closes, so closing does not reset the connection
        // under its reply. Anything else Node refuses (garbage, a request past its time) ends the
        // connection at once, as Node does by itself, so a request in flight is aborted.
        s.on('clientError', (err: NodeJS.ErrnoException, socket) => {
          if (!socket.writable) return void socket.destroy();
          if (err.code === 'HPE_HEADER_OVERFLOW') {
            socket.end('HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
            socket.resume();
            setTimeout(() => socket.destroy(), 2_000).unref();
            return;
          }
          // As Node's own handler: a reply only when nothing was written yet, then the end.
          const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
          if ((socket as Socket).bytesWritten === 0) socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
          socket.destroy(err);
        });
        const graceful = trackForGracefulClose(s);
        s.once('error', (err: NodeJS.ErrnoException) => {
          if (err.code === 'EADDRINUSE') reject(new ConfigError(`Port ${config.port} is already in use by another program.`));
          else if (err.code === 'EACCES') reject(new ConfigError(`Not allowed to listen on port ${config.port}.`));
          else reject(err);
        });
        s.listen(config.port, config.host, () => {
          listening = graceful;
          const addr = s.address() as AddressInfo;
          logger.info('listening', { host: addr.address, port: addr.port, base: config.base });
          resolve({ host: addr.address, port: addr.port });
        });
      });
    },
    async close() {
      closing = true;
      for (const job of idleJobs) job.close();
      const s = listening;
      listening = undefined;
      // Waits for requests in flight, not for connections that carry none (http/graceful-close.ts).
      await s?.close();
      for (const state of users.values()) {
        await state.lock.run(() => state.close());
      }
      users.clear();
      await activity.flush();
      await studyStats.flush();
      devices.close();
    },
  };
}
