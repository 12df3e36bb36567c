// Round trips with real randomness: a whole setup (3 of 3 ... 5 of 3), ballots of every kind,
// the sums, t partial decryptions and the counts; Benaloh reveals; key files.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as eb from "../../web/static/eb/index.js";

const { decodePoint, pointHex } = eb;

function pollParams(kind, p, min = 1, max = 1) {
  const options = Array.from({ length: p }, (_, i) => ({ id: `o${i}`, label: `Lựa chọn ${i}` }));
  const base = { kind, options, min_choices: min, max_choices: max };
  return { ...base, ...eb.deriveShape(base) };
}

/** Runs setup phases 1-3 for n trustees; returns K, every X_j and every x_j. */
async function setup(pollHash, n, t) {
  const indexes = Array.from({ length: n }, (_, i) => i + 1);
  const made = indexes.map((i) => eb.makeTrusteeEntry({ pollHash, index: i, threshold: t }));
  const checked = made.map(({ body }) => eb.verifyTrusteeEntry({ pollHash, body, threshold: t }));
  const transportKeys = new Map(checked.map((c) => [c.index, c.E]));
  const sharesEntries = [];
  for (const [k, i] of indexes.entries()) {
    const coefficients = made[k].secrets.coefficients;
    sharesEntries.push(await eb.makeSharesEntry({ pollHash, dealer: i, coefficients, transportKeys }));
  }
  const allA = checked.map((c) => c.A);
  const K = eb.jointKey(allA);
  const keys = new Map();
  for (const [k, j] of indexes.entries()) {
    const shares = [eb.evalPolynomial(made[k].secrets.coefficients, j)];
    for (const entry of sharesEntries.filter((e) => e.dealer !== j)) {
      const item = entry.shares.find((s) => s.recipient === j);
      const opened = await eb.openShare({
        pollHash, i: entry.dealer, j, e: made[k].secrets.transportSecret, Ej: transportKeys.get(j),
        item, commitments: allA[entry.dealer - 1],
      });
      assert.ok("share" in opened, `share ${entry.dealer} -> ${j}: ${opened.complaint}`);
      shares.push(opened.share);
    }
    const x = eb.finalShare(shares);
    const X = eb.verificationKey(allA, j);
    const body = eb.makeConfirm({ pollHash, j, x, X, K });
    eb.verifyConfirm({ pollHash, body, X, K });
    keys.set(j, { x, X });
  }
  return { K, keys, made, sharesEntries, allA, transportKeys };
}

function randomSubset(items, size) {
  const pool = [...items];
  const out = [];
  while (out.length < size) out.push(pool.splice(Math.floor(Math.random() * pool.length), 1)[0]);
  return out.sort((a, b) => a - b);
}

async function tallyRoundTrip(n, t, params, choices) {
  const pollHash = crypto.getRandomValues(new Uint8Array(32));
  const { K, keys } = await setup(pollHash, n, t);
  const cast = choices.map((choice) => eb.encryptBallot({ params, K, pollHash, choice }).ballot);
  const decoded = cast.map((ballot) => eb.verifyBallot({ ballot, params, K, pollHash }).ciphertexts);
  const sumsA = params.slots.map((_, o) => eb.sumPoints(decoded.map((b) => b[o].a)));
  const sumsB = params.slots.map((_, o) => eb.sumPoints(decoded.map((b) => b[o].b)));
  const closeHash = crypto.getRandomValues(new Uint8Array(32));
  const set = randomSubset([...keys.keys()], t);
  const partials = new Map();
  for (const j of set) {
    const { x, X } = keys.get(j);
    const body = eb.makePartial({ pollHash, closeHash, j, x, X, sumsA });
    partials.set(j, eb.verifyPartial({ pollHash, closeHash, body, X, sumsA }));
  }
  const counts = eb.combine({ sumsB, partials, set, ballots: cast.length });
  const expected = params.slots.map((_, o) => choices.reduce((acc, m) => acc + m[o], 0));
  assert.deepEqual(counts, expected);
}

test("setup 3 of 2 and a yes/no tally", async () => {
  await tallyRoundTrip(3, 2, pollParams("yes_no", 2), [[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 1]]);
});

test("setup 5 of 3 and a multiple-choice tally (abstain alone, blank allowed with min 0)", async () => {
  const params = pollParams("multiple", 3, 0, 2);
  assert.deepEqual(params.weights, [1, 1, 1, 4]);
  assert.deepEqual(params.allowed_sums, [0, 1, 2, 4]);
  await tallyRoundTrip(5, 3, params, [[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1], [0, 1, 1, 0], [0, 0, 1, 0]]);
});

