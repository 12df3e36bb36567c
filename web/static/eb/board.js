// Board entries (§5.2): the entry hash, which for entry 0 is the poll hash.
import { canon } from "./canon.js";
import { bytesToHex } from "./group.js";
import { h256 } from "./transcript.js";

export const PROTOCOL = "hop-eb-v1";
export const GENESIS_PREV = "0".repeat(64);

/** H256("hop-eb-v1/entry", canon({body, index, kind, prev})) as 32 bytes. */
export function entryHashBytes({ index, kind, body, prev }) {
  return h256("hop-eb-v1/entry", canon({ body, index, kind, prev }));
}

/** The entry hash as 64 lowercase hex characters (the entry's `hash` field). */
export function entryHash(entry) {
  return bytesToHex(entryHashBytes(entry));
}

/** A new entry object after `prev` (the previous entry, or null for index 0). */
export function makeEntry(prev, kind, body) {
  const index = prev ? prev.index + 1 : 0;
  const entry = { index, kind, body, prev: prev ? prev.hash : GENESIS_PREV };
  return { ...entry, hash: entryHash(entry) };
}
