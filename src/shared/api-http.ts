/**
 * The HearthApi over loopback HTTP: how the window talks to the headless server's admin page
 * (src/headless/admin-server.ts), and how tests drive it. Same methods, same argument checkers
 * (HEARTH_API[method].parseArgs on the server), same results; only the transport differs.
 *
 *   POST /api/<method>                      e.g. POST /api/addPerson
 *   Authorization: Bearer <token>           the token from the page's address: http://127.0.0.1:PORT/#token=…
 *   Content-Type: application/json
 *   body: the arguments as a JSON array     e.g. ["alice", "a long password"]; [] or empty for none
 *
 *   200 {"result": <value>}                 (a method returning nothing gives {"result": null})
 *   400 {"error": "invalid arguments …"}    the arguments did not pass the method's checker
 *   401 {"error": "…"}                      no or wrong token
 *   403 {"error": "…"}                      wrong Host or Origin (DNS rebinding, another site)
 *   404 {"error": "…"}                      no such method
 *   500 {"error": "…"}                      the method failed unexpectedly (details in the server log)
 *
 * Plain fetch, no Node: the window (src/renderer) may import this file.
 */
import { API_METHODS } from './api.ts';
import type { ApiArgs, ApiMethod, ApiResult, HearthApi } from './api.ts';

export const ADMIN_API_PREFIX = '/api/';
/** The part of the admin page's address that carries the token (never sent to the server). */
export const ADMIN_TOKEN_FRAGMENT = 'token';
/** Longest request body the admin API reads (arguments are a few short strings). */
export const ADMIN_MAX_BODY_BYTES = 64 * 1024;

export function adminApiPath(method: ApiMethod): string {
  return `${ADMIN_API_PREFIX}${method}`;
}

/** The token in a page address's fragment (`#token=…`), or undefined. */
export function tokenFromFragment(hash: string): string | undefined {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const token = params.get(ADMIN_TOKEN_FRAGMENT);
  return token === null || token === '' ? undefined : token;
}

/** A call the server refused or could not complete; `status` is the HTTP status. */
export class AdminApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'AdminApiError';
    this.status = status;
  }
}

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string },
) => Promise<{
  readonly status: number;
  json(): Promise<unknown>;
}>;

export interface HttpApiOptions {
  /** Where the admin page is served, e.g. `http://127.0.0.1:8081` or the page's own origin. */
  readonly baseUrl: string;
  readonly token: string;
  readonly fetch: FetchLike;
}

/** A HearthApi whose every method is one POST to the admin API. */
export function createHttpApi(options: HttpApiOptions): HearthApi {
  const base = options.baseUrl.replace(/\/+$/, '');
  const call = async <M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<M>> => {
    const response = await options.fetch(`${base}${adminApiPath(method)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(args),
    });
    let payload: unknown;
    try {
      payload = await response.json();
    } catch {
      payload = undefined;
    }
    const body = typeof payload === 'object' && payload !== null ? (payload as { result?: unknown; error?: unknown }) : {};
    if (response.status !== 200) {
      throw new AdminApiError(response.status, typeof body.error === 'string' ? body.error : `HTTP ${response.status}`);
    }
    // Methods that return nothing answer {"result": null}.
    return ('result' in body ? body.result : undefined) as ApiResult<M>;
  };
  const api: Record<string, unknown> = {};
  for (const method of API_METHODS) api[method] = (...args: unknown[]) => call(method, args as never);
  return api as HearthApi;
}
