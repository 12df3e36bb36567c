// For tests/voting/encrypted/test_interop.py: reads a board (JSON on stdin) made by the server's
// library, checks it as a tablet does (§15.4), encrypts each choice as a tablet does, and
// prints {"check": {...}, "ballots": [...]} for the server's library to verify.
import * as eb from "../../../web/static/eb/index.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { board, choices } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const seen = eb.checkBoard(board);
const params = { ...board.entries[0].body, ...eb.deriveShape(board.entries[0].body) };
const ballots = choices.map(
  (choice) => eb.encryptBallot({ params, K: seen.K, pollHash: seen.pollHash, choice }).ballot,
);
const check = { stage: seen.stage, counts: seen.counts ? seen.counts.map(Number) : null };
process.stdout.write(JSON.stringify({ check, ballots }));
