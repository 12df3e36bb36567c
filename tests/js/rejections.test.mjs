// Malformed and altered inputs are refused: decoding (§3.2), canonical JSON (§3.5), the
// ballot vector with any bit flipped (§17), proofs, shares, partials.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as eb from "../../web/static/eb/index.js";
import { V, clone, fixed, fixedDraw, flipHex, params, pollHash } from "./helpers.mjs";

const { EbError, decodePoint, decodeScalar, pointHex, scalarHex } = eb;
const K = decodePoint(V.ballot.joint_key);
const ballot = V.ballot.ballot;
const L_HEX = scalarHex(eb.L - 1n).replace(/^ec/, "ed"); // l itself, little-endian

test("decode_point: lowercase 64 hex, canonical, no identity unless allowed", () => {
  assert.ok(decodePoint(V.generator).equals(eb.G));
  assert.throws(() => decodePoint(V.generator.toUpperCase()), EbError);
  assert.throws(() => decodePoint(V.generator.slice(2)), EbError);
  assert.throws(() => decodePoint(`${V.generator}00`), EbError);
  assert.throws(() => decodePoint(42), EbError);
  assert.throws(() => decodePoint("ff".repeat(32)), EbError, "not canonical");
  assert.throws(() => decodePoint(`01${"00".repeat(31)}`), EbError, "odd s");
  assert.throws(() => decodePoint(V.identity), /identity/);
  assert.ok(decodePoint(V.identity, { allowIdentity: true }).equals(eb.O));
});

test("decode_scalar: lowercase 64 hex, below l, never reduced", () => {
  assert.equal(decodeScalar(scalarHex(eb.L - 1n)), eb.L - 1n);
  assert.equal(scalarHex(eb.L - 1n).slice(0, 2), "ec");
  assert.throws(() => decodeScalar(L_HEX), /not below l/);
  assert.throws(() => decodeScalar("ff".repeat(32)), /not below l/);
  assert.throws(() => decodeScalar(scalarHex(5n).toUpperCase().replace("05", "0A")), EbError);
  assert.throws(() => decodeScalar("0".repeat(62)), EbError);
  assert.throws(() => eb.scalarHex(eb.L), EbError);
});

test("mul and base return O for a zero scalar or the identity", () => {
  assert.ok(eb.base(0n).equals(eb.O));
  assert.ok(eb.mul(0n, K).equals(eb.O));
  assert.ok(eb.mul(5n, eb.O).equals(eb.O));
  assert.ok(eb.mulPublic(0n, K).equals(eb.O));
  assert.ok(eb.mul(eb.L - 1n, eb.G).add(eb.G).equals(eb.O));
});

test("canonical JSON: escapes, order, and the subset", () => {
  const text = eb.canonJson({ b: ["\"\\/\b\t\n\f\r\u0001\u007f\u2028é"], a: -0, c: null, d: true, e: -5 });
  assert.equal(text, '{"a":0,"b":["\\"\\\\/\\b\\t\\n\\f\\r\\u0001\u007f\u2028é"],"c":null,"d":true,"e":-5}');
  assert.throws(() => eb.canon({ a: 1.5 }), /canonical-json/);
  assert.throws(() => eb.canon({ a: 2 ** 53 }), /canonical-json/);
  assert.throws(() => eb.canon({ A: 1 }), /canonical-json/);
  assert.throws(() => eb.canon({ "share-complaint": 1 }), /canonical-json/);
  assert.throws(() => eb.canon({ _a: 1 }), /canonical-json/);
  assert.throws(() => eb.canon({ a: "\ud800" }), /lone surrogate/);
  assert.throws(() => eb.canon({ a: 1n }), /canonical-json/);
  assert.throws(() => eb.canon({ a: undefined }), /canonical-json/);
  assert.throws(() => eb.canon(new Map()), /canonical-json/);
  assert.equal(eb.canonJson({ a: "\ud83d\ude00" }), '{"a":"\ud83d\ude00"}');
});

