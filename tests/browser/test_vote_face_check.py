"""Issue 16, point 4: a poll that confirms the voter's face. Two tablets whose (fake) camera
shows Obama: the delegate enrolled with Obama's face votes after the camera check; the one
enrolled with Biden's face is refused with the reason, and votes once the chair allows it
after a desk check."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, Playwright, expect

from tests.browser.fake_camera import Still, write_y4m
from tests.browser.helpers import (
    TABLET,
    NewContext,
    Secretariat,
    Server,
    launch_with_camera,
    open_room,
    voting_meeting,
)
from tests.faces import FACES

FACE_WORK_MS = 30_000
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("faces")]  # photos of shared/faces

PEOPLE, PROBES = FACES / "people", FACES / "probes"
# Obama's face enrolled; Biden's. No other journey enrols a face for them: the secretariat's
# journey gives daibieu11 Obama's photos, which made "the wrong face" right in a full run.
OWNER, OTHER = "daibieu19", "daibieu20"
POLL = "Lấy phiếu tín nhiệm (xác nhận khuôn mặt)"


@pytest.fixture
def camera_browser(playwright: Playwright, tmp_path: Path) -> Iterator[Browser]:
    """A Chromium whose camera shows Obama's face, for every tablet."""
    video = tmp_path / "tablet.y4m"
    assert write_y4m(video, [Still(PROBES / "obama-480p.jpg", 3)]) > 10
    browser = launch_with_camera(playwright, video)
    yield browser
    browser.close()


def tablet(camera_browser: Browser, server: Server, username: str, meeting_id: int) -> Page:
    context = camera_browser.new_context(
        base_url=server.url, viewport=TABLET, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    context.set_default_timeout(20_000)
    return open_room(context, username, meeting_id)


def confirm_with_camera(page: Page) -> Locator:
    """Choose yes, review, confirm: the camera opens; take the picture. The ballot section."""
    ballot = page.locator(".ballots [data-ballot]", has_text=POLL)
    expect(ballot.locator(".ballot-face")).to_be_visible()
    ballot.locator("input[name=choice][value=yes]").check()
    ballot.locator("[data-action=review]").click()
    ballot.locator("[data-action=confirm]").click()
    camera = ballot.locator(".face-check")
    expect(camera.locator("video")).to_be_visible()
    page.wait_for_function(
        "() => { const v = document.querySelector('.face-check video');"
        " return v && v.videoWidth > 0; }"
    )
    camera.get_by_role("button", name="Chụp ảnh").click()
    return ballot


def test_the_tablet_confirms_the_face_before_the_ballot(
    new_context: NewContext, camera_browser: Browser, server: Server
) -> None:
    staff = Secretariat(new_context())
    meeting_id = voting_meeting(staff, "Phiên họp thử: xác nhận khuôn mặt", (OWNER, OTHER))
    staff.enrol(staff.person_id(OWNER), sorted((PEOPLE / "obama").iterdir()))
    staff.enrol(staff.person_id(OTHER), sorted((PEOPLE / "biden").iterdir()))
    chair = Secretariat(new_context(), "chutri")
    poll = chair.post(
        f"/api/meetings/{meeting_id}/polls",
        data={"title": POLL, "kind": "yes_no", "confirm_face": True},
    )
    chair.post(f"/api/polls/{poll['id']}/open")

    owner = tablet(camera_browser, server, OWNER, meeting_id)
    ballot = confirm_with_camera(owner)
    # Face work waits for the face pool: allow for a machine busy with other work.
    expect(ballot.locator(".ballot-received")).to_contain_text(
        "Phiếu của bạn đã được ghi nhận", timeout=FACE_WORK_MS
    )
    expect(ballot.locator(".face-check")).to_have_count(0)

    other = tablet(camera_browser, server, OTHER, meeting_id)
    refused = confirm_with_camera(other)
    camera = refused.locator(".face-check")
    expect(camera.locator(".face-status")).to_contain_text("không khớp", timeout=FACE_WORK_MS)
    desk = camera.get_by_role("button", name="Bàn thư ký đã kiểm tra tôi: gửi phiếu")
    expect(desk).to_be_visible()
    # Not allowed yet: the ballot is refused with the reason, and nothing is counted.
    desk.click()
    expect(refused.locator(".ballot-status")).to_contain_text("Cần xác nhận khuôn mặt")
    progress = chair.request.get(f"/api/polls/{poll['id']}/progress").json()
    assert progress["done"] == 1

    chair.post(
        f"/api/polls/{poll['id']}/desk-permits",
        data={"voter_id": staff.person_id(OTHER), "reason": "Thư ký đã đối chiếu CCCD"},
    )
    # The tablet asks first: the chair's permit stands, so no camera this time.
    refused.locator("input[name=choice][value=yes]").check()
    refused.locator("[data-action=review]").click()
    refused.locator("[data-action=confirm]").click()
    expect(refused.locator(".ballot-received")).to_be_visible()
    assert chair.request.get(f"/api/polls/{poll['id']}/progress").json()["done"] == 2
