// The trustee device's part of the Joint-Feldman DKG (§7): the `trustee` entry with its
// proofs, shares encrypted to the other trustees (HKDF + AES-GCM through WebCrypto), the
// Feldman check of received shares, the final share x_j and the `confirm` entry.
// Draw labels (§17): ("transport", i), ("coef", i, k), ("pok-transport"|"pok-coefficient"|
// "pok-share", i, "w"), ("ephemeral", i, j).
import { gcmDecrypt, gcmEncrypt, hkdf } from "./aead.js";
import {
  EbError,
  O,
  base,
  bytesToHex,
  decodePoint,
  decodeScalar,
  hexToBytes,
  invL,
  modL,
  mul,
  mulPublic,
  pointHex,
  scalarBytes,
  sumPoints,
} from "./group.js";
import { randomDraw, schnorrProve, schnorrVerify } from "./proofs.js";
import { requireFields, requireInt, requireList } from "./shape.js";
import { transcript } from "./transcript.js";

export const POK_TRANSPORT = "hop-eb-v1/pok-transport";
export const POK_COEFFICIENT = "hop-eb-v1/pok-coefficient";
export const POK_SHARE = "hop-eb-v1/pok-share";

/** Phase 1 (§7.2): the body to post and the secrets to wrap before posting it. */
export function makeTrusteeEntry({ pollHash, index, threshold, draw = randomDraw }) {
  const e = draw("transport", index);
  const E = base(e);
  const coefficients = [];
  for (let k = 0; k < threshold; k++) coefficients.push(draw("coef", index, k));
  const commitments = coefficients.map((a) => base(a));
  const prove = (tag, label, x, X) => schnorrProve({ tag, label, pollHash, index, x, X, draw });
  const body = {
    trustee: index,
    transport_key: pointHex(E),
    commitments: commitments.map(pointHex),
    transport_proof: prove(POK_TRANSPORT, "pok-transport", e, E),
    coefficient_proof: prove(POK_COEFFICIENT, "pok-coefficient", coefficients[0], commitments[0]),
  };
  return { body, secrets: { transportSecret: e, coefficients } };
}

/** Checks a `trustee` body (decoding, no O, t commitments, both proofs); returns its points. */
export function verifyTrusteeEntry({ pollHash, body, threshold }) {
  const fields = ["trustee", "transport_key", "commitments", "transport_proof", "coefficient_proof"];
  requireFields(body, fields, "trustee");
  const i = requireInt(body.trustee, "trustee.trustee", 1);
  const E = decodePoint(body.transport_key, { check: "trustee.transport_key" });
  requireList(body.commitments, threshold, "trustee.commitments");
  const A = body.commitments.map((h) => decodePoint(h, { check: "trustee.commitments" }));
  if (!schnorrVerify({ tag: POK_TRANSPORT, pollHash, index: i, X: E, proof: body.transport_proof })) {
    throw new EbError("trustee.transport_proof", "does not verify");
  }
  if (!schnorrVerify({ tag: POK_COEFFICIENT, pollHash, index: i, X: A[0], proof: body.coefficient_proof })) {
    throw new EbError("trustee.coefficient_proof", "does not verify");
  }
  return { index: i, E, A };
}

/** f(j) = Σ_k a_k·j^k mod l. */
export function evalPolynomial(coefficients, j) {
  let acc = 0n;
  for (let k = coefficients.length - 1; k >= 0; k--) acc = modL(acc * BigInt(j) + coefficients[k]);
  return acc;
}

/** Σ_k (j^k mod l)·A_k: what f(j)·G must be (public values, variable time). */
export function feldmanPoint(commitments, j) {
  let power = 1n;
  const terms = commitments.map((A) => {
    const term = mulPublic(power, A);
    power = modL(power * BigInt(j));
    return term;
  });
  return sumPoints(terms);
}

/** The HKDF info bytes of the share from i to j (§7.3). */
export function shareInfo(i, j, R, Ej) {
  return transcript("hop-eb-v1/share-key", i, j, R, Ej);
}

/** The AES-GCM AAD of the share from i to j. */
export function shareAad(pollHash, i, j) {
  return transcript("hop-eb-v1/share-aad", pollHash, i, j);
}

/** okm = HKDF-SHA-256(encode(S), poll_hash, info, 44): key = okm[0:32], iv = okm[32:44]. */
export async function shareOkm({ pollHash, i, j, S, R, Ej }) {
  return hkdf(S.toBytes(), pollHash, shareInfo(i, j, R, Ej), 44);
}

/** One item of a `shares` body: s encrypted from dealer i to recipient j under E_j. */
export async function encryptShare({ pollHash, i, j, Ej, s, draw = randomDraw }) {
  const y = draw("ephemeral", i, j);
  const R = base(y);
  const S = mul(y, Ej);
  if (S.equals(O)) throw new EbError("share", "DH result is the identity");
  const okm = await shareOkm({ pollHash, i, j, S, R, Ej });
  const ct = await gcmEncrypt(okm.slice(0, 32), okm.slice(32, 44), scalarBytes(s), shareAad(pollHash, i, j));
  return { recipient: j, ephemeral: pointHex(R), ciphertext: bytesToHex(ct) };
}

