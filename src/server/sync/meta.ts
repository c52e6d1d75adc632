/**
 * `meta` (docs/protocol/collection-sync.md §5.2): the first call of every sync. The client compares these
 * numbers with its own to choose no-changes / normal / full sync (§3), so every field matters,
 * `media_usn` included (clients since 23.10 cannot parse a reply without it).
 */
import { prepared } from '../util/prepared.ts';
import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { badRequest, clientTooOld } from '../errors.ts';
import { expectObject, parseJsonBody } from '../wire/json-body.ts';
import { CURRENT_PROTOCOL_VERSION, MIN_PROTOCOL_VERSION, shortClientVersion } from '../wire/sync-header.ts';
import { payloadLimits } from '../wire/request-body.ts';
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

/** A config value as the JSON it is stored as, or undefined. */
function configValue(col: Database.Database, key: string): unknown {
  const row = prepared(col, 'SELECT val FROM config WHERE KEY = ?').get(key) as { val: Uint8Array } | undefined;
  if (!row) return undefined;
  try {
    return JSON.parse(Buffer.from(row.val).toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * What the official server tells clients too old for the collection (rslib/src/sync/collection/meta.rs):
 * protocol 8 knows only the v1 scheduler, 9 not the new time zone handling. They get `cont: false`
 * and this message, which they show.
 */
function tooOldForCollection(col: Database.Database, v: number): string | undefined {
  if (v < 9 && configValue(col, 'schedVer') === 2) return 'Your client does not support the v2 scheduler';
  const offset = configValue(col, 'creationOffset');
  if (v < 10 && typeof offset === 'number' && Number.isInteger(offset) && Math.abs(offset) <= 2 ** 31) {
    return 'Your client does not support the new timezone handling.';
  }
  return undefined;
}

export function meta(body: Buffer, ctx: MethodContext): MetaReply {
  const { v, cv } = parseMetaRequest(body);
  const { user } = ctx;
  // The older protocols send no client version but here: it names the device (accounts/device-store.ts).
  if (ctx.header.c === '' && cv !== '') ctx.logFields.client = shortClientVersion(cv);
  // A sync in progress is aborted; the collection is opened (created) before the body version is judged (reference order).
  return user.withCollection((col) => {
    if (v < MIN_PROTOCOL_VERSION || v > CURRENT_PROTOCOL_VERSION) throw clientTooOld(`meta: client protocol ${v}`);

    const refusal = tooOldForCollection(col, v);
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
      msg: refusal ?? '',
      cont: refusal === undefined,
      hostNum: 0,
      empty,
      media_usn: readMediaUsn(user.mediaDb()),
    };
  });
}
