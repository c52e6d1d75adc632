/**
 * `applyChanges` (docs/protocol/collection-sync.md §5.5, merge rules §8.1–§8.4, §8.8): the unchunked
 * objects — notetypes, decks, deck configs, tags, and config + crt from whichever side is newer.
 * The reply (the server's changes the client has not seen) is computed before anything from
 * the client is applied, so the client's own changes are never echoed back.
 *
 * The wire carries legacy (schema 11) JSON; storage is schema 18 with protobuf blobs. Objects
 * are converted while the body is parsed, as the reference does, so a malformed object is a
 * plain 400 that leaves the session alone (docs/protocol/behaviours.md D37); problems found while storing (a changed
 * notetype schema, id 0) fail the step and roll the sync back.
 */
import type Database from 'better-sqlite3';
import { prepared } from '../util/prepared.ts';
import { badRequest } from '../errors.ts';
import type { Clock } from '../clock.ts';
import { RawJson } from '../wire/respond.ts';
import { parseJsonBytes, stringifyJson, jsonBytes, isJsonObject } from '../collection/legacy/json.ts';
import type { JsonObject, JsonValue } from '../collection/legacy/json.ts';
import { notetypeFromLegacy } from '../collection/legacy/notetype.ts';
import type { NotetypeRows } from '../collection/legacy/notetype.ts';
import { deckFromLegacy } from '../collection/legacy/deck.ts';
import type { DeckRow } from '../collection/legacy/deck.ts';
import { deckConfigFromLegacy } from '../collection/legacy/deck-config.ts';
import type { DeckConfigRow } from '../collection/legacy/deck-config.ts';
import { LegacyConversionError } from '../collection/legacy/errors.ts';
import { registerTags, tagsChangedSince } from '../collection/tags.ts';
import { configJson, legacyObjectsSince } from '../collection/legacy/objects.ts';
import type { NormalSyncSession } from './session.ts';
import { usableChangesAhead } from './changes-ahead.ts';
import type { ChangesAhead, ServerChangesText } from './changes-ahead.ts';
import { buildNextChunkAhead } from './chunk.ts';
import type { SyncStep } from './steps.ts';

export interface ClientChanges {
  readonly notetypes: NotetypeRows[];
  readonly decks: DeckRow[];
  readonly deckConfigs: DeckConfigRow[];
  readonly tags: string[];
  /** Only sent by the newer side. */
  readonly conf: JsonObject | undefined;
  readonly crt: number | undefined;
}

function list(v: JsonValue | undefined, what: string): JsonValue[] {
  if (!Array.isArray(v)) throw badRequest(`applyChanges: ${what} must be a list`);
  return v;
}

function convert<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof LegacyConversionError) throw badRequest(`applyChanges: ${err.message}`);
    throw err;
  }
}

export function parseApplyChangesRequest(body: Buffer): ClientChanges {
  let root: JsonValue;
  try {
    root = parseJsonBytes(body);
  } catch {
    throw badRequest('invalid json');
  }
  if (!isJsonObject(root) || !isJsonObject(root.changes)) throw badRequest('applyChanges: missing changes');
  const c = root.changes;
  // `decks` is a 2-tuple [decks, configs]; the reference also accepts {decks, config}.
  let deckList: JsonValue[];
  let configList: JsonValue[];
  if (Array.isArray(c.decks)) {
    if (c.decks.length !== 2) throw badRequest('applyChanges: decks must be [decks, configs]');
    deckList = list(c.decks[0], 'decks');
    configList = list(c.decks[1], 'deck configs');
  } else if (isJsonObject(c.decks)) {
    deckList = list(c.decks.decks, 'decks');
    configList = list(c.decks.config, 'deck configs');
  } else {
    throw badRequest('applyChanges: missing decks');
  }
  const tags = list(c.tags, 'tags').map((t) => {
    if (typeof t !== 'string') throw badRequest('applyChanges: tags must be strings');
    return t;
  });
  let crt: number | undefined;
  if (c.crt !== undefined && c.crt !== null) {
    if (typeof c.crt !== 'number' || !Number.isInteger(c.crt)) throw badRequest('applyChanges: crt must be an integer');
    crt = c.crt;
  }
  let conf: JsonObject | undefined;
  if (c.conf !== undefined && c.conf !== null) {
    if (!isJsonObject(c.conf)) throw badRequest('applyChanges: conf must be an object');
    conf = c.conf;
  }
  return {
    notetypes: convert(() => list(c.models, 'models').map(notetypeFromLegacy)),
    decks: convert(() => deckList.map(deckFromLegacy)),
    deckConfigs: convert(() => configList.map(deckConfigFromLegacy)),
    tags,
    conf,
    crt,
  };
}

