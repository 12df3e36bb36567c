"""The reader on a tablet (1024x768, touch, Vietnamese): PDF.js from Hop's own origin shows a
100-page PDF lazily, with thumbnails, go to page, find, zoom and fit width, and the delegate's
highlights and pinned notes; on a phone in portrait nothing runs off the screen."""

import io
import json
import re
import shutil
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, Page, expect

from bench._pdfs import MARKER, long_pdf
from tests.browser.helpers import ROOT, TABLET, NewContext, Secretariat, api_log_in, wait_until

pytestmark = pytest.mark.browser

SHOTS = ROOT / "docs" / "screenshots"
PHONE = {"width": 375, "height": 667}
AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations;
}"""
FIRST_PAGE_DRAWN = '.page[data-page-number="1"][data-loaded="true"] canvas'
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ACCENTLESS_MARKER = "chinh trang via he"  # of MARKER, typed without accents


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"reader-{name}.png", animations="disabled", caret="hide")


def publish_long_pdf(staff: Secretariat, meeting_id: int) -> int:
    document = staff.post(
        f"/api/meetings/{meeting_id}/documents",
        multipart={
            "title": "Báo cáo tổng hợp 100 trang",
            "file": {"name": "bao-cao.pdf", "mimeType": "application/pdf", "buffer": long_pdf()},
        },
    )
    staff.post(f"/api/documents/{document['id']}/publish")
    return int(document["id"])


def tablet(new_context: NewContext) -> BrowserContext:
    return new_context(viewport=TABLET, has_touch=True, is_mobile=False)


def open_reader(context: BrowserContext, path: str) -> tuple[Page, list[str]]:
    """The reader page, with the first page drawn; the console's errors as they come."""
    page = context.new_page()
    problems: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", note)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(path)
    expect(page.locator(FIRST_PAGE_DRAWN)).to_have_count(1, timeout=20_000)
    return page, problems


def viewer(page: Page, expression: str) -> Any:
    return page.evaluate(f"() => window.HopReader.viewer.{expression}")


def current_page(page: Page) -> int:
    return int(viewer(page, "currentPageNumber"))


def expect_page(page: Page, number: int) -> None:
    expect(page.locator("#reader-page")).to_have_value(str(number))
    assert current_page(page) == number


@pytest.fixture
def reading(new_context: NewContext) -> tuple[BrowserContext, int, int]:
    """A meeting with the 100-page PDF published, and daibieu19's tablet logged in."""
    staff = Secretariat(new_context())
    meeting_id = staff.create_meeting("Phiên họp thử: trình đọc tài liệu", ["daibieu19"])
    document_id = publish_long_pdf(staff, meeting_id)
    context = tablet(new_context)
    api_log_in(context, "daibieu19")
    return context, meeting_id, document_id


