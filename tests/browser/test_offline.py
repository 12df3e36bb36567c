"""A delegate's tablet takes the meeting offline: the room and a document stay readable with
the network cut (PDF.js draws it from the service worker's cache), a note taken meanwhile
reaches the server once the network is back, exactly once, and logging out leaves nothing."""

from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import TABLET, NewContext, Secretariat, Server, log_in, wait_until

pytestmark = pytest.mark.browser

DELEGATE = "daibieu18"
TITLE = "Phiên họp đọc tài liệu ngoại tuyến"
PAPER = "Offline reading paper"
READY = "Sẵn sàng đọc ngoại tuyến"
OFFLINE = "Ngoại tuyến: bạn đang đọc bản đã lưu"

# What the tablet keeps: its caches, and the notes waiting in IndexedDB.
KEPT = """async () => {
  const names = (await caches.keys()).filter((name) => name.startsWith("hop-"));
  const bases = indexedDB.databases ? await indexedDB.databases() : [];
  return { caches: names, notes: bases.some((base) => base.name === "hop-notes") };
}"""
NOTHING_KEPT = {"caches": [], "notes": False}
SEND = """([id, payload]) => window.HopNoteQueue.send(id, payload)"""
PENDING = """(id) => window.HopNoteQueue.pending(id)"""


def scheduled_meeting(staff: Secretariat) -> tuple[int, int]:
    """A meeting tomorrow, scheduled, with the delegate invited and one published PDF."""
    meeting_id = staff.create_meeting(TITLE, [DELEGATE])
    staff.post(f"/api/meetings/{meeting_id}/status", data={"status": "scheduled"})
    return meeting_id, staff.publish_pdf(meeting_id, PAPER)


def notes_on(context: BrowserContext, document_id: int) -> list[dict[str, Any]]:
    answer = context.request.get(f"/api/documents/{document_id}/notes")
    assert answer.ok, answer.text()
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def expect_drawn(page: Page) -> None:
    """PDF.js drew the first page: a canvas with pixels, and the page's text in its layer."""
    expect(page.locator("#reader .page canvas").first).to_be_visible(timeout=20_000)
    expect(page.locator("#reader .textLayer").first).to_contain_text(PAPER, timeout=20_000)
    drawn = page.evaluate(
        """() => {
          const canvas = document.querySelector("#reader .page canvas");
          return canvas.width > 0 && canvas.height > 0;
        }"""
    )
    assert drawn


def offline_status(page: Page) -> Any:
    return expect(page.locator("#offline-status"))


@pytest.mark.slow
def test_a_tablet_reads_and_takes_notes_offline(new_context: NewContext, server: Server) -> None:
    staff = Secretariat(new_context())
    meeting_id, document_id = scheduled_meeting(staff)
    reader = f"/room/{meeting_id}/documents/{document_id}"
    context = new_context(viewport=TABLET, has_touch=True)
    page = context.new_page()
    log_in(page, DELEGATE, landing="/my")

    # Online: opening the room keeps the meeting, its document and the reader's files.
    page.goto(f"/room/{meeting_id}")
    offline_status(page).to_have_text(READY, timeout=30_000)
    page.goto(reader)
    expect_drawn(page)
    offline_status(page).to_have_text(READY, timeout=30_000)
    assert page.evaluate("navigator.serviceWorker.controller !== null")

    # The network is cut, for real: Chromium's offline mode does not reach a service worker's
    # own fetches, so the server is stopped too.
    context.set_offline(True)
    server.stop()
    try:
        page.reload()
        expect_drawn(page)
        offline_status(page).to_have_text(OFFLINE)
        note = highlight_a_word(page)
        assert note["queued"] is True
        queued = page.evaluate(PENDING, document_id)
        assert [item["client_id"] for item in queued] == [note["client_id"]]
        # Still offline, the reader opened again shows the note waiting to be sent.
        page.reload()
        expect_drawn(page)
        expect(page.locator("#reader-notes-count")).to_have_text("1")
        expect(page.locator('.page[data-page-number="1"] .reader-mark')).not_to_have_count(0)
        page.goto(f"/room/{meeting_id}")
        expect(page.locator("h1")).to_contain_text(TITLE)
        expect(page.locator(".doc-list")).to_contain_text(PAPER)
        page.goto("/my")
        expect(page.locator("main")).to_contain_text(TITLE)
    finally:
        server.start()

    # Back online: the queued note is sent once; sending it again makes no second note.
    context.set_offline(False)
    wait_until(page, lambda: len(notes_on(context, document_id)) == 1, timeout_ms=20_000)
    wait_until(page, lambda: page.evaluate(PENDING, document_id) == [])
    [arrived] = notes_on(context, document_id)
    assert arrived["client_id"] == note["client_id"]
    assert arrived["kind"] == "highlight"
    again = page.evaluate(SEND, [document_id, note_payload(note)])
    assert again.get("queued") is not True
    page.evaluate("window.HopNoteQueue.flush()")
    assert len(notes_on(context, document_id)) == 1

    # Logging out leaves no copy and no queue on the tablet.
    assert page.evaluate(KEPT)["caches"]
    page.locator("form[action='/logout'] button[type=submit]").click()
    page.wait_for_url("**/login")
    seen: list[Any] = []

    def nothing_kept() -> bool:
        seen.append(page.evaluate(KEPT))
        return bool(seen[-1] == NOTHING_KEPT)

    try:
        wait_until(page, nothing_kept)
    except AssertionError:
        raise AssertionError(f"still on the tablet after logging out: {seen[-1]}") from None


