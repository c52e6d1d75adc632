/**
 * Reading legacy JSON with the reference's serde rules (rslib/src/serde.rs, serde_aux), so that
 * we accept, default and reject exactly what the reference does:
 * - a plain field is strict: missing or wrong type → error (`required`);
 * - `#[serde(default)]`: missing → default, present → strict, so `null` is an error
 *   unless the type is an Option (`optional`);
 * - `default_on_invalid` without `default`: missing → error, any invalid value → default
 *   (`requiredOrDefault`); with `default` as well: never an error (`lenient`);
 * - integers: JSON integer literals only (a `1.0` is a float and fails), within the Rust type's
 *   range; f32: any JSON number, rounded `as f32`;
 * - keys a struct does not know are collected, in order, for its `other` map (`rest`).
 * Every failure is a LegacyConversionError.
 */
import { LegacyConversionError } from './errors.ts';
import { f32, isJsonObject, isLosslessNumber, setKey, type JsonObject, type JsonValue } from './json.ts';

export type Reader<T> = (v: JsonValue, what: string) => T;

export function fail(what: string, why: string): never {
  throw new LegacyConversionError(`${what}: ${why}`);
}

const I64_MIN = -(1n << 63n);
const U64_MAX = (1n << 64n) - 1n;

/**
 * The integer serde_json sees in a value, or undefined if it sees a float or no number.
 * serde_json reads an integer literal as u64/i64 when it fits and as f64 otherwise.
 */
export function integerOf(v: JsonValue): bigint | undefined {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || Object.is(v, -0)) return undefined;
    return BigInt(v) >= I64_MIN && BigInt(v) <= U64_MAX ? BigInt(v) : undefined;
  }
  if (typeof v === 'bigint') return v >= I64_MIN && v <= U64_MAX ? v : undefined;
  return undefined;
}

/** The f64 serde_json sees in any JSON number, or undefined for a non-number. */
export function floatOf(v: JsonValue): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (isLosslessNumber(v)) return Number.parseFloat(v.value);
  return undefined;
}

function intInRange(min: bigint, max: bigint, type: string): Reader<bigint> {
  return (v, what) => {
    const n = integerOf(v);
    if (n === undefined) fail(what, `expected ${type}`);
    if (n < min || n > max) fail(what, `${type} out of range`);
    return n;
  };
}

const u8Big = intInRange(0n, 0xffn, 'u8');
const u16Big = intInRange(0n, 0xffffn, 'u16');
const u32Big = intInRange(0n, 0xffff_ffffn, 'u32');
const i32Big = intInRange(-(1n << 31n), (1n << 31n) - 1n, 'i32');

export const u8: Reader<number> = (v, what) => Number(u8Big(v, what));
export const u16: Reader<number> = (v, what) => Number(u16Big(v, what));
export const u32: Reader<number> = (v, what) => Number(u32Big(v, what));
export const i32: Reader<number> = (v, what) => Number(i32Big(v, what));
export const i64: Reader<bigint> = intInRange(I64_MIN, (1n << 63n) - 1n, 'i64');

/** Rust `f32` from JSON: any number, parsed as f64 then `as f32` (serde_json's path). */
export const f32Reader: Reader<number> = (v, what) => {
  const x = floatOf(v);
  if (x === undefined) fail(what, 'expected f32');
  return f32(x);
};

export const bool: Reader<boolean> = (v, what) => {
  if (typeof v !== 'boolean') fail(what, 'expected a boolean');
  return v;
};

export const string: Reader<string> = (v, what) => {
  if (typeof v !== 'string') fail(what, 'expected a string');
  return v;
};

export function array<T>(item: Reader<T>): Reader<T[]> {
  return (v, what) => {
    if (!Array.isArray(v)) fail(what, 'expected an array');
    return v.map((x, i) => item(x, `${what}[${i}]`));
  };
}

/** `Option<T>`: null → undefined; anything else must be a valid T. */
export function option<T>(inner: Reader<T>): Reader<T | undefined> {
  return (v, what) => (v === null ? undefined : inner(v, what));
}

export const object: Reader<JsonObject> = (v, what) => {
  if (!isJsonObject(v)) fail(what, 'expected an object');
  return v;
};

/** A `#[repr(u8)]` enum (serde_repr): a u8 that must be one of the variants. */
export function u8Enum(values: readonly number[]): Reader<number> {
  return (v, what) => {
    const n = u8(v, what);
    if (!values.includes(n)) fail(what, `invalid value ${n}`);
    return n;
  };
}

/** Rust `str::parse::<i64>()`: optional sign, ASCII digits, in range. */
const RUST_INT = /^[+-]?\d+$/;

/** serde_aux `deserialize_number_from_string` for i64: a JSON integer, or a string holding one. */
export const i64FromString: Reader<bigint> = (v, what) => {
  if (typeof v === 'string') {
    if (!RUST_INT.test(v)) fail(what, 'invalid digit found in string');
    const n = BigInt(v);
    if (n < I64_MIN || n > (1n << 63n) - 1n) fail(what, 'number too large to fit in target type');
    return n;
  }
  return i64(v, what);
};

/** serde_aux `deserialize_number_from_string` for i32. */
export const i32FromString: Reader<number> = (v, what) => {
  if (typeof v === 'string') {
    if (!RUST_INT.test(v)) fail(what, 'invalid digit found in string');
    const n = BigInt(v);
    if (n < -(1n << 31n) || n > (1n << 31n) - 1n) fail(what, 'number too large to fit in target type');
    return Number(n);
  }
  return i32(v, what);
};