@pytest.mark.slow
def test_a_100_page_pdf_is_read_searched_and_zoomed(
    reading: tuple[BrowserContext, int, int],
) -> None:
    context, meeting_id, document_id = reading
    page, problems = open_reader(context, f"/room/{meeting_id}/documents/{document_id}")

    expect(page.locator("#reader-total")).to_have_text("/ 100")
    thumbs = page.locator(".reader-thumb")
    expect(thumbs).to_have_count(100)
    expect(page.locator('.reader-thumb[data-page="1"][data-drawn="true"]')).to_have_count(1)
    # Lazily: the pages and thumbnails far below are not drawn.
    assert page.locator('.page[data-loaded="true"]').count() < 10
    assert page.locator('.reader-thumb[data-drawn="true"]').count() < 30
    assert viewer(page, "currentScaleValue") == "page-width"  # fit width on a tablet
    shoot(page, "tablet")

    page.locator("#reader-page").fill("57")
    page.locator("#reader-page").press("Enter")
    expect_page(page, 57)
    expect(page.locator('.page[data-page-number="57"][data-loaded="true"]')).to_have_count(1)
    assert page.evaluate("location.hash") == "#page=57"
    page.locator("#reader-next").click()
    expect_page(page, 58)
    page.locator('.reader-thumb[data-page="3"]').click()
    expect_page(page, 3)

    # Find, accents left out, from page 3: it jumps to the marker's page.
    page.locator("#reader-find-q").fill(ACCENTLESS_MARKER)
    expect(page.locator("#reader-find-count")).to_have_text("1 / 1")
    expect_page(page, 57)
    expect(page.locator('.page[data-page-number="57"] .textLayer .highlight')).not_to_have_count(0)

    before = float(viewer(page, "currentScale"))
    page.locator("#reader-zoom-in").click()
    page.wait_for_function(f"() => window.HopReader.viewer.currentScale > {before}")
    expect(page.locator("#reader-zoom")).not_to_have_text(f"{round(before * 100)}%")
    page.locator("#reader-fit").click()
    page.wait_for_function("() => window.HopReader.viewer.currentScaleValue === 'page-width'")
    assert abs(float(viewer(page, "currentScale")) - before) < 0.01

    page.locator("#reader-outline-toggle").click()
    entries = page.locator("#reader-outline-tree button")
    expect(entries).to_have_count(10)
    entries.nth(2).click()  # "Phần 3: từ trang 21"
    expect_page(page, 21)
    assert problems == []


@pytest.mark.slow
def test_a_search_hit_opens_the_reader_at_its_page_with_the_words_found(
    reading: tuple[BrowserContext, int, int],
) -> None:
    context, meeting_id, document_id = reading
    path = f"/room/{meeting_id}/documents/{document_id}?q=via%20he%20duong#page=57"
    page, problems = open_reader(context, path)
    expect_page(page, 57)
    # "duong" finds "đường": the reader looks the folded words up in the hit's page.
    expect(page.locator("#reader-find-q")).to_have_value("via he duong")
    expect(page.locator("#reader-find-count")).to_have_text("1 / 1")
    expect(page.locator('.page[data-page-number="57"] .textLayer .highlight')).not_to_have_count(0)
    assert problems == []


SELECT_TEXT = """([pageNumber, words]) => {
  const layer = document.querySelector(`.page[data-page-number="${pageNumber}"] .textLayer`);
  const walker = document.createTreeWalker(layer, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const at = node.data.indexOf(words);
    if (at >= 0) {
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + words.length);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      return true;
    }
  }
  return false;
}"""


def notes_of(context: BrowserContext, document_id: int) -> list[dict[str, Any]]:
    answer = context.request.get(f"/api/documents/{document_id}/notes")
    assert answer.ok, answer.text()
    return list(answer.json()["items"])


