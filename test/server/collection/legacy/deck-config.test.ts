// Deck configs ⇄ legacy JSON (docs/protocol/collection-sync.md §7.3, docs/protocol/schema.md §5.6): C2, C3, D33–D36, D39,
// validation on read and the reference's accept/default/reject rules.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { createCollection } from '../../../../src/server/collection/create.ts';
import { deckConfigFromLegacy, deckConfigToLegacy, newIntervals } from '../../../../src/server/collection/legacy/deck-config.ts';
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
import { DeckConfig_ConfigSchema, type DeckConfig_Config } from '../../../../src/server/collection/proto/gen/deck_config_pb.js';
import { fixedClock, tempDir } from '../support.ts';
import { readDeckConfigs } from './support.ts';

/** docs/protocol/collection-sync.md §7.3, verbatim. */
const SPEC_EXAMPLE = `{"id": 1, "mod": 0, "name": "Default", "usn": 0,
 "maxTaken": 60, "autoplay": true, "timer": 0, "replayq": true,
 "new":   {"bury": false, "delays": [1.0, 10.0], "initialFactor": 2500, "ints": [1, 4, 0], "order": 1, "perDay": 20},
 "rev":   {"bury": false, "ease4": 1.3, "ivlFct": 1.0, "maxIvl": 36500, "perDay": 200, "hardFactor": 1.2},
 "lapse": {"delays": [10.0], "leechAction": 1, "leechFails": 8, "minInt": 1, "mult": 0.0},
 "dyn": false,
 "newMix": 0, "newPerDayMinimum": 0, "interdayLearningMix": 0, "reviewOrder": 0,
 "newSortOrder": 0, "newGatherPriority": 0, "buryInterdayLearning": false,
 "fsrsWeights": [], "fsrsParams5": [], "fsrsParams6": [],
 "desiredRetention": 0.9, "ignoreRevlogsBeforeDate": "",
 "easyDaysPercentages": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
 "stopTimerOnAnswer": false, "secondsToShowQuestion": 0.0, "secondsToShowAnswer": 0.0,
 "questionAction": 0, "answerAction": 0, "waitForAudio": true,
 "sm2Retention": 0.9, "weightSearch": ""}`;

/** docs/protocol/behaviours.md D33: one valid encoding of the default deck config. */
const D33 =
  '0a080000803f00002041120400002041481450c8015d00002040656666a63f6d9a99993f7d0000803f8001949d02' +
  '880101900101980104a80101b00108c0013ce00201ad026666663f221c0000803f0000803f0000803f0000803f00' +
  '00803f0000803f0000803fc5026666663f';

const compact = (text: string): string => stringifyJson(parseJson(text));
const obj = (text: string): JsonObject => parseJson(text) as JsonObject;
const configOf = (v: JsonValue): DeckConfig_Config => fromBinary(DeckConfig_ConfigSchema, deckConfigFromLegacy(v).config);
const roundTrip = (v: JsonValue): JsonObject => deckConfigToLegacy(deckConfigFromLegacy(v));
const defaultRow = (config: Uint8Array) => ({ id: 1, name: 'Default', mtime_secs: 0, usn: 0, config });

function variant(change: (c: JsonObject) => void): JsonObject {
  const c = obj(SPEC_EXAMPLE);
  change(c);
  return c;
}
const sub = (c: JsonObject, key: 'new' | 'rev' | 'lapse'): JsonObject => c[key] as JsonObject;

test('D33: the default deck config blob gives exactly the JSON of docs/protocol/collection-sync.md §7.3', () => {
  const out = deckConfigToLegacy(defaultRow(Uint8Array.from(Buffer.from(D33, 'hex'))));
  assert.equal(stringifyJson(out), compact(SPEC_EXAMPLE));
});

test('the default deck config of a new collection gives the same JSON, and the example converts back to it', (t) => {
  const path = join(tempDir(t), 'collection.anki2');
  createCollection(path, fixedClock(1_755_000_000_000));
  const db = openCollection(path, { readonly: true });
  t.after(() => db.close());
  const [row] = readDeckConfigs(db);
  assert.equal(stringifyJson(deckConfigToLegacy(row!)), compact(SPEC_EXAMPLE));
  assert.equal(stringifyJson(roundTrip(parseJson(SPEC_EXAMPLE))), compact(SPEC_EXAMPLE));
  const parsed = configOf(parseJson(SPEC_EXAMPLE));
  const stored = fromBinary(DeckConfig_ConfigSchema, row!.config);
  assert.deepEqual(toBinary(DeckConfig_ConfigSchema, parsed), toBinary(DeckConfig_ConfigSchema, stored));
});

