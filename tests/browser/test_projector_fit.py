"""Screens that fit their device (issue 14.3), in Chromium: the projector shows one focus at a
time and never scrolls at 1024x768, 1280x720, 1280x800 and 1920x1080, whatever the focus and
however long the Vietnamese titles; a tablet shows the current item and the published result
live and after a reload; a revoked projector says so over the whole screen.

HOP_PROJECTOR_SHOTS=DIR keeps a screenshot of every focus at every size in DIR."""

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import (
    TABLET,
    NewContext,
    Secretariat,
    expect_live,
    expect_not_reloaded,
    open_room,
)

pytestmark = pytest.mark.browser

SIZES = [(1024, 768), (1280, 720), (1280, 800), (1920, 1080)]
SHOTS = os.environ.get("HOP_PROJECTOR_SHOTS", "")
DELEGATES = ("daibieu09", "daibieu10", "daibieu11")
MEETING = (
    "Kỳ họp chuyên đề lần thứ mười hai của Hội đồng nhân dân phường Hoàn Kiếm, nhiệm kỳ "
    "2021–2026, về điều chỉnh dự toán ngân sách và kế hoạch đầu tư công trung hạn của phường"
)
ITEM = (
    "Thảo luận, cho ý kiến về Tờ trình của Ủy ban nhân dân phường về việc điều chỉnh, bổ sung "
    "kế hoạch đầu tư công trung hạn giai đoạn 2021–2025 và phân bổ chi tiết kế hoạch vốn năm "
    "2026 cho các dự án chỉnh trang đô thị, vỉa hè, chiếu sáng công cộng, thoát nước và hạ "
    "tầng kỹ thuật trên địa bàn phường, kèm theo danh mục dự án ưu tiên và nguồn vốn đối ứng"
)
POLL = (
    "Biểu quyết thông qua Nghị quyết về điều chỉnh, bổ sung kế hoạch đầu tư công trung hạn "
    "giai đoạn 2021–2025 và phân bổ chi tiết kế hoạch vốn năm 2026 cho các dự án chỉnh trang "
    "đô thị, vỉa hè và chiếu sáng công cộng trên địa bàn phường Hoàn Kiếm"
)
CANDIDATES = [f"Nguyễn Thị Phương Thảo Hoàng Minh Đức {n}" for n in range(1, 9)]
# What must not overflow: the document, and the focus (which clips rather than scroll).
FITS = """() => {
  const root = document.documentElement, focus = document.querySelector(".projector-focus");
  return {
    height: root.scrollHeight, width: root.scrollWidth,
    innerHeight: window.innerHeight, innerWidth: window.innerWidth,
    clipped: focus.scrollHeight - focus.clientHeight,
    bottom: document.querySelector(".focus").getBoundingClientRect().bottom,
  };
}"""


class Hall:
    """A running meeting with long titles, its secretariat, and the projector's page."""

    def __init__(self, new_context: NewContext) -> None:
        self.staff = Secretariat(new_context())
        self.meeting_id = self.staff.create_meeting(MEETING, list(DELEGATES), chair="chutri")
        item = self.staff.post(f"/api/meetings/{self.meeting_id}/agenda", data={"title": ITEM})
        self.item_id = int(item["id"])
        self.projector = new_context(viewport={"width": 1280, "height": 720}).new_page()
        token = self.staff.projector_token(self.meeting_id)
        self.projector.goto(f"/projector/{self.meeting_id}?token={token}")
        expect_live(self.projector)
        self.shots = 0

    def api(self, path: str, **data: Any) -> Any:
        return self.staff.post(f"/api/meetings/{self.meeting_id}{path}", data=data)

    def form(self, path: str, **fields: str) -> None:
        """A console form, posted as the page does (its 303 to the console not followed)."""
        url = f"/meetings/{self.meeting_id}{path}"
        answer = self.staff.request.post(
            url, form=fields, headers=self.staff.headers, max_redirects=0
        )
        assert answer.status == 303, f"POST {url}: {answer.status}"

    def poll(self, **data: Any) -> int:
        poll = self.api("/polls", **data)
        self.staff.post(f"/api/polls/{poll['id']}/open")
        return int(poll["id"])

    def expect_fits(self, kind: str) -> None:
        """The focus is `kind`, and at every size nothing scrolls or is cut off."""
        page = self.projector
        expect(page.locator(f".focus[data-focus={kind}]")).to_be_visible()
        self.shots += 1
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.wait_for_timeout(50)  # one layout
            sizes = page.evaluate(FITS)
            where = f"{kind} at {width}x{height}: {sizes}"
            assert sizes["height"] <= sizes["innerHeight"], where
            assert sizes["width"] <= sizes["innerWidth"], where
            assert sizes["clipped"] <= 1, where
            assert sizes["bottom"] <= height, where
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                name = f"{self.shots:02d}-{kind}-{width}x{height}.png"
                page.screenshot(path=Path(SHOTS) / name)


