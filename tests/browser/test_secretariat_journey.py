"""Issue 2's "done when", in a real browser: the secretariat prepares a meeting and publishes a
PDF; a delegate finds it under "my meetings", reads it inline, and it is no longer new. Then
(issue 7, journey a) the secretariat enrols the six delegates' faces through the enrol page."""

import re
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from playwright.sync_api import FilePayload, Page, Route, expect

from tests.browser.helpers import TABLET, NewContext, log_in, pdf_bytes, wait_until
from tests.faces import FACES

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("faces")]  # photos of shared/faces

TITLE = "Phiên họp thử nghiệm: kế hoạch chuyển đổi số của phường"
AGENDA = (
    ("Khai mạc; thông qua chương trình", "Phạm Quang Vinh", "5"),
    ("Thảo luận Kế hoạch chuyển đổi số năm 2027", "Nguyễn Đức Trung", "40"),
)
DELEGATES = (  # daibieu07 to daibieu12; the first reads the document below
    "Tạ Minh Khôi",
    "Lương Thị Ngọc Ánh",
    "Mai Xuân Trường",
    "Cao Thị Phương Thảo",
    "Đoàn Văn Hải",
    "Kiều Thị Thu Trang",
)
READER = "daibieu07"
# The six people of ../shared/faces/people, one per delegate above, in this order.
FACE_FOLDERS = (
    "alex_lacamoire",
    "biden",
    "kit_harington",
    "lin_manuel_miranda",
    "obama",
    "rose_leslie",
)
DOCUMENT = "Dự thảo Kế hoạch chuyển đổi số năm 2027"

# Keeps what the upload status said, across the reload that follows a finished upload.
RECORD_STATUS = """status => new MutationObserver(() => {
  const seen = JSON.parse(sessionStorage.getItem("hop-test-upload-status") || "[]");
  seen.push(status.textContent);
  sessionStorage.setItem("hop-test-upload-status", JSON.stringify(seen));
}).observe(status, {childList: true, characterData: true, subtree: true})"""


def create_meeting(page: Page) -> int:
    """Fill in the new-meeting form on the meetings page; the new meeting's id."""
    day = (date.today() + timedelta(days=3)).isoformat()
    form = page.locator("form[action='/meetings']")
    form.locator("#meeting-title").fill(TITLE)
    form.locator("#meeting-description").fill("Cho ý kiến dự thảo kế hoạch.")
    form.locator("#meeting-start_at").fill(f"{day}T08:30")
    form.locator("#meeting-end_at").fill(f"{day}T10:30")
    form.locator("#meeting-location").fill("Phòng họp tầng 2")
    chair = form.locator("#meeting-chair_id option", has_text="Phạm Quang Vinh")
    form.locator("#meeting-chair_id").select_option(chair.get_attribute("value"))
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/meetings/\d+/edit\?msg=meeting_created"))
    match = re.search(r"/meetings/(\d+)/edit", page.url)
    assert match is not None
    return int(match.group(1))


def add_agenda(page: Page) -> None:
    for title, presenter, minutes in AGENDA:
        form = page.locator("form[action$='/agenda']")
        form.locator("#agenda-title").fill(title)
        form.locator("#agenda-presenter").fill(presenter)
        form.locator("#agenda-planned_minutes").fill(minutes)
        form.locator("button[type=submit]").click()
        page.wait_for_url("**msg=item_added**")
    expect(page.locator("ol.agenda.editable > li")).to_have_count(len(AGENDA))


def invite_delegates(page: Page) -> None:
    for seat, name in enumerate(DELEGATES, start=1):
        form = page.locator("form[action$='/invitations']")
        option = form.locator("#invitation-person_id option", has_text=name)
        form.locator("#invitation-person_id").select_option(option.get_attribute("value"))
        form.locator("#invitation-seat_label").fill(f"A{seat:02d}")
        form.locator("button[type=submit]").click()
        page.wait_for_url("**msg=invited**")
    rows = page.locator("#invitations tbody tr")
    expect(rows).to_have_count(len(DELEGATES))
    for name in DELEGATES:
        expect(rows.filter(has_text=name)).to_have_count(1)


