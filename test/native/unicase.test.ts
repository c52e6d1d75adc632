/**
 * Tests for the native `unicase` collation (native/unicase.c), which must order text exactly like
 * Anki's (Rust unicase 2.6.0: Unicode 12.0.0 full case folding, statuses C + F).
 *
 * The reference used here is built straight from the `unicode-12.0.0` package data, independently
 * of the generated C table, so a bug in the generator or in the C lookup shows up as a mismatch.
 * It models the crate, quirks included (see crateOrder), not an idealised Unicode comparison.
 * Build first: node scripts/build-native.mjs
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import Database from 'better-sqlite3';
import { loadUnicase, unicaseExtensionPath } from '../../src/server/collection/unicase.ts';

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------
// Reference implementation (from the Unicode data, not from native/build/casefold_table.h)
// ---------------------------------------------------------------------------------------------

const caseFoldingC = require('unicode-12.0.0/Case_Folding/C/code-points.js') as Map<number, number>;
const caseFoldingF = require('unicode-12.0.0/Case_Folding/F/code-points.js') as Map<number, number[]>;

/** Full case folding: status F (multi-code-point) wins over C; T (Turkic) and S are not used. */
const referenceTable = new Map<number, number[]>();
for (const [from, to] of caseFoldingC) referenceTable.set(from, [to]);
for (const [from, to] of caseFoldingF) referenceTable.set(from, [...to]);

/**
 * The order in which unicase 2.x's Fold iterator yields a folding. Its Fold::Three arm returns the
 * third code point first, then the first two (a bug present from 2.6.0 through 2.9.0), so Anki
 * compares U+FB03 "ﬃ" as "iff". One- and two-code-point foldings come out in Unicode's order.
 */
function crateOrder(folded: readonly number[]): number[] {
  return folded.length === 3 ? [folded[2]!, folded[0]!, folded[1]!] : [...folded];
}

/** The code point sequence Anki's collation compares for s. */
function foldCodePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const folded = referenceTable.get(cp);
    if (folded) out.push(...crateOrder(folded));
    else out.push(cp);
  }
  return out;
}

function referenceFold(s: string): string {
  return String.fromCodePoint(...foldCodePoints(s));
}

/** Lexicographic order of code point sequences; a proper prefix sorts first. */
function compareCodePoints(fa: readonly number[], fb: readonly number[]): number {
  const n = Math.min(fa.length, fb.length);
  for (let i = 0; i < n; i++) {
    if (fa[i] !== fb[i]) return fa[i]! < fb[i]! ? -1 : 1;
  }
  return Math.sign(fa.length - fb.length);
}

/** UniCase::new(a).cmp(&UniCase::new(b)): compare the full case foldings. */
function referenceCompare(a: string, b: string): number {
  return compareCodePoints(foldCodePoints(a), foldCodePoints(b));
}

/** rusqlite gives the collation String::from_utf8_lossy(bytes); WHATWG decoding replaces the same way. */
const lossyUtf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function openDb(filename = ':memory:'): Database.Database {
  const db = new Database(filename);
  loadUnicase(db);
  return db;
}

/** A connection that also has unicase_fold(text), the test-only entry point of the same library. */
function openDbWithFold(): Database.Database {
  const db = new Database(':memory:');
  (db as unknown as { loadExtension(path: string, entry: string): void }).loadExtension(unicaseExtensionPath(), 'sqlite3_unicasefold_init');
  return db;
}

const compareStatements = new WeakMap<Database.Database, Database.Statement>();

/** -1, 0 or 1 as the unicase collation orders a and b. */
function compareInSqlite(db: Database.Database, a: string | Buffer, b: string | Buffer): number {
  let stmt = compareStatements.get(db);
  if (!stmt) {
    // Buffers are cast to TEXT so that invalid UTF-8 reaches the collation unchanged.
    stmt = db
      .prepare(
        `SELECT CASE WHEN x < y COLLATE unicase THEN -1 WHEN x = y COLLATE unicase THEN 0 ELSE 1 END
           FROM (SELECT CAST(? AS TEXT) AS x, CAST(? AS TEXT) AS y)`,
      )
      .pluck();
    compareStatements.set(db, stmt);
  }
  return stmt.get(a, b) as number;
}

/** Deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function rangeChars(from: number, to: number): string[] {
  const out: string[] = [];
  for (let cp = from; cp <= to; cp++) out.push(String.fromCodePoint(cp));
  return out;
}

/** Characters that stress the interesting parts of the table (and some that must not fold). */
const ALPHABET: string[] = [
  ...rangeChars(0x20, 0x7e), // ASCII incl. punctuation, which sorts between upper and lower case
  ...rangeChars(0xc0, 0xff), // Latin-1 letters incl. ß (folds to "ss") and ÿ
  ...rangeChars(0x391, 0x3c9), // Greek incl. final sigma ς
  ...'\u0390\u03b0\u1f88\u1fb3\u1fbc', // Greek with 3-code-point / iota-subscript foldings
  ...rangeChars(0x400, 0x44f), // Cyrillic incl. Ё
  ...'\u0130\u0131Ii\u0307', // Turkish İ (folds to i + U+0307), dotless ı (no folding)
  ...'\u1e9e\u00dfsS\u017f', // ẞ, ß, long s ſ (folds to s)
  ...'\ufb00\ufb01\ufb02\ufb03\ufb04\u212a\u2126', // ligatures, Kelvin sign, Ohm sign
  ...'\u13a0\uab70\u13f8\u13f0', // Cherokee (lowercase folds to uppercase)
  ...'\u{10400}\u{10428}\u{1e900}\u{1e922}', // Deseret, Adlam (outside the BMP)
  ...'漢字中文\u3042\uac00', // CJK, kana, Hangul: no folding
  ...'😀🎉👍\u{1f1ef}', // emoji: no folding (spreading a string splits by code point)
  ...'\ufffd\u0000',
];

function randomString(next: () => number, maxLen: number): string {
  const len = Math.floor(next() * (maxLen + 1));
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(next() * ALPHABET.length)]!;
  // Randomly re-case, to create many strings that are equal under folding.
  const r = next();
  if (r < 0.2) return s.toUpperCase();
  if (r < 0.4) return s.toLowerCase();
  return s;
}

// ---------------------------------------------------------------------------------------------
// Loader
// ---------------------------------------------------------------------------------------------

test('unicaseExtensionPath is an absolute path to the library built for this system and CPU', () => {
  const path = unicaseExtensionPath();
  assert.ok(isAbsolute(path));
  const ext = process.platform === 'win32' ? 'dll' : process.platform === 'darwin' ? 'dylib' : 'so';
  assert.equal(path, join(dirname(path), `unicase-${process.platform}-${process.arch}.${ext}`));
  assert.match(path, /[\\/]native[\\/]build[\\/]unicase-\w+-\w+\.\w+$/);
});

test('a collation-less connection cannot compare with unicase; loadUnicase adds it', () => {
  const plain = new Database(':memory:');
  assert.throws(() => plain.prepare(`SELECT 'a' = 'A' COLLATE unicase`).get(), /no such collation sequence: unicase/);
  plain.close();
  const db = openDb();
  assert.equal(db.prepare(`SELECT 'a' = 'A' COLLATE unicase AS eq`).pluck().get(), 1);
  db.close();
});

// ---------------------------------------------------------------------------------------------
// Spec cases
// ---------------------------------------------------------------------------------------------

test('strings equal under Anki case folding compare equal', () => {
  const db = openDb();
  const equal: Array<[string, string]> = [
    ['foo bar', 'FoO BAR'],
    ['στιγμας', 'στιγμασ'], // final sigma folds to σ
    ['ΣΤΙΓΜΑΣ', 'στιγμας'],
    ['ﬂour', 'flour'], // ligature ﬂ folds to "fl" (status F)
    ['Maße', 'MASSE'], // ß folds to "ss" (status F)
    ['Straße', 'STRASSE'],
    ['STRAẞE', 'strasse'], // capital sharp s ẞ also folds to "ss"
    ['İstanbul', 'i\u0307stanbul'], // İ folds to i + combining dot (status F, not Turkic T)
    ['\u017ftraße', 'STRASSE'], // long s ſ folds to s
    ['\u212a', 'k'], // Kelvin sign
    ['ᾈ', 'ἀι'], // Greek capital with prosgegrammeni folds to two code points
    ['\u0390', '\u0301\u03b9\u0308'], // ΐ folds to ι U+0308 U+0301, compared in unicase's order
    ['\ufb03', 'IFF'], // ﬃ folds to "ffi", compared as "iff" (see crateOrder)
    ['ЁЛКА', 'ёлка'],
    ['\u{10400}', '\u{10428}'], // Deseret
    ['\uab70', '\u13a0'], // Cherokee small letter folds to the capital
    ['漢字', '漢字'],
    ['😀🎉', '😀🎉'],
    ['', ''],
  ];
  const stmt = db.prepare('SELECT ? = ? COLLATE unicase AS eq').pluck();
  for (const [a, b] of equal) {
    assert.equal(stmt.get(a, b), 1, `${JSON.stringify(a)} should equal ${JSON.stringify(b)}`);
    assert.equal(stmt.get(b, a), 1, `${JSON.stringify(b)} should equal ${JSON.stringify(a)}`);
    assert.equal(referenceCompare(a, b), 0, `reference disagrees on ${JSON.stringify(a)}`);
  }
  db.close();
});

