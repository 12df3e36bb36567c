// A trustee's device (spec §7, §8, §14): every step reads and checks the whole board first,
// then makes its entry here, in the browser. The secrets stay on this device, wrapped under
// the passphrase in localStorage (and in the exported key file); the server only relays.
import * as eb from "/static/vendor/eb/eb.js";

const root = document.getElementById("trustee");
const pollId = Number(root.dataset.poll);
const j = Number(root.dataset.index);
const STORE = `hop-eb-key-${pollId}-${j}`;
const TICK_MS = 2500;
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
const message = root.querySelector(".eb-message");
const errorBox = root.querySelector(".eb-error");
const passForm = root.querySelector(".eb-pass");
const exportButton = root.querySelector(".eb-export");
const decryptButton = root.querySelector(".eb-decrypt");
const nextBox = root.querySelector(".eb-next");

// What this visit holds in memory: the unwrapped secrets and the passphrase to rewrap them.
const held = { secrets: null, share: null, passphrase: null, decide: false };
let busy = false;
let asking = null; // "new" | "unlock" while the passphrase form waits
let pendingImport = null;
let runAgain = false;
let stopped = false;

function text(name, values = {}) {
  let said = root.getAttribute(`data-text-${name}`) || name;
  for (const [key, value] of Object.entries(values)) said = said.replace(`%(${key})s`, String(value));
  return said;
}

function say(name, values) {
  message.textContent = text(name, values);
  errorBox.hidden = true;
}

function fail(said) {
  errorBox.textContent = said;
  errorBox.hidden = false;
}

function markSteps(reached) {
  const order = ["trustee", "shares", "confirm", "ready", "partial"];
  const at = reached === "done" ? order.length : order.indexOf(reached);
  root.querySelectorAll("[data-step]").forEach((li) => {
    const k = order.indexOf(li.dataset.step);
    li.classList.toggle("done", k < at);
    li.classList.toggle("current", k === at);
  });
}

async function fetchBoard() {
  const answer = await fetch(`/api/polls/${pollId}/board`, { credentials: "same-origin", cache: "no-store" });
  if (!answer.ok) throw new Error(`${answer.status}`);
  return eb.parseStrict(await answer.text());
}

async function post(kind, body) {
  const answer = await fetch(`/api/polls/${pollId}/trustee-entries`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: JSON.stringify({ kind, body }),
  });
  if (!answer.ok) {
    const problem = await answer.json().catch(() => ({}));
    throw new Error(problem.message || problem.detail || `HTTP ${answer.status}`);
  }
}

const entriesOf = (board, kind) => board.entries.filter((e) => e.kind === kind);
const has = (board, kind) => entriesOf(board, kind).length > 0;
const mine = (board, kind, field = "trustee") => entriesOf(board, kind).find((e) => e.body[field] === j);

function stored() {
  try {
    return window.localStorage.getItem(STORE);
  } catch {
    return null;
  }
}

function keep(file) {
  window.localStorage.setItem(STORE, JSON.stringify(file));
  exportButton.hidden = false;
}

function ask(mode) {
  asking = mode;
  passForm.hidden = false;
  passForm.querySelector(".eb-pass-again").hidden = mode !== "new";
  say("need-pass");
  passForm.querySelector("input").focus();
}

// The commitments A_i of every trustee, by index (list position i - 1).
function commitments(board) {
  return entriesOf(board, "trustee")
    .sort((x, y) => x.body.trustee - y.body.trustee)
    .map((e) => e.body.commitments.map((h) => eb.decodePoint(h)));
}

async function stepTrustee(board, checked) {
  say("making");
  const made = eb.makeTrusteeEntry({ pollHash: checked.pollHash, index: j, threshold: checked.t });
  say("wrapping");
  keep(await eb.wrapKeyFile({
    pollId, pollHash: checked.pollHash, trustee: j, stage: "setup",
    transportKey: made.body.transport_key, secret: eb.secretObject("setup", made.secrets),
    passphrase: held.passphrase,
  }));
  held.secrets = made.secrets;
  await post("trustee", made.body);
  eb.checkOwnEntry(await fetchBoard(), "trustee", "trustee", j, made.body);
}

async function stepShares(board, checked) {
  say("shares");
  const transportKeys = new Map(
    entriesOf(board, "trustee").map((e) => [e.body.trustee, eb.decodePoint(e.body.transport_key)]),
  );
  const body = await eb.makeSharesEntry({
    pollHash: checked.pollHash, dealer: j, coefficients: held.secrets.coefficients, transportKeys,
  });
  await post("shares", body);
}

