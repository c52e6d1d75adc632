/**
 * Every wire method of the sync protocol in one table (docs/protocol/http.md §1): its wire name (the last
 * part of the path, case-sensitive, as the client sends it), which sync it belongs to, how its
 * body is read, what it does to a normal sync in progress, and the function that handles it (the
 * file is in the import of that name above). http/request-handler.ts routes and dispatches from
 * this table alone. To add a method: write its handler in sync/ or media/ and add its row here.
 */
import type { Authenticator } from '../accounts/authenticator.ts';
import type { ServerConfig } from '../config.ts';
import { abort } from '../sync/abort.ts';
import { applyChangesStep } from '../sync/apply-changes.ts';
import { applyChunkStep } from '../sync/apply-chunk.ts';
import { applyGravesStep } from '../sync/apply-graves.ts';
import { chunkStep } from '../sync/chunk.ts';
import { download } from '../sync/download.ts';
import { finishStep } from '../sync/finish.ts';
import { hostKey, parseHostKeyRequest } from '../sync/host-key.ts';
import type { LoginAttempt } from '../sync/host-key.ts';
import { meta } from '../sync/meta.ts';
import { sanityCheckStep } from '../sync/sanity-check.ts';
import { startMethod } from '../sync/start.ts';
import type { SyncStep } from '../sync/steps.ts';
import { upload } from '../sync/upload.ts';
import { begin } from '../media/begin.ts';
import { downloadFiles } from '../media/download-files.ts';
import { mediaChanges } from '../media/media-changes.ts';
import { mediaSanity } from '../media/media-sanity.ts';
import { MAX_JSON_REQUEST_BYTES } from '../media/protocol.ts';
import { uploadChanges } from '../media/upload-changes.ts';
import type { MethodCall, MethodContext } from '../user/context.ts';
import type { Reply } from '../wire/respond.ts';
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

/** hostKey: answered before anyone is known. The body is read first, so the username tried can be reported. */
interface LoginMethod {
  readonly kind: 'collection';
  readonly body: 'login';
  readonly session: 'none';
  readonly parse: (body: Buffer) => LoginAttempt;
  readonly login: (attempt: LoginAttempt, auth: Authenticator, clientAddress: string, client: string) => Promise<unknown>;
}

/** A step of the normal sync in progress. */
interface StepMethod {
  readonly kind: 'collection';
  readonly body: 'payload';
  readonly session: 'step';
  readonly step: SyncStep<unknown>;
}

/** Every other method, for an authenticated person. */
interface PersonMethod {
  readonly kind: MethodKind;
  readonly body: 'payload' | 'media' | 'stream';
  readonly session: 'none' | 'ends' | 'starts';
  readonly run: (call: MethodCall) => Reply | Promise<Reply>;
}

export type MethodSpec = LoginMethod | StepMethod | PersonMethod;

/** A handler of a JSON request whose result is the JSON reply. */
const json =
  (handler: (body: Buffer, ctx: MethodContext) => unknown) =>
  (call: MethodCall): Reply => ({ json: handler(call.body, call.ctx) });

// prettier-ignore
export const METHODS = {
  // Collection sync: POST /sync/<name> (docs/protocol/collection-sync.md §5), in the order a sync calls them.
  hostKey:       { kind: 'collection', body: 'login',   session: 'none',   parse: parseHostKeyRequest, login: hostKey },
  meta:          { kind: 'collection', body: 'payload', session: 'ends',   run: json(meta) },
  start:         { kind: 'collection', body: 'payload', session: 'starts', run: json(startMethod) },
  applyGraves:   { kind: 'collection', body: 'payload', session: 'step',   step: applyGravesStep },
  applyChanges:  { kind: 'collection', body: 'payload', session: 'step',   step: applyChangesStep },
  chunk:         { kind: 'collection', body: 'payload', session: 'step',   step: chunkStep },
  applyChunk:    { kind: 'collection', body: 'payload', session: 'step',   step: applyChunkStep },
  sanityCheck2:  { kind: 'collection', body: 'payload', session: 'step',   step: sanityCheckStep },
  finish:        { kind: 'collection', body: 'payload', session: 'step',   step: finishStep },
  abort:         { kind: 'collection', body: 'payload', session: 'ends',   run: json(abort) },
  upload:        { kind: 'collection', body: 'stream',  session: 'ends',   run: upload },
  download:      { kind: 'collection', body: 'payload', session: 'ends',   run: download },
  // Media sync: POST /msync/<name> (docs/protocol/media-sync.md §3).
  begin:         { kind: 'media',      body: 'media',   session: 'none',   run: json(begin) },
  mediaChanges:  { kind: 'media',      body: 'media',   session: 'none',   run: json(mediaChanges) },
  uploadChanges: { kind: 'media',      body: 'stream',  session: 'none',   run: uploadChanges },
  downloadFiles: { kind: 'media',      body: 'media',   session: 'none',   run: downloadFiles },
  mediaSanity:   { kind: 'media',      body: 'media',   session: 'none',   run: json(mediaSanity) },
} as const satisfies Record<string, MethodSpec>;

export type MethodName = keyof typeof METHODS;

/** The row of wire method `name` of this kind; undefined for a name the protocol does not have. */
export function methodFor(kind: MethodKind, name: string): MethodSpec | undefined {
  if (!Object.hasOwn(METHODS, name)) return undefined;
  const spec: MethodSpec = METHODS[name as MethodName];
  return spec.kind === kind ? spec : undefined;
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
