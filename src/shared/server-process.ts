/**
 * The messages between the main process and the server process (src/server/utility-entry.ts).
 *
 *   main → server   start{config}            once, right after the process is created
 *                   allow-login{address, username}  lets a refused address try again now
 *                   copy-collection{id, username}   a consistent copy of a person's collection, to take away
 *                   check-credentials        people or devices were removed or signed out
 *                   restore-backup{id, username, backupId}  put a person's backup back
 *                   stop                     close gracefully
 *   server → main   ready{host, port}        listening; the sync URL can be shown
 *                   failed{code, detail}     could not start; the process then exits 1
 *                   status{activity}         whenever syncing starts or ends, or a person synced
 *                   problem{problem}         a sync went wrong (the window's "recent problems")
 *                   collection-copied{id, copy}  the answer to copy-collection `id`: the copy's file, or why none
 *                   credentials-checked      their syncs are rolled back, removed people's files closed
 *                   backup-restored{id, ok, problem}  the answer to restore-backup `id`
 *                   stopped                  every request in flight has finished; exits 0 next
 *
 * Both sides validate what they receive with the parse functions below: a message crosses a
 * process boundary, so it is `unknown` until checked.
 */
import { isServerFailureCode } from './errors.ts';
import type { ServerFailureCode } from './errors.ts';

export interface ServerStartConfig {
  /** The data folder (`SYNC_BASE`): each person's data is in `<storageFolder>/<username>/`. */
  readonly storageFolder: string;
  /** Create the folder when it does not exist (true for the default folder, false for one the person chose). */
  readonly createFolder: boolean;
  /** An IP address: 0.0.0.0 for the whole home network, 127.0.0.1 for this PC only. */
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** MAX_SYNC_PAYLOAD_MEGS of the official server. */
  readonly maxPayloadMegs: number;
}

export interface UserActivity {
  readonly username: string;
  /** When this person's device last finished a sync request (ms since the epoch). */
  readonly lastSyncAt: number;
}

export interface ServerActivity {
  /** A sync request is in flight, or one finished moments ago (a sync is several requests). */
  readonly syncing: boolean;
  /** Sync and media requests being handled right now. */
  readonly activeRequests: number;
  /** People who synced since the server started, most recent first. */
  readonly users: readonly UserActivity[];
  /** People whose devices are syncing right now (absent from older server processes: none known). */
  readonly syncingUsers?: readonly string[];
  /** Logins refused for now after too many failures (absent: none). */
  readonly throttled?: readonly ThrottledLoginInfo[];
}

/** A login the server refuses for now: a username tried from an address (null: any name from it). */
export interface ThrottledLoginInfo {
  readonly username: string | null;
  readonly address: string;
  /** When it may try again (ms since the epoch). */
  readonly untilMs: number;
}

export const IDLE_ACTIVITY: ServerActivity = { syncing: false, activeRequests: 0, users: [] };

/** What went wrong in a sync, as data; src/host/recent-errors.ts turns it into a sentence. */
export const SERVER_PROBLEM_KINDS = [
  /** A login with a wrong username or password. */
  'login-failed',
  /** Too many failed logins: the server makes the device wait. */
  'login-throttled',
  /** A device's saved login is no longer valid (the password was changed, or the person removed). */
  'login-expired',
  /** A full upload the server refused (damaged, too large, unsupported format); `detail` is what the device shows. */
  'upload-refused',
  /** An Anki too old for any sync server of today (sync protocol before 8: Anki 2.0 and the like). */
  'client-too-old',
  /** Any other failed sync request; `status` says how. */
  'sync-failed',
  /** A person's daily backup was not taken: the disk is nearly full; `detail` is the free bytes. */
  'backup-skipped',
] as const;
export type ServerProblemKind = (typeof SERVER_PROBLEM_KINDS)[number];

export interface ServerProblem {
  /** ms since the epoch. */
  readonly at: number;
  readonly kind: ServerProblemKind;
  /** The person, when the request got that far. */
  readonly user: string | null;
  /** The wire method, e.g. `upload`. */
  readonly method: string;
  readonly status: number;
  /** For upload-refused: the reply the device showed. Never a password, host key or internal error text. */
  readonly detail: string;
  /** A login's problems (login-failed, login-throttled): the username the device tried, as typed. */
  readonly tried?: string;
}

