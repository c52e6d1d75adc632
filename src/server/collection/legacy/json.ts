/**
 * JSON as the reference's serde_json sees it, for the legacy objects of normal sync
 * (docs/protocol/collection-sync.md §7.5).
 *
 * The value model (`JsonValue`), chosen so that nothing the client sends is lost or altered:
 * - integer literals become `number` when |n| <= 2^53 - 1 and `bigint` otherwise, so random
 *   64-bit field/template ids (e.g. -3419283748293849234) survive exactly;
 * - literals with a fraction or an exponent (`1.0`, `2.5e-3`) become a `LosslessNumber` that
 *   keeps the literal's text. serde_json distinguishes them the same way (`1.0` is an f64
 *   and is rejected where an integer is expected, `1` is an integer), and unknown keys we
 *   store in `other` and send back keep their exact text;
 * - `stringifyJson` prints `bigint` as digits and a `LosslessNumber` as its text. The legacy
 *   converters emit f32 values as `LosslessNumber`s holding the reference's formatting
 *   (`formatF32`: `0.9`, `1.0`), so our bytes match what the reference sends.
 * Use `parseJson`/`stringifyJson` for any body that carries legacy objects; plain
 * `JSON.parse` would round big ids and `JSON.stringify` throws on `bigint`.
 */
import { isLosslessNumber, LosslessNumber, parse, stringify } from 'lossless-json';

export { isLosslessNumber, LosslessNumber };

export type JsonValue = null | boolean | string | number | bigint | LosslessNumber | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

const INTEGER_LITERAL = /^-?\d+$/;

function parseNumberLiteral(text: string): number | bigint | LosslessNumber {
  if (INTEGER_LITERAL.test(text)) {
    // serde_json reads "-0" as the float -0.0; keep its text rather than turning it into 0.
    if (text === '-0') return new LosslessNumber(text);
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  // serde_json (without arbitrary_precision) fails on numbers outside the f64 range.
  if (!Number.isFinite(Number.parseFloat(text))) throw new SyntaxError(`number out of range: ${text}`);
  return new LosslessNumber(text);
}

/**
 * Parses JSON text into the lossless value model above. Duplicate keys: the last one wins,
 * as when serde_json builds a map. Throws `SyntaxError` on invalid JSON.
 */
export function parseJson(text: string): JsonValue {
  return parse(text, null, {
    parseNumber: parseNumberLiteral,
    onDuplicateKey: ({ newValue }) => newValue,
  }) as JsonValue;
}

/** `parseJson` of UTF-8 bytes; invalid UTF-8 is a `SyntaxError` too (serde_json rejects it). */
export function parseJsonBytes(bytes: Uint8Array): JsonValue {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new SyntaxError('invalid UTF-8 in JSON');
  }
  return parseJson(text);
}

