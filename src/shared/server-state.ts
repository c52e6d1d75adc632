/**
 * The supervised server as the main process sees it (src/main/server-host.ts), and as the tray
 * and the window show it. Explicit states, one transition at a time:
 *
 *   stopped ──start──▶ starting ──ready──▶ running ──stop──▶ stopping ──stopped──▶ stopped
 *                         │                   │
 *                         └─failed/timeout/exit┴──▶ crashed ──(backoff, if retryable)──▶ starting
 */
import type { HearthError } from './errors.ts';
import type { ServerActivity } from './server-process.ts';

export type ServerState =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'starting'; readonly attempt: number }
  | { readonly kind: 'running'; readonly host: string; readonly port: number; readonly activity: ServerActivity }
  | { readonly kind: 'stopping'; readonly activity: ServerActivity }
  | {
      readonly kind: 'crashed';
      readonly error: HearthError;
      /** When the supervisor will try again (ms since the epoch), or null when it will not by itself. */
      readonly retryAt: number | null;
    };

export type ServerStateKind = ServerState['kind'];

export function isSyncing(state: ServerState): boolean {
  return (state.kind === 'running' || state.kind === 'stopping') && state.activity.syncing;
}
