// Ballots (§6.2, §6.3, §9, §10, §11): the ballot's shape from the poll, encryption with its
// proofs, the tracking code, verification and the Benaloh reveal.
import {
  EbError,
  O,
  base,
  bytesToHex,
  decodePoint,
  decodeScalar,
  modL,
  mul,
  mulPublic,
  pointHex,
  scalarHex,
  sumPoints,
} from "./group.js";
import { cdsProve, cdsVerify, randomDraw } from "./proofs.js";
import { requireFields, requireList } from "./shape.js";
import { h256 } from "./transcript.js";

const BIT = "hop-eb-v1/proof-bit";
const SUM = "hop-eb-v1/proof-sum";
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** slots, weights and allowed_sums from kind, options and min/max choices (§6.2). */
export function deriveShape({ kind, options, min_choices: min, max_choices: max }) {
  const p = options.length;
  const slots = [...options.map((o) => o.id), "abstain"];
  if (kind === "yes_no" || kind === "single") {
    return { slots, weights: slots.map(() => 1), allowed_sums: [1] };
  }
  if (kind !== "multiple") throw new EbError("parameters", `kind ${kind} cannot be encrypted`);
  if (!(Number.isSafeInteger(min) && Number.isSafeInteger(max) && min >= 0 && min <= max && max <= p)) {
    throw new EbError("parameters", "min/max choices");
  }
  const allowed = [];
  for (let s = min; s <= max; s++) allowed.push(s);
  return { slots, weights: [...options.map(() => 1), p + 1], allowed_sums: [...allowed, p + 1] };
}

/** The voter's answer ({abstain: true} or {options: [id, ...]}) as the vector m (§6.3). */
export function answerToVector(params, answer) {
  const m = params.slots.map(() => 0);
  if (answer.abstain) {
    m[m.length - 1] = 1;
    return m;
  }
  for (const id of answer.options) {
    const o = params.slots.indexOf(id);
    if (o < 0 || o === m.length - 1 || m[o] === 1) throw new EbError("choice", "unknown or repeated option");
    m[o] = 1;
  }
  return m;
}

/** Σ weights_o·m_o, or -1 when m is not a 0/1 vector of the poll's length. */
function weightedSum(params, m) {
  if (!Array.isArray(m) || m.length !== params.slots.length) return -1;
  if (!m.every((v) => v === 0 || v === 1)) return -1;
  return m.reduce((acc, v, o) => acc + v * params.weights[o], 0);
}

/** True when m is a valid plaintext vector for the poll (§6.3). */
export function isValidVector(params, m) {
  return params.allowed_sums.includes(weightedSum(params, m));
}

/** tracking = H256("hop-eb-v1/tracking", poll_hash, int(S), a_0, b_0, ...) (§10). */
export function trackingCode(pollHash, ciphertexts) {
  const points = ciphertexts.flatMap((ct) => [ct.a, ct.b]);
  return h256("hop-eb-v1/tracking", pollHash, ciphertexts.length, ...points);
}

/** The voter's form: the first 80 bits in Crockford base 32, as XXXX-XXXX-XXXX-XXXX. */
export function trackingDisplay(tracking) {
  const bytes = typeof tracking === "string" ? decodeTrackingHex(tracking) : tracking;
  let v = 0n;
  for (const b of bytes.slice(0, 10)) v = (v << 8n) | BigInt(b);
  let out = "";
  for (let i = 15; i >= 0; i--) out += CROCKFORD[Number((v >> BigInt(5 * i)) & 31n)];
  return out.match(/.{4}/g).join("-");
}

/** A code typed by a person, normalised to the displayed form, or null when it cannot be one. */
export function normaliseTrackingInput(text) {
  const cleaned = text.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
  if (cleaned.length !== 16 || [...cleaned].some((ch) => !CROCKFORD.includes(ch))) return null;
  return cleaned.match(/.{4}/g).join("-");
}

function decodeTrackingHex(hex) {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new EbError("tracking", "not 64 lowercase hex");
  return Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));
}

/** A = Σ w_o a_o, B = Σ w_o b_o (public values: variable-time multiplication). */
export function weightedCiphertext(params, ciphertexts) {
  return {
    A: sumPoints(ciphertexts.map((ct, o) => mulPublic(params.weights[o], ct.a))),
    B: sumPoints(ciphertexts.map((ct, o) => mulPublic(params.weights[o], ct.b))),
  };
}

function encryptSlot(K, m, o, draw) {
  for (let attempt = 0; ; attempt++) {
    const r = attempt === 0 ? draw("r", o) : draw("r", o, attempt);
    const a = base(r);
    const b = base(m).add(mul(r, K));
    if (!a.equals(O) && !b.equals(O)) return { r, a, b };
  }
}

