// Decks ⇄ legacy JSON (docs/protocol/collection-sync.md §7.2): the spec examples, C2, D34, names, "today"
// counters, percent ⇄ fraction, and the reference's accept/default/reject rules.
// Test ids such as C2 name the behaviours listed in docs/protocol/behaviours.md.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { createCollection } from '../../../../src/server/collection/create.ts';
import { deckFromLegacy, deckToLegacy, humanDeckName, nativeDeckName } from '../../../../src/server/collection/legacy/deck.ts';
import { LegacyConversionError } from '../../../../src/server/collection/legacy/errors.ts';
import {
  f32,
  jsonBytes,
  parseJson,
  stringifyJson,
  type JsonObject,
  type JsonValue,
} from '../../../../src/server/collection/legacy/json.ts';
import { openCollection } from '../../../../src/server/collection/open.ts';
import { Deck_CommonSchema, Deck_KindContainerSchema } from '../../../../src/server/collection/proto/gen/decks_pb.js';
import { fixedClock, tempDir } from '../support.ts';
import { readDecks } from './support.ts';

const NORMAL_EXAMPLE = `{"id": 1, "mod": 1755840000, "name": "Default", "usn": 41,
 "lrnToday": [412, 0], "revToday": [412, 35], "newToday": [412, 10], "timeToday": [412, 512345],
 "collapsed": true, "browserCollapsed": true, "desc": "", "dyn": 0,
 "conf": 1, "extendNew": 0, "extendRev": 0,
 "reviewLimit": null, "newLimit": null, "reviewLimitToday": null, "newLimitToday": null,
 "desiredRetention": null}`;

const FILTERED_EXAMPLE = `{"id": 1755840009999, "mod": 1755840009, "name": "Filtered Deck 1", "usn": 41,
 "lrnToday": [412, 0], "revToday": [412, 0], "newToday": [412, 0], "timeToday": [412, 0],
 "collapsed": true, "browserCollapsed": true, "desc": "", "dyn": 1,
 "resched": true, "terms": [["deck:French is:due", 100, 1], ["", 20, 6]],
 "separate": true, "delays": null, "previewDelay": 0,
 "previewAgainSecs": 60, "previewHardSecs": 600, "previewGoodSecs": 0}`;

const compact = (text: string): string => stringifyJson(parseJson(text));
const obj = (text: string): JsonObject => parseJson(text) as JsonObject;
const roundTrip = (v: JsonValue): JsonObject => deckToLegacy(deckFromLegacy(v));
const kindOf = (v: JsonValue) => fromBinary(Deck_KindContainerSchema, deckFromLegacy(v).kind).kind;
const commonOf = (v: JsonValue) => fromBinary(Deck_CommonSchema, deckFromLegacy(v).common);

function variant(text: string, change: (d: JsonObject) => void): JsonObject {
  const d = obj(text);
  change(d);
  return d;
}

test('the spec examples (§7.2), normal and filtered, convert to rows and back to the same JSON', () => {
  assert.equal(stringifyJson(roundTrip(parseJson(NORMAL_EXAMPLE))), compact(NORMAL_EXAMPLE));
  assert.equal(stringifyJson(roundTrip(parseJson(FILTERED_EXAMPLE))), compact(FILTERED_EXAMPLE));

  const normal = deckFromLegacy(parseJson(NORMAL_EXAMPLE));
  assert.deepEqual(
    { ...normal, common: undefined, kind: undefined },
    {
      id: 1,
      name: 'Default',
      mtime_secs: 1755840000,
      usn: 41,
      common: undefined,
      kind: undefined,
    },
  );
  const common = fromBinary(Deck_CommonSchema, normal.common);
  assert.deepEqual(
    [common.lastDayStudied, common.newStudied, common.reviewStudied, common.learningStudied, common.millisecondsStudied],
    [412, 10, 35, 0, 512345],
  );
  const filtered = kindOf(parseJson(FILTERED_EXAMPLE));
  assert.equal(filtered.case, 'filtered');
  assert.deepEqual(
    filtered.value?.searchTerms.map((s) => [s.search, s.limit, s.order]),
    [
      ['deck:French is:due', 100, 1],
      ['', 20, 6],
    ],
  );
});

