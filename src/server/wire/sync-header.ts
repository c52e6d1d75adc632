/**
 * The `anki-sync` request header (docs/protocol/http.md §2.1): a one-line JSON object with all four keys
 * `v` (protocol version), `k` (host key), `c` (client version) and `s` (session key).
 */
import { badRequest } from '../errors.ts';

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
/** What a request of the multipart framing counts as (legacy-form.ts): it says no version, except in meta's body. */
export const LEGACY_PROTOCOL_VERSION = 10;

/**
 * How a reply is framed: one zstd frame with `anki-original-size` for protocol 11, the bytes as
 * they are for the older ones (docs/protocol/http.md §3), as the official server decides it.
 */
export type Framing = 'zstd' | 'plain';

export const framingOf = (header: SyncHeader): Framing => (header.v < CURRENT_PROTOCOL_VERSION ? 'plain' : 'zstd');

/** Longest header value we look at; real ones are ~120 bytes. */
const MAX_HEADER_LENGTH = 4096;

/**
 * Parses and checks the header. Returns undefined when it is absent: the request is then one of
 * the multipart framing of protocols 8–10 (wire/legacy-form.ts), or a bad request.
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
  // 8-10 with the header: no client sends it, but the official server takes it (zstd body, plain reply).
  if (v < MIN_PROTOCOL_VERSION || v > CURRENT_PROTOCOL_VERSION) {
    throw badRequest(`unsupported sync protocol version ${v}`);
  }
  return { v, k, c, s };
}

/**
 * `cv` of Anki 2.1.50–2.1.56, "anki,2.1.50 (26d40c3a),linux", in the short form of protocol 11's
 * `c` ("2.1.50,26d40c3a,linux"), which the window turns into words (src/shared/client-names.ts).
 */
export function shortClientVersion(cv: string): string {
  const m = /^anki,(\S+) \(([^)]*)\),(\w+)$/.exec(cv.trim());
  return m ? `${m[1]},${m[2]},${m[3]}` : cv.slice(0, 60);
}