export type MainToServer =
  | { readonly type: 'start'; readonly config: ServerStartConfig }
  | { readonly type: 'allow-login'; readonly address: string; readonly username: string | null }
  | { readonly type: 'copy-collection'; readonly id: number; readonly username: string }
  | { readonly type: 'check-credentials' }
  | { readonly type: 'restore-backup'; readonly id: number; readonly username: string; readonly backupId: string }
  | { readonly type: 'stop' };

export type ServerToMain =
  | { readonly type: 'ready'; readonly host: string; readonly port: number }
  | { readonly type: 'failed'; readonly code: ServerFailureCode; readonly detail: string }
  | { readonly type: 'status'; readonly activity: ServerActivity }
  | { readonly type: 'problem'; readonly problem: ServerProblem }
  | { readonly type: 'collection-copied'; readonly id: number; readonly copy: CollectionCopy }
  | { readonly type: 'credentials-checked' }
  | { readonly type: 'backup-restored'; readonly id: number; readonly ok: boolean; readonly problem: string }
  | { readonly type: 'stopped' };

/** Why a copy of a person's collection could not be made (src/server/user/collection-copy.ts says when). */
export const COLLECTION_COPY_REFUSALS = ['unknown-person', 'no-collection', 'syncing', 'in-use', 'failed'] as const;
export type CollectionCopyRefusal = (typeof COLLECTION_COPY_REFUSALS)[number];

/** A copy of a person's collection file, made between two syncs (the caller removes it when done), or why there is none. */
export type CollectionCopy = { readonly ok: true; readonly file: string } | { readonly ok: false; readonly reason: CollectionCopyRefusal };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPort = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65535;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function parseStartConfig(v: unknown): ServerStartConfig | undefined {
  if (!isObj(v)) return undefined;
  const { storageFolder, createFolder, host, port, maxPayloadMegs } = v;
  if (typeof storageFolder !== 'string' || storageFolder === '') return undefined;
  if (typeof createFolder !== 'boolean' || typeof host !== 'string' || host === '' || !isPort(port)) return undefined;
  if (!isCount(maxPayloadMegs) || maxPayloadMegs < 1) return undefined;
  return { storageFolder, createFolder, host, port, maxPayloadMegs };
}

function parseActivity(v: unknown): ServerActivity | undefined {
  if (!isObj(v) || typeof v.syncing !== 'boolean' || !isCount(v.activeRequests) || !Array.isArray(v.users)) return undefined;
  const users: UserActivity[] = [];
  for (const u of v.users as unknown[]) {
    if (!isObj(u) || typeof u.username !== 'string' || typeof u.lastSyncAt !== 'number') return undefined;
    users.push({ username: u.username, lastSyncAt: u.lastSyncAt });
  }
  const activity: { -readonly [K in keyof ServerActivity]: ServerActivity[K] } = {
    syncing: v.syncing,
    activeRequests: v.activeRequests,
    users,
  };
  if (v.syncingUsers !== undefined) {
    if (!Array.isArray(v.syncingUsers) || !(v.syncingUsers as unknown[]).every((n) => typeof n === 'string')) return undefined;
    activity.syncingUsers = v.syncingUsers as string[];
  }
  if (v.throttled !== undefined) {
    const throttled = parseThrottled(v.throttled);
    if (!throttled) return undefined;
    activity.throttled = throttled;
  }
  return activity;
}

function parseThrottled(v: unknown): ThrottledLoginInfo[] | undefined {
  if (!Array.isArray(v) || v.length > 1000) return undefined;
  const out: ThrottledLoginInfo[] = [];
  for (const t of v as unknown[]) {
    if (
      !isObj(t) ||
      (t.username !== null && typeof t.username !== 'string') ||
      typeof t.address !== 'string' ||
      typeof t.untilMs !== 'number'
    ) {
      return undefined;
    }
    out.push({ username: t.username, address: t.address, untilMs: t.untilMs });
  }
  return out;
}

