// Every value of docs/encrypted_ballots_vectors.json, reproduced byte for byte.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as eb from "../../web/static/eb/index.js";
import { V, fixed, fixedDraw, params, pollHash } from "./helpers.mjs";

const { bytesToHex, hexToBytes, decodePoint, decodeScalar, pointHex, scalarHex } = eb;
const dkg = V.dkg;
const trustees = [1, 2, 3];
const commitmentsOf = (i) => dkg.trustee_entries[i - 1].commitments.map((h) => decodePoint(h));
const allCommitments = trustees.map(commitmentsOf);

test("group constants", () => {
  assert.equal(pointHex(eb.G), V.generator);
  assert.equal(eb.L.toString(), V.group_order);
  assert.equal(pointHex(eb.O), V.identity);
  assert.equal(pointHex(eb.base(0n)), V.identity);
});

test("hash_to_scalar and H256 over a typed transcript", () => {
  const h = V.hash_to_scalar;
  const items = [hexToBytes(h.items[0].bytes), h.items[1].str, h.items[2].int];
  assert.equal(bytesToHex(eb.transcript(h.tag, ...items)), h.transcript);
  assert.equal(scalarHex(eb.hashToScalar(h.tag, ...items)), h.scalar);
  assert.equal(bytesToHex(eb.h256(h.tag, ...items)), h.sha256);
});

test("board entry: canonical JSON bytes and hash", () => {
  const entry = V.board_entry.entry_without_hash;
  assert.equal(bytesToHex(eb.canon(entry)), V.board_entry.canonical_json_utf8_hex);
  assert.equal(eb.entryHash(entry), V.board_entry.hash);
  assert.equal(eb.makeEntry(null, "parameters", entry.body).hash, V.board_entry.hash);
});

test("parameters: slots, weights and allowed sums derive from the poll", () => {
  const { slots, weights, allowed_sums } = eb.deriveShape(params);
  assert.deepEqual({ slots, weights, allowed_sums }, {
    slots: params.slots, weights: params.weights, allowed_sums: params.allowed_sums,
  });
});

test("dkg: coefficients, transport secrets and trustee entries", () => {
  for (const i of trustees) {
    const { body, secrets } = eb.makeTrusteeEntry({ pollHash, index: i, threshold: dkg.t, draw: fixedDraw });
    assert.deepEqual(secrets.coefficients.map(scalarHex), dkg.coefficients[i]);
    assert.equal(scalarHex(secrets.transportSecret), dkg.transport_secrets[i]);
    assert.deepEqual(body, dkg.trustee_entries[i - 1]);
    const checked = eb.verifyTrusteeEntry({ pollHash, body, threshold: dkg.t });
    assert.equal(checked.index, i);
  }
});

test("dkg: the share from dealer 1 to recipient 2", async () => {
  const v = dkg.share_1_to_2;
  const coefficients = dkg.coefficients[1].map((h) => decodeScalar(h));
  const s = eb.evalPolynomial(coefficients, 2);
  assert.equal(scalarHex(s), v.s_12);
  const E2 = decodePoint(dkg.trustee_entries[1].transport_key);
  const y = fixed("ephemeral", 1, 2);
  const R = eb.base(y);
  const S = eb.mul(y, E2);
  assert.equal(pointHex(S), v.dh_point_S);
  assert.equal(bytesToHex(eb.shareInfo(1, 2, R, E2)), v.hkdf_info);
  assert.equal(bytesToHex(await eb.shareOkm({ pollHash, i: 1, j: 2, S, R, Ej: E2 })), v.hkdf_okm);
  assert.equal(bytesToHex(eb.shareAad(pollHash, 1, 2)), v.aad);
  const item = await eb.encryptShare({ pollHash, i: 1, j: 2, Ej: E2, s, draw: fixedDraw });
  assert.deepEqual(item, v.entry_item);
  // The recipient's side: the same S from e_2 and R, the share, the Feldman check.
  const e2 = decodeScalar(dkg.transport_secrets[2]);
  const opened = await eb.openShare({ pollHash, i: 1, j: 2, e: e2, Ej: E2, item, commitments: commitmentsOf(1) });
  assert.deepEqual(opened, { share: s });
  const shares = await eb.makeSharesEntry({
    pollHash, dealer: 1, coefficients, draw: fixedDraw,
    transportKeys: new Map(trustees.map((j) => [j, decodePoint(dkg.trustee_entries[j - 1].transport_key)])),
  });
  assert.deepEqual(shares.shares.map((it) => it.recipient), [2, 3]);
  assert.deepEqual(shares.shares[0], v.entry_item);
});

