/**
 * The window's only way to talk to Hearth: the HearthApi object (src/shared/api.ts). In the app
 * the preload defines it as `window.hearth`; in tests and headless mode another adapter can.
 * Nothing here knows about Electron.
 */
import { RENDERER_API_GLOBAL } from '../shared/api.ts';
import type { HearthApi } from '../shared/api.ts';

export function hearthApi(scope: object = globalThis): HearthApi {
  const api = (scope as Record<string, unknown>)[RENDERER_API_GLOBAL];
  if (typeof api !== 'object' || api === null) throw new Error('Hearth’s API is not available in this page.');
  return api as HearthApi;
}
