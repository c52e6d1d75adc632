import type { Clock } from '../clock.ts';
import type { ServerConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { SyncHeader } from '../wire/sync-header.ts';
import type { UserState } from './user-state.ts';

/** What a method handler gets besides its body: the authenticated user and the server's effects. */
export interface MethodContext {
  readonly user: UserState;
  readonly header: SyncHeader;
  readonly config: ServerConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This request's log line (one per request); a method adds its outcome here instead of logging a line of its own. */
  readonly logFields: Record<string, string>;
}