/** Compact JSON text (serde_json's `to_string` layout); `bigint` and `LosslessNumber` printed exactly. */
export function stringifyJson(value: JsonValue): string {
  const text = stringify(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}

/** UTF-8 bytes of `stringifyJson`. */
export function jsonBytes(value: JsonValue): Uint8Array {
  return new TextEncoder().encode(stringifyJson(value));
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isLosslessNumber(v);
}

/** Sets a key on a plain object, including `__proto__` (an assignment would change the prototype). */
export function setKey(obj: JsonObject, key: string, value: JsonValue): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** An int64 for JSON output: a `number` when it is safe, else a `bigint`. */
export function jsonInt(v: number | bigint): number | bigint {
  if (typeof v === 'number') return v;
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

// --- f32 -------------------------------------------------------------------------------------

/** Rounds to the nearest f32 (Rust `as f32` from f64; apply after every f32 operation). */
export const f32 = Math.fround;

/**
 * An f32 as the reference writes it into JSON: serde_json prints finite f32 values with
 * ryu's shortest representation of the *f32* (0.9f32 → `0.9`, never `0.8999999761581421`),
 * integral values with `.0`, and NaN/±inf as `null`.
 */
export function jsonF32(x: number): LosslessNumber | null {
  const v = f32(x);
  return Number.isFinite(v) ? new LosslessNumber(formatF32(v)) : null;
}

const f32View = new DataView(new ArrayBuffer(4));

/**
 * ryu's `format32` (the ryu crate, used by serde_json): the shortest decimal that reads back as
 * the same f32 (ties between equally short candidates go to the one nearest the exact value,
 * exact halves to even), laid out as ryu does: `1.0`, `0.001234`, `12340000000.0`, `1e30`,
 * `1.234e-7`. Computed exactly with BigInt rather than with ryu's tables: the loop below is
 * ryu's digit-removal loop run on exact integers, so it makes the same choices.
 * Only for finite values.
 */
export function formatF32(x: number): string {
  f32View.setFloat32(0, x);
  const bits = f32View.getUint32(0);
  const sign = bits >>> 31 === 1 ? '-' : '';
  const ieeeMantissa = bits & 0x7fffff;
  const ieeeExponent = (bits >>> 23) & 0xff;
  if (ieeeExponent === 0xff) throw new RangeError('formatF32: not finite');
  if (ieeeExponent === 0 && ieeeMantissa === 0) return `${sign}0.0`;

  // Value = m2 * 2^e2, with two extra bits so that the half-way bounds are integers.
  const m2 = ieeeExponent === 0 ? ieeeMantissa : ieeeMantissa | 0x800000;
  const e2 = (ieeeExponent === 0 ? 1 : ieeeExponent) - 127 - 23 - 2;
  const acceptBounds = (m2 & 1) === 0; // round-half-even: an even mantissa owns its bounds
  const mmShift = ieeeMantissa !== 0 || ieeeExponent <= 1 ? 1n : 0n;
  const mv = 4n * BigInt(m2);
  let vr: bigint, vp: bigint, vm: bigint, e10: number;
  if (e2 >= 0) {
    const p2 = 1n << BigInt(e2);
    [vr, vp, vm, e10] = [mv * p2, (mv + 2n) * p2, (mv - 1n - mmShift) * p2, 0];
  } else {
    // 2^e2 = 5^-e2 * 10^e2: exact integers in units of 10^e2.
    const p5 = 5n ** BigInt(-e2);
    [vr, vp, vm, e10] = [mv * p5, (mv + 2n) * p5, (mv - 1n - mmShift) * p5, e2];
  }
  if (!acceptBounds) vp -= 1n;

  let vmIsTrailingZeros = acceptBounds;
  let vrIsTrailingZeros = true;
  let lastRemovedDigit = 0n;
  let removed = 0;
  while (vp / 10n > vm / 10n) {
    vmIsTrailingZeros &&= vm % 10n === 0n;
    vrIsTrailingZeros &&= lastRemovedDigit === 0n;
    lastRemovedDigit = vr % 10n;
    vr /= 10n;
    vp /= 10n;
    vm /= 10n;
    removed++;
  }
  if (vmIsTrailingZeros) {
    while (vm % 10n === 0n) {
      vrIsTrailingZeros &&= lastRemovedDigit === 0n;
      lastRemovedDigit = vr % 10n;
      vr /= 10n;
      vp /= 10n;
      vm /= 10n;
      removed++;
    }
  }
  if (vrIsTrailingZeros && lastRemovedDigit === 5n && vr % 2n === 0n) lastRemovedDigit = 4n;
  const roundUp = (vr === vm && (!acceptBounds || !vmIsTrailingZeros)) || lastRemovedDigit >= 5n;
  const digits = (vr + (roundUp ? 1n : 0n)).toString();
  return sign + layoutF32(digits, e10 + removed);
}

/** ryu's `format32` layout of `digits × 10^k`. */
function layoutF32(digits: string, k: number): string {
  const length = digits.length;
  const kk = length + k; // 10^(kk-1) <= v < 10^kk
  if (k >= 0 && kk <= 13) return `${digits}${'0'.repeat(k)}.0`;
  if (kk > 0 && kk <= 13) return `${digits.slice(0, kk)}.${digits.slice(kk)}`;
  if (kk > -6 && kk <= 0) return `0.${'0'.repeat(-kk)}${digits}`;
  if (length === 1) return `${digits}e${kk - 1}`;
  return `${digits[0]}.${digits.slice(1)}e${kk - 1}`;
}
