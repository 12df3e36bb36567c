"""No serious or critical axe-core violations on the main pages (in Vietnamese, the default)."""

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import (
    DESKTOP,
    TABLET,
    THEMATIC,
    NewContext,
    Secretariat,
    api_log_in,
    expect_live,
    open_poll,
    voting_meeting,
)

pytestmark = pytest.mark.browser

SERIOUS = {"serious", "critical"}
# The reader's iframe holds Chromium's own PDF viewer, not our markup: axe stays in our frame.
AXE_RUN = """async () => {
  const result = await axe.run(document, {iframes: false, resultTypes: ["violations"]});
  return result.violations;
}"""


def serious_violations(page: Page, axe_source: str) -> list[str]:
    """axe-core's serious and critical findings on the page, one line each."""
    page.evaluate(axe_source)
    violations: list[dict[str, Any]] = page.evaluate(AXE_RUN)
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in violations
        if v["impact"] in SERIOUS
    ]


def visit(
    context: BrowserContext,
    path: str,
    axe_source: str,
    *,
    live: bool = False,
    ready: str | None = None,
) -> list[str]:
    """axe-core's findings on the page once it is live and shows `ready` (a selector)."""
    page = context.new_page()
    page.goto(path)
    if live:
        expect_live(page)
    if ready:
        expect(page.locator(ready).first).to_be_visible()
    found = serious_violations(page, axe_source)
    page.close()
    return found


def test_the_main_pages_have_no_serious_axe_violations(
    new_context: NewContext, axe_source: str
) -> None:
    # bypass_csp: our pages forbid injected scripts, and axe-core is one.
    anonymous = new_context(viewport=DESKTOP, bypass_csp=True)
    staff_context = new_context(viewport=DESKTOP, bypass_csp=True)
    staff = Secretariat(staff_context)
    meeting_id = staff.meeting_id(THEMATIC)
    tablet = new_context(viewport=TABLET, bypass_csp=True)
    api_log_in(tablet, "daibieu05")
    document_id = tablet.request.get(f"/api/meetings/{meeting_id}/documents").json()[0]["id"]
    token = staff.projector_token(meeting_id)

    found = [
        *visit(anonymous, "/login", axe_source),
        *visit(staff_context, "/meetings", axe_source),
        *visit(staff_context, f"/meetings/{meeting_id}/edit", axe_source),
        *visit(staff_context, "/people", axe_source),
        *visit(tablet, "/my", axe_source),
        *visit(tablet, f"/room/{meeting_id}", axe_source, live=True),
        *visit(tablet, f"/room/{meeting_id}/documents/{document_id}", axe_source),
        *visit(anonymous, f"/projector/{meeting_id}?token={token}", axe_source, live=True),
    ]
    assert not found, "\n".join(found)


def test_the_check_in_and_voting_pages_have_no_serious_axe_violations(
    new_context: NewContext, axe_source: str
) -> None:
    """The kiosk, the desk, the console, a ballot and the projector's vote, in progress and
    published, on a meeting with an open poll."""
    anonymous = new_context(viewport=DESKTOP, bypass_csp=True)
    staff_context = new_context(viewport=DESKTOP, bypass_csp=True)
    staff = Secretariat(staff_context)
    meeting_id = voting_meeting(staff, "Phiên họp thử: trợ năng biểu quyết", ("daibieu06",))
    poll_id = open_poll(staff, meeting_id)
    kiosk = staff.device_token(meeting_id, "kiosk", "Kiosk trợ năng")
    projector = f"/projector/{meeting_id}?token={staff.projector_token(meeting_id)}"
    tablet = new_context(viewport=TABLET, bypass_csp=True)
    api_log_in(tablet, "daibieu06")

    found = [
        *visit(anonymous, f"/kiosk/{meeting_id}?token={kiosk}", axe_source),
        *visit(staff_context, f"/meetings/{meeting_id}/checkin", axe_source, live=True),
        *visit(staff_context, f"/meetings/{meeting_id}/polls", axe_source, live=True),
        *visit(tablet, f"/room/{meeting_id}", axe_source, live=True, ready="[data-ballot]"),
        *visit(anonymous, projector, axe_source, live=True, ready=".projector-poll progress"),
    ]
    staff.post(f"/api/polls/{poll_id}/close")
    staff.post(f"/api/polls/{poll_id}/publish")
    found += visit(anonymous, projector, axe_source, live=True, ready=".poll-result")
    assert not found, "\n".join(found)


def test_the_check_itself_finds_a_planted_violation(
    new_context: NewContext, axe_source: str
) -> None:
    page = new_context(bypass_csp=True).new_page()
    page.goto("/login")
    page.evaluate("document.querySelector('main').append(document.createElement('img'))")
    found = serious_violations(page, axe_source)
    assert any("image-alt (critical)" in line for line in found), found
