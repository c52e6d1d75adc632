// Schema 11 ⇄ 18 for clients older than 2.1.57 (sync protocol 8–10; docs/protocol/schema.md §6):
// upgradeCollectionFile (their full uploads) and writeSchema11Copy (their full downloads), judged
// against the real Anki library on real files:
// - the files are made at run time by test/server/collection/legacy-schema-fixtures.py, with the
//   library of Anki 2.1.50 (a protocol-10 client: it uploads schema 11 and needs schema-11
//   downloads) and the current library in the repository's .venv (anki 26.9.3);
// - "the reference" is what the current library itself makes of the same file: its upgrade when
//   it opens an older file, its downgrade when it closes a file as schema 11.
//
// The 2.1.50 library lives in its own venv: HEARTH_ANKI_2150_PYTHON names its python, by default
// .venv-2.1.50/bin/python under the repository root. Without it these tests FAIL (they are the
// only check that a legacy client can use what we send it). `bash scripts/setup.sh --tests` makes
// it, or by hand:
//   python3.11 -m venv .venv-2.1.50 && .venv-2.1.50/bin/pip install anki==2.1.50
// (anki 2.1.50 has wheels for Python 3.9–3.11 only).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fromBinary, toBinary, toJson, type DescMessage } from '@bufbuild/protobuf';
import Database from 'better-sqlite3';
import { writeSchema11Copy } from '../../../src/server/collection/downgrade.ts';
import { upgradeCollectionFile } from '../../../src/server/collection/upgrade.ts';
import { checkpointAndClose, openCollection } from '../../../src/server/collection/open.ts';
import { SCHEMA18_DOWNGRADE } from '../../../src/server/collection/schema.ts';
import { deckConfigToLegacy, type DeckConfigRow } from '../../../src/server/collection/legacy/deck-config.ts';
import {
  isJsonObject,
  jsonBytes,
  parseJson,
  parseJsonBytes,
  stringifyJson,
  type JsonObject,
} from '../../../src/server/collection/legacy/json.ts';
import { allLegacyObjects } from '../../../src/server/collection/legacy/objects.ts';
import { DeckConfig_ConfigSchema } from '../../../src/server/collection/proto/gen/deck_config_pb.js';
import { Deck_CommonSchema, Deck_KindContainerSchema } from '../../../src/server/collection/proto/gen/decks_pb.js';
import {
  Notetype_ConfigSchema,
  Notetype_Field_ConfigSchema,
  Notetype_Template_ConfigSchema,
} from '../../../src/server/collection/proto/gen/notetypes_pb.js';
import { fixedClock, PROJECT_ROOT, VENV_PYTHON } from './support.ts';

const PYTHON_2150 = process.env.HEARTH_ANKI_2150_PYTHON ?? join(PROJECT_ROOT, '.venv-2.1.50', 'bin', 'python');
const FIXTURES = join(import.meta.dirname, 'legacy-schema-fixtures.py');
const PYTHON_TIMEOUT_MS = 120_000;
const TEST_TIMEOUT_MS = 600_000;

function requireLibraries(): void {
  if (!existsSync(PYTHON_2150)) {
    assert.fail(
      `the anki 2.1.50 library is needed at ${PYTHON_2150} (set HEARTH_ANKI_2150_PYTHON to use another): ` +
        'make it with bash scripts/setup.sh --tests, or python3.11 -m venv .venv-2.1.50 && .venv-2.1.50/bin/pip install anki==2.1.50',
    );
  }
  if (!existsSync(VENV_PYTHON)) assert.fail(`the current anki library is needed at ${VENV_PYTHON} (bash scripts/setup.sh --tests)`);
}

/** Runs a command of the fixtures script; a command that writes a report has it parsed. */
async function fixtures(python: string, args: readonly string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile(python, [FIXTURES, ...args], { timeout: PYTHON_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`${FIXTURES} ${args.join(' ')} failed (timeout ${PYTHON_TIMEOUT_MS} ms): ${err.message}\n${stderr}`));
      else resolve();
    });
  });
}

async function report<T>(python: string, command: string, path: string): Promise<T> {
  const out = `${path}.${command}.json`;
  await fixtures(python, [command, path, out]);
  return JSON.parse(readFileSync(out, 'utf8')) as T;
}

