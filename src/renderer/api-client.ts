/**
 * Where the window's HearthApi comes from. In the desktop app the preload defines
 * `window.hearth` (IPC to the main process). Opened in an ordinary browser from the headless
 * server's admin page (and in the UI tests) there is no preload: then the same interface is
 * built over loopback HTTP by src/shared/api-http.ts (`POST /api/<method>`, Bearer token).
 *
 * The token arrives in the address as `#token=…`. It is taken out of the address at once (so it
 * is not left in the history or a screenshot) and kept in this browser for this page's origin
 * (localStorage; sessionStorage where that is off), so a reload, another tab and a bookmark of
 * the page work. The headless server keeps its token across restarts
 * (src/headless/admin-token.ts), so they keep working until a new admin link is made.
 *
 * Every failure becomes an ApiError whose message is one sentence a person can act on.
 */
import { RENDERER_API_GLOBAL } from '../shared/api.ts';
import type { HearthApi } from '../shared/api.ts';
import { ADMIN_TOKEN_FRAGMENT, AdminApiError, createHttpApi, tokenFromFragment } from '../shared/api-http.ts';
import type { FetchLike } from '../shared/api-http.ts';

export class ApiError extends Error {
  override readonly name = 'ApiError';
}

const TOKEN_KEY = 'hearth-admin-token';

/** The sentences, kept together so the tests and the page say the same thing. */
export const API_PROBLEMS = {
  unreachable: 'Hearth is not answering. Check that Hearth is still running, then reload this page.',
  unauthorized:
    'This page’s key to Hearth is missing or out of date (a new admin link may have been made). Open the page with the link the headless server prints when it starts.',
  noToken:
    'This page needs the link the headless server prints when it starts (it ends with #token=…). Open that link once; this browser then remembers it.',
  misunderstood: 'Hearth did not understand this page’s request; the page may be older than Hearth. Reload the page.',
  failed: 'Something went wrong in Hearth. Try again; if it happens again, Hearth’s log has the details (Home says where it is).',
} as const;

/** An HTTP failure as a sentence: the server's own sentence where it wrote one for people, else ours. */
function sentenceFor(error: AdminApiError): string {
  if (error.status === 401 || error.status === 403) return API_PROBLEMS.unauthorized;
  if (error.status === 400 || error.status === 404 || error.status === 405 || error.status === 413) return API_PROBLEMS.misunderstood;
  return API_PROBLEMS.failed;
}

/** The HearthApi over loopback HTTP, with every failure turned into an ApiError sentence. */
export function httpApi(options: { readonly baseUrl: string; readonly token: string; readonly fetch: FetchLike }): HearthApi {
  const fetchOrSay: FetchLike = async (url, init) => {
    try {
      return await options.fetch(url, init);
    } catch {
      throw new ApiError(API_PROBLEMS.unreachable);
    }
  };
  const inner = createHttpApi({ ...options, fetch: fetchOrSay });
  const api: Record<string, unknown> = {};
  for (const [name, call] of Object.entries(inner) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    api[name] = (...args: unknown[]) =>
      call(...args).catch((error: unknown) => {
        throw error instanceof AdminApiError
          ? new ApiError(sentenceFor(error))
          : error instanceof ApiError
            ? error
            : new ApiError(API_PROBLEMS.failed);
      });
  }
  return Object.freeze(api) as unknown as HearthApi;
}

interface LocationLike {
  readonly hash: string;
  readonly pathname: string;
  readonly search: string;
}
interface HistoryLike {
  replaceState(data: unknown, unused: string, url: string): void;
}
interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Reads `#token=…` from the address, removes it from the address bar, and remembers it for this page's origin. */
export function takeToken(location: LocationLike, history: HistoryLike, storage: StorageLike | null): string | null {
  const fromHash = tokenFromFragment(location.hash);
  if (fromHash !== undefined) {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    params.delete(ADMIN_TOKEN_FRAGMENT);
    const rest = params.toString();
    history.replaceState(null, '', `${location.pathname}${location.search}${rest === '' ? '' : `#${rest}`}`);
    try {
      storage?.setItem(TOKEN_KEY, fromHash);
    } catch {
      // Storage may be off (private mode); the page then works until it is reloaded.
    }
    return fromHash;
  }
  try {
    return storage?.getItem(TOKEN_KEY) ?? null;
  } catch {
    return null;
  }
}

export interface Connection {
  readonly api: HearthApi;
  /** app: inside Hearth's window (the preload); browser: over the loopback HTTP endpoint. */
  readonly mode: 'app' | 'browser';
}

/** window.hearth when the preload provided it, else the HTTP adapter; a sentence when neither can work. */
export function connectHearth(win: Window & typeof globalThis): Connection | { readonly problem: string } {
  const provided = (win as unknown as Record<string, unknown>)[RENDERER_API_GLOBAL];
  if (typeof provided === 'object' && provided !== null) return { api: provided as HearthApi, mode: 'app' };
  if (win.location.protocol !== 'http:' && win.location.protocol !== 'https:') return { problem: API_PROBLEMS.unreachable };
  let storage: Storage | null = null;
  try {
    storage = win.localStorage;
  } catch {
    try {
      storage = win.sessionStorage;
    } catch {
      storage = null;
    }
  }
  const token = takeToken(win.location, win.history, storage);
  if (token === null) return { problem: API_PROBLEMS.noToken };
  return { api: httpApi({ baseUrl: win.location.origin, token, fetch: (url, init) => win.fetch(url, init) }), mode: 'browser' };
}

/** Any error as one sentence for the page. */
export function problemSentence(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  const raw = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  // Electron wraps what the main process threw: "Error invoking remote method 'hearth:x': Error: …".
  const cleaned = raw.replace(/^Error invoking remote method '[^']*':\s*/, '').replace(/^(\w*Error):\s*/, '');
  return cleaned.trim() === '' ? API_PROBLEMS.failed : cleaned;
}
