// A brand-new server collection (docs/protocol/schema.md §7), checked row by row.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import type Database from 'better-sqlite3';
import { createCollection, creationTimeSecs, defaultDeckConfig, fixedTimeZone } from '../../../src/server/collection/create.ts';
import { checkpointAndClose, openCollection } from '../../../src/server/collection/open.ts';
import { DeckConfig_ConfigSchema } from '../../../src/server/collection/proto/gen/deck_config_pb.js';
import { Deck_CommonSchema, Deck_KindContainerSchema } from '../../../src/server/collection/proto/gen/decks_pb.js';
import {
  Notetype_Config_CardRequirement_Kind as ReqKind,
  Notetype_Config_Kind as NotetypeKind,
  Notetype_ConfigSchema,
  Notetype_Field_ConfigSchema,
  Notetype_Template_ConfigSchema,
} from '../../../src/server/collection/proto/gen/notetypes_pb.js';
import { SCHEMA18_TABLES } from '../../../src/server/collection/schema.ts';
import { fixedClock, tempDir } from './support.ts';

// 2026-03-10T10:00:00.123Z; in UTC+10 that is 20:00 local, so crt = 2026-03-10T04:00+10:00.
const NOW_MS = Date.UTC(2026, 2, 10, 10, 0, 0, 123);
const UTC_PLUS_10 = fixedTimeZone(-600);
const EXPECTED_CRT = Date.UTC(2026, 2, 9, 18, 0, 0) / 1000;

function newCollection(t: TestContext): { db: Database.Database; dir: string; path: string } {
  const dir = tempDir(t);
  const path = join(dir, 'collection.anki2');
  createCollection(path, fixedClock(NOW_MS), UTC_PLUS_10);
  const db = openCollection(path, { readonly: true });
  t.after(() => db.open && db.close());
  return { db, dir, path };
}

test('the col row: mod=0, usn=0, ver=18, crt at 04:00 local, scm = creation time, empty text columns', (t) => {
  const { db } = newCollection(t);
  assert.deepEqual(db.prepare('SELECT * FROM col').all(), [
    {
      id: 1,
      crt: EXPECTED_CRT,
      mod: 0,
      scm: NOW_MS,
      ver: 18,
      dty: 0,
      usn: 0,
      ls: 0,
      conf: '',
      models: '',
      decks: '',
      dconf: '',
      tags: '',
    },
  ]);
});

test('every schema-18 table exists and only the default rows are present (no cards)', (t) => {
  const { db } = newCollection(t);
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all();
  assert.deepEqual([...tables].sort(), [...SCHEMA18_TABLES].sort());
  for (const table of ['notes', 'cards', 'revlog', 'graves', 'tags']) {
    assert.equal(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get(), 0, table);
  }
});

test('deck 1 "Default" uses deck config 1 and is collapsed', (t) => {
  const { db } = newCollection(t);
  const decks = db.prepare('SELECT * FROM decks').all() as {
    id: number;
    name: string;
    mtime_secs: number;
    usn: number;
    common: Buffer;
    kind: Buffer;
  }[];
  assert.equal(decks.length, 1);
  const [deck] = decks;
  assert.ok(deck);
  assert.deepEqual([deck.id, deck.name, deck.mtime_secs, deck.usn], [1, 'Default', 0, 0]);
  const common = fromBinary(Deck_CommonSchema, deck.common);
  assert.equal(common.studyCollapsed, true);
  assert.equal(common.browserCollapsed, true);
  // The exact reference encodings (docs/protocol/behaviours.md D32).
  assert.equal(deck.common.toString('hex'), '08011001');
  assert.equal(deck.kind.toString('hex'), '0a020801');
  const kind = fromBinary(Deck_KindContainerSchema, deck.kind);
  assert.equal(kind.kind.case, 'normal');
  assert.equal(kind.kind.value?.configId, 1n);
});

