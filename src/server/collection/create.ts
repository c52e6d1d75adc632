/**
 * Creates the collection the server starts a new user with (docs/protocol/schema.md §7).
 *
 * It must look like the one the official server creates: a fresh client compares
 * `mod = 0`, `usn = 0` and "no cards" to decide there is nothing to sync (so a new user
 * costs no full sync), and a client that fully downloads it must find a valid schema-18
 * collection with the default deck, deck options and stock notetypes.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import type Database from 'better-sqlite3';
import type { Clock } from '../clock.ts';
import { checkpointAndClose, openCollection } from './open.ts';
import { fsyncDir, fsyncPath } from '../util/atomic-file.ts';
import { DeckConfig_Config_LeechAction, DeckConfig_ConfigSchema, type DeckConfig_Config } from './proto/gen/deck_config_pb.js';
import { Deck_CommonSchema, Deck_KindContainerSchema, Deck_NormalSchema } from './proto/gen/decks_pb.js';
import {
  Notetype_Config_CardRequirementSchema,
  Notetype_ConfigSchema,
  Notetype_Field_ConfigSchema,
  Notetype_Template_ConfigSchema,
} from './proto/gen/notetypes_pb.js';
import { SCHEMA11, SCHEMA14_UPGRADE, SCHEMA15_UPGRADE, SCHEMA17_UPGRADE, SCHEMA18_UPGRADE, SCHEMA_VERSION } from './schema.ts';
import {
  STOCK_FIELD_FONT,
  STOCK_FIELD_FONT_SIZE,
  STOCK_LATEX_POST,
  STOCK_LATEX_PRE,
  STOCK_NOTETYPES,
  type StockNotetype,
} from './stock-notetypes.ts';

/** Ids the reference gives the default deck and its options; clients rely on both existing. */
export const DEFAULT_DECK_ID = 1;
export const DEFAULT_DECK_CONFIG_ID = 1;
/** Untranslated, like the reference server (it has no UI language). */
export const DEFAULT_NAME = 'Default';

/** The local time zone used for `crt`; passed in so tests do not depend on the machine's. */
export interface TimeZone {
  /** Minutes west of UTC at the given instant (JS `getTimezoneOffset` sign: UTC+10 → -600). */
  minutesWest(atMs: number): number;
}

export const localTimeZone: TimeZone = {
  minutesWest: (atMs) => new Date(atMs).getTimezoneOffset(),
};

export function fixedTimeZone(minutesWest: number): TimeZone {
  return { minutesWest: () => minutesWest };
}

const SECS_PER_DAY = 86_400;

/**
 * `col.crt`: today's 04:00 local time in Unix seconds, or yesterday's if it is not yet 04:00.
 * It anchors the scheduler's day count. Like the reference (`v1_creation_date`) the UTC
 * offset of *now* is used for the whole day, and "yesterday" is exactly 86 400 s earlier.
 */
export function creationTimeSecs(nowMs: number, tz: TimeZone): number {
  const nowSecs = Math.floor(nowMs / 1000);
  const offsetSecs = -tz.minutesWest(nowMs) * 60;
  // Shift into local time and read the calendar date with UTC getters (no machine TZ involved).
  const local = new Date((nowSecs + offsetSecs) * 1000);
  const fourAm = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate(), 4) / 1000 - offsetSecs;
  return fourAm > nowSecs ? fourAm - SECS_PER_DAY : fourAm;
}

/**
 * The `col.conf` keys of a new schema-11 collection, which the schema-14 step moves into
 * `config` rows (usn 0, mtime 0). `curModel` is a placeholder until the stock notetypes
 * exist; `creationOffset` is null because the server stores no UTC offset (clients do).
 */
function initialConfig(): [key: string, value: unknown][] {
  return [
    ['activeDecks', [DEFAULT_DECK_ID]],
    ['curDeck', DEFAULT_DECK_ID],
    ['newSpread', 0],
    ['collapseTime', 1200],
    ['timeLim', 0],
    ['estTimes', true],
    ['dueCounts', true],
    ['curModel', null],
    ['nextPos', 1],
    ['sortType', 'noteFld'],
    ['sortBackwards', false],
    ['addToCur', true],
    ['dayLearnFirst', false],
    ['schedVer', 2],
    ['creationOffset', null],
    ['sched2021', true],
  ];
}

