// Note tag strings and the tags table (docs/protocol/collection-sync.md §6.3, §8.4): unit checks, then the
// real client registering the same names in the same order on its own collection, compared row
// for row with what registerTags leaves in ours.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createCollection } from '../../../src/server/collection/create.ts';
import { openCollection } from '../../../src/server/collection/open.ts';
import {
  joinTags,
  canonicalNoteTags,
  joinTagsForWire,
  normaliseTagName,
  registerTags,
  splitTags,
  tagsChangedSince,
} from '../../../src/server/collection/tags.ts';
import { fixedClock, NO_ANKI_PYTHON, runPython, tempDir } from './support.ts';

function newCollection(dir: string) {
  const path = join(dir, 'collection.anki2');
  createCollection(path, fixedClock(1_700_000_000_000));
  return openCollection(path);
}

interface TagRow {
  tag: string;
  usn: number;
  collapsed: number;
  config: null;
}

function allTags(db: ReturnType<typeof openCollection>): TagRow[] {
  return db.prepare<[], TagRow>('SELECT tag, usn, collapsed, config FROM tags').all();
}

test('note tag strings: split on U+0020 and U+3000, joined as " a b " or ""', () => {
  assert.deepEqual(splitTags('  a  b\u3000c '), ['a', 'b', 'c']);
  assert.deepEqual(splitTags('a\tb\u00a0c'), ['a\tb\u00a0c'], 'tabs and no-break spaces are not separators');
  assert.deepEqual(splitTags(''), []);
  assert.deepEqual(splitTags('   '), []);
  assert.equal(joinTags(['a', 'b']), ' a b ');
  assert.equal(joinTags([]), '');
  assert.equal(canonicalNoteTags('b  A\u3000'), ' b A ', 'no sorting, no case changes');
  assert.equal(canonicalNoteTags(' \u3000 '), '');
  assert.equal(joinTagsForWire('x\u3000y'), ' x y ');
});

test('tag names are normalised per :: component (NFC, no controls or separators, trimmed, blank)', () => {
  assert.equal(normaliseTagName('e\u0301cole'), '\u00e9cole');
  assert.equal(normaliseTagName('\ufa47'), '\u6f22', 'NFC maps the compatibility ideograph');
  assert.equal(normaliseTagName('a b\u3000c\td\u0001e\u007f'), 'abcde');
  assert.equal(normaliseTagName(''), 'blank');
  assert.equal(normaliseTagName('::'), 'blank::blank');
  assert.equal(normaliseTagName('foo::'), 'foo::blank');
  assert.equal(normaliseTagName(' :: x '), 'blank::x');
  assert.equal(normaliseTagName('\u2003em\u2003::\u00a0nbsp'), 'em::nbsp');
  assert.equal(normaliseTagName('\u0085nel\u0085'), 'nel', 'Rust trims U+0085');
  assert.equal(normaliseTagName('\ufeffbom'), '\ufeffbom', 'Rust keeps U+FEFF');
  assert.equal(normaliseTagName('x:::y'), 'x:::y');
});

test('registerTags: existing names kept with their usn, ancestors lend their spelling, no parents added', (t) => {
  const db = newCollection(tempDir(t));
  t.after(() => db.close());
  assert.deepEqual(registerTags(db, ['parent', 'Parent::Child', 'PARENT::CHILD::grand', 'a::b::c'], 5), [
    { name: 'parent', added: true },
    { name: 'parent::Child', added: true },
    { name: 'parent::Child::grand', added: true },
    { name: 'a::b::c', added: true },
  ]);
  assert.deepEqual(registerTags(db, ['PARENT', 'new one'], 9), [
    { name: 'parent', added: false },
    { name: 'newone', added: true },
  ]);
  const rows = allTags(db);
  assert.deepEqual(
    rows.map((r) => [r.tag, r.usn, r.collapsed, r.config]),
    [
      ['a::b::c', 5, 1, null],
      ['newone', 9, 1, null],
      ['parent', 5, 1, null],
      ['parent::Child', 5, 1, null],
      ['parent::Child::grand', 5, 1, null],
    ],
  );
  assert.deepEqual(tagsChangedSince(db, 9), ['newone']);
  assert.deepEqual(tagsChangedSince(db, 5).length, 5);
  assert.deepEqual(tagsChangedSince(db, 10), []);
  db.prepare("UPDATE tags SET usn = -1 WHERE tag = 'a::b::c'").run();
  assert.deepEqual(tagsChangedSince(db, -1), ['a::b::c'], '-1 selects exactly the pending rows');
});

