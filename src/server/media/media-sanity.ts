/**
 * `mediaSanity` (spec media-sync.md §3.5): the last call of a media sync that changed anything.
 * Any answer but "OK" makes the client drop its media state and re-check everything.
 */
import type { MethodContext } from '../sync/context.ts';
import { readMeta } from './media-db.ts';
import { jsonResult, parseSanityRequest } from './protocol.ts';
import type { JsonResult, SanityReply } from './protocol.ts';

export function mediaSanity(body: Buffer, ctx: MethodContext): JsonResult<SanityReply> {
  const { local } = parseSanityRequest(body);
  const server = readMeta(ctx.user.mediaDb()).totalNonemptyFiles;
  return jsonResult(local === server ? 'OK' : 'mediaSanity');
}
