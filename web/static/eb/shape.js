// Shape checks shared by every reader of board data: exact field sets, list lengths, JSON
// integers (never booleans, never floats: typeof number and a safe integer).
import { EbError } from "./group.js";

export function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** value is an object with exactly `fields` (plus any of `optional`). */
export function requireFields(value, fields, check, optional = []) {
  if (!isObject(value)) throw new EbError(check, "not an object");
  const keys = Object.keys(value);
  const missing = fields.filter((k) => !Object.hasOwn(value, k));
  const unknown = keys.filter((k) => !fields.includes(k) && !optional.includes(k));
  if (missing.length || unknown.length) {
    throw new EbError(check, `fields must be exactly ${fields.join(", ")}`);
  }
}

/** value is a list, of exactly `length` items when given. */
export function requireList(value, length, check) {
  if (!Array.isArray(value) || (length !== undefined && value.length !== length)) {
    throw new EbError(check, "wrong length");
  }
}

/** value is a JSON integer in min..max (default 0..2^53 - 1). */
export function requireInt(value, check, min = 0, max = Number.MAX_SAFE_INTEGER) {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new EbError(check, `expected an integer in ${min}..${max}`);
  }
  return value;
}

export function requireString(value, check) {
  if (typeof value !== "string") throw new EbError(check, "expected a string");
  return value;
}
