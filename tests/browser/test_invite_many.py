"""Inviting several people from the editor on a tablet: the filter finds Vietnamese names typed
without their marks, "tick those shown" ticks only what the filter shows, one submit invites
them, and an invitation is then changed from its row."""

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import TABLET, NewContext, Secretariat

pytestmark = pytest.mark.browser


def test_filter_tick_and_invite_then_edit_a_row(new_context: NewContext) -> None:
    context = new_context(viewport=TABLET)
    staff = Secretariat(context)
    meeting_id = staff.create_meeting("Họp thử mời nhiều người", invitees=[])
    page = context.new_page()
    page.goto(f"/meetings/{meeting_id}/edit")
    form = page.locator("#invite-many")
    rows = form.locator(".pick-list li")
    everyone = rows.count()
    assert everyone > 5
    expect(form.locator(".pick-count")).to_have_text("Đã chọn 0")

    form.locator("#bulk-filter").fill("pho chu tich")  # "Phó Chủ tịch", typed without marks
    shown = form.locator(".pick-list li:visible")
    expect(shown.first).to_be_visible()
    chosen = shown.count()
    assert 0 < chosen < everyone
    for index in range(chosen):
        expect(shown.nth(index)).to_contain_text("Phó Chủ tịch")
    form.locator("button[data-pick=all]").click()
    expect(form.locator(".pick-count")).to_have_text(f"Đã chọn {chosen}")
    form.locator("#bulk-filter").fill("không có ai tên này")
    expect(form.locator(".pick-none")).to_be_visible()
    form.locator("#bulk-filter").press("Enter")  # filters; never submits
    expect(form.locator(".pick-none")).to_be_visible()
    assert "msg=" not in page.url

    form.locator("button[type=submit]").click()
    page.wait_for_url("**msg=invited_many**")
    table_rows = page.locator("#invitations tbody tr")
    expect(table_rows).to_have_count(chosen)
    expect(page.locator(".invite-counts")).to_contain_text(f"Đã mời: {chosen}.")

    row = table_rows.first
    row.locator("details.invitation-edit summary").click()
    row.locator("select[name=role]").select_option("observer")
    row.locator("input[name=seat_label]").fill("D7")
    row.locator("details.invitation-edit button[type=submit]").click()
    page.wait_for_url("**msg=invitation_saved**")
    row = page.locator("#invitations tbody tr").first
    expect(row).to_contain_text("Quan sát viên")
    expect(row).to_contain_text("D7")
