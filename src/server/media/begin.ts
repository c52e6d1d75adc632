/**
 * `begin` (docs/protocol/media-sync.md §3.1): the server's media usn. Clients from 23.10 on usually take
 * the usn from `meta.media_usn` instead and skip this call; a media-only sync still starts here.
 */
import type { MethodContext } from '../user/context.ts';
import { shortClientVersion } from '../wire/sync-header.ts';
import { readMeta } from './media-db.ts';
import { jsonResult, parseBeginRequest } from './protocol.ts';
import type { BeginReply, JsonResult } from './protocol.ts';

export function begin(body: Buffer, ctx: MethodContext): JsonResult<BeginReply> {
  const { v } = parseBeginRequest(body);
  // The older protocols name the app here and in meta only (accounts/device-store.ts).
  if (ctx.header.c === '') ctx.logFields.client = shortClientVersion(v);
  // `sk` was a separate media session key once; protocol-11 servers hand back the host key so
  // that older clients which still send `sk` keep working (docs/protocol/media-sync.md §3.1).
  return jsonResult({ usn: readMeta(ctx.user.mediaDb()).lastUsn, sk: ctx.header.k });
}
