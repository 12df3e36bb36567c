// check_chain (§15.1): the document, each entry's fields, index, prev and hash, the
// canonical-JSON subset, body fields per kind, and the order of kinds (§5.3). What the
// entries say (proofs, sums) is checked by board_check.js.
import { GENESIS_PREV, PROTOCOL, entryHashBytes } from "./board.js";
import { EbError, bytesToHex } from "./group.js";
import { checkParameters } from "./params.js";
import { requireFields, requireInt, requireList } from "./shape.js";

export const BODY_FIELDS = {
  trustee: ["trustee", "transport_key", "commitments", "transport_proof", "coefficient_proof"],
  shares: ["dealer", "shares"],
  "share-complaint": ["trustee", "dealer", "reason"],
  confirm: ["trustee", "joint_key", "verification_key", "share_proof"],
  abandoned: ["reason"],
  ready: ["joint_key", "verification_keys"],
  ballot: ["ciphertexts", "proofs", "sum_proof", "tracking_code"],
  spoiled: ["ballot", "choice", "randomness"],
  close: ["ballots", "voters", "sums"],
  partial: ["trustee", "decryptions"],
  result: ["counts", "decrypted_by", "outcome"],
};

const SETUP = new Set(["trustee", "shares", "confirm"]);

/** The order of §5.3 as a small state machine over the kinds after `parameters`. */
class Order {
  constructor(n, t) {
    this.n = n;
    this.t = t;
    this.phase = "trustee";
    this.seen = new Set();
    this.failed = false;
    this.ended = false;
    this.ballots = null;
  }

  /** The trustee index an entry is about, once per phase, in 1..n. */
  once(body, field, at) {
    const who = requireInt(body[field], `entry ${at}: ${field}`, 1, this.n);
    if (this.seen.has(who)) throw new EbError("order", `entry ${at}: trustee ${who} twice`);
    this.seen.add(who);
  }

  next(phase) {
    this.phase = phase;
    this.seen = new Set();
  }

  expect(ok, at, kind) {
    if (!ok) throw new EbError("order", `entry ${at}: ${kind} not allowed here`);
  }

  step(kind, body, at) {
    this.expect(!this.ended, at, kind);
    if (kind === "trustee" || kind === "shares") {
      this.expect(this.phase === kind, at, kind);
      this.once(body, kind === "trustee" ? "trustee" : "dealer", at);
      if (this.seen.size === this.n) this.next(kind === "trustee" ? "shares" : "confirm");
    } else if (kind === "confirm" || kind === "share-complaint") {
      this.expect(this.phase === "confirm", at, kind);
      this.once(body, "trustee", at);
      if (kind === "share-complaint") this.failed = true;
      if (this.seen.size === this.n && !this.failed) this.next("ready");
    } else if (kind === "abandoned") {
      this.expect(SETUP.has(this.phase) || this.phase === "ready", at, kind);
      this.ended = true;
    } else if (kind === "ready") {
      this.expect(this.phase === "ready", at, kind);
      this.next("ballot");
    } else {
      this.tally(kind, body, at);
    }
  }

  tally(kind, body, at) {
    if (kind === "ballot") {
      this.expect(this.phase === "ballot", at, kind);
    } else if (kind === "spoiled") {
      this.expect(this.phase === "ballot" || this.phase === "spoiled", at, kind);
      this.phase = "spoiled";
    } else if (kind === "close") {
      this.expect(this.phase === "ballot" || this.phase === "spoiled", at, kind);
      this.ballots = requireInt(body.ballots, `entry ${at}: ballots`);
      this.next("partial");
    } else if (kind === "partial") {
      this.expect(this.phase === "partial" && this.ballots > 0, at, kind);
      this.once(body, "trustee", at);
    } else if (kind === "result") {
      this.expect(this.phase === "partial", at, kind);
      this.expect(this.ballots === 0 ? this.seen.size === 0 : this.seen.size >= this.t, at, kind);
      this.ended = true;
    }
  }
}

function checkEntry(entry, at, prev) {
  requireFields(entry, ["index", "kind", "body", "prev", "hash"], `entry ${at}`);
  if (entry.index !== at) throw new EbError("chain.index", `entry ${at}`);
  if (entry.prev !== prev) throw new EbError("chain.prev", `entry ${at}`);
  if (at === 0 ? entry.kind !== "parameters" : !Object.hasOwn(BODY_FIELDS, entry.kind)) {
    throw new EbError("chain.kind", `entry ${at}: ${entry.kind}`);
  }
  // entryHashBytes goes through canon(), which refuses anything outside the subset.
  if (bytesToHex(entryHashBytes(entry)) !== entry.hash) throw new EbError("chain.hash", `entry ${at}`);
  if (at > 0) requireFields(entry.body, BODY_FIELDS[entry.kind], `entry ${at}: ${entry.kind}`);
}

/**
 * check_chain: returns {params, n, t, pollHash (bytes), entries, stage} where stage is the
 * last entry's kind (a board that ends early is a valid prefix).
 */
export function checkChain(board) {
  requireFields(board, ["protocol", "poll_id", "entries"], "board", ["signature"]);
  if (board.protocol !== PROTOCOL) throw new EbError("board.protocol", "not hop-eb-v1");
  requireList(board.entries, undefined, "board.entries");
  if (board.entries.length === 0) throw new EbError("board.entries", "empty");
  let prev = GENESIS_PREV;
  let order = null;
  let params = null;
  board.entries.forEach((entry, at) => {
    checkEntry(entry, at, prev);
    prev = entry.hash;
    if (at === 0) {
      const { n, t } = checkParameters(entry.body);
      if (entry.body.poll_id !== board.poll_id) {
        throw new EbError("board.poll_id", "differs from the parameters'");
      }
      params = entry.body;
      order = new Order(n, t);
    } else {
      order.step(entry.kind, entry.body, at);
    }
  });
  const pollHash = Uint8Array.from(board.entries[0].hash.match(/../g), (h) => parseInt(h, 16));
  const stage = board.entries.at(-1).kind;
  return { params, n: order.n, t: order.t, pollHash, entries: board.entries, stage };
}
