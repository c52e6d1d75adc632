/** Shared by the stateful steps: body parsing helpers and the grave writer. */
import { prepared } from '../util/prepared.ts';
import type Database from 'better-sqlite3';
import { badRequest } from '../errors.ts';
import { expectObject, parseJsonBody } from '../wire/json-body.ts';

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

/** Records a deletion; an existing grave keeps its usn (schema-18 primary key, spec §5.4). */
export function addGrave(db: Database.Database, oid: number, type: number, usn: number): void {
  prepared(db, 'INSERT OR IGNORE INTO graves (oid, type, usn) VALUES (?, ?, ?)').run(oid, type, usn);
}
