// Config values as the reference prints a parsed serde_json `Value` (sorted keys, ryu's f64
// layout). Checked against the reference itself in ../legacy-schema.test.ts; here the rules one by one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJson } from '../../../../src/server/collection/legacy/json.ts';
import { formatF64, serdeValueJson } from '../../../../src/server/collection/legacy/serde-value.ts';

test("f64 values are laid out as ryu lays them out: '.0' for whole numbers, plain up to 16 digits, exponents without '+'", () => {
  const cases: [number, string][] = [
    [0, '0.0'],
    [-0, '-0.0'],
    [1, '1.0'],
    [2.5, '2.5'],
    [0.1, '0.1'],
    [1e-4, '0.0001'],
    [1e-5, '0.00001'],
    [1e-6, '1e-6'],
    [1.5e-7, '1.5e-7'],
    [123456789012345.6, '123456789012345.6'],
    [1e15, '1000000000000000.0'],
    [1.5e16, '1.5e16'],
    [1e16, '1e16'],
    [-9.223372036854776e18, '-9.223372036854776e18'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e308'],
  ];
  for (const [x, text] of cases) assert.equal(formatF64(x), text, String(x));
});

test('formatF64 gives back the same f64 for many random values', () => {
  const view = new DataView(new ArrayBuffer(8));
  for (let i = 0; i < 20_000; i++) {
    view.setUint32(0, Math.floor(Math.random() * 2 ** 32));
    view.setUint32(4, Math.floor(Math.random() * 2 ** 32));
    const x = view.getFloat64(0);
    if (!Number.isFinite(x)) continue;
    assert.equal(Number(formatF64(x)), x, String(x));
  }
});

test('integers within u64/i64 stay integers, larger ones become f64; object keys sorted by UTF-8 bytes', () => {
  const value = parseJson(
    '{"b":[18446744073709551615,18446744073709551616,-9223372036854775808,-9223372036854775809,1.50,1E3],"a":{"😀":1,"\uffff":2,"Z":3},"":null}',
  );
  assert.equal(
    serdeValueJson(value),
    '{"":null,"a":{"Z":3,"\uffff":2,"😀":1},"b":[18446744073709551615,1.8446744073709552e19,-9223372036854775808,-9.223372036854776e18,1.5,1000.0]}',
  );
});
