/**
 * Every wire method of the sync protocol in one table (docs/protocol/http.md §1): its wire name (the last
 * part of the path, case-sensitive, as the client sends it), which sync it belongs to, how its
 * body is read and what it does to a normal sync in progress. The function that handles it is
 * in the table of the same names in method-handlers.ts, which is loaded with the rest of the
 * sync engine on the first sync request, not at start (sync-engine.ts). http/request-handler.ts
 * routes and dispatches from these two tables alone. To add a method: write its handler in sync/
 * or media/, add its row here and its handler there.
 */
import type { ServerConfig } from '../config.ts';
import { MAX_JSON_REQUEST_BYTES } from '../media/protocol.ts';
import { payloadLimits } from '../wire/request-body.ts';
import type { BodyLimits } from '../wire/request-body.ts';

/** `collection`: `POST /sync/<name>`; `media`: `POST /msync/<name>`. */
export type MethodKind = 'collection' | 'media';

/**
 * How the body is read before the handler runs (one zstd frame of JSON unless `stream`), and with
 * that, the person's lock:
 * - `login`: at most 16 KiB, read before anyone is known (hostKey: no person, no lock);
 * - `payload`: up to the collection limit (payloadLimits, from MAX_SYNC_PAYLOAD_MEGS); past it, 413;
 * - `media`: at most 1 MiB (MAX_JSON_REQUEST_BYTES); past it, 400, a status the client understands;
 * - `stream`: the handler reads the body itself as it arrives (to a file when big), and takes the
 *   lock only once it has it. All the others run whole under the lock, reply included.
 */
export type BodyRule = 'login' | 'payload' | 'media' | 'stream';

/**
 * What the method does to a normal sync in progress (docs/protocol/collection-sync.md §2):
 * - `none`: nothing (media sync runs beside it);
 * - `ends`: cancels it (abort; meta, download and upload through UserState.withCollection);
 * - `starts`: cancels it and begins a new one (start, through withCollection);
 * - `step`: needs the one with the request's session key, else 409; runs as a SyncStep
 *   (sync/normal-sync.ts runStep).
 */
export type SessionUse = 'none' | 'ends' | 'starts' | 'step';

/** One row of the table: what a request of this method is. What it does is in method-handlers.ts. */
export interface MethodSpec {
  readonly kind: MethodKind;
  readonly body: BodyRule;
  readonly session: SessionUse;
}

// prettier-ignore
export const METHODS = {
  // Collection sync: POST /sync/<name> (docs/protocol/collection-sync.md §5), in the order a sync calls them.
  hostKey:       { kind: 'collection', body: 'login',   session: 'none' },
  meta:          { kind: 'collection', body: 'payload', session: 'ends' },
  start:         { kind: 'collection', body: 'payload', session: 'starts' },
  applyGraves:   { kind: 'collection', body: 'payload', session: 'step' },
  applyChanges:  { kind: 'collection', body: 'payload', session: 'step' },
  chunk:         { kind: 'collection', body: 'payload', session: 'step' },
  applyChunk:    { kind: 'collection', body: 'payload', session: 'step' },
  sanityCheck2:  { kind: 'collection', body: 'payload', session: 'step' },
  finish:        { kind: 'collection', body: 'payload', session: 'step' },
  abort:         { kind: 'collection', body: 'payload', session: 'ends' },
  upload:        { kind: 'collection', body: 'stream',  session: 'ends' },
  download:      { kind: 'collection', body: 'payload', session: 'ends' },
  // Media sync: POST /msync/<name> (docs/protocol/media-sync.md §3).
  begin:         { kind: 'media',      body: 'media',   session: 'none' },
  mediaChanges:  { kind: 'media',      body: 'media',   session: 'none' },
  uploadChanges: { kind: 'media',      body: 'stream',  session: 'none' },
  downloadFiles: { kind: 'media',      body: 'media',   session: 'none' },
  mediaSanity:   { kind: 'media',      body: 'media',   session: 'none' },
} as const satisfies Record<string, MethodSpec>;

export type MethodName = keyof typeof METHODS;

/** The wire method `name` of this kind; undefined for a name the protocol does not have. */
export function methodFor(kind: MethodKind, name: string): MethodName | undefined {
  if (!Object.hasOwn(METHODS, name)) return undefined;
  const spec: MethodSpec = METHODS[name as MethodName];
  return spec.kind === kind ? (name as MethodName) : undefined;
}

/**
 * hostKey is read before anyone is known: its body is a username and a password, so it gets a
 * small limit of its own (a body past it is refused before more is read), not the collection's.
 */
const LOGIN_LIMITS: BodyLimits = { maxCompressed: 16 * 1024, maxDecoded: 16 * 1024 };
const MEDIA_JSON_LIMITS: BodyLimits = { maxCompressed: MAX_JSON_REQUEST_BYTES + 65_536, maxDecoded: MAX_JSON_REQUEST_BYTES };

/** The limits of a body read before its handler runs. */
export function bodyLimits(rule: Exclude<BodyRule, 'stream'>, config: ServerConfig): BodyLimits {
  if (rule === 'login') return LOGIN_LIMITS;
  if (rule === 'media') return MEDIA_JSON_LIMITS;
  return payloadLimits(config);
}
