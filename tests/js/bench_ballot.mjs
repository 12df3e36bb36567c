// Time to encrypt and prove one ballot (the tablet's work between the voter's tap and the
// tracking code), for 3 and 6 slots. Not a test: run `node tests/js/bench_ballot.mjs`.
// Target (docs/ENCRYPTED_BALLOTS.md, issue 20): at most 300 ms in Chromium on a tablet.
import * as eb from "../../web/static/eb/index.js";

const pollHash = crypto.getRandomValues(new Uint8Array(32));
const K = eb.base(eb.rand());

function poll(kind, p, min = 1, max = 1) {
  const options = Array.from({ length: p }, (_, i) => ({ id: `o${i}`, label: `Option ${i}` }));
  return { kind, options, min_choices: min, max_choices: max, ...eb.deriveShape({ kind, options, min_choices: min, max_choices: max }) };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn, runs = 15) {
  fn(); // warm-up: JIT and noble's base-point table
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return { median: median(ms).toFixed(1), max: Math.max(...ms).toFixed(1) };
}

const cases = [
  ["yes/no (3 slots, 1 allowed sum)", poll("yes_no", 2), [1, 0, 0]],
  ["single, 5 options (6 slots, 1 allowed sum)", poll("single", 5), [0, 1, 0, 0, 0, 0]],
  ["multiple, 5 options, 1..3 (6 slots, 4 allowed sums)", poll("multiple", 5, 1, 3), [1, 1, 0, 0, 0, 0]],
];
for (const [name, params, choice] of cases) {
  let ballot;
  const enc = time(() => {
    ballot = eb.encryptBallot({ params, K, pollHash, choice }).ballot;
  });
  const ver = time(() => eb.verifyBallot({ ballot, params, K, pollHash }));
  console.log(`${name}: encrypt+prove median ${enc.median} ms (max ${enc.max}); verify median ${ver.median} ms`);
}
