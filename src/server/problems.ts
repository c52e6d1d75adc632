/**
 * Which finished requests are problems a person should hear about (the window's "recent
 * problems"), as data: the desktop app gets them from the server process (a `problem` message),
 * the headless server directly. The sentences are made in src/host/recent-errors.ts.
 */
import type { ServerProblem } from '../shared/server-process.ts';
import type { RequestOutcome } from './activity.ts';

export function problemFromOutcome(outcome: RequestOutcome, at: number): ServerProblem | undefined {
  const base = {
    at,
    user: outcome.user ?? null,
    method: outcome.method,
    status: outcome.status,
    detail: '',
    // The name a refused login tried: the host compares it with the people ("use anna, not anna@gmail.com").
    ...(outcome.method === 'hostKey' && outcome.triedUser !== undefined ? { tried: outcome.triedUser } : {}),
  };
  if (outcome.refused !== undefined) return { ...base, kind: 'upload-refused', detail: outcome.refused.slice(0, 200) };
  if (outcome.status < 400) return undefined;
  if (outcome.status === 429) return { ...base, kind: 'login-throttled' };
  if (outcome.status === 501) return { ...base, kind: 'client-too-old' };
  if (outcome.status === 403) return { ...base, kind: outcome.method === 'hostKey' ? 'login-failed' : 'login-expired' };
  // 404/405 are stray requests (a browser, a scanner), not somebody's sync.
  if (outcome.status === 404 || outcome.status === 405) return undefined;
  return { ...base, kind: 'sync-failed' };
}
