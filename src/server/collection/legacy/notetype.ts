/**
 * Notetypes ("models") between schema-18 rows and the legacy JSON of normal sync
 * (docs/protocol/collection-sync.md §7.1, docs/protocol/schema.md §5.1–5.3). Mirrors the reference's
 * rslib/src/notetype/schema11.rs: `notetypeToLegacy` is `From<Notetype> for NotetypeSchema11`
 * + serde serialisation, `notetypeFromLegacy` is serde deserialisation +
 * `From<NotetypeSchema11> for Notetype`. Wire names stay wire names here.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  Notetype_Config_CardRequirementSchema,
  Notetype_ConfigSchema,
  Notetype_Field_ConfigSchema,
  Notetype_Template_ConfigSchema,
} from '../proto/gen/notetypes_pb.js';
import { jsonInt, type JsonObject, type JsonValue } from './json.ts';
import { keySet, mergeOther, otherToBytes, parseOther } from './other.ts';
import {
  array,
  bool,
  boolFromAnything,
  fail,
  FieldReader,
  i32,
  i64,
  i64FromString,
  object,
  option,
  string,
  structFields,
  u16,
  u32,
  u8,
  u8Enum,
  type Reader,
} from './serde.ts';

/** An SQLite integer as better-sqlite3 hands it over (bigint in safe-integer mode). */
export type DbInt = number | bigint;

/** A `notetypes` row. */
export interface NotetypeRow {
  id: DbInt;
  name: string;
  mtime_secs: DbInt;
  usn: number;
  /** Protobuf `Notetype.Config`. */
  config: Uint8Array;
}

/** A `fields` row of one notetype (`SELECT ord, name, config FROM fields WHERE ntid = ?`). */
export interface FieldRow {
  ord: number;
  name: string;
  /** Protobuf `Notetype.Field.Config`. */
  config: Uint8Array;
}

/** A `templates` row of one notetype. */
export interface TemplateRow {
  ord: number;
  name: string;
  mtime_secs: DbInt;
  usn: number;
  /** Protobuf `Notetype.Template.Config`. */
  config: Uint8Array;
}

/** What to store for one incoming notetype: its row and the complete new field/template rows. */
export interface NotetypeRows {
  notetype: NotetypeRow;
  /** `ord` = position in `flds` (the legacy `ord` keys are ignored, as in the reference). */
  fields: (FieldRow & { ntid: DbInt })[];
  /** `ord` = position in `tmpls`; `mtime_secs` and `usn` are 0, as the reference stores them. */
  templates: (TemplateRow & { ntid: DbInt })[];
}

/** A legacy notetype object (docs/protocol/collection-sync.md §7.1); numbers per json.ts. */
export type LegacyNotetype = JsonObject;

// Reserved keys: dropped from `other` on output because they would duplicate known keys
// (reference: RESERVED_NOTETYPE_KEYS, RESERVED_FIELD_KEYS, RESERVED_TEMPLATE_KEYS).
const RESERVED_NOTETYPE_KEYS = keySet(`
  latexPost flds css originalStockKind originalId id usn mod req latexPre name did tmpls type sortf
  latexsvg
`);
const RESERVED_FIELD_KEYS = keySet(`
  name ord sticky rtl plainText font size collapsed description excludeFromSearch id tag
  preventDeletion
`);
const RESERVED_TEMPLATE_KEYS = keySet('name ord did afmt bafmt qfmt bqfmt bfont bsize id');

/** Legacy `req` kinds by proto number; an unknown number reads as NONE (prost's enum getter). */
const REQ_KIND_NAMES = ['none', 'any', 'all'] as const;

const dbInt = (v: bigint): DbInt => jsonInt(v);

// --- schema 18 → legacy ----------------------------------------------------------------------

function fieldToLegacy(row: FieldRow): JsonObject {
  const c = fromBinary(Notetype_Field_ConfigSchema, row.config);
  const out: JsonObject = {
    name: row.name,
    ord: row.ord & 0xffff, // `as u16`
    sticky: c.sticky,
    rtl: c.rtl,
    font: c.fontName,
    size: c.fontSize & 0xffff,
    description: c.description,
    plainText: c.plainText,
    collapsed: c.collapsed,
    excludeFromSearch: c.excludeFromSearch,
    id: c.id === undefined ? null : jsonInt(c.id),
    tag: c.tag ?? null,
    preventDeletion: c.preventDeletion,
  };
  mergeOther(out, parseOther(c.other, RESERVED_FIELD_KEYS));
  return out;
}

