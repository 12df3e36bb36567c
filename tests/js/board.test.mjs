// Whole boards: one built by the library passes checkBoard at every prefix; a rewritten,
// dropped, added or reordered entry is caught, even when the chain is re-hashed around it.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as eb from "../../web/static/eb/index.js";
import { V, clone } from "./helpers.mjs";

const OUTCOME = { verdict: "adopted", winners: [], tied: [], needed: 0, base: "cast", present: 0, members: 0, eligible: 0, quorum_met: true };

function parametersBody(n, t, kind = "yes_no", p = 2, min = 1, max = 1) {
  const options = kind === "yes_no"
    ? [{ id: "yes", label: "Đồng ý" }, { id: "no", label: "Không" }]
    : Array.from({ length: p }, (_, i) => ({ id: `c${i}`, label: `Ứng viên ${i}` }));
  const shape = eb.deriveShape({ kind, options, min_choices: min, max_choices: max });
  return {
    protocol: "hop-eb-v1", poll_id: 42, meeting_id: 7, attempt: 1, board_nonce: "ab".repeat(16),
    title: "Bầu tổ trưởng", kind, options, ...shape, min_choices: min, max_choices: max, majority_rule: "simple",
    trustees: Array.from({ length: n }, (_, k) => ({ index: k + 1, person_id: 100 + k, name: `Người ${k + 1}` })),
    threshold: t,
  };
}

class Builder {
  constructor(body) {
    this.entries = [eb.makeEntry(null, "parameters", body)];
    this.params = body;
    this.pollHash = eb.hexToBytes(this.entries[0].hash);
  }

  add(kind, body) {
    this.entries.push(eb.makeEntry(this.entries.at(-1), kind, body));
  }

  board() {
    return { protocol: "hop-eb-v1", poll_id: 42, entries: this.entries.map((e) => ({ ...e })) };
  }
}

/** A full board: setup by n trustees, the ballots of `choices`, one reveal, close, t partials, result. */
async function fullBoard({ n = 3, t = 2, kind = "yes_no", p = 2, min = 1, max = 1, choices }) {
  const b = new Builder(parametersBody(n, t, kind, p, min, max));
  const { pollHash, params } = b;
  const idx = Array.from({ length: n }, (_, k) => k + 1);
  const made = idx.map((i) => eb.makeTrusteeEntry({ pollHash, index: i, threshold: t }));
  made.forEach(({ body }) => b.add("trustee", body));
  const transportKeys = new Map(made.map(({ body }) => [body.trustee, eb.decodePoint(body.transport_key)]));
  const A = made.map(({ body }) => body.commitments.map((h) => eb.decodePoint(h)));
  const shares = [];
  for (const [k, i] of idx.entries()) {
    shares.push(await eb.makeSharesEntry({ pollHash, dealer: i, coefficients: made[k].secrets.coefficients, transportKeys }));
    b.add("shares", shares.at(-1));
  }
  const K = eb.jointKey(A);
  const keys = new Map();
  for (const [k, j] of idx.entries()) {
    let x = eb.evalPolynomial(made[k].secrets.coefficients, j);
    for (const entry of shares.filter((s) => s.dealer !== j)) {
      const item = entry.shares.find((s) => s.recipient === j);
      const opened = await eb.openShare({ pollHash, i: entry.dealer, j, e: made[k].secrets.transportSecret, Ej: transportKeys.get(j), item, commitments: A[entry.dealer - 1] });
      x = eb.modL(x + opened.share);
    }
    const X = eb.verificationKey(A, j);
    keys.set(j, { x, X });
    b.add("confirm", eb.makeConfirm({ pollHash, j, x, X, K }));
  }
  b.add("ready", { joint_key: eb.pointHex(K), verification_keys: idx.map((j) => eb.pointHex(keys.get(j).X)) });
  const ballots = choices.map((choice) => eb.encryptBallot({ params, K, pollHash, choice }).ballot);
  ballots.sort((x, y) => (x.tracking_code < y.tracking_code ? -1 : 1)).forEach((ballot) => b.add("ballot", ballot));
  const spoiledChoice = choices[0] ?? params.slots.map((_, o) => (o === params.slots.length - 1 ? 1 : 0));
  const spoiled = eb.encryptBallot({ params, K, pollHash, choice: spoiledChoice });
  b.add("spoiled", eb.makeReveal({ ballot: spoiled.ballot, choice: spoiledChoice, randomness: spoiled.randomness }));
  const cts = ballots.map((ballot) => ballot.ciphertexts.map((ct) => ({ a: eb.decodePoint(ct.a), b: eb.decodePoint(ct.b) })));
  const sumsA = params.slots.map((_, o) => eb.sumPoints(cts.map((c) => c[o].a)));
  const sumsB = params.slots.map((_, o) => eb.sumPoints(cts.map((c) => c[o].b)));
  b.add("close", {
    ballots: ballots.length, voters: ballots.map((_, k) => 500 + k),
    sums: sumsA.map((a, o) => ({ a: eb.pointHex(a), b: eb.pointHex(sumsB[o]) })),
  });
  const closeHash = eb.hexToBytes(b.entries.at(-1).hash);
  const partialBy = ballots.length ? idx.slice(-t).reverse() : [];
  const partials = new Map();
  for (const j of partialBy) {
    const body = eb.makePartial({ pollHash, closeHash, j, ...keys.get(j), sumsA });
    partials.set(j, body.decryptions.map((d) => eb.decodePoint(d.d, { allowIdentity: true })));
    b.add("partial", body);
  }
  const set = [...partialBy].sort((x, y) => x - y);
  const counts = ballots.length ? eb.combine({ sumsB, partials, set, ballots: ballots.length }) : params.slots.map(() => 0);
  b.add("result", { counts, decrypted_by: set, outcome: OUTCOME });
  return { builder: b, counts, expected: params.slots.map((_, o) => choices.reduce((acc, m) => acc + m[o], 0)) };
}

