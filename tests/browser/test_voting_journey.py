"""Issue 7, journeys c and d: two delegate tablets follow a meeting live (a new document, then a
yes/no/abstain poll the chair opens from the console); both vote with the confirm step; the
projector shows the progress, then the published result. A tablet that loses the network
half-way through its ballot catches up without a reload and keeps what it had chosen."""

import json
import re
from typing import Any

import pytest
from playwright.sync_api import (
    BrowserContext,
    Locator,
    Page,
    WebSocket,
    WebSocketRoute,
    expect,
)

from tests.browser.helpers import (
    APPROVAL,
    DESKTOP,
    TABLET,
    NewContext,
    Secretariat,
    Server,
    api_log_in,
    document_item,
    expect_live,
    expect_not_reloaded,
    open_poll,
    open_room,
    voting_meeting,
)
from tests.browser.test_screenshots import PROJECTOR, shoot

pytestmark = pytest.mark.browser

DELEGATES = ("daibieu19", "daibieu20")
POLL = APPROVAL


def open_projector(new_context: NewContext, staff: Secretariat, meeting_id: int) -> Page:
    token = staff.projector_token(meeting_id)
    projector = new_context(viewport=PROJECTOR).new_page()
    projector.goto(f"/projector/{meeting_id}?token={token}")
    expect_live(projector)
    return projector


def open_console(context: BrowserContext, meeting_id: int) -> Page:
    """The chair's voting console; confirmation dialogs (close the vote) are accepted."""
    api_log_in(context, "chutri")
    console = context.new_page()
    console.on("dialog", lambda dialog: dialog.accept())
    console.goto(f"/meetings/{meeting_id}/polls")
    expect_live(console)
    return console


def draft_and_open(console: Page) -> Locator:
    """Draft an approval poll from its template and open it; the poll's card."""
    form = console.locator("form:has(input[name=template][value=approval])")
    form.locator("#approval-title").fill(POLL)
    form.locator("button[type=submit]").click()
    console.wait_for_url("**msg=poll_created**")
    card = console.locator(".poll-card", has_text=POLL)
    card.locator("form[action$='/open'] button").click()
    console.wait_for_url("**msg=poll_opened**")
    expect(card.locator(".poll-status.poll-open")).to_be_visible()
    return card


def ballot_of(tablet: Page) -> Locator:
    return tablet.locator(".ballots [data-ballot]", has_text=POLL)


def vote(tablet: Page, choice: str) -> None:
    """Choose, review, confirm; the tablet says the ballot was received."""
    ballot = ballot_of(tablet)
    ballot.locator(f"input[name=choice][value={choice}]").check()
    ballot.locator("[data-action=review]").click()
    expect(ballot.locator(".ballot-confirm")).to_be_visible()
    ballot.locator("[data-action=confirm]").click()
    expect(ballot.locator(".ballot-received")).to_be_visible()


def expect_progress(page: Page, done: int, total: int) -> None:
    box = page.locator("[data-progress^='poll:']")
    expect(box.locator("[data-field=done]")).to_have_text(str(done))
    expect(box.locator("[data-field=total]")).to_have_text(str(total))


def test_two_tablets_vote_and_the_projector_shows_the_result(new_context: NewContext) -> None:
    staff = Secretariat(new_context())
    meeting_id = voting_meeting(staff, "Phiên họp thử: biểu quyết trực tiếp", DELEGATES)
    projector = open_projector(new_context, staff, meeting_id)
    tablets = [open_room(new_context(viewport=TABLET), name, meeting_id) for name in DELEGATES]

    title = "Dự thảo Nghị quyết về chỉnh trang vỉa hè"
    staff.publish_pdf(meeting_id, title)
    for tablet in tablets:
        expect(document_item(tablet, title)).to_be_visible()

    console = open_console(new_context(viewport=DESKTOP), meeting_id)
    card = draft_and_open(console)
    for tablet in tablets:
        expect(ballot_of(tablet)).to_be_visible()
    expect(projector.locator(".projector-poll .poll-title")).to_have_text(POLL)
    expect_progress(projector, 0, 2)
    expect(projector.locator(".projector-poll")).to_be_in_viewport(ratio=1)  # a hall screen
    shoot(tablets[0], "ballot")

    vote(tablets[0], "yes")
    expect_progress(projector, 1, 2)
    expect_progress(console, 1, 2)
    shoot(projector, "projector-voting")
    vote(tablets[1], "abstain")
    expect_progress(projector, 2, 2)
    shoot(console, "console")

    card.locator("form[action$='/close'] button").click()
    console.wait_for_url("**msg=poll_closed**")
    expect(projector.locator(".projector-poll")).to_contain_text("kết quả")
    console.locator(".poll-card", has_text=POLL).locator("form[action$='/publish'] button").click()
    console.wait_for_url("**msg=poll_published**")
    result = projector.locator(".projector-poll .poll-result")
    expect(result.locator(".verdict")).to_have_text("Được thông qua")
    counts = result.locator(".bar .bar-count")
    expect(counts).to_have_text(["1", "0", "1"])  # in favour, against, abstain
    expect(result).to_be_in_viewport(ratio=1)
    shoot(projector, "projector-result")
    for tablet in tablets:
        expect_not_reloaded(tablet)


