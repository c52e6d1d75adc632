/**
 * Deck configs ("dconf", options groups) between schema-18 rows and the legacy JSON of normal
 * sync (docs/protocol/collection-sync.md §7.3, docs/protocol/schema.md §5.6). Mirrors the reference's
 * rslib/src/deckconfig/schema11.rs (serde + `From` impls) and the validation on read of
 * rslib/src/deckconfig/mod.rs (`ensure_deck_config_values_valid`). Wire names stay wire names.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { DeckConfig_ConfigSchema, type DeckConfig_Config } from '../proto/gen/deck_config_pb.js';
import { f32, isJsonObject, jsonF32, jsonInt, setKey, type JsonObject, type JsonValue } from './json.ts';
import type { DbInt } from './notetype.ts';
import { keySet, mergeOther, otherToBytes, parseOtherMap } from './other.ts';
import {
  array,
  bool,
  f32Reader,
  FieldReader,
  i32,
  i64FromString,
  object,
  orDefault,
  string,
  u16,
  u32,
  u8,
  u8Enum,
  type Reader,
} from './serde.ts';

/** A `deck_config` row. */
export interface DeckConfigRow {
  id: DbInt;
  name: string;
  mtime_secs: DbInt;
  usn: number;
  /** Protobuf `DeckConfig.Config`. */
  config: Uint8Array;
}

/** A legacy deck config object (docs/protocol/collection-sync.md §7.3); numbers per json.ts. */
export type LegacyDeckConfig = JsonObject;

// Reference: RESERVED_DECKCONF_KEYS / _NEW_KEYS / _REV_KEYS / _LAPSE_KEYS.
const RESERVED_KEYS = keySet(`
  id newSortOrder replayq newPerDayMinimum usn autoplay dyn maxTaken reviewOrder buryInterdayLearning
  newMix mod timer name interdayLearningMix newGatherPriority fsrsWeights fsrsParams5 fsrsParams6
  desiredRetention stopTimerOnAnswer secondsToShowQuestion secondsToShowAnswer questionAction
  answerAction waitForAudio sm2Retention weightSearch ignoreRevlogsBeforeDate easyDaysPercentages
`);
const RESERVED_NEW_KEYS = keySet('order delays bury perDay initialFactor ints');
const RESERVED_REV_KEYS = keySet('maxIvl hardFactor ease4 ivlFct perDay bury');
const RESERVED_LAPSE_KEYS = keySet('leechFails mult leechAction delays minInt');

/** Legacy `new.order`: 0 = random, 1 = due. Proto `new_card_insert_order`: 0 = DUE, 1 = RANDOM. */
const LEGACY_ORDER_RANDOM = 0;
const LEGACY_ORDER_DUE = 1;
const PROTO_ORDER_RANDOM = 1;
const PROTO_ORDER_DUE = 0;

// --- validation on read ----------------------------------------------------------------------

/**
 * The reference's `ensure_deck_config_values_valid`, applied whenever it loads a deck config
 * (so before sending one): a value outside its range, or NaN, becomes the default of a new
 * config (docs/protocol/schema.md §5.6). Bounds are f32 constants, compared as f32.
 */
export function ensureDeckConfigValuesValid(c: DeckConfig_Config): void {
  const u32Valid = (v: number, dflt: number, min: number, max: number): number => (v < min || v > max ? dflt : v);
  const f32Valid = (v: number, dflt: number, min: number, max: number): number =>
    Number.isNaN(v) || v < f32(min) || v > f32(max) ? f32(dflt) : v;
  c.newPerDay = u32Valid(c.newPerDay, 20, 0, 9999);
  c.reviewsPerDay = u32Valid(c.reviewsPerDay, 200, 0, 9999);
  c.newPerDayMinimum = u32Valid(c.newPerDayMinimum, 0, 0, 9999);
  c.initialEase = f32Valid(c.initialEase, 2.5, 1.31, 5.0);
  c.easyMultiplier = f32Valid(c.easyMultiplier, 1.3, 1.0, 5.0);
  c.hardMultiplier = f32Valid(c.hardMultiplier, 1.2, 0.5, 1.3);
  c.lapseMultiplier = f32Valid(c.lapseMultiplier, 0.0, 0.0, 1.0);
  c.intervalMultiplier = f32Valid(c.intervalMultiplier, 1.0, 0.5, 2.0);
  c.maximumReviewInterval = u32Valid(c.maximumReviewInterval, 36_500, 1, 36_500);
  c.minimumLapseInterval = u32Valid(c.minimumLapseInterval, 1, 1, 36_500);
  c.graduatingIntervalGood = u32Valid(c.graduatingIntervalGood, 1, 1, 36_500);
  c.graduatingIntervalEasy = u32Valid(c.graduatingIntervalEasy, 4, 1, 36_500);
  c.leechThreshold = u32Valid(c.leechThreshold, 8, 1, 9999);
  c.capAnswerTimeToSecs = u32Valid(c.capAnswerTimeToSecs, 60, 1, 9999);
  c.desiredRetention = f32Valid(c.desiredRetention, 0.9, 0.7, 0.99);
  c.historicalRetention = f32Valid(c.historicalRetention, 0.9, 0.7, 0.97);
}

