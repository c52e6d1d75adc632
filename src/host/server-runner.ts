/**
 * The sync server as a host sees it, after rancher-desktop's VMBackend: one interface, two
 * implementations. The desktop app runs the server in a supervised utility process
 * (src/main/server-host.ts); the headless host runs it in its own process
 * (src/host/in-process-runner.ts). Everything above them (server control, data moves, recent
 * problems, the window's API) is written once, against this interface.
 */
import type { CollectionCopy, ServerProblem, ServerStartConfig } from '../shared/server-process.ts';
import type { ServerState } from '../shared/server-state.ts';
import type { ActionResult } from '../shared/api.ts';

export interface ServerRunner {
  state(): ServerState;
  /** Called after every state change (including activity updates while running). */
  onChange(listener: (state: ServerState) => void): () => void;
  /** Called with each problem the running server reports (a failed sync, a refused upload, …). */
  onProblem(listener: (problem: ServerProblem) => void): () => void;
  /** Starts the server and resolves once it is running or has failed (then the state is crashed). */
  start(config: ServerStartConfig): Promise<ServerState>;
  /** Stops gracefully: requests in flight finish first. */
  stop(): Promise<void>;
  /** For new settings: waits (up to IDLE_WAIT_TIMEOUT_MS) until nobody is syncing, stops, starts. */
  restart(config: ServerStartConfig): Promise<ServerState>;
  /**
   * A consistent copy of the person's collection file, made by the running server between two of
   * their syncs (src/server/user/collection-copy.ts); `not-running` when none runs (the host may
   * then copy the file itself). The caller removes the copy when done with it.
   */
  copyCollection(username: string): Promise<CollectionCopy | 'not-running'>;
  /** Lets an address refused for too many wrong passwords try again; false when no server runs. */
  allowLogin(address: string, username: string | null): boolean;
  /**
   * People or devices were removed or signed out: resolves once the running server has rolled
   * back their syncs in progress and closed a removed person's files (at once when none runs).
   */
  credentialsChanged(): Promise<void>;
  /** Puts a person's backup back through the running server; `not-running` when none runs (the host may then do it on the files). */
  restoreBackup(username: string, backupId: string): Promise<ActionResult | 'not-running'>;
}

/** Longest a settings change waits for a sync to finish before restarting the server anyway. */
export const IDLE_WAIT_TIMEOUT_MS = 2 * 60_000;