test('the default deck of a new collection as legacy JSON', (t) => {
  const path = join(tempDir(t), 'collection.anki2');
  createCollection(path, fixedClock(1_755_000_000_000));
  const db = openCollection(path, { readonly: true });
  t.after(() => db.close());
  const [deck] = readDecks(db);
  assert.equal(
    stringifyJson(deckToLegacy(deck!)),
    '{"id":1,"mod":0,"name":"Default","usn":0,"lrnToday":[0,0],"revToday":[0,0],"newToday":[0,0],"timeToday":[0,0],' +
      '"collapsed":true,"browserCollapsed":true,"desc":"","dyn":0,"conf":1,"extendNew":0,"extendRev":0,"reviewLimit":null,' +
      '"newLimit":null,"reviewLimitToday":null,"newLimitToday":null,"desiredRetention":null}',
  );
});

test('D34: unknown keys are kept (after `dyn`, before the kind-specific keys); `return` is dropped', () => {
  const d = variant(NORMAL_EXAMPLE, (x) => {
    x.big = parseJson('-3419283748293849234');
    x.nested = parseJson('{"a":[1.50,null]}');
    x.return = false;
  });
  const out = stringifyJson(roundTrip(d));
  assert.match(out, /"dyn":0,"big":-3419283748293849234,"nested":\{"a":\[1\.50,null\]\},"conf":1,/);
  assert.doesNotMatch(out, /return/);
  // Keys of the other kind are unknown keys: a normal deck keeps a `terms` key...
  const n = variant(NORMAL_EXAMPLE, (x) => (x.terms = [['x', 1, 2]]));
  assert.match(stringifyJson(roundTrip(n)), /"dyn":0,"terms":\[\["x",1,2\]\],"conf":1,/);
  // ...but a filtered deck's `conf` is stored and then dropped on output (it is a reserved key).
  const f = variant(FILTERED_EXAMPLE, (x) => (x.conf = 5));
  assert.match(new TextDecoder().decode(fromBinary(Deck_CommonSchema, deckFromLegacy(f).common).other), /^\{"conf":5\}$/);
  assert.match(stringifyJson(roundTrip(f)), /"dyn":1,"resched":true/);
});

test('C2: reserved keys stored in `other` never reach the output', () => {
  const keySource = roundTrip(parseJson(NORMAL_EXAMPLE));
  const row = deckFromLegacy(parseJson(NORMAL_EXAMPLE));
  const common = fromBinary(Deck_CommonSchema, row.common);
  common.other = jsonBytes(keySource);
  const out = deckToLegacy({ ...row, common: toBinary(Deck_CommonSchema, common) });
  assert.equal(stringifyJson(out), stringifyJson(keySource));
});

test('names: `::` ⇄ U+001F, components normalised like the reference', () => {
  assert.equal(nativeDeckName('A::B::C'), 'A\u001fB\u001fC');
  assert.equal(nativeDeckName('  A : :: ::\u0007B\u0085 '), 'A\u001fblank\u001fB');
  assert.equal(nativeDeckName('Cafe\u0301'), 'Caf\u00e9');
  assert.equal(nativeDeckName('x\u001fy'), 'xy');
  assert.equal(nativeDeckName('\ufeffz'), '\ufeffz'); // U+FEFF is not White_Space in Rust
  assert.equal(humanDeckName('A\u001fB'), 'A::B');
  const row = deckFromLegacy(variant(NORMAL_EXAMPLE, (d) => (d.name = 'Lang:: French ::Verbs')));
  assert.equal(row.name, 'Lang\u001fFrench\u001fVerbs');
  assert.equal(deckToLegacy(row).name, 'Lang::French::Verbs');
});