test("setup 4 of 4 and a single-choice tally", async () => {
  await tallyRoundTrip(4, 4, pollParams("single", 4), [[0, 0, 0, 1, 0], [0, 0, 0, 0, 1]]);
});

test("no ballots: sums are O, partials of O verify, every count is 0", async () => {
  await tallyRoundTrip(3, 2, pollParams("yes_no", 2), []);
});

test("slots, weights and allowed sums: the spec's examples (§6.2)", () => {
  assert.deepEqual(pollParams("multiple", 4, 1, 2).weights, [1, 1, 1, 1, 5]);
  assert.deepEqual(pollParams("multiple", 4, 1, 2).allowed_sums, [1, 2, 5]);
  assert.deepEqual(pollParams("multiple", 3, 0, 3).weights, [1, 1, 1, 4]);
  assert.deepEqual(pollParams("multiple", 3, 0, 3).allowed_sums, [0, 1, 2, 3, 4]);
  const yesNo = pollParams("yes_no", 2);
  assert.deepEqual(yesNo.slots, ["o0", "o1", "abstain"]);
  assert.deepEqual(eb.answerToVector(yesNo, { abstain: true }), [0, 0, 1]);
  assert.deepEqual(eb.answerToVector(yesNo, { options: ["o1"] }), [0, 1, 0]);
  assert.throws(() => eb.answerToVector(yesNo, { options: ["abstain"] }), eb.EbError);
  assert.throws(() => eb.answerToVector(yesNo, { options: ["o0", "o0"] }), eb.EbError);
  assert.equal(eb.isValidVector(yesNo, [1, 1, 0]), false);
  const multiple = pollParams("multiple", 3, 1, 2);
  assert.equal(eb.isValidVector(multiple, [1, 0, 0, 1]), false, "abstain with an option");
  assert.equal(eb.isValidVector(multiple, [1, 1, 1, 0]), false, "more than max");
  assert.equal(eb.isValidVector(multiple, [0, 0, 0, 0]), false, "fewer than min");
  assert.throws(() => eb.deriveShape({ kind: "opinion", options: [], min_choices: 0, max_choices: 0 }), eb.EbError);
});

test("Benaloh reveal: opens to the choice; a changed choice or randomness is refused", async () => {
  const pollHash = crypto.getRandomValues(new Uint8Array(32));
  const params = pollParams("multiple", 3, 1, 2);
  const K = eb.base(eb.rand());
  const choice = [0, 1, 1, 0];
  const { ballot, randomness } = eb.encryptBallot({ params, K, pollHash, choice });
  const reveal = eb.makeReveal({ ballot, choice, randomness });
  assert.deepEqual(eb.verifyReveal({ reveal, params, K, pollHash }), choice);
  const otherChoice = { ...reveal, choice: [1, 1, 0, 0] };
  assert.throws(() => eb.verifyReveal({ reveal: otherChoice, params, K, pollHash }), /reveal.randomness/);
  const swapped = { ...reveal, randomness: [reveal.randomness[1], reveal.randomness[0], ...reveal.randomness.slice(2)] };
  assert.throws(() => eb.verifyReveal({ reveal: swapped, params, K, pollHash }), /reveal.randomness/);
  const zero = { ...reveal, randomness: ["0".repeat(64), ...reveal.randomness.slice(1)] };
  assert.throws(() => eb.verifyReveal({ reveal: zero, params, K, pollHash }), /reveal.randomness/);
  assert.throws(() => eb.verifyReveal({ reveal: { ...reveal, extra: 1 }, params, K, pollHash }), /reveal/);
  const invalid = { ...reveal, choice: [1, 1, 1, 0] };
  assert.throws(() => eb.verifyReveal({ reveal: invalid, params, K, pollHash }), /reveal.choice/);
});

