/**
 * Who synced when, with which app: `<base>/.hearth/activity.json`, kept by the server and read by
 * the desktop app and the headless admin (the people list shows "last sync 5 minutes ago from
 * AnkiDroid"). It lives in the data folder, so it survives restarts and moves with the data.
 *
 * The request handler tells the recorder when a person's request is authenticated and when it
 * finished (RequestOutcome). A successful `meta`, `finish`, `upload`, `download` or media request
 * is a sync; `c` of the anki-sync header is kept as sent (src/shared/client-names.ts turns it
 * into words when shown). Writes are atomic and throttled: one a few seconds after a burst
 * (a sync is many requests), and one at close.
 *
 * It also answers "who is syncing right now" (a request in flight, or one that ended moments
 * ago, since a sync is several requests), so the app can refuse to remove that person or to
 * move the data folder mid-sync, and it is the one source of the activity the hosts show
 * (ServerActivity: the tray's "syncing", the window's "last synced"), with a change signal.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerActivity, ThrottledLoginInfo } from '../shared/server-process.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';
import { writeFileAtomicallyAsync } from './util/atomic-file.ts';
import { listenerSet } from './util/listeners.ts';

/** A sync is several requests; this long after the last one ends, the person's sync counts as finished. */
export const SYNC_QUIET_MS = 5_000;
/** Longest a recorded sync waits before it is written to activity.json. */
export const ACTIVITY_WRITE_DELAY_MS = 2_000;
const MAX_CLIENT_LENGTH = 100;

export interface UserActivityRecord {
  /** ISO time of the last successful sync request. */
  readonly lastSyncAt: string;
  /** The `c` field of that request's anki-sync header, as sent (shortened). */
  readonly client: string;
}

export type ActivityRecords = Readonly<Record<string, UserActivityRecord>>;

interface ActivityFile {
  readonly version: 1;
  readonly users: ActivityRecords;
}

/** What the request handler reports about each sync or media request. */
export interface RequestOutcome {
  /** `sync` (collection) or `media`; hostKey (login) is a sync method without a user. */
  readonly kind: 'sync' | 'media';
  /** The wire method name (`meta`, `upload`, `begin`, …), or the path when it was not routable. */
  readonly method: string;
  /** Set once the host key was accepted. */
  readonly user: string | undefined;
  /** hostKey only: the username the device tried, accepted or not (never the password). */
  readonly triedUser?: string;
  /** Which of the person's devices (accounts/device-store.ts), and its network address; with user. */
  readonly device?: string;
  readonly address?: string;
  /** The anki-sync header's `c`, when the header was read. */
  readonly client: string | undefined;
  readonly status: number;
  /** An upload the server refused: the reply the client shows (status is 200). */
  readonly refused?: string;
  /** The short internal reason of an error status (for the log and the app's "recent problems"). */
  readonly why?: string;
}

/** Told about requests by the request handler; see createActivityRecorder. */
export interface RequestObserver {
  authenticated(user: string): void;
  finished(outcome: RequestOutcome): void;
}

const SYNC_METHODS_THAT_COUNT = new Set(['meta', 'finish', 'upload', 'download']);

/** Whether this outcome means the person's device just synced successfully. */
export function isSuccessfulSync(outcome: RequestOutcome): boolean {
  if (outcome.user === undefined || outcome.status !== 200 || outcome.refused !== undefined) return false;
  return outcome.kind === 'media' || SYNC_METHODS_THAT_COUNT.has(outcome.method);
}

export function activityFilePath(base: string): string {
  return join(base, '.hearth', 'activity.json');
}

/** Reads activity.json; a missing or damaged file reads as "nobody synced yet" (it is only a record). */
export function readActivity(base: string): ActivityRecords {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(activityFilePath(base), 'utf8'));
  } catch {
    return {};
  }
  const users = (data as { version?: unknown; users?: unknown } | null)?.users;
  if ((data as { version?: unknown }).version !== 1 || typeof users !== 'object' || users === null || Array.isArray(users)) return {};
  const out: Record<string, UserActivityRecord> = {};
  for (const [name, value] of Object.entries(users as Record<string, unknown>)) {
    const v = value as Partial<UserActivityRecord> | null;
    if (typeof v?.lastSyncAt === 'string' && !Number.isNaN(Date.parse(v.lastSyncAt)) && typeof v.client === 'string') {
      out[name] = { lastSyncAt: v.lastSyncAt, client: v.client };
    }
  }
  return out;
}

export interface ActivityRecorderDeps {
  readonly base: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Test hook for the throttle; production uses ACTIVITY_WRITE_DELAY_MS. */
  readonly writeDelayMs?: number;
}

