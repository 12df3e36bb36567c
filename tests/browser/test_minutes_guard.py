"""The minutes of a meeting run to its close: the finalise button waits while an edit is not
saved, and the final text gives the times the meeting really started and closed."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import TABLET, NewContext, Secretariat

pytestmark = pytest.mark.browser

# A folder to leave pictures of the page in, to look at (none unless asked).
SHOTS = os.environ.get("HOP_MINUTES_SHOTS", "")


def test_finalise_waits_for_the_edit_to_be_saved(new_context: NewContext) -> None:
    context = new_context(viewport=TABLET)
    staff = Secretariat(context)
    meeting_id = staff.create_meeting("Họp thử biên bản", invitees=[])
    for status in ("scheduled", "in_progress", "closed"):
        staff.post(f"/api/meetings/{meeting_id}/status", data={"status": status})
    staff.post(f"/api/meetings/{meeting_id}/minutes")
    page = context.new_page()
    page.goto(f"/meetings/{meeting_id}/minutes")
    finalise = page.locator("button[data-needs-saved]")
    note = page.locator("[data-unsaved-note]")
    closing = page.locator("textarea").last
    expect(finalise).to_be_enabled()
    expect(note).to_be_hidden()

    written = closing.input_value()
    closing.fill(written + "\nThư ký ghi thêm.")
    expect(finalise).to_be_disabled()
    expect(note).to_be_visible()
    if SHOTS:
        note.scroll_into_view_if_needed()
        page.screenshot(path=Path(SHOTS) / "minutes-unsaved.png")
    closing.fill(written)  # back as it was stored: nothing to lose
    expect(finalise).to_be_enabled()

    closing.fill(written + "\nThư ký ghi thêm.")
    page.locator("form[data-unsaved-guard] button[type=submit]").click()
    expect(page.locator(".flash")).to_be_visible()
    expect(finalise).to_be_enabled()
    page.once("dialog", lambda dialog: dialog.accept())
    finalise.click()
    text = page.locator(".minutes-text")
    expect(text).to_contain_text("Thư ký ghi thêm.")
    expect(text).to_contain_text("Thời gian: từ ")
    expect(text).not_to_contain_text("theo kế hoạch")
    if SHOTS:
        page.screenshot(path=Path(SHOTS) / "minutes-final.png")