def test_the_projector_fits_every_screen_in_every_focus(new_context: NewContext) -> None:
    hall = Hall(new_context)
    hall.expect_fits("status")  # not started
    expect(hall.projector.locator(".focus-line")).to_have_text("Cuộc họp chưa bắt đầu.")
    for status in ("scheduled", "in_progress"):
        hall.api("/status", status=status)
    expect(hall.projector.locator(".focus")).to_contain_text("Cuộc họp đang diễn ra.")
    hall.expect_fits("status")
    for username in DELEGATES:
        hall.staff.check_in(hall.meeting_id, hall.staff.person_id(username))

    hall.form("/current-item", item_id=str(hall.item_id))
    expect(hall.projector.locator(".focus-title")).to_have_text(ITEM)
    hall.expect_fits("item")

    speaker = hall.staff.person_id(DELEGATES[0])
    speech = hall.api("/speakers", person_id=speaker)
    hall.api(f"/speakers/{speech['id']}/start", limit_seconds=300)
    hall.api("/speakers", person_id=hall.staff.person_id(DELEGATES[1]))
    hall.expect_fits("speaker")
    expect(hall.projector.locator(".speaker-next")).to_contain_text("Người phát biểu tiếp theo")

    poll_id = hall.poll(title=POLL, kind="yes_no")
    hall.expect_fits("vote")  # the vote over the speaker
    hall.api(f"/speakers/{speech['id']}/end")
    hall.staff.post(f"/api/polls/{poll_id}/close")
    hall.expect_fits("pending")
    hall.staff.post(f"/api/polls/{poll_id}/publish")
    hall.expect_fits("result")
    expect(hall.projector.locator(".poll-result .verdict")).to_be_visible()

    election = hall.poll(title=POLL, kind="single", options=CANDIDATES)
    hall.expect_fits("vote")
    hall.staff.post(f"/api/polls/{election}/close")
    hall.staff.post(f"/api/polls/{election}/publish")
    hall.expect_fits("result")
    expect(hall.projector.locator(".poll-result .bar")).to_have_count(len(CANDIDATES) + 1)

    hall.form("/current-item", item_id=str(hall.item_id))  # the chair moves on: the item again
    hall.expect_fits("item")


def test_a_tablet_keeps_the_current_item_and_the_result_after_a_reload(
    new_context: NewContext,
) -> None:
    hall = Hall(new_context)
    for status in ("scheduled", "in_progress"):
        hall.api("/status", status=status)
    for username in DELEGATES:
        hall.staff.check_in(hall.meeting_id, hall.staff.person_id(username))
    tablet = open_room(new_context(viewport=TABLET), DELEGATES[2], hall.meeting_id)
    now = tablet.locator(".now-discussing")
    expect(now).to_be_hidden()
    hall.form("/current-item", item_id=str(hall.item_id))
    expect(now).to_contain_text(ITEM[:40])
    poll_id = hall.poll(title=POLL, kind="yes_no")
    hall.staff.post(f"/api/polls/{poll_id}/close")
    results = tablet.locator(".results")
    expect(results).to_contain_text("kết quả sẽ được công bố")
    hall.staff.post(f"/api/polls/{poll_id}/publish")
    expect(results.locator(".poll-result .verdict")).to_be_visible()
    expect_not_reloaded(tablet)  # live, then after a reload
    tablet.reload()
    expect(tablet.locator(".now-discussing")).to_contain_text(ITEM[:40])
    expect(tablet.locator("[data-agenda-item][aria-current=step]")).to_contain_text(ITEM[:40])
    expect(tablet.locator(".results .poll-result .verdict")).to_be_visible()
    for width, height in SIZES if SHOTS else []:
        tablet.set_viewport_size({"width": width, "height": height})
        tablet.screenshot(path=Path(SHOTS) / f"room-{width}x{height}.png", full_page=True)
    hall.form("/current-item", item_id="")  # no current item: the line goes
    expect(tablet.locator(".now-discussing")).to_be_hidden()


def test_a_tablet_coalesces_its_fetches(new_context: NewContext) -> None:
    """Five documents published in a row: the tablet fetches its documents part fewer times
    (live.js waits a random 0 to 1.5 s, and one fetch serves every event of the wait)."""
    hall = Hall(new_context)
    tablet = open_room(new_context(viewport=TABLET), DELEGATES[0], hall.meeting_id)
    fetched: list[str] = []
    tablet.on(
        "request",
        lambda request: (
            fetched.append(request.url) if request.url.endswith("/fragments/documents") else None
        ),
    )
    titles = [f"Tờ trình số {n}" for n in range(1, 6)]
    for title in titles:
        hall.staff.publish_pdf(hall.meeting_id, title)
    expect(tablet.locator(".doc-list .doc", has_text=titles[-1])).to_be_visible()
    tablet.wait_for_timeout(2000)  # any fetch still planned
    assert 1 <= len(fetched) < len(titles), fetched  # one fetch per event before
    expect_not_reloaded(tablet)


def revoke(hall: Hall) -> None:
    """Revoke the meeting's devices, as the devices page does."""
    devices = hall.staff.request.get("/api/devices")
    assert devices.ok, devices.text()
    for device in devices.json():
        if device["meeting_id"] == hall.meeting_id:
            hall.staff.post(f"/api/devices/{device['id']}/revoke")


def test_a_revoked_projector_says_so(new_context: NewContext) -> None:
    hall = Hall(new_context)
    url = hall.projector.url
    revoke(hall)
    notice = hall.projector.locator(".screen-notice[role=alert]")
    expect(notice).to_contain_text("Màn hình này không mở được cuộc họp")
    expect(notice).to_contain_text("trang Thiết bị")
    answer = hall.projector.goto(url)
    assert answer is not None
    assert answer.status == 403
    expect(hall.projector.locator("main")).to_contain_text("trang Thiết bị")