def highlight_a_word(page: Page) -> dict[str, Any]:
    """A highlight made with the reader's own tools (select a word, press Highlight); the note
    as the queue keeps it."""
    page.locator("#reader .textLayer span", has_text="reading").first.dblclick()
    expect(page.locator("#reader-highlight")).to_be_visible()
    page.locator("#reader-highlight").click()
    wait_until(page, lambda: len(page.evaluate(PENDING, reader_id(page))) == 1)
    queued: dict[str, Any] = page.evaluate(PENDING, reader_id(page))[0]
    return queued


def reader_id(page: Page) -> int:
    return int(page.locator("#reader").get_attribute("data-document-id") or 0)


def note_payload(note: dict[str, Any]) -> dict[str, Any]:
    keys = ("client_id", "version", "page", "kind", "quote", "x", "y", "body", "shared")
    return {key: note[key] for key in keys if key in note}


@pytest.mark.slow
def test_a_meeting_called_off_or_a_session_ended_wipes_the_tablet(new_context: NewContext) -> None:
    """A cancelled meeting's copies go at the next sync; the account deactivated (its sessions
    end), the next request the tablet makes answers 401 and the service worker deletes what it
    kept, with the page still open."""
    staff = Secretariat(new_context())
    meeting_id, _ = scheduled_meeting(staff)
    delegate_id = staff.person_id(DELEGATE)
    context = new_context(viewport=TABLET, has_touch=True)
    page = context.new_page()
    log_in(page, DELEGATE, landing="/my")
    page.goto(f"/room/{meeting_id}")
    offline_status(page).to_have_text(READY, timeout=30_000)
    kept = f"-m{meeting_id}"
    assert any(name.endswith(kept) for name in page.evaluate(KEPT)["caches"])
    assert page.evaluate("navigator.serviceWorker.controller !== null")

    # Cancelled, the meeting leaves the list: its copies go at the next sync (a page load).
    staff.post(f"/api/meetings/{meeting_id}/status", data={"status": "cancelled"})
    page.reload()
    wait_until(page, lambda: not any(name.endswith(kept) for name in page.evaluate(KEPT)["caches"]))
    assert page.evaluate(KEPT)["caches"]  # the static files (and any other meeting) stay

    people = f"/api/people/{delegate_id}"
    answer = staff.request.patch(people, headers=staff.headers, data={"active": False})
    assert answer.ok, answer.text()
    try:
        status = page.evaluate("fetch('/api/my/offline').then((answer) => answer.status)")
        assert status == 401
        wait_until(page, lambda: page.evaluate(KEPT)["caches"] == [])
    finally:
        answer = staff.request.patch(people, headers=staff.headers, data={"active": True})
        assert answer.ok, answer.text()