/**
 * Registration steps, in order. `add`: the client's bulk-add of tags (split on separators
 * first, then `register_tag` per name, existing rows untouched). `raw`: `set_tag_collapsed`,
 * which registers the unsplit name like the sync merge (used for names with separators;
 * its follow-up update only touches a row equal to the raw name, which cannot contain a
 * separator). `usn`: set every row's usn, to see which rows later steps modify.
 */
type Step = ['add' | 'raw', string] | ['usn', number];

const STEPS: Step[] = [
  ['add', 'parent'],
  ['add', 'Parent::child'],
  ['add', 'PARENT::CHILD::grand'],
  ['add', 'PARENT::Other::deep'],
  ['add', 'FOO'],
  ['add', 'foo'],
  ['add', 'a::b::c'],
  ['add', 'A::B'],
  ['add', 'A::B::d'],
  ['add', 'e\u0301cole'],
  ['add', '\u00c9COLE'],
  ['add', '\ufa47'],
  ['add', 'tab\there'],
  ['add', 'ctl\u0001x::\u007fy'],
  ['add', '\u2003em\u2003'],
  ['add', '\u0085nel\u0085'],
  ['add', '\ufeffbom'],
  ['add', '\u00a0nbsp\u00a0::x'],
  ['add', 'Maße'],
  ['add', 'MASSE'],
  ['add', 'q:::r'],
  ['add', 'Q:::R::s'],
  ['add', 'deck::'],
  ['add', '::lead'],
  ['raw', 'Foo Bar::baz'],
  ['raw', '  ::x'],
  ['raw', ''],
  ['raw', 'a\u3000b'],
  ['raw', '::'],
  ['raw', 'x:: '],
  ['raw', ' \u3000 '],
  ['usn', 7],
  ['add', 'Parent'],
  ['add', 'PARENT::child'],
  ['add', 'parent::brand::new'],
  ['add', 'ÉCOLE::Sub'],
  ['add', 'fresh'],
];

const CLIENT_TAGS = `
import json, sys
from anki.collection import Collection

steps = json.load(open(sys.argv[2], encoding="utf-8"))
col = Collection(sys.argv[3])
for kind, value in steps:
    if kind == "add":
        col.tags.bulk_add([], value)
    elif kind == "raw":
        col._backend.set_tag_collapsed(name=value, collapsed=True)
    else:
        col.db.execute("update tags set usn = ?", value)
rows = col.db.all("select tag, usn, collapsed, config from tags")
col.close()
json.dump(rows, open(sys.argv[1], "w", encoding="utf-8"))
`;

test('registerTags leaves the same tags table as the real client registering the same names', { skip: NO_ANKI_PYTHON }, async (t) => {
  const dir = tempDir(t);
  const stepsPath = join(dir, 'steps.json');
  writeFileSync(stepsPath, JSON.stringify(STEPS));
  const clientRows = await runPython<[string, number, number, null][]>(dir, CLIENT_TAGS, [stepsPath, join(dir, 'client.anki2')]);

  const db = newCollection(dir);
  t.after(() => db.close());
  // A client's own changes carry usn -1; that is the usn the client gives new tags here.
  for (const step of STEPS) {
    if (step[0] === 'usn') db.prepare('UPDATE tags SET usn = ?').run(step[1]);
    // the client's bulk add splits first; the sync merge (raw) does not
    else registerTags(db, step[0] === 'add' ? splitTags(step[1]) : [step[1]], -1);
  }
  const byName = (a: [string, ...unknown[]], b: [string, ...unknown[]]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  const ours = allTags(db).map((r) => [r.tag, r.usn, r.collapsed, r.config] as [string, number, number, null]);
  assert.deepEqual(ours.sort(byName), [...clientRows].sort(byName));
  // and spot checks, so a shared mistake would still show
  const names = ours.map((r) => r[0]);
  for (const expected of [
    'parent::child',
    'parent::child::grand',
    'parent::Other::deep',
    'A::B::d',
    '\u00e9cole',
    'FooBar::baz',
    'blank::blank',
  ]) {
    assert.ok(names.includes(expected), expected);
  }
  assert.ok(!names.includes('a::b') && !names.includes('a'), 'parents are not registered');
  assert.deepEqual(
    ours
      .filter((r) => r[1] === -1)
      .map((r) => r[0])
      .sort(),
    ['fresh', 'parent::brand::new', '\u00e9cole::Sub'],
  );
});