// --- the files, made once and shared by the tests -----------------------------------------------

const WORK = mkdtempSync(join(tmpdir(), 'hearth-legacy-schema-'));
after(() => rmSync(WORK, { recursive: true, force: true }));

let counter = 0;
/** A copy of `path` under a new name (the libraries add a .media folder next to each file they open). */
function copy(path: string, name: string): string {
  const to = join(WORK, `${++counter}-${name}.anki2`);
  copyFileSync(path, to);
  return to;
}

const once = <T>(make: () => Promise<T>): (() => Promise<T>) => {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
};

/** What a 2.1.50 client uploads: schema 11, rollback journal, usns cleared. */
const uploadFrom2150 = once(async () => {
  const path = join(WORK, 'upload-2.1.50.anki2');
  await fixtures(PYTHON_2150, ['make', path, 'upload']);
  return path;
});

/** A schema-18 collection as a server keeps it, made by the current library. */
const storedCollection = once(async () => {
  const path = join(WORK, 'stored-26.9.3.anki2');
  await fixtures(VENV_PYTHON, ['make', path, 'stored']);
  return path;
});

async function referenceUpgrade(path: string, name: string, server = false): Promise<string> {
  const out = copy(path, name);
  await fixtures(VENV_PYTHON, server ? ['reference-upgrade', out, 'server'] : ['reference-upgrade', out]);
  return out;
}

async function referenceDowngrade(path: string, name: string): Promise<string> {
  const out = copy(path, name);
  await fixtures(VENV_PYTHON, ['reference-downgrade', out]);
  return out;
}

function ours(upgradeFrom: string, name: string, nowMs = Date.now()): string {
  const out = copy(upgradeFrom, name);
  upgradeCollectionFile(out, fixedClock(nowMs));
  return out;
}

// --- reading files for comparison -----------------------------------------------------------------

type Row = Record<string, unknown>;

/** A protobuf blob as plain JSON, its `other` (unknown legacy keys, a JSON object) parsed: key order is not content. */
function decode(schema: DescMessage, blob: Uint8Array): unknown {
  const msg = fromBinary(schema, blob) as unknown as { other?: Uint8Array };
  let other: unknown;
  if (msg.other instanceof Uint8Array) {
    other = msg.other.length === 0 ? {} : parseJsonBytes(msg.other);
    msg.other = new Uint8Array();
  }
  return { ...(toJson(schema, msg as never) as object), other };
}

function rows(db: Database.Database, sql: string, map: (r: Row) => Row = (r) => r): Row[] {
  return (db.prepare(sql).all() as Row[]).map(map);
}

/** SQLite's catalogue, statistics and the tables both schemas share. */
function commonParts(db: Database.Database): Record<string, Row[]> {
  return {
    master: rows(db, 'SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid'),
    stat1: rows(db, 'SELECT * FROM sqlite_stat1 ORDER BY tbl, idx'),
    stat4: rows(db, 'SELECT * FROM sqlite_stat4 ORDER BY tbl, idx, sample'),
    notes: rows(db, 'SELECT * FROM notes ORDER BY id'),
    cards: rows(db, 'SELECT * FROM cards ORDER BY id'),
    revlog: rows(db, 'SELECT * FROM revlog ORDER BY id'),
    graves: rows(db, 'SELECT oid, type, usn FROM graves ORDER BY oid, type, usn'),
  };
}

interface Snapshot18 extends Record<string, unknown> {
  col: Row;
  notetypes: Row[];
  fields: Row[];
  templates: Row[];
  decks: Row[];
  deckConfigs: Row[];
  tags: Row[];
  config: Row[];
  cards: Row[];
}

