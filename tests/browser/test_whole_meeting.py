"""Issue 14's "done when": a whole meeting run by the secretariat from the pages alone, on a
server of its own that starts from an empty database (one account made with `hop create-user`).
People come from a CSV file, a unit is invited, a document is published, a kiosk and a projector
are paired from the devices page, two faces are enrolled and checked in by the (fake) camera, a
delegate takes the floor, a vote's result reaches both tablets and the projector, the meeting
closes (a new poll is then refused, on the page and through the API), the minutes are finalised
with the meeting's actual times and the archive is downloaded. The API is used only to check.
Each step leaves a screenshot in docs/screenshots/meeting-NN-*.png (shown in the README)."""

import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    FilePayload,
    Page,
    Playwright,
    expect,
)

from bench._servers import free_port, hop_env
from tests.browser.fake_camera import Still, write_y4m
from tests.browser.helpers import (
    DESKTOP,
    PASSWORD,
    SECRET_KEY,
    TABLET,
    Secretariat,
    Server,
    expect_live,
    hop,
    launch_with_camera,
    log_in,
    pdf_bytes,
)
from tests.browser.test_kiosk_journey import RECORD_GREETINGS, greeted
from tests.browser.test_screenshots import PROJECTOR, SHOTS
from tests.browser.test_voting_journey import POLL, draft_and_open, vote
from tests.faces import PEOPLE, PROBES
from web.pages.render import VIETNAM

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("faces")]

CLERK = "thuky"
UNIT = "Ban Kinh tế - Xã hội"
# The CSV the secretariat imports: two delegates of the invited unit (whose faces the kiosk
# sees), the chair, and one person of another unit who is not invited.
PEOPLE_CSV = f"""full_name,username,title,unit,email,phone,role
Nguyễn Văn An,daibieu01,Trưởng ban,{UNIT},an@phuong.example,0901000001,delegate
Trần Thị Bình,daibieu02,Phó trưởng ban,{UNIT},binh@phuong.example,0901000002,delegate
Phạm Quang Vinh,chutoa,Chủ tịch HĐND,Thường trực HĐND,vinh@phuong.example,,delegate
Lê Văn Cường,daibieu03,Ủy viên,Ban Pháp chế,,,delegate
"""
DELEGATES = {"daibieu01": "Nguyễn Văn An", "daibieu02": "Trần Thị Bình"}
FACE_OF = {"daibieu01": "obama", "daibieu02": "kit_harington"}
SEEN_BY_CAMERA = (Still(PROBES / "obama1.jpg", 3), Still(PROBES / "johnsnow_test1.jpg", 3))
TITLE = "Kỳ họp chuyên đề về chỉnh trang đô thị"
AGENDA = (
    ("Khai mạc; thông qua chương trình", "Phạm Quang Vinh", "5"),
    ("Thảo luận Đề án chỉnh trang vỉa hè", "Nguyễn Văn An", "40"),
)
DOCUMENT = "Dự thảo Đề án chỉnh trang vỉa hè"