@pytest.mark.slow
def test_a_highlight_and_a_pinned_note_are_kept_and_drawn_again(
    reading: tuple[BrowserContext, int, int],
) -> None:
    context, meeting_id, document_id = reading
    page, problems = open_reader(context, f"/room/{meeting_id}/documents/{document_id}#page=2")
    expect_page(page, 2)
    layer = page.locator('.page[data-page-number="2"] .textLayer')
    expect(layer).to_contain_text("Đề nghị các đại biểu")

    # A highlight: select words in the text layer, then the popover's button.
    words = "Đề nghị các đại biểu cho ý kiến"
    assert page.evaluate(SELECT_TEXT, [2, words])
    expect(page.locator("#reader-popover")).to_be_visible()
    page.locator("#reader-highlight").click()
    expect(page.locator('.page[data-page-number="2"] .reader-mark')).not_to_have_count(0)
    expect(page.locator("#reader-notes-count")).to_have_text("1")

    # A note pinned to a point of the page, with a comment, shared with the secretariat.
    page.locator("#reader-pin").click()
    expect(page.locator("#reader-pin")).to_have_attribute("aria-pressed", "true")
    canvas = page.locator('.page[data-page-number="2"] .canvasWrapper')
    box = canvas.bounding_box()
    assert box is not None
    # Relative to the page's own box at the moment of the click: the reader may still scroll.
    canvas.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.2}, force=True)
    expect(page.locator("#reader-note-form")).to_be_visible()
    page.locator("#reader-note-body").fill("Đề nghị làm rõ nguồn kinh phí.")
    page.locator("#reader-note-shared").check()
    page.locator("#reader-note-form button[type=submit]").click()
    expect(page.locator("#reader-note-form")).to_be_hidden()
    expect(page.locator('.page[data-page-number="2"] .reader-pin')).to_have_count(1)

    stored = {note["kind"]: note for note in notes_of(context, document_id)}
    assert set(stored) == {"highlight", "pin"}
    highlight, pin = stored["highlight"], stored["pin"]
    assert highlight["page"] == 2
    assert highlight["quote"]["exact"] == words
    assert highlight["quote"]["prefix"].rstrip().endswith("trình Hội đồng nội dung số 2.")
    assert 32 <= len(highlight["quote"]["prefix"]) <= 64
    assert highlight["quote"]["suffix"].lstrip().startswith("về")
    assert highlight["shared"] is False
    assert highlight["version"] == 1
    assert pin["page"] == 2
    assert pin["body"] == "Đề nghị làm rõ nguồn kinh phí."
    assert pin["shared"] is True
    assert abs(pin["x"] - 0.5) < 0.01
    assert abs(pin["y"] - 0.2) < 0.01
    assert re.match(r"^[0-9a-f-]{36}$", pin["client_id"])

    # The notes panel lists both; a reload draws them again from the API.
    page.locator("#reader-notes-toggle").click()
    expect(page.locator("#reader-note-list .reader-note")).to_have_count(2)
    shoot(page, "notes")
    page.goto(f"/room/{meeting_id}/documents/{document_id}?note={highlight['id']}#page=2")
    expect(page.locator('.page[data-page-number="2"] .reader-mark')).not_to_have_count(0)
    expect(page.locator('.page[data-page-number="2"] .reader-pin')).to_have_count(1)
    current = page.locator("#reader-note-list .reader-note.is-current")
    expect(current).to_contain_text(words)
    expect(page.locator("#reader-notes")).to_be_visible()
    assert problems == []


def test_the_reader_fits_a_phone_in_portrait(
    reading: tuple[BrowserContext, int, int], new_context: NewContext
) -> None:
    _, meeting_id, document_id = reading
    phone = new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    api_log_in(phone, "daibieu19")
    page, problems = open_reader(phone, f"/room/{meeting_id}/documents/{document_id}")
    # The side panels start closed on a small screen and open over the pages.
    expect(page.locator("#reader-thumbs")).to_be_hidden()
    page.wait_for_timeout(300)  # fit width after the first layout
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"
    for control in ("#reader-next", "#reader-zoom-in", "#reader-find-q", "#reader-notes-toggle"):
        box = page.locator(control).bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= PHONE["width"], control
    page.locator("#reader").scroll_into_view_if_needed()
    shoot(page, "phone")
    page.locator("#reader-thumbs-toggle").click()
    expect(page.locator("#reader-thumbs")).to_be_visible()
    page.locator('.reader-thumb[data-page="4"]').click()
    expect(page.locator("#reader-thumbs")).to_be_hidden()
    expect_page(page, 4)
    assert problems == []


def test_a_swipe_turns_the_page_and_a_pinch_zooms(
    reading: tuple[BrowserContext, int, int],
) -> None:
    context, meeting_id, document_id = reading
    page, _ = open_reader(context, f"/room/{meeting_id}/documents/{document_id}#page=5")
    expect_page(page, 5)
    touch(page, [[(700, 400), (400, 410)]])
    expect_page(page, 6)
    touch(page, [[(300, 400), (650, 395)]])
    expect_page(page, 5)
    before = float(viewer(page, "currentScale"))
    touch(page, [[(500, 400), (450, 400)], [(560, 400), (650, 400)]])
    page.wait_for_function(f"() => window.HopReader.viewer.currentScale > {before * 1.2}")


