/**
 * The text a note's fields are reduced to for `notes.sfld` and `notes.csum`
 * (docs/protocol/collection-sync.md §8.7, §9), computed exactly as the reference does
 * (rslib `text.rs`, `notes/mod.rs`), so that a collection we hand out in a full download
 * sorts and detects duplicates the same way as one the reference produced.
 *
 * The reference strips HTML with two patterns of Rust's `regex` crate; here they are
 * linear-time scanners returning the same matches (see the comment before `WORD_CHAR`), and
 * its HTML entity decoder (the `htmlescape` crate) is re-implemented because its
 * all-or-nothing failure rule is unlike any browser-style decoder (see `decodeEntities`).
 * Everything is checked against the real client in test/server/collection/note-text.test.ts.
 */
import { createHash } from 'node:crypto';

/*
 * The reference strips HTML with two Rust `regex` patterns (flags `(?si)` and `(?xsi)`):
 *
 *   HTML:        (<!--.*?-->)|(<style.*?>.*?</style>)|(<script.*?>.*?</script>)|(<.*?>)
 *   MEDIA TAGS:  <\b(?:img|audio|video|object|source)\b
 *                (?:[^>]|"[^"]+?"|'[^']+?')+?
 *                \b(?:src|data)\b=
 *                (?:"([^"]+?)"[^>]*>|'([^']+?)'[^>]*>|([^ >]+?)(?:\x20[^>]*>|>))
 *
 * Rust's engine finds the same leftmost-first matches a backtracking engine would, but in
 * linear time. JS's backtracking engine does not: the media pattern takes exponential time on
 * `<img "a""a""a"…` (each `"a"` is one quoted unit or three single characters) and both are
 * quadratic on many unclosed tags. A server must not hang on a client's field, so the two
 * patterns are implemented below as scanners that return exactly the regex's matches
 * (test/server/collection/note-text.test.ts checks them against the literal JS translation
 * of the patterns on random input, and against the real client).
 *
 * What the translation has to respect:
 * - `(?i)` is Unicode simple case folding: `ſ` (U+017F) matches `s` (`<ſcript>` is a script
 *   element). JS regexes with the `u` flag fold the same way; they are used for the fixed words.
 * - `\b` is Unicode-aware: a word character is Alphabetic, a mark, a decimal digit, connector
 *   punctuation or Join_Control (UTS #18 Annex C). So `<imgé src=a>` is no media tag, and
 *   neither is `<img ésrc=a>`. JS's `\b` is ASCII-only, hence `WORD_CHAR` in lookarounds.
 * - Verbose mode (`x`) ignores whitespace *inside character classes too*, so the unquoted
 *   filename class `[^ >]` is really `[^>]`: the filename may start with spaces
 *   (`<img src= x>` keeps " x"). The `\x20` after it is a real space.
 * - `.` with `(?s)` and `[^>]` consume whole code points.
 */

/** A Unicode word character as Rust's `regex` defines `\w` (see above). */
const WORD_CHAR = String.raw`[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]`;

const STYLE_OPEN = /<style/iuy;
const SCRIPT_OPEN = /<script/iuy;
const STYLE_CLOSE = /<\/style>/giu;
const SCRIPT_CLOSE = /<\/script>/giu;
/** `<\b(?:img|audio|video|object|source)\b`, anchored. */
const MEDIA_OPEN = new RegExp(`<(?:img|audio|video|object|source)(?!${WORD_CHAR})`, 'iuy');
/** `\b(?:src|data)\b=`, anchored (the `\b` before `=` always holds). */
const SRC_OR_DATA = new RegExp(`(?<!${WORD_CHAR})(?:src|data)=`, 'iuy');

/** Removes tags, comments, style and script elements, then decodes entities (reference `strip_html`). */
export function stripHtml(html: string): string {
  return decodeEntities(removeTags(html));
}

/**
 * Like `stripHtml`, but each media tag is first replaced by its filename surrounded by
 * spaces (reference `strip_html_preserving_media_filenames`, the spec's `strip_media`).
 * The filename is entity-decoded along with the rest of the text afterwards.
 */
export function stripHtmlPreservingMediaFilenames(html: string): string {
  return stripHtml(replaceMediaTags(html));
}

/** Deletes every match of the reference's HTML pattern. */
function removeTags(html: string): string {
  let i = html.indexOf('<');
  if (i === -1) return html;
  const find = new ForwardSearch(html);
  let out = '';
  let copied = 0;
  while (i !== -1) {
    const end = tagEnd(html, i, find);
    // Only `<.*?>` can fail here, and only when no `>` follows: then nothing later matches either.
    if (end === -1) break;
    out += html.slice(copied, i);
    copied = end;
    i = html.indexOf('<', end);
  }
  return out + html.slice(copied);
}

