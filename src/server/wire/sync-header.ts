/**
 * The `anki-sync` request header (docs/protocol/http.md §2.1): a one-line JSON object with all four keys
 * `v` (protocol version), `k` (host key), `c` (client version) and `s` (session key).
 */
import { badRequest, clientTooOld } from '../errors.ts';

export interface SyncHeader {
  /** Sync protocol version, 8..=11 accepted by the reference. */
  readonly v: number;
  /** Host key; empty on hostKey. */
  readonly k: string;
  /** Short client version, informational (logged). */
  readonly c: string;
  /** Session key of one stateful normal sync. */
  readonly s: string;
}

export const MIN_PROTOCOL_VERSION = 8;
export const CURRENT_PROTOCOL_VERSION = 11;

/** Longest header value we look at; real ones are ~120 bytes. */
const MAX_HEADER_LENGTH = 4096;

/**
 * Parses and checks the header. Returns undefined when it is absent: the reference then
 * treats the request as a legacy (protocol ≤ 10) multipart request, which Hearth does not
 * serve — see `rejectLegacyRequest`.
 */
export function parseSyncHeader(value: string | string[] | undefined): SyncHeader | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw badRequest('bad sync header: sent more than once');
  if (value.length > MAX_HEADER_LENGTH) throw badRequest('bad sync header: too long');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw badRequest('bad sync header: not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('bad sync header: not an object');
  }
  const { v, k, c, s } = parsed as Record<string, unknown>;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
    throw badRequest('bad sync header: v must be an integer 0-255');
  }
  if (typeof k !== 'string' || typeof c !== 'string' || typeof s !== 'string') {
    throw badRequest('bad sync header: k, c and s must all be strings');
  }
  if (v < MIN_PROTOCOL_VERSION || v > CURRENT_PROTOCOL_VERSION) {
    throw badRequest(`unsupported sync protocol version ${v}`);
  }
  // Versions 8-10 are only ever sent by clients older than Anki 2.1.57, which frame requests
  // differently (multipart + gzip) and expect schema-11 downloads. Hearth serves protocol 11
  // only; 501 is what those clients understand as "your client is too old, please update".
  if (v < CURRENT_PROTOCOL_VERSION) throw clientTooOld(`protocol version ${v} is older than 11`);
  return { v, k, c, s };
}

/** A request without the header comes from an Anki older than 2.1.57 (see parseSyncHeader). */
export function rejectLegacyRequest(): never {
  throw clientTooOld('request without anki-sync header (legacy protocol ≤ 10)');
}

/**
 * A POST without the anki-sync header: the multipart framing of protocols ≤ 10 (Anki before
 * 2.1.57) gets 501, which those clients show as "please update"; anything else is a bad request,
 * as with the official server.
 */
export function rejectRequestWithoutHeader(contentType: string | undefined): never {
  if (/^multipart\/form-data\b/i.test(contentType ?? '')) rejectLegacyRequest();
  throw badRequest('request without anki-sync header');
}
