/**
 * `meta` (docs/protocol/collection-sync.md §5.2): the first call of every sync. The client compares these
 * numbers with its own to choose no-changes / normal / full sync (§3), so every field matters,
 * `media_usn` included (clients since 23.10 cannot parse a reply without it).
 */
import { prepared } from '../util/prepared.ts';
import { statSync } from 'node:fs';
import { badRequest, clientTooOld } from '../errors.ts';
import { expectObject, parseJsonBody } from '../wire/json-body.ts';
import { CURRENT_PROTOCOL_VERSION, MIN_PROTOCOL_VERSION } from '../wire/sync-header.ts';
import { payloadLimits } from '../wire/zstd-body.ts';
import { readMediaUsn } from '../media/media-db.ts';
import type { MethodContext } from '../user/context.ts';

export interface MetaReply {
  readonly mod: number;
  readonly scm: number;
  readonly usn: number;
  readonly ts: number;
  readonly msg: string;
  readonly cont: boolean;
  readonly hostNum: number;
  readonly empty: boolean;
  readonly media_usn: number;
}

export function parseMetaRequest(body: Buffer): { v: number; cv: string } {
  const { v, cv } = expectObject(parseJsonBody(body), 'meta');
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) throw badRequest('meta: v must be an integer 0-255');
  if (typeof cv !== 'string') throw badRequest('meta: cv must be a string');
  return { v, cv };
}

export function meta(body: Buffer, ctx: MethodContext): MetaReply {
  const { v } = parseMetaRequest(body);
  const { user } = ctx;
  // A sync in progress is aborted; the collection is opened (created) before the body version is judged (reference order).
  return user.withCollection((col) => {
    if (v < MIN_PROTOCOL_VERSION || v > CURRENT_PROTOCOL_VERSION) throw clientTooOld(`meta: client protocol ${v}`);
    if (v < CURRENT_PROTOCOL_VERSION) throw clientTooOld(`meta: protocol ${v} is served by Anki before 2.1.57 only`);

    const row = prepared(col, 'SELECT mod, scm, usn FROM col').get() as { mod: number; scm: number; usn: number };
    const empty = prepared(col, 'SELECT 1 FROM cards LIMIT 1').get() === undefined;
    const now = ctx.clock.nowMs();
    // A collection too big to upload again gets a new scm every time, forcing a full sync (§3).
    const oversize = statSync(user.paths.collection).size > payloadLimits(ctx.config).maxDecoded;
    return {
      mod: row.mod,
      scm: oversize ? now : row.scm,
      usn: row.usn,
      ts: Math.floor(now / 1000),
      msg: '',
      cont: true,
      hostNum: 0,
      empty,
      media_usn: readMediaUsn(user.mediaDb()),
    };
  });
}