/** Everything in a schema-18 file, blobs decoded. Opened as Hearth opens collections (unicase). */
function snapshot18(path: string): Snapshot18 {
  const db = openCollection(path, { readonly: true });
  try {
    return {
      ...commonParts(db),
      col: db.prepare('SELECT * FROM col').get() as Row,
      notetypes: rows(db, 'SELECT * FROM notetypes ORDER BY id', (r) => ({
        ...r,
        config: decode(Notetype_ConfigSchema, r.config as Uint8Array),
      })),
      fields: rows(db, 'SELECT * FROM fields ORDER BY ntid, ord', (r) => ({
        ...r,
        config: decode(Notetype_Field_ConfigSchema, r.config as Uint8Array),
      })),
      templates: rows(db, 'SELECT * FROM templates ORDER BY ntid, ord', (r) => ({
        ...r,
        config: decode(Notetype_Template_ConfigSchema, r.config as Uint8Array),
      })),
      decks: rows(db, 'SELECT * FROM decks ORDER BY id', (r) => ({
        ...r,
        common: decode(Deck_CommonSchema, r.common as Uint8Array),
        kind: decode(Deck_KindContainerSchema, r.kind as Uint8Array),
      })),
      deckConfigs: rows(db, 'SELECT * FROM deck_config ORDER BY id', (r) => ({
        ...r,
        config: decode(DeckConfig_ConfigSchema, r.config as Uint8Array),
      })),
      tags: rows(db, 'SELECT * FROM tags ORDER BY tag'),
      // The stored text too: the reference prints config values in a canonical form.
      config: rows(db, 'SELECT * FROM config ORDER BY KEY', (r) => ({ ...r, val: Buffer.from(r.val as Uint8Array).toString('utf8') })),
    } as Snapshot18;
  } finally {
    db.close();
  }
}

const COL_JSON_COLUMNS = ['conf', 'models', 'decks', 'dconf', 'tags'] as const;

/**
 * Everything in a schema-11 file, the `col` row's JSON maps parsed losslessly (key order is not
 * content; numbers keep their literal form). A plain connection: schema 11 needs no unicase.
 */
function snapshot11(path: string): Record<string, unknown> & { col: Row } {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const col = db.prepare('SELECT * FROM col').get() as Row;
    for (const column of COL_JSON_COLUMNS) col[column] = parseJson(col[column] as string);
    return { ...commonParts(db), col };
  } finally {
    db.close();
  }
}

function header(path: string): number[] {
  return [...readFileSync(path).subarray(18, 20)];
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function integrityWithUnicase(path: string): string {
  const db = openCollection(path, { readonly: true });
  try {
    return db.pragma('integrity_check', { simple: true }) as string;
  } finally {
    db.close();
  }
}

const byId = (list: Row[]): Map<string, Row> => new Map(list.map((r) => [String(r.id), r]));

// --- upgrade ----------------------------------------------------------------------------------------

test(
  "a 2.1.50 client's schema-11 upload becomes the schema-18 file the current library makes of it, in WAL mode, checkpointed",
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    requireLibraries();
    const upload = await uploadFrom2150();
    assert.equal(snapshot11(upload).col.ver, 11);
    assert.deepEqual(header(upload), [1, 1]);

    const mine = ours(upload, 'upgraded');
    const [reference, referenceAsServer] = await Promise.all([
      referenceUpgrade(upload, 'reference-upgraded'),
      referenceUpgrade(upload, 'reference-upgraded-server', true),
    ]);

    // Kept as Hearth keeps collections: WAL in the header, nothing left in a -wal file.
    assert.deepEqual(header(mine), [2, 2]);
    assert.equal(existsSync(`${mine}-wal`), false);
    assert.equal(integrityWithUnicase(mine), 'ok');
    const got = snapshot18(mine);
    assert.equal(got.col.ver, 18);

    // The reference upgrading as a server writes usns as we do: identical in every table, the
    // catalogue and the statistics included.
    assert.deepEqual(got, snapshot18(referenceAsServer));

    // The reference's upload path (server = false) differs only in the usn of the cards the
    // low-ease fix touched: −1 there, the collection's usn here.
    const want = snapshot18(reference);
    const colUsn = got.col.usn as number;
    const fixed = got.cards.filter((card, i) => card.usn !== want.cards[i]!.usn);
    assert.deepEqual(
      fixed.map((card) => want.cards.find((c) => c.id === card.id)!.usn),
      fixed.map(() => -1),
    );
    assert.deepEqual({ ...got, cards: [] }, { ...want, cards: [] });
    assert.deepEqual(
      got.cards.map((c) => ({ ...c, usn: null })),
      want.cards.map((c) => ({ ...c, usn: null })),
    );
    for (const card of fixed) assert.equal(card.usn, colUsn);

    // The fixture reaches that fix: the low-ease options are back at 2.5, and their cards with a
    // factor of 2000 or less (one of them through a filtered deck, by odid) now have 2500.
    const uploaded = snapshot11(upload);
    const before = byId(uploaded.cards as Row[]);
    const lowEase = got.deckConfigs.find((c) => c.name === 'Low ease')!;
    assert.equal((lowEase.config as { initialEase: number }).initialEase, 2.5);
    assert.ok(fixed.length >= 2, 'the low-ease fix touched cards');
    assert.ok(
      fixed.some((c) => c.odid !== 0),
      'a card in a filtered deck, whose home deck uses the options',
    );
    for (const card of fixed) {
      const old = before.get(String(card.id))!;
      assert.ok((old.factor as number) > 0 && (old.factor as number) <= 2000);
      assert.equal(card.factor, 2500);
    }
    assert.ok(
      got.cards.some((c) => c.factor === 2100),
      'a factor above 2000 is left alone',
    );
  },
);

