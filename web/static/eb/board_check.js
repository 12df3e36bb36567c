// Everything a board's entries say, checked from the board alone (§15.3 without the device's
// own secrets, §15.4, §15.6 without the signature): proofs of setup, K and every X_j, every
// ballot and reveal, the close sums, partial decryptions and the counts. A trustee's device
// adds its own checks (its entries as sent, its shares) with checkOwnEntry and openShare.
import { verifyBallot, verifyReveal } from "./ballot.js";
import { canonJson, parseStrict } from "./canon.js";
import { checkChain } from "./chain.js";
import { combine, verifyPartial } from "./decrypt.js";
import {
  checkSharesEntry,
  jointKey,
  verificationKey,
  verifyConfirm,
  verifyTrusteeEntry,
} from "./dkg.js";
import { EbError, O, decodePoint, pointHex, sumPoints } from "./group.js";
import { entryHashBytes } from "./board.js";
import { requireFields, requireInt, requireList } from "./shape.js";

const COMPLAINTS = ["decrypt", "encoding", "feldman"];
const OUTCOME_FIELDS = [
  "verdict", "winners", "tied", "needed", "base", "present", "members", "eligible", "quorum_met",
];

function fail(at, check, message) {
  throw new EbError(check, `entry ${at}: ${message}`);
}

/** Setup entries: trustees' proofs, distinct transport keys, shares' structure, confirms, ready. */
function checkSetup(state, entry, at) {
  const { body, kind } = entry;
  const { pollHash, n, t } = state;
  if (kind === "trustee") {
    const { index, E, A } = verifyTrusteeEntry({ pollHash, body, threshold: t });
    const repeated = [...state.transport.values()].some((other) => other.equals(E));
    if (repeated) fail(at, "trustee.transport_key", "repeated");
    state.transport.set(index, E);
    state.commitments.set(index, A);
    if (state.commitments.size === n) computeKeys(state, at);
  } else if (kind === "shares") {
    checkSharesEntry({ body, n });
  } else if (kind === "share-complaint") {
    requireInt(body.dealer, "share-complaint.dealer", 1, n);
    if (body.dealer === body.trustee || !COMPLAINTS.includes(body.reason)) {
      fail(at, "share-complaint", "dealer or reason");
    }
  } else if (kind === "abandoned") {
    if (body.reason !== "complaint" && body.reason !== "cancelled") fail(at, "abandoned.reason", "unknown");
  } else if (kind === "confirm") {
    verifyConfirm({ pollHash, body, X: state.X.get(body.trustee), K: state.K });
  } else if (kind === "ready") {
    if (body.joint_key !== pointHex(state.K)) fail(at, "ready.joint_key", "differs from Σ A_i0");
    requireList(body.verification_keys, n, "ready.verification_keys");
    body.verification_keys.forEach((h, k) => {
      if (h !== pointHex(state.X.get(k + 1))) fail(at, "ready.verification_keys", `X_${k + 1} differs`);
    });
  }
}

function computeKeys(state, at) {
  const all = [...state.commitments.keys()].sort((a, b) => a - b).map((i) => state.commitments.get(i));
  state.K = jointKey(all);
  if (state.K.equals(O)) fail(at, "joint_key", "identity");
  for (let j = 1; j <= state.n; j++) state.X.set(j, verificationKey(all, j));
}

/** Ballots ascending by tracking code, each verified; reveals verified, ascending, not cast. */
function checkVotes(state, entry, at) {
  const { body, kind } = entry;
  const common = { params: state.params, K: state.K, pollHash: state.pollHash };
  if (kind === "ballot") {
    const { ciphertexts } = verifyBallot({ ballot: body, ...common });
    if (state.cast.length && !(body.tracking_code > state.cast.at(-1))) {
      fail(at, "ballot.order", "tracking codes not ascending");
    }
    state.cast.push(body.tracking_code);
    state.ciphertexts.push(ciphertexts);
  } else {
    verifyReveal({ reveal: body, ...common });
    const code = body.ballot.tracking_code;
    if (state.spoiled.length && !(code > state.spoiled.at(-1))) {
      fail(at, "spoiled.order", "tracking codes not ascending");
    }
    if (state.cast.includes(code)) fail(at, "spoiled.tracking_code", "a cast ballot's code");
    state.spoiled.push(code);
  }
}

