"""The minutes API: draft, edit, finalise (then 409 on edits), correct, PDF and DOCX, who may,
and the minutes of the demo meeting after a check-in and a vote."""

import io

import pytest
from docx import Document as DocxDocument
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session, col, select

from demo.council import load_demo
from models import Invitation, Meeting, Person, Reply, Role
from records import minutes
from tests.factories import (
    Scene,
    assert_error,
    check_in,
    login,
    make_meeting,
    make_user,
    nonce,
    stage_meeting,
)
from web.settings import Settings

DEMO_PASSWORD = "mat-khau-thu-nghiem"


@pytest.fixture
def scene(session: Session, client: TestClient) -> Scene:
    return stage_meeting(session, client)


def _url(meeting: Meeting, tail: str = "") -> str:
    return f"/api/meetings/{meeting.id}/minutes{tail}"


def test_draft_edit_finalise_and_correct(client: TestClient, scene: Scene) -> None:
    login(client, scene.room.clerk)
    url = _url(scene.meeting)
    assert_error(client.get(url), 404, "MinutesNotFoundError")
    drafted = client.post(url)
    assert drafted.status_code == 201, drafted.text
    assert (drafted.json()["version"], drafted.json()["status"]) == (1, "draft")
    assert_error(client.post(url), 409, "MinutesStateError")
    key = drafted.json()["body"]["sections"][-2]["key"]
    edit = {"chair_name": "Phạm Quang Vinh", "sections": [{"key": key, "text": "Thống nhất."}]}
    edited = client.patch(url, json=edit)
    assert edited.status_code == 200, edited.text
    assert edited.json()["body"]["chair_name"] == "Phạm Quang Vinh"
    final = client.post(_url(scene.meeting, "/finalise"))
    assert final.status_code == 200, final.text
    assert final.json()["status"] == "final"
    assert len(final.json()["sha256"]) == 64
    corrected = client.post(_url(scene.meeting, "/correct"))
    assert corrected.status_code == 201, corrected.text
    assert (corrected.json()["version"], corrected.json()["sha256"]) == (2, None)
    assert corrected.json()["body"] == final.json()["body"]
    versions = client.get(_url(scene.meeting, "/versions")).json()
    assert [(v["version"], v["status"]) for v in versions] == [(1, "final"), (2, "draft")]
    assert versions[0]["finalised_by_name"] == scene.room.clerk.full_name
    assert client.get(url, params={"version": 1}).json() == final.json()


def test_final_minutes_cannot_be_edited(client: TestClient, scene: Scene, session: Session) -> None:
    login(client, scene.room.clerk)
    url = _url(scene.meeting)
    client.post(url)
    final = client.post(_url(scene.meeting, "/finalise")).json()
    key = final["body"]["sections"][0]["key"]
    assert_error(client.patch(url, json={"title": "Sửa"}), 409, "MinutesLockedError")
    changed = {"sections": [{"key": key, "text": "Sửa"}]}
    assert_error(client.patch(url, json=changed), 409, "MinutesLockedError")
    assert_error(client.post(_url(scene.meeting, "/finalise")), 409, "MinutesLockedError")
    assert_error(client.post(url, json={"replace": True}), 409, "MinutesLockedError")
    assert client.get(url).json() == final
    stored = minutes.get_minutes(session=session, meeting=scene.meeting)
    assert minutes.content_sha256(stored) == final["sha256"]


def test_bad_edits_are_refused_and_change_nothing(client: TestClient, scene: Scene) -> None:
    login(client, scene.room.clerk)
    url = _url(scene.meeting)
    assert_error(client.patch(url, json={"title": "x"}), 404, "MinutesNotFoundError")
    assert_error(client.post(_url(scene.meeting, "/finalise")), 404)
    before = client.post(url).json()
    unknown = {"sections": [{"key": "nope", "text": "x"}]}
    assert_error(client.patch(url, json=unknown), 422, "UnknownSectionError")
    assert_error(client.patch(url, json={"title": ""}), 422, "ValidationError")
    assert_error(client.patch(url, json={"issuer": "x" * 301}), 422, "ValidationError")
    assert_error(client.patch(url, json={"sections": "nope"}), 422, "ValidationError")
    assert_error(client.post(url, json={"replace": "maybe"}), 422, "ValidationError")
    assert_error(client.get(url, params={"version": "two"}), 422)
    assert_error(client.get(_url(scene.meeting, ".pdf"), params={"version": 9}), 404)
    assert_error(client.post(_url(scene.meeting, "/correct")), 409, "MinutesStateError")
    assert client.get(url).json() == before