test('orderings: case-insensitive, proper prefix first, unfolded scripts by code point', () => {
  const db = openDb();
  const less: Array<[string, string]> = [
    ['a', 'B'],
    ['A', 'b'],
    ['a', 'aa'],
    ['a', 'AA'],
    ['', 'a'],
    ['foo', 'foobar'],
    ['_', 'Z'], // Z is compared as z (0x7A), so it sorts after _ (0x5F), unlike in BINARY order
    ['[', 'a'],
    ['i', 'İ'], // "i" is a proper prefix of "i̇"
    ['İ', 'ı'], // i + U+0307 < U+0131: dotless ı does not fold to i
    ['ss', 'ßa'], // ß is "ss", so "ss" is a prefix of "ssa"
    ['字', '漢'], // CJK: plain code point order (U+5B57 < U+6F22)
    ['\uffff', '😀'], // supplementary code points sort after the BMP, as in UTF-8
  ];
  const lt = db.prepare('SELECT ? < ? COLLATE unicase').pluck();
  const ne = db.prepare('SELECT ? <> ? COLLATE unicase').pluck();
  for (const [a, b] of less) {
    assert.equal(lt.get(a, b), 1, `${JSON.stringify(a)} < ${JSON.stringify(b)}`);
    assert.equal(lt.get(b, a), 0, `not ${JSON.stringify(b)} < ${JSON.stringify(a)}`);
    assert.equal(ne.get(a, b), 1, `${JSON.stringify(a)} <> ${JSON.stringify(b)}`);
    assert.equal(referenceCompare(a, b), -1, `reference agrees on ${JSON.stringify(a)} < ${JSON.stringify(b)}`);
  }
  assert.equal(db.prepare(`SELECT 'foo' = 'foobar' COLLATE unicase`).pluck().get(), 0);
  assert.equal(db.prepare(`SELECT 'ı' = 'i' COLLATE unicase`).pluck().get(), 0);
  assert.equal(db.prepare(`SELECT 'İ' = 'i' COLLATE unicase`).pluck().get(), 0);
  db.close();
});

test('three-code-point foldings compare in unicase 2.x iteration order (third, first, second)', () => {
  const db = openDb();
  const eq = db.prepare('SELECT ? = ? COLLATE unicase').pluck();
  assert.equal(eq.get('\ufb03', 'iff'), 1);
  assert.equal(eq.get('\ufb03', 'ffi'), 0);
  assert.equal(eq.get('\ufb04', 'lff'), 1); // ﬄ folds to "ffl", compared as "lff"
  assert.equal(eq.get('\ufb03', '\ufb03'), 1);
  assert.equal(eq.get('\u0390', '\u0301\u03b9\u0308'), 1);
  assert.equal(eq.get('\u0390', '\u03b9\u0308\u0301'), 0);
  assert.equal(eq.get('\u0390', '\u1fd3'), 1, 'U+1FD3 has the same folding as U+0390');
  assert.equal(compareInSqlite(db, '\ufb03', 'ffi'), 1, '"iff" > "ffi"');
  assert.equal(compareInSqlite(db, '\ufb03', 'j'), -1, '"iff" < "j"');
  // Two-code-point foldings keep their order.
  assert.equal(eq.get('\ufb00', 'ff'), 1);
  assert.equal(eq.get('\ufb02', 'fl'), 1);
  assert.equal(eq.get('\u0130', 'i\u0307'), 1);
  db.close();
});

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

