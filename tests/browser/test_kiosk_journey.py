"""Issue 7, journey b: a kiosk whose (fake) camera sees enrolled delegates, strangers and a video
greets the delegates by name, and the secretariat's check-in desk shows them present within
seconds, without a reload; the strangers are never checked in."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, WebSocket, expect

from tests.browser.fake_camera import Clip, Still, write_y4m
from tests.browser.helpers import (
    DESKTOP,
    NewContext,
    Secretariat,
    Server,
    expect_live,
    launch_with_camera,
    mark_page,
    wait_until,
)
from tests.browser.test_screenshots import shoot
from tests.faces import FACES

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("faces")]  # photos of shared/faces

PEOPLE, PROBES = FACES / "people", FACES / "probes"
# Invited and enrolled: each is shown to the camera (the last one only in the video).
ENROLLED = {
    "daibieu14": "obama",
    "daibieu15": "kit_harington",
    "daibieu16": "lin_manuel_miranda",
}
ABSENT = "daibieu17"  # invited, no face enrolled: never in front of the camera
OUTSIDER = "daibieu18"  # alex_lacamoire's face enrolled, but not invited to this meeting
# About 13 s, played in a loop by Chromium: the strangers come between the delegates.
SCENES = (
    Still(PROBES / "obama1.jpg", 2),
    Still(PROBES / "alex_lacamoire1.jpg", 2),  # the outsider
    Still(PROBES / "johnsnow_test1.jpg", 2),
    Still(PEOPLE / "rose_leslie" / "img2.jpg", 2),  # enrolled nowhere
    # Lin-Manuel Miranda from about 3 s, an unenrolled face around 7.5 s.
    Clip(FACES / "video" / "short_hamilton_clip.mp4", 2.8, 8.3),
)
# Keeps every greeting the kiosk shows (each is cleared after a few seconds).
RECORD_GREETINGS = """window.__greetings = [];
document.addEventListener("DOMContentLoaded", () => {
  const greeting = document.getElementById("kiosk-greeting");
  new MutationObserver(() => window.__greetings.push(greeting.textContent))
    .observe(greeting, {childList: true, characterData: true, subtree: true});
});"""


@pytest.fixture
def camera_browser(playwright: Playwright, tmp_path: Path) -> Iterator[Browser]:
    """A Chromium of its own whose camera plays the scenes."""
    video = tmp_path / "kiosk.y4m"
    assert write_y4m(video, SCENES) > 100
    browser = launch_with_camera(playwright, video)
    yield browser
    browser.close()


def prepare(staff: Secretariat) -> tuple[int, dict[str, dict[str, Any]]]:
    """The meeting, and the people of this test by username."""
    people = {name: staff.person(name) for name in [*ENROLLED, ABSENT, OUTSIDER]}
    meeting_id = staff.create_meeting("Phiên họp thử: điểm danh khuôn mặt", [*ENROLLED, ABSENT])
    for username, folder in ENROLLED.items():
        photos = sorted((PEOPLE / folder).iterdir())
        staff.enrol(int(people[username]["id"]), photos)
    staff.enrol(int(people[OUTSIDER]["id"]), sorted((PEOPLE / "alex_lacamoire").iterdir()))
    return meeting_id, people


def follow_kiosk(page: Page) -> list[dict[str, Any]]:
    """The kiosk's answers, as they arrive."""
    answers: list[dict[str, Any]] = []

    def on_socket(socket: WebSocket) -> None:
        if "/ws/kiosk/" in socket.url:
            socket.on("framereceived", lambda data: answers.append(json.loads(data)))

    page.on("websocket", on_socket)
    return answers


def unknown_faces(answers: list[dict[str, Any]]) -> int:
    return sum(f["state"] == "unknown" for a in answers for f in a.get("faces", []))


def last_greeting(answers: list[dict[str, Any]]) -> dict[str, Any]:
    """The answer that checked the last of the delegates in."""
    return [answer for answer in answers if answer.get("checked_in")][-1]


def greeted(page: Page, name: str) -> None:
    page.wait_for_function(
        "name => window.__greetings.some(text => text.includes(name))", arg=name, timeout=45_000
    )


def test_the_kiosk_greets_enrolled_delegates_and_the_desk_sees_them(
    new_context: NewContext, camera_browser: Browser, server: Server
) -> None:
    staff_context = new_context(viewport=DESKTOP)
    staff = Secretariat(staff_context)
    meeting_id, people = prepare(staff)
    token = staff.device_token(meeting_id, "kiosk", "Kiosk cửa chính")

    desk = staff_context.new_page()
    desk.goto(f"/meetings/{meeting_id}/checkin")
    expect_live(desk)
    mark_page(desk)
    rows = {name: desk.locator(f"#person-{person['id']}") for name, person in people.items()}
    for name in [*ENROLLED, ABSENT]:
        expect(rows[name]).to_have_class(re.compile(r"\bis-absent\b"))

    kiosk_context = camera_browser.new_context(
        base_url=server.url, viewport={"width": 1024, "height": 768}, locale="vi-VN"
    )
    kiosk_context.add_init_script(RECORD_GREETINGS)
    kiosk = kiosk_context.new_page()
    answers = follow_kiosk(kiosk)
    kiosk.goto(f"/kiosk/{meeting_id}?token={token}")

    for name in ENROLLED:
        full_name = people[name]["full_name"]
        greeted(kiosk, full_name)
        # Within seconds of the greeting, on the desk, without a reload.
        expect(rows[name]).to_have_class(re.compile(r"\bis-present\b"), timeout=5_000)
    shoot(desk, "desk")
    # A greeting on screen (present delegates are greeted again as the camera loops).
    expect(kiosk.locator("#kiosk-greeting.ok")).to_be_in_viewport(timeout=20_000)
    shoot(kiosk, "kiosk")
    assert desk.evaluate("window.__hopNoReload === true"), "the desk was reloaded"

    # The strangers were in front of the camera (the stills before Lin-Manuel Miranda, a face
    # in the video after him) and were not recognised: nobody else was checked in.
    wait_until(
        kiosk,
        lambda: unknown_faces(answers[answers.index(last_greeting(answers)) :]) > 0,
        timeout_ms=25_000,
    )
    assert unknown_faces(answers[: answers.index(last_greeting(answers))]), "no stranger seen"
    greetings: list[str] = kiosk.evaluate("window.__greetings")
    for name in (ABSENT, OUTSIDER):
        assert not any(people[name]["full_name"] in text for text in greetings), greetings
    expect(rows[ABSENT]).to_have_class(re.compile(r"\bis-absent\b"))
    expect(rows[OUTSIDER]).to_have_count(0)  # not invited: not on the desk at all

    attendance = staff.attendance(meeting_id)
    present = {pid for pid, row in attendance.items() if row["present"]}
    assert present == {int(people[name]["id"]) for name in ENROLLED}
    assert {attendance[int(people[name]["id"])]["method"] for name in ENROLLED} == {"face"}
    checked_in = {c["person_id"] for a in answers for c in a.get("checked_in", [])}
    assert checked_in == {int(people[name]["id"]) for name in ENROLLED}
    kiosk_context.close()
