// Partial decryption of the close sums by trustee j (§14.1) and the combination of t
// partials into the counts (§14.3).
import { EbError, G, O, base, decodePoint, mulPublic, pointHex, sumPoints } from "./group.js";
import { decryptProve, decryptVerify, randomDraw } from "./proofs.js";
import { lagrange } from "./dkg.js";
import { requireFields, requireInt, requireList } from "./shape.js";

/** The `partial` body: D_jo = x_j·A_o with a proof per slot (A_o may be O). */
export function makePartial({ pollHash, closeHash, j, x, X, sumsA, draw = randomDraw }) {
  if (!base(x).equals(X)) throw new EbError("partial", "x_j does not match X_j");
  const decryptions = sumsA.map((A, o) => {
    const { D, proof } = decryptProve({ pollHash, closeHash, j, o, x, X, A, draw });
    return { d: pointHex(D), proof };
  });
  return { trustee: j, decryptions };
}

/** Checks a `partial` body against X_j and the sums; returns the decoded D_jo. */
export function verifyPartial({ pollHash, closeHash, body, X, sumsA }) {
  requireFields(body, ["trustee", "decryptions"], "partial");
  const j = requireInt(body.trustee, "partial.trustee", 1);
  requireList(body.decryptions, sumsA.length, "partial.decryptions");
  return body.decryptions.map((item, o) => {
    requireFields(item, ["d", "proof"], "partial.decryptions");
    const D = decodePoint(item.d, { allowIdentity: true, check: "partial.d" });
    // D = O only when A_o = O (§2.2).
    if (D.equals(O) && !sumsA[o].equals(O)) throw new EbError("partial.d", "identity");
    if (!decryptVerify({ pollHash, closeHash, j, o, X, A: sumsA[o], D, proof: item.proof })) {
      throw new EbError(`partial.decryptions[${o}]`, "proof does not verify");
    }
    return D;
  });
}

/** The least c in 0..max with c·G == M, by repeated addition; null when none. */
export function smallLog(M, max) {
  let T = O;
  for (let c = 0; c <= max; c++) {
    if (T.equals(M)) return c;
    T = T.add(G);
  }
  return null;
}

/**
 * §14.3: counts from the sums B_o and the partials of the trustees in `set` (a Map from j to
 * the list of D_jo). `ballots` is N, the upper bound of each count.
 */
export function combine({ sumsB, partials, set, ballots }) {
  const lambdas = new Map(set.map((j) => [j, lagrange(j, set)]));
  return sumsB.map((B, o) => {
    const shared = sumPoints(set.map((j) => mulPublic(lambdas.get(j), partials.get(j)[o])));
    const c = smallLog(B.subtract(shared), ballots);
    if (c === null) throw new EbError("result.counts", `no count for slot ${o}`);
    return c;
  });
}