test('deck config 1 "Default" holds the defaults of §5.6', (t) => {
  const { db } = newCollection(t);
  const rows = db.prepare('SELECT id, name, mtime_secs, usn, config FROM deck_config').all() as {
    id: number;
    name: string;
    mtime_secs: number;
    usn: number;
    config: Buffer;
  }[];
  assert.equal(rows.length, 1);
  const [row] = rows;
  assert.ok(row);
  assert.deepEqual([row.id, row.name, row.mtime_secs, row.usn], [1, 'Default', 0, 0]);
  const config = fromBinary(DeckConfig_ConfigSchema, row.config);
  assert.deepEqual(config.learnSteps, [1, 10]);
  assert.deepEqual(config.relearnSteps, [10]);
  assert.equal(config.waitForAudio, true);
  assert.deepEqual(config.easyDaysPercentages, [1, 1, 1, 1, 1, 1, 1]);
  assert.equal(config.newPerDay, 20);
  assert.equal(config.reviewsPerDay, 200);
  assert.equal(config.initialEase, 2.5);
  // Byte-identical to what the official server stores (prost and protobuf-es both write
  // fields in number order).
  assert.equal(
    row.config.toString('hex'),
    '0a080000803f00002041120400002041221c0000803f0000803f0000803f0000803f0000803f0000803f0000803f' +
      '481450c8015d00002040656666a63f6d9a99993f7d0000803f8001949d02880101900101980104a80101b00108' +
      'c0013cad026666663fc5026666663fe00201',
  );
  assert.equal(defaultDeckConfig().leechThreshold, 8);
});

interface NotetypeRow {
  id: number;
  name: string;
  mtime_secs: number;
  usn: number;
  config: Buffer;
}

test('six stock notetypes with the reference fields, templates, kinds and card requirements', (t) => {
  const { db } = newCollection(t);
  const notetypes = db.prepare('SELECT * FROM notetypes ORDER BY id').all() as NotetypeRow[];
  const fieldNames = db.prepare('SELECT name FROM fields WHERE ntid = ? ORDER BY ord').pluck();
  const templateNames = db.prepare('SELECT name FROM templates WHERE ntid = ? ORDER BY ord').pluck();
  const summary = notetypes.map((nt) => {
    const config = fromBinary(Notetype_ConfigSchema, nt.config);
    return {
      name: nt.name,
      kind: config.kind,
      stock: config.originalStockKind,
      fields: fieldNames.all(nt.id),
      templates: templateNames.all(nt.id),
      reqs: config.reqs.map((r) => [r.cardOrd, r.kind, r.fieldOrds]),
    };
  });
  const { NORMAL, CLOZE } = NotetypeKind;
  const { ANY, ALL } = ReqKind;
  assert.deepEqual(summary, [
    { name: 'Basic', kind: NORMAL, stock: 1, fields: ['Front', 'Back'], templates: ['Card 1'], reqs: [[0, ANY, [0]]] },
    {
      name: 'Basic (and reversed card)',
      kind: NORMAL,
      stock: 2,
      fields: ['Front', 'Back'],
      templates: ['Card 1', 'Card 2'],
      reqs: [
        [0, ANY, [0]],
        [1, ANY, [1]],
      ],
    },
    {
      name: 'Basic (optional reversed card)',
      kind: NORMAL,
      stock: 3,
      fields: ['Front', 'Back', 'Add Reverse'],
      templates: ['Card 1', 'Card 2'],
      reqs: [
        [0, ANY, [0]],
        [1, ALL, [1, 2]],
      ],
    },
    {
      name: 'Basic (type in the answer)',
      kind: NORMAL,
      stock: 4,
      fields: ['Front', 'Back'],
      templates: ['Card 1'],
      reqs: [[0, ANY, [0, 1]]],
    },
    { name: 'Cloze', kind: CLOZE, stock: 5, fields: ['Text', 'Back Extra'], templates: ['Cloze'], reqs: [[0, ANY, [0]]] },
    {
      name: 'Image Occlusion',
      kind: CLOZE,
      stock: 6,
      fields: ['Occlusion', 'Image', 'Header', 'Back Extra', 'Comments'],
      templates: ['Image Occlusion'],
      reqs: [[0, ANY, [0, 1, 2]]],
    },
  ]);
  // Ids: the creation time in ms, +1 for each later one created in the same millisecond.
  assert.deepEqual(
    notetypes.map((nt) => nt.id),
    [0, 1, 2, 3, 4, 5].map((i) => NOW_MS + i),
  );
  assert.ok(notetypes.every((nt) => nt.mtime_secs === 0 && nt.usn === 0));
  for (const nt of notetypes) {
    const config = fromBinary(Notetype_ConfigSchema, nt.config);
    assert.equal(config.sortFieldIdx, 0);
    assert.equal(config.latexPost, '\\end{document}');
    assert.ok(config.latexPre.startsWith('\\documentclass[12pt]{article}\n'));
    assert.ok(config.css.includes('background-color: white;'));
    assert.equal(config.originalId, undefined);
    assert.equal(config.other.length, 0);
  }
});