// --- schema 18 → legacy ----------------------------------------------------------------------

/** Rust `as u16` of an f32 (saturating; NaN → 0). */
function f32AsU16(x: number): number {
  if (Number.isNaN(x) || x <= 0) return 0;
  return x >= 65_535 ? 65_535 : Math.trunc(x);
}

/** An unknown-key map stored under `key` in the top-level `other`, minus its reserved keys. */
function takeSubOther(top: JsonObject, key: string, reserved: ReadonlySet<string>): JsonObject {
  if (!Object.hasOwn(top, key)) return {};
  const value = top[key] as JsonValue;
  delete top[key];
  if (!isJsonObject(value)) return {};
  const out: JsonObject = {};
  for (const k of Object.keys(value)) if (!reserved.has(k)) setKey(out, k, value[k] as JsonValue);
  return out;
}

/**
 * A stored deck config as the legacy object the reference sends: validated on read first,
 * then converted. `validate: false` skips the validation (only for tests and diagnostics).
 */
export function deckConfigToLegacy(row: DeckConfigRow, opts: { validate?: boolean } = {}): LegacyDeckConfig {
  const c = fromBinary(DeckConfig_ConfigSchema, row.config);
  if (opts.validate ?? true) ensureDeckConfigValuesValid(c);

  // Unknown keys of `new`/`rev`/`lapse` were stored under those keys of the top-level `other`.
  const topOther = parseOtherMap(c.other);
  const newOther = takeSubOther(topOther, 'new', RESERVED_NEW_KEYS);
  const revOther = takeSubOther(topOther, 'rev', RESERVED_REV_KEYS);
  const lapseOther = takeSubOther(topOther, 'lapse', RESERVED_LAPSE_KEYS);
  for (const k of Object.keys(topOther)) if (RESERVED_KEYS.has(k)) delete topOther[k];

  const f32s = (xs: readonly number[]): JsonValue[] => xs.map(jsonF32);
  const newConf: JsonObject = {
    bury: c.buryNew,
    delays: f32s(c.learnSteps),
    // Factor in thousands, computed in f32 (2.3 → 2300, where f64 maths gives 2299).
    initialFactor: f32AsU16(f32(c.initialEase * 1000)),
    ints: [c.graduatingIntervalGood & 0xffff, c.graduatingIntervalEasy & 0xffff, 0],
    // Inverted numbering; an unknown proto value reads as DUE (prost's enum getter).
    order: c.newCardInsertOrder === PROTO_ORDER_RANDOM ? LEGACY_ORDER_RANDOM : LEGACY_ORDER_DUE,
    perDay: c.newPerDay,
  };
  mergeOther(newConf, newOther);
  const revConf: JsonObject = {
    bury: c.buryReviews,
    ease4: jsonF32(c.easyMultiplier),
    ivlFct: jsonF32(c.intervalMultiplier),
    maxIvl: c.maximumReviewInterval,
    perDay: c.reviewsPerDay,
    hardFactor: jsonF32(c.hardMultiplier),
  };
  mergeOther(revConf, revOther);
  const lapseConf: JsonObject = {
    delays: f32s(c.relearnSteps),
    leechAction: c.leechAction === 1 ? 1 : 0,
    leechFails: c.leechThreshold,
    minInt: c.minimumLapseInterval,
    mult: jsonF32(c.lapseMultiplier),
  };
  mergeOther(lapseConf, lapseOther);

  const out: JsonObject = {
    id: jsonInt(row.id),
    mod: jsonInt(row.mtime_secs),
    name: row.name,
    usn: row.usn,
    maxTaken: c.capAnswerTimeToSecs | 0, // `as i32`
    autoplay: !c.disableAutoplay,
    timer: c.showTimer ? 1 : 0,
    replayq: !c.skipQuestionWhenReplayingAnswer,
    new: newConf,
    rev: revConf,
    lapse: lapseConf,
    dyn: false,
    newMix: c.newMix,
    newPerDayMinimum: c.newPerDayMinimum,
    interdayLearningMix: c.interdayLearningMix,
    reviewOrder: c.reviewOrder,
    newSortOrder: c.newCardSortOrder,
    newGatherPriority: c.newCardGatherPriority,
    buryInterdayLearning: c.buryInterdayLearning,
    fsrsWeights: f32s(c.fsrsParams4),
    fsrsParams5: f32s(c.fsrsParams5),
    fsrsParams6: f32s(c.fsrsParams6),
    desiredRetention: jsonF32(c.desiredRetention),
    ignoreRevlogsBeforeDate: c.ignoreRevlogsBeforeDate,
    easyDaysPercentages: f32s(c.easyDaysPercentages),
    stopTimerOnAnswer: c.stopTimerOnAnswer,
    secondsToShowQuestion: jsonF32(c.secondsToShowQuestion),
    secondsToShowAnswer: jsonF32(c.secondsToShowAnswer),
    // Unknown enum numbers go out as the first variant.
    questionAction: c.questionAction === 1 ? 1 : 0,
    answerAction: c.answerAction >= 1 && c.answerAction <= 4 ? c.answerAction : 0,
    waitForAudio: c.waitForAudio,
    sm2Retention: jsonF32(c.historicalRetention),
    weightSearch: c.paramSearch,
  };
  mergeOther(out, topOther);
  return out;
}

