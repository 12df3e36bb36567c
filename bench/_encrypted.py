"""The encrypted run of bench.voting (`--encrypted`): what differs from the plain run.

Setup (not timed): the same meeting and checked-in voters, then an encrypted secret yes/no
poll whose committee is the first three voters (2 of 3), its key made by three trustees'
devices played here by voting.encrypted, opened; every voter's ballot encrypted in advance
with voting.encrypted.ballots.encrypt_ballot. The clients of bench.voting send them as
"ballot.encrypted" messages in the same one-second burst. Then, timed: close, two trustees'
partial decryptions and the result, all through the services; and the independent verifier
(cli.eb_verify) over the whole board. Also a tablet's figure: encrypt + prove one ballot in
Chromium with /static/vendor/eb/eb.js, the bundle the tablets load.
"""

import time
from typing import Any

from voting.encrypted.devices import SETUP_PHASES, Device, tablet

TRUSTEES = 3
TARGET_TALLY_VERIFY_S = 10.0
TARGET_TABLET_MS = 300.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage"]


# Setup ---------------------------------------------------------------------------------------


def open_encrypted_poll(
    session: Any, meeting: Any, clerk: Any, trustees: list[Any]
) -> tuple[Any, list[Device]]:
    """Draft the poll, let three trustees set its key up, open it (through the services);
    the trustees' devices are kept for the partial decryptions."""
    from models import EncryptedPollCreate
    from voting import encrypted_committee, polls
    from voting.encrypted_polls import store
    from voting.encrypted_polls import trustees as trustee_entries

    data = EncryptedPollCreate(
        title="Bầu Chủ tịch HĐND",
        quorum_fraction="1/2",
        trustees=[person.id for person in trustees],
        threshold=2,
    )
    poll = encrypted_committee.create_encrypted_poll(
        session=session, meeting=meeting, data=data, creator=clerk
    )
    assert poll.id is not None
    devices = [Device(i) for i in range(1, TRUSTEES + 1)]
    for kind in SETUP_PHASES:
        for device, person in zip(devices, trustees, strict=True):
            body = device.body(kind, store.document(session, poll.id))
            trustee_entries.post_trustee_entry(
                session=session, poll_id=poll.id, person=person, kind=kind, body=body
            )
    return polls.open_poll(session=session, poll=poll), devices


def encrypt_all(session: Any, poll_id: int, answers: dict[int, str]) -> dict[int, Any]:
    """Every voter's ballot object, encrypted as a tablet would (spec §9), by voter id."""
    from voting.encrypted_polls import store

    board = store.document(session, poll_id)
    ballots: dict[int, Any] = {}
    for voter_id, answer in answers.items():
        abstain = answer == "abstain"
        ballots[voter_id] = tablet(board, [] if abstain else [answer], abstain=abstain)["ballot"]
    return ballots


# After the burst: stored, close, decrypt, verify ---------------------------------------------


def check_and_tally(
    database_url: str, poll_id: int, trustees: list[Device], trustee_ids: list[int]
) -> dict[str, Any]:
    """Stored figures, then (timed) close + two partials + result, and the verifier."""
    from sqlalchemy import func
    from sqlmodel import select

    from models import EncryptedBallot, Person, Poll, SecretVoter
    from models.db import make_engine, open_session

    engine = make_engine(database_url)
    try:
        with open_session(engine) as session:
            voters = set(
                session.exec(select(SecretVoter.voter_id).where(SecretVoter.poll_id == poll_id))
            )
            stored = session.exec(
                select(func.count())
                .select_from(EncryptedBallot)
                .where(EncryptedBallot.poll_id == poll_id)
            ).one()
            poll = session.get(Poll, poll_id)
            people = [session.get(Person, person_id) for person_id in trustee_ids]
            assert poll is not None
            figures = {"stored": stored, "voters": voters}
            figures |= _close_and_decrypt(session, poll, trustees, people)
    finally:
        engine.dispose()
    return figures


def _close_and_decrypt(
    session: Any, poll: Any, devices: list[Device], people: list[Any]
) -> dict[str, Any]:
    from cli.eb_verify.board import verify_board
    from voting import polls
    from voting.encrypted_polls import store
    from voting.encrypted_polls import trustees as trustee_entries

    began = time.perf_counter()
    polls.close_poll(session=session, poll=poll)
    closed = time.perf_counter()
    for device, person in list(zip(devices, people, strict=True))[:2]:
        body = device.body("partial", store.document(session, poll.id))
        trustee_entries.post_trustee_entry(
            session=session, poll_id=poll.id, person=person, kind="partial", body=body
        )
    decrypted = time.perf_counter()
    session.expire_all()
    result = session.get(type(poll), poll.id).result
    document = store.document(session, poll.id)
    read = time.perf_counter()
    report = verify_board(document)
    verified = time.perf_counter()
    return {
        "result": result,
        "close_s": closed - began,
        "decrypt_s": decrypted - closed,
        "verify_s": verified - read,
        "verified": bool(report.valid and report.stage == "result posted"),
    }


def tally_ok(result: dict[str, Any] | None, expected: dict[str, int], stored: int) -> bool:
    if result is None:
        return False
    counted = {option["id"]: option["votes"] for option in result["options"]}
    counted["abstain"] = result["abstentions"]
    return counted == expected and result["ballots"] == stored


# The tablet: encrypt + prove one ballot in Chromium ------------------------------------------

TABLET_SCRIPT = """
async ({runs, cases}) => {
  const eb = await import("/static/vendor/eb/eb.js");
  const pollHash = crypto.getRandomValues(new Uint8Array(32));
  const K = eb.base(eb.rand());
  const out = {};
  for (const [name, kind, p, min, max, choice] of cases) {
    const options = Array.from({length: p}, (_, i) => ({id: `o${i}`, label: `Option ${i}`}));
    const shape = eb.deriveShape({kind, options, min_choices: min, max_choices: max});
    const params = {kind, options, min_choices: min, max_choices: max, ...shape};
    eb.encryptBallot({params, K, pollHash, choice});  // warm-up: JIT, noble's tables
    const ms = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      eb.encryptBallot({params, K, pollHash, choice});
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    out[name] = ms[Math.floor(ms.length / 2)];
  }
  return out;
}
"""
TABLET_CASES = [
    ["yes_no", "yes_no", 2, 1, 1, [1, 0, 0]],
    ["multiple_5", "multiple", 5, 1, 3, [1, 1, 0, 0, 0, 0]],
]


def tablet_times(server_url: str, runs: int = 20) -> dict[str, float] | str:
    """Median ms to encrypt and prove one ballot in Chromium, per case; a reason when the
    browser cannot run."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "playwright is not installed"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{server_url}/healthz")  # any page of the server: its origin
            medians = page.evaluate(TABLET_SCRIPT, {"runs": runs, "cases": TABLET_CASES})
        finally:
            browser.close()
    return {name: round(float(ms), 1) for name, ms in medians.items()}
