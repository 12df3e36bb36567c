// Shared by the hop-eb-v1 tests: the spec's vectors and its fixed() "random" values (§17).
import { readFileSync } from "node:fs";
import { hashToScalar, hexToBytes } from "../../web/static/eb/index.js";

export const V = JSON.parse(
  readFileSync(new URL("../../docs/encrypted_ballots_vectors.json", import.meta.url), "utf8"),
);

/** fixed(label...) = hash_to_scalar("hop-eb-v1/test-vector", label...). */
export const fixed = (...labels) => hashToScalar("hop-eb-v1/test-vector", ...labels);

/** The draw of the vectors: every label is passed through to fixed(). */
export const fixedDraw = (...labels) => fixed(...labels);

export const pollHash = hexToBytes(V.board_entry.hash);
export const params = V.board_entry.entry_without_hash.body;

/** Flips one bit of a lowercase hex string (bit `bit` of character `at`). */
export function flipHex(hex, at = 0, bit = 0) {
  const v = parseInt(hex[at], 16) ^ (1 << bit);
  return hex.slice(0, at) + v.toString(16) + hex.slice(at + 1);
}

export const clone = (v) => structuredClone(v);