// --- legacy → schema 18 ----------------------------------------------------------------------

interface NewConf {
  bury: boolean;
  delays: number[];
  initialFactor: number;
  good: number;
  easy: number;
  order: number;
  perDay: number;
  other: JsonObject;
}

interface RevConf {
  bury: boolean;
  ease4: number;
  ivlFct: number;
  maxIvl: number;
  perDay: number;
  hardFactor: number;
  other: JsonObject;
}

interface LapseConf {
  delays: number[];
  leechAction: number;
  leechFails: number;
  minInt: number;
  mult: number;
  other: JsonObject;
}

// Defaults of a whole sub-object (NewConfSchema11::default() etc.), used when any of its
// required keys is missing or invalid (docs/protocol/collection-sync.md §7.3; docs/protocol/behaviours.md D39). Its unknown keys
// are lost then, as in the reference.
const defaultNew = (): NewConf => ({
  bury: false,
  delays: [1, 10],
  initialFactor: 2500,
  good: 1,
  easy: 4,
  order: LEGACY_ORDER_DUE,
  perDay: 20,
  other: {},
});
const defaultRev = (): RevConf => ({
  bury: false,
  ease4: f32(1.3),
  ivlFct: 1,
  maxIvl: 36_500,
  perDay: 200,
  hardFactor: f32(1.2),
  other: {},
});
const defaultLapse = (): LapseConf => ({ delays: [10], leechAction: 1, leechFails: 8, minInt: 1, mult: 0, other: {} });

/**
 * `new.ints` (reference `deserialize_new_intervals`, for AnkiDroid's two-element arrays):
 * an array of at least two u16 gives [good, easy]; anything else the defaults [1, 4].
 */
export const newIntervals: Reader<[good: number, easy: number]> = orDefault(
  (v, what) => {
    const vals = array(u16)(v, what);
    if (vals.length < 2) return [1, 4];
    return [vals[0] as number, vals[1] as number];
  },
  () => [1, 4],
);

const newConf: Reader<NewConf> = (v, what) => {
  const r = new FieldReader(object(v, what), what);
  const bury = r.optional('bury', bool, () => false);
  const delays = r.requiredOrDefault('delays', array(f32Reader), () => []);
  const initialFactor = r.required('initialFactor', u16);
  const [good, easy] = r.required('ints', newIntervals);
  const order = r.requiredOrDefault('order', u8Enum([LEGACY_ORDER_RANDOM, LEGACY_ORDER_DUE]), () => LEGACY_ORDER_DUE);
  const perDay = r.requiredOrDefault('perDay', u32, () => 0);
  return { bury, delays, initialFactor, good, easy, order, perDay, other: r.rest() };
};

const revConf: Reader<RevConf> = (v, what) => {
  const r = new FieldReader(object(v, what), what);
  return {
    bury: r.optional('bury', bool, () => false),
    ease4: r.required('ease4', f32Reader),
    ivlFct: r.required('ivlFct', f32Reader),
    maxIvl: r.required('maxIvl', u32),
    perDay: r.requiredOrDefault('perDay', u32, () => 0),
    hardFactor: r.optional('hardFactor', f32Reader, () => f32(1.2)),
    other: r.rest(),
  };
};

const lapseConf: Reader<LapseConf> = (v, what) => {
  const r = new FieldReader(object(v, what), what);
  return {
    delays: r.requiredOrDefault('delays', array(f32Reader), () => []),
    leechAction: r.requiredOrDefault('leechAction', u8Enum([0, 1]), () => 1),
    leechFails: r.required('leechFails', u32),
    minInt: r.required('minInt', u32),
    mult: r.required('mult', f32Reader),
    other: r.rest(),
  };
};