test("strict JSON parsing refuses floats, big integers, duplicate keys and trailing text", () => {
  const entry = V.board_entry.entry_without_hash;
  assert.deepEqual(eb.parseStrict(JSON.stringify(entry, null, 2)), entry);
  assert.deepEqual(eb.parseStrict(' {"a" : [1, -2, "x\\u00e9", true, false, null, {}, []]} '),
    { a: [1, -2, "xé", true, false, null, {}, []] });
  for (const bad of ["1.0", "1e3", "1E3", "-0.5", "9007199254740992", '{"a":1,"a":2}', "[1,]", "{}x",
    "01", '{"a":1', "[1 2]", "'a'", "tru", '"\u0001"', "+1", ""]) {
    assert.throws(() => eb.parseStrict(bad), /json/, bad);
  }
  const proto = eb.parseStrict('{"__proto__": {"x": 1}}');
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.deepEqual(Object.keys(proto), ["__proto__"]);
});

test("the ballot vector verifies as given", () => {
  eb.verifyBallot({ ballot, params, K, pollHash });
});

function refused(altered, what) {
  assert.throws(() => eb.verifyBallot({ ballot: altered, params, K, pollHash }), EbError, what);
}

test("flipping any bit of a ciphertext or the tracking code is refused", () => {
  for (let o = 0; o < 3; o++) {
    for (const field of ["a", "b"]) {
      for (let at = 0; at < 64; at++) {
        for (let bit = 0; bit < 4; bit++) {
          const altered = clone(ballot);
          altered.ciphertexts[o][field] = flipHex(ballot.ciphertexts[o][field], at, bit);
          refused(altered, `ciphertexts[${o}].${field} char ${at} bit ${bit}`);
        }
      }
    }
  }
  for (let at = 0; at < 64; at++) {
    for (let bit = 0; bit < 4; bit++) {
      refused({ ...ballot, tracking_code: flipHex(ballot.tracking_code, at, bit) }, `tracking ${at}/${bit}`);
    }
  }
});

test("flipping bits of every proof scalar is refused (first and last byte, every bit)", () => {
  const positions = [0, 1, 62, 63].flatMap((at) => [0, 1, 2, 3].map((bit) => [at, bit]));
  const scalars = [
    ...ballot.proofs.flatMap((branches, o) => branches.flatMap((_, i) => ["c", "z"].map((k) => ["proofs", o, i, k]))),
    ...ballot.sum_proof.flatMap((_, i) => ["c", "z"].map((k) => ["sum_proof", i, null, k])),
  ];
  for (const [list, o, i, k] of scalars) {
    for (const [at, bit] of positions) {
      const altered = clone(ballot);
      const branch = list === "proofs" ? altered.proofs[o][i] : altered.sum_proof[o];
      branch[k] = flipHex(branch[k], at, bit);
      refused(altered, `${list}[${o}][${i}].${k} char ${at} bit ${bit}`);
    }
  }
});

test("ballot structure: exact fields and lengths", () => {
  const cases = {
    "extra field": { ...ballot, voter: 1 },
    "missing field": (({ sum_proof, ...rest }) => rest)(ballot),
    "two slots": { ...ballot, ciphertexts: ballot.ciphertexts.slice(0, 2) },
    "proofs of 3 branches": { ...ballot, proofs: ballot.proofs.map((p) => [...p, p[0]]) },
    "sum proof of 2 branches": { ...ballot, sum_proof: [...ballot.sum_proof, ballot.sum_proof[0]] },
    "proof with an extra key": { ...ballot, sum_proof: [{ ...ballot.sum_proof[0], w: "00" }] },
    "ciphertext with an extra key": { ...ballot, ciphertexts: [{ ...ballot.ciphertexts[0], c: "" }, ...ballot.ciphertexts.slice(1)] },
    "identity a": { ...ballot, ciphertexts: [{ a: V.identity, b: ballot.ciphertexts[0].b }, ...ballot.ciphertexts.slice(1)] },
    "uppercase tracking": { ...ballot, tracking_code: ballot.tracking_code.toUpperCase() },
    "not an object": [ballot],
  };
  for (const [what, altered] of Object.entries(cases)) refused(altered, what);
});

