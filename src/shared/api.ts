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
 * To add a method: add an entry here; tsc then lists the places to implement it (the handler in
 * src/main). Accounts (list, add, change password, remove) and storage (choose and move the data
 * folder) come in later issues as more entries here.
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
}

export type SettingsUpdateResult = Validated;

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
