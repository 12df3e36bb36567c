"""Issue 20's journey: an encrypted secret ballot through the pages alone. The chair drafts it
with a vote-counting committee of three; each trustee sets up their key in their own browser;
five tablets vote (one checks its encryption first, Benaloh); the chair closes; two trustees
decrypt the totals after a reload (the key unwrapped with the passphrase); the projector shows
the result, and the board downloaded from the console passes `hop verify-poll`."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.browser.helpers import (
    DESKTOP,
    ROOT,
    TABLET,
    NewContext,
    Secretariat,
    api_log_in,
    expect_live,
    open_room,
    voting_meeting,
)
from tests.browser.test_screenshots import PROJECTOR, shoot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRUSTEES = ("daibieu09", "daibieu10", "daibieu11")
VOTERS = ("daibieu14", "daibieu15", "daibieu16", "daibieu17", "daibieu18")
ANSWERS = ("yes", "yes", "no", "abstain", "yes")
POLL = "Lấy phiếu tín nhiệm bằng phiếu kín mã hoá"
PASSPHRASES = {name: f"mat-khau-kiem-phieu-{name}" for name in TRUSTEES}
CODE = re.compile(r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
SLOW = 60_000  # key setup wraps the key twice with PBKDF2 (600,000 rounds) in each browser


def open_console(context: BrowserContext, meeting_id: int) -> Page:
    api_log_in(context, "chutri")
    console = context.new_page()
    console.on("dialog", lambda dialog: dialog.accept())
    console.goto(f"/meetings/{meeting_id}/polls")
    expect_live(console)
    return console


def draft(console: Page, trustee_names: list[str]) -> int:
    """The console's encrypted-ballot form: an approval vote, three trustees, the default
    threshold (a majority: 2 of 3). The new poll's id."""
    box = console.locator("#encrypted-poll")
    box.locator("summary").click()
    box.locator("#encrypted-title").fill(POLL)
    for name in trustee_names:
        box.get_by_label(name, exact=True).check()
    box.locator("button[type=submit]").click()
    console.wait_for_url("**msg=encrypted_created**")
    card = console.locator(".poll-card", has_text=POLL)
    return int((card.get_attribute("id") or "").removeprefix("poll-"))


def trustee_page(context: BrowserContext, username: str, meeting_id: int, poll_id: int) -> Page:
    """The trustee's room links to their page for the poll."""
    room = open_room(context, username, meeting_id)
    room.locator(f".eb-trustee-card a[href='/polls/{poll_id}/trustee']").click()
    room.wait_for_url(f"**/polls/{poll_id}/trustee")
    return room


def enter_passphrase(page: Page, username: str, *, twice: bool) -> None:
    form = page.locator(".eb-pass")
    expect(form).to_be_visible(timeout=SLOW)
    form.locator("#eb-passphrase").fill(PASSPHRASES[username])
    if twice:
        form.locator("#eb-passphrase-again").fill(PASSPHRASES[username])
    form.locator("button[type=submit]").click()


def step(page: Page, name: str) -> Locator:
    return page.locator(f".eb-steps [data-step={name}]")


def ballot_of(tablet: Page) -> Locator:
    return tablet.locator(".ballots [data-eb-ballot]", has_text=POLL)


def encrypt(tablet: Page, answer: str) -> str:
    """Choose and encrypt; the tracking code the tablet shows."""
    ballot = ballot_of(tablet)
    ballot.locator(f".eb-form input[value={answer}]").check()
    ballot.locator(".eb-form button[type=submit]").click()
    sealed = ballot.locator(".eb-sealed")
    expect(sealed).to_be_visible(timeout=SLOW)
    code = sealed.locator(".eb-code").inner_text()
    assert CODE.match(code), code
    return code


def cast(tablet: Page) -> None:
    ballot = ballot_of(tablet)
    ballot.locator("[data-eb=cast]").click()
    expect(ballot.locator(".eb-done")).to_be_visible()
    expect(ballot.locator(".eb-status")).to_have_text("")


def check_encryption(tablet: Page) -> None:
    """Benaloh: the reveal is posted and checks out; the voter encrypts again."""
    ballot = ballot_of(tablet)
    ballot.locator("[data-eb=check]").click()
    revealed = ballot.locator(".eb-revealed")
    expect(revealed).to_be_visible()
    expect(revealed).to_contain_text("Kiểm tra thành công")
    ballot.locator("[data-eb=again]").click()
    expect(ballot.locator(".eb-form")).to_be_visible()