test("tracking codes: displayed form and what a person may type", () => {
  const hex = "edd8e4dd577d69cacd8d1fe0d293260b454aa139311d666045cd256ea410ea12";
  assert.equal(eb.trackingDisplay(hex), "XQCE-9QAQ-FNMW-NKCD");
  assert.equal(eb.trackingDisplay(eb.hexToBytes(hex)), "XQCE-9QAQ-FNMW-NKCD");
  assert.equal(eb.normaliseTrackingInput("xqce 9qaq fnmw nkcd"), "XQCE-9QAQ-FNMW-NKCD");
  assert.equal(eb.normaliseTrackingInput("XQCE9QAQFNMWNKCD"), "XQCE-9QAQ-FNMW-NKCD");
  assert.equal(eb.normaliseTrackingInput("oiL0-0000-0000-0000"), "0110-0000-0000-0000");
  assert.equal(eb.normaliseTrackingInput("XQCE-9QAQ-FNMW-NKC"), null);
  assert.equal(eb.normaliseTrackingInput("XQCE-9QAQ-FNMW-NKCU"), null);
  assert.equal(eb.trackingDisplay(new Uint8Array(32)), "0000-0000-0000-0000");
  assert.equal(eb.trackingDisplay(new Uint8Array(32).fill(255)), "ZZZZ-ZZZZ-ZZZZ-ZZZZ");
});

test("key file: wrap, unwrap, wrong passphrase, tampering, weak KDF", async () => {
  const pollHash = crypto.getRandomValues(new Uint8Array(32));
  const x = eb.rand();
  const X = eb.base(x);
  const file = await eb.wrapKeyFile({
    pollId: 42, pollHash, trustee: 2, stage: "share", transportKey: eb.pointHex(eb.base(eb.rand())),
    verificationKey: pointHex(X), jointKey: pointHex(eb.base(eb.rand())),
    secret: { share: eb.scalarHex(x) }, passphrase: "Mật khẩu đủ dài",
  });
  assert.equal(file.kdf.iterations, 600000);
  assert.equal(file.kdf.salt.length, 32);
  assert.equal(file.cipher.iv.length, 24);
  const text = JSON.stringify(file);
  // NFD input is normalised to NFC before use: the same key.
  const opened = await eb.unwrapKeyFile(text, "Mật khẩu đủ dài".normalize("NFD"));
  assert.deepEqual(opened.secret, eb.secretObject("share", { share: x }));
  const K = decodePoint(file.joint_key);
  assert.equal(eb.checkShareKey({ opened, pollHash, X, K }), x);
  assert.throws(() => eb.checkShareKey({ opened, pollHash, X: eb.G, K }), /key-file.share/);
  assert.throws(() => eb.checkShareKey({ opened, pollHash, X, K: eb.G }), /key-file/);
  assert.throws(() => eb.checkShareKey({ opened, pollHash: new Uint8Array(32), X, K }), /poll_hash/);
  assert.equal(await eb.unwrapKeyFile(file, "wrong passphrase!"), null);
  assert.equal(await eb.unwrapKeyFile({ ...file, trustee: 3 }, "Mật khẩu đủ dài"), null, "AAD binds the index");
  const flipped = (file.ciphertext[0] === "0" ? "1" : "0") + file.ciphertext.slice(1);
  assert.equal(await eb.unwrapKeyFile({ ...file, ciphertext: flipped }, "Mật khẩu đủ dài"), null);
  const weak = { ...file, kdf: { ...file.kdf, iterations: 100000 } };
  await assert.rejects(eb.unwrapKeyFile(weak, "Mật khẩu đủ dài"), /key-file.kdf/);
  await assert.rejects(eb.unwrapKeyFile({ ...file, format: "other" }, "Mật khẩu đủ dài"), /key-file.format/);
  await assert.rejects(eb.wrapKeyFile({ pollId: 1, pollHash, trustee: 1, stage: "setup", secret: {}, passphrase: "short" }), /passphrase/);
});

test("key file at stage setup keeps the transport secret and the coefficients", async () => {
  const pollHash = crypto.getRandomValues(new Uint8Array(32));
  const { body, secrets } = eb.makeTrusteeEntry({ pollHash, index: 1, threshold: 3 });
  const file = await eb.wrapKeyFile({
    pollId: 7, pollHash, trustee: 1, stage: "setup", transportKey: body.transport_key,
    secret: eb.secretObject("setup", secrets), passphrase: "correct horse battery",
  });
  assert.equal(file.verification_key, null);
  const opened = await eb.unwrapKeyFile(JSON.stringify(file), "correct horse battery");
  assert.deepEqual(eb.readSecret("setup", opened.secret), secrets);
  assert.throws(() => eb.readSecret("share", opened.secret), /key-file.secret/);
});

test("board entries chain: prev is the previous hash", () => {
  const first = eb.makeEntry(null, "parameters", { protocol: "hop-eb-v1" });
  const second = eb.makeEntry(first, "abandoned", { reason: "cancelled" });
  assert.equal(first.prev, "0".repeat(64));
  assert.equal(second.index, 1);
  assert.equal(second.prev, first.hash);
  assert.equal(second.hash, eb.entryHash(second));
});
