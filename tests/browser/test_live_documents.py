"""Documents reach the tablets live: published while the room is open, they appear without a
reload, and a tablet that was offline catches up from its last sequence when it comes back."""

import json
import re

import pytest
from playwright.sync_api import WebSocket, expect

from tests.browser.helpers import (
    NewContext,
    Secretariat,
    Server,
    document_item,
    expect_not_reloaded,
    open_room,
)

pytestmark = pytest.mark.browser

IPAD_LANDSCAPE = {"width": 1024, "height": 768}
IPAD_AIR_PORTRAIT = {"width": 820, "height": 1180}


def test_a_published_document_appears_on_two_tablets_without_a_reload(
    new_context: NewContext,
) -> None:
    staff = Secretariat(new_context())
    meeting_id = staff.create_meeting(
        "Phiên họp thử: tài liệu trực tiếp", ["daibieu02", "daibieu03"]
    )
    tablets = [
        open_room(new_context(viewport=IPAD_LANDSCAPE), "daibieu02", meeting_id),
        open_room(new_context(viewport=IPAD_AIR_PORTRAIT), "daibieu03", meeting_id),
    ]
    title = "Tờ trình bổ sung về chỉnh trang vỉa hè"
    for page in tablets:
        expect(document_item(page, title)).to_have_count(0)

    staff.publish_pdf(meeting_id, title)

    for page in tablets:
        item = document_item(page, title)
        expect(item).to_be_visible(timeout=10_000)
        expect(item.locator(".badge.new")).to_be_visible()
        expect(page.locator("#live .live-notice")).to_contain_text(title)
        expect_not_reloaded(page)


def test_an_offline_tablet_catches_up_from_its_last_sequence(
    new_context: NewContext, server: Server
) -> None:
    staff = Secretariat(new_context())
    meeting_id = staff.create_meeting("Phiên họp thử: mất kết nối", ["daibieu04"])
    context = new_context(viewport=IPAD_LANDSCAPE)
    page = open_room(context, "daibieu04", meeting_id)
    frames: list[tuple[str, dict[str, object]]] = []

    def follow(socket: WebSocket) -> None:
        socket.on("framereceived", lambda data: frames.append((socket.url, json.loads(data))))

    page.on("websocket", follow)
    last_seq = page.evaluate("window.HopLive.lastSeq()")
    assert isinstance(last_seq, int)

    # Chromium's offline mode refuses new requests and websocket handshakes but leaves an open
    # websocket alone, so the outage is made real by restarting the server (same port): the
    # tablet's socket drops and it cannot reconnect until it is back online.
    context.set_offline(True)
    server.kill()  # a crash: SIGTERM would drain, and Chromium offline never sees that close
    expect(page.locator("body.live-connected")).to_have_count(0)
    server.start()
    title = "Báo cáo bổ sung gửi trong lúc mất mạng"
    staff.publish_pdf(meeting_id, title)
    expect(page.locator("#live-badge")).to_be_visible()  # "Reconnecting…" after a grace time
    expect(document_item(page, title)).to_have_count(0)

    context.set_offline(False)
    # The client retries with full jitter up to 15 s apart, so allow one full ceiling.
    item = document_item(page, title)
    expect(item).to_be_visible(timeout=25_000)
    expect(item.locator(".badge.new")).to_be_visible()
    expect(page.locator("#live-badge")).to_be_hidden()
    expect_not_reloaded(page)

    resumed = [(url, message) for url, message in frames if f"after={last_seq}" in url]
    types = [message["type"] for _, message in resumed]
    assert "document.published" in types, types
    assert "snapshot" not in types, "it resumed from the log, not from a fresh snapshot"
    assert re.search(rf"[?&]after={last_seq}\b", resumed[0][0])
