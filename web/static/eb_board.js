// The public board of an encrypted poll, checked in this browser (spec §15.1, §10): every
// proof and sum, then the voter's tracking code looked up among the counted and spoiled ballots.
import * as eb from "/static/vendor/eb/eb.js";

const root = document.getElementById("eb-board");
const state = root.querySelector(".eb-board-state");
const answer = root.querySelector(".eb-find-answer");
const form = root.querySelector(".eb-find");
let board = null;

function text(name, values = {}) {
  let said = root.getAttribute(`data-text-${name}`) || "";
  for (const [key, value] of Object.entries(values)) said = said.replace(`%(${key})s`, String(value));
  return said;
}

const codes = (kind, pick) => board.entries.filter((e) => e.kind === kind).map((e) => eb.trackingDisplay(pick(e.body)));

async function load() {
  const response = await fetch(`/api/polls/${root.dataset.poll}/board`, { credentials: "same-origin", cache: "no-store" });
  const source = await response.text();
  try {
    const checked = eb.checkBoard(source);
    board = eb.parseStrict(source);
    const closed = board.entries.some((e) => e.kind === "close");
    state.textContent = closed
      ? text("checked", { ballots: codes("ballot", (b) => b.tracking_code).length, spoiled: codes("spoiled", (b) => b.ballot.tracking_code).length })
      : text("open");
    root.dataset.stage = checked.stage;
  } catch (error) {
    state.textContent = text("bad", { check: error.check || error.message });
    root.dataset.stage = "bad";
  }
}

function find() {
  const code = eb.normaliseTrackingInput(form.elements.code.value);
  if (code === null) {
    answer.textContent = text("format");
    return;
  }
  if (board === null) return;
  let found = "missing";
  if (codes("ballot", (b) => b.tracking_code).includes(code)) found = "found";
  else if (codes("spoiled", (b) => b.ballot.tracking_code).includes(code)) found = "spoiled";
  answer.textContent = text(found, { code });
  answer.dataset.found = found;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  find();
});

const given = new URLSearchParams(window.location.search).get("code");
load().then(() => {
  if (given) {
    form.elements.code.value = given;
    find();
  }
});
