import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Clock } from '../clock.ts';
import type { ServerConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Framing, SyncHeader } from '../wire/sync-header.ts';
import type { BodyCodec } from '../wire/request-body.ts';
import type { UserState } from './user-state.ts';

/** What a method handler gets besides its body: the authenticated user and the server's effects. */
export interface MethodContext {
  readonly user: UserState;
  /** Which of the person's devices sent it (accounts/device-store.ts). */
  readonly device: string;
  readonly header: SyncHeader;
  /** How the reply is framed (zstd for protocol 11, plain for the older ones). */
  readonly framing: Framing;
  readonly config: ServerConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** This request's log line (one per request); a method adds its outcome here instead of logging a line of its own. */
  readonly logFields: Record<string, string>;
}

/**
 * One call of a wire method by an authenticated person: what http/request-handler.ts hands the
 * method's handler (http/methods.ts), which answers with a Reply (wire/respond.ts).
 */
export interface MethodCall {
  /** The decoded body; empty for the methods that read their body themselves (`body: 'stream'`). */
  readonly body: Buffer;
  /** The request, for the methods that read their body as it arrives (upload, uploadChanges), encoded with `codec`. */
  readonly request: Readable;
  readonly codec: BodyCodec;
  /** The response, for the one method that writes its reply itself (downloadFiles). */
  readonly response: ServerResponse;
  readonly ctx: MethodContext;
}