test("dkg: x_j, X_j, K, the joint secret and trustee 2's confirm", () => {
  const coefficients = trustees.map((i) => dkg.coefficients[i].map((h) => decodeScalar(h)));
  for (const j of trustees) {
    const x = eb.finalShare(coefficients.map((c) => eb.evalPolynomial(c, j)));
    assert.equal(scalarHex(x), dkg.shares_x[j]);
    const X = eb.verificationKey(allCommitments, j);
    assert.equal(pointHex(X), dkg.verification_keys[j]);
    assert.ok(eb.base(x).equals(X));
  }
  const K = eb.jointKey(allCommitments);
  assert.equal(pointHex(K), dkg.joint_key);
  const secret = eb.modL(coefficients.reduce((acc, c) => acc + c[0], 0n));
  assert.equal(scalarHex(secret), dkg.joint_secret);
  const x2 = decodeScalar(dkg.shares_x[2]);
  const X2 = decodePoint(dkg.verification_keys[2]);
  const body = eb.makeConfirm({ pollHash, j: 2, x: x2, X: X2, K, draw: fixedDraw });
  assert.deepEqual(body, dkg.confirm_2);
  eb.verifyConfirm({ pollHash, body, X: X2, K });
});

test("ballot: encryption, proofs, tracking code and weighted sums", () => {
  const v = V.ballot;
  const K = decodePoint(v.joint_key);
  const { ballot, randomness } = eb.encryptBallot({ params, K, pollHash, choice: v.choice, draw: fixedDraw });
  assert.deepEqual(randomness.map(scalarHex), v.randomness);
  assert.deepEqual(ballot, v.ballot);
  assert.equal(eb.trackingDisplay(ballot.tracking_code), v.tracking_display);
  const checked = eb.verifyBallot({ ballot, params, K, pollHash });
  const { A, B } = eb.weightedCiphertext(params, checked.ciphertexts);
  assert.deepEqual({ a: pointHex(A), b: pointHex(B) }, v.weighted_sum);
});

test("encryption of m = 0 goes through the identity", () => {
  const v = V.encryption_m0;
  const K = decodePoint(V.ballot.joint_key);
  const r = decodeScalar(v.r);
  assert.equal(scalarHex(fixed("r0")), v.r);
  assert.equal(pointHex(eb.base(r)), v.a);
  assert.equal(pointHex(eb.base(v.m).add(eb.mul(r, K))), v.b);
});

function secondBallot(K) {
  const draw = (label, ...rest) => (label === "r" ? fixed("r2", ...rest) : fixed(label, ...rest));
  return eb.encryptBallot({ params, K, pollHash, choice: V.tally.second_ballot.choice, draw });
}

test("tally: second ballot, sums, partial decryptions, Lagrange and counts", () => {
  const t = V.tally;
  const K = decodePoint(dkg.joint_key);
  const second = secondBallot(K);
  assert.deepEqual(second.randomness.map(scalarHex), t.second_ballot.randomness);
  assert.deepEqual(second.ballot.ciphertexts, t.second_ballot.ciphertexts);
  eb.verifyBallot({ ballot: second.ballot, params, K, pollHash });
  const ballots = [V.ballot.ballot, second.ballot].map((b) => b.ciphertexts.map((ct) => ({
    a: decodePoint(ct.a), b: decodePoint(ct.b),
  })));
  const sumsA = params.slots.map((_, o) => eb.sumPoints(ballots.map((b) => b[o].a)));
  const sumsB = params.slots.map((_, o) => eb.sumPoints(ballots.map((b) => b[o].b)));
  assert.deepEqual(sumsA.map((A, o) => ({ a: pointHex(A), b: pointHex(sumsB[o]) })), t.sums);
  const closeHash = eb.h256("hop-eb-v1/test-vector", "close");
  assert.equal(bytesToHex(closeHash), t.close_hash);
  const partials = new Map();
  for (const j of t.decrypted_by) {
    const x = decodeScalar(dkg.shares_x[j]);
    const X = decodePoint(dkg.verification_keys[j]);
    const body = eb.makePartial({ pollHash, closeHash, j, x, X, sumsA, draw: fixedDraw });
    assert.deepEqual(body, t.partials[j]);
    partials.set(j, eb.verifyPartial({ pollHash, closeHash, body, X, sumsA }));
    assert.equal(scalarHex(eb.lagrange(j, t.decrypted_by)), t.lagrange[j]);
  }
  const counts = eb.combine({ sumsB, partials, set: t.decrypted_by, ballots: 2 });
  assert.deepEqual(counts, t.counts);
});

test("ballot entry: index 5 after the parameters hash", () => {
  const v = V.ballot_entry;
  const entry = { index: v.index, kind: "ballot", body: V.ballot.ballot, prev: v.prev };
  assert.equal(eb.entryHash(entry), v.hash);
});

test("the vectors' parameters and trustee entries form a valid board prefix", () => {
  let entry = { ...V.board_entry.entry_without_hash, hash: V.board_entry.hash };
  const entries = [entry];
  for (const body of dkg.trustee_entries) {
    entry = eb.makeEntry(entry, "trustee", body);
    entries.push(entry);
  }
  const checked = eb.checkBoard({ protocol: "hop-eb-v1", poll_id: 42, entries });
  assert.equal(checked.stage, "trustee");
  assert.equal(pointHex(checked.K), dkg.joint_key);
  assert.deepEqual(trustees.map((j) => pointHex(checked.X.get(j))), trustees.map((j) => dkg.verification_keys[j]));
});