test(
  'an upgraded 2.1.50 upload opens in the current library, and Check Database finds no more to fix than in the reference upgrade',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    requireLibraries();
    const upload = await uploadFrom2150();
    const mine = ours(upload, 'checked');
    const reference = await referenceUpgrade(upload, 'checked-reference', true);
    type Check = { problems: string[]; integrity: string };
    const [got, want] = await Promise.all([report<Check>(VENV_PYTHON, 'check', mine), report<Check>(VENV_PYTHON, 'check', reference)]);
    assert.equal(got.integrity, 'ok');
    assert.deepEqual(got.problems, want.problems);
    // The only thing found: review cards without the "last review" time the current library
    // keeps in card data, which 2.1.50 never wrote. Any file from 2.1.50 gets this.
    for (const problem of got.problems) assert.match(problem, /last review time/);
  },
);

/**
 * A 2.1.50 upload edited where the client could have left older data: names that normalise
 * differently (a deck renamed on the way), field and template names equal under unicase, a deck
 * option group whose inner id differs from its key, config values in a non-canonical form, and
 * repeated deletions.
 */
function unusualUpload(upload: string): string {
  const path = copy(upload, 'unusual-upload');
  const db = new Database(path);
  try {
    const col = db.prepare('SELECT conf, models, decks, dconf FROM col').get() as Record<string, string>;
    const decks = parseJson(col.decks!) as JsonObject;
    for (const deck of Object.values(decks) as JsonObject[]) {
      if (deck.name === 'Geography') deck.name = 'Ge\u0301ographie'; // NFD: stored as "Géographie"
      if (deck.name === 'Languages::French::Verbs') deck.name = 'Languages::French:: Verbs ';
    }
    const models = parseJson(col.models!) as JsonObject;
    for (const model of Object.values(models) as JsonObject[]) {
      if (model.name !== 'Vocab') continue;
      model.name = 'Vocabulaire e\u0301tendu';
      const [, , notes] = model.flds as JsonObject[];
      notes!.name = 'front'; // equal to "Front" under unicase: becomes "front+"
      const [, reverse] = model.tmpls as JsonObject[];
      reverse!.name = 'CARD 1';
    }
    const dconf = parseJson(col.dconf!) as JsonObject;
    const intense = Object.values(dconf).find((c) => isJsonObject(c) && c.name === 'Intense') as JsonObject;
    dconf['42'] = { ...intense, id: 41, name: 'Inner id differs' };
    // Unsorted keys, float literals in several spellings, integers past u64/i64, non-ASCII keys.
    const conf = col
      .conf!.replace(/\}$/, ',"hearthOdd":{"zeta":[1,2.50,1E3,-0,1.0e-7,5e-324,18446744073709551615,18446744073709551616,')
      .concat('-9223372036854775809,123456789012345678901234567890],"alpha":{"y":1,"x":2},"Émile":"é","Zed":"😀","émile":0}}');
    db.prepare('UPDATE col SET conf = ?, models = ?, decks = ?, dconf = ?').run(
      conf,
      stringifyJson(models),
      stringifyJson(decks),
      stringifyJson(dconf),
    );
    db.exec('INSERT INTO graves (usn, oid, type) VALUES (0, 5, 1), (0, 5, 1), (0, 5, 2)');
  } finally {
    db.close();
  }
  return path;
}

