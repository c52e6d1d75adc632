/**
 * The renderer ⇄ main API, declared once. Each entry is a method name → its argument checker
 * and (as types) its arguments and result. From this one object are derived:
 *
 *   - HearthApi      the object the window calls (`window.hearth.getStatus()`), always async;
 *   - ApiHandlers    what the main process must implement: a missing handler is a compile
 *                    error in src/main (registration takes all of them, see src/main/ipc.ts);
 *   - the preload bridge (src/preload/bridge.ts), which forwards exactly these methods;
 *   - the IPC channel names (`apiChannel`), never written out anywhere else.
 *
 * Arguments are checked at run time in the main process before a handler runs (a renderer is
 * not trusted). Only `invoke` is used: no `send`, no `sendSync`.
 *
 * To add a method: add an entry here; tsc then points at the one place to implement it: the
 * handlers (src/host/api-handlers.ts), which the app registers over IPC and the headless host serves
 * over loopback HTTP (src/shared/api-http.ts, src/headless/admin-server.ts).
 */
import type { ListenScope, Settings, SettingsPatch, Validated } from './settings.ts';
import type { ServerState } from './server-state.ts';

/** One way to reach the server, as typed into Anki's "sync server" setting. */
export interface SyncAddress {
  readonly address: string;
  readonly interfaceName: string;
  /** lan: a private address on Wi-Fi or Ethernet; other: reachable but unusual; virtual: a VPN or VM adapter. */
  readonly kind: 'lan' | 'other' | 'virtual' | 'this-pc';
  /** Exactly what to type into Anki, with the trailing slash: `http://192.168.1.20:8080/`. */
  readonly url: string;
}