/** Config values are JSON text stored as BLOBs (docs/protocol/schema.md §4 `config`). */
function jsonBlob(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

/** Deck options of a new collection (docs/protocol/schema.md §5.6, the reference's `DeckConfig::default()`). */
export function defaultDeckConfig(): DeckConfig_Config {
  return create(DeckConfig_ConfigSchema, {
    learnSteps: [1, 10],
    relearnSteps: [10],
    newPerDay: 20,
    reviewsPerDay: 200,
    initialEase: 2.5,
    easyMultiplier: 1.3,
    hardMultiplier: 1.2,
    lapseMultiplier: 0,
    intervalMultiplier: 1,
    maximumReviewInterval: 36_500,
    minimumLapseInterval: 1,
    graduatingIntervalGood: 1,
    graduatingIntervalEasy: 4,
    leechAction: DeckConfig_Config_LeechAction.TAG_ONLY,
    leechThreshold: 8,
    capAnswerTimeToSecs: 60,
    waitForAudio: true,
    desiredRetention: 0.9,
    historicalRetention: 0.9,
    easyDaysPercentages: [1, 1, 1, 1, 1, 1, 1],
  });
}

/** Field and template ids are random 64-bit integers (any sign), as in the reference. */
function randomId(): bigint {
  return randomBytes(8).readBigInt64LE();
}

function addDefaultDeckConfig(db: Database.Database): void {
  db.prepare('INSERT INTO deck_config (id, name, mtime_secs, usn, config) VALUES (?, ?, 0, 0, ?)').run(
    DEFAULT_DECK_CONFIG_ID,
    DEFAULT_NAME,
    toBinary(DeckConfig_ConfigSchema, defaultDeckConfig()),
  );
}

function addDefaultDeck(db: Database.Database): void {
  // Collapsed in both views, like the reference's Deck::new_normal().
  const common = create(Deck_CommonSchema, { studyCollapsed: true, browserCollapsed: true });
  const kind = create(Deck_KindContainerSchema, {
    kind: { case: 'normal', value: create(Deck_NormalSchema, { configId: BigInt(DEFAULT_DECK_CONFIG_ID) }) },
  });
  db.prepare('INSERT INTO decks (id, name, mtime_secs, usn, common, kind) VALUES (?, ?, 0, 0, ?, ?)').run(
    DEFAULT_DECK_ID,
    DEFAULT_NAME,
    toBinary(Deck_CommonSchema, common),
    toBinary(Deck_KindContainerSchema, kind),
  );
}

/**
 * Inserts one stock notetype and returns its id. The id is the current time in ms, or one
 * more than the largest id if that is taken (the reference's insert statement), so the six
 * notetypes created within the same millisecond still get distinct, increasing ids.
 */
function addStockNotetype(db: Database.Database, nt: StockNotetype, nowMs: number): number {
  const config = create(Notetype_ConfigSchema, {
    kind: nt.kind,
    sortFieldIdx: 0,
    css: nt.css,
    latexPre: STOCK_LATEX_PRE,
    latexPost: STOCK_LATEX_POST,
    reqs: nt.reqs.map((r) =>
      create(Notetype_Config_CardRequirementSchema, { cardOrd: r.cardOrd, kind: r.kind, fieldOrds: [...r.fieldOrds] }),
    ),
    originalStockKind: nt.originalStockKind,
  });
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO notetypes (id, name, mtime_secs, usn, config)
       VALUES (CASE WHEN @now IN (SELECT id FROM notetypes) THEN (SELECT max(id) + 1 FROM notetypes) ELSE @now END,
               @name, 0, 0, @config)`,
    )
    .run({ now: nowMs, name: nt.name, config: toBinary(Notetype_ConfigSchema, config) });
  const ntid = Number(lastInsertRowid);

  const addField = db.prepare('INSERT INTO fields (ntid, ord, name, config) VALUES (?, ?, ?, ?)');
  nt.fields.forEach((field, ord) => {
    const fieldConfig = create(Notetype_Field_ConfigSchema, {
      fontName: STOCK_FIELD_FONT,
      fontSize: STOCK_FIELD_FONT_SIZE,
      id: randomId(),
      preventDeletion: field.preventDeletion ?? false,
    });
    // `tag` has explicit presence: only cloze-based notetypes set it.
    if (field.tag !== undefined) fieldConfig.tag = field.tag;
    addField.run(ntid, ord, field.name, toBinary(Notetype_Field_ConfigSchema, fieldConfig));
  });

  const addTemplate = db.prepare('INSERT INTO templates (ntid, ord, name, mtime_secs, usn, config) VALUES (?, ?, ?, 0, 0, ?)');
  nt.templates.forEach((tmpl, ord) => {
    const tmplConfig = create(Notetype_Template_ConfigSchema, {
      qFormat: tmpl.qfmt,
      aFormat: tmpl.afmt,
      id: randomId(),
    });
    addTemplate.run(ntid, ord, tmpl.name, toBinary(Notetype_Template_ConfigSchema, tmplConfig));
  });
  return ntid;
}

/**
 * Builds the collection inside one exclusive transaction, replaying the reference's steps:
 * schema 11 + `col` row, upgrades 14/15 (+ANALYZE)/17/18, then default deck options, default
 * deck, stock notetypes and `curModel`.
 */
export function buildCollection(db: Database.Database, clock: Clock, tz: TimeZone): void {
  db.exec('BEGIN EXCLUSIVE');
  try {
    const nowMs = clock.nowMs();
    db.exec(SCHEMA11);
    // The final row straight away: the intermediate JSON columns of schema 11 are emptied by
    // the upgrades anyway, and mod = 0 marks the collection as never modified.
    db.prepare(
      `INSERT INTO col (id, crt, mod, scm, ver, dty, usn, ls, conf, models, decks, dconf, tags)
       VALUES (1, ?, 0, ?, ?, 0, 0, 0, '', '', '', '', '')`,
    ).run(creationTimeSecs(nowMs, tz), nowMs, SCHEMA_VERSION);

    db.exec(SCHEMA14_UPGRADE);
    const addConfig = db.prepare('INSERT INTO config (KEY, usn, mtime_secs, val) VALUES (?, 0, 0, ?)');
    for (const [key, value] of initialConfig()) addConfig.run(key, jsonBlob(value));

    db.exec(SCHEMA15_UPGRADE);
    // The reference analyzes at this point (end of its schema-15 upgrade), so its statistics
    // describe this state: one col row, 16 config rows, empty tables.
    db.exec('ANALYZE');
    db.exec(SCHEMA17_UPGRADE);
    db.exec(SCHEMA18_UPGRADE);

    addDefaultDeckConfig(db);
    addDefaultDeck(db);
    const ids = STOCK_NOTETYPES.map((nt) => addStockNotetype(db, nt, clock.nowMs()));
    // The reference writes curModel as a local change (usn -1, mtime now); harmless on a
    // server, since sync never compares config rows.
    db.prepare("UPDATE config SET usn = -1, mtime_secs = ?, val = ? WHERE KEY = 'curModel'").run(
      Math.floor(clock.nowMs() / 1000),
      jsonBlob(ids[0]),
    );
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}

/** SQLite's companions of a database file; stale ones must not be applied to a new file. */
function sidecars(path: string): string[] {
  return [`${path}-wal`, `${path}-shm`, `${path}-journal`];
}

/**
 * Creates a brand-new collection at `path`, which must not exist yet.
 *
 * Atomic: the file is built under a temporary name in the same folder, fully checkpointed,
 * synced and then renamed into place, so a crash leaves either no collection or a complete
 * one, never half of one. Callers serialise creation per user (two concurrent creators would
 * both pass the existence check; the later rename would win with an equally valid file).
 */
export function createCollection(path: string, clock: Clock, tz: TimeZone = localTimeZone): void {
  if (existsSync(path)) {
    throw new Error(`collection already exists: ${path}`);
  }
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.creating`);
  try {
    const db = openCollection(tmp, { mustExist: false });
    try {
      buildCollection(db, clock, tz);
    } catch (err) {
      db.close();
      throw err;
    }
    // Everything into the main file, so the renamed file is complete on its own.
    checkpointAndClose(db);
    fsyncPath(tmp);
    // A WAL left behind by a deleted collection would be replayed into the new file.
    for (const stale of sidecars(path)) rmSync(stale, { force: true });
    renameSync(tmp, path);
  } finally {
    for (const leftover of [tmp, ...sidecars(tmp)]) rmSync(leftover, { force: true });
  }
  // Make the rename itself durable.
  fsyncDir(dirname(path));
}
