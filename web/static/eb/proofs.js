// The proofs of hop-eb-v1: Schnorr proofs of knowledge (§7.2), the disjunctive Chaum-Pedersen
// proof (CDS, §9.2) and the Chaum-Pedersen decryption proof (§14.1). Proofs are stored as
// (c, z) pairs; the verifier recomputes the commitments.
//
// Randomness comes from `draw(label, ...parts)`, which returns a scalar in 1..l-1. In use it
// is `rand` (labels ignored); the tests pass the spec's fixed() values (§17), whose labels are
// the ones named here.
import {
  EbError,
  base,
  decodeScalar,
  modL,
  mul,
  mulPublic,
  rand,
  scalarHex,
} from "./group.js";
import { hashToScalar } from "./transcript.js";

export const randomDraw = () => rand();

function proofJson(c, z) {
  return { c: scalarHex(c), z: scalarHex(z) };
}

/** A {c, z} object with exactly those two canonical scalars. */
export function decodeProof(proof, check = "proof") {
  if (proof === null || typeof proof !== "object" || Array.isArray(proof)) {
    throw new EbError(check, "not an object");
  }
  const keys = Object.keys(proof).sort();
  if (keys.length !== 2 || keys[0] !== "c" || keys[1] !== "z") {
    throw new EbError(check, "fields must be exactly c, z");
  }
  return { c: decodeScalar(proof.c, { check }), z: decodeScalar(proof.z, { check }) };
}

/** schnorr_prove(tag, i, x, X): the nonce is draw(label, i, "w"). */
export function schnorrProve({ tag, label, pollHash, index, x, X, draw = randomDraw }) {
  const w = draw(label, index, "w");
  const c = hashToScalar(tag, pollHash, index, X, base(w));
  return proofJson(c, modL(w + c * x));
}

/** schnorr_verify(tag, i, X, proof): true or false; a malformed proof throws EbError. */
export function schnorrVerify({ tag, pollHash, index, X, proof }) {
  const { c, z } = decodeProof(proof, tag);
  const W = base(z).subtract(mulPublic(c, X));
  return c === hashToScalar(tag, pollHash, index, X, W);
}

function cdsChallenge(tag, ctx, K, a, b, values, commitments) {
  return hashToScalar(tag, ...ctx, K, a, b, values.length, ...values, ...commitments);
}

/**
 * cds_prove: (a, b) = (rG, v_k G + rK) encrypts values[k]. Simulated branches draw
 * (label, "c", i) and (label, "z", i), the real one (label, "w"). Every multiplication is
 * constant time: which branch is real is the secret.
 */
export function cdsProve({ tag, label, ctx, K, a, b, values, r, k, draw = randomDraw }) {
  const branches = values.map((v, i) => {
    if (i === k) return null;
    const c = draw(label, "c", i);
    const z = draw(label, "z", i);
    const U = base(z).subtract(mul(c, a));
    const V = mul(z, K).subtract(mul(c, b.subtract(base(v))));
    return { c, z, U, V };
  });
  const w = draw(label, "w");
  const commitments = branches.flatMap((br, i) => (i === k ? [base(w), mul(w, K)] : [br.U, br.V]));
  const c = cdsChallenge(tag, ctx, K, a, b, values, commitments);
  const others = branches.reduce((acc, br) => (br ? acc + br.c : acc), 0n);
  const ck = modL(c - others);
  const zk = modL(w + ck * r);
  return branches.map((br, i) => (i === k ? proofJson(ck, zk) : proofJson(br.c, br.z)));
}

/** cds_verify: true or false; a malformed proof throws EbError. */
export function cdsVerify({ tag, ctx, K, a, b, values, proof }) {
  if (!Array.isArray(proof) || proof.length !== values.length) {
    throw new EbError(tag, "wrong number of branches");
  }
  const decoded = proof.map((p) => decodeProof(p, tag));
  const commitments = decoded.flatMap(({ c, z }, i) => [
    base(z).subtract(mulPublic(c, a)),
    mulPublic(z, K).subtract(mulPublic(c, b.subtract(base(values[i])))),
  ]);
  const c = cdsChallenge(tag, ctx, K, a, b, values, commitments);
  return modL(decoded.reduce((acc, p) => acc + p.c, 0n)) === c;
}

const DECRYPT_TAG = "hop-eb-v1/proof-decrypt";

/** D = x_j·A with its proof (§14.1); the nonce is draw("decrypt", j, o). */
export function decryptProve({ pollHash, closeHash, j, o, x, X, A, draw = randomDraw }) {
  const D = mul(x, A);
  const w = draw("decrypt", j, o);
  const c = hashToScalar(DECRYPT_TAG, pollHash, closeHash, j, o, X, A, D, base(w), mul(w, A));
  return { D, proof: proofJson(c, modL(w + c * x)) };
}

/** Checks a partial decryption D of A by trustee j with verification key X. */
export function decryptVerify({ pollHash, closeHash, j, o, X, A, D, proof }) {
  const { c, z } = decodeProof(proof, DECRYPT_TAG);
  const U = base(z).subtract(mulPublic(c, X));
  const V = mulPublic(z, A).subtract(mulPublic(c, D));
  return c === hashToScalar(DECRYPT_TAG, pollHash, closeHash, j, o, X, A, D, U, V);
}