async function stepConfirm(board, checked) {
  say("checking");
  const { pollHash } = checked;
  const allA = commitments(board);
  const own = mine(board, "trustee");
  const Ej = eb.decodePoint(own.body.transport_key);
  const shares = [eb.evalPolynomial(held.secrets.coefficients, j)];
  for (const entry of entriesOf(board, "shares")) {
    const i = entry.body.dealer;
    if (i === j) continue;
    const item = entry.body.shares.find((s) => s.recipient === j);
    const opened = await eb.openShare({
      pollHash, i, j, e: held.secrets.transportSecret, Ej, item, commitments: allA[i - 1],
    });
    if (opened.complaint) {
      await post("share-complaint", { trustee: j, dealer: i, reason: opened.complaint });
      say("complaint", { dealer: i, reason: opened.complaint });
      return;
    }
    shares.push(opened.share);
  }
  const x = eb.finalShare(shares);
  const X = eb.verificationKey(allA, j);
  const K = eb.jointKey(allA);
  const body = eb.makeConfirm({ pollHash, j, x, X, K });
  say("wrapping");
  // From now on the file holds the share x_j only: the DKG secrets are no longer needed.
  keep(await eb.wrapKeyFile({
    pollId, pollHash, trustee: j, stage: "share", transportKey: own.body.transport_key,
    verificationKey: eb.pointHex(X), jointKey: eb.pointHex(K),
    secret: eb.secretObject("share", { share: x }), passphrase: held.passphrase,
  }));
  held.share = x;
  await post("confirm", body);
}

async function stepPartial(board, checked) {
  decryptButton.hidden = true;
  say("decrypting");
  const close = entriesOf(board, "close")[0];
  const sumsA = close.body.sums.map((s) => eb.decodePoint(s.a, { allowIdentity: true }));
  const closeHash = eb.hexToBytes(close.hash);
  const X = checked.X.get(j);
  const body = eb.makePartial({ pollHash: checked.pollHash, closeHash, j, x: held.share, X, sumsA });
  await post("partial", body);
}

// Unwraps the stored (or imported) key file with the passphrase and checks it against the
// board: the setup secrets before `confirm`, the share x_j after it (§8).
async function unlock(board, checked, fileText) {
  const opened = await eb.unwrapKeyFile(fileText, held.passphrase);
  if (opened === null) throw new eb.EbError("passphrase", text("pass-wrong"));
  if (opened.file.poll_hash !== eb.bytesToHex(checked.pollHash) || opened.file.trustee !== j) {
    throw new eb.EbError("key-file", text("pass-wrong"));
  }
  if (opened.file.stage === "share") {
    held.share = eb.checkShareKey({ opened, pollHash: checked.pollHash, X: checked.X.get(j), K: checked.K });
  } else {
    held.secrets = eb.readSecret("setup", opened.secret);
    const own = mine(board, "trustee");
    if (own && own.body.transport_key !== opened.file.transport_key) {
      throw new eb.EbError("key-file", text("pass-wrong"));
    }
  }
  return opened.file;
}

function showCounts(board, checked) {
  const box = root.querySelector(".eb-counts");
  const labels = [...checked.params.options.map((o) => o.label), text("abstain")];
  const list = document.createElement("ul");
  list.className = "eb-count-list";
  checked.counts.forEach((count, o) => {
    const li = document.createElement("li");
    li.textContent = `${labels[o]}: ${count}`;
    list.append(li);
  });
  box.replaceChildren(list);
  box.hidden = false;
}