def upload_with_progress(page: Page, meeting_id: int) -> int:
    """Upload through the editor's form; the progress bar shows while the request is out."""
    api = f"**/api/meetings/{meeting_id}/documents"
    held: list[Route] = []
    # Hold the upload, to see the page while it is in flight.
    page.route(api, lambda route: held.append(route))
    form = page.locator(f"form.upload[data-api='/api/meetings/{meeting_id}/documents']")
    form.locator("#upload-title").fill(DOCUMENT)
    form.locator("#upload-agenda_item_id").select_option(index=2)
    pdf = FilePayload(name="ke-hoach.pdf", mimeType="application/pdf", buffer=pdf_bytes(DOCUMENT))
    form.locator("#upload-file").set_input_files(files=[pdf])
    form.locator(".upload-status").evaluate(RECORD_STATUS)
    form.locator("button[type=submit]").click()
    expect(form.locator("progress")).to_be_visible()
    expect(form.locator("button[type=submit]")).to_be_disabled()
    wait_until(page, lambda: bool(held))  # the upload went to the JSON API, not the form route
    with page.expect_response(lambda r: r.url.endswith(api.removeprefix("**"))) as info:
        held[0].continue_()
    assert info.value.status == 201
    page.wait_for_url("**msg=uploaded**")
    page.unroute(api)
    item = page.locator("#documents li.document", has_text=DOCUMENT)
    expect(item).to_have_count(1)
    seen = page.evaluate("JSON.parse(sessionStorage.getItem('hop-test-upload-status'))")
    assert seen[-1] == "100%", seen  # the progress bar's status counted up to the end
    return int(str(item.get_attribute("id")).removeprefix("document-"))


def test_secretariat_publishes_a_pdf_that_a_delegate_reads(new_context: NewContext) -> None:
    clerk = new_context().new_page()
    log_in(clerk, "thuky", landing="/meetings")
    meeting_id = create_meeting(clerk)
    add_agenda(clerk)
    invite_delegates(clerk)
    document_id = upload_with_progress(clerk, meeting_id)
    item = clerk.locator(f"#document-{document_id}")
    expect(item).to_contain_text(DOCUMENT)
    expect(item.locator(".badge.draft")).to_be_visible()
    item.locator("form[action$='/publish'] button").click()
    clerk.wait_for_url("**msg=published**")
    expect(item.locator(".badge.published")).to_be_visible()

    tablet = new_context(viewport=TABLET).new_page()
    log_in(tablet, READER, landing="/my")
    card = tablet.locator(f"#meeting-{meeting_id}")
    expect(card).to_contain_text(TITLE)
    expect(card.locator(".badge.new")).to_be_visible()
    card.locator(f"a[href='/room/{meeting_id}']").first.click()
    tablet.wait_for_url(f"**/room/{meeting_id}")
    doc = tablet.locator(".doc", has=tablet.locator(f"a[href$='/documents/{document_id}']"))
    expect(doc).to_have_class(re.compile(r"\bis-new\b"))
    expect(doc.locator(".badge.new")).to_be_visible()

    content = f"/api/documents/{document_id}/content"
    with tablet.expect_response(lambda r: content in r.url) as info:
        doc.locator("a").click()
    response = info.value
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.frame == tablet.main_frame, "the reader loads the PDF in the page itself"
    expect(tablet.locator("#reader")).to_have_attribute("data-source-url", f"{content}?version=1")

    tablet.locator(f".actions a[href='/room/{meeting_id}']").click()
    tablet.wait_for_url(f"**/room/{meeting_id}")
    expect(doc).to_be_visible()
    expect(doc).not_to_have_class(re.compile(r"\bis-new\b"))
    expect(doc.locator(".badge.new")).to_have_count(0)


def enrol_faces(page: Page, name: str, folder: str) -> None:
    """From the people page to the person's enrol page: consent, then each photo of the folder."""
    page.goto("/people?" + urlencode({"q": name}))
    row = page.locator("tbody tr", has_text=name)
    row.locator("a[href$='/faces']").click()
    expect(page.locator("h1")).to_contain_text(name)
    upload = page.locator("#enrol-form button[type=submit]")
    expect(upload).to_be_disabled()  # no face before the person's consent
    page.locator("#consent-note").fill("Đồng ý bằng văn bản")
    page.locator("form[action$='/faces/consent'] button[type=submit]").click()
    expect(page.locator(".badge.published")).to_be_visible()
    photos = sorted((FACES / "people" / folder).iterdir())
    for count, photo in enumerate(photos, start=1):
        page.locator("#enrol-photo").set_input_files(photo)
        page.locator("#enrol-form button[type=submit]").click()
        expect(page.locator(".face-list li")).to_have_count(count, timeout=20_000)
        expect(page.locator("p.error[role=alert]")).to_have_count(0)


def test_secretariat_enrols_the_delegates_faces(new_context: NewContext) -> None:
    clerk = new_context().new_page()
    log_in(clerk, "thuky", landing="/meetings")
    for name, folder in zip(DELEGATES, FACE_FOLDERS, strict=True):
        enrol_faces(clerk, name, folder)
        expect(clerk.locator(".flash[role=status]")).to_be_visible()

    # A photo without a face is refused with a reason, and nothing is stored.
    blank = FilePayload(name="trang.pdf", mimeType="application/pdf", buffer=pdf_bytes("x"))
    clerk.locator("#enrol-photo").set_input_files(files=[blank])
    clerk.locator("#enrol-form button[type=submit]").click()
    expect(clerk.locator("p.error[role=alert]")).to_be_visible()
    expect(clerk.locator(".face-list li")).to_have_count(2)
