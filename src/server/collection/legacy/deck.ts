/**
 * Decks (normal and filtered) between schema-18 rows and the legacy JSON of normal sync
 * (docs/protocol/collection-sync.md §7.2, docs/protocol/schema.md §5.4–5.5). Mirrors the reference's
 * rslib/src/decks/schema11.rs (serde + `From` impls) and the name rules of
 * rslib/src/decks/name.rs. Wire names stay wire names here.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  Deck_CommonSchema,
  Deck_Filtered_SearchTermSchema,
  Deck_FilteredSchema,
  Deck_KindContainerSchema,
  Deck_Normal_DayLimitSchema,
  Deck_NormalSchema,
  type Deck_Normal_DayLimit,
} from '../proto/gen/decks_pb.js';
import { LegacyConversionError } from './errors.ts';
import { f32, isLosslessNumber, jsonF32, jsonInt, type JsonObject, type JsonValue } from './json.ts';
import type { DbInt } from './notetype.ts';
import { keySet, mergeOther, otherToBytes, parseOther } from './other.ts';
import {
  array,
  bool,
  boolFromAnything,
  f32Reader,
  fail,
  FieldReader,
  i32,
  i32FromString,
  i64FromString,
  integerOf,
  object,
  option,
  string,
  structFields,
  u32,
  u8,
  type Reader,
} from './serde.ts';

/** A `decks` row; `name` is the native form (components joined by U+001F). */
export interface DeckRow {
  id: DbInt;
  name: string;
  mtime_secs: DbInt;
  usn: number;
  /** Protobuf `Deck.Common`. */
  common: Uint8Array;
  /** Protobuf `Deck.KindContainer`. */
  kind: Uint8Array;
}

/** A legacy deck object (docs/protocol/collection-sync.md §7.2); numbers per json.ts. */
export type LegacyDeck = JsonObject;

/** Reference: RESERVED_DECK_KEYS. Note `md` and the filtered-deck keys are not in it. */
const RESERVED_DECK_KEYS = keySet(`
  usn revToday newLimit dyn reviewLimit newToday timeToday reviewLimitToday extendNew mod
  newLimitToday desc name lrnToday conf browserCollapsed extendRev id collapsed desiredRetention
`);

const SEPARATOR = '\u001f';

// --- names -----------------------------------------------------------------------------------

/** Rust `char::is_whitespace` (Unicode White_Space); unlike JS `\s` it excludes U+FEFF and includes U+0085. */
const RUST_WHITESPACE = '\t\n\u000b\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000';
const TRIM_COMPONENT = new RegExp(`^[${RUST_WHITESPACE}:]+|[${RUST_WHITESPACE}:]+$`, 'gu');
const ASCII_CONTROL = /[\u0000-\u001f\u007f]/g;

/**
 * A human deck name (`A::B`) in its stored form: each `::` component NFC-normalised, ASCII
 * control characters removed, whitespace and `:` trimmed from both ends, empty → `blank`;
 * components joined with U+001F (reference: `NativeDeckName::from_human_name`).
 */
export function nativeDeckName(human: string): string {
  return human
    .split('::')
    .map((comp) => comp.normalize('NFC').replace(ASCII_CONTROL, '').replace(TRIM_COMPONENT, '') || 'blank')
    .join(SEPARATOR);
}

/** A stored deck name as the `::`-separated human name. */
export function humanDeckName(native: string): string {
  return native.replaceAll(SEPARATOR, '::');
}

// --- helpers ---------------------------------------------------------------------------------

/** Rust `as i32` of an integer (two's-complement wrap). */
const asI32 = (n: number | bigint): number => Number(BigInt.asIntN(32, BigInt(n)));
/** Rust `as u32` of an i32 (wrap). */
const asU32 = (n: number): number => n >>> 0;
/** Rust `as u32` of an f32 (saturating; NaN → 0). */
function f32AsU32(x: number): number {
  if (Number.isNaN(x) || x <= 0) return 0;
  return x >= 2 ** 32 ? 2 ** 32 - 1 : Math.trunc(x);
}

interface TodayAmount {
  day: number;
  amount: number;
}

/**
 * `TodayAmountSchema11` (`#[serde(from = "Vec<Value>")]`): any array; the *last* element is the
 * amount and the one before it the day, each an integer or else 0, truncated `as i32`.
 */
const todayAmount: Reader<TodayAmount> = (v, what) => {
  if (!Array.isArray(v)) fail(what, 'expected an array');
  const asI64 = (x: JsonValue | undefined): bigint => {
    const n = x === undefined ? undefined : integerOf(x);
    return n !== undefined && n < 1n << 63n ? n : 0n;
  };
  return { day: asI32(asI64(v.at(-2))), amount: asI32(asI64(v.at(-1))) };
};