/** The end of the HTML pattern's match at `i` (which holds `<`), trying its alternatives in order; -1 if none. */
function tagEnd(html: string, i: number, find: ForwardSearch): number {
  if (html.startsWith('<!--', i)) {
    const close = find.literal('-->', i + 4);
    if (close !== -1) return close + 3;
  }
  for (const [open, close] of [
    [STYLE_OPEN, STYLE_CLOSE],
    [SCRIPT_OPEN, SCRIPT_CLOSE],
  ] as const) {
    open.lastIndex = i;
    if (!open.test(html)) continue;
    // `.*?>` takes the first `>`, `.*?</style>` the first closing tag after it; a later `>`
    // could only find a later closing tag, so if this fails the alternative fails.
    const gt = html.indexOf('>', open.lastIndex);
    if (gt === -1) return -1;
    const end = find.pattern(close, gt + 1);
    if (end !== -1) return end;
  }
  const gt = html.indexOf('>', i + 1);
  return gt === -1 ? -1 : gt + 1;
}

/**
 * Forward searches that remember failures: once a search from `x` found nothing, any search
 * from `x` or later finds nothing, which keeps many unclosed comments/elements linear.
 */
class ForwardSearch {
  private readonly text: string;
  private readonly noneFrom = new Map<string | RegExp, number>();

  constructor(text: string) {
    this.text = text;
  }

  /** Index of `needle` at or after `from`, or -1. */
  literal(needle: string, from: number): number {
    if (from >= (this.noneFrom.get(needle) ?? Infinity)) return -1;
    const at = this.text.indexOf(needle, from);
    if (at === -1) this.noneFrom.set(needle, from);
    return at;
  }

  /** End of the first match of the global regex `re` at or after `from`, or -1. */
  pattern(re: RegExp, from: number): number {
    if (from >= (this.noneFrom.get(re) ?? Infinity)) return -1;
    re.lastIndex = from;
    if (re.exec(this.text) === null) {
      this.noneFrom.set(re, from);
      return -1;
    }
    return re.lastIndex;
  }
}

/** Replaces every match of the reference's media-tag pattern with ` filename `. */
function replaceMediaTags(html: string): string {
  let i = html.indexOf('<');
  if (i === -1) return html;
  const scan = new MediaTagScan(html);
  let out = '';
  let copied = 0;
  while (i !== -1) {
    const m = scan.matchAt(i);
    if (m === null) {
      i = html.indexOf('<', i + 1);
      continue;
    }
    out += `${html.slice(copied, i)} ${m.filename} `;
    copied = m.end;
    i = html.indexOf('<', m.end);
  }
  return out + html.slice(copied);
}

interface MediaMatch {
  filename: string;
  /** Index after the match. */
  end: number;
}

/**
 * The media-tag pattern as a search over positions. After the tag name, the lazy loop
 * `(?:[^>]|"[^"]+?"|'[^']+?')+?` moves from a position to at most three others (one
 * character; past a double-quoted string; past a single-quoted string, in that order), and
 * at every position reached (after at least one step) the rest of the pattern is tried
 * first. A backtracking engine explores exactly this tree depth-first, and the first
 * position where the rest matches gives the match. What happens from a position does not
 * depend on how it was reached, so a position whose whole subtree failed is remembered and
 * never explored again — across all start positions too — which makes the scan linear
 * (times a log factor for the character lookups).
 */
class MediaTagScan {
  private readonly text: string;
  private readonly failed: Uint8Array;
  private readonly positions = new Map<string, Int32Array>();

  constructor(text: string) {
    this.text = text;
    this.failed = new Uint8Array(text.length + 1);
  }

  /** The pattern's match starting at `start`, or null. */
  matchAt(start: number): MediaMatch | null {
    MEDIA_OPEN.lastIndex = start;
    if (!MEDIA_OPEN.test(this.text)) return null;
    // Depth-first with an explicit stack: [position, next step to try (0–2)]. The root (just
    // after the tag name) must take one step before the rest of the pattern may match.
    const stack: [pos: number, step: number][] = [[MEDIA_OPEN.lastIndex, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top[1] > 2) {
        stack.pop();
        if (stack.length > 0) this.failed[top[0]] = 1;
        continue;
      }
      const next = this.step(top[0], top[1]);
      top[1] += 1;
      if (next === -1 || this.failed[next] === 1) continue;
      const m = this.rest(next);
      if (m !== null) return m;
      stack.push([next, 0]);
    }
    return null;
  }

