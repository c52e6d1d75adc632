/**
 * The window's API object, built from the shared contract: one async function per method,
 * each an `invoke` on the method's channel. No logic here; validation happens in the main
 * process (src/main/ipc.ts).
 */
import { API_METHODS, apiChannel } from '../shared/api.ts';
import type { HearthApi } from '../shared/api.ts';

export type Invoke = (channel: string, ...args: unknown[]) => Promise<unknown>;

export function buildBridge(invoke: Invoke): HearthApi {
  const api: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of API_METHODS) {
    const channel = apiChannel(name);
    api[name] = (...args) => invoke(channel, ...args);
  }
  return Object.freeze(api) as unknown as HearthApi;
}