/** `DayLimit` (a prost message with serde derive): `{"limit": u32, "today": u32}`, both required. */
const dayLimit: Reader<Deck_Normal_DayLimit> = (v, what) => {
  const [limit, today] = structFields(v, what, ['limit', 'today']) as [JsonValue, JsonValue];
  return create(Deck_Normal_DayLimitSchema, { limit: u32(limit, `${what}.limit`), today: u32(today, `${what}.today`) });
};

interface SearchTerm {
  search: string;
  limit: number;
  order: number;
}

/** `FilteredSearchTermSchema11`: `[search, limit (number or numeric string), order]` or the same as a map. */
const searchTerm: Reader<SearchTerm> = (v, what) => {
  const [search, limit, order] = structFields(v, what, ['search', 'limit', 'order']) as [JsonValue, JsonValue, JsonValue];
  return { search: string(search, `${what}.search`), limit: i32FromString(limit, `${what}.limit`), order: i32(order, `${what}.order`) };
};

// --- schema 18 → legacy ----------------------------------------------------------------------

/** A stored deck as the legacy object the reference sends. */
export function deckToLegacy(row: DeckRow): LegacyDeck {
  const common = fromBinary(Deck_CommonSchema, row.common);
  const { kind } = fromBinary(Deck_KindContainerSchema, row.kind);
  if (kind.case === undefined) throw new LegacyConversionError(`invalid deck kind: ${String(row.id)}`);
  const day = asI32(common.lastDayStudied);
  const out: JsonObject = {
    id: jsonInt(row.id),
    mod: jsonInt(row.mtime_secs),
    name: humanDeckName(row.name),
    usn: row.usn,
    lrnToday: [day, common.learningStudied],
    revToday: [day, common.reviewStudied],
    newToday: [day, common.newStudied],
    timeToday: [day, common.millisecondsStudied],
    collapsed: common.studyCollapsed,
    browserCollapsed: common.browserCollapsed,
    desc: kind.case === 'normal' ? kind.value.description : '',
  };
  // `md` is left out when false (serde `skip_serializing_if = "is_false"`).
  if (kind.case === 'normal' && kind.value.markdownDescription) out.md = true;
  out.dyn = kind.case === 'filtered' ? 1 : 0;
  mergeOther(out, parseOther(common.other, RESERVED_DECK_KEYS));

  if (kind.case === 'normal') {
    const n = kind.value;
    const limit = (d: Deck_Normal_DayLimit | undefined): JsonValue => (d ? { limit: d.limit, today: d.today } : null);
    out.conf = jsonInt(n.configId);
    out.extendNew = asI32(n.extendNew);
    out.extendRev = asI32(n.extendReview);
    out.reviewLimit = n.reviewLimit ?? null;
    out.newLimit = n.newLimit ?? null;
    out.reviewLimitToday = limit(n.reviewLimitToday);
    out.newLimitToday = limit(n.newLimitToday);
    // Stored as a fraction (f32), sent as whole percent: `(v * 100.0) as u32` in f32.
    out.desiredRetention = n.desiredRetention === undefined ? null : f32AsU32(f32(n.desiredRetention * 100));
  } else {
    const f = kind.value;
    out.resched = f.reschedule;
    out.terms = f.searchTerms.map((t) => [t.search, asI32(t.limit), t.order]);
    out.separate = true; // unused, but older clients require it
    out.delays = f.delays.length === 0 ? null : f.delays.map(jsonF32);
    out.previewDelay = f.previewDelay;
    out.previewAgainSecs = f.previewAgainSecs;
    out.previewHardSecs = f.previewHardSecs;
    out.previewGoodSecs = f.previewGoodSecs;
  }
  return out;
}

// --- legacy → schema 18 ----------------------------------------------------------------------

/**
 * `dyn` picks the variant (reference: the `dynfix` module): `true`/`false` are accepted and
 * count as 1/0; a number is filtered only if it is the integer 1, and must still be a u8;
 * anything else (or no `dyn`) is an error.
 */
function isFilteredDeck(obj: JsonObject): boolean {
  if (!Object.hasOwn(obj, 'dyn')) fail('deck', 'missing field `dyn`');
  const v = obj.dyn as JsonValue;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || isLosslessNumber(v)) {
    u8(v, 'deck.dyn');
    return integerOf(v) === 1n;
  }
  return fail('deck.dyn', 'dyn was wrong type');
}

/**
 * An incoming legacy deck as the row to store (before the caller's name-uniqueness step,
 * docs/protocol/collection-sync.md §8.2). Throws LegacyConversionError where the reference's serde rejects it.
 */