  /** Where loop step `kind` (0 one character, 1 `"…"`, 2 `'…'`) leads from `pos`, or -1. */
  private step(pos: number, kind: number): number {
    const c = this.text[pos];
    if (c === undefined) return -1;
    if (kind === 0) return c === '>' ? -1 : pos + codePointLength(this.text, pos);
    const quote = kind === 1 ? '"' : "'";
    if (c !== quote) return -1;
    const close = this.next(quote, pos + 1);
    // the quoted text must not be empty
    return close > pos + 1 ? close + 1 : -1;
  }

  /** The part of the pattern after the loop: `\b(?:src|data)\b=` and the filename. */
  private rest(pos: number): MediaMatch | null {
    SRC_OR_DATA.lastIndex = pos;
    if (!SRC_OR_DATA.test(this.text)) return null;
    const at = SRC_OR_DATA.lastIndex;
    const c = this.text[at];
    if (c === undefined) return null;
    if (c === '"' || c === "'") {
      // "([^"]+?)"[^>]*>  (or the same with ')
      const close = this.next(c, at + 1);
      if (close > at + 1) {
        const gt = this.next('>', close + 1);
        if (gt !== -1) return { filename: this.text.slice(at + 1, close), end: gt + 1 };
      }
      // otherwise the quote is the first character of an unquoted filename
    }
    // ([^>]+?)(?:\x20[^>]*>|>): the shortest run of at least one non-`>` followed by `>`, or
    // by a space with a `>` somewhere after it.
    if (c === '>') return null;
    const from = at + codePointLength(this.text, at);
    const gt = this.next('>', from);
    if (gt === -1) return null;
    const space = this.next(' ', from);
    const stop = space !== -1 && space < gt ? space : gt;
    return { filename: this.text.slice(at, stop), end: gt + 1 };
  }

  /** Index of the first `ch` at or after `from`, or -1 (binary search over its positions). */
  private next(ch: string, from: number): number {
    let list = this.positions.get(ch);
    if (list === undefined) {
      const found: number[] = [];
      for (let i = this.text.indexOf(ch); i !== -1; i = this.text.indexOf(ch, i + 1)) found.push(i);
      list = Int32Array.from(found);
      this.positions.set(ch, list);
    }
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    return lo < list.length ? list[lo]! : -1;
  }
}

/** 2 for a surrogate pair at `i` (one code point), else 1. */
function codePointLength(text: string, i: number): number {
  const hi = text.charCodeAt(i);
  if (hi >= 0xd800 && hi <= 0xdbff) {
    const lo = text.charCodeAt(i + 1);
    if (lo >= 0xdc00 && lo <= 0xdfff) return 2;
  }
  return 1;
}

/**
 * Decodes HTML entities the way the reference does (`decode_entities` over
 * `htmlescape::decode_html`): only if the text contains `&`; and then all or nothing — if
 * any `&` in the text does not start a well-formed entity, the whole text is returned
 * undecoded. After a successful decode every U+00A0 (decoded from `&nbsp;` or already
 * present) becomes a plain space.
 */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  const decoded = decodeHtmlStrict(text);
  return decoded === null ? text : decoded.replaceAll('\u00a0', ' ');
}

/**
 * The `htmlescape` 0.3 decoder: `&name;` with one of the 252 HTML 4 entity names
 * (case-sensitive; no `&apos;`, no HTML5 names, the `;` is required), `&#<decimal>;`,
 * `&#x<hex>;` (lowercase `x`; hex digits of either case) for any Unicode scalar value
 * (U+0000 included; surrogates and values above U+10FFFF are errors). Everything after
 * `&` up to the next `;` is taken as the entity name, so `"a & b; c"` fails on the name
 * `" b"`. Returns null on any error, including text ending inside an entity.
 */
