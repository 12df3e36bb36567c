"""Every error message in the page's language: the table of the domain's messages is complete,
and pages, JSON and the meeting socket say errors in Vietnamese (English on request)."""

import itertools
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from core.errors import ConflictError
from meetings import lifecycle
from models import AgendaItem, Document, Meeting, MeetingStatus, Person
from tests.factories import ORIGIN, invite, login, make_person
from tests.web.error_sources import messages
from web.i18n import Translator
from web.pages import error_words

VI = Translator().gettext("vi")
EN = Translator().gettext("en")

# Messages built at run time, and where their words are checked instead.
DYNAMIC = {
    "str(error)": "checkin.policy: the ValueErrors of checkin.matching, found as messages",
    "first['msg'].removeprefix('Value error, ')": "voting.polls: the models' validators' "
    "ValueErrors (found as messages) and pydantic's own words (error_words.PYDANTIC)",
    "gettext(message) % {'seconds': retry}": "web.ratelimit: written in the reader's language",
    "NO_TEXT": "meetings.draft_structure: a constant, listed in error_words.DOMAIN",
    "NO_ARTICLE": "meetings.draft_structure: a constant, listed in error_words.DOMAIN",
}
# Messages whose placeholder is a whole phrase or nothing at all, by their code.
SAMPLES = {
    "f'The meeting has no minutes{which} yet'": [
        "The meeting has no minutes yet",
        "The meeting has no minutes version 2 yet",
    ],
}
# ValueError is a message only where it reaches people: the models' validators (pydantic
# passes their words on) and the face thresholds (checkin.policy); elsewhere it is a
# programming or configuration error for the log (settings, keys, retention days).
VALUE_ERRORS_SHOWN = ("models/", "checkin/matching.py")


def written_messages() -> list[tuple[str, str, list[str] | None]]:
    """(where, code, samples) of every message people may read."""
    found = []
    for message in messages():
        if message.kind == "ValueError" and not message.where.startswith(VALUE_ERRORS_SHOWN):
            continue
        samples = SAMPLES.get(message.code) or message.samples
        found.append((message.where, message.code, list(samples) if samples else None))
    return found


def test_the_scan_finds_the_messages() -> None:
    texts = {sample for _, _, samples in written_messages() for sample in samples or ()}
    assert "Only the secretariat may do this" in texts
    assert "Meeting X1 not found" in texts
    assert "Only a waiting request can be moved (this one is X1)" in texts  # a parameter
    assert "This Office file cannot be published: it holds macros (vbaProject.bin)" in texts
    assert "Please log in" in texts  # HTTPException(detail=…)


def test_every_message_written_in_the_code_has_a_translation() -> None:
    table = set(error_words.MESSAGES)
    missing, dynamic = [], []
    for where, code, samples in written_messages():
        if samples is None:
            if code not in DYNAMIC:
                dynamic.append(f"{where}: {code}")
            continue
        for sample in samples:
            entry = error_words.entry_for(sample)
            if entry is None or entry not in table or VI(entry) == entry:
                missing.append(f"{where}: {sample}")
    assert dynamic == [], "a message built at run time: say in DYNAMIC where its words are"
    assert missing == [], "add these to web/pages/error_words.py with a Vietnamese translation"


@pytest.mark.parametrize(
    ("status", "action"), list(itertools.product(MeetingStatus, lifecycle.Action))
)
def test_every_lifecycle_refusal_is_said_in_vietnamese(
    session: Session, meeting: Meeting, status: MeetingStatus, action: lifecycle.Action
) -> None:
    meeting.status = status
    refused = lifecycle.refusal(session, meeting, action)
    if refused is None:
        return
    said = error_words.translate(refused.detail, VI)
    assert said is not None, refused.detail
    assert said.startswith("Cuộc họp đang ở trạng thái"), said
    assert not any(word in said for word in ("meeting", "poll", "only", "can")), said


@pytest.mark.parametrize(
    ("detail", "vietnamese"),
    [
        ("Meeting 999 not found", "Không tìm thấy cuộc họp 999"),
        ("Only the secretariat may do this", "Chỉ thư ký mới được thực hiện việc này"),
        ("The file is empty", "Tệp trống (0 byte): hãy chọn lại tệp"),
        ("Not Found", "Không tìm thấy"),
        (
            "The picture cannot be used: The image is empty",
            "Không dùng được ảnh: Ảnh trống (0 byte)",
        ),
        (
            "Only a waiting request can be moved (this one is speaking)",
            "Chỉ có thể di chuyển yêu cầu đang chờ "
            "(yêu cầu này đang ở trạng thái “đang phát biểu”)",
        ),
        (
            "A closed poll cannot be opened",
            "Không thể mở cuộc biểu quyết ở trạng thái “đã kết thúc”",
        ),
        (
            "A in_progress meeting cannot become draft",
            "Cuộc họp ở trạng thái “đang họp” không thể chuyển sang “nháp”",
        ),
        ("choice: Field required", "choice – Trường này là bắt buộc"),
    ],
)
def test_details_in_vietnamese(detail: str, vietnamese: str) -> None:
    assert error_words.translate(detail, VI) == vietnamese


def test_english_keeps_the_domain_words_but_says_what_to_do() -> None:
    assert error_words.translate("Meeting 999 not found", EN) == "Meeting 999 not found"
    assert error_words.translate("The file is empty", EN) == (
        "The file is empty (0 bytes): choose the file again"
    )


def test_an_unknown_message_is_not_half_translated() -> None:
    assert error_words.translate("Something nobody wrote", VI) is None
    # A field and an unknown message: the message part must be a known one.
    assert error_words.translate("title: the moon is made of cheese", VI) is None