/**
 * An incoming legacy deck config as the row to store. Throws LegacyConversionError where the
 * reference's serde rejects it (missing/invalid top-level keys, an unknown `questionAction` or
 * `answerAction` number); problems inside `new`/`rev`/`lapse` only reset that sub-object.
 */
export function deckConfigFromLegacy(json: JsonValue): DeckConfigRow {
  const r = new FieldReader(object(json, 'deck config'), 'deck config');
  const id = r.required('id', i64FromString);
  const mtime = r.required('mod', i64FromString);
  const name = r.required('name', string);
  const usn = r.required('usn', i32);
  const maxTaken = r.required('maxTaken', i32);
  const autoplay = r.required('autoplay', bool);
  const timer = r.requiredOrDefault('timer', u8, () => 0);
  const replayq = r.optional('replayq', bool, () => false);
  const n = r.requiredOrDefault('new', newConf, defaultNew);
  const rv = r.requiredOrDefault('rev', revConf, defaultRev);
  const l = r.requiredOrDefault('lapse', lapseConf, defaultLapse);
  r.lenient('dyn', bool, () => false); // ignored
  const i32Or0 = (key: string): number => r.optional(key, i32, () => 0);
  const f32s = (key: string): number[] => r.optional(key, array(f32Reader), () => []);

  const config = create(DeckConfig_ConfigSchema, {
    newMix: i32Or0('newMix'),
    newPerDayMinimum: r.optional('newPerDayMinimum', u32, () => 0),
    interdayLearningMix: i32Or0('interdayLearningMix'),
    reviewOrder: i32Or0('reviewOrder'),
    newCardSortOrder: i32Or0('newSortOrder'),
    newCardGatherPriority: i32Or0('newGatherPriority'),
    buryInterdayLearning: r.optional('buryInterdayLearning', bool, () => false),
    fsrsParams4: f32s('fsrsWeights'),
    fsrsParams5: f32s('fsrsParams5'),
    fsrsParams6: f32s('fsrsParams6'),
    // Absent → 0.0 (not 0.9); validation on read turns it into 0.9 when it is sent out.
    desiredRetention: r.optional('desiredRetention', f32Reader, () => 0),
    ignoreRevlogsBeforeDate: r.optional('ignoreRevlogsBeforeDate', string, () => ''),
    easyDaysPercentages: f32s('easyDaysPercentages'),
    stopTimerOnAnswer: r.optional('stopTimerOnAnswer', bool, () => false),
    secondsToShowQuestion: r.optional('secondsToShowQuestion', f32Reader, () => 0),
    secondsToShowAnswer: r.optional('secondsToShowAnswer', f32Reader, () => 0),
    questionAction: r.optional('questionAction', u8Enum([0, 1]), () => 0),
    answerAction: r.optional('answerAction', u8Enum([0, 1, 2, 3, 4]), () => 0),
    waitForAudio: r.optional('waitForAudio', bool, () => true),
    historicalRetention: r.optional('sm2Retention', f32Reader, () => 0),
    paramSearch: r.optional('weightSearch', string, () => ''),

    learnSteps: n.delays,
    relearnSteps: l.delays,
    newPerDay: n.perDay,
    reviewsPerDay: rv.perDay,
    initialEase: f32(n.initialFactor / 1000),
    easyMultiplier: rv.ease4,
    hardMultiplier: rv.hardFactor,
    lapseMultiplier: l.mult,
    intervalMultiplier: rv.ivlFct,
    maximumReviewInterval: rv.maxIvl,
    minimumLapseInterval: l.minInt,
    graduatingIntervalGood: n.good,
    graduatingIntervalEasy: n.easy,
    newCardInsertOrder: n.order === LEGACY_ORDER_RANDOM ? PROTO_ORDER_RANDOM : PROTO_ORDER_DUE,
    leechAction: l.leechAction,
    leechThreshold: l.leechFails,
    disableAutoplay: !autoplay,
    capAnswerTimeToSecs: Math.max(0, maxTaken),
    showTimer: timer !== 0,
    skipQuestionWhenReplayingAnswer: !replayq,
    buryNew: n.bury,
    buryReviews: rv.bury,
  });

  // Unknown keys: the top level's, plus those of new/rev/lapse under their own key.
  const other = r.rest();
  if (Object.keys(n.other).length > 0) setKey(other, 'new', n.other);
  if (Object.keys(rv.other).length > 0) setKey(other, 'rev', rv.other);
  if (Object.keys(l.other).length > 0) setKey(other, 'lapse', l.other);
  config.other = otherToBytes(other);

  return { id: jsonInt(id), name, mtime_secs: jsonInt(mtime), usn, config: toBinary(DeckConfig_ConfigSchema, config) };
}
