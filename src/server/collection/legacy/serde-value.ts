/**
 * JSON text as the reference writes a `serde_json::Value` it has parsed: how a config value is
 * stored when the reference moves `col.conf` into the `config` table (the schema-14 step of the
 * 11→18 upgrade, docs/protocol/schema.md §6). A `Value` keeps no literal text, so what comes out
 * is canonical:
 * - object keys sorted by their UTF-8 bytes (serde_json's map is a BTreeMap; the reference does not
 *   enable `preserve_order`);
 * - integers that fit u64 or i64 printed as integers; larger integer literals became f64;
 * - every other number is an f64 printed by ryu: shortest digits, `1.0`, `0.0001`, `1e-5`, `1e16`
 *   (no `+` in exponents, unlike JavaScript);
 * - strings escaped like JSON.stringify does (quote, backslash, control characters; nothing else).
 */
import { isLosslessNumber, type JsonValue } from './json.ts';

const I64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;

export function serdeValueJson(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return JSON.stringify(v);
  // parseJson gives a number only for safe integers.
  if (typeof v === 'number') return Number.isInteger(v) && !Object.is(v, -0) ? String(v) : formatF64(v);
  if (typeof v === 'bigint') return v >= I64_MIN && v <= U64_MAX ? v.toString() : formatF64(Number(v));
  if (isLosslessNumber(v)) return formatF64(Number.parseFloat(v.value));
  if (Array.isArray(v)) return `[${v.map(serdeValueJson).join(',')}]`;
  const keys = Object.keys(v).sort(byUtf8);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${serdeValueJson(v[k] as JsonValue)}`).join(',')}}`;
}

const utf8 = new TextEncoder();

/** Rust's `String` order: the UTF-8 bytes (differs from JS's UTF-16 order above U+FFFF). */
function byUtf8(a: string, b: string): number {
  return Buffer.compare(utf8.encode(a), utf8.encode(b));
}

/**
 * ryu's `format64` (serde_json's f64 output): the shortest digits that read back as the same f64
 * (JavaScript's own number-to-string choice, which is also shortest and nearest), laid out as ryu
 * lays them out. Only for finite values (serde_json cannot parse anything else).
 */
export function formatF64(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError('formatF64: not finite');
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return `${sign}0.0`;
  // String(x) is one of 123, 123.45, 0.000123, 1.23e+21, 1e-7: take its digits and exponent.
  const [mantissa = '', exponent = '0'] = String(Math.abs(x)).split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  let digits = (whole + fraction).replace(/^0+/, '');
  let k = Number(exponent) - fraction.length; // value = digits × 10^k
  const trimmed = digits.replace(/0+$/, '');
  k += digits.length - trimmed.length;
  digits = trimmed;
  return sign + layoutF64(digits, k);
}

/** ryu's `format64` layout of `digits × 10^k`. */
function layoutF64(digits: string, k: number): string {
  const length = digits.length;
  const kk = length + k; // 10^(kk-1) <= v < 10^kk
  if (k >= 0 && kk <= 16) return `${digits}${'0'.repeat(k)}.0`;
  if (kk > 0 && kk <= 16) return `${digits.slice(0, kk)}.${digits.slice(kk)}`;
  if (kk > -5 && kk <= 0) return `0.${'0'.repeat(-kk)}${digits}`;
  if (length === 1) return `${digits}e${kk - 1}`;
  return `${digits[0]}.${digits.slice(1)}e${kk - 1}`;
}