/** Re-hashes the chain from `from` on, as a server rewriting its board would. */
function rehash(board, from = 1) {
  for (let k = from; k < board.entries.length; k++) {
    const e = board.entries[k];
    e.index = k;
    e.prev = board.entries[k - 1].hash;
    e.hash = eb.entryHash(e);
  }
  return board;
}

let yesNo;
test("a full yes/no board passes, and so does every prefix of it", async () => {
  yesNo = await fullBoard({ choices: [[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]] });
  assert.deepEqual(yesNo.counts, yesNo.expected);
  const board = yesNo.builder.board();
  const checked = eb.checkBoard(JSON.stringify(board, null, 1));
  assert.equal(checked.stage, "result");
  assert.deepEqual(checked.counts, [2, 1, 1]);
  assert.equal(checked.cast.length, 4);
  for (let k = 1; k < board.entries.length; k++) {
    const prefix = { ...board, entries: board.entries.slice(0, k) };
    assert.equal(eb.checkBoard(prefix).stage, board.entries[k - 1].kind);
  }
});

test("a multiple-choice board with 5 trustees, threshold 3", async () => {
  const { builder, counts, expected } = await fullBoard({
    n: 5, t: 3, kind: "multiple", p: 4, min: 1, max: 2, choices: [[1, 1, 0, 0, 0], [0, 0, 0, 0, 1], [0, 1, 0, 1, 0]],
  });
  assert.deepEqual(counts, expected);
  assert.deepEqual(eb.checkBoard(builder.board()).counts, expected);
});

test("a board with no ballots: no partials, zero counts", async () => {
  const { builder } = await fullBoard({ choices: [] });
  const board = builder.board();
  assert.deepEqual(eb.checkBoard(board).counts, [0, 0, 0]);
});

function refused(board, pattern, what) {
  assert.throws(() => eb.checkBoard(board), pattern, what);
}

function kindAt(board, kind) {
  return board.entries.findIndex((e) => e.kind === kind);
}

test("a changed entry breaks the chain; re-hashed, its proofs or sums fail", () => {
  const board = yesNo.builder.board();
  const at = kindAt(board, "ballot");
  const changed = clone(board);
  changed.entries[at].body.proofs[0].reverse();
  refused(changed, /chain.hash/, "without re-hashing");
  refused(rehash(changed), /ballot.proofs\[0\]/, "re-hashed");
  const wrongPrev = clone(board);
  wrongPrev.entries[3].prev = wrongPrev.entries[1].hash;
  refused(wrongPrev, /chain.prev/);
  const wrongIndex = clone(board);
  wrongIndex.entries[2].index = 7;
  refused(wrongIndex, /chain.index/);
  refused({ ...board, poll_id: 43 }, /board.poll_id/);
  refused({ ...board, protocol: "hop-eb-v2" }, /board.protocol/);
  refused({ ...board, extra: 1 }, /board/);
  const extraField = clone(board);
  extraField.entries[1].body.note = "x";
  refused(rehash(extraField), /fields must be exactly/);
  const float = clone(board);
  float.entries[1].body.trustee = 1.5;
  refused(float, /canonical-json/);
  const text = JSON.stringify(board);
  refused(text.replace('"trustee":1,', '"trustee":1.0,'), /json: float/);
  refused(text.replace('"trustee":1,', '"trustee":1,"trustee":1,'), /json: duplicate key/);
});

test("a dropped, added or moved ballot is caught", () => {
  const board = yesNo.builder.board();
  const at = kindAt(board, "ballot");
  const dropped = clone(board);
  dropped.entries.splice(at, 1);
  refused(rehash(dropped), /close.ballots/, "dropped");
  const twice = clone(board);
  twice.entries.splice(at, 0, clone(board.entries[at]));
  refused(rehash(twice), /ballot.order/, "the same ballot twice");
  const moved = clone(board);
  [moved.entries[at], moved.entries[at + 1]] = [moved.entries[at + 1], moved.entries[at]];
  refused(rehash(moved), /ballot.order/, "out of order");
  const close = kindAt(board, "close");
  const fewerVoters = clone(board);
  fewerVoters.entries[close].body.voters.pop();
  refused(rehash(fewerVoters), /close.voters/);
  const wrongSums = clone(board);
  wrongSums.entries[close].body.sums.reverse();
  refused(rehash(wrongSums), /close.sums/);
});