export function deckFromLegacy(json: JsonValue): DeckRow {
  const obj = object(json, 'deck');
  const filtered = isFilteredDeck(obj);
  const r = new FieldReader(obj, 'deck');
  r.ignore('return'); // obsolete key, removed by the reference before parsing

  // DeckCommonSchema11 (with the flattened DeckTodaySchema11).
  const id = r.required('id', i64FromString);
  const mtime = r.optional('mod', i64FromString, () => 0n);
  const name = r.required('name', string);
  const usn = r.required('usn', i32);
  const lrn = r.required('lrnToday', todayAmount);
  const rev = r.required('revToday', todayAmount);
  const neu = r.required('newToday', todayAmount);
  const time = r.required('timeToday', todayAmount);
  const studyCollapsed = r.required('collapsed', bool);
  const browserCollapsed = r.optional('browserCollapsed', bool, () => false);
  const desc = r.optional('desc', string, () => '');
  const markdown = r.optional('md', bool, () => false);
  r.required('dyn', (v, what) => (typeof v === 'boolean' ? 0 : u8(v, what)));

  let kind;
  if (filtered) {
    const reschedule = r.required('resched', boolFromAnything);
    const terms = r.required('terms', array(searchTerm));
    r.optional('separate', bool, () => false); // unused
    const delays = r.lenient('delays', option(array(f32Reader)), () => undefined);
    const filteredDeck = create(Deck_FilteredSchema, {
      reschedule,
      searchTerms: terms.map((t) =>
        create(Deck_Filtered_SearchTermSchema, { search: t.search, limit: Math.max(0, t.limit), order: t.order }),
      ),
      delays: delays ?? [],
      previewDelay: r.optional('previewDelay', u32, () => 0),
      previewAgainSecs: r.optional('previewAgainSecs', u32, () => 0),
      previewHardSecs: r.optional('previewHardSecs', u32, () => 0),
      previewGoodSecs: r.optional('previewGoodSecs', u32, () => 0),
    });
    kind = create(Deck_KindContainerSchema, { kind: { case: 'filtered', value: filteredDeck } });
  } else {
    const conf = r.required('conf', i64FromString);
    const extendNew = r.lenient('extendNew', i32, () => 0);
    const extendRev = r.lenient('extendRev', i32, () => 0);
    const normal = create(Deck_NormalSchema, {
      configId: conf,
      extendNew: Math.max(0, extendNew),
      extendReview: Math.max(0, extendRev),
      description: desc,
      markdownDescription: markdown,
    });
    // Optional fields stay unset (not 0) when absent, null or invalid.
    const reviewLimit = r.lenient('reviewLimit', option(u32), () => undefined);
    const newLimit = r.lenient('newLimit', option(u32), () => undefined);
    const reviewLimitToday = r.lenient('reviewLimitToday', option(dayLimit), () => undefined);
    const newLimitToday = r.lenient('newLimitToday', option(dayLimit), () => undefined);
    const desiredRetention = r.lenient('desiredRetention', option(u32), () => undefined);
    if (reviewLimit !== undefined) normal.reviewLimit = reviewLimit;
    if (newLimit !== undefined) normal.newLimit = newLimit;
    if (reviewLimitToday !== undefined) normal.reviewLimitToday = reviewLimitToday;
    if (newLimitToday !== undefined) normal.newLimitToday = newLimitToday;
    // Whole percent in, f32 fraction stored: `v as f32 / 100.0`.
    if (desiredRetention !== undefined) normal.desiredRetention = f32(f32(desiredRetention) / 100);
    kind = create(Deck_KindContainerSchema, { kind: { case: 'normal', value: normal } });
  }

  // One "studied today" day for all counters: amounts from an earlier day than the latest
  // are reset; the time counter keeps its amount (study always updates it).
  const maxDay = Math.max(time.day, neu.day, rev.day);
  const common = create(Deck_CommonSchema, {
    studyCollapsed,
    browserCollapsed,
    lastDayStudied: asU32(maxDay),
    newStudied: neu.day === maxDay ? neu.amount : 0,
    reviewStudied: rev.day === maxDay ? rev.amount : 0,
    learningStudied: lrn.day === maxDay ? lrn.amount : 0,
    millisecondsStudied: time.amount,
    other: otherToBytes(r.rest()),
  });

  return {
    id: jsonInt(id),
    name: nativeDeckName(name),
    mtime_secs: jsonInt(mtime),
    usn,
    common: toBinary(Deck_CommonSchema, common),
    kind: toBinary(Deck_KindContainerSchema, kind),
  };
}
