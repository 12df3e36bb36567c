"""Screenshots of the main pages with the demo data, for the README (docs/screenshots/)."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import (
    DESKTOP,
    ROOT,
    TABLET,
    THEMATIC,
    NewContext,
    Secretariat,
    api_log_in,
    expect_live,
)

pytestmark = pytest.mark.browser

SHOTS = ROOT / "docs" / "screenshots"
PROJECTOR = {"width": 1280, "height": 720}


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"{name}.png", animations="disabled", caret="hide")


def test_screenshots_of_the_main_pages(new_context: NewContext) -> None:
    anonymous = new_context(viewport=DESKTOP).new_page()
    anonymous.goto("/login")
    shoot(anonymous, "login")

    staff_context = new_context(viewport=DESKTOP)
    staff = Secretariat(staff_context)
    meeting_id = staff.meeting_id(THEMATIC)
    clerk = staff_context.new_page()
    for name, path in (
        ("meetings", "/meetings"),
        ("editor", f"/meetings/{meeting_id}/edit"),
        ("people", "/people"),
    ):
        clerk.goto(path)
        shoot(clerk, name)

    staff.post(f"/api/meetings/{meeting_id}/minutes")  # drafted from the meeting
    clerk.goto(f"/meetings/{meeting_id}/minutes")
    expect(clerk.locator("textarea").first).to_be_visible()
    shoot(clerk, "minutes")

    admin_context = new_context(viewport=DESKTOP)
    Secretariat(admin_context, "admin")
    admin = admin_context.new_page()
    admin.goto("/admin/audit")
    expect(admin.locator("table")).to_be_visible()
    shoot(admin, "audit")

    tablet_context = new_context(viewport=TABLET)
    api_log_in(tablet_context, "daibieu01")
    tablet = tablet_context.new_page()
    tablet.goto("/my")
    shoot(tablet, "my")
    tablet.goto(f"/room/{meeting_id}")
    expect_live(tablet)
    shoot(tablet, "room")
    tablet.locator(".doc-list .doc a").first.click()
    first_page = '.page[data-page-number="1"][data-loaded="true"] canvas'
    expect(tablet.locator(first_page)).to_be_visible()  # PDF.js has drawn the first page
    shoot(tablet, "reader")

    token = staff.projector_token(meeting_id)
    projector = new_context(viewport=PROJECTOR).new_page()
    projector.goto(f"/projector/{meeting_id}?token={token}")
    expect_live(projector)
    shoot(projector, "projector")