def shoot(page: Page, step: int, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"meeting-{step:02d}-{name}.png"
    page.screenshot(path=path, animations="disabled", caret="hide")


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server on a new SQLite database holding nothing but the secretariat's account."""
    folder = tmp_path_factory.mktemp("whole-meeting")
    env = hop_env(
        f"sqlite:///{folder / 'hop.db'}",
        folder / "var",
        secret_key=SECRET_KEY,
        HOP_DEFAULT_LANGUAGE="vi",
    )
    hop(env, "migrate")
    hop(env, "create-user", CLERK, "--full-name", "Lê Thị Thư", "--password", PASSWORD)
    running = Server(env, free_port(), folder / "server.log")
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def camera_browser(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """A Chromium whose camera shows the two delegates' faces in turn, for the kiosk."""
    video = tmp_path_factory.mktemp("camera") / "door.y4m"
    assert write_y4m(video, SEEN_BY_CAMERA) > 10
    browser = launch_with_camera(playwright, video)
    yield browser
    browser.close()


class Hall:
    """Browser contexts on the empty server: the secretariat, two tablets, screens."""

    def __init__(self, browser: Browser, camera: Browser, server: Server) -> None:
        self.browser, self.camera, self.server = browser, camera, server
        self.contexts: list[BrowserContext] = []

    def context(self, viewport: dict[str, int], *, camera: bool = False) -> BrowserContext:
        made = (self.camera if camera else self.browser).new_context(
            base_url=self.server.url,
            viewport=viewport,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
            accept_downloads=True,
        )
        made.set_default_timeout(15_000)
        self.contexts.append(made)
        return made

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def hall(browser: Browser, camera_browser: Browser, empty_server: Server) -> Iterator[Hall]:
    made = Hall(browser, camera_browser, empty_server)
    yield made
    made.close()


def toast(page: Page, text: str) -> None:
    """The message after a submit is on screen, wherever the page was scrolled."""
    message = page.locator(".flash", has_text=text)
    expect(message).to_be_visible()
    expect(message).to_be_in_viewport()


def import_people(page: Page) -> None:
    page.goto("/people")
    csv_file = FilePayload(
        name="dai-bieu.csv", mimeType="text/csv", buffer=PEOPLE_CSV.encode("utf-8")
    )
    page.locator("#import-file").set_input_files(files=[csv_file])
    page.locator("form[action='/people/import'] button[type=submit]").click()
    report = page.locator(".report[role=status]")
    expect(report).to_contain_text("4")
    for username in [*DELEGATES, "chutoa", "daibieu03"]:
        expect(report.locator("code", has_text=username)).to_have_count(1)


def set_password(page: Page, full_name: str) -> None:
    """The secretariat gives a delegate a password, from the person's page."""
    page.goto("/people")
    page.locator("tbody tr", has_text=full_name).locator("a.edit").click()
    expect(page.locator("h1")).to_contain_text(full_name)
    page.locator("#password-password").fill(PASSWORD)
    page.locator("#password-password_again").fill(PASSWORD)
    page.locator("form[action$='/password']:has(#password-password) button[type=submit]").click()
    page.wait_for_url("**msg=password_set**")


def create_meeting(page: Page) -> int:
    page.goto("/meetings")
    day = (date.today() + timedelta(days=1)).isoformat()
    form = page.locator("form[action='/meetings']")
    form.locator("#meeting-title").fill(TITLE)
    form.locator("#meeting-start_at").fill(f"{day}T08:00")
    form.locator("#meeting-end_at").fill(f"{day}T11:30")
    form.locator("#meeting-location").fill("Hội trường UBND phường")
    chair = form.locator("#meeting-chair_id option", has_text="Phạm Quang Vinh")
    form.locator("#meeting-chair_id").select_option(chair.get_attribute("value"))
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/meetings/\d+/edit"))
    match = re.search(r"/meetings/(\d+)/edit", page.url)
    assert match is not None
    for title, presenter, minutes in AGENDA:
        agenda = page.locator("form[action$='/agenda']")
        agenda.locator("#agenda-title").fill(title)
        agenda.locator("#agenda-presenter").fill(presenter)
        agenda.locator("#agenda-planned_minutes").fill(minutes)
        agenda.locator("button[type=submit]").click()
        page.wait_for_url("**msg=item_added**")
    expect(page.locator("ol.agenda.editable > li")).to_have_count(len(AGENDA))
    return int(match.group(1))


def invite_unit(page: Page) -> None:
    form = page.locator("#invite-many")
    unit = form.locator("#bulk-unit_id option", has_text=UNIT)
    form.locator("#bulk-unit_id").select_option(unit.get_attribute("value"))
    form.locator("button[type=submit]").click()
    page.wait_for_url("**msg=invited_many**")
    rows = page.locator("#invitations tbody tr")
    expect(rows).to_have_count(len(DELEGATES))
    for name in DELEGATES.values():
        expect(rows.filter(has_text=name)).to_have_count(1)


def publish_document(page: Page) -> None:
    form = page.locator("form.add-form.upload")
    form.locator("#upload-title").fill(DOCUMENT)
    form.locator("#upload-agenda_item_id").select_option(index=2)
    pdf = FilePayload(name="de-an.pdf", mimeType="application/pdf", buffer=pdf_bytes(DOCUMENT))
    form.locator("#upload-file").set_input_files(files=[pdf])
    form.locator("button[type=submit]").click()
    page.wait_for_url("**msg=uploaded**")
    item = page.locator("#documents li.document", has_text=DOCUMENT)
    item.locator("form[action$='/publish'] button").click()
    page.wait_for_url("**msg=published**")
    expect(item.locator(".badge.published")).to_be_visible()


def pair(clerk: Page, screen: Page, *, kind: str, name: str, meeting_id: int) -> None:
    """The screen shows a code on /pair; the secretariat enters it on the devices page; the
    screen opens its own page by itself."""
    screen.goto("/pair")
    code = screen.locator(".pair-code strong").inner_text().strip()
    assert code
    clerk.goto("/devices")
    form = clerk.locator("form[action='/devices']")
    form.locator("#device-kind").select_option(kind)
    form.locator("#device-name").fill(name)
    form.locator("#device-meeting_id").select_option(str(meeting_id))
    form.locator("#device-code").fill(code)
    form.locator("button[type=submit]").click()
    clerk.wait_for_url("**msg=device_paired**")
    expect(clerk.locator("table tbody tr", has_text=name)).to_have_count(1)
    screen.wait_for_url(f"**/{kind}/{meeting_id}**", timeout=20_000)


def enrol(page: Page, full_name: str, folder: str) -> None:
    page.goto("/people")
    page.locator("tbody tr", has_text=full_name).locator("a[href$='/faces']").click()
    expect(page.locator("h1")).to_contain_text(full_name)
    page.locator("#consent-note").fill("Đồng ý bằng văn bản")
    page.locator("form[action$='/faces/consent'] button[type=submit]").click()
    photos = sorted((PEOPLE / folder).iterdir())
    for count, photo in enumerate(photos, start=1):
        page.locator("#enrol-photo").set_input_files(photo)
        page.locator("#enrol-form button[type=submit]").click()
        expect(page.locator(".face-list li")).to_have_count(count, timeout=30_000)


def tablet(hall: Hall, username: str, meeting_id: int) -> Page:
    page = hall.context(TABLET).new_page()
    log_in(page, username, landing="/my")
    page.goto(f"/room/{meeting_id}")
    expect_live(page)
    return page


def api_get(page: Page, path: str) -> Any:
    answer = page.request.get(path)
    assert answer.ok, f"GET {path}: {answer.status} {answer.text()}"
    return answer.json()


def test_a_whole_meeting_from_the_pages(hall: Hall) -> None:
    clerk = hall.context(DESKTOP).new_page()
    clerk.on("dialog", lambda dialog: dialog.accept())
    log_in(clerk, CLERK, landing="/meetings")
    shoot(clerk, 1, "empty")

    import_people(clerk)
    shoot(clerk, 2, "people-imported")
    for name in [*DELEGATES.values(), "Phạm Quang Vinh"]:
        set_password(clerk, name)

    meeting_id = create_meeting(clerk)
    invite_unit(clerk)
    publish_document(clerk)
    clerk.locator("#invitations").scroll_into_view_if_needed()
    shoot(clerk, 3, "editor")

    kiosk_context = hall.context({"width": 1024, "height": 768}, camera=True)
    kiosk_context.add_init_script(RECORD_GREETINGS)
    kiosk = kiosk_context.new_page()
    projector = hall.context(PROJECTOR).new_page()
    pair(clerk, kiosk, kind="kiosk", name="Kiosk cửa chính", meeting_id=meeting_id)
    pair(clerk, projector, kind="projector", name="Máy chiếu hội trường", meeting_id=meeting_id)
    shoot(clerk, 4, "devices")

    for username, folder in FACE_OF.items():
        enrol(clerk, DELEGATES[username], folder)
    shoot(clerk, 5, "enrolled")

    # The meeting is scheduled, the kiosk greets both delegates, the desk counts them present.
    clerk.goto(f"/meetings/{meeting_id}/edit")
    clerk.locator("form[action$='/status'] button[value=scheduled]").click()
    clerk.wait_for_url("**msg=status_changed**")
    for name in DELEGATES.values():
        greeted(kiosk, name)
    shoot(kiosk, 6, "kiosk")
    clerk.goto(f"/meetings/{meeting_id}/checkin")
    expect(clerk.locator(".is-present")).to_have_count(len(DELEGATES), timeout=20_000)
    shoot(clerk, 7, "desk")

    # The chair's console starts the meeting and sets the current item.
    clerk.goto(f"/meetings/{meeting_id}/polls")
    clerk.locator("#control button[value=in_progress]").click()
    clerk.wait_for_url("**/polls**")
    expect_live(clerk)
    clerk.locator("#current-item").select_option(index=2)
    clerk.locator("form[action$='/current-item'] button[type=submit]").click()
    tablets = {username: tablet(hall, username, meeting_id) for username in DELEGATES}
    first, second = tablets.values()
    expect(first.locator("[data-agenda-item][aria-current]")).to_contain_text(AGENDA[1][0])
    expect(projector.locator("body")).to_contain_text(AGENDA[1][0])

    # A delegate asks to speak; the chair gives the floor; the projector shows the speaker.
    first.locator("form[action$='/speakers'] button[type=submit]").click()
    expect(first.locator(".speech-mine")).to_be_visible()
    clerk.locator("form[action$='/start'] button[type=submit]").first.click()
    expect(projector.locator("body")).to_contain_text(DELEGATES["daibieu01"])
    shoot(projector, 8, "projector-speaker")
    clerk.locator("form[action$='/end'] button[type=submit]").first.click()

    # A vote: both tablets vote, the result reaches both tablets and the projector.
    card = draft_and_open(clerk)
    for page in (first, second):
        vote(page, "yes")
    shoot(first, 9, "tablet-ballot")
    card.locator("form[action$='/close'] button").click()
    clerk.wait_for_url("**msg=poll_closed**")
    clerk.locator(".poll-card", has_text=POLL).locator("form[action$='/publish'] button").click()
    clerk.wait_for_url("**msg=poll_published**")
    for screen in (first, second, projector):
        expect(screen.locator(".poll-result .verdict").first).to_have_text("Được thông qua")
    shoot(projector, 10, "projector-result")
    second.reload()
    expect(second.locator(".poll-result .verdict").first).to_have_text("Được thông qua")
    shoot(second, 11, "tablet-result")

    # Closing the meeting: no new poll, on the page or through the API.
    clerk.locator("#control button[value=closed]").click()
    clerk.wait_for_url("**/polls**")
    closed_at = datetime.now(VIETNAM)
    expect(clerk.locator("form:has(input[name=template][value=approval])")).to_have_count(0)
    checker = Secretariat(hall.context(DESKTOP), CLERK)
    refused = checker.request.post(
        f"/api/meetings/{meeting_id}/polls",
        data={"title": "Một phiếu sau khi bế mạc", "kind": "yes_no"},
        headers=checker.headers,
    )
    assert refused.status == 409, refused.text()
    shoot(clerk, 12, "closed")

    # The minutes say when the meeting really started and closed; finalised; the archive.
    clerk.goto(f"/meetings/{meeting_id}/minutes")
    drafting = clerk.locator("form[action$='/minutes/draft'] button[type=submit]")
    if drafting.count():
        drafting.first.click()
    text = " ".join(
        clerk.locator("form.minutes-edit textarea").evaluate_all("els => els.map(e => e.value)")
    )
    # The actual close (a minute either side of the click), never the scheduled 11:30.
    assert "11 giờ 30" not in text
    assert any(
        (closed_at + timedelta(minutes=shift)).strftime("%H giờ %M") in text for shift in (-1, 0, 1)
    ), text
    clerk.locator("form[action$='/minutes/finalise'] button[type=submit]").click()
    expect(clerk.locator(".sha256")).to_be_visible()
    shoot(clerk, 13, "minutes-final")
    clerk.goto(f"/meetings/{meeting_id}/edit")
    with clerk.expect_download() as info:
        clerk.locator(f"a[href='/api/meetings/{meeting_id}/archive.zip']").click()
    archive = zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes()))
    record = json.loads(archive.read("meeting.json"))
    assert record["meeting"]["status"] == "closed"
    assert [poll["title"] for poll in record["polls"]] == [POLL]
    assert [m["status"] for m in record["minutes"]] == ["final"]
    delegates = {checker.person_id(username) for username in DELEGATES}
    assert {row["person_id"] for row in record["attendance"]} == delegates
    assert {row["method"] for row in record["attendance"]} == {"face"}  # the kiosk's camera
    shas = {version["blob_sha256"] for version in record["document_versions"]}
    assert {f"documents/{sha}" for sha in shas} <= set(archive.namelist())
