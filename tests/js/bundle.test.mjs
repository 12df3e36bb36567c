// The file browsers load (/static/vendor/eb/eb.js, built by `make install`) is the library:
// it reproduces the ballot and the tally vectors. Skipped when the bundle has not been built,
// except in CI.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { V, fixedDraw, params, pollHash } from "./helpers.mjs";

const BUNDLE = new URL("../../build/eb/eb.js", import.meta.url);
const missing = !existsSync(BUNDLE) && process.env.CI !== "true";

test("the bundle reproduces the ballot and a partial decryption", { skip: missing && "run make install" }, async () => {
  const eb = await import(BUNDLE.href);
  const K = eb.decodePoint(V.ballot.joint_key);
  const { ballot } = eb.encryptBallot({ params, K, pollHash, choice: V.ballot.choice, draw: fixedDraw });
  assert.deepEqual(ballot, V.ballot.ballot);
  eb.verifyBallot({ ballot, params, K, pollHash });
  const sumsA = V.tally.sums.map((s) => eb.decodePoint(s.a));
  const body = eb.makePartial({
    pollHash, closeHash: eb.hexToBytes(V.tally.close_hash), j: 1, draw: fixedDraw, sumsA,
    x: eb.decodeScalar(V.dkg.shares_x[1]), X: eb.decodePoint(V.dkg.verification_keys[1]),
  });
  assert.deepEqual(body, V.tally.partials[1]);
});