test('D35: initialFactor 2300 → 2.3 as f32 → 2300 (f32 arithmetic; f64 would give 2299)', () => {
  const c = variant((x) => (sub(x, 'new').initialFactor = 2300));
  assert.equal(configOf(c).initialEase, f32(2.3));
  assert.equal(Math.trunc(f32(2.3) * 1000), 2299); // what f64 maths would send
  assert.equal(sub(roundTrip(c), 'new').initialFactor, 2300);
  // Every factor goes through exactly the reference's f32 steps. Not every one survives: 4015
  // comes back as 4014 in the reference too (checked against the real client in client.test.ts).
  let changed = 0;
  for (let factor = 1310; factor <= 5000; factor++) {
    const back = sub(roundTrip(variant((x) => (sub(x, 'new').initialFactor = factor))), 'new').initialFactor;
    assert.equal(back, Math.trunc(f32(f32(f32(factor) / 1000) * 1000)), String(factor));
    if (back !== factor) changed++;
  }
  assert.equal(sub(roundTrip(variant((x) => (sub(x, 'new').initialFactor = 4015))), 'new').initialFactor, 4014);
  assert.ok(changed > 0 && changed < 200, `changed ${changed}`);
});

test('D36: new.order is inverted between JSON and proto', () => {
  const random = variant((x) => (sub(x, 'new').order = 0));
  assert.equal(configOf(random).newCardInsertOrder, 1);
  assert.equal(sub(roundTrip(random), 'new').order, 0);
  assert.equal(configOf(parseJson(SPEC_EXAMPLE)).newCardInsertOrder, 0);
  assert.equal(configOf(variant((x) => (sub(x, 'new').order = 7))).newCardInsertOrder, 0); // invalid → due
  // An unknown proto value is sent as due.
  const row = deckConfigFromLegacy(parseJson(SPEC_EXAMPLE));
  const config = fromBinary(DeckConfig_ConfigSchema, row.config);
  (config as { newCardInsertOrder: number }).newCardInsertOrder = 5;
  assert.equal(sub(deckConfigToLegacy({ ...row, config: toBinary(DeckConfig_ConfigSchema, config) }), 'new').order, 1);
});

test('C3: new.ints parsing', () => {
  const ints = (v: JsonValue): [number, number] => newIntervals(v, 'ints');
  assert.deepEqual(ints([2, 4, 6]), [2, 4]);
  assert.deepEqual(ints([3, 9]), [3, 9]);
  assert.deepEqual(ints([4]), [1, 4]);
  assert.deepEqual(ints([-5, 4, 3]), [1, 4]);
  assert.deepEqual(ints('x'), [1, 4]);
  const c = configOf(variant((x) => (sub(x, 'new').ints = [3, 9])));
  assert.deepEqual([c.graduatingIntervalGood, c.graduatingIntervalEasy], [3, 9]);
  assert.deepEqual(sub(roundTrip(variant((x) => (sub(x, 'new').ints = [3, 9]))), 'new').ints, [3, 9, 0]);
});

