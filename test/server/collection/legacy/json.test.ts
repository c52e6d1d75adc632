// Lossless JSON and the reference's f32 formatting (docs/protocol/collection-sync.md §7.5).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  f32,
  formatF32,
  isLosslessNumber,
  jsonF32,
  LosslessNumber,
  parseJson,
  stringifyJson,
} from '../../../../src/server/collection/legacy/json.ts';

test('int64 values beyond 2^53 survive parse and stringify exactly', () => {
  const text = '{"id":-3419283748293849234,"b":8123948123948123948,"u":18446744073709551615,"small":42,"neg":-7}';
  const v = parseJson(text) as Record<string, unknown>;
  assert.equal(v.id, -3419283748293849234n);
  assert.equal(v.b, 8123948123948123948n);
  assert.equal(v.small, 42);
  assert.equal(typeof v.small, 'number');
  assert.equal(stringifyJson(parseJson(text)), text);
});

test('float literals keep their text, so 1.0 and 1 stay distinct and unknown keys round-trip byte-exactly', () => {
  const text = '{"a":1.0,"b":1,"c":2.5e-3,"d":[0.1,-0.0,1E5],"e":"\\u0007\\n\\"/ü"}';
  const v = parseJson(text) as Record<string, unknown>;
  assert.ok(isLosslessNumber(v.a));
  assert.equal(v.b, 1);
  assert.equal(stringifyJson(parseJson(text)), '{"a":1.0,"b":1,"c":2.5e-3,"d":[0.1,-0.0,1E5],"e":"\\u0007\\n\\"/ü"}');
});

test('duplicate keys: the last one wins (as when serde_json builds a map); __proto__ is an ordinary key', () => {
  assert.deepEqual(parseJson('{"a":1,"a":2}'), { a: 2 });
  const v = parseJson('{"__proto__":{"x":1}}') as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.equal(stringifyJson(v as never), '{"__proto__":{"x":1}}');
});

test('numbers serde_json cannot read as f64 are rejected', () => {
  assert.throws(() => parseJson('[1e400]'), SyntaxError);
  assert.throws(() => parseJson('{"a":}'), SyntaxError);
});

test('f32 values are printed like serde_json/ryu prints an f32', () => {
  const cases: [number, string][] = [
    [0.9, '0.9'],
    [1.3, '1.3'],
    [1.2, '1.2'],
    [1, '1.0'],
    [10, '10.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [2.5, '2.5'],
    [0.1, '0.1'],
    [-2.5, '-2.5'],
    [1e-6, '0.000001'],
    [1e-7, '1e-7'],
    [1.5e-7, '1.5e-7'],
    [123456789, '123456790.0'],
    [1e12, '1000000000000.0'],
    [1e13, '1e13'],
    [1.25e13, '1.25e13'],
    [16777217, '16777216.0'],
    [3.4028234663852886e38, '3.4028235e38'],
    [1.401298464324817e-45, '1e-45'],
    [1440.25, '1440.25'],
  ];
  for (const [x, text] of cases) assert.equal(formatF32(f32(x)), text, String(x));
  assert.equal(jsonF32(NaN), null);
  assert.equal(jsonF32(Infinity), null);
  assert.equal(stringifyJson([jsonF32(0.9), jsonF32(1)]), '[0.9,1.0]');
  assert.ok(jsonF32(2) instanceof LosslessNumber);
});

test('formatF32 gives the shortest digits that read back as the same f32, for many random f32 values', () => {
  const view = new DataView(new ArrayBuffer(4));
  let seed = 12345;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  for (let i = 0; i < 20_000; i++) {
    view.setUint32(0, (next() << 16) ^ next());
    const x = view.getFloat32(0);
    if (!Number.isFinite(x)) continue;
    const text = formatF32(x);
    assert.equal(f32(Number(text)), x, `${text} does not read back as ${x}`);
    // No shorter decimal reads back as x (checked with toPrecision at each shorter length).
    const digits = text.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    for (let p = 1; p < digits.length; p++) {
      assert.notEqual(f32(Number(x.toPrecision(p))), x, `${x}: ${x.toPrecision(p)} is shorter than ${text}`);
    }
  }
});