/** Phase 2 (§7.3): the `shares` body of dealer i; `transportKeys` maps j to E_j, j = 1..n. */
export async function makeSharesEntry({ pollHash, dealer, coefficients, transportKeys, draw = randomDraw }) {
  const recipients = [...transportKeys.keys()].filter((j) => j !== dealer).sort((x, y) => x - y);
  const shares = [];
  for (const j of recipients) {
    const s = evalPolynomial(coefficients, j);
    shares.push(await encryptShare({ pollHash, i: dealer, j, Ej: transportKeys.get(j), s, draw }));
  }
  return { dealer, shares };
}

/**
 * Phase 3 (§7.4): recipient j opens dealer i's share and checks it against i's commitments.
 * Returns {share} or {complaint: "decrypt" | "encoding" | "feldman"}.
 */
export async function openShare({ pollHash, i, j, e, Ej, item, commitments }) {
  const R = decodePoint(item.ephemeral, { check: "shares.ephemeral" });
  const ct = hexToBytes(item.ciphertext, "shares.ciphertext");
  if (ct.length !== 48) throw new EbError("shares.ciphertext", "not 48 bytes");
  const S = mul(e, R);
  const okm = await shareOkm({ pollHash, i, j, S, R, Ej });
  const pt = await gcmDecrypt(okm.slice(0, 32), okm.slice(32, 44), ct, shareAad(pollHash, i, j));
  if (pt === null) return { complaint: "decrypt" };
  let s;
  try {
    s = decodeScalar(bytesToHex(pt));
  } catch {
    return { complaint: "encoding" };
  }
  if (!base(s).equals(feldmanPoint(commitments, j))) return { complaint: "feldman" };
  return { share: s };
}

/** K = Σ_i A_i0 over every trustee's commitments (a list of lists of points). */
export function jointKey(allCommitments) {
  return sumPoints(allCommitments.map((A) => A[0]));
}

/** X_j = Σ_i Σ_k (j^k mod l)·A_ik, computed from the board. */
export function verificationKey(allCommitments, j) {
  return sumPoints(allCommitments.map((A) => feldmanPoint(A, j)));
}

/** x_j = Σ_i s_ij mod l (the trustee's own s_jj included). */
export function finalShare(shares) {
  return modL(shares.reduce((acc, s) => acc + s, 0n));
}

/** The `confirm` body (§7.5), after checking base(x_j) == X_j and K != O. */
export function makeConfirm({ pollHash, j, x, X, K, draw = randomDraw }) {
  if (!base(x).equals(X)) throw new EbError("confirm", "x_j does not match X_j");
  if (K.equals(O)) throw new EbError("confirm", "joint key is the identity");
  const proof = schnorrProve({ tag: POK_SHARE, label: "pok-share", pollHash, index: j, x, X, draw });
  return { trustee: j, joint_key: pointHex(K), verification_key: pointHex(X), share_proof: proof };
}

/** Checks a `confirm` body against X_j and K computed from the board. */
export function verifyConfirm({ pollHash, body, X, K }) {
  requireFields(body, ["trustee", "joint_key", "verification_key", "share_proof"], "confirm");
  requireInt(body.trustee, "confirm.trustee", 1);
  if (body.joint_key !== pointHex(K)) throw new EbError("confirm.joint_key", "differs from the board's K");
  if (body.verification_key !== pointHex(X)) {
    throw new EbError("confirm.verification_key", "differs from X_j");
  }
  if (!schnorrVerify({ tag: POK_SHARE, pollHash, index: body.trustee, X, proof: body.share_proof })) {
    throw new EbError("confirm.share_proof", "does not verify");
  }
}

/** λ_j(Set) = Π_{m ∈ Set, m ≠ j} m·(m − j)^{-1} mod l (§7.7). */
export function lagrange(j, set) {
  return set.reduce((acc, m) => (m === j ? acc : modL(acc * BigInt(m) * invL(BigInt(m - j)))), 1n);
}

/** Structure of a `shares` body (§15.2): recipients {1..n} \ {dealer} ascending, points, 48 bytes. */
export function checkSharesEntry({ body, n }) {
  requireFields(body, ["dealer", "shares"], "shares");
  const dealer = requireInt(body.dealer, "shares.dealer", 1, n);
  const expected = [];
  for (let j = 1; j <= n; j++) if (j !== dealer) expected.push(j);
  requireList(body.shares, n - 1, "shares.shares");
  body.shares.forEach((item, k) => {
    requireFields(item, ["recipient", "ephemeral", "ciphertext"], "shares.shares");
    if (item.recipient !== expected[k]) {
      throw new EbError("shares.recipient", "not {1..n} minus the dealer, ascending");
    }
    decodePoint(item.ephemeral, { check: "shares.ephemeral" });
    if (hexToBytes(item.ciphertext, "shares.ciphertext").length !== 48) {
      throw new EbError("shares.ciphertext", "not 48 bytes");
    }
  });
  return dealer;
}