test(
  'an upload with names to normalise, unicase-equal field and template names and non-canonical config upgrades like the reference',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    requireLibraries();
    const upload = unusualUpload(await uploadFrom2150());
    const started = Math.floor(Date.now() / 1000);
    const mine = ours(upload, 'unusual-upgraded');
    const [reference, referenceAsServer] = await Promise.all([
      referenceUpgrade(upload, 'unusual-reference'),
      referenceUpgrade(upload, 'unusual-reference-server', true),
    ]);
    const finished = Math.floor(Date.now() / 1000);
    const got = snapshot18(mine);
    const colUsn = got.col.usn as number;

    // The renamed decks were marked modified (now, the collection's usn); the reference does the
    // same at its own "now". Everything else is identical, down to each config value's text.
    const renamed = got.decks.filter((d) => d.name === 'Géographie' || d.name === 'Languages\u001fFrench\u001fVerbs');
    assert.equal(renamed.length, 2);
    const asServer = snapshot18(referenceAsServer);
    for (const deck of [...renamed, ...asServer.decks.filter((d) => renamed.some((r) => r.id === d.id))]) {
      assert.ok((deck.mtime_secs as number) >= started && (deck.mtime_secs as number) <= finished, `mtime of ${String(deck.name)}`);
    }
    const sameTime = (s: Snapshot18): Snapshot18 => ({
      ...s,
      decks: s.decks.map((d) => (renamed.some((r) => r.id === d.id) ? { ...d, mtime_secs: 0 } : d)),
    });
    assert.deepEqual(sameTime(got), sameTime(asServer));
    for (const deck of renamed) assert.equal(deck.usn, colUsn);

    // The upload path of the reference gave those decks (and the low-ease cards) usn −1.
    const want = snapshot18(reference);
    const wantDecks = byId(want.decks);
    for (const deck of renamed) assert.equal(wantDecks.get(String(deck.id))!.usn, -1);

    const vocab = got.notetypes.find((n) => n.name === 'Vocabulaire étendu')!;
    assert.deepEqual(
      got.fields.filter((f) => f.ntid === vocab.id).map((f) => f.name),
      ['Front', 'Back', 'front+'],
    );
    assert.deepEqual(
      got.templates.filter((f) => f.ntid === vocab.id).map((f) => f.name),
      ['Card 1', 'CARD 1+'],
    );
    assert.equal(got.deckConfigs.find((c) => c.id === 42)?.name, 'Inner id differs');
    assert.deepEqual(
      (got.graves as Row[]).filter((g) => g.oid === 5),
      [
        { oid: 5, type: 1, usn: 0 },
        { oid: 5, type: 2, usn: 0 },
      ],
    );
    const odd = got.config.find((c) => c.KEY === 'hearthOdd')!;
    assert.equal(
      odd.val,
      '{"Zed":"😀","alpha":{"x":2,"y":1},"zeta":[1,2.5,1000.0,-0.0,1e-7,5e-324,18446744073709551615,1.8446744073709552e19,' +
        '-9.223372036854776e18,1.2345678901234568e29],"Émile":"é","émile":0}',
    );
  },
);

/**
 * The stored collection as a file of an older schema (17, 16, 15 or 14) would hold it, built by
 * undoing the reference's upgrade steps one by one (docs/protocol/schema.md §6). Deck options are
 * written as stored, not validated, so the low initial ease of the source survives to schema 15.
 */
