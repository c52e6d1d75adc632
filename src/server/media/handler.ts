/**
 * Runs one media method for an authenticated user (spec media-sync.md §3). Media methods are
 * stateless and independent of a collection sync in progress; they share only the user's lock,
 * which serialises every change to media.db and the media folder.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest } from '../errors.ts';
import type { MediaMethod } from '../http/methods.ts';
import { sendJson } from '../wire/respond.ts';
import { BodyTooLargeError, readZstdBody } from '../wire/zstd-body.ts';
import type { MethodContext } from '../user/context.ts';
import { begin } from './begin.ts';
import { downloadFiles } from './download-files.ts';
import { mediaChanges } from './media-changes.ts';
import { mediaSanity } from './media-sanity.ts';
import { MAX_JSON_REQUEST_BYTES } from './protocol.ts';
import { uploadChanges } from './upload-changes.ts';

async function readJsonRequest(req: IncomingMessage): Promise<Buffer> {
  try {
    return await readZstdBody(req, { maxCompressed: MAX_JSON_REQUEST_BYTES + 65_536, maxDecoded: MAX_JSON_REQUEST_BYTES });
  } catch (err) {
    // Status codes the client understands are 400/403/409/500 (spec http.md §4), not 413.
    if (err instanceof BodyTooLargeError) throw badRequest(`media request: ${err.message}`);
    throw err;
  }
}

export async function runMediaMethod(method: MediaMethod, req: IncomingMessage, res: ServerResponse, ctx: MethodContext): Promise<void> {
  if (method === 'uploadChanges') {
    // Takes the lock itself, after the (possibly slow) body has arrived and been checked.
    sendJson(res, await uploadChanges(req, ctx));
    return;
  }
  const body = await readJsonRequest(req);
  await ctx.user.lock.run(async () => {
    switch (method) {
      case 'begin':
        sendJson(res, begin(body, ctx));
        return;
      case 'mediaChanges':
        sendJson(res, mediaChanges(body, ctx));
        return;
      case 'mediaSanity':
        sendJson(res, mediaSanity(body, ctx));
        return;
      case 'downloadFiles':
        await downloadFiles(body, ctx, res);
        return;
    }
  });
}