test("proofs are bound to their slot and ballot", () => {
  const swapped = clone(ballot);
  swapped.proofs = [ballot.proofs[1], ballot.proofs[0], ballot.proofs[2]];
  refused(swapped, "proofs of slots 0 and 1 swapped");
  const other = eb.encryptBallot({ params, K, pollHash, choice: [1, 0, 0] }).ballot;
  refused({ ...other, proofs: ballot.proofs }, "proofs copied from another ballot");
  refused({ ...ballot, ciphertexts: other.ciphertexts }, "ciphertexts of another ballot");
  const otherPoll = crypto.getRandomValues(new Uint8Array(32));
  assert.throws(() => eb.verifyBallot({ ballot, params, K, pollHash: otherPoll }), /tracking_code/);
  assert.throws(() => eb.verifyBallot({ ballot, params, K: eb.base(eb.rand()), pollHash }), /proofs\[0\]/);
});

test("a ballot for two options with a forged sum proof is refused", () => {
  const choice = [1, 1, 0];
  assert.throws(() => eb.encryptBallot({ params, K, pollHash, choice }), /choice/);
  // A cheating tablet: honest bit proofs, the sum proof made as if the sum were 1.
  const slots = choice.map((m, o) => {
    const r = fixed("cheat", o);
    return { r, a: eb.base(r), b: eb.base(m).add(eb.mul(r, K)) };
  });
  const tracking = eb.trackingCode(pollHash, slots);
  const proofs = slots.map(({ a, b, r }, o) => eb.cdsProve({
    tag: "hop-eb-v1/proof-bit", label: `bit${o}`, ctx: [pollHash, tracking, o], K, a, b, values: [0, 1], r, k: choice[o], draw: fixedDraw,
  }));
  const { A, B } = eb.weightedCiphertext(params, slots);
  const rSum = eb.modL(slots.reduce((acc, s) => acc + s.r, 0n));
  const sumProof = eb.cdsProve({ tag: "hop-eb-v1/proof-sum", label: "sum", ctx: [pollHash, tracking], K, a: A, b: B, values: [1], r: rSum, k: 0, draw: fixedDraw });
  const forged = {
    ciphertexts: slots.map(({ a, b }) => ({ a: pointHex(a), b: pointHex(b) })),
    proofs, sum_proof: sumProof, tracking_code: eb.bytesToHex(tracking),
  };
  assert.throws(() => eb.verifyBallot({ ballot: forged, params, K, pollHash }), /sum_proof/);
});

test("trustee entries: altered keys, commitments or proofs are refused", () => {
  const body = V.dkg.trustee_entries[0];
  const check = (b) => eb.verifyTrusteeEntry({ pollHash, body: b, threshold: 2 });
  check(body);
  assert.throws(() => check({ ...body, trustee: 2 }), /transport_proof/);
  assert.throws(() => check({ ...body, transport_key: V.dkg.trustee_entries[1].transport_key }), /transport_proof/);
  assert.throws(() => check({ ...body, commitments: [V.dkg.trustee_entries[1].commitments[0], body.commitments[1]] }), /coefficient_proof/);
  assert.throws(() => check({ ...body, commitments: body.commitments.slice(0, 1) }), /commitments/);
  assert.throws(() => check({ ...body, transport_key: V.identity }), /identity/);
  assert.throws(() => check({ ...body, coefficient_proof: { ...body.coefficient_proof, z: L_HEX } }), /not below l/);
  assert.throws(() => eb.verifyTrusteeEntry({ pollHash: new Uint8Array(32), body, threshold: 2 }), /proof/);
});