const nowSecs = (clock: Clock): number => Math.floor(clock.nowMs() / 1000);

/**
 * The server's side of the exchange as JSON text: everything changed since the client's last
 * sync, and the config and `crt` unless the client's collection is the newer one. Taken from the
 * reply built after the last sync when that is still exact (changes-ahead.ts).
 */
function serverChanges(session: NormalSyncSession, ahead: ChangesAhead | undefined): { text: string; builtAhead: boolean } {
  const withConfig = !session.clientIsNewer;
  const ready = usableChangesAhead(ahead, session.db, session.clientUsn);
  // The config is only read when it is sent: a newer client's config replaces it, even a damaged one.
  const parts = ready ?? serverChangesText(session.db, session.clientUsn, withConfig);
  const text = withConfig ? `${parts.objects.slice(0, -1)},${parts.confAndCrt}}` : parts.objects;
  return { text, builtAhead: ready !== undefined };
}

/**
 * The server's changes for a client at `clientUsn`, as JSON text: the objects, and (unless
 * `withConfig` is false, then it is empty) `"conf":…,"crt":…`.
 */
export function serverChangesText(db: Database.Database, clientUsn: number, withConfig = true): ServerChangesText {
  const { models, decks, configs } = legacyObjectsSince(db, clientUsn);
  const objects = stringifyJson({ models, decks: [decks, configs], tags: tagsChangedSince(db, clientUsn) });
  if (!withConfig) return { objects, confAndCrt: '' };
  const crt = prepared(db, 'SELECT crt FROM col', 'pluck').get() as number;
  return { objects, confAndCrt: `"conf":${configJson(db)},"crt":${crt}` };
}

/** Appends "+" until no other row (by unicase comparison) has the name (docs/protocol/collection-sync.md §8.1, §8.2). */
function uniqueName(session: NormalSyncSession, table: 'notetypes' | 'decks', id: number | bigint, name: string): string | undefined {
  const clash = prepared(session.db, `SELECT 1 FROM ${table} WHERE name = ? AND id != ?`);
  let candidate = name;
  while (clash.get(candidate, id) !== undefined) candidate += '+';
  return candidate === name ? undefined : candidate;
}

function applyNotetypes(session: NormalSyncSession, incoming: NotetypeRows[], clock: Clock): void {
  const { db } = session;
  const existing = prepared(
    db,
    'SELECT mtime_secs, (SELECT count() FROM fields WHERE ntid = n.id) AS fields, (SELECT count() FROM templates WHERE ntid = n.id) AS templates FROM notetypes n WHERE id = ?',
  );
  const put = prepared(db, 'INSERT OR REPLACE INTO notetypes (id, name, mtime_secs, usn, config) VALUES (?, ?, ?, ?, ?)');
  const delFields = prepared(db, 'DELETE FROM fields WHERE ntid = ?');
  const delTemplates = prepared(db, 'DELETE FROM templates WHERE ntid = ?');
  const putField = prepared(db, 'INSERT INTO fields (ntid, ord, name, config) VALUES (?, ?, ?, ?)');
  const putTemplate = prepared(db, 'INSERT INTO templates (ntid, ord, name, mtime_secs, usn, config) VALUES (?, ?, ?, ?, ?, ?)');
  for (const { notetype, fields, templates } of incoming) {
    const old = existing.get(notetype.id) as { mtime_secs: number; fields: number; templates: number } | undefined;
    if (old) {
      if (old.mtime_secs > Number(notetype.mtime_secs)) continue; // the server's copy is newer
      if (old.fields !== fields.length || old.templates !== templates.length) {
        throw new Error(`notetype ${notetype.id} changed its fields or templates; a full sync is needed`);
      }
    }
    let row = notetype;
    const renamed = uniqueName(session, 'notetypes', notetype.id, notetype.name);
    if (renamed !== undefined) row = { ...notetype, name: renamed, mtime_secs: nowSecs(clock), usn: session.serverUsn };
    put.run(row.id, row.name, row.mtime_secs, row.usn, row.config);
    delFields.run(row.id);
    delTemplates.run(row.id);
    for (const f of fields) putField.run(f.ntid, f.ord, f.name, f.config);
    for (const t of templates) putTemplate.run(t.ntid, t.ord, t.name, t.mtime_secs, t.usn, t.config);
  }
}

