// The tablet's encrypted secret ballot (spec §9-§12, §15.4): check the poll's board, encrypt
// the choice here, show the tracking code, then cast it or check the encryption (Benaloh:
// the reveal is posted, checked, and the voter encrypts again with fresh randomness).
//
// Markup: fragments/eb_ballot.html, <section data-eb-ballot="POLL" data-ballot-key="KEY">. The
// sealed ballot and its nonce are kept in sessionStorage until acknowledged (a resend after a
// lost answer is the same ballot with the same nonce); its randomness only in memory, never
// stored, so that nothing kept on the tablet opens the ballot.
let ebModule = null;
const boards = new Map(); // poll id -> {params, K, pollHash}
const randomness = new Map(); // tracking code -> [r_o] of a sealed, not yet cast ballot
const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

function eb() {
  ebModule = ebModule || import("/static/vendor/eb/eb.js");
  return ebModule;
}

function text(section, name, values = {}) {
  let said = section.getAttribute(`data-text-${name}`) || "";
  for (const [key, value] of Object.entries(values)) said = said.replace(`%(${key})s`, String(value));
  return said;
}

function status(section, said) {
  section.querySelector(".eb-status").textContent = said;
}

const keyOf = (section) => section.getAttribute("data-ballot-key");
const pollOf = (section) => Number(section.getAttribute("data-eb-ballot"));

function remember(name, value) {
  try {
    if (value === null) window.sessionStorage.removeItem(name);
    else window.sessionStorage.setItem(name, JSON.stringify(value));
  } catch { /* private mode: the ballot still works, it is just not remembered */ }
}

function recall(name) {
  try {
    return JSON.parse(window.sessionStorage.getItem(name) || "null");
  } catch {
    return null;
  }
}

// The board as the tablet trusts it: the whole chain and every setup proof checked (§15.4).
async function setupOf(pollId) {
  if (boards.has(pollId)) return boards.get(pollId);
  const lib = await eb();
  const answer = await fetch(`/api/polls/${pollId}/board`, { credentials: "same-origin", cache: "no-store" });
  if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
  const checked = lib.checkBoard(await answer.text());
  if (checked.K === null) throw new lib.EbError("board", "the committee is not ready");
  const setup = { params: checked.params, K: checked.K, pollHash: checked.pollHash };
  boards.set(pollId, setup);
  return setup;
}

// crypto.randomUUID exists only on HTTPS pages; a hall may serve plain HTTP on its LAN.
function newNonce() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function picked(form) {
  return [...form.querySelectorAll("input:checked")];
}

function answerOf(form) {
  const values = picked(form).map((input) => input.value);
  const options = values.filter((v) => v !== "abstain");
  if (values.includes("abstain") && options.length === 0) return { abstain: true };
  return { options };
}

function summaryOf(section, form) {
  return picked(form).map((input) => input.closest("label").textContent.trim()).join(", ");
}

function show(section, part) {
  for (const name of ["eb-form", "eb-sealed", "eb-revealed", "eb-done"]) {
    const element = section.querySelector(`.${name}`);
    if (element) element.hidden = name !== part;
  }
}

function showSealed(section, sealed) {
  section.querySelector(".eb-summary").textContent = sealed.summary;
  section.querySelectorAll(".eb-sealed .eb-code").forEach((el) => { el.textContent = sealed.code; });
  // Without its randomness (lost with a reload) a ballot can only be cast, not checked.
  section.querySelector('[data-eb="check"]').hidden = !randomness.has(sealed.ballot.tracking_code);
  show(section, "eb-sealed");
}

async function encrypt(section, form) {
  const lib = await eb();
  const setup = await setupOf(pollOf(section));
  let choice;
  try {
    choice = lib.answerToVector(setup.params, answerOf(form));
  } catch {
    choice = null;
  }
  if (choice === null || !lib.isValidVector(setup.params, choice)) {
    status(section, text(section, "pick"));
    return;
  }
  status(section, text(section, "encrypting"));
  const made = lib.encryptBallot({ ...setup, choice });
  randomness.set(made.ballot.tracking_code, { choice, r: made.randomness });
  const sealed = {
    ballot: made.ballot,
    nonce: newNonce(),
    summary: summaryOf(section, form),
    code: lib.trackingDisplay(made.ballot.tracking_code),
  };
  remember(`hop-eb-sealed-${keyOf(section)}`, sealed);
  status(section, "");
  showSealed(section, sealed);
}

async function send(path, body) {
  const answer = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-csrf-token": csrf() },
    body: JSON.stringify(body),
  });
  if (!answer.ok) {
    const problem = await answer.json().catch(() => ({}));
    throw new Error(problem.message || problem.detail || `HTTP ${answer.status}`);
  }
  return answer.status === 204 ? null : answer.json();
}

