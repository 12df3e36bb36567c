"""A ballot being confirmed is never replaced under the delegate's hands: a refresh of the
ballots that was asked for before the delegate chose, and answers after they pressed "review",
leaves the confirmation where it is; the ballots are fetched again once they go back."""

import pytest
from playwright.sync_api import Route, expect

from tests.browser.helpers import TABLET, NewContext, Secretariat, open_room, voting_meeting

pytestmark = pytest.mark.browser

DELEGATE = "daibieu12"
POLL = "Thông qua chương trình kỳ họp"


def test_a_late_refresh_leaves_the_ballot_being_confirmed(new_context: NewContext) -> None:
    staff = Secretariat(new_context())
    meeting_id = voting_meeting(staff, "Phiên họp thử: phiếu đang xác nhận", (DELEGATE,))
    chair = Secretariat(new_context(), "chutri")
    poll = chair.post(f"/api/meetings/{meeting_id}/polls", data={"title": POLL, "kind": "yes_no"})
    chair.post(f"/api/polls/{poll['id']}/open")

    tablet = open_room(
        # Service workers blocked: a request a service worker answers bypasses page.route.
        new_context(viewport=TABLET, locale="vi-VN", service_workers="block"),
        DELEGATE,
        meeting_id,
    )
    ballot = tablet.locator(".ballots [data-ballot]", has_text=POLL)
    expect(ballot.locator("[data-action=review]")).to_be_visible()

    held: list[Route] = []
    # A busy server: the ballots' answer is held back until the delegate pressed "review".
    # (A handler that sleeps would block Playwright's own loop and race the clicks below.)
    tablet.route("**/room/*/ballot", lambda route: held.append(route))
    tablet.evaluate("() => window.HopLive.refresh(document.querySelector('.ballots'))")
    ballot.locator("input[name=choice][value=yes]").check()
    ballot.locator("[data-action=review]").click()
    confirm = ballot.locator("[data-action=confirm]")
    expect(confirm).to_be_visible()
    for _ in range(100):
        if held:
            break
        tablet.wait_for_timeout(50)
    assert held, "the refresh was asked for"
    with tablet.expect_response("**/room/*/ballot"):
        held[0].continue_()
    tablet.wait_for_timeout(200)  # the answer's body is read and handled
    expect(confirm).to_be_visible()
    expect(tablet.locator(".ballots[data-live-stale]")).to_have_count(1)

    for route in held[1:]:  # an event's refresh may have been held meanwhile
        route.continue_()
    tablet.unroute("**/room/*/ballot")
    ballot.locator("[data-action=back]").click()
    tablet.locator("h1").first.click()  # the delegate looks elsewhere: focus leaves the ballot
    # Caught up once nothing holds the ballots, with the choice kept.
    expect(tablet.locator(".ballots[data-live-stale]")).to_have_count(0)
    expect(ballot.locator("input[name=choice][value=yes]")).to_be_checked()
    ballot.locator("[data-action=review]").click()
    ballot.locator("[data-action=confirm]").click()
    expect(ballot.locator(".ballot-received")).to_contain_text("Phiếu của bạn đã được ghi nhận")