def test_pdf_and_docx_downloads(client: TestClient, scene: Scene) -> None:
    login(client, scene.room.clerk)
    client.post(_url(scene.meeting))
    pdf = client.get(_url(scene.meeting, ".pdf"))
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    name = f"bien-ban-hop-{scene.meeting.id}-v1"
    assert f'filename="{name}.pdf"' in pdf.headers["content-disposition"]
    assert "BIÊN BẢN HỌP" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    docx = client.get(_url(scene.meeting, ".docx"), params={"version": 1})
    assert docx.status_code == 200, docx.text
    assert f'filename="{name}.docx"' in docx.headers["content-disposition"]
    text = "\n".join(p.text for p in DocxDocument(io.BytesIO(docx.content)).paragraphs)
    assert scene.excused.full_name in text


def test_only_the_secretariat_and_the_chair_handle_minutes(
    client: TestClient, scene: Scene, session: Session
) -> None:
    url = _url(scene.meeting)
    assert_error(client.get(url), 401)
    login(client, scene.came)  # invited delegate: sees the meeting, may not manage it
    for response in (
        client.get(url),
        client.post(url),
        client.patch(url, json={}),
        client.post(_url(scene.meeting, "/finalise")),
        client.get(_url(scene.meeting, ".pdf")),
        client.get(_url(scene.meeting, "/versions")),
    ):
        assert_error(response, 403)
    login(client, make_user(session))  # not invited: the meeting does not exist for them
    assert_error(client.post(url), 404, "MeetingNotFoundError")
    assert_error(client.get(_url(scene.meeting, ".docx")), 404)
    assert minutes.latest_minutes(session=session, meeting=scene.meeting) is None
    login(client, scene.room.chair)  # the meeting's chair may
    assert client.post(url).status_code == 201
    assert client.post(_url(scene.meeting, "/finalise")).status_code == 200


def test_a_chair_of_another_meeting_cannot(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat)
    other_chair = make_user(session)
    make_meeting(session, creator=clerk, chair=other_chair)
    meeting = make_meeting(session, creator=clerk)
    login(client, other_chair)
    assert_error(client.post(_url(meeting)), 404)
    login(client, make_user(session, role=Role.admin))
    assert client.post(_url(meeting)).status_code == 201


def _demo_person(session: Session, username: str) -> Person:
    return session.exec(select(Person).where(Person.username == username)).one()


def test_minutes_of_the_demo_meeting(
    client: TestClient, session: Session, settings: Settings
) -> None:
    """The thematic session of `hop demo`, with some delegates checked in and a closed vote."""
    assert load_demo(settings, password=DEMO_PASSWORD, only_if_empty=True) is not None
    meeting = session.exec(select(Meeting).order_by(col(Meeting.start_at))).first()
    assert meeting is not None
    rows = session.exec(
        select(Invitation, Person)
        .join(Person, col(Person.id) == Invitation.person_id)
        .where(Invitation.meeting_id == meeting.id)
    ).all()
    voters = sorted(
        (person for inv, person in rows if inv.voting_right and inv.reply != Reply.declined),
        key=lambda person: person.username,
    )
    came = voters[:16]  # the meeting's quorum: two thirds of its 23 members with a vote
    check_in(session, meeting, *came)
    declined = [(inv, person) for inv, person in rows if inv.reply == Reply.declined]
    thuky = _demo_person(session, "thuky")
    login(client, thuky, DEMO_PASSWORD)
    # The demo meeting is scheduled: a vote opens once the meeting is in progress.
    started = client.post(f"/api/meetings/{meeting.id}/status", json={"status": "in_progress"})
    assert started.status_code == 200, started.text
    poll = client.post(
        f"/api/meetings/{meeting.id}/polls", json={"title": "Thông qua Đề án hè phố"}
    ).json()
    assert client.post(f"/api/polls/{poll['id']}/open").status_code == 200
    for voter in came[:8]:
        login(client, voter, DEMO_PASSWORD)
        cast = client.post(
            f"/api/polls/{poll['id']}/ballots", json={"choice": "yes", "nonce": nonce()}
        )
        assert cast.status_code == 200, cast.text
    login(client, thuky, DEMO_PASSWORD)
    closed = client.post(f"/api/polls/{poll['id']}/close").json()
    assert closed["verdict"] == "adopted"
    drafted = client.post(_url(meeting))
    assert drafted.status_code == 201, drafted.text
    body = drafted.json()["body"]
    sections = {section["key"]: section["text"] for section in body["sections"]}
    present, absent = sections["participants"].split("Vắng mặt")
    assert all(person.full_name in present for person in came)
    assert f"Có mặt ({len(came)}):" in sections["participants"]
    assert f"Vắng mặt ({len(rows) - len(came)}):" in sections["participants"]
    for invitation, person in declined:
        assert f"{person.full_name}" in absent
        assert invitation.reply_reason.rstrip(".") in absent
    chair = _demo_person(session, "chutri")
    assert f"{chair.full_name}, Chủ tịch HĐND phường" in sections["participants"]
    assert body["chair_name"] == chair.full_name
    assert body["secretary_name"] == thuky.full_name
    assert body["issuer"] == "THƯỜNG TRỰC HỘI ĐỒNG NHÂN DÂN PHƯỜNG"
    assert "Thông qua Đề án hè phố (biểu quyết công khai; 8 phiếu trên 16" in sections["other"]
    assert "Tán thành: 8; Không tán thành: 0. Kết quả: Thông qua." in sections["other"]
    papers = "\n".join(text for key, text in sections.items() if key.startswith("item-"))
    assert "(phiên bản 1, tệp" in papers
    assert client.post(_url(meeting, "/finalise")).status_code == 200