async function cast(section) {
  const sealed = recall(`hop-eb-sealed-${keyOf(section)}`);
  if (!sealed) return;
  status(section, text(section, "sending"));
  const body = { ballot: sealed.ballot, nonce: sealed.nonce };
  const onBehalf = section.getAttribute("data-on-behalf-of");
  if (onBehalf) body.on_behalf_of = Number(onBehalf);
  const ack = await send(`/api/polls/${pollOf(section)}/encrypted-ballots`, body);
  randomness.delete(sealed.ballot.tracking_code); // cast: never revealed, forgotten now
  remember(`hop-eb-sealed-${keyOf(section)}`, null);
  try {
    window.localStorage.setItem(`hop-eb-code-${keyOf(section)}`, sealed.code);
  } catch { /* the code is on screen; the voter notes it */ }
  const time = new Date(ack.received_at).toLocaleTimeString(document.documentElement.lang || "vi", {
    hour: "2-digit", minute: "2-digit",
  });
  section.querySelector(".eb-cast-line").textContent = text(section, "cast", { time });
  showDone(section, sealed.code);
  status(section, "");
}

function showDone(section, code) {
  const line = section.querySelector(".eb-code-line");
  if (code) {
    section.querySelector(".eb-done .eb-code").textContent = code;
    line.hidden = false;
  }
  const link = section.querySelector(".eb-board-link");
  if (code) link.href = `/polls/${pollOf(section)}/board-check?code=${encodeURIComponent(code)}`;
  show(section, "eb-done");
}

// Benaloh (§11): post the reveal (no voter is stored with it), check it opens to the choice
// shown, then spoil the ballot for good and let the voter encrypt again.
async function check(section) {
  const lib = await eb();
  const sealed = recall(`hop-eb-sealed-${keyOf(section)}`);
  const secret = sealed && randomness.get(sealed.ballot.tracking_code);
  if (!secret) return;
  status(section, text(section, "sending"));
  const reveal = lib.makeReveal({ ballot: sealed.ballot, choice: secret.choice, randomness: secret.r });
  await send(`/api/polls/${pollOf(section)}/spoiled`, { reveal });
  randomness.delete(sealed.ballot.tracking_code);
  remember(`hop-eb-sealed-${keyOf(section)}`, null);
  const setup = await setupOf(pollOf(section));
  let said;
  try {
    const opened = lib.verifyReveal({ reveal, ...setup });
    const same = opened.every((v, o) => v === secret.choice[o]);
    said = same ? text(section, "checked", { choice: sealed.summary }) : text(section, "check-bad");
  } catch {
    said = text(section, "check-bad");
  }
  section.querySelector(".eb-reveal-line").textContent = said;
  status(section, "");
  show(section, "eb-revealed");
}

function restore(section) {
  if (section.getAttribute("data-voted")) {
    showDone(section, codeOf(section));
    return;
  }
  const sealed = recall(`hop-eb-sealed-${keyOf(section)}`);
  if (sealed) showSealed(section, sealed);
}

function codeOf(section) {
  try {
    return window.localStorage.getItem(`hop-eb-code-${keyOf(section)}`);
  } catch {
    return null;
  }
}

function restoreAll() {
  document.querySelectorAll("[data-eb-ballot]").forEach(restore);
}

async function guarded(section, work) {
  try {
    await work();
  } catch (error) {
    const check = error && error.check;
    status(section, check ? text(section, "board-bad", { check }) : text(section, "failed", { message: error.message }));
  }
}

document.addEventListener("submit", (event) => {
  const form = event.target.closest && event.target.closest(".eb-form");
  if (!form) return;
  event.preventDefault();
  const section = form.closest("[data-eb-ballot]");
  status(section, text(section, "loading"));
  guarded(section, () => encrypt(section, form));
});

document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-eb-ballot] [data-eb]");
  if (!button) return;
  const section = button.closest("[data-eb-ballot]");
  const action = button.getAttribute("data-eb");
  if (action === "cast") guarded(section, () => cast(section));
  else if (action === "check") guarded(section, () => check(section));
  else {
    // Back or again: the sealed ballot is dropped (never cast); the choice stays on the form.
    const sealed = recall(`hop-eb-sealed-${keyOf(section)}`);
    if (sealed) randomness.delete(sealed.ballot.tracking_code);
    remember(`hop-eb-sealed-${keyOf(section)}`, null);
    show(section, "eb-form");
    status(section, "");
  }
});

document.addEventListener("hop:fragment", restoreAll);
restoreAll();
