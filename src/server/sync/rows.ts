/**
 * The positional rows of normal sync (docs/protocol/collection-sync.md §6): revlog (9), card (18) and
 * note (11) arrays, checked on the way in, and read from the database on the way out. Wire
 * names stay wire names here; `parse*` reject what the real client could never send (wrong
 * length, wrong type, out-of-range enums), which the request handler answers with 400.
 */
import { badRequest } from '../errors.ts';

export type RevlogRow = [
  id: number,
  cid: number,
  usn: number,
  ease: number,
  ivl: number,
  lastIvl: number,
  factor: number,
  time: number,
  type: number,
];
export type CardRow = [
  id: number,
  nid: number,
  did: number,
  ord: number,
  mod: number,
  usn: number,
  type: number,
  queue: number,
  due: number,
  ivl: number,
  factor: number,
  reps: number,
  lapses: number,
  left: number,
  odue: number,
  odid: number,
  flags: number,
  data: string,
];
export type NoteRow = [
  id: number,
  guid: string,
  mid: number,
  mod: number,
  usn: number,
  tags: string,
  flds: string,
  sfld: string,
  csum: string,
  flags: number,
  data: string,
];

export interface Graves {
  cards: number[];
  notes: number[];
  decks: number[];
}

const I32 = [-(2 ** 31), 2 ** 31 - 1] as const;
const U32 = [0, 2 ** 32 - 1] as const;
const I64 = [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] as const;

function fail(what: string): never {
  throw badRequest(`invalid row: ${what}`);
}

/** An integer in range; `fromNumber` accepts floats and truncates them toward zero, like the reference for legacy clients. */
function int(v: unknown, what: string, [min, max]: readonly [number, number], fromNumber = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${what} is not a number`);
  let n = v;
  if (!Number.isInteger(n)) {
    if (!fromNumber) fail(`${what} is not an integer`);
    n = Math.trunc(n);
  }
  if (n < min || n > max) fail(`${what} out of range`);
  return n;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') fail(`${what} is not a string`);
  return v;
}

function arrayOf(v: unknown, length: number, what: string): unknown[] {
  if (!Array.isArray(v) || v.length !== length) fail(`${what} must be an array of ${length} values`);
  return v;
}

/**
 * Per column: the range of a plain integer that `parse*` would return unchanged. A row whose
 * every value is such an integer (what current clients send) is returned as it is, without
 * building a new array; anything else (floats, out of range, strings, wrong length) takes the
 * full path below, which truncates or fails exactly as before. A push is thousands of rows.
 */
type Ranges = readonly (readonly [number, number] | 'string')[];

function alreadyValid(v: unknown, ranges: Ranges): boolean {
  if (!Array.isArray(v) || v.length !== ranges.length) return false;
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i]!;
    const x: unknown = v[i];
    if (range === 'string') {
      if (typeof x !== 'string') return false;
    } else if (typeof x !== 'number' || !Number.isInteger(x) || x < range[0] || x > range[1]) {
      return false;
    }
  }
  return true;
}

const REVLOG_RANGES: Ranges = [I64, I64, I32, [0, 255], I32, I32, U32, U32, [0, 255]];
const CARD_RANGES: Ranges = [
  I64,
  I64,
  I64,
  [0, 65535],
  I64,
  I32,
  [0, 3],
  [-3, 4],
  I32,
  U32,
  [0, 65535],
  U32,
  U32,
  U32,
  I32,
  I64,
  [0, 255],
  'string',
];

export function parseRevlogRow(v: unknown): RevlogRow {
  if (alreadyValid(v, REVLOG_RANGES)) return v as RevlogRow;
  const r = arrayOf(v, 9, 'revlog row');
  // A negative factor is clamped to 0 by the reference (u32 parsed from a number).
  const factor = Math.max(0, int(r[6], 'revlog factor', [-(2 ** 31), U32[1]], true));
  const type = typeof r[8] === 'number' && Number.isInteger(r[8]) && r[8] >= 0 && r[8] <= 255 ? r[8] : 0;
  return [
    int(r[0], 'revlog id', I64),
    int(r[1], 'revlog cid', I64),
    int(r[2], 'revlog usn', I32),
    int(r[3], 'revlog ease', [0, 255]),
    int(r[4], 'revlog ivl', I32, true),
    int(r[5], 'revlog lastIvl', I32, true),
    factor,
    int(r[7], 'revlog time', U32, true),
    type,
  ];
}

export function parseCardRow(v: unknown): CardRow {
  if (alreadyValid(v, CARD_RANGES)) return v as CardRow;
  const r = arrayOf(v, 18, 'card row');
  return [
    int(r[0], 'card id', I64),
    int(r[1], 'card nid', I64),
    int(r[2], 'card did', I64),
    int(r[3], 'card ord', [0, 65535]),
    int(r[4], 'card mod', I64, true),
    int(r[5], 'card usn', I32),
    int(r[6], 'card type', [0, 3]),
    int(r[7], 'card queue', [-3, 4]),
    int(r[8], 'card due', I32, true),
    int(r[9], 'card ivl', U32, true),
    int(r[10], 'card factor', [0, 65535]),
    int(r[11], 'card reps', U32),
    int(r[12], 'card lapses', U32),
    int(r[13], 'card left', U32),
    int(r[14], 'card odue', I32, true),
    int(r[15], 'card odid', I64),
    int(r[16], 'card flags', [0, 255]),
    str(r[17], 'card data'),
  ];
}

export function parseNoteRow(v: unknown): NoteRow {
  const r = arrayOf(v, 11, 'note row');
  // sfld/csum travel as "" from current clients; older ones sent the values. Either is ignored.
  const loose = (x: unknown): string => (typeof x === 'string' ? x : typeof x === 'number' ? String(x) : fail('note sfld/csum'));
  return [
    int(r[0], 'note id', I64),
    str(r[1], 'note guid'),
    int(r[2], 'note mid', I64),
    int(r[3], 'note mod', I64, true),
    int(r[4], 'note usn', I32),
    str(r[5], 'note tags'),
    str(r[6], 'note flds'),
    loose(r[7]),
    loose(r[8]),
    int(r[9], 'note flags', U32),
    str(r[10], 'note data'),
  ];
}

/** Grave ids may arrive as strings from old AnkiMobile (docs/protocol/behaviours.md A9). */
function graveIds(v: unknown, what: string): number[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(`${what} graves must be a list`);
  return v.map((x) => {
    if (typeof x === 'string' && /^-?\d+$/.test(x)) return int(Number(x), `${what} grave`, I64);
    return int(x, `${what} grave`, I64);
  });
}

/**
 * Graves as `applyGraves` and `start` send them. `complete`: all three lists must be there, as
 * the reference's `Graves` requires for `applyGraves` (`{"chunk":{}}` is a 400 there); `start`'s
 * legacy `graves` is read leniently, as the reference reads it.
 */
export function parseGraves(v: unknown, options: { complete?: boolean } = {}): Graves {
  if (v === undefined || v === null) {
    if (options.complete) fail('graves must be an object with cards, notes and decks');
    return { cards: [], notes: [], decks: [] };
  }
  if (typeof v !== 'object' || Array.isArray(v)) fail('graves must be an object');
  const g = v as Record<string, unknown>;
  if (options.complete) for (const k of ['cards', 'notes', 'decks']) if (!Array.isArray(g[k])) fail(`graves must have a list of ${k}`);
  return { cards: graveIds(g.cards, 'card'), notes: graveIds(g.notes, 'note'), decks: graveIds(g.decks, 'deck') };
}