test('generated table covers exactly the Unicode 12.0.0 C + F case foldings', () => {
  const header = readFileSync(join(dirname(unicaseExtensionPath()), 'casefold_table.h'), 'utf8');
  const arrays = new Map<string, string>();
  for (const m of header.matchAll(/static const \w+ (\w+)\[[^=]*= \{\n([\s\S]*?)\n\};/g)) arrays.set(m[1]!, m[2]!);
  const keys = (arrays.get('unicase_fold_keys') ?? '').match(/0x[0-9A-F]+/g)!.map(Number);
  const vals = (arrays.get('unicase_fold_vals') ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  const multi = [...(arrays.get('unicase_multi') ?? '').matchAll(/\{([^}]*)\}/g)].map((m) =>
    m[1]!
      .split(',')
      .map(Number)
      .filter((cp) => cp !== 0),
  );

  const expectedCount = new Set([...caseFoldingC.keys(), ...caseFoldingF.keys()]).size;
  assert.equal(expectedCount, referenceTable.size);
  assert.equal(keys.length, expectedCount, 'one table entry per C/F code point');
  assert.equal(vals.length, expectedCount);
  assert.match(header, new RegExp(`#define UNICASE_FOLD_COUNT ${expectedCount}\\n`));
  assert.equal(multi.length, caseFoldingF.size, 'every F (multi-code-point) folding stored once');
  assert.deepEqual(
    keys,
    [...keys].sort((a, b) => a - b),
    'keys sorted for binary search',
  );

  const fromHeader = new Map<number, number[]>();
  keys.forEach((k, i) => {
    const v = vals[i]!;
    const multiIndex = /^UNICASE_MULTI_FLAG \| (\d+)$/.exec(v);
    fromHeader.set(k, multiIndex ? multi[Number(multiIndex[1])]! : [Number(v)]);
  });
  assert.deepEqual(fromHeader, referenceTable);
});

test('every C/F code point folds in SQLite as the Unicode data says (in unicase iteration order)', () => {
  const db = openDbWithFold();
  const fold = db.prepare('SELECT unicase_fold(?)').pluck();
  const eq = db.prepare('SELECT ? = ? COLLATE unicase').pluck();
  let checked = 0;
  for (const [cp, folded] of referenceTable) {
    const ch = String.fromCodePoint(cp);
    const expected = String.fromCodePoint(...crateOrder(folded));
    const label = `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
    assert.equal(fold.get(ch), expected, `${label} unicase_fold`);
    assert.equal(eq.get(ch, expected), 1, `${label} = its folding`);
    assert.equal(eq.get(ch, expected + 'x'), 0, `${label} <> its folding + x`);
    // A different character (the next code point with a different folding) must not compare equal,
    // and must order the way the reference orders them.
    let other = cp + 1;
    while (referenceFold(String.fromCodePoint(other)) === expected) other++;
    const otherCh = String.fromCodePoint(other);
    assert.equal(eq.get(ch, otherCh), 0, `${label} <> U+${other.toString(16)}`);
    assert.equal(compareInSqlite(db, ch, otherCh), referenceCompare(ch, otherCh), `${label} vs U+${other.toString(16)}`);
    checked++;
  }
  assert.equal(checked, caseFoldingC.size + caseFoldingF.size);
  db.close();
});

test('code points without a C/F entry do not fold (all of U+0000..U+10FFFF)', () => {
  const db = openDbWithFold();
  const fold = db.prepare('SELECT unicase_fold(?)').pluck();
  let chunk: number[] = [];
  const flush = () => {
    const s = String.fromCodePoint(...chunk);
    assert.equal(fold.get(s), s, `chunk starting U+${chunk[0]!.toString(16)}`);
    chunk = [];
  };
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue; // not encodable in UTF-8
    if (referenceTable.has(cp)) continue;
    chunk.push(cp);
    if (chunk.length === 8192) flush();
  }
  flush();
  db.close();
});

// ---------------------------------------------------------------------------------------------
// Ordering of whole strings
// ---------------------------------------------------------------------------------------------

test('ORDER BY ... COLLATE unicase matches the reference order on random mixed-script strings', () => {
  const db = openDb();
  const next = rng(0x5eed);
  const strings: string[] = [];
  for (let i = 0; i < 6000; i++) strings.push(randomString(next, 10));
  // Near-duplicates of existing strings produce ties and shared prefixes.
  for (let i = 0; i < 1000; i++) {
    const base = strings[Math.floor(next() * strings.length)]!;
    strings.push(next() < 0.5 ? base.toUpperCase() + randomString(next, 2) : base.toLowerCase());
  }
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (s) VALUES (?)');
  db.transaction(() => strings.forEach((s) => insert.run(s)))();
  const expectedKeys = strings
    .map(foldCodePoints)
    .sort(compareCodePoints)
    .map((cps) => String.fromCodePoint(...cps));
  // Two strings are equal under the collation exactly when their reference foldings are equal.
  const countByKey = new Map<string, number>();
  for (const s of strings) countByKey.set(referenceFold(s), (countByKey.get(referenceFold(s)) ?? 0) + 1);

  const check = (sorted: string[], how: string) => {
    assert.equal(sorted.length, strings.length);
    assert.deepEqual([...sorted].sort(), [...strings].sort(), `${how}: same multiset of rows`);
    // Ties may come out in any order, so compare folded keys rather than the strings themselves.
    assert.deepEqual(sorted.map(referenceFold), expectedKeys, `${how}: order`);
  };
  check(db.prepare('SELECT s FROM t ORDER BY s COLLATE unicase').pluck().all() as string[], 'sorter');
  check(db.prepare('SELECT s FROM t ORDER BY s COLLATE unicase DESC').pluck().all().reverse() as string[], 'desc');

  // Same rows read back through an index b-tree built with the collation.
  db.exec('CREATE INDEX t_s ON t (s COLLATE unicase)');
  const viaIndex = db.prepare('SELECT s FROM t INDEXED BY t_s ORDER BY s COLLATE unicase').pluck();
  check(viaIndex.all() as string[], 'index');

  // Equality lookups through the index find exactly the reference matches.
  const lookup = db.prepare('SELECT count(*) FROM t INDEXED BY t_s WHERE s = ? COLLATE unicase').pluck();
  for (let i = 0; i < 300; i++) {
    const stored = strings[Math.floor(next() * strings.length)]!;
    // Probe with the stored string and with re-cased variants (JS upper-casing is not folding,
    // e.g. 'ı' -> 'I', so each probe gets its own expected count).
    for (const probe of [stored, stored.toUpperCase(), stored.toLowerCase()]) {
      const expected = countByKey.get(referenceFold(probe)) ?? 0;
      assert.equal(lookup.get(probe), expected, `lookup ${JSON.stringify(probe)}`);
    }
  }
  db.close();
});

test('pairwise comparisons agree with the reference (random pairs, both argument orders)', () => {
  const db = openDb();
  const next = rng(42);
  for (let i = 0; i < 5000; i++) {
    const a = randomString(next, 6);
    const b = next() < 0.3 ? a.toUpperCase() + randomString(next, 1) : randomString(next, 6);
    const expected = referenceCompare(a, b);
    assert.equal(compareInSqlite(db, a, b), expected, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    assert.equal(compareInSqlite(db, b, a), -expected || 0, `${JSON.stringify(b)} vs ${JSON.stringify(a)}`);
  }
  db.close();
});

// ---------------------------------------------------------------------------------------------
// Invalid UTF-8
// ---------------------------------------------------------------------------------------------

test('invalid UTF-8 compares as if each maximal ill-formed subsequence were U+FFFD', () => {
  const db = openDb();
  const hex = (h: string) => Buffer.from(h.replace(/ /g, ''), 'hex');
  const cases: Array<[Buffer, string]> = [
    [hex('c3'), '\ufffd'], // truncated 2-byte sequence
    [hex('e2 82'), '\ufffd'], // truncated 3-byte sequence: one replacement
    [hex('f0 9f 98 41'), '\ufffdA'], // truncated 4-byte sequence then ASCII
    [hex('80 80'), '\ufffd\ufffd'], // stray continuation bytes: one each
    [hex('c0 af'), '\ufffd\ufffd'], // overlong '/'
    [hex('ed a0 80'), '\ufffd\ufffd\ufffd'], // UTF-16 surrogate
    [hex('f4 90 80 80'), '\ufffd\ufffd\ufffd\ufffd'], // above U+10FFFF
    [hex('ff 41 c3 9f'), '\ufffdA\u00df'], // invalid byte, then "Aß"
  ];
  for (const [bytes, expected] of cases) {
    assert.equal(lossyUtf8.decode(bytes), expected, 'test vector matches WHATWG decoding');
    assert.equal(compareInSqlite(db, bytes, expected), 0, `${bytes.toString('hex')} = ${JSON.stringify(expected)}`);
  }
  // Replacement characters fold like any other text around them.
  assert.equal(compareInSqlite(db, hex('ff 41 c3 9f'), '\ufffdass'), 0);
  assert.equal(compareInSqlite(db, hex('c3'), 'a'), 1, 'U+FFFD sorts after ASCII');
  assert.equal(compareInSqlite(db, hex('c3'), '😀'), -1, 'U+FFFD sorts before supplementary planes');

  // Random byte soup weighted towards UTF-8 lead/continuation bytes and valid fragments.
  const next = rng(7);
  const pieces = [
    [0x41],
    [0x61],
    [0x5a],
    [0x80],
    [0xbf],
    [0xc2],
    [0xc3],
    [0xc3, 0x9f],
    [0xce, 0xa3],
    [0xe0],
    [0xe0, 0xa0],
    [0xed],
    [0xed, 0x9f, 0xbf],
    [0xef, 0xbf, 0xbd],
    [0xf0],
    [0xf0, 0x90],
    [0xf0, 0x9f, 0x98, 0x80],
    [0xf4, 0x8f],
    [0xf5],
    [0xff],
    [0xe1, 0xba, 0x9e],
    [0xc4, 0xb0],
    [0x00],
  ];
  const randomBytes = () => {
    const out: number[] = [];
    const n = Math.floor(next() * 8);
    for (let i = 0; i < n; i++) out.push(...pieces[Math.floor(next() * pieces.length)]!);
    return Buffer.from(out);
  };
  for (let i = 0; i < 5000; i++) {
    const a = randomBytes();
    const b = randomBytes();
    const expected = referenceCompare(lossyUtf8.decode(a), lossyUtf8.decode(b));
    assert.equal(compareInSqlite(db, a, b), expected, `${a.toString('hex')} vs ${b.toString('hex')}`);
  }
  db.close();
});

// ---------------------------------------------------------------------------------------------
// Indexes and integrity
// ---------------------------------------------------------------------------------------------

test('UNIQUE unicase column rejects "Straße" after "STRASSE"', () => {
  const db = openDb();
  // Shaped like Anki's tags table.
  db.exec('CREATE TABLE tags (tag TEXT NOT NULL PRIMARY KEY COLLATE unicase, usn INTEGER NOT NULL) WITHOUT ROWID');
  const insert = db.prepare('INSERT INTO tags (tag, usn) VALUES (?, 0)');
  insert.run('STRASSE');
  assert.throws(
    () => insert.run('Straße'),
    (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
      return true;
    },
  );
  db.exec('CREATE TABLE decks (id INTEGER PRIMARY KEY, name TEXT NOT NULL)');
  db.exec('CREATE UNIQUE INDEX idx_decks_name ON decks (name COLLATE unicase)');
  db.prepare('INSERT INTO decks (name) VALUES (?)').run('STRASSE');
  assert.throws(() => db.prepare('INSERT INTO decks (name) VALUES (?)').run('Straße'), /UNIQUE constraint failed/);
  db.prepare('INSERT INTO decks (name) VALUES (?)').run('Strasse2'); // a different name is fine
  db.close();
});

test('PRAGMA integrity_check is ok on a unicase-indexed table after many inserts, updates and deletes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hearth-unicase-'));
  try {
    const file = join(dir, 'collection.anki2');
    const db = openDb(file);
    db.exec(`CREATE TABLE notetypes (id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE unicase);
             CREATE INDEX idx_notetypes_name ON notetypes (name);`);
    const next = rng(1234);
    const insert = db.prepare('INSERT INTO notetypes (name) VALUES (?)');
    const update = db.prepare('UPDATE notetypes SET name = ? WHERE id = ?');
    const remove = db.prepare('DELETE FROM notetypes WHERE id = ?');
    db.transaction(() => {
      for (let i = 0; i < 20000; i++) insert.run(randomString(next, 12));
      for (let i = 0; i < 3000; i++) update.run(randomString(next, 12), 1 + Math.floor(next() * 20000));
      for (let i = 0; i < 3000; i++) remove.run(1 + Math.floor(next() * 20000));
    })();
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    db.close();

    // A fresh connection (as after a server restart) agrees with the index written before.
    const reopened = openDb(file);
    assert.equal(reopened.pragma('integrity_check', { simple: true }), 'ok');
    reopened.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
