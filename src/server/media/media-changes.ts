/**
 * `mediaChanges` (spec media-sync.md §3.2): up to 1000 `[fname, usn, sha1]` entries newer than
 * the client's cursor, in ascending usn order; an empty list tells the client it is up to date.
 */
import type { MethodContext } from '../sync/context.ts';
import { changesAfter } from './media-db.ts';
import { MAX_CHANGES_PER_REPLY, jsonResult, parseMediaChangesRequest } from './protocol.ts';
import type { JsonResult, MediaChange } from './protocol.ts';

export function mediaChanges(body: Buffer, ctx: MethodContext): JsonResult<MediaChange[]> {
  const { lastUsn } = parseMediaChangesRequest(body);
  return jsonResult(changesAfter(ctx.user.mediaDb(), lastUsn, MAX_CHANGES_PER_REPLY));
}
