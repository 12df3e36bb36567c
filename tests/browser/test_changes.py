"""What changed, on a tablet: a delegate reads a paper, the secretariat publishes a new version
with one paragraph edited, the room says "updated since you read it", and the changes page
shows the edited words struck through and underlined on their page, linked into the reader."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import NewContext, Secretariat, document_item, open_room
from tests.meetings.search_support import pdf_pages

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "docs" / "screenshots"
TABLET = {"width": 1024, "height": 768}
TITLE = "Tờ trình chỉnh trang hè phố (có sửa đổi)"
INTRO = "Kế hoạch chỉnh trang hè phố các tuyến đường năm 2025"
BUDGET = "Kinh phí dự kiến 12 tỷ đồng từ ngân sách quận"


def upload_version(staff: Secretariat, document_id: int, *pages: str) -> None:
    staff.post(
        f"/api/documents/{document_id}/versions",
        multipart={
            "file": {
                "name": "to-trinh-v2.pdf",
                "mimeType": "application/pdf",
                "buffer": pdf_pages(*pages),
            }
        },
    )


def test_a_delegate_sees_the_edited_paragraph(new_context: NewContext) -> None:
    staff = Secretariat(new_context())
    meeting_id = staff.create_meeting("Phiên họp thử: tài liệu sửa đổi", ["daibieu05"])
    document = staff.post(
        f"/api/meetings/{meeting_id}/documents",
        multipart={
            "title": TITLE,
            "file": {
                "name": "to-trinh.pdf",
                "mimeType": "application/pdf",
                "buffer": pdf_pages("Trang bìa", f"{INTRO}\n{BUDGET}"),
            },
        },
    )
    document_id = int(document["id"])
    staff.post(f"/api/documents/{document_id}/publish")
    page = open_room(new_context(viewport=TABLET, has_touch=True), "daibieu05", meeting_id)
    # Reading it: the reader records the read of version 1.
    page.goto(f"/room/{meeting_id}/documents/{document_id}")
    upload_version(staff, document_id, "Trang bìa", f"{INTRO.replace('2025', '2026')}\n{BUDGET}")

    page.goto(f"/room/{meeting_id}")
    item = document_item(page, TITLE)
    expect(item).to_contain_text("Cập nhật từ khi bạn đọc")
    item.get_by_role("link", name="Xem thay đổi").click()
    open_compared(page)
    hunk = page.locator(".changes-page", has_text="Trang 2")
    expect(hunk.locator("del")).to_contain_text("2025")
    expect(hunk.locator("ins")).to_contain_text("2026")
    expect(hunk.get_by_role("link", name="Trang 2")).to_have_attribute(
        "href", f"/room/{meeting_id}/documents/{document_id}#page=2"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "reader-changes.png", animations="disabled", caret="hide")


def open_compared(page: Page) -> None:
    """The changes page once the server has read the new version's text (in the background
    after the upload: a reload shows it when ready)."""
    for _ in range(40):
        if page.locator(".changes-page").count():
            return
        page.wait_for_timeout(250)
        page.reload()
    expect(page.locator(".changes-page").first).to_be_visible()
