/**
 * The one error type of the sync server. Anything thrown while handling a request either is a
 * SyncHttpError (and carries the status the real client expects, docs/protocol/http.md §4) or is
 * unexpected and becomes a 500. `sendError` in wire/respond.ts is the only place that turns
 * it into bytes on the wire, so internal details never reach a client.
 */
export type SyncErrorCode =
  | 'bad-request'
  | 'forbidden'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'payload-too-large'
  | 'too-many-requests'
  | 'client-too-old'
  | 'internal';

const STATUS: Record<SyncErrorCode, number> = {
  'bad-request': 400,
  forbidden: 403,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  'payload-too-large': 413,
  'too-many-requests': 429,
  'client-too-old': 501,
  internal: 500,
};

export class SyncHttpError extends Error {
  readonly code: SyncErrorCode;
  readonly status: number;
  /** Extra response headers (e.g. Retry-After); never anything secret. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The status line's reason phrase, when the standard one would mislead: Anki never reads an
   * error's body, but shows the status line in its "Error details" (plain ASCII, one line).
   */
  readonly reason: string | undefined;

  constructor(code: SyncErrorCode, logMessage: string, headers: Record<string, string> = {}, reason?: string) {
    super(logMessage);
    this.name = 'SyncHttpError';
    this.code = code;
    this.status = STATUS[code];
    this.headers = headers;
    this.reason = reason;
  }
}

export const badRequest = (why: string): SyncHttpError => new SyncHttpError('bad-request', why);
export const forbidden = (why: string): SyncHttpError => new SyncHttpError('forbidden', why);
export const conflict = (why: string): SyncHttpError => new SyncHttpError('conflict', why);
export const clientTooOld = (why: string): SyncHttpError => new SyncHttpError('client-too-old', why);
export const internal = (why: string): SyncHttpError => new SyncHttpError('internal', why);

/** Maps anything thrown to a SyncHttpError; unknown errors are 500 with their text kept for the log only. */
export function asSyncHttpError(err: unknown): SyncHttpError {
  if (err instanceof SyncHttpError) return err;
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return internal(text);
}
