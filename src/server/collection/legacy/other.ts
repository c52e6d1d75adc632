/**
 * The `other` passthrough of legacy objects (docs/protocol/collection-sync.md §7): keys a legacy object has
 * but the schema-18 form does not know are kept as a JSON object in the blob's field 255 and
 * merged back into the object when it is sent out again.
 */
import { isJsonObject, jsonBytes, parseJsonBytes, setKey, type JsonObject, type JsonValue } from './json.ts';

/** A set of key names written as one whitespace-separated list (as the spec lists them). */
export function keySet(keys: string): ReadonlySet<string> {
  return new Set(keys.split(/\s+/).filter((k) => k !== ''));
}

/**
 * The reference's `parse_other_fields` (rslib/src/notetype/schema11.rs): the stored object
 * minus the reserved keys, which would duplicate known keys. Bytes that are not a JSON object
 * give an empty map (the reference logs and carries on).
 */
export function parseOther(bytes: Uint8Array, reserved: ReadonlySet<string>): JsonObject {
  const map = parseOtherMap(bytes);
  for (const key of Object.keys(map)) {
    if (reserved.has(key)) delete map[key];
  }
  return map;
}

/** The stored object without filtering (empty when absent or unreadable). */
export function parseOtherMap(bytes: Uint8Array): JsonObject {
  if (bytes.length === 0) return {};
  try {
    const v = parseJsonBytes(bytes);
    return isJsonObject(v) ? v : {};
  } catch {
    return {};
  }
}

/** `other_to_bytes`: nothing for an empty map, else compact JSON. */
export function otherToBytes(other: JsonObject): Uint8Array {
  return Object.keys(other).length === 0 ? new Uint8Array() : jsonBytes(other);
}

/**
 * Adds the `other` entries to an object being built in the reference's key order. The reference
 * serialises a flattened map with serde, so a key that also appears as a known key is written
 * twice and a reader keeps the later one; assigning in order gives that same final value.
 */
export function mergeOther(out: JsonObject, other: JsonObject): void {
  for (const key of Object.keys(other)) setKey(out, key, other[key] as JsonValue);
}