test('today counters: one day for all, older amounts reset, time kept; lenient arrays', () => {
  const common = commonOf(
    variant(NORMAL_EXAMPLE, (d) => {
      d.lrnToday = [411, 7];
      d.revToday = [412, 3];
      d.newToday = [410, 2];
      d.timeToday = [409, 999];
    }),
  );
  assert.deepEqual(
    [common.lastDayStudied, common.learningStudied, common.reviewStudied, common.newStudied, common.millisecondsStudied],
    [412, 0, 3, 0, 999],
  );
  // The last element is the amount, the one before it the day; non-integers read as 0.
  const lenient = commonOf(
    variant(NORMAL_EXAMPLE, (d) => {
      d.lrnToday = [];
      d.revToday = [5];
      d.newToday = [1, 2, 3];
      d.timeToday = parseJson('["x", 1.5]');
    }),
  );
  assert.deepEqual(
    [lenient.lastDayStudied, lenient.learningStudied, lenient.reviewStudied, lenient.newStudied, lenient.millisecondsStudied],
    [2, 0, 0, 3, 0],
  );
  assert.throws(() => deckFromLegacy(variant(NORMAL_EXAMPLE, (d) => (d.lrnToday = 5))), LegacyConversionError);
  const out = roundTrip(variant(NORMAL_EXAMPLE, (d) => (d.lrnToday = [411, 7])));
  assert.deepEqual(out.lrnToday, [412, 0]);
});

test('normal-deck fields: limits, day limits, extend, markdown, desired retention in percent', () => {
  const d = variant(NORMAL_EXAMPLE, (x) => {
    x.reviewLimit = 100;
    x.newLimit = 0;
    x.reviewLimitToday = parseJson('{"limit":5,"today":412}');
    x.newLimitToday = [7, 412];
    x.extendNew = -4;
    x.extendRev = 9;
    x.md = true;
    x.desc = 'hello';
    x.desiredRetention = 87;
  });
  const kind = kindOf(d);
  assert.equal(kind.case, 'normal');
  const n = kind.value!;
  assert.equal(n.desiredRetention, f32(f32(87) / 100));
  assert.deepEqual([n.extendNew, n.extendReview, n.newLimit, n.reviewLimit], [0, 9, 0, 100]);
  const out = roundTrip(d);
  assert.deepEqual(
    [out.reviewLimit, out.newLimit, out.reviewLimitToday, out.newLimitToday, out.extendNew, out.md, out.desc, out.desiredRetention],
    [100, 0, { limit: 5, today: 412 }, { limit: 7, today: 412 }, 0, true, 'hello', 87],
  );
  // Invalid optional values are treated as absent.
  const lenient = kindOf(
    variant(NORMAL_EXAMPLE, (x) => {
      x.reviewLimit = '5';
      x.newLimitToday = parseJson('{"limit":5}');
      x.desiredRetention = parseJson('0.9');
      x.extendNew = 'x';
    }),
  ).value as { reviewLimit?: number; newLimitToday?: unknown; desiredRetention?: number; extendNew: number };
  assert.deepEqual(
    [lenient.reviewLimit, lenient.newLimitToday, lenient.desiredRetention, lenient.extendNew],
    [undefined, undefined, undefined, 0],
  );
  // md false is not sent at all.
  assert.equal('md' in roundTrip(parseJson(NORMAL_EXAMPLE)), false);
});

test('desired retention: percent → f32 fraction → percent follows f32 arithmetic for every percent', () => {
  for (let p = 0; p <= 100; p++) {
    const out = roundTrip(variant(NORMAL_EXAMPLE, (x) => (x.desiredRetention = p)));
    const expected = Math.trunc(f32(f32(f32(p) / 100) * 100));
    assert.equal(out.desiredRetention, expected, String(p));
  }
});

