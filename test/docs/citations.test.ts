// Every document the code cites is in the repository. Comments under src/, test/ and bench/ cite
// the protocol notes as `docs/protocol/<file>.md §N` (a bare `§N` refers to the nearest protocol
// note cited before it in the same file, or to the only one the file cites), behaviour ids as
// `docs/protocol/behaviours.md D37`, and other documents by their path from the repository root
// or from the citing file. This test fails when a cited file or section does not exist, when a
// behaviour id is not in behaviours.md, when a test file names tests after behaviour ids without
// saying once where they are defined, when a link in docs/ or README.md is broken, or when
// anything still points to the notes' old home outside the repository.
//
// Section headings of the numbered notes: `## 4. Status codes` for a section, `### 3.3 Title`
// (and `#### 3.3.1 Title`) below it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** This file: its examples of bad citations are not citations. */
const SELF = 'test/docs/citations.test.ts';
const PROTOCOL_DIR = 'docs/protocol';
/** Notes whose sections are numbered; README.md and behaviours.md are not. */
const NUMBERED_NOTES = ['http', 'collection-sync', 'media-sync', 'schema'];
const SCANNED_DIRS = ['src', 'test', 'bench'];
const TEXT_EXTENSIONS = new Set([
  '.ts',
  '.mts',
  '.js',
  '.mjs',
  '.cjs',
  '.proto',
  '.py',
  '.sh',
  '.md',
  '.c',
  '.css',
  '.html',
  '.yaml',
  '.yml',
]);
/** Written in pieces so that this file does not contain them itself. */
const FORBIDDEN = ['anki-sync' + '-spec', 'STYLE' + '.md', 'tests-to' + '-port', '/work/' + 'shared'];
const ID = '[A-H][0-9]{1,2}';
const ID_LIST = new RegExp(`^\\s*(${ID}(?:\\s*(?:[-–/]|,\\s*|\\s+and\\s+)\\s*${ID})*)`);
const SECTION = /§\s?(\d+(?:\.\d+)*)(?:\s?[–-]\s?§?(\d+(?:\.\d+)*))?/g;
/** Sections of other standards: `RFC 8878 §3.1.1`, `APPNOTE.TXT 6.3.10 §4.3`. */
const EXTERNAL_SECTION = /(?:RFC \d+|APPNOTE\.TXT [\d.]+) $/;

type Region = { start: number; end: number; kind: 'comment' | 'string' | 'text' };

/** Comments and string literals of a source file; all of a Markdown file. */
function regions(text: string, ext: string): Region[] {
  if (ext === '.md') return [{ start: 0, end: text.length, kind: 'text' }];
  const hash = ['.py', '.sh', '.yaml', '.yml'].includes(ext);
  const cLike = ['.ts', '.mts', '.js', '.mjs', '.cjs', '.proto', '.c', '.css'].includes(ext);
  if (!hash && !cLike) return [{ start: 0, end: text.length, kind: 'text' }];
  const out: Region[] = [];
  let lastSignificant = '';
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (cLike && c === '/' && (next === '/' || next === '*')) {
      const end = next === '/' ? text.indexOf('\n', i) : text.indexOf('*/', i + 2);
      const stop = end < 0 ? n : next === '/' ? end : end + 2;
      out.push({ start: i, end: stop, kind: 'comment' });
      i = stop;
      continue;
    }
    if (hash && c === '#' && (ext !== '.sh' || i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      out.push({ start: i, end: end < 0 ? n : end, kind: 'comment' });
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '"' || c === "'" || (c === '`' && !hash)) {
      const triple = ext === '.py' && text.startsWith(c.repeat(3), i);
      const quote = triple ? c.repeat(3) : c;
      let j = i + quote.length;
      while (j < n && !text.startsWith(quote, j)) {
        if (text[j] === '\\') j++;
        else if (!triple && c !== '`' && text[j] === '\n') break;
        j++;
      }
      const end = Math.min(n, j + quote.length);
      out.push({ start: i, end, kind: 'string' });
      i = end;
      lastSignificant = c;
      continue;
    }
    // A regular expression literal: skipped, so that quotes inside it start no string.
    if (cLike && c === '/' && (lastSignificant === '' || '(,=:[!&|?{};+-*%<>~^'.includes(lastSignificant))) {
      let j = i + 1;
      let inClass = false;
      while (j < n && text[j] !== '\n') {
        if (text[j] === '\\') j++;
        else if (text[j] === '[') inClass = true;
        else if (text[j] === ']') inClass = false;
        else if (text[j] === '/' && !inClass) break;
        j++;
      }
      i = j + 1;
      lastSignificant = '/';
      continue;
    }
    if (!/\s/.test(c)) lastSignificant = c;
    i++;
  }
  return out;
}