/**
 * Encrypts a valid vector m under K and proves it (§9.1-§9.5). Returns the ballot object and
 * the randomness (kept by the tablet only for a Benaloh reveal, never sent with a cast).
 * Draw labels: ("r", o), ("bit<o>", "c"|"z", i), ("bit<o>", "w"), ("sum", "c"|"z", i), ("sum", "w").
 */
export function encryptBallot({ params, K, pollHash, choice, draw = randomDraw }) {
  if (!isValidVector(params, choice)) throw new EbError("choice", "not a valid vector");
  const slots = choice.map((m, o) => encryptSlot(K, m, o, draw));
  const tracking = trackingCode(pollHash, slots);
  const proofs = slots.map(({ a, b, r }, o) => {
    const ctx = [pollHash, tracking, o];
    return cdsProve({ tag: BIT, label: `bit${o}`, ctx, K, a, b, values: [0, 1], r, k: choice[o], draw });
  });
  const { A, B } = weightedCiphertext(params, slots);
  const rSum = modL(slots.reduce((acc, { r }, o) => acc + BigInt(params.weights[o]) * r, 0n));
  const k = params.allowed_sums.indexOf(weightedSum(params, choice));
  const values = params.allowed_sums;
  const ctx = [pollHash, tracking];
  const sumProof = cdsProve({ tag: SUM, label: "sum", ctx, K, a: A, b: B, values, r: rSum, k, draw });
  const ballot = {
    ciphertexts: slots.map(({ a, b }) => ({ a: pointHex(a), b: pointHex(b) })),
    proofs,
    sum_proof: sumProof,
    tracking_code: bytesToHex(tracking),
  };
  return { ballot, randomness: slots.map(({ r }) => r) };
}

function decodeCiphertexts(ballot, S) {
  requireList(ballot.ciphertexts, S, "ballot.ciphertexts");
  return ballot.ciphertexts.map((ct, o) => {
    requireFields(ct, ["a", "b"], "ballot.ciphertexts");
    const check = `ballot.ciphertexts[${o}]`;
    return { a: decodePoint(ct.a, { check }), b: decodePoint(ct.b, { check }) };
  });
}

/**
 * verify_ballot (§9.6): throws EbError naming the failed check; returns the decoded
 * ciphertexts and the tracking bytes when every check passes.
 */
export function verifyBallot({ ballot, params, K, pollHash }) {
  const S = params.slots.length;
  requireFields(ballot, ["ciphertexts", "proofs", "sum_proof", "tracking_code"], "ballot");
  const cts = decodeCiphertexts(ballot, S);
  requireList(ballot.proofs, S, "ballot.proofs");
  ballot.proofs.forEach((p) => requireList(p, 2, "ballot.proofs"));
  requireList(ballot.sum_proof, params.allowed_sums.length, "ballot.sum_proof");
  const tracking = trackingCode(pollHash, cts);
  if (bytesToHex(tracking) !== ballot.tracking_code) {
    throw new EbError("ballot.tracking_code", "does not match");
  }
  cts.forEach(({ a, b }, o) => {
    const ctx = [pollHash, tracking, o];
    const ok = cdsVerify({ tag: BIT, ctx, K, a, b, values: [0, 1], proof: ballot.proofs[o] });
    if (!ok) throw new EbError(`ballot.proofs[${o}]`, "does not verify");
  });
  const { A, B } = weightedCiphertext(params, cts);
  const values = params.allowed_sums;
  const ctx = [pollHash, tracking];
  const sumOk = cdsVerify({ tag: SUM, ctx, K, a: A, b: B, values, proof: ballot.sum_proof });
  if (!sumOk) throw new EbError("ballot.sum_proof", "does not verify");
  return { ciphertexts: cts, tracking };
}

/** The reveal object of a challenged ballot (§11.2). */
export function makeReveal({ ballot, choice, randomness }) {
  return { ballot, choice: [...choice], randomness: randomness.map(scalarHex) };
}

/** verify_reveal (§11.3): throws EbError, or returns the revealed vector. */
export function verifyReveal({ reveal, params, K, pollHash }) {
  requireFields(reveal, ["ballot", "choice", "randomness"], "reveal");
  const { ciphertexts } = verifyBallot({ ballot: reveal.ballot, params, K, pollHash });
  const S = params.slots.length;
  requireList(reveal.choice, S, "reveal.choice");
  requireList(reveal.randomness, S, "reveal.randomness");
  if (!isValidVector(params, reveal.choice)) throw new EbError("reveal.choice", "not a valid vector");
  ciphertexts.forEach(({ a, b }, o) => {
    const r = decodeScalar(reveal.randomness[o], { check: "reveal.randomness" });
    if (r === 0n) throw new EbError("reveal.randomness", "zero");
    if (!a.equals(base(r)) || !b.equals(base(reveal.choice[o]).add(mulPublic(r, K)))) {
      throw new EbError(`reveal.randomness[${o}]`, "does not open the ciphertext");
    }
  });
  return [...reveal.choice];
}