TOUCH = """([paths]) => {
  // Touch events as a finger (or two) moving from start to end over the pages.
  const target = document.getElementById("reader-container");
  const steps = 6;
  const at = (step) => paths.map(([[x0, y0], [x1, y1]], id) => new Touch({
    identifier: id, target,
    clientX: x0 + ((x1 - x0) * step) / steps, clientY: y0 + ((y1 - y0) * step) / steps,
  }));
  const send = (type, touches, changed) => target.dispatchEvent(new TouchEvent(type, {
    touches, targetTouches: touches, changedTouches: changed, bubbles: true, cancelable: true,
  }));
  send("touchstart", at(0), at(0));
  for (let step = 1; step <= steps; step += 1) send("touchmove", at(step), at(step));
  send("touchend", [], at(steps));
}"""


def touch(page: Page, paths: list[list[tuple[int, int]]]) -> None:
    page.evaluate(TOUCH, [json.loads(json.dumps(paths))])


def test_pdfjs_comes_from_hops_origin_as_javascript_under_the_csp(
    reading: tuple[BrowserContext, int, int],
) -> None:
    context = reading[0]
    for path in ("build/pdf.min.mjs", "build/pdf.worker.min.mjs", "web/pdf_viewer.mjs"):
        answer = context.request.get(f"/static/vendor/pdfjs/{path}")
        assert answer.ok, path
        assert answer.headers["content-type"].startswith("text/javascript"), path
        assert "script-src 'self';" in answer.headers["content-security-policy"]
    # Only the browser builds are served, not the package's other files.
    assert context.request.get("/static/vendor/pdfjs/package.json").status == 404
    assert context.request.get("/static/vendor/pdfjs/legacy/build/pdf.mjs").status == 404


def docx_bytes(text: str) -> bytes:
    from docx import Document as WordDocument

    word = WordDocument()
    word.add_heading("Tờ trình", level=1)
    word.add_paragraph(text)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def office_file(
    new_context: NewContext, reading: tuple[BrowserContext, int, int]
) -> tuple[BrowserContext, int, int]:
    """A Word document published in the reading meeting."""
    context, meeting_id, _ = reading
    staff = Secretariat(new_context())
    document = staff.post(
        f"/api/meetings/{meeting_id}/documents",
        multipart={
            "title": "Tờ trình (Word)",
            "file": {
                "name": "to-trinh.docx",
                "mimeType": DOCX,
                "buffer": docx_bytes("Nội dung tờ trình về chỉnh trang vỉa hè."),
            },
        },
    )
    staff.post(f"/api/documents/{document['id']}/publish")
    return context, meeting_id, int(document["id"])


@pytest.mark.slow
def test_an_office_file_is_read_through_its_pdf_rendering(
    office_file: tuple[BrowserContext, int, int],
) -> None:
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed: no PDF rendering to read")
    context, meeting_id, document_id = office_file
    page, problems = open_reader(context, f"/room/{meeting_id}/documents/{document_id}")
    expect(page.locator('.page[data-page-number="1"] .textLayer')).to_contain_text("vỉa hè")
    assert problems == []


def test_an_office_file_without_a_rendering_says_why_and_offers_the_download(
    office_file: tuple[BrowserContext, int, int], new_context: NewContext
) -> None:
    _, meeting_id, document_id = office_file
    # No service worker: it would fetch the rendition itself, past Playwright's routes.
    context = new_context(viewport=TABLET, has_touch=True, service_workers="block")
    api_log_in(context, "daibieu19")
    page = context.new_page()
    # As the server answers without LibreOffice: its message is shown, and the download.
    reason = "Không tạo được bản PDF của tệp này: máy chủ chưa cài LibreOffice."
    page.route(
        re.compile(rf"/api/documents/{document_id}/rendition\?version=1$"),
        lambda route: route.fulfill(
            status=409,
            content_type="application/json",
            body=json.dumps({"error": "RenditionError", "detail": reason}),
        ),
    )
    page.goto(f"/room/{meeting_id}/documents/{document_id}")
    expect(page.locator("#reader-failed")).to_be_visible(timeout=15_000)
    expect(page.locator("#reader-failed-why")).to_have_text(reason)
    download = page.locator("#reader-failed a.button")
    expect(download).to_have_attribute("href", re.compile(r"/content\?version=1&download=true$"))