test("setup: order, repeated trustees, a wrong ready, a complaint and abandoned", () => {
  const board = yesNo.builder.board();
  const swapped = clone(board);
  const [t1, s1] = [kindAt(board, "trustee"), kindAt(board, "shares")];
  [swapped.entries[t1], swapped.entries[s1]] = [swapped.entries[s1], swapped.entries[t1]];
  refused(rehash(swapped), /order/);
  const ready = kindAt(board, "ready");
  const wrongReady = clone(board);
  wrongReady.entries[ready].body.verification_keys.reverse();
  refused(rehash(wrongReady), /ready.verification_keys/);
  const wrongK = clone(board);
  wrongK.entries[ready].body.joint_key = V.generator;
  refused(rehash(wrongK), /ready.joint_key/);
  // A complaint in phase 3 and `abandoned`: valid, and nothing may follow.
  const confirm = kindAt(board, "confirm");
  const failed = clone(board);
  failed.entries = failed.entries.slice(0, confirm);
  failed.entries.push({ index: 0, kind: "share-complaint", body: { trustee: 1, dealer: 2, reason: "feldman" }, prev: "", hash: "" });
  failed.entries.push({ index: 0, kind: "abandoned", body: { reason: "complaint" }, prev: "", hash: "" });
  rehash(failed, confirm);
  assert.equal(eb.checkBoard(failed).stage, "abandoned");
  const after = clone(failed);
  after.entries.push({ index: 0, kind: "ready", body: clone(board.entries[ready].body), prev: "", hash: "" });
  refused(rehash(after, after.entries.length - 1), /order/);
  const readyAfterComplaint = clone(failed);
  readyAfterComplaint.entries.pop();
  for (const e of board.entries.slice(confirm + 1, ready + 1)) readyAfterComplaint.entries.push(clone(e));
  refused(rehash(readyAfterComplaint, confirm + 1), /order/);
});

test("partials and the result: a wrong partial, decrypted_by or counts", () => {
  const board = yesNo.builder.board();
  const partial = kindAt(board, "partial");
  const result = kindAt(board, "result");
  const wrongPartial = clone(board);
  wrongPartial.entries[partial].body.decryptions[0].d = V.generator;
  refused(rehash(wrongPartial), /partial.decryptions\[0\]/);
  const wrongCounts = clone(board);
  wrongCounts.entries[result].body.counts = [1, 2, 1];
  refused(rehash(wrongCounts), /result.counts/);
  const wrongSet = clone(board);
  wrongSet.entries[result].body.decrypted_by = [1, 2];
  refused(rehash(wrongSet), /result.decrypted_by/);
  const early = clone(board);
  early.entries.splice(partial, 1);
  refused(rehash(early), /order/, "result after fewer than t partials");
  const outcome = clone(board);
  delete outcome.entries[result].body.outcome.quorum_met;
  refused(rehash(outcome), /result.outcome/);
});

test("parameters: derived fields and ranges", () => {
  const good = parametersBody(3, 2);
  eb.checkParameters(good);
  eb.checkParameters(V.board_entry.entry_without_hash.body);
  const bad = {
    "weights not derived": { ...good, weights: [1, 1, 2] },
    "allowed sums not derived": { ...good, allowed_sums: [0, 1] },
    "two trustees": { ...good, trustees: good.trustees.slice(0, 2) },
    "threshold 1": { ...good, threshold: 1 },
    "threshold above n": { ...good, threshold: 4 },
    "trustee indexes out of order": { ...good, trustees: [...good.trustees].reverse() },
    "opinion poll": { ...good, kind: "opinion" },
    "boolean as an integer": { ...good, poll_id: true },
    "attempt 0": { ...good, attempt: 0 },
    "short nonce": { ...good, board_nonce: "ab" },
    "an option called abstain": { ...good, kind: "single", options: [{ id: "abstain", label: "x" }, { id: "b", label: "y" }] },
    "yes_no with other ids": { ...good, options: [{ id: "y", label: "Yes" }, { id: "n", label: "No" }] },
    "extra field": { ...good, secret: 1 },
  };
  for (const [what, body] of Object.entries(bad)) assert.throws(() => eb.checkParameters(body), eb.EbError, what);
});

test("a trustee's own entry must be on the board as sent", () => {
  const board = yesNo.builder.board();
  const mine = board.entries.find((e) => e.kind === "trustee" && e.body.trustee === 2).body;
  eb.checkOwnEntry(board, "trustee", "trustee", 2, clone(mine));
  const other = { ...clone(mine), transport_key: V.generator };
  assert.throws(() => eb.checkOwnEntry(board, "trustee", "trustee", 2, other), /trustee.own/);
});
