/**
 * `mediaSanity` (docs/protocol/media-sync.md §3.5): the last call of a media sync that changed anything.
 * Any answer but "OK" makes the client drop its media state and re-check everything. Being the
 * last call, it is also where the sync's media changes are made durable (makeMediaDurable).
 */
import type { MethodContext } from '../user/context.ts';
import { makeMediaDurable, readMeta } from './media-db.ts';
import { jsonResult, parseSanityRequest } from './protocol.ts';
import type { JsonResult, SanityReply } from './protocol.ts';

export function mediaSanity(body: Buffer, ctx: MethodContext): JsonResult<SanityReply> {
  const { local } = parseSanityRequest(body);
  const db = ctx.user.mediaDb();
  // Before the answer: once the client hears it, it considers this media sync done.
  makeMediaDurable(db);
  const server = readMeta(db).totalNonemptyFiles;
  return jsonResult(local === server ? 'OK' : 'mediaSanity');
}