def test_validation_messages_name_the_field() -> None:
    item: dict[str, Any] = {
        "type": "string_too_long",
        "loc": ("body", "title"),
        "ctx": {"max_length": 300},
    }
    assert error_words.validation_message(item, VI) == "Tiêu đề: dài quá 300 ký tự cho phép."
    assert error_words.validation_message(item, EN) == "Title: at most 300 characters."
    unknown = {"type": "something_new", "loc": ("query", "zzz")}
    assert error_words.validation_message(unknown, VI) == "Một trường: giá trị không hợp lệ."


# Pages, JSON and the socket, in Vietnamese (the default).


def form_post(client: TestClient, url: str, **kwargs: Any) -> Any:
    data = {"csrf_token": client.cookies.get("hop_csrf"), **kwargs.pop("data", {})}
    client.headers.pop("x-csrf-token", None)
    return client.post(url, data=data, follow_redirects=False, **kwargs)


def test_an_unknown_meeting_page_is_a_vietnamese_404(clerk_client: TestClient) -> None:
    response = clerk_client.get("/meetings/999/edit")
    assert response.status_code == 404
    assert "Không tìm thấy cuộc họp 999" in response.text
    assert "not found" not in response.text


def test_a_secretariat_page_refuses_a_delegate_in_vietnamese(
    client: TestClient, session: Session
) -> None:
    login(client, make_person(session))
    response = client.get("/people")
    assert response.status_code == 403
    assert "Chỉ thư ký mới được thực hiện việc này" in response.text
    assert "Only the secretariat" not in response.text


def test_an_unknown_detail_says_a_general_sentence_with_the_english_folded(
    app: FastAPI, client: TestClient
) -> None:
    def refuse() -> None:
        raise ConflictError("A message nobody has translated yet")

    app.add_api_route("/test-unknown-error", refuse)
    page = client.get("/test-unknown-error")
    assert page.status_code == 409
    assert "Chưa thể thực hiện lúc này: hãy tải lại trang" in page.text
    assert '<details class="error-original">' in page.text
    assert "A message nobody has translated yet" in page.text  # folded, for support
    english = client.get("/test-unknown-error?lang=en")
    assert "A message nobody has translated yet" in english.text
    assert "error-original" not in english.text
    client.cookies.clear()  # ?lang=en is remembered
    api = client.get("/test-unknown-error", headers={"accept": "application/json"})
    assert api.json()["message"].startswith("Chưa thể thực hiện lúc này")


def test_a_too_long_field_is_a_vietnamese_422_that_changes_nothing(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    before = len(session.exec(select(Document)).all())
    response = form_post(
        clerk_client,
        f"/meetings/{meeting.id}/documents",
        data={"title": "T" * 5000},
        files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")},
    )
    assert response.status_code == 422
    assert "Tiêu đề: dài quá 300 ký tự cho phép." in response.text
    assert "String should have" not in response.text
    assert len(session.exec(select(Document)).all()) == before


def test_a_too_long_agenda_title_is_refused_beside_the_field(
    clerk_client: TestClient, session: Session, meeting: Meeting
) -> None:
    before = len(session.exec(select(AgendaItem)).all())
    response = form_post(clerk_client, f"/meetings/{meeting.id}/agenda", data={"title": "A" * 5000})
    assert response.status_code == 422
    assert "field-error" in response.text
    assert "Giá trị quá dài." in response.text
    assert len(session.exec(select(AgendaItem)).all()) == before


def test_an_empty_upload_says_so_in_vietnamese(clerk_client: TestClient, meeting: Meeting) -> None:
    page = form_post(
        clerk_client,
        f"/meetings/{meeting.id}/documents",
        data={"title": "Tờ trình"},
        files={"file": ("empty.pdf", b"", "application/pdf")},
    )
    assert page.status_code == 422
    assert "Tệp trống (0 byte): hãy chọn lại tệp" in page.text
    assert "The file is empty" not in page.text
    api = clerk_client.post(
        f"/api/meetings/{meeting.id}/documents",
        data={"title": "Tờ trình"},
        files={"file": ("empty.pdf", b"", "application/pdf")},
        headers={"x-csrf-token": clerk_client.cookies.get("hop_csrf") or ""},
    )
    assert api.status_code == 422
    assert api.json()["detail"] == "The file is empty"  # for programs, as before
    assert api.json()["message"] == "Tệp trống (0 byte): hãy chọn lại tệp"


def test_json_errors_say_message_in_the_request_language(clerk_client: TestClient) -> None:
    vietnamese = clerk_client.get("/api/meetings/999")
    assert vietnamese.json()["detail"] == "Meeting 999 not found"
    assert vietnamese.json()["message"] == "Không tìm thấy cuộc họp 999"
    english = clerk_client.get("/api/meetings/999?lang=en")
    assert english.json()["message"] == "Meeting 999 not found"
    invalid = clerk_client.get("/api/meetings/abc")
    assert invalid.status_code == 422
    assert (
        "giá trị không hợp lệ" in invalid.json()["message"]
        or "số nguyên" in (invalid.json()["message"])
    )


def test_a_socket_error_carries_a_vietnamese_message(
    client: TestClient, session: Session, clerk: Person, meeting: Meeting
) -> None:
    delegate = make_person(session)
    invite(session, meeting, delegate)
    login(client, delegate)
    with client.websocket_connect(f"/ws/meetings/{meeting.id}", headers=ORIGIN) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        ws.send_json({"type": "ballot", "poll_id": 999, "choice": "yes", "nonce": "n" * 16})
        reply = ws.receive_json()
    assert reply["type"] == "error"
    assert reply["message"] != reply["detail"]
    assert error_words.translate(reply["detail"], VI) == reply["message"]