/** Rust `str::parse::<f64>()` grammar (decimal, exponent, inf/infinity/nan, any case). */
const RUST_FLOAT = /^[+-]?(?:inf|infinity|nan|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)$/i;

function rustParseF64(s: string): number | undefined {
  if (!RUST_FLOAT.test(s)) return undefined;
  const body = s.replace(/^[+-]/, '').toLowerCase();
  const negative = s.startsWith('-');
  let x: number;
  if (body === 'inf' || body === 'infinity') x = Infinity;
  else if (body === 'nan') x = NaN;
  else x = Number.parseFloat(body);
  return negative ? -x : x;
}

function boolFromNumber(n: number, what: string): boolean {
  if (Math.abs(n - 1) < Number.EPSILON) return true;
  if (n === 0) return false;
  return fail(what, 'the number is neither 1.0 nor 0.0');
}

/**
 * serde_aux `deserialize_bool_from_anything`: a boolean; the integers 1/0; floats ≈1.0/0.0;
 * or a string that is "true"/"false" (any case) or one of those numbers.
 */
export const boolFromAnything: Reader<boolean> = (v, what) => {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const lower = v.toLowerCase();
    if (lower === 'true' || lower === 'false') return lower === 'true';
    if (RUST_INT.test(v)) {
      const n = BigInt(v);
      if (n >= I64_MIN && n <= (1n << 63n) - 1n) {
        if (n === 1n || n === 0n) return n === 1n;
        return fail(what, 'the number is neither 1 nor 0');
      }
    }
    const x = rustParseF64(v);
    if (x === undefined) fail(what, `could not parse boolean from a string: ${v}`);
    return boolFromNumber(x, what);
  }
  const n = integerOf(v);
  if (n !== undefined && n <= (1n << 63n) - 1n) {
    if (n === 1n || n === 0n) return n === 1n;
    return fail(what, 'the number is neither 1 nor 0');
  }
  const x = floatOf(v);
  if (x === undefined) fail(what, 'expected a boolean');
  return boolFromNumber(x, what);
};

/** Runs a reader; any LegacyConversionError gives `dflt` instead (serde's `default_on_invalid`). */
export function orDefault<T>(read: Reader<T>, dflt: () => T): Reader<T> {
  return (v, what) => {
    try {
      return read(v, what);
    } catch (err) {
      if (err instanceof LegacyConversionError) return dflt();
      throw err;
    }
  };
}

/**
 * A struct that serde reads either from a map with these field names or from an array with
 * exactly this many elements (serde_derive accepts both; serde_json rejects extra elements).
 * Returns the values in field order. Unknown map keys are ignored.
 */
export function structFields(v: JsonValue, what: string, fields: readonly string[]): JsonValue[] {
  if (Array.isArray(v)) {
    if (v.length !== fields.length) fail(what, `invalid length ${v.length}, expected ${fields.length} elements`);
    return v;
  }
  if (!isJsonObject(v)) fail(what, 'expected an array or an object');
  return fields.map((f) => {
    if (!Object.hasOwn(v, f)) fail(what, `missing field \`${f}\``);
    return v[f] as JsonValue;
  });
}

/** Reads the fields of one legacy object and remembers which keys the struct knows. */
export class FieldReader {
  readonly #obj: JsonObject;
  readonly #what: string;
  readonly #known = new Set<string>();

  constructor(obj: JsonObject, what: string) {
    this.#obj = obj;
    this.#what = what;
  }

  #get(key: string): JsonValue | undefined {
    this.#known.add(key);
    return Object.hasOwn(this.#obj, key) ? this.#obj[key] : undefined;
  }

  #label(key: string): string {
    return `${this.#what}.${key}`;
  }

  /** Marks keys as known without reading them (e.g. a key the reference removes). */
  ignore(...keys: string[]): void {
    for (const k of keys) this.#known.add(k);
  }

  /** A plain field: missing → error (or, for an `Option`, pass `option(...)` and get undefined). */
  required<T>(key: string, read: Reader<T>, missing?: () => T): T {
    const v = this.#get(key);
    if (v === undefined) {
      if (missing) return missing();
      fail(this.#what, `missing field \`${key}\``);
    }
    return read(v, this.#label(key));
  }

  /** `#[serde(default)]`: missing → default; present → strict. */
  optional<T>(key: string, read: Reader<T>, dflt: () => T): T {
    const v = this.#get(key);
    return v === undefined ? dflt() : read(v, this.#label(key));
  }

  /** `default_on_invalid` without `default`: missing → error; invalid → default. */
  requiredOrDefault<T>(key: string, read: Reader<T>, dflt: () => T): T {
    return this.required(key, orDefault(read, dflt));
  }

  /** `#[serde(default, deserialize_with = "default_on_invalid")]`: never an error. */
  lenient<T>(key: string, read: Reader<T>, dflt: () => T): T {
    return this.optional(key, orDefault(read, dflt), dflt);
  }

  /** The keys this struct does not know, in their original order (its flattened `other`). */
  rest(): JsonObject {
    const out: JsonObject = {};
    for (const key of Object.keys(this.#obj)) {
      if (!this.#known.has(key)) setKey(out, key, this.#obj[key] as JsonValue);
    }
    return out;
  }
}
