/** Shared by the stateful steps: what a step is, body parsing helpers and the grave writer. */
import { prepared } from '../util/prepared.ts';
import type Database from 'better-sqlite3';
import { badRequest } from '../errors.ts';
import type { MethodContext } from '../user/context.ts';
import { expectObject, parseJsonBody } from '../wire/json-body.ts';
import type { NormalSyncSession } from './session.ts';

/**
 * A wire method that is one step of the normal sync in progress (applyGraves, applyChanges,
 * chunk, applyChunk, sanityCheck2, finish; `session: 'step'` in http/methods.ts). Each step's
 * file exports one; normal-sync.ts runStep() runs it: the session key must be there (400), the
 * body must parse (400, the sync left alone), the key must be the active sync's (409), then `run`
 * inside the sync's transaction, where any failure rolls the whole sync back (400).
 */
export interface SyncStep<Req> {
  /** Reads the body. */
  parse(body: Buffer): Req;
  /** finish reads its body before the session key is looked at (the reference's order); the others after. */
  readonly parsesFirst?: boolean;
  /** chunk keeps the chunk built ahead of it; every other step drops it first (session.ts dropNextChunk). */
  readonly keepsChunkAhead?: boolean;
  /** The step; its result is the JSON reply. */
  run(session: NormalSyncSession, req: Req, ctx: MethodContext): unknown;
  /** Work the step leaves for after its reply, if any (session.afterReply, finish.ts). */
  after?(session: NormalSyncSession, ctx: MethodContext): void;
}

export const GRAVE_CARD = 0;
export const GRAVE_NOTE = 1;
export const GRAVE_DECK = 2;

/** `chunk`, `finish` and `abort` take `{}` (the reference parses it strictly; we accept any object). */
export function parseEmptyBody(body: Buffer, what: string): void {
  expectObject(parseJsonBody(body), what);
}

export function requireKey(obj: Record<string, unknown>, key: string, what: string): unknown {
  if (!(key in obj)) throw badRequest(`${what}: missing "${key}"`);
  return obj[key];
}

/** Records a deletion; an existing grave keeps its usn (schema-18 primary key, docs/protocol/collection-sync.md §5.4). */
export function addGrave(db: Database.Database, oid: number, type: number, usn: number): void {
  prepared(db, 'INSERT OR IGNORE INTO graves (oid, type, usn) VALUES (?, ?, ?)').run(oid, type, usn);
}