function olderSchema(source: string, ver: number): string {
  const path = copy(source, `schema-${ver}`);
  const db = openCollection(path);
  db.exec('BEGIN EXCLUSIVE');
  if (ver <= 14) {
    const { models, decks } = allLegacyObjects(db);
    const map = (objects: JsonObject[]): JsonObject => Object.fromEntries(objects.map((o) => [String(o.id), o]));
    db.prepare('UPDATE col SET models = ?, decks = ?').run(stringifyJson(map(models)), stringifyJson(map(decks)));
    const setConfig = db.prepare('UPDATE deck_config SET config = ? WHERE id = ?');
    for (const row of db.prepare('SELECT * FROM deck_config').all() as DeckConfigRow[]) {
      setConfig.run(jsonBytes(deckConfigToLegacy(row, { validate: false })), row.id);
    }
    db.exec('DROP TABLE fields; DROP TABLE templates; DROP TABLE notetypes; DROP TABLE decks');
    db.exec('DROP INDEX idx_notes_mid; DROP INDEX idx_cards_odid');
  } else if (ver <= 15) {
    // Schema 15 stored the initial ease × 100.
    const setConfig = db.prepare('UPDATE deck_config SET config = ? WHERE id = ?');
    for (const row of db.prepare('SELECT id, config FROM deck_config').all() as DeckConfigRow[]) {
      const config = fromBinary(DeckConfig_ConfigSchema, row.config);
      config.initialEase = Math.fround(config.initialEase * 100);
      setConfig.run(toBinary(DeckConfig_ConfigSchema, config), row.id);
    }
  }
  if (ver <= 16) {
    const tags = db.prepare('SELECT tag, usn FROM tags').all() as { tag: string; usn: number }[];
    db.exec('DROP TABLE tags; CREATE TABLE tags (tag text NOT NULL PRIMARY KEY COLLATE unicase, usn integer NOT NULL) without rowid');
    const insert = db.prepare('INSERT INTO tags (tag, usn) VALUES (?, ?)');
    for (const { tag, usn } of tags) insert.run(tag, usn);
  }
  db.exec(SCHEMA18_DOWNGRADE);
  db.prepare('UPDATE col SET ver = ?').run(ver);
  db.exec('COMMIT');
  checkpointAndClose(db);
  return path;
}

test('files of schema 17, 16, 15 and 14 upgrade like the reference upgrades them', { timeout: TEST_TIMEOUT_MS }, async () => {
  requireLibraries();
  const stored = await storedCollection();
  for (const ver of [17, 16, 15, 14]) {
    const older = olderSchema(stored, ver);
    const mine = ours(older, `schema-${ver}-upgraded`);
    const [reference, referenceAsServer] = await Promise.all([
      referenceUpgrade(older, `schema-${ver}-reference`),
      referenceUpgrade(older, `schema-${ver}-reference-server`, true),
    ]);
    const got = snapshot18(mine);
    assert.equal(got.col.ver, 18);
    assert.deepEqual(got, snapshot18(referenceAsServer), `schema ${ver}`);
    // From 15 down, the options with the low ease are reset and their cards fixed (usn −1 in the
    // reference's upload path, the collection's usn here).
    const want = snapshot18(reference);
    const fixed = got.cards.filter((card, i) => card.usn !== want.cards[i]!.usn);
    assert.equal(fixed.length > 0, ver <= 15, `schema ${ver}: cards fixed`);
    for (const card of fixed) {
      assert.equal(card.usn, got.col.usn);
      assert.equal(want.cards.find((c) => c.id === card.id)!.usn, -1);
    }
    assert.deepEqual(
      got.cards.map((c) => ({ ...c, usn: null })),
      want.cards.map((c) => ({ ...c, usn: null })),
    );
    assert.deepEqual({ ...got, cards: [] }, { ...want, cards: [] }, `schema ${ver}`);
  }
});

test('upgradeCollectionFile refuses schema 18, 12, 13 and anything below 11, and leaves those files unchanged', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-legacy-refuse-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const ver of [18, 13, 12, 10, 19]) {
    const path = join(dir, `v${ver}.anki2`);
    const db = new Database(path);
    db.exec(`CREATE TABLE col (ver integer); INSERT INTO col VALUES (${ver})`);
    db.close();
    assert.throws(() => upgradeCollectionFile(path), new RegExp(`schema ${ver}`));
    const check = new Database(path, { readonly: true });
    assert.equal(check.prepare('SELECT ver FROM col').pluck().get(), ver);
    check.close();
  }
});