def test_an_offline_tablet_keeps_its_half_filled_ballot(
    new_context: NewContext, server: Server
) -> None:
    staff = Secretariat(new_context())
    meeting_id = voting_meeting(staff, "Phiên họp thử: phiếu dở dang", ("daibieu21",))
    context = new_context(viewport=TABLET)
    tablet = open_room(context, "daibieu21", meeting_id)
    sent: list[dict[str, Any]] = []

    def follow(socket: WebSocket) -> None:
        socket.on("framesent", lambda data: sent.append(json.loads(data)))

    tablet.on("websocket", follow)
    poll_id = open_poll(staff, meeting_id)
    ballot = ballot_of(tablet)
    ballot.locator("input[name=choice][value=no]").check()  # chosen, not confirmed

    # Offline mode leaves an open websocket alone: restart the server to drop it (see
    # test_live_documents); meanwhile the secretariat publishes a document.
    context.set_offline(True)
    server.kill()  # a crash: SIGTERM would drain, and Chromium offline never sees that close
    expect(tablet.locator("body.live-connected")).to_have_count(0)
    server.start()
    title = "Phụ lục gửi trong lúc máy tính bảng mất mạng"
    staff.publish_pdf(meeting_id, title)
    expect(tablet.locator("#live-badge")).to_be_visible()
    context.set_offline(False)

    expect(document_item(tablet, title)).to_be_visible(timeout=25_000)
    expect(tablet.locator("#live-badge")).to_be_hidden()
    expect(ballot.locator("input[name=choice][value=no]")).to_be_checked()
    expect_not_reloaded(tablet)

    ballot.locator("[data-action=review]").click()
    expect(ballot.locator(".ballot-summary")).to_have_text("Không tán thành")
    ballot.locator("[data-action=confirm]").click()
    expect(ballot.locator(".ballot-received")).to_be_visible()
    ballots = [m for m in sent if m.get("type") == "ballot"]
    assert [(m["poll_id"], m["choice"]) for m in ballots] == [(poll_id, "no")], sent
    # Counted once, as chosen before the outage.
    staff.post(f"/api/polls/{poll_id}/close")
    result = staff.request.get(f"/api/polls/{poll_id}/result").json()
    assert result["ballots"] == 1, result
    assert {o["id"]: o["votes"] for o in result["options"]} == {"yes": 0, "no": 1}, result


def test_a_ballot_the_socket_loses_is_sent_again_over_http(new_context: NewContext) -> None:
    staff = Secretariat(new_context())
    meeting_id = voting_meeting(staff, "Phiên họp thử: phiếu qua HTTP", ("daibieu22",))
    context = new_context(viewport=TABLET)
    lost: list[str] = []

    def swallow_ballots(route: WebSocketRoute) -> None:
        server = route.connect_to_server()

        def forward(message: str | bytes) -> None:
            if isinstance(message, str) and '"type":"ballot"' in message.replace(" ", ""):
                lost.append(message)  # never reaches the server: no answer comes back
            else:
                server.send(message)

        route.on_message(forward)

    context.route_web_socket(re.compile(r"/ws/meetings/"), swallow_ballots)
    tablet = open_room(context, "daibieu22", meeting_id)
    poll_id = open_poll(staff, meeting_id)
    ballot = ballot_of(tablet)
    ballot.locator("input[name=choice][value=yes]").check()
    ballot.locator("[data-action=review]").click()
    with tablet.expect_request(f"**/api/polls/{poll_id}/ballots", timeout=15_000) as posted:
        ballot.locator("[data-action=confirm]").click()
    expect(ballot.locator(".ballot-received")).to_be_visible()
    assert len(lost) == 1
    assert json.loads(posted.value.post_data or "{}")["nonce"] == json.loads(lost[0])["nonce"]
    staff.post(f"/api/polls/{poll_id}/close")
    result = staff.request.get(f"/api/polls/{poll_id}/result").json()
    assert result["ballots"] == 1, result