test('D39: a sub-object missing a required key (or invalid) falls back to its defaults as a whole', () => {
  const c = configOf(
    variant((x) => {
      const n = sub(x, 'new');
      delete n.initialFactor;
      n.perDay = 99;
      n.delays = [2, 3];
      n.extra = 1; // lost with the rest of the sub-object
    }),
  );
  assert.deepEqual(c.learnSteps, [1, 10]);
  assert.equal(c.initialEase, 2.5);
  assert.equal(c.newPerDay, 20);
  assert.deepEqual([c.graduatingIntervalGood, c.graduatingIntervalEasy, c.newCardInsertOrder], [1, 4, 0]);
  assert.equal(c.other.length, 0);

  const rev = configOf(variant((x) => ((sub(x, 'rev').maxIvl = -1), (sub(x, 'rev').perDay = 5))));
  assert.deepEqual(
    [rev.reviewsPerDay, rev.maximumReviewInterval, rev.easyMultiplier, rev.hardMultiplier],
    [200, 36500, f32(1.3), f32(1.2)],
  );
  const lapse = configOf(variant((x) => ((x.lapse = 5), (sub(x, 'new').perDay = 7))));
  assert.deepEqual([lapse.relearnSteps, lapse.leechAction, lapse.leechThreshold, lapse.minimumLapseInterval], [[10], 1, 8, 1]);
  assert.equal(lapse.newPerDay, 7);
  // Keys whose own invalid values default without touching the rest of the sub-object.
  const inner = configOf(
    variant((x) => {
      sub(x, 'new').delays = [1, 'x'];
      sub(x, 'new').perDay = -1;
      sub(x, 'lapse').leechAction = 7;
      sub(x, 'rev').perDay = parseJson('2.5');
    }),
  );
  assert.deepEqual([inner.learnSteps, inner.newPerDay, inner.leechAction, inner.reviewsPerDay, inner.initialEase], [[], 0, 1, 0, 2.5]);
});

test('D34: unknown keys at the top and inside new/rev/lapse are kept, int64 values exact', () => {
  const c = variant((x) => {
    x.topKey = parseJson('{"big":-3419283748293849234,"f":1.50}');
    sub(x, 'new').newKey = [1, 2];
    sub(x, 'rev').revKey = null;
    sub(x, 'lapse').lapseKey = 'x';
  });
  const stored = new TextDecoder().decode(configOf(c).other);
  assert.equal(
    stored,
    '{"topKey":{"big":-3419283748293849234,"f":1.50},"new":{"newKey":[1,2]},"rev":{"revKey":null},"lapse":{"lapseKey":"x"}}',
  );
  const out = stringifyJson(roundTrip(c));
  assert.match(out, /"perDay":20,"newKey":\[1,2\]\},"rev":/);
  assert.match(out, /"hardFactor":1\.2,"revKey":null\},"lapse":/);
  assert.match(out, /"mult":0\.0,"lapseKey":"x"\},"dyn":false/);
  assert.match(out, /"weightSearch":"","topKey":\{"big":-3419283748293849234,"f":1\.50\}\}$/);
});

test('C2: reserved keys stored in `other` never reach the output (top level, new, rev, lapse)', () => {
  const keySource = roundTrip(parseJson(SPEC_EXAMPLE));
  const row = deckConfigFromLegacy(parseJson(SPEC_EXAMPLE));
  const config = fromBinary(DeckConfig_ConfigSchema, row.config);
  config.other = jsonBytes(keySource);
  const out = deckConfigToLegacy({ ...row, config: toBinary(DeckConfig_ConfigSchema, config) });
  assert.equal(stringifyJson(out), stringifyJson(keySource));
});

test('validation on read: out-of-range or NaN values are sent as the defaults', () => {
  const row = deckConfigFromLegacy(parseJson(SPEC_EXAMPLE));
  const c = fromBinary(DeckConfig_ConfigSchema, row.config);
  Object.assign(c, {
    newPerDay: 10_000,
    reviewsPerDay: 9999, // in range: kept
    initialEase: 1.3, // below 1.31
    easyMultiplier: NaN,
    hardMultiplier: 1.3, // the bound itself is valid
    lapseMultiplier: 1.5,
    intervalMultiplier: 0.4,
    maximumReviewInterval: 0,
    minimumLapseInterval: 40_000,
    graduatingIntervalGood: 0,
    graduatingIntervalEasy: 36_501,
    leechThreshold: 0,
    capAnswerTimeToSecs: 0,
    desiredRetention: 0.995,
    historicalRetention: 0.5,
  });
  const bad = { ...row, config: toBinary(DeckConfig_ConfigSchema, c) };
  const out = deckConfigToLegacy(bad);
  const [n, r, l] = [sub(out, 'new'), sub(out, 'rev'), sub(out, 'lapse')];
  assert.deepEqual(
    [n.perDay, r.perDay, n.initialFactor, n.ints, l.leechFails, l.minInt, r.maxIvl, out.maxTaken],
    [20, 9999, 2500, [1, 4, 0], 8, 1, 36500, 60],
  );
  assert.equal(
    stringifyJson([r.ease4, r.hardFactor, l.mult, r.ivlFct, out.desiredRetention, out.sm2Retention] as JsonValue),
    '[1.3,1.3,0.0,1.0,0.9,0.9]',
  );
  // Without validation the stored values go out as they are.
  assert.equal(sub(deckConfigToLegacy(bad, { validate: false }), 'new').perDay, 10_000);
});