def test_the_reader_has_no_serious_axe_violations(
    reading: tuple[BrowserContext, int, int], new_context: NewContext, axe_source: str
) -> None:
    _, meeting_id, document_id = reading
    # bypass_csp: the pages forbid injected scripts, and axe-core is one.
    context = new_context(viewport=TABLET, has_touch=True, bypass_csp=True)
    api_log_in(context, "daibieu19")
    page, _ = open_reader(context, f"/room/{meeting_id}/documents/{document_id}")
    page.locator("#reader-notes-toggle").click()
    page.locator("#reader-outline-toggle").click()
    page.evaluate(axe_source)
    violations = page.evaluate(AXE_RUN)
    serious = [
        f"{v['id']}: {v['help']} at {[node['target'] for node in v['nodes'][:5]]}"
        for v in violations
        if v["impact"] in {"serious", "critical"}
    ]
    assert serious == []


@pytest.mark.slow
def test_notes_follow_a_new_version_or_say_the_passage_changed(new_context: NewContext) -> None:
    staff = Secretariat(new_context())
    meeting_id = staff.create_meeting("Phiên họp thử: ghi chú qua phiên bản", ["daibieu20"])
    first = long_pdf(10, marker_page=3)
    document = staff.post(
        f"/api/meetings/{meeting_id}/documents",
        multipart={
            "title": "Báo cáo có phiên bản mới",
            "file": {"name": "bao-cao.pdf", "mimeType": "application/pdf", "buffer": first},
        },
    )
    document_id = int(document["id"])
    staff.post(f"/api/documents/{document_id}/publish")
    context = tablet(new_context)
    headers = {"x-csrf-token": api_log_in(context, "daibieu20")}
    budget = "Kinh phí dự kiến 185 triệu đồng"  # page 5's, rewritten in the new version
    for client_id, page_number, exact, before in (
        ("moved-marker", 3, MARKER, "Mục 3.2. Kết luận của trang 3 được ghi vào biên bản. "),
        ("edited-budget", 5, budget, "(đoạn 5). "),
    ):
        answer = context.request.post(
            f"/api/documents/{document_id}/notes",
            headers=headers,
            data={
                "client_id": client_id,
                "version": 1,
                "page": page_number,
                "kind": "highlight",
                "quote": {"exact": exact, "prefix": before, "suffix": ""},
                "body": "",
                "shared": False,
            },
        )
        assert answer.status == 201, answer.text()

    second = long_pdf(10, marker_page=6, edited_pages=frozenset({5}))
    staff.post(
        f"/api/documents/{document_id}/versions",
        multipart={
            "file": {"name": "bao-cao-2.pdf", "mimeType": "application/pdf", "buffer": second}
        },
    )
    page = context.new_page()
    # The new version's text is read in the background; the notes are carried once it is.
    wait_until(page, lambda: {n["version"] for n in notes_of(context, document_id)} == {2}, 20_000)
    notes = {note["client_id"]: note for note in notes_of(context, document_id)}
    assert (notes["moved-marker"]["page"], notes["moved-marker"]["anchor"]) == (6, "anchored")
    assert notes["edited-budget"]["anchor"] == "changed"

    page.goto(f"/room/{meeting_id}/documents/{document_id}#page=6")
    expect(page.locator('.page[data-page-number="6"] .reader-mark')).not_to_have_count(0)
    page.locator("#reader-notes-toggle").click()
    changed = page.locator("#reader-note-list .reader-note.is-changed")
    expect(changed).to_have_count(1)
    expect(changed).to_contain_text("Đoạn văn đã thay đổi")
    expect(changed).to_contain_text(budget)
    expect(page.locator(".reader-changed")).to_have_count(0)  # never read: nothing "updated"
