/**
 * `mediaChanges` (docs/protocol/media-sync.md §3.2): up to 1000 `[fname, usn, sha1]` entries newer than
 * the client's cursor, in ascending usn order; an empty list tells the client it is up to date.
 * The client then fetches the files it lacks from this list, so the first zip is built ahead
 * (download-ahead.ts).
 */
import type { MethodContext } from '../user/context.ts';
import { expectDownloads, readAhead } from './download-ahead.ts';
import { buildAhead } from './download-files.ts';
import { changesAfter } from './media-db.ts';
import { MAX_CHANGES_PER_REPLY, jsonResult, parseMediaChangesRequest } from './protocol.ts';
import type { JsonResult, MediaChange } from './protocol.ts';

export function mediaChanges(body: Buffer, ctx: MethodContext): JsonResult<MediaChange[]> {
  const { lastUsn } = parseMediaChangesRequest(body);
  const { user } = ctx;
  const db = user.mediaDb();
  const changes = changesAfter(db, lastUsn, MAX_CHANGES_PER_REPLY);
  const first = expectDownloads(db, changes);
  readAhead(db, user.lock, first, (names) => buildAhead(db, user.paths.mediaDir, names, ctx.clock.nowMs()), ctx.logger);
  return jsonResult(changes);
}