test('top-level keys: strict where the reference is strict, lenient where it is lenient', () => {
  const rejects: [string, (c: JsonObject) => void][] = [
    ['missing maxTaken', (c) => delete c.maxTaken],
    ['missing autoplay', (c) => delete c.autoplay],
    ['missing timer', (c) => delete c.timer],
    ['missing new', (c) => delete c.new],
    ['missing mod', (c) => delete c.mod],
    ['questionAction 2', (c) => (c.questionAction = 2)],
    ['answerAction 5', (c) => (c.answerAction = 5)],
    ['replayq null', (c) => (c.replayq = null)],
    ['newMix as float', (c) => (c.newMix = parseJson('1.0'))],
    ['fsrsParams6 with a string', (c) => (c.fsrsParams6 = [1, 'x'])],
    ['desiredRetention null', (c) => (c.desiredRetention = null)],
  ];
  for (const [what, change] of rejects) {
    assert.throws(() => deckConfigFromLegacy(variant(change)), LegacyConversionError, what);
  }
  const lenient = configOf(
    variant((c) => {
      c.id = '42';
      c.mod = '7';
      c.timer = 'x';
      c.dyn = 'whatever';
      c.maxTaken = -5;
      delete c.replayq;
      delete c.waitForAudio;
      delete c.desiredRetention;
      delete c.easyDaysPercentages;
      delete c.sm2Retention;
    }),
  );
  assert.deepEqual(
    [
      lenient.showTimer,
      lenient.capAnswerTimeToSecs,
      lenient.skipQuestionWhenReplayingAnswer,
      lenient.waitForAudio,
      lenient.desiredRetention,
      lenient.easyDaysPercentages,
      lenient.historicalRetention,
    ],
    [false, 0, true, true, 0, [], 0],
  );
  const row = deckConfigFromLegacy(variant((c) => ((c.id = '42'), (c.mod = '7'))));
  assert.deepEqual([row.id, row.mtime_secs], [42, 7]);
  assert.equal(configOf(variant((c) => (c.timer = 2))).showTimer, true);
  // Unknown enum numbers stored in the blob go out as the first variant.
  const stored = deckConfigFromLegacy(parseJson(SPEC_EXAMPLE));
  const c = fromBinary(DeckConfig_ConfigSchema, stored.config);
  Object.assign(c, { questionAction: 3, answerAction: 9, leechAction: 4 });
  const out = deckConfigToLegacy({ ...stored, config: toBinary(DeckConfig_ConfigSchema, c) });
  assert.deepEqual([out.questionAction, out.answerAction, sub(out, 'lapse').leechAction], [0, 0, 0]);
});

test('FSRS parameters, easy days and other f32 lists keep their f32 values and print shortest', () => {
  const params = [0.212, 1.2931, 2.3065, 8.2956, 6.4133, 0.8334, 3.0194, 0.001, 1.8722, 0.1666, 0.796, 1.4835, 0.0614];
  const c = variant((x) => {
    x.fsrsParams6 = params;
    x.fsrsWeights = [0.4, 0.6];
    x.easyDaysPercentages = [1, 0.5, 0];
    x.secondsToShowQuestion = 2.5;
    x.desiredRetention = 0.87;
  });
  const config = configOf(c);
  assert.deepEqual(config.fsrsParams6, params.map(f32));
  const out = stringifyJson(roundTrip(c));
  assert.match(
    out,
    /"fsrsWeights":\[0\.4,0\.6\],"fsrsParams5":\[\],"fsrsParams6":\[0\.212,1\.2931,2\.3065,8\.2956,6\.4133,0\.8334,3\.0194,0\.001,/,
  );
  assert.match(out, /"desiredRetention":0\.87,/);
  assert.match(out, /"easyDaysPercentages":\[1\.0,0\.5,0\.0\]/);
});