test('fields and templates: Arial 20, cloze tags, random 64-bit ids, mtime/usn 0', (t) => {
  const { db } = newCollection(t);
  const fields = (
    db.prepare('SELECT ntid, ord, name, config FROM fields ORDER BY ntid, ord').all() as {
      name: string;
      config: Buffer;
    }[]
  ).map((f) => ({ name: f.name, ...fromBinary(Notetype_Field_ConfigSchema, f.config) }));
  assert.equal(fields.length, 16);
  assert.ok(fields.every((f) => f.fontName === 'Arial' && f.fontSize === 20 && !f.sticky && !f.rtl));
  const ids = fields.map((f) => f.id);
  assert.ok(ids.every((id) => typeof id === 'bigint'));
  const cloze = fields.slice(9, 11).map((f) => [f.name, f.tag, f.preventDeletion]);
  assert.deepEqual(cloze, [
    ['Text', 0, true],
    ['Back Extra', 1, false],
  ]);
  const io = fields.slice(11).map((f) => [f.name, f.tag, f.preventDeletion]);
  assert.deepEqual(io, [
    ['Occlusion', 0, true],
    ['Image', 1, true],
    ['Header', 2, true],
    ['Back Extra', 3, true],
    ['Comments', 4, false],
  ]);
  assert.ok(fields.slice(0, 9).every((f) => f.tag === undefined && !f.preventDeletion));

  const templates = db.prepare('SELECT name, mtime_secs, usn, config FROM templates ORDER BY ntid, ord').all() as {
    name: string;
    mtime_secs: number;
    usn: number;
    config: Buffer;
  }[];
  assert.equal(templates.length, 8);
  assert.ok(templates.every((tm) => tm.mtime_secs === 0 && tm.usn === 0));
  const decoded = templates.map((tm) => fromBinary(Notetype_Template_ConfigSchema, tm.config));
  assert.deepEqual([decoded[0]?.qFormat, decoded[0]?.aFormat], ['{{Front}}', '{{FrontSide}}\n\n<hr id=answer>\n\n{{Back}}']);
  assert.ok(decoded.every((c) => c.qFormatBrowser === '' && c.aFormatBrowser === '' && c.targetDeckId === 0n));
  const allIds = [...ids, ...decoded.map((c) => c.id)];
  assert.equal(new Set(allIds).size, allIds.length, 'ids are unique');
});

test('config rows hold the reference JSON values as UTF-8 BLOBs; curModel points at Basic', (t) => {
  const { db } = newCollection(t);
  const rows = db.prepare('SELECT KEY AS key, usn, mtime_secs, val FROM config ORDER BY KEY').all() as {
    key: string;
    usn: number;
    mtime_secs: number;
    val: Buffer;
  }[];
  assert.ok(
    rows.every((r) => Buffer.isBuffer(r.val)),
    'values are BLOBs',
  );
  const basicId = db.prepare("SELECT id FROM notetypes WHERE name = 'Basic'").pluck().get();
  assert.deepEqual(
    rows.map((r) => [r.key, r.val.toString('utf8'), r.usn, r.mtime_secs]),
    [
      ['activeDecks', '[1]', 0, 0],
      ['addToCur', 'true', 0, 0],
      ['collapseTime', '1200', 0, 0],
      ['creationOffset', 'null', 0, 0],
      ['curDeck', '1', 0, 0],
      ['curModel', String(basicId), -1, Math.floor(NOW_MS / 1000)],
      ['dayLearnFirst', 'false', 0, 0],
      ['dueCounts', 'true', 0, 0],
      ['estTimes', 'true', 0, 0],
      ['newSpread', '0', 0, 0],
      ['nextPos', '1', 0, 0],
      ['sched2021', 'true', 0, 0],
      ['schedVer', '2', 0, 0],
      ['sortBackwards', 'false', 0, 0],
      ['sortType', '"noteFld"', 0, 0],
      ['timeLim', '0', 0, 0],
    ],
  );
});