// One pass over the board: find the step this trustee is at and do it when it can be done.
async function advance() {
  const board = await fetchBoard();
  let checked;
  try {
    checked = eb.checkBoard(board);
  } catch (error) {
    markSteps("trustee");
    fail(text("board-bad", { check: error.check || error.message }));
    return "stop";
  }
  const { n, t } = checked;
  const abandoned = entriesOf(board, "abandoned")[0];
  if (abandoned) {
    const code = abandoned.body.reason;
    const failed = code === "complaint" ? "setup-failed" : "abandoned";
    // The board says why in a code; the trustee reads it in words when the page has them.
    const reason = root.hasAttribute(`data-text-reason-${code}`) ? text(`reason-${code}`) : code;
    say(nextBox.hidden ? failed : "set-up-again", { reason });
    return "stop";
  }
  if (!mine(board, "trustee")) {
    markSteps("trustee");
    if (!held.passphrase) return ask("new");
    await stepTrustee(board, checked);
    return "again";
  }
  if (stored()) exportButton.hidden = false;
  const count = (kind) => entriesOf(board, kind).length;
  if (count("trustee") < n) {
    markSteps("trustee");
    say("wait-trustees", { done: count("trustee"), n });
    return "wait";
  }
  const setupDone = has(board, "ready");
  if (!setupDone && !mine(board, "shares", "dealer")) {
    markSteps("shares");
    if (!held.secrets) return needKey(board, checked, "secrets");
    await stepShares(board, checked);
    return "again";
  }
  if (!setupDone && count("shares") < n) {
    markSteps("shares");
    say("wait-shares", { done: count("shares"), n });
    return "wait";
  }
  if (!setupDone && has(board, "share-complaint")) return "stop";
  if (!setupDone && !mine(board, "confirm")) {
    markSteps("confirm");
    if (!held.secrets) return needKey(board, checked, "secrets");
    await stepConfirm(board, checked);
    return "again";
  }
  if (!setupDone) {
    markSteps("confirm");
    say("wait-confirm", { done: count("confirm"), n });
    return "wait";
  }
  if (checked.stage === "result") {
    markSteps("done");
    say("result");
    showCounts(board, checked);
    return "stop";
  }
  if (!has(board, "close")) {
    markSteps("ready");
    say("ready");
    return "wait";
  }
  markSteps("partial");
  if (!mine(board, "partial")) {
    // Decrypting is the trustee's decision, taken on this page: never done by itself.
    if (!held.decide) {
      decryptButton.hidden = false;
      say("closed");
      return "wait";
    }
    if (held.share === null) return needKey(board, checked, "share");
    await stepPartial(board, checked);
    return "again";
  }
  say("decrypted", { done: count("partial"), t });
  return "wait";
}

// The key this step needs ("secrets" or "share"), unwrapped from the stored file.
async function needKey(board, checked, want) {
  const file = stored();
  if (!file) {
    say("no-key");
    return "wait";
  }
  if (!held.passphrase) return ask("unlock");
  await unlock(board, checked, file);
  const found = want === "share" ? held.share !== null : held.secrets !== null;
  if (!found) say("no-key");
  return found ? "again" : "wait";
}

async function run() {
  if (asking) return;
  if (busy) {
    runAgain = true; // an event came while this pass read the board: one more pass after it
    return;
  }
  busy = true;
  try {
    let next = "again";
    while (next === "again") next = await advance();
    if (next === "stop") {
      stopped = true;
      clearInterval(timer);
    }
  } catch (error) {
    if (error instanceof eb.EbError && error.check === "passphrase") held.passphrase = null;
    fail(text("failed", { message: error.message }));
  } finally {
    busy = false;
  }
  if (runAgain && !stopped) {
    runAgain = false;
    run();
  }
}

passForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const first = passForm.elements.passphrase.value;
  if ([...first.normalize("NFC")].length < 10) return fail(text("need-pass"));
  if (asking === "new" && first !== passForm.elements.again.value) return fail(text("pass-differ"));
  held.passphrase = first;
  passForm.reset();
  passForm.hidden = true;
  asking = null;
  if (pendingImport !== null) await importFile();
  run();
});

async function importFile() {
  const fileText = pendingImport;
  pendingImport = null;
  try {
    const board = await fetchBoard();
    const checked = eb.checkBoard(board);
    const file = await unlock(board, checked, fileText);
    keep(file);
    say("imported");
  } catch (error) {
    held.passphrase = null;
    fail(text("import-bad", { check: error.message }));
  }
}

root.querySelector(".eb-import").addEventListener("change", async (event) => {
  const chosen = event.target.files[0];
  if (!chosen) return;
  pendingImport = await chosen.text();
  event.target.value = "";
  if (held.passphrase) {
    await importFile();
    run();
  } else ask("unlock");
});

exportButton.addEventListener("click", () => {
  const file = stored();
  if (!file) return;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([file], { type: "application/json" }));
  link.download = `hop-trustee-${pollId}-${j}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
});

decryptButton.addEventListener("click", () => {
  held.decide = true;
  decryptButton.hidden = true;
  run();
});

// The meeting's live events (web/static/live.js): the committee's counts change, so read the
// board now rather than at the next tick; a failed setup set up again points to the new poll.
for (const type of ["poll.key_setup", "poll.decryption"]) {
  document.addEventListener(`hop:${type}`, (event) => {
    if (event.detail?.data?.poll_id === pollId && !stopped) run();
  });
}
document.addEventListener("hop:poll.set_up_again", (event) => {
  const data = event.detail?.data || {};
  if (data.poll_id !== pollId || !Number.isInteger(data.new_poll_id)) return;
  nextBox.querySelector("a").href = `/polls/${data.new_poll_id}/trustee`;
  nextBox.hidden = false;
  say("set-up-again");
});

const timer = setInterval(run, TICK_MS);
run();