test(
  'duplicate names in an upload (unicase) get the suffixes of the reference, a notetype with id 0 a random id, renamed decks the collection usn',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    requireLibraries();
    // The reference walks a hash map here, so which of two equal names keeps it is random there
    // (and depends on our reading order here). Checked without the reference for that reason.
    const path = copy(await uploadFrom2150(), 'duplicates');
    const db = new Database(path);
    const col = db.prepare('SELECT models, decks FROM col').get() as Record<string, string>;
    const models = parseJson(col.models!) as JsonObject;
    const basic = Object.values(models).find((m) => isJsonObject(m) && m.name === 'Basic') as JsonObject;
    models['0'] = { ...basic, id: 0, name: 'BASIC' };
    const decks = parseJson(col.decks!) as JsonObject;
    const geography = Object.values(decks).find((d) => isJsonObject(d) && d.name === 'Geography') as JsonObject;
    decks['9999999999999'] = { ...geography, id: 9999999999999, name: 'GEOGRAPHY' };
    db.prepare('UPDATE col SET usn = 9, models = ?, decks = ?').run(stringifyJson(models), stringifyJson(decks));
    db.close();

    const now = Date.UTC(2030, 0, 1);
    upgradeCollectionFile(path, fixedClock(now));
    const got = snapshot18(path);
    const names = got.notetypes.map((n) => String(n.name)).filter((n) => /^basic_?$/i.test(n));
    assert.ok(['BASIC|Basic_', 'BASIC_|Basic'].includes([...names].sort().join('|')), names.join(', '));
    const copied = got.notetypes.find((n) => n.name === 'BASIC' || n.name === 'BASIC_')!;
    assert.ok((copied.id as number) >= 1 && (copied.id as number) < 2 ** 32, `random id ${String(copied.id)}`);
    assert.equal(got.fields.filter((f) => f.ntid === copied.id).length, 2);
    const pair = got.decks.filter((d) => /^geography_?$/i.test(String(d.name)));
    assert.equal(pair.length, 2);
    const suffixed = pair.find((d) => String(d.name).endsWith('_'))!;
    const kept = pair.find((d) => !String(d.name).endsWith('_'))!;
    assert.equal(suffixed.usn, 9);
    assert.equal(suffixed.mtime_secs, now / 1000);
    assert.notEqual(kept.mtime_secs, now / 1000);
    assert.equal(integrityWithUnicase(path), 'ok');
  },
);

// --- downgrade --------------------------------------------------------------------------------------

interface ClientView {
  ver: number;
  notetypes: JsonObject[];
  decks: JsonObject[];
  deck_configs: JsonObject[];
  tags: string[];
  config: Record<string, unknown>;
  notes: unknown[][];
  cards: unknown[][];
  revlog: unknown[][];
  graves: unknown[][];
}

interface DownloadReport {
  integrity: string;
  journal_mode: string;
  content: ClientView;
}

test(
  'the schema-11 copy is what the reference downgrade makes: same catalogue and rows, the same JSON maps in col, a rollback journal',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    requireLibraries();
    const stored = await storedCollection();
    const storedHash = sha256(stored);
    const mine = join(WORK, 'schema11-copy.anki2');
    writeSchema11Copy(stored, mine);
    const reference = await referenceDowngrade(stored, 'reference-downgraded');

    assert.equal(sha256(stored), storedHash, 'the stored collection is left alone');
    assert.deepEqual(header(mine), [1, 1]);
    for (const sidecar of ['-wal', '-shm', '-journal']) assert.equal(existsSync(mine + sidecar), false, sidecar);

    const got = snapshot11(mine);
    const want = snapshot11(reference);
    assert.equal(got.col.ver, 11);
    assert.deepEqual(got, want);
    // Ids are 64-bit: field and template ids survive exactly.
    assert.match(readFileSync(mine).toString('latin1'), /"id":-?\d{17,19}[,}]/);
  },
);