function decodeHtmlStrict(text: string): string | null {
  let out = '';
  let state: 'normal' | 'entity' | 'named' | 'numeric' | 'dec' | 'hex' = 'normal';
  let buf = '';
  for (const c of text) {
    switch (state) {
      case 'normal':
        if (c === '&') state = 'entity';
        else out += c;
        break;
      case 'entity':
        if (c === '#') state = 'numeric';
        else if (c === ';') return null;
        else {
          state = 'named';
          buf = c;
        }
        break;
      case 'named':
        if (c === ';') {
          const code = HTML4_ENTITIES.get(buf);
          if (code === undefined) return null;
          out += String.fromCodePoint(code);
          state = 'normal';
        } else buf += c;
        break;
      case 'numeric':
        if (isDigit(c)) {
          state = 'dec';
          buf = c;
        } else if (c === 'x') {
          state = 'hex';
          buf = '';
        } else return null;
        break;
      case 'dec':
      case 'hex':
        if (c === ';') {
          const ch = scalarFromDigits(buf, state === 'dec' ? 10 : 16);
          if (ch === null) return null;
          out += ch;
          state = 'normal';
        } else if (state === 'dec' ? isDigit(c) : isHexDigit(c)) buf += c;
        else return null;
        break;
    }
  }
  return state === 'normal' ? out : null;
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isHexDigit(c: string): boolean {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/** `char::from_u32(u32::from_str_radix(digits))`; null for no digits, overflow, surrogates, > U+10FFFF. */
function scalarFromDigits(digits: string, radix: 10 | 16): string | null {
  if (digits === '') return null;
  // Any value too large for a u32 is also above U+10FFFF, so one range check covers both
  // errors; a lossy parse of a very long digit string is still far above the limit.
  const n = Number.parseInt(digits, radix);
  if (n > 0x10ffff || (n >= 0xd800 && n <= 0xdfff)) return null;
  return String.fromCodePoint(n);
}

/**
 * `notes.csum` from a note's (normalised) first field: the first 4 bytes of the SHA-1 of
 * the UTF-8 of `stripHtmlPreservingMediaFilenames(firstField)`, big-endian. Pass the field
 * itself, not stripped text: stripping twice is not the same as stripping once
 * (`&amp;lt;` → `&lt;` → `<`).
 */
export function fieldChecksum(firstField: string): number {
  return checksumOfStripped(stripHtmlPreservingMediaFilenames(firstField));
}

/** The reference's `field_checksum`, which expects the caller to have stripped the text. */
function checksumOfStripped(stripped: string): number {
  return createHash('sha1').update(stripped, 'utf8').digest().readUInt32BE(0);
}

/**
 * `notes.sfld`: the notetype's sort field (`sortIdx` = `sort_field_idx`), stripped with
 * media filenames kept; a missing field counts as empty. The value is stored as text into
 * an INTEGER-affinity column, so SQLite turns numeric-looking values into numbers, as it
 * does for the reference.
 */
export function sortFieldValue(fields: readonly string[], sortIdx: number): string {
  return stripHtmlPreservingMediaFilenames(fields[sortIdx] ?? '');
}

/**
 * ASCII control characters other than `\n` and `\t` (U+0000–U+001F and U+007F), which the
 * reference removes from every field before storing a note (`invalid_char_for_field`);
 * `\r` is among them.
 */
const INVALID_FIELD_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/**
 * A received field as the reference stores it (§8.7 step 3). No Unicode normalisation: the
 * sync path calls `prepare_for_update` with `normalize_text = false`.
 */
export function normaliseIncomingField(text: string): string {
  return text.replace(INVALID_FIELD_CHARS, '');
}

/**
 * Whether a note with `noteFieldCount` fields fits a notetype with `notetypeFieldCount`
 * fields (§8.7 step 2): they must be equal, a notetype without fields counting as one.
 */
export function notetypeFieldCountOk(noteFieldCount: number, notetypeFieldCount: number): boolean {
  return noteFieldCount === Math.max(1, notetypeFieldCount);
}

/** The note columns the server derives from received fields (§8.7 steps 3–4). */
export interface PreparedNoteFields {
  /** The fields with invalid control characters removed. */
  fields: string[];
  /** `notes.flds`. */
  flds: string;
  /** `notes.sfld` (bind as text). */
  sfld: string;
  /** `notes.csum`. */
  csum: number;
}

/**
 * Normalises received fields and computes `sfld`/`csum` as the reference's
 * `prepare_for_update(nt, normalize_text = false)` does. The caller checks the field count
 * first (`notetypeFieldCountOk`).
 */
export function prepareNoteFields(fields: readonly string[], sortIdx: number): PreparedNoteFields {
  const clean = fields.map(normaliseIncomingField);
  const first = stripHtmlPreservingMediaFilenames(clean[0] ?? '');
  const sfld = sortIdx === 0 ? first : sortFieldValue(clean, sortIdx);
  return { fields: clean, flds: clean.join('\u001f'), sfld, csum: checksumOfStripped(first) };
}

/**
 * The 252 named entities of HTML 4.01 (name → code point, hex) — the set `htmlescape`
 * decodes. Parsed once into `HTML4_ENTITIES`.
 */
const HTML4_ENTITY_TABLE = [
  'AElig:c6 Aacute:c1 Acirc:c2 Agrave:c0 Alpha:391 Aring:c5 Atilde:c3 Auml:c4 Beta:392 Ccedil:c7 Chi:3a7',
  'Dagger:2021 Delta:394 ETH:d0 Eacute:c9 Ecirc:ca Egrave:c8 Epsilon:395 Eta:397 Euml:cb Gamma:393 Iacute:cd',
  'Icirc:ce Igrave:cc Iota:399 Iuml:cf Kappa:39a Lambda:39b Mu:39c Ntilde:d1 Nu:39d OElig:152 Oacute:d3 Ocirc:d4',
  'Ograve:d2 Omega:3a9 Omicron:39f Oslash:d8 Otilde:d5 Ouml:d6 Phi:3a6 Pi:3a0 Prime:2033 Psi:3a8 Rho:3a1',
  'Scaron:160 Sigma:3a3 THORN:de Tau:3a4 Theta:398 Uacute:da Ucirc:db Ugrave:d9 Upsilon:3a5 Uuml:dc Xi:39e',
  'Yacute:dd Yuml:178 Zeta:396 aacute:e1 acirc:e2 acute:b4 aelig:e6 agrave:e0 alefsym:2135 alpha:3b1 amp:26',
  'and:2227 ang:2220 aring:e5 asymp:2248 atilde:e3 auml:e4 bdquo:201e beta:3b2 brvbar:a6 bull:2022 cap:2229',
  'ccedil:e7 cedil:b8 cent:a2 chi:3c7 circ:2c6 clubs:2663 cong:2245 copy:a9 crarr:21b5 cup:222a curren:a4',
  'dArr:21d3 dagger:2020 darr:2193 deg:b0 delta:3b4 diams:2666 divide:f7 eacute:e9 ecirc:ea egrave:e8 empty:2205',
  'emsp:2003 ensp:2002 epsilon:3b5 equiv:2261 eta:3b7 eth:f0 euml:eb euro:20ac exist:2203 fnof:192 forall:2200',
  'frac12:bd frac14:bc frac34:be frasl:2044 gamma:3b3 ge:2265 gt:3e hArr:21d4 harr:2194 hearts:2665 hellip:2026',
  'iacute:ed icirc:ee iexcl:a1 igrave:ec image:2111 infin:221e int:222b iota:3b9 iquest:bf isin:2208 iuml:ef',
  'kappa:3ba lArr:21d0 lambda:3bb lang:2329 laquo:ab larr:2190 lceil:2308 ldquo:201c le:2264 lfloor:230a',
  'lowast:2217 loz:25ca lrm:200e lsaquo:2039 lsquo:2018 lt:3c macr:af mdash:2014 micro:b5 middot:b7 minus:2212',
  'mu:3bc nabla:2207 nbsp:a0 ndash:2013 ne:2260 ni:220b not:ac notin:2209 nsub:2284 ntilde:f1 nu:3bd oacute:f3',
  'ocirc:f4 oelig:153 ograve:f2 oline:203e omega:3c9 omicron:3bf oplus:2295 or:2228 ordf:aa ordm:ba oslash:f8',
  'otilde:f5 otimes:2297 ouml:f6 para:b6 part:2202 permil:2030 perp:22a5 phi:3c6 pi:3c0 piv:3d6 plusmn:b1',
  'pound:a3 prime:2032 prod:220f prop:221d psi:3c8 quot:22 rArr:21d2 radic:221a rang:232a raquo:bb rarr:2192',
  'rceil:2309 rdquo:201d real:211c reg:ae rfloor:230b rho:3c1 rlm:200f rsaquo:203a rsquo:2019 sbquo:201a',
  'scaron:161 sdot:22c5 sect:a7 shy:ad sigma:3c3 sigmaf:3c2 sim:223c spades:2660 sub:2282 sube:2286 sum:2211',
  'sup:2283 sup1:b9 sup2:b2 sup3:b3 supe:2287 szlig:df tau:3c4 there4:2234 theta:3b8 thetasym:3d1 thinsp:2009',
  'thorn:fe tilde:2dc times:d7 trade:2122 uArr:21d1 uacute:fa uarr:2191 ucirc:fb ugrave:f9 uml:a8 upsih:3d2',
  'upsilon:3c5 uuml:fc weierp:2118 xi:3be yacute:fd yen:a5 yuml:ff zeta:3b6 zwj:200d zwnj:200c',
].join(' ');

const HTML4_ENTITIES: ReadonlyMap<string, number> = new Map(
  HTML4_ENTITY_TABLE.split(' ').map((entry) => {
    const [name = '', hex = ''] = entry.split(':');
    return [name, Number.parseInt(hex, 16)];
  }),
);
