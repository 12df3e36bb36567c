// Transcripts and the two hash functions of hop-eb-v1 (§3.3, §3.4). An item's JavaScript type
// says how it is encoded, so a caller cannot mix up an int and a scalar:
//   Uint8Array -> bytes, string -> str (UTF-8), number -> int (u64be), bigint -> scalar (le32),
//   Point -> point (its 32-byte encoding).
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { bytesToNumberLE } from "@noble/curves/utils.js";
import { EbError, Point, modL, scalarBytes } from "./group.js";

const utf8 = new TextEncoder();

function u32be(n) {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

function u64be(v) {
  if (!Number.isSafeInteger(v) || v < 0) throw new EbError("transcript", "int out of range");
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(v));
  return out;
}

/** The raw bytes an item stands for (before its length prefix). */
function itemBytes(x) {
  if (x instanceof Uint8Array) return x;
  if (typeof x === "string") return utf8.encode(x);
  if (typeof x === "number") return u64be(x);
  if (typeof x === "bigint") return scalarBytes(x);
  if (x instanceof Point) return x.toBytes();
  throw new EbError("transcript", "unknown item type");
}

export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** T(tag, x1..xk) = item(tag) || item(x1) || ... || item(xk), item(b) = u32be(len b) || b. */
export function transcript(tag, ...items) {
  const parts = [];
  for (const x of [tag, ...items]) {
    const b = itemBytes(x);
    parts.push(u32be(b.length), b);
  }
  return concat(parts);
}

/** int_le(SHA-512(T(tag, ...))) mod l. */
export function hashToScalar(tag, ...items) {
  return modL(bytesToNumberLE(sha512(transcript(tag, ...items))));
}

/** SHA-256(T(tag, ...)): 32 bytes. */
export function h256(tag, ...items) {
  return sha256(transcript(tag, ...items));
}