function applyDecks(session: NormalSyncSession, incoming: DeckRow[], clock: Clock): void {
  const { db } = session;
  const mtime = prepared(db, 'SELECT mtime_secs FROM decks WHERE id = ?', 'pluck');
  const put = prepared(db, 'INSERT OR REPLACE INTO decks (id, name, mtime_secs, usn, common, kind) VALUES (?, ?, ?, ?, ?, ?)');
  for (const deck of incoming) {
    if (Number(deck.id) === 0) throw new Error('a deck with id 0');
    const old = mtime.get(deck.id) as number | undefined;
    if (old !== undefined && old > Number(deck.mtime_secs)) continue;
    let row = deck;
    const renamed = uniqueName(session, 'decks', deck.id, deck.name);
    if (renamed !== undefined) row = { ...deck, name: renamed, mtime_secs: nowSecs(clock), usn: session.serverUsn };
    put.run(row.id, row.name, row.mtime_secs, row.usn, row.common, row.kind);
  }
}

function applyDeckConfigs(session: NormalSyncSession, incoming: DeckConfigRow[]): void {
  const { db } = session;
  const mtime = prepared(db, 'SELECT mtime_secs FROM deck_config WHERE id = ?', 'pluck');
  const put = prepared(db, 'INSERT OR REPLACE INTO deck_config (id, name, mtime_secs, usn, config) VALUES (?, ?, ?, ?, ?)');
  for (const conf of incoming) {
    if (Number(conf.id) === 0) throw new Error('a deck config with id 0');
    const old = mtime.get(conf.id) as number | undefined;
    if (old !== undefined && old > Number(conf.mtime_secs)) continue;
    put.run(conf.id, conf.name, conf.mtime_secs, conf.usn, conf.config);
  }
}

function applyConfig(session: NormalSyncSession, conf: JsonObject, clock: Clock): void {
  const { db } = session;
  prepared(db, 'DELETE FROM config').run();
  const put = prepared(db, 'INSERT INTO config (KEY, usn, mtime_secs, val) VALUES (?, ?, ?, ?)');
  const now = nowSecs(clock);
  for (const [key, value] of Object.entries(conf)) put.run(key, session.serverUsn, now, jsonBytes(value as JsonValue));
}

/** `builtAhead`: the reply was the one built after the last sync (for the request's log line). */
export function applyChanges(
  session: NormalSyncSession,
  changes: ClientChanges,
  clock: Clock,
  ahead?: ChangesAhead,
): { reply: RawJson; builtAhead: boolean } {
  const { text, builtAhead } = serverChanges(session, ahead);
  applyNotetypes(session, changes.notetypes, clock);
  applyDecks(session, changes.decks, clock);
  applyDeckConfigs(session, changes.deckConfigs);
  registerTags(session.db, changes.tags, session.serverUsn);
  if (changes.crt !== undefined) prepared(session.db, 'UPDATE col SET crt = ?').run(changes.crt);
  if (changes.conf !== undefined) applyConfig(session, changes.conf, clock);
  return { reply: new RawJson(text), builtAhead };
}

/** The wire method (sync/normal-sync.ts runs it); the first chunk is built after its reply. */
export const applyChangesStep: SyncStep<ClientChanges> = {
  parse: parseApplyChangesRequest,
  run(session, req, ctx) {
    const { reply, builtAhead } = applyChanges(session, req, ctx.clock, ctx.user.changesAhead);
    // On the request's log line: whether the server's side was built after the last sync (changes-ahead.ts).
    if (builtAhead) ctx.logFields.ahead = 'yes';
    return reply;
  },
  after: buildNextChunkAhead,
};