function templateToLegacy(row: TemplateRow): JsonObject {
  const c = fromBinary(Notetype_Template_ConfigSchema, row.config);
  const out: JsonObject = {
    name: row.name,
    ord: row.ord & 0xffff,
    qfmt: c.qFormat,
    afmt: c.aFormat,
    bqfmt: c.qFormatBrowser,
    bafmt: c.aFormatBrowser,
    // Only positive ids are sent (the notetype-level `did` below sends any non-zero id).
    did: c.targetDeckId > 0n ? jsonInt(c.targetDeckId) : null,
    bfont: c.browserFontName,
    bsize: c.browserFontSize & 0xff, // `as u8`
    id: c.id === undefined ? null : jsonInt(c.id),
  };
  mergeOther(out, parseOther(c.other, RESERVED_TEMPLATE_KEYS));
  return out;
}

/**
 * A stored notetype as the legacy object the reference sends. `fields` and `templates` are
 * that notetype's rows (any order; they are sorted by `ord`).
 */
export function notetypeToLegacy(row: NotetypeRow, fields: readonly FieldRow[], templates: readonly TemplateRow[]): LegacyNotetype {
  const c = fromBinary(Notetype_ConfigSchema, row.config);
  const byOrd = <T extends { ord: number }>(rows: readonly T[]): T[] => [...rows].sort((a, b) => a.ord - b.ord);
  const out: JsonObject = {
    id: jsonInt(row.id),
    name: row.name,
    type: c.kind === 1 ? 1 : 0,
    mod: jsonInt(row.mtime_secs),
    usn: row.usn,
    sortf: c.sortFieldIdx & 0xffff,
    did: c.targetDeckIdUnused === 0n ? null : jsonInt(c.targetDeckIdUnused),
    tmpls: byOrd(templates).map(templateToLegacy),
    flds: byOrd(fields).map(fieldToLegacy),
    css: c.css,
    latexPre: c.latexPre,
    latexPost: c.latexPost,
    latexsvg: c.latexSvg,
    req: c.reqs.map((r) => [r.cardOrd & 0xffff, REQ_KIND_NAMES[r.kind] ?? 'none', r.fieldOrds.map((o) => o & 0xffff)]),
  };
  // Both are left out when they have their default (serde `skip_serializing_if = "is_default"`).
  if (c.originalStockKind !== 0) out.originalStockKind = c.originalStockKind;
  if (c.originalId !== undefined) out.originalId = jsonInt(c.originalId);
  mergeOther(out, parseOther(c.other, RESERVED_NOTETYPE_KEYS));
  return out;
}

// --- legacy → schema 18 ----------------------------------------------------------------------

interface ParsedField {
  name: string;
  config: Uint8Array;
}

const fieldFromLegacy: Reader<ParsedField> = (v, what) => {
  const r = new FieldReader(object(v, what), what);
  const name = r.required('name', string);
  r.required('ord', option(u16), () => undefined); // checked like the reference, then ignored
  const config = create(Notetype_Field_ConfigSchema, {
    sticky: r.required('sticky', boolFromAnything),
    rtl: r.required('rtl', boolFromAnything),
    fontName: r.required('font', string),
    fontSize: r.required('size', u16),
    description: r.lenient('description', string, () => ''),
    plainText: r.lenient('plainText', bool, () => false),
    collapsed: r.lenient('collapsed', bool, () => false),
    excludeFromSearch: r.lenient('excludeFromSearch', bool, () => false),
    id: r.lenient('id', option(i64), () => undefined),
    tag: r.lenient('tag', option(u32), () => undefined),
    preventDeletion: r.lenient('preventDeletion', bool, () => false),
  });
  config.other = otherToBytes(r.rest());
  return { name, config: toBinary(Notetype_Field_ConfigSchema, config) };
};