/** Another Hearth found on the home network (two servers for one family usually means a mistake). */
export interface OtherHearth {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

export interface AppStatus {
  readonly server: ServerState;
  readonly serverEnabled: boolean;
  readonly listen: ListenScope;
  /** Addresses for Anki, best first; empty while the server is not running. */
  readonly addresses: readonly SyncAddress[];
  /** `http://family-pc.local:8080/` while advertised on the network; most devices resolve it. */
  readonly localUrl: string | null;
  readonly otherHearths: readonly OtherHearth[];
  /** Where the server's log is, to show a person who asks for help. */
  readonly logFile: string;
  readonly port: number;
  readonly storageFolder: string;
  readonly storageMove: StorageMove;
  /** True until the first-run guide was completed (or skipped). */
  readonly firstRun: boolean;
  /** Whether this window can open the system's folder picker (the app) or must type a path (headless in a browser). */
  readonly canPickFolder: boolean;
  /** Logins the server refuses for now after too many wrong passwords: who, from where, until when. */
  readonly throttledLogins: readonly ThrottledLogin[];
}

export interface ThrottledLogin {
  /** The username tried; null when the address is refused whatever name it tries. */
  readonly username: string | null;
  /** The device's network address, e.g. 192.168.1.40. */
  readonly address: string;
  /** ISO time when it may try again. */
  readonly until: string;
}

export type SettingsUpdateResult = Validated;

/** One person who can sync, with what the window shows about them. */
export interface PersonSummary {
  readonly username: string;
  /** hearth: added in Hearth (editable); environment: a SYNC_USERn variable of the headless server (read-only here). */
  readonly source: 'hearth' | 'environment';
  /** ISO time of their last successful sync (collection or media), or null if never. */
  readonly lastSyncAt: string | null;
  /** The Anki app and version of that sync in plain words, e.g. "AnkiDroid 2.20.1" or "Anki 25.09 (Windows)". */
  readonly lastClient: string | null;
  readonly collectionBytes: number;
  readonly mediaFiles: number;
  readonly mediaBytes: number;
  /** The phones and computers signed in with this person's login, most recently synced first. */
  readonly devices: readonly DeviceSummary[];
  /** What they studied, from Hearth's copy of their collection; null before their first sync that changed it. */
  readonly study: StudySummary | null;
}

/**
 * What a person studied (src/server/stats/study-stats.ts), counted as their own Anki counts it,
 * with its day boundary (next day starts at, time zone); worked out after each sync that changed
 * their collection, and moved on to today when days have passed since.
 */
export interface StudySummary {
  /** Answers given today, as Anki's "Studied N cards today" counts them. */
  readonly reviewsToday: number;
  /** Answers given today and on the 6 days before. */
  readonly reviewsLast7Days: number;
  /** Days with answers in a row, ending today or yesterday; 0 when neither had any. */
  readonly daysInARow: number;
  /** Review and learning cards due today (not new, suspended or buried ones); null when the last such sync is over a week old. */
  readonly dueToday: number | null;
  readonly notes: number;
  readonly cards: number;
  /** ISO time they were worked out (right after that sync). */
  readonly asOf: string;
}

/** One phone or computer signed in as a person (src/server/accounts/device-store.ts). */
export interface DeviceSummary {
  /** Names it for signOutDevice; unique per person. `before` is every device signed in before this version of Hearth. */
  readonly id: string;
  /** For a parent: "AnkiDroid on Android", "Anki on Windows"; for `before`: "Devices signed in before this update". */
  readonly name: string;
  /** App and version in plain words ("AnkiDroid 2.23 or 2.24"), when known. */
  readonly app: string | null;
  /** True for the `before` entry: it may stand for several devices, all signed out together. */
  readonly fromBefore: boolean;
  /** ISO time it logged in (null for `before`). */
  readonly signedInAt: string | null;
  /** ISO time of its first successful sync (for `before`: the first this version saw), or null. */
  readonly firstSyncAt: string | null;
  /** ISO time of its last successful sync, or null if it has not synced since logging in. */
  readonly lastSyncAt: string | null;
  /** Its network address at that sync (or at login). */
  readonly lastAddress: string | null;
}

/** One copy of a person's collection kept by Hearth (src/server/backups/backup-files.ts). */
export interface BackupSummary {
  /** Names it for restoreBackup (its file name in the person's backups folder). */
  readonly id: string;
  /** ISO time it was taken. */
  readonly takenAt: string;
  /** daily: after that day's first sync; before-upload: the collection an "Upload to server" replaced; before-restore: the one a restore replaced. */
  readonly reason: 'daily' | 'before-upload' | 'before-restore';
  readonly notes: number;
  readonly cards: number;
  /** Answers given to cards (review log rows). */
  readonly reviews: number;
  readonly bytes: number;
  /** False when the file cannot be read as a collection (then it cannot be restored). */
  readonly readable: boolean;
}

export type BackupList =
  | { readonly ok: true; readonly backups: readonly BackupSummary[]; readonly rule: string }
  | { readonly ok: false; readonly problem: string };

/** Outcome of an action the person asked for: ok, or one sentence saying what is wrong (nothing changed). */
export type ActionResult = { readonly ok: true } | { readonly ok: false; readonly problem: string };

export interface StorageMove {
  readonly state: 'idle' | 'copying' | 'verifying' | 'done' | 'failed';
  readonly from: string | null;
  readonly to: string | null;
  readonly copiedBytes: number;
  readonly totalBytes: number;
  /** A sentence when failed; the data is then still complete in the old folder. */
  readonly problem: string | null;
}

/**
 * What became of "Download a copy": a person's collection and media as a `.colpkg`, the file
 * Anki's File → Import restores a profile from.
 */
export type CollectionDownload =
  /** The app wrote the file where the person chose. */
  | { readonly kind: 'saved'; readonly path: string; readonly bytes: number; readonly mediaFiles: number }
  /**
   * The admin page in a browser: the window fetches the file from `url` (this page's own origin),
   * once, within a minute (src/headless/download-offers.ts).
   */
  | { readonly kind: 'download'; readonly url: string; readonly fileName: string }
  /** The person closed the save dialog. */
  | { readonly kind: 'cancelled' }
  /** One sentence; nothing was saved. */
  | { readonly kind: 'problem'; readonly problem: string };

/** Something that went wrong recently, in words a family member understands. */
export interface RecentError {
  readonly at: string;
  readonly message: string;
}

/** Checks the arguments the renderer sent; undefined refuses the call. */
export type ArgsParser<A extends readonly unknown[]> = (args: readonly unknown[]) => A | undefined;

export interface ApiMethodSpec<A extends readonly unknown[], R> {
  readonly parseArgs: ArgsParser<A>;
  /** Type-only: carries the result type. */
  readonly result: (value: R) => R;
}

function method<A extends readonly unknown[], R>(parseArgs: ArgsParser<A>): ApiMethodSpec<A, R> {
  return { parseArgs, result: (value) => value };
}

const noArgs: ArgsParser<[]> = (args) => (args.length === 0 ? [] : undefined);

const oneBoolean: ArgsParser<[boolean]> = (args) => (args.length === 1 && typeof args[0] === 'boolean' ? [args[0]] : undefined);

const isString = (v: unknown): v is string => typeof v === 'string' && v.length <= 4096;
const oneString: ArgsParser<[string]> = (args) => (args.length === 1 && isString(args[0]) ? [args[0]] : undefined);
const twoStrings: ArgsParser<[string, string]> = (args) =>
  args.length === 2 && isString(args[0]) && isString(args[1]) ? [args[0], args[1]] : undefined;
const stringAndBoolean: ArgsParser<[string, boolean]> = (args) =>
  args.length === 2 && isString(args[0]) && typeof args[1] === 'boolean' ? [args[0], args[1]] : undefined;
const oneNumber: ArgsParser<[number]> = (args) =>
  args.length === 1 && typeof args[0] === 'number' && Number.isFinite(args[0]) ? [args[0]] : undefined;

const stringStringAndIds: ArgsParser<[string, string, string[]]> = (args) =>
  args.length === 3 &&
  isString(args[0]) &&
  isString(args[1]) &&
  Array.isArray(args[2]) &&
  args[2].length <= 1000 &&
  args[2].every((id) => isString(id) && id.length <= 64)
    ? [args[0], args[1], [...(args[2] as string[])]]
    : undefined;

const addressAndName: ArgsParser<[string, string | null]> = (args) =>
  args.length === 2 && isString(args[0]) && args[0] !== '' && (args[1] === null || isString(args[1])) ? [args[0], args[1]] : undefined;

/** The patch's fields are validated by applySettingsPatch; here only its shape. */
const onePatch: ArgsParser<[SettingsPatch]> = (args) => {
  const [patch] = args;
  return args.length === 1 && typeof patch === 'object' && patch !== null && !Array.isArray(patch) ? [patch as SettingsPatch] : undefined;
};

export const HEARTH_API = {
  getStatus: method<[], AppStatus>(noArgs),
  getSettings: method<[], Settings>(noArgs),
  /** Validated whole; problems come back as sentences, nothing is saved then. */
  updateSettings: method<[patch: SettingsPatch], SettingsUpdateResult>(onePatch),
  /** The tray's on/off switch; saved in settings (serverEnabled). */
  setServerEnabled: method<[enabled: boolean], AppStatus>(oneBoolean),
  /** Start Hearth at login; saved in settings (startAtLogin) and applied to the OS. */
  setOpenAtLogin: method<[enabled: boolean], Settings>(oneBoolean),
  /** Quits after the server has stopped gracefully. */
  quit: method<[], void>(noArgs),

  /** Everyone who can sync, with last sync, app, and space used. */
  listPeople: method<[], PersonSummary[]>(noArgs),
  /** Validated with src/shared/usernames.ts; works at once, without restarting the server. */
  addPerson: method<[username: string, password: string], ActionResult>(twoStrings),
  /** Every device of the person but those in keepDevices (DeviceSummary.id) must log in again; other people are not affected. */
  changePassword: method<[username: string, password: string, keepDevices: string[]], ActionResult>(stringStringAndIds),
  /** That device's next sync asks it to log in again; a sync it has in progress is rolled back. */
  signOutDevice: method<[username: string, deviceId: string], ActionResult>(twoStrings),
  /** signOutDevice for every device of the person. */
  signOutAllDevices: method<[username: string], ActionResult>(oneString),
  /** The person's collection with its media as a .colpkg: the app asks where to save it; the admin page gets an address to download it from. */
  downloadCollection: method<[username: string], CollectionDownload>(oneString),
  /** Every device of theirs is signed out at once, a sync in progress included; deleteData false keeps their folder (collection and media) on disk. */
  removePerson: method<[username: string, deleteData: boolean], ActionResult>(stringAndBoolean),
  /** The person's backups, newest first, with the rule that keeps them. */
  listBackups: method<[username: string], BackupList>(oneString),
  /** Puts that backup back; the current collection is kept as a backup first. Every device must then full-sync and choose Download. Refused while the person syncs. */
  restoreBackup: method<[username: string, backupId: string], ActionResult>(twoStrings),

  /** The system folder picker; null when cancelled (or not available, see AppStatus.canPickFolder). */
  chooseStorageFolder: method<[], string | null>(noArgs),
  /** Whether a folder can become the data folder (exists or can be made, writable, empty or a Hearth folder, enough space). */
  checkStorageFolder: method<[path: string], ActionResult>(oneString),
  /** Starts moving all data to a new folder (verified copy, then switch, then the old copy is removed); progress in AppStatus.storageMove. Refused while a sync runs. */
  moveStorage: method<[path: string], ActionResult>(oneString),

  /** Whether the server could listen on this port (validation + a real bind test). */
  checkPort: method<[port: number], ActionResult>(oneNumber),
  /** The last problems, newest first, in plain language. */
  getRecentErrors: method<[], RecentError[]>(noArgs),
  /** Lets an address refused for too many wrong passwords try again now (username null: any name). */
  allowLoginAgain: method<[address: string, username: string | null], ActionResult>(addressAndName),
  /** Marks the first-run guide as done. */
  finishFirstRun: method<[], void>(noArgs),
} as const;

export type HearthApiContract = typeof HEARTH_API;
export type ApiMethod = keyof HearthApiContract;
export type ApiArgs<M extends ApiMethod> = HearthApiContract[M] extends ApiMethodSpec<infer A, infer _R> ? A : never;
export type ApiResult<M extends ApiMethod> = HearthApiContract[M] extends ApiMethodSpec<infer _A, infer R> ? R : never;

/** What the window gets: every method, async. */
export type HearthApi = { readonly [M in ApiMethod]: (...args: ApiArgs<M>) => Promise<ApiResult<M>> };

/** What the main process implements: every method, sync or async. */
export type ApiHandlers = { readonly [M in ApiMethod]: (...args: ApiArgs<M>) => ApiResult<M> | Promise<ApiResult<M>> };

export const API_METHODS = Object.keys(HEARTH_API) as readonly ApiMethod[];

/** The IPC channel of a method; the only place channel strings are made. */
export function apiChannel(name: ApiMethod): string {
  return `hearth:${name}`;
}

/** The global the preload defines in the window: `window.hearth`. */
export const RENDERER_API_GLOBAL = 'hearth';