/** A tried username longer than this is not one Hearth sent (it keeps 100 characters). */
const MAX_TRIED_LENGTH = 200;

function parseProblem(v: unknown): ServerProblem | undefined {
  if (!isObj(v)) return undefined;
  const { at, kind, user, method, status, detail, tried } = v;
  if (typeof at !== 'number' || !Number.isFinite(at) || !(SERVER_PROBLEM_KINDS as readonly unknown[]).includes(kind)) return undefined;
  if ((user !== null && typeof user !== 'string') || typeof method !== 'string' || !isCount(status) || typeof detail !== 'string') {
    return undefined;
  }
  if (tried !== undefined && (typeof tried !== 'string' || tried.length > MAX_TRIED_LENGTH)) return undefined;
  return { at, kind: kind as ServerProblemKind, user, method, status, detail, ...(tried !== undefined ? { tried } : {}) };
}

function parseCollectionCopy(v: unknown): CollectionCopy | undefined {
  if (!isObj(v)) return undefined;
  if (v.ok === true) return typeof v.file === 'string' && v.file !== '' ? { ok: true, file: v.file } : undefined;
  return v.ok === false && (COLLECTION_COPY_REFUSALS as readonly unknown[]).includes(v.reason)
    ? { ok: false, reason: v.reason as CollectionCopyRefusal }
    : undefined;
}

/** What the server process accepts; anything else is ignored (and logged) by the caller. */
export function parseMainToServer(v: unknown): MainToServer | undefined {
  if (!isObj(v)) return undefined;
  if (v.type === 'stop') return { type: 'stop' };
  if (v.type === 'check-credentials') return { type: 'check-credentials' };
  if (v.type === 'restore-backup') {
    const { id, username, backupId } = v;
    if (!isCount(id) || typeof username !== 'string' || username.length > 200 || typeof backupId !== 'string' || backupId.length > 200) {
      return undefined;
    }
    return { type: 'restore-backup', id, username, backupId };
  }
  if (v.type === 'allow-login') {
    const { address, username } = v;
    if (typeof address !== 'string' || address === '' || address.length > 100) return undefined;
    if (username !== null && (typeof username !== 'string' || username.length > 200)) return undefined;
    return { type: 'allow-login', address, username };
  }
  if (v.type === 'copy-collection') {
    const { id, username } = v;
    return isCount(id) && typeof username === 'string' && username !== '' && username.length <= 200
      ? { type: 'copy-collection', id, username }
      : undefined;
  }
  if (v.type === 'start') {
    const config = parseStartConfig(v.config);
    return config ? { type: 'start', config } : undefined;
  }
  return undefined;
}

/** What the main process accepts from the server process. */
export function parseServerToMain(v: unknown): ServerToMain | undefined {
  if (!isObj(v)) return undefined;
  switch (v.type) {
    case 'ready':
      return typeof v.host === 'string' && isPort(v.port) ? { type: 'ready', host: v.host, port: v.port } : undefined;
    case 'failed':
      return isServerFailureCode(v.code) && typeof v.detail === 'string' ? { type: 'failed', code: v.code, detail: v.detail } : undefined;
    case 'status': {
      const activity = parseActivity(v.activity);
      return activity ? { type: 'status', activity } : undefined;
    }
    case 'problem': {
      const problem = parseProblem(v.problem);
      return problem ? { type: 'problem', problem } : undefined;
    }
    case 'collection-copied': {
      const copy = parseCollectionCopy(v.copy);
      return isCount(v.id) && copy ? { type: 'collection-copied', id: v.id, copy } : undefined;
    }
    case 'stopped':
      return { type: 'stopped' };
    case 'credentials-checked':
      return { type: 'credentials-checked' };
    case 'backup-restored':
      return isCount(v.id) && typeof v.ok === 'boolean' && typeof v.problem === 'string'
        ? { type: 'backup-restored', id: v.id, ok: v.ok, problem: v.problem }
        : undefined;
    default:
      return undefined;
  }
}