export interface ActivityRecorder extends RequestObserver {
  /** A sync or media request arrived; the returned function is called once when it ends. */
  requestStarted(): () => void;
  /** People with a request in flight, or whose last request ended less than SYNC_QUIET_MS ago. */
  syncingUsers(): string[];
  records(): ActivityRecords;
  /** The activity as the hosts show it; `throttled` comes from the authenticator. */
  snapshot(throttled: readonly ThrottledLoginInfo[]): ServerActivity;
  /** Something snapshot() shows may have changed (a request started or ended, a sync went quiet, …). */
  onChange(listener: () => void): () => void;
  /** Tells the listeners about a change the recorder does not see itself (who is refused changed). */
  changed(): void;
  /** Writes pending records now (after a write in progress), and stops the quiet timer. */
  flush(): Promise<void>;
}

export function createActivityRecorder(deps: ActivityRecorderDeps): ActivityRecorder {
  const log = deps.logger.child('activity');
  const path = activityFilePath(deps.base);
  const records: Record<string, UserActivityRecord> = { ...readActivity(deps.base) };
  const inFlight = new Map<string, number>();
  const lastEnded = new Map<string, number>();
  let dirty = false;
  let timer: NodeJS.Timeout | undefined;
  let activeRequests = 0;
  let lastRequestEndedAt = Number.NEGATIVE_INFINITY;
  let quietTimer: NodeJS.Timeout | undefined;
  const listeners = listenerSet<[]>(log, 'an activity listener');
  const changed = (): void => listeners.emit();

  let writing: Promise<void> | undefined;

  /** Saves the records on the thread pool; one write at a time, the latest records win. */
  const write = (): Promise<void> => {
    clearTimeout(timer);
    timer = undefined;
    if (writing) return writing.then(write);
    if (!dirty) return Promise.resolve();
    dirty = false;
    const text = JSON.stringify({ version: 1, users: records } satisfies ActivityFile, null, 2) + '\n';
    writing = (async () => {
      try {
        await mkdir(join(deps.base, '.hearth'), { recursive: true });
        await writeFileAtomicallyAsync(path, text);
      } catch (err) {
        // Only a record of who synced: the sync itself succeeded, so this is logged, not thrown.
        log.warn('cannot save activity.json', { why: err instanceof Error ? err.message : String(err) });
      } finally {
        writing = undefined;
      }
    })();
    return writing;
  };

  const syncingUsers = (): string[] => {
    const now = deps.clock.nowMs();
    const names = new Set(inFlight.keys());
    for (const [user, at] of lastEnded) {
      if (now - at < SYNC_QUIET_MS) names.add(user);
      else lastEnded.delete(user);
    }
    return [...names].sort();
  };

  return {
    requestStarted() {
      activeRequests++;
      changed();
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        activeRequests--;
        lastRequestEndedAt = deps.clock.nowMs();
        changed();
        // Once the sync has been quiet long enough it is over: say so then too.
        clearTimeout(quietTimer);
        quietTimer = setTimeout(changed, SYNC_QUIET_MS + 50);
        quietTimer.unref();
      };
    },
    authenticated(user) {
      inFlight.set(user, (inFlight.get(user) ?? 0) + 1);
      changed();
    },
    finished(outcome) {
      const user = outcome.user;
      if (user === undefined) return;
      const n = (inFlight.get(user) ?? 1) - 1;
      if (n > 0) inFlight.set(user, n);
      else inFlight.delete(user);
      lastEnded.set(user, deps.clock.nowMs());
      if (!isSuccessfulSync(outcome)) return;
      records[user] = {
        lastSyncAt: new Date(deps.clock.nowMs()).toISOString(),
        client: (outcome.client ?? '').slice(0, MAX_CLIENT_LENGTH),
      };
      dirty = true;
      if (!timer) {
        timer = setTimeout(() => void write(), deps.writeDelayMs ?? ACTIVITY_WRITE_DELAY_MS);
        timer.unref();
      }
    },
    syncingUsers,
    records: () => ({ ...records }),
    snapshot(throttled) {
      const syncing = syncingUsers();
      return {
        // A person's request still being handled after its client went away counts too.
        syncing: activeRequests > 0 || deps.clock.nowMs() - lastRequestEndedAt < SYNC_QUIET_MS || syncing.length > 0,
        activeRequests,
        users: Object.entries(records)
          .map(([username, r]) => ({ username, lastSyncAt: Date.parse(r.lastSyncAt) }))
          .sort((a, b) => b.lastSyncAt - a.lastSyncAt),
        syncingUsers: syncing,
        throttled,
      };
    },
    onChange: (listener) => listeners.add(listener),
    changed,
    flush() {
      clearTimeout(quietTimer);
      return write();
    },
  };
}