test(
  'Anki 2.1.50 takes the schema-11 copy as a full download (integrity and journal mode without unicase) and sees the same collection as from the reference',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    requireLibraries();
    const stored = await storedCollection();
    const mine = join(WORK, 'download-mine.anki2');
    writeSchema11Copy(stored, mine);
    const reference = await referenceDowngrade(stored, 'download-reference');

    const [got, want, source] = await Promise.all([
      report<DownloadReport>(PYTHON_2150, 'client-download', mine),
      report<DownloadReport>(PYTHON_2150, 'client-download', reference),
      report<ClientView>(VENV_PYTHON, 'dump', copy(stored, 'source-view')),
    ]);
    assert.equal(got.integrity, 'ok');
    assert.equal(got.journal_mode, 'delete');
    assert.equal(got.content.ver, 18, 'the client upgraded the file to its own schema');
    assert.deepEqual(got.content, want.content);

    // Against the source as the current library sees it: the same rows, objects and config. The
    // 2.1.50 client keeps the newer keys it does not know and shows them back unchanged.
    const view = got.content;
    for (const key of ['notes', 'cards', 'revlog', 'graves', 'tags'] as const) assert.deepEqual(view[key], source[key], key);
    assert.deepEqual(view.config, source.config);
    assert.deepEqual(view.notetypes, source.notetypes);
    assert.deepEqual(view.decks, source.decks);
    assert.deepEqual(view.deck_configs, source.deck_configs);
  },
);

test('writeSchema11Copy refuses a target that exists and a source with a write-ahead log, and leaves nothing behind on failure', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-legacy-copy-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const source = join(dir, 'source.anki2');
  const target = join(dir, 'target.anki2');
  // Not a schema-18 collection: fails inside, after the copy was made.
  const db = new Database(source);
  db.exec('CREATE TABLE col (ver integer); INSERT INTO col VALUES (11)');
  db.close();
  assert.throws(() => writeSchema11Copy(source, target), /schema 11/);
  assert.deepEqual(
    ['', '-wal', '-shm', '-journal'].filter((s) => existsSync(target + s)),
    [],
  );
  writeFileSync(target, 'x');
  assert.throws(() => writeSchema11Copy(source, target), /EEXIST/);
  assert.equal(readFileSync(target, 'utf8'), 'x');
  rmSync(target);
  writeFileSync(`${source}-wal`, 'pending');
  assert.throws(() => writeSchema11Copy(source, target), /write-ahead log/);
  assert.equal(existsSync(target), false);
});

// --- round trip -------------------------------------------------------------------------------------

test(
  'downgrade then upgrade gives back the notetypes, decks, options, tags, config, notes and cards, as the reference round trip does',
  { timeout: TEST_TIMEOUT_MS },
  async () => {
    requireLibraries();
    const stored = await storedCollection();
    const down = join(WORK, 'round-trip.anki2');
    writeSchema11Copy(stored, down);
    const mine = ours(down, 'round-trip-upgraded');
    const referenceRoundTrip = await referenceUpgrade(await referenceDowngrade(stored, 'round-trip-reference'), 'round-trip-reference-up');

    const got = snapshot18(mine);
    // What the reference does to its own collection when it serves a legacy download (it
    // downgrades it in place and upgrades it on the next open): identical.
    assert.deepEqual(got, snapshot18(referenceRoundTrip));

    // Against the source, the differences the reference has too (docs/protocol/schema.md §6):
    // every tag comes back collapsed without its config, config rows have usn 0 and mtime 0,
    // deck options out of range come back as the values validation on read gives (docs/protocol/schema.md
    // §5.6: the initial ease of 1.3 as 2.5), and the statistics are those of the upgrade's ANALYZE.
    const stored18 = snapshot18(stored);
    const source: Snapshot18 = {
      ...stored18,
      deckConfigs: stored18.deckConfigs.map((c) =>
        c.name === 'Low ease' ? { ...c, config: { ...(c.config as object), initialEase: 2.5 } } : c,
      ),
    };
    assert.deepEqual(
      got.tags,
      source.tags.map((t) => ({ ...t, collapsed: 1, config: null })),
    );
    assert.deepEqual(
      got.config.map((c) => ({ ...c, val: parseJson(c.val as string) })),
      source.config.map((c) => ({ ...c, usn: 0, mtime_secs: 0, val: parseJson(c.val as string) })),
    );
    const rest = (s: Snapshot18): Record<string, unknown> => ({ ...s, tags: [], config: [], stat1: [], stat4: [], master: [] });
    assert.deepEqual(rest(got), rest(source));
    const catalogue = (s: Snapshot18): unknown[] => [...(s.master as Row[])].sort((a, b) => String(a.name).localeCompare(String(b.name)));
    assert.deepEqual(catalogue(got), catalogue(source));
  },
);