test('filtered-deck fields', () => {
  const d = variant(FILTERED_EXAMPLE, (x) => {
    x.resched = '0';
    x.terms = parseJson('[["a", "50", 3], {"search":"b","limit":-3,"order":2}]');
    x.delays = parseJson('[1.5, 10]');
    x.previewDelay = 3;
    x.separate = false;
  });
  const kind = kindOf(d);
  assert.equal(kind.case, 'filtered');
  const f = kind.value!;
  assert.equal(f.reschedule, false);
  assert.deepEqual(
    f.searchTerms.map((s) => [s.search, s.limit, s.order]),
    [
      ['a', 50, 3],
      ['b', 0, 2],
    ],
  );
  const out = stringifyJson(roundTrip(d));
  assert.match(out, /"resched":false,"terms":\[\["a",50,3\],\["b",0,2\]\],"separate":true,"delays":\[1\.5,10\.0\],"previewDelay":3,/);
  assert.match(stringifyJson(roundTrip(variant(FILTERED_EXAMPLE, (x) => (x.delays = 'bad')))), /"delays":null/);
  // Filtered decks send an empty description and no `md`, whatever came in.
  const withDesc = roundTrip(variant(FILTERED_EXAMPLE, (x) => ((x.desc = 'text'), (x.md = true))));
  assert.equal(withDesc.desc, '');
  assert.equal('md' in withDesc, false);
});

test('`dyn` selects the kind like the reference', () => {
  assert.equal(kindOf(variant(FILTERED_EXAMPLE, (x) => (x.dyn = true))).case, 'filtered');
  assert.equal(kindOf(variant(NORMAL_EXAMPLE, (x) => (x.dyn = false))).case, 'normal');
  assert.equal(kindOf(variant(NORMAL_EXAMPLE, (x) => (x.dyn = 2))).case, 'normal');
  for (const dyn of [parseJson('1.0'), '1', null, -1, 300]) {
    assert.throws(() => deckFromLegacy(variant(FILTERED_EXAMPLE, (x) => (x.dyn = dyn))), LegacyConversionError, String(dyn));
  }
  assert.throws(() => deckFromLegacy(variant(NORMAL_EXAMPLE, (x) => delete x.dyn)), LegacyConversionError);
});

test('input: rejected like the reference rejects it', () => {
  const rejects: [string, string, (d: JsonObject) => void][] = [
    ['no conf', NORMAL_EXAMPLE, (d) => delete d.conf],
    ['no collapsed', NORMAL_EXAMPLE, (d) => delete d.collapsed],
    ['no timeToday', NORMAL_EXAMPLE, (d) => delete d.timeToday],
    ['usn as string', NORMAL_EXAMPLE, (d) => (d.usn = '41')],
    ['desc null', NORMAL_EXAMPLE, (d) => (d.desc = null)],
    ['no terms', FILTERED_EXAMPLE, (d) => delete d.terms],
    ['term with 4 elements', FILTERED_EXAMPLE, (d) => (d.terms = [['a', 1, 2, 3]])],
    ['resched 2', FILTERED_EXAMPLE, (d) => (d.resched = 2)],
    ['previewDelay -1', FILTERED_EXAMPLE, (d) => (d.previewDelay = -1)],
    ['no name', NORMAL_EXAMPLE, (d) => delete d.name],
  ];
  for (const [what, text, change] of rejects) {
    assert.throws(() => deckFromLegacy(variant(text, change)), LegacyConversionError, what);
  }
  // ids and mod may be numeric strings; mod may be absent.
  const row = deckFromLegacy(variant(NORMAL_EXAMPLE, (d) => ((d.id = '77'), delete d.mod, (d.conf = '3'))));
  assert.deepEqual([row.id, row.mtime_secs], [77, 0]);
});

test('a stored deck without a kind cannot be sent', () => {
  const row = deckFromLegacy(parseJson(NORMAL_EXAMPLE));
  assert.throws(
    () => deckToLegacy({ ...row, kind: toBinary(Deck_KindContainerSchema, create(Deck_KindContainerSchema)) }),
    LegacyConversionError,
  );
});