function checkClose(state, entry, at) {
  const { body } = entry;
  const N = state.cast.length;
  if (body.ballots !== N) fail(at, "close.ballots", "not the number of ballot entries");
  requireList(body.voters, N, "close.voters");
  body.voters.forEach((v, k) => {
    requireInt(v, "close.voters");
    if (k > 0 && !(v > body.voters[k - 1])) fail(at, "close.voters", "not ascending and distinct");
  });
  const S = state.params.slots.length;
  requireList(body.sums, S, "close.sums");
  state.sumsA = [];
  state.sumsB = [];
  body.sums.forEach((sum, o) => {
    requireFields(sum, ["a", "b"], "close.sums");
    const A = sumPoints(state.ciphertexts.map((cts) => cts[o].a));
    const B = sumPoints(state.ciphertexts.map((cts) => cts[o].b));
    const given = [sum.a, sum.b].map((h) => decodePoint(h, { allowIdentity: true, check: "close.sums" }));
    if (!given[0].equals(A) || !given[1].equals(B)) fail(at, "close.sums", `slot ${o} differs`);
    state.sumsA.push(A);
    state.sumsB.push(B);
  });
  state.closeHash = entryHashBytes(entry);
}

function checkResult(state, body, at) {
  const N = state.cast.length;
  const S = state.params.slots.length;
  const set = state.partialOrder.slice(0, N === 0 ? 0 : state.t).sort((a, b) => a - b);
  requireList(body.decrypted_by, set.length, "result.decrypted_by");
  if (canonJson(body.decrypted_by) !== canonJson(set)) {
    fail(at, "result.decrypted_by", "not the first t partials' trustees");
  }
  requireList(body.counts, S, "result.counts");
  const { sumsA, sumsB, partials } = state;
  if (N === 0 && !sumsB.every((B, o) => B.equals(O) && sumsA[o].equals(O))) {
    fail(at, "close.sums", "not O with no ballots");
  }
  const counts = N === 0 ? sumsB.map(() => 0) : combine({ sumsB, partials, set, ballots: N });
  if (canonJson(body.counts) !== canonJson(counts)) fail(at, "result.counts", "differ from the decryption");
  const total = counts.reduce((a, c) => a + c, 0);
  if (state.params.kind !== "multiple" && total !== N) {
    fail(at, "result.counts", "do not add up to the ballots");
  }
  requireFields(body.outcome, OUTCOME_FIELDS, "result.outcome");
}

function step(state, entry, at) {
  const { kind, body } = entry;
  if (kind === "ballot" || kind === "spoiled") checkVotes(state, entry, at);
  else if (kind === "close") checkClose(state, entry, at);
  else if (kind === "partial") {
    const X = state.X.get(body.trustee);
    const { pollHash, closeHash, sumsA } = state;
    state.partials.set(body.trustee, verifyPartial({ pollHash, closeHash, body, X, sumsA }));
    state.partialOrder.push(body.trustee);
  } else if (kind === "result") checkResult(state, body, at);
  else checkSetup(state, entry, at);
}

/**
 * Checks a whole board (or a prefix of one) from its text or parsed object. Returns
 * {params, pollHash, n, t, stage, K, X (Map j -> X_j), tracking codes, counts}; throws EbError
 * naming the entry and the check otherwise.
 */
export function checkBoard(board) {
  // From text, parseStrict refuses what JSON.parse would let through (floats, duplicate keys).
  const chain = checkChain(typeof board === "string" ? parseStrict(board) : board);
  const state = {
    ...chain, transport: new Map(), commitments: new Map(), K: null, X: new Map(),
    cast: [], spoiled: [], ciphertexts: [], partials: new Map(), partialOrder: [],
  };
  chain.entries.slice(1).forEach((entry, k) => step(state, entry, k + 1));
  const result = chain.stage === "result" ? chain.entries.at(-1).body.counts : null;
  return {
    params: chain.params, pollHash: chain.pollHash, n: chain.n, t: chain.t, stage: chain.stage,
    K: state.K, X: state.X, cast: state.cast, spoiled: state.spoiled, counts: result,
  };
}

/** §15.2: the device's own entry is byte for byte the body it sent. */
export function checkOwnEntry(board, kind, field, index, sentBody) {
  const mine = board.entries.filter((e) => e.kind === kind && e.body[field] === index);
  if (mine.length !== 1 || canonJson(mine[0].body) !== canonJson(sentBody)) {
    throw new EbError(`${kind}.own`, "the board does not show the entry this device sent");
  }
}
