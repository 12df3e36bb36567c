// Canonical JSON (§3.5): RFC 8785 restricted to objects, arrays, strings, safe integers,
// booleans and null, keys matching ^[a-z][a-z0-9_]*$ sorted by byte order, no whitespace.
// parseStrict() reads board text and refuses what JSON.parse would silently accept: floats,
// integers beyond 2^53 - 1 (rounded by JSON.parse), duplicate keys (the last one wins there).
import { EbError } from "./group.js";

const KEY = /^[a-z][a-z0-9_]*$/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const utf8 = new TextEncoder();

function canonString(s) {
  if (LONE_SURROGATE.test(s)) throw new EbError("canonical-json", "lone surrogate in a string");
  // JSON.stringify escapes exactly what §3.5 escapes (" \ \b \t \n \f \r, other C0 as \u00xx).
  return JSON.stringify(s);
}

function canonText(v) {
  if (v === null || v === true || v === false) return String(v);
  if (typeof v === "string") return canonString(v);
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) throw new EbError("canonical-json", "not a safe integer");
    return Object.is(v, -0) ? "0" : String(v);
  }
  if (Array.isArray(v)) return `[${v.map(canonText).join(",")}]`;
  if (typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const keys = Object.keys(v).sort();
    for (const k of keys) {
      if (!KEY.test(k)) throw new EbError("canonical-json", `key ${JSON.stringify(k)}`);
    }
    return `{${keys.map((k) => `${canonString(k)}:${canonText(v[k])}`).join(",")}}`;
  }
  throw new EbError("canonical-json", `value of type ${typeof v}`);
}

/** canon(value) as UTF-8 bytes; throws EbError outside the subset. */
export function canon(value) {
  return utf8.encode(canonText(value));
}

/** canon(value) as a string (the same text, before UTF-8 encoding). */
export function canonJson(value) {
  return canonText(value);
}

const WS = new Set([" ", "\t", "\n", "\r"]);
const STRING_TOKEN = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;
const NUMBER_TOKEN = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;

class Reader {
  constructor(text) {
    this.text = text;
    this.at = 0;
  }

  fail(what) {
    throw new EbError("json", `${what} at ${this.at}`);
  }

  skip() {
    while (WS.has(this.text[this.at])) this.at++;
  }

  token(re) {
    re.lastIndex = this.at;
    const m = re.exec(this.text);
    if (!m) this.fail("bad token");
    this.at = re.lastIndex;
    return m[0];
  }

  literal(word, value) {
    if (!this.text.startsWith(word, this.at)) this.fail("bad literal");
    this.at += word.length;
    return value;
  }

  value() {
    this.skip();
    const ch = this.text[this.at];
    if (ch === "{") return this.object();
    if (ch === "[") return this.array();
    if (ch === '"') return JSON.parse(this.token(STRING_TOKEN));
    if (ch === "t") return this.literal("true", true);
    if (ch === "f") return this.literal("false", false);
    if (ch === "n") return this.literal("null", null);
    return this.number();
  }

  number() {
    const text = this.token(NUMBER_TOKEN);
    if (!INTEGER.test(text)) this.fail("float");
    const v = Number(text);
    if (!Number.isSafeInteger(v)) this.fail("integer beyond 2^53 - 1");
    return v;
  }

  array() {
    this.at++;
    const out = [];
    this.skip();
    if (this.text[this.at] === "]") {
      this.at++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skip();
      const ch = this.text[this.at++];
      if (ch === "]") return out;
      if (ch !== ",") this.fail("expected , or ]");
    }
  }

  object() {
    this.at++;
    const out = {};
    this.skip();
    if (this.text[this.at] === "}") {
      this.at++;
      return out;
    }
    for (;;) {
      this.skip();
      if (this.text[this.at] !== '"') this.fail("expected a key");
      const key = JSON.parse(this.token(STRING_TOKEN));
      if (Object.hasOwn(out, key)) this.fail("duplicate key");
      this.skip();
      if (this.text[this.at++] !== ":") this.fail("expected :");
      // defineProperty: a key named __proto__ is data, not the object's prototype.
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true });
      this.skip();
      const ch = this.text[this.at++];
      if (ch === "}") return out;
      if (ch !== ",") this.fail("expected , or }");
    }
  }
}

/** JSON text to a value, refusing floats, unsafe integers and duplicate keys. */
export function parseStrict(text) {
  const reader = new Reader(text);
  const value = reader.value();
  reader.skip();
  if (reader.at !== text.length) reader.fail("trailing text");
  return value;
}
