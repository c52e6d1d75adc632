/**
 * What each wire method of methods.ts does: the function that handles it, under the same name.
 * Part of the sync engine (sync-engine.ts), loaded on the first sync request: importing these
 * handlers loads everything a sync runs (the collection, its protobuf codecs, media, zips).
 */
import type { Authenticator } from '../accounts/authenticator.ts';
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
import { uploadChanges } from '../media/upload-changes.ts';
import type { MethodCall, MethodContext } from '../user/context.ts';
import type { Reply } from '../wire/respond.ts';
import type { METHODS, MethodName } from './methods.ts';

/** hostKey (body `login`): answered before anyone is known. The body is read first, so the username tried can be reported. */
export interface LoginHandler {
  readonly parse: (body: Buffer) => LoginAttempt;
  readonly login: (attempt: LoginAttempt, auth: Authenticator, clientAddress: string, client: string) => Promise<unknown>;
}

/** A step of the normal sync in progress (session `step`), run by sync/normal-sync.ts runStep. */
export interface StepHandler {
  readonly step: SyncStep<unknown>;
}

/** Every other method, for an authenticated person. */
export interface PersonHandler {
  readonly run: (call: MethodCall) => Reply | Promise<Reply>;
}

/** The kind of handler a row of METHODS calls for. */
type HandlerFor<Row> = Row extends { body: 'login' } ? LoginHandler : Row extends { session: 'step' } ? StepHandler : PersonHandler;

export type MethodHandlers = { readonly [N in MethodName]: HandlerFor<(typeof METHODS)[N]> };

/** A handler of a JSON request whose result is the JSON reply. */
const json =
  (handler: (body: Buffer, ctx: MethodContext) => unknown) =>
  (call: MethodCall): Reply => ({ json: handler(call.body, call.ctx) });

// prettier-ignore
export const METHOD_HANDLERS: MethodHandlers = {
  hostKey:       { parse: parseHostKeyRequest, login: hostKey },
  meta:          { run: json(meta) },
  start:         { run: json(startMethod) },
  applyGraves:   { step: applyGravesStep },
  applyChanges:  { step: applyChangesStep },
  chunk:         { step: chunkStep },
  applyChunk:    { step: applyChunkStep },
  sanityCheck2:  { step: sanityCheckStep },
  finish:        { step: finishStep },
  abort:         { run: json(abort) },
  upload:        { run: upload },
  download:      { run: download },
  begin:         { run: json(begin) },
  mediaChanges:  { run: json(mediaChanges) },
  uploadChanges: { run: uploadChanges },
  downloadFiles: { run: downloadFiles },
  mediaSanity:   { run: json(mediaSanity) },
};
