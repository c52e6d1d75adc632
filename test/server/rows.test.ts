// Row checks of normal sync (src/server/sync/rows.ts): rows of plain in-range integers come back
// unchanged (the fast path), everything else is truncated, clamped or refused exactly as the
// reference does for legacy clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCardRow, parseRevlogRow } from '../../src/server/sync/rows.ts';

const CARD = [1700000000001, 1700000000000, 1, 0, 1763700000, 5, 2, 2, 120, 10, 2500, 4, 0, 0, 0, 0, 0, '{"s":2.5}'];
const REVLOG = [1763700000000, 1700000000001, 5, 3, 10, -600, 2500, 6000, 1];

test('well-formed card and revlog rows are accepted with their values', () => {
  assert.deepEqual(parseCardRow([...CARD]), CARD);
  assert.deepEqual(parseRevlogRow([...REVLOG]), REVLOG);
});

test('floats where the reference takes numbers are truncated toward zero', () => {
  const card = [...CARD];
  card[8] = -3.7; // due
  card[9] = 10.9; // ivl
  assert.deepEqual(parseCardRow(card).slice(8, 10), [-3, 10]);
  const rev = [...REVLOG];
  rev[4] = 2.5; // ivl
  rev[7] = 1234.9; // time
  assert.deepEqual([parseRevlogRow(rev)[4], parseRevlogRow(rev)[7]], [2, 1234]);
});

test('a negative revlog factor is clamped to 0 and an out-of-range revlog type becomes 0', () => {
  const rev = [...REVLOG];
  rev[6] = -100;
  rev[8] = 300;
  const out = parseRevlogRow(rev);
  assert.equal(out[6], 0);
  assert.equal(out[8], 0);
});

test('out-of-range values, wrong types and wrong lengths are refused', () => {
  const bad: [number, unknown][] = [
    [3, 70000], // ord
    [6, 4], // type
    [7, 5], // queue
    [0, '1700000000001'], // id as a string
    [17, 5], // data not a string
    [16, 1.5], // flags not an integer
  ];
  for (const [i, v] of bad) {
    const card: unknown[] = [...CARD];
    card[i] = v;
    assert.throws(() => parseCardRow(card), /invalid row/, `card[${i}] = ${String(v)}`);
  }
  assert.throws(() => parseCardRow(CARD.slice(0, 17)), /invalid row/);
  assert.throws(() => parseRevlogRow([...REVLOG, 0]), /invalid row/);
  const rev: unknown[] = [...REVLOG];
  rev[3] = 256; // ease
  assert.throws(() => parseRevlogRow(rev), /invalid row/);
});
