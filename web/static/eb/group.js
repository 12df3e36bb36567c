// The ristretto255 group of hop-eb-v1 (docs/ENCRYPTED_BALLOTS.md §2, §3.1, §3.2), on noble.
// Scalars are BigInts in 0..l-1; points are noble RistrettoPoint objects; JSON carries both as
// 64 lowercase hex characters. No field arithmetic here: noble does all of it.
import { ristretto255 } from "@noble/curves/ed25519.js";
import { bytesToNumberLE, numberToBytesLE } from "@noble/curves/utils.js";

export const Point = ristretto255.Point;
const Fn = Point.Fn;
/** The group order l = 2^252 + 27742317777372353535851937790883648493. */
export const L = Fn.ORDER;
export const G = Point.BASE;
export const O = Point.ZERO;

const HEX64 = /^[0-9a-f]{64}$/;
const HEX_EVEN = /^(?:[0-9a-f]{2})*$/;

/** Error for anything that does not decode or verify; `check` names the failed rule. */
export class EbError extends Error {
  constructor(check, message) {
    super(message ? `${check}: ${message}` : check);
    this.name = "EbError";
    this.check = check;
  }
}

/** a mod l, always in 0..l-1. */
export function modL(a) {
  return Fn.create(a);
}

/** v^-1 mod l (v not 0 mod l). */
export function invL(v) {
  return Fn.inv(modL(v));
}

/** A uniformly random scalar in 1..l-1: 64 bytes from the CSPRNG reduced mod l, redrawn if 0. */
export function rand() {
  for (;;) {
    const wide = crypto.getRandomValues(new Uint8Array(64));
    const s = modL(bytesToNumberLE(wide));
    if (s !== 0n) return s;
  }
}

/** s*G, O when s = 0 (noble's multiply refuses 0). Constant time: s may be secret. */
export function base(s) {
  const k = modL(BigInt(s));
  return k === 0n ? O : G.multiply(k);
}

/** s*P, O when s = 0 or P = O. Constant time: s may be secret. */
export function mul(s, P) {
  const k = modL(BigInt(s));
  return k === 0n || P.equals(O) ? O : P.multiply(k);
}

/** s*P for public s and P only (verification): variable time, faster. */
export function mulPublic(s, P) {
  const k = modL(BigInt(s));
  return k === 0n || P.equals(O) ? O : P.multiplyUnsafe(k);
}

/** Σ of points, O for none. */
export function sumPoints(points) {
  return points.reduce((acc, P) => acc.add(P), O);
}

export function isIdentity(P) {
  return P.equals(O);
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Lowercase even-length hex to bytes; anything else is rejected. */
export function hexToBytes(hex, check = "hex") {
  if (typeof hex !== "string" || !HEX_EVEN.test(hex)) throw new EbError(check, "not lowercase hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function encodePoint(P) {
  return P.toBytes();
}

export function pointHex(P) {
  return bytesToHex(P.toBytes());
}

/** 32 bytes little-endian of a scalar < l. */
export function scalarBytes(s) {
  if (typeof s !== "bigint" || s < 0n || s >= L) throw new EbError("scalar", "out of range");
  return numberToBytesLE(s, 32);
}

export function scalarHex(s) {
  return bytesToHex(scalarBytes(s));
}

/**
 * §3.2 decode_point: 64 lowercase hex, a canonical encoding, then the field's identity rule
 * (§2.2): `allowIdentity` only for sums, partial decryptions and verifier-side commitments.
 */
export function decodePoint(hex, { allowIdentity = false, check = "point" } = {}) {
  if (typeof hex !== "string" || !HEX64.test(hex)) throw new EbError(check, "not 64 lowercase hex");
  let P;
  try {
    P = Point.fromBytes(hexToBytes(hex, check));
  } catch {
    throw new EbError(check, "not a canonical ristretto255 encoding");
  }
  if (!allowIdentity && P.equals(O)) throw new EbError(check, "identity not allowed");
  return P;
}

/** §3.2 decode_scalar: 64 lowercase hex, little-endian value < l, never reduced. */
export function decodeScalar(hex, { check = "scalar" } = {}) {
  if (typeof hex !== "string" || !HEX64.test(hex)) throw new EbError(check, "not 64 lowercase hex");
  const s = bytesToNumberLE(hexToBytes(hex, check));
  if (s >= L) throw new EbError(check, "not below l");
  return s;
}

/** Constant-length comparison of two byte strings (no early exit on the first difference). */
export function equalBytes(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