test('integrity_check is ok, unicase indexes answer case-insensitively, and ANALYZE ran like the reference', (t) => {
  const { db } = newCollection(t);
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  assert.equal(db.prepare("SELECT name FROM notetypes WHERE name = 'BASIC'").pluck().get(), 'Basic');
  assert.equal(db.prepare("SELECT id FROM decks WHERE name = 'default'").pluck().get(), 1);
  const stat1 = db.prepare('SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx').all();
  assert.deepEqual(stat1, [
    { tbl: 'cards', idx: 'idx_cards_odid', stat: '0 0' },
    { tbl: 'col', idx: null, stat: '1' },
    { tbl: 'config', idx: 'config', stat: '16 1' },
  ]);
});

test('the file is complete on its own: no -wal/-shm/temp files, WAL mode in the header, 4 KiB pages', (t) => {
  const { dir, path, db } = newCollection(t);
  db.close();
  assert.deepEqual(readdirSync(dir), ['collection.anki2']);
  const header = readFileSync(path);
  assert.deepEqual([...header.subarray(18, 20)], [2, 2]);
  assert.equal(header.readUInt16BE(16), 4096);
});

test('creation refuses to overwrite an existing collection', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'collection.anki2');
  writeFileSync(path, 'precious');
  assert.throws(() => createCollection(path, fixedClock(NOW_MS), UTC_PLUS_10), /already exists/);
  assert.equal(readFileSync(path, 'utf8'), 'precious');
  assert.deepEqual(readdirSync(dir), ['collection.anki2']);
});

test('a failure half-way leaves no collection and no temp files behind', (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'collection.anki2');
  let calls = 0;
  const failingClock = {
    nowMs(): number {
      calls += 1;
      if (calls > 3) throw new Error('clock exploded');
      return NOW_MS;
    },
  };
  assert.throws(() => createCollection(path, failingClock, UTC_PLUS_10), /clock exploded/);
  assert.ok(calls > 3, 'failed inside the transaction');
  assert.deepEqual(readdirSync(dir), []);
});

test('a stale WAL next to a missing collection is discarded, not replayed into the new file', (t) => {
  const dir = tempDir(t);
  const old = join(dir, 'old.anki2');
  // Make a real WAL full of another database's pages, then put it where the new file will go.
  const other = openCollection(old, { mustExist: false });
  other.exec("CREATE TABLE intruder (x); INSERT INTO intruder VALUES ('boo')");
  const wal = readFileSync(`${old}-wal`);
  other.close();
  const path = join(dir, 'collection.anki2');
  writeFileSync(`${path}-wal`, wal);
  createCollection(path, fixedClock(NOW_MS), UTC_PLUS_10);
  const db = openCollection(path, { readonly: true });
  t.after(() => db.open && db.close());
  assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'intruder'").pluck().get(), 0);
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  checkpointAndClose(db);
  assert.equal(existsSync(`${path}-wal`), false);
});

test('crt is today 04:00 local, or yesterday 04:00 before 04:00 (reference v1_creation_date)', () => {
  const at = (iso: string): number => Date.parse(iso);
  const secs = (iso: string): number => Date.parse(iso) / 1000;
  // UTC+10: 20:00 local → same day 04:00 local.
  assert.equal(creationTimeSecs(at('2026-03-10T10:00:00Z'), UTC_PLUS_10), secs('2026-03-09T18:00:00Z'));
  // UTC+10: 03:30 local on the 11th → 04:00 on the 10th.
  assert.equal(creationTimeSecs(at('2026-03-10T17:30:00Z'), UTC_PLUS_10), secs('2026-03-09T18:00:00Z'));
  // Exactly 04:00 local counts as today.
  assert.equal(creationTimeSecs(at('2026-03-10T18:00:00Z'), UTC_PLUS_10), secs('2026-03-10T18:00:00Z'));
  // UTC-5 (minutes west +300): 23:59 local on the 9th → 04:00 local on the 9th.
  const utcMinus5 = fixedTimeZone(300);
  assert.equal(creationTimeSecs(at('2026-03-10T04:59:00Z'), utcMinus5), secs('2026-03-09T09:00:00Z'));
  // UTC: 00:00:00.999 → yesterday; milliseconds are truncated like TimestampSecs::now().
  assert.equal(creationTimeSecs(at('2026-01-01T00:00:00.999Z'), fixedTimeZone(0)), secs('2025-12-31T04:00:00Z'));
});