test("shares: a tampered ciphertext, a bad encoding or a wrong share is a complaint", async () => {
  const v = V.dkg.share_1_to_2;
  const e2 = decodeScalar(V.dkg.transport_secrets[2]);
  const E2 = decodePoint(V.dkg.trustee_entries[1].transport_key);
  const commitments = V.dkg.trustee_entries[0].commitments.map((h) => decodePoint(h));
  const open = (item) => eb.openShare({ pollHash, i: 1, j: 2, e: e2, Ej: E2, item, commitments });
  const tampered = { ...v.entry_item, ciphertext: flipHex(v.entry_item.ciphertext, 10) };
  assert.deepEqual(await open(tampered), { complaint: "decrypt" });
  assert.deepEqual(await open({ ...v.entry_item, ephemeral: V.generator }), { complaint: "decrypt" });
  // Honest encryption (same key schedule) of a value >= l, then of a wrong share.
  const sealed = async (plaintext) => {
    const okm = eb.hexToBytes(v.hkdf_okm);
    const ct = await (await import("../../web/static/eb/aead.js")).gcmEncrypt(
      okm.slice(0, 32), okm.slice(32), plaintext, eb.hexToBytes(v.aad));
    return { ...v.entry_item, ciphertext: eb.bytesToHex(ct) };
  };
  assert.deepEqual(await open(await sealed(new Uint8Array(32).fill(255))), { complaint: "encoding" });
  const wrong = eb.scalarBytes(eb.modL(decodeScalar(v.s_12) + 1n));
  assert.deepEqual(await open(await sealed(wrong)), { complaint: "feldman" });
  await assert.rejects(open({ ...v.entry_item, ciphertext: v.entry_item.ciphertext.slice(2) }), /48 bytes/);
  await assert.rejects(open({ ...v.entry_item, ephemeral: V.identity }), /identity/);
});

test("confirm: a wrong K, X_j or proof is refused", () => {
  const body = V.dkg.confirm_2;
  const X = decodePoint(V.dkg.verification_keys[2]);
  const Kj = decodePoint(V.dkg.joint_key);
  assert.throws(() => eb.verifyConfirm({ pollHash, body, X, K: eb.G }), /joint_key/);
  assert.throws(() => eb.verifyConfirm({ pollHash, body, X: eb.G, K: Kj }), /verification_key/);
  const bad = { ...body, share_proof: { ...body.share_proof, c: body.share_proof.z } };
  assert.throws(() => eb.verifyConfirm({ pollHash, body: bad, X, K: Kj }), /share_proof/);
  assert.throws(() => eb.makeConfirm({ pollHash, j: 2, x: 5n, X, K: Kj }), /x_j/);
});

test("partials: a wrong decryption, an identity D or a moved proof is refused", () => {
  const t = V.tally;
  const closeHash = eb.hexToBytes(t.close_hash);
  const sumsA = t.sums.map((s) => decodePoint(s.a));
  const X1 = decodePoint(V.dkg.verification_keys[1]);
  const body = t.partials[1];
  const check = (b, X = X1, close = closeHash) => eb.verifyPartial({ pollHash, closeHash: close, body: b, X, sumsA });
  check(body);
  const wrongD = clone(body);
  wrongD.decryptions[0].d = t.partials[3].decryptions[0].d;
  assert.throws(() => check(wrongD), /partial.decryptions\[0\]/);
  const identity = clone(body);
  identity.decryptions[1].d = V.identity;
  assert.throws(() => check(identity), /partial.d/);
  const swapped = clone(body);
  swapped.decryptions = [body.decryptions[1], body.decryptions[0], body.decryptions[2]];
  assert.throws(() => check(swapped), /partial.decryptions/);
  assert.throws(() => check(body, decodePoint(V.dkg.verification_keys[3])), /partial.decryptions/);
  assert.throws(() => check(body, X1, new Uint8Array(32)), /partial.decryptions/);
  assert.throws(() => check({ ...body, decryptions: body.decryptions.slice(1) }), /partial.decryptions/);
});

test("combination: a count above the number of ballots is an error", () => {
  const t = V.tally;
  const partials = new Map(t.decrypted_by.map((j) => [j, t.partials[j].decryptions.map((d) => decodePoint(d.d))]));
  const sumsB = t.sums.map((s) => decodePoint(s.b));
  assert.deepEqual(eb.combine({ sumsB, partials, set: t.decrypted_by, ballots: 2 }), t.counts);
  assert.throws(() => eb.combine({ sumsB, partials, set: t.decrypted_by, ballots: 0 }), /result.counts/);
  assert.throws(() => eb.combine({ sumsB, partials: new Map([[1, partials.get(1)], [2, partials.get(3)]]), set: [1, 2], ballots: 2 }), /result.counts/);
});