def test_an_encrypted_ballot_from_key_setup_to_a_verified_board(
    new_context: NewContext, tmp_path: Path
) -> None:
    staff = Secretariat(new_context())
    meeting_id = voting_meeting(staff, "Kỳ họp thử: phiếu kín mã hoá", (*TRUSTEES, *VOTERS))
    names = [staff.person(name)["full_name"] for name in TRUSTEES]
    console = open_console(new_context(viewport=DESKTOP), meeting_id)
    poll_id = draft(console, names)
    card = console.locator(f"#poll-{poll_id}")

    # Three trustees, three devices: each starts setup; the pages then advance by themselves.
    trustees = [
        trustee_page(new_context(viewport=TABLET), name, meeting_id, poll_id) for name in TRUSTEES
    ]
    for page, name in zip(trustees, TRUSTEES, strict=True):
        enter_passphrase(page, name, twice=True)
    for page in trustees:
        expect(step(page, "ready")).to_have_class(re.compile("current"), timeout=SLOW)
    shoot(trustees[0], "encrypted-trustee")
    with trustees[0].expect_download() as download:
        trustees[0].locator(".eb-export").click()
    assert re.fullmatch(rf"hop-trustee-{poll_id}-[123]\.json", download.value.suggested_filename)
    trustees[2].close()  # the third trustee goes home: two of three decrypt

    card.locator("form[action$='/open'] button").click()
    console.wait_for_url("**msg=poll_opened**")
    tablets = [open_room(new_context(viewport=TABLET), name, meeting_id) for name in VOTERS]
    for tablet in tablets:
        expect(ballot_of(tablet)).to_be_visible()

    first = encrypt(tablets[0], "no")
    shoot(tablets[0], "encrypted-ballot")
    check_encryption(tablets[0])
    assert encrypt(tablets[0], ANSWERS[0]) != first  # fresh randomness, a new code
    cast(tablets[0])
    codes = [
        encrypt(tablet, answer) for tablet, answer in zip(tablets[1:], ANSWERS[1:], strict=True)
    ]
    for tablet in tablets[1:]:
        cast(tablet)
    expect(card.locator("[data-field=done]")).to_have_text("5")

    card.locator("form[action$='/close'] button").click()
    console.wait_for_url("**msg=poll_closed**")
    card = console.locator(f"#poll-{poll_id}")
    expect(card.locator(".eb-waiting")).to_contain_text("0")

    projector = open_projector(new_context, staff, meeting_id)
    expect(projector.locator(".eb-waiting")).to_be_visible()
    for page, name in zip(trustees[:2], TRUSTEES[:2], strict=True):
        page.reload()  # the key is no longer in memory: unwrap it with the passphrase
        page.locator(".eb-decrypt").click()
        enter_passphrase(page, name, twice=False)
    for page in trustees[:2]:
        expect(page.locator(".eb-counts")).to_be_visible(timeout=SLOW)

    card = console.locator(f"#poll-{poll_id}")
    card.locator("form[action$='/publish'] button").click()
    console.wait_for_url("**msg=poll_published**")
    result = projector.locator(".projector-poll .poll-result")
    expect(result.locator(".verdict")).to_have_text("Được thông qua")
    expect(result.locator(".bar .bar-count")).to_have_text(["3", "1", "1"])

    board = download_board(console, poll_id, tmp_path)
    verified = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "verify-poll", str(board)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # A voter finds their code on the board, and the checked ballot's code among the spoiled.
    tablets[1].goto(f"/polls/{poll_id}/board-check?code={codes[0]}")
    expect(tablets[1].locator(".eb-board")).to_have_attribute("data-stage", "result")
    expect(tablets[1].locator(".eb-find-answer")).to_have_attribute("data-found", "found")
    tablets[0].goto(f"/polls/{poll_id}/board-check?code={first}")
    expect(tablets[0].locator(".eb-find-answer")).to_have_attribute("data-found", "spoiled")


def download_board(console: Page, poll_id: int, folder: Path) -> Path:
    link = console.locator(f"#poll-{poll_id} a[href='/api/polls/{poll_id}/board']")
    with console.expect_download() as download:
        link.click()
    path = folder / f"poll-{poll_id}-board.json"
    download.value.save_as(path)
    return path


def open_projector(new_context: NewContext, staff: Secretariat, meeting_id: int) -> Page:
    projector = new_context(viewport=PROJECTOR).new_page()
    projector.goto(f"/projector/{meeting_id}?token={staff.projector_token(meeting_id)}")
    expect_live(projector)
    return projector