def _page(meeting: Meeting, tail: str = "") -> str:
    return f"/meetings/{meeting.id}/minutes{tail}"


def test_the_minutes_page_drafts_edits_finalises_and_corrects(
    client: TestClient, scene: Scene, session: Session
) -> None:
    login(client, scene.room.clerk)
    editor = client.get(f"/meetings/{scene.meeting.id}/edit")
    assert f'href="/meetings/{scene.meeting.id}/minutes"' in editor.text
    empty = client.get(_page(scene.meeting))
    assert empty.status_code == 200
    assert "Soạn biên bản từ cuộc họp" in empty.text
    drafted = client.post(_page(scene.meeting, "/draft"), follow_redirects=False)
    assert drafted.status_code == 303
    assert drafted.headers["location"] == _page(scene.meeting, "?done=drafted")
    page = client.get(drafted.headers["location"])
    assert "Đã soạn biên bản từ cuộc họp." in page.text
    assert scene.excused.full_name in page.text
    assert 'name="text"' in page.text
    body = minutes.body_of(minutes.get_minutes(session=session, meeting=scene.meeting))
    form = {
        **body.model_dump(exclude={"sections"}),
        "key": [section.key for section in body.sections],
        "text": [section.text for section in body.sections[:-1]] + ["Họp kết thúc đúng giờ."],
    }
    saved = client.post(_page(scene.meeting, "/save"), data=form, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    stored = minutes.get_minutes(session=session, meeting=scene.meeting)
    session.refresh(stored)
    assert minutes.body_of(stored).sections[-1].text == "Họp kết thúc đúng giờ."
    assert client.post(_page(scene.meeting, "/finalise"), follow_redirects=False).status_code == 303
    final = client.get(_page(scene.meeting))
    session.refresh(stored)
    assert stored.sha256 is not None
    assert stored.sha256 in final.text
    assert "Khớp với nội dung" in final.text
    assert 'name="text"' not in final.text
    locked = client.post(_page(scene.meeting, "/save"), data=form)
    assert locked.status_code == 409
    assert client.post(_page(scene.meeting, "/correct"), follow_redirects=False).status_code == 303
    versions = minutes.list_versions(session=session, meeting=scene.meeting)
    assert [(v.version, v.status) for v in versions] == [(1, "final"), (2, "draft")]


def test_a_bad_form_shows_the_error_and_keeps_the_text(
    client: TestClient, scene: Scene, session: Session
) -> None:
    login(client, scene.room.clerk)
    client.post(_page(scene.meeting, "/draft"))
    before = minutes.get_minutes(session=session, meeting=scene.meeting).body
    keys = [section["key"] for section in before["sections"]]
    form = {"title": "", "key": keys, "text": ["Đoạn văn mới"] * len(keys)}
    refused = client.post(_page(scene.meeting, "/save"), data=form)
    assert refused.status_code == 422
    assert "Chưa lưu được biên bản" in refused.text
    assert "Đoạn văn mới" in refused.text
    mismatched = client.post(_page(scene.meeting, "/save"), data={"title": "X", "key": keys})
    assert mismatched.status_code == 422
    stored = minutes.get_minutes(session=session, meeting=scene.meeting)
    session.refresh(stored)
    assert stored.body == before


def test_the_minutes_page_is_for_managers_and_in_english_too(
    client: TestClient, scene: Scene
) -> None:
    login(client, scene.came)
    assert client.get(_page(scene.meeting)).status_code == 403
    assert client.post(_page(scene.meeting, "/draft")).status_code == 403
    login(client, scene.room.chair)
    english = client.get(_page(scene.meeting), params={"lang": "en"})
    assert english.status_code == 200
    assert "Draft the minutes from the meeting" in english.text