const templateFromLegacy: Reader<ParsedField> = (v, what) => {
  // CardTemplateSchema11 has no camelCase renaming: its keys are the Rust field names.
  const r = new FieldReader(object(v, what), what);
  const name = r.required('name', string);
  r.required('ord', option(u16), () => undefined);
  const config = create(Notetype_Template_ConfigSchema, {
    qFormat: r.required('qfmt', string),
    aFormat: r.optional('afmt', string, () => ''),
    qFormatBrowser: r.optional('bqfmt', string, () => ''),
    aFormatBrowser: r.optional('bafmt', string, () => ''),
    targetDeckId: r.lenient('did', option(i64), () => undefined) ?? 0n,
    browserFontName: r.lenient('bfont', string, () => ''),
    browserFontSize: r.lenient('bsize', u8, () => 0),
    id: r.lenient('id', option(i64), () => undefined),
  });
  config.other = otherToBytes(r.rest());
  return { name, config: toBinary(Notetype_Template_ConfigSchema, config) };
};

interface ParsedRequirement {
  cardOrd: number;
  kind: number;
  fieldOrds: number[];
}

const REQ_KINDS: Readonly<Record<string, number>> = { none: 0, any: 1, all: 2 };

const requirementFromLegacy: Reader<ParsedRequirement> = (v, what) => {
  // CardRequirementSchema11 is written as a tuple but serde also reads it from a map.
  const [cardOrd, kind, fieldOrds] = structFields(v, what, ['card_ord', 'kind', 'field_ords']) as [JsonValue, JsonValue, JsonValue];
  const kindName = string(kind, `${what}.kind`);
  const kindNumber = Object.hasOwn(REQ_KINDS, kindName) ? REQ_KINDS[kindName] : undefined;
  if (kindNumber === undefined) fail(`${what}.kind`, `unknown variant \`${kindName}\``);
  return { cardOrd: u16(cardOrd, `${what}.card_ord`), kind: kindNumber, fieldOrds: array(u16)(fieldOrds, `${what}.field_ords`) };
};

/**
 * An incoming legacy notetype as the rows to store. Throws LegacyConversionError where the
 * reference's serde rejects the object (docs/protocol/collection-sync.md §7.1 "input required?").
 */
export function notetypeFromLegacy(json: JsonValue): NotetypeRows {
  const r = new FieldReader(object(json, 'notetype'), 'notetype');
  const id = r.required('id', i64FromString);
  const name = r.required('name', string);
  const kind = r.required('type', u8Enum([0, 1]));
  const mtime = r.required('mod', i64);
  const usn = r.required('usn', i32);
  const sortf = r.required('sortf', u16);
  const did = r.requiredOrDefault('did', option(i64), () => undefined);
  const tmpls = r.required('tmpls', array(templateFromLegacy));
  const flds = r.required('flds', array(fieldFromLegacy));
  const css = r.requiredOrDefault('css', string, () => '');
  const latexPre = r.optional('latexPre', string, () => '');
  const latexPost = r.optional('latexPost', string, () => '');
  const latexSvg = r.lenient('latexsvg', bool, () => false);
  const reqs = r.lenient('req', array(requirementFromLegacy), () => []);
  const originalStockKind = r.optional('originalStockKind', i32, () => 0);
  const originalId = r.optional('originalId', option(i64), () => undefined);

  const config = create(Notetype_ConfigSchema, {
    kind,
    sortFieldIdx: sortf,
    css,
    targetDeckIdUnused: did ?? 0n,
    latexPre,
    latexPost,
    latexSvg,
    reqs: reqs.map((q) => create(Notetype_Config_CardRequirementSchema, q)),
    originalStockKind,
    other: otherToBytes(r.rest()),
  });
  if (originalId !== undefined) config.originalId = originalId;

  const ntid = dbInt(id);
  return {
    notetype: { id: ntid, name, mtime_secs: dbInt(mtime), usn, config: toBinary(Notetype_ConfigSchema, config) },
    fields: flds.map((f, ord) => ({ ntid, ord, name: f.name, config: f.config })),
    templates: tmpls.map((t, ord) => ({ ntid, ord, name: t.name, mtime_secs: 0, usn: 0, config: t.config })),
  };
}