function isTestTitle(text: string, r: Region): boolean {
  return r.kind === 'string' && /\b(?:test|it|describe|suite)\s*\(\s*$/.test(text.slice(Math.max(0, r.start - 120), r.start));
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

/** Section numbers of a numbered note, from headings `## 4. Title`, `### 3.3 Title`. */
function sectionsOf(note: string): Set<string> {
  const text = readFileSync(join(ROOT, PROTOCOL_DIR, `${note}.md`), 'utf8');
  return new Set([...text.matchAll(/^#{2,4} (\d+(?:\.\d+)*)\.? /gm)].map((m) => m[1]!));
}

function behaviourIds(): Set<string> {
  const text = readFileSync(join(ROOT, PROTOCOL_DIR, 'behaviours.md'), 'utf8');
  return new Set([...text.matchAll(new RegExp(`^\\| (${ID}) +\\|`, 'gm'))].map((m) => m[1]!));
}

/** The ids of a list such as `B4-B6, D29, D30` (range ends only) or `D32/D33`. */
function idsIn(list: string): string[] {
  return [...list.matchAll(new RegExp(ID, 'g'))].map((m) => m[0]);
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(abs, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (TEXT_EXTENSIONS.has(extname(entry.name))) out.push(relative(ROOT, path).split(sep).join('/'));
    }
  };
  if (existsSync(join(ROOT, dir))) walk(join(ROOT, dir));
  return out;
}

function exists(fromFile: string, path: string): boolean {
  const clean = path.split('#')[0]!;
  return existsSync(join(ROOT, clean)) || existsSync(join(ROOT, dirname(fromFile), clean));
}

interface Checked {
  readonly problems: string[];
  /** Citations of protocol sections and behaviour ids that were checked (and found). */
  readonly citations: number;
}

/** Every problem with the citations of one file (path relative to the repository root). */
function checkFile(file: string, text: string, notes = new Map<string, Set<string>>(), ids = new Set<string>()): Checked {
  const problems: string[] = [];
  let citations = 0;
  const at = (index: number): string => `${file}:${lineOf(text, index)}`;

  for (const word of FORBIDDEN) {
    const index = text.indexOf(word);
    if (index >= 0) problems.push(`${at(index)}: mentions ${word}, which is not part of the repository`);
  }

  const regs = regions(text, extname(file));
  const prose = regs.filter((r) => r.kind !== 'string' || isTestTitle(text, r));

  // Documents cited by path: Markdown files named in comments, Markdown text and test names.
  for (const r of prose) {
    const chunk = text.slice(r.start, r.end);
    for (const m of chunk.matchAll(/(?<![\w.$/@-])((?:\.{1,2}\/|[\w-]+\/)*[\w.-]*[\w-]\.md)\b(?![\w/-])/g)) {
      const index = r.start + m.index;
      if (/https?:\/\/\S*$/.test(text.slice(Math.max(0, index - 200), index))) continue;
      if (!exists(file, m[1]!)) problems.push(`${at(index)}: cites ${m[1]}, which is not in the repository`);
    }
  }

  // Protocol sections: each `§N` belongs to the nearest protocol note cited before it.
  const noteMentions = [...text.matchAll(/docs\/protocol\/([\w-]+)\.md\b/g)]
    .map((m) => ({ index: m.index, note: m[1]! }))
    .filter((n) => NUMBERED_NOTES.includes(n.note));
  const distinct = [...new Set(noteMentions.map((n) => n.note))];
  for (const m of text.matchAll(SECTION)) {
    const index = m.index;
    if (EXTERNAL_SECTION.test(text.slice(Math.max(0, index - 30), index))) continue;
    const note = noteMentions.filter((n) => n.index < index).pop()?.note ?? (distinct.length === 1 ? distinct[0] : undefined);
    if (note === undefined) {
      problems.push(`${at(index)}: ${m[0]} names no protocol note (cite it as docs/protocol/<file>.md ${m[0]})`);
      continue;
    }
    const sections = notes.get(note);
    if (!sections) {
      problems.push(`${at(index)}: ${m[0]} of docs/protocol/${note}.md, which has no numbered sections`);
      continue;
    }
    for (const s of [m[1], m[2]]) {
      if (s === undefined) continue;
      citations++;
      if (!sections.has(s)) problems.push(`${at(index)}: docs/protocol/${note}.md has no section §${s}`);
    }
  }

  // Behaviour ids after a pointer to behaviours.md, and in test names.
  for (const m of text.matchAll(/docs\/protocol\/behaviours\.md\b/g)) {
    const list = ID_LIST.exec(text.slice(m.index + m[0].length, m.index + m[0].length + 80));
    for (const id of list ? idsIn(list[1]!) : []) {
      citations++;
      if (!ids.has(id)) problems.push(`${at(m.index)}: docs/protocol/behaviours.md has no behaviour ${id}`);
    }
  }
  let titled: number | undefined;
  for (const r of regs.filter((g) => isTestTitle(text, g))) {
    const title = new RegExp(`^.(${ID}(?:/${ID})*)[: ]`).exec(text.slice(r.start, r.end));
    if (!title) continue;
    titled ??= r.start;
    for (const id of idsIn(title[1]!)) {
      citations++;
      if (!ids.has(id)) problems.push(`${at(r.start)}: the test is named after ${id}, which docs/protocol/behaviours.md does not list`);
    }
  }
  if (titled !== undefined && !text.includes('docs/protocol/behaviours.md')) {
    problems.push(`${at(titled)}: tests named after behaviour ids, but the file never says they are those of docs/protocol/behaviours.md`);
  }
  return { problems, citations };
}

function protocolNotes(): Map<string, Set<string>> {
  return new Map(NUMBERED_NOTES.map((n) => [n, sectionsOf(n)]));
}

test('the checker finds a missing document, section and behaviour, and accepts good citations', () => {
  const notes = new Map([['http', new Set(['4', '8', '8.1'])]]);
  const ids = new Set(['A3', 'D37']);
  const good = checkFile(
    'src/x.ts',
    "// docs/protocol/http.md §4, §8.1 (docs/protocol/behaviours.md A3, D37); RFC 8878 §3.1.1\ntest('A3: abort', () => {});\n",
    notes,
    ids,
  );
  assert.deepEqual(good.problems, []);
  assert.equal(good.citations, 5);
  const bad = checkFile(
    'src/x.ts',
    "// spec http.md §4; docs/protocol/http.md §9 and docs/protocol/behaviours.md D99\nconst out = { md: 1 }; out.md = 2;\ntest('D37: x', () => {});\n",
    notes,
    ids,
  );
  assert.deepEqual(bad.problems, [
    'src/x.ts:1: cites http.md, which is not in the repository',
    'src/x.ts:1: docs/protocol/http.md has no section §9',
    'src/x.ts:1: docs/protocol/behaviours.md has no behaviour D99',
  ]);
  assert.match(checkFile('test/y.test.ts', "test('D37: x', () => {});\n", notes, ids).problems.join(), /never says/);
  assert.match(checkFile('test/y.test.ts', '// §4 alone\n', notes, ids).problems.join(), /names no protocol note/);
});

test('the numbered protocol notes carry their numbers in their headings', () => {
  for (const note of NUMBERED_NOTES) {
    const text = readFileSync(join(ROOT, PROTOCOL_DIR, `${note}.md`), 'utf8');
    const headings = [...text.matchAll(/^(#{2,4}) (.*)$/gm)];
    assert.ok(headings.length > 0, note);
    for (const [line, hashes, title] of headings) {
      const depth = hashes!.length - 1; // ## → 1 number, ### → 2, #### → 3
      const form = depth === 1 ? /^\d+\. \S/ : new RegExp(`^\\d+(?:\\.\\d+){${depth - 1}} \\S`);
      assert.match(title!, form, `${note}.md: ${line}`);
    }
  }
});

test('every document, protocol section and behaviour cited under src/, test/ and bench/ exists', () => {
  const notes = protocolNotes();
  const ids = behaviourIds();
  const problems: string[] = [];
  let citations = 0;
  for (const file of SCANNED_DIRS.flatMap(listFiles).filter((f) => f !== SELF)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    if (text.includes('\u0000')) continue;
    const checked = checkFile(file, text, notes, ids);
    problems.push(...checked.problems);
    citations += checked.citations;
  }
  assert.deepEqual(problems, []);
  assert.ok(citations > 100, `only ${citations} citations found: is the scan still reading the code?`);
});

test('links in docs/ and README.md resolve, and the code paths the protocol notes name exist', () => {
  const problems: string[] = [];
  const markdown = ['README.md', ...listFiles('docs').filter((f) => f.endsWith('.md'))];
  for (const file of markdown) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)|<img src="([^"]+)"/g)) {
      const target = (m[1] ?? m[2])!;
      if (/^(?:[a-z]+:|#)/.test(target)) continue;
      if (!exists(file, target)) problems.push(`${file}:${lineOf(text, m.index)}: link to ${target}, which does not exist`);
    }
    if (!file.startsWith(`${PROTOCOL_DIR}/`)) continue;
    for (const m of text.matchAll(/`((?:src|test|bench|native|scripts)\/[^`*\s]+)`/g)) {
      if (!existsSync(join(ROOT, m[1]!))) problems.push(`${file}:${lineOf(text, m.index)}: names ${m[1]}, which does not exist`);
    }
  }
  assert.deepEqual(problems, []);
});
