"""The comment-round API (issue 17): a round on a draft PDF with its articles proposed, members
saving and submitting, the overview and comments for the secretariat and the drafting body
only, answers, reminders; every refusal a clear 4xx that changes nothing."""

import io
from datetime import timedelta
from typing import Any

import pytest
from docx import Document as WordDocument
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session, func, select

from models import AuditEntry, Event, Meeting, Person, Role, RoundComment, RoundResponse
from models.base import utcnow
from tests.api.test_notes import upload_pdf
from tests.factories import assert_error, invite, login, make_user

DRAFT = (
    "HỘI ĐỒNG NHÂN DÂN PHƯỜNG\n"
    "NGHỊ QUYẾT\n"
    "Về chỉnh trang vỉa hè năm 2027\n"
    "Chương I\n"
    "QUY ĐỊNH CHUNG\n"
    "Điều 1. Phạm vi điều chỉnh\n"
    "1. Nghị quyết này quy định việc sử dụng vỉa hè.\n"
    "2. Không áp dụng cho quốc lộ.\n"
    "Điều 2. Đối tượng áp dụng\n"
    "a) Hộ kinh doanh;\n"
    "b) Tổ chức, cá nhân có liên quan.\n"
)


@pytest.fixture
def members(session: Session, meeting: Meeting) -> list[Person]:
    people = [make_user(session, full_name=f"Đại Biểu Góp Ý {n}") for n in range(2)]
    for person in people:
        invite(session, meeting, person)
    return people


@pytest.fixture
def drafter(session: Session) -> Person:
    return make_user(session, role=Role.delegate, full_name="Phòng Kinh tế")


def create(client: TestClient, meeting: Meeting, drafter: Person, **fields: Any) -> Any:
    document_id = upload_pdf(client, meeting, DRAFT, title="Dự thảo Nghị quyết vỉa hè")
    body = {
        "document_id": document_id,
        "title": "Góp ý dự thảo Nghị quyết vỉa hè",
        "deadline": (utcnow() + timedelta(days=3)).isoformat(),
        "drafter_ids": [drafter.id],
        **fields,
    }
    response = client.post(f"/api/meetings/{meeting.id}/rounds", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def labels(round: Any) -> list[str]:
    return [section["label"] for section in round["sections"]]


def position(round: Any, label: str) -> int:
    return next(s["position"] for s in round["sections"] if s["label"] == label)


def test_a_round_proposes_the_drafts_articles_and_opens(
    clerk_client: TestClient, meeting: Meeting, drafter: Person, members: list[Person]
) -> None:
    round = create(clerk_client, meeting, drafter)
    assert round["structure_error"] == ""
    assert "Điều 1" in labels(round)
    assert "Điều 2" in labels(round)
    assert round["status"] == "draft"
    opened = clerk_client.post(f"/api/rounds/{round['id']}/open")
    assert opened.status_code == 200, opened.text
    assert opened.json()["status"] == "open"
    # Once open, the split stays as the members see it.
    assert_error(
        clerk_client.put(f"/api/rounds/{round['id']}/structure", json=round["sections"]),
        409,
        "RoundStateError",
    )


def test_the_secretariat_corrects_the_split_before_opening(
    clerk_client: TestClient, meeting: Meeting, drafter: Person, members: list[Person]
) -> None:
    round = create(clerk_client, meeting, drafter)
    sections = [s for s in round["sections"] if s["kind"] != "point"]
    sections = [dict(s, position=n) for n, s in enumerate(sections)]
    for s in sections:  # positions renumbered: parents follow
        if s["parent_position"] is not None and s["parent_position"] >= len(sections):
            s["parent_position"] = None
    answer = clerk_client.put(f"/api/rounds/{round['id']}/structure", json=sections)
    assert answer.status_code == 200, answer.text
    assert all(s["kind"] != "point" for s in answer.json()["sections"])
    bad = [dict(sections[0], parent_position=5)]  # a parent after its child
    assert_error(clerk_client.put(f"/api/rounds/{round['id']}/structure", json=bad), 422)
    kept = clerk_client.get(f"/api/rounds/{round['id']}").json()
    assert len(kept["sections"]) == len(sections)


def test_members_comment_and_only_overseers_see_everything(
    client: TestClient,
    clerk: Person,
    meeting: Meeting,
    drafter: Person,
    members: list[Person],
    session: Session,
) -> None:
    login(client, clerk)
    round = create(client, meeting, drafter)
    rid, article = round["id"], position(round, "Điều 1")
    client.post(f"/api/rounds/{rid}/open")

    login(client, members[0])
    assert client.get(f"/api/rounds/{rid}/mine").json()["status"] is None
    draft = {"comments": [{"section_position": article, "stance": "agree"}], "submit": False}
    assert client.put(f"/api/rounds/{rid}/mine", json=draft).json()["status"] == "draft"
    comment = {
        "section_position": article,
        "stance": "amend",
        "text": "Nên nói rõ phạm vi",
        "proposed_text": "Nghị quyết này quy định việc sử dụng tạm thời vỉa hè.",
    }
    sent = client.put(f"/api/rounds/{rid}/mine", json={"comments": [comment], "submit": True})
    assert sent.status_code == 200, sent.text
    assert sent.json()["submitted_revisions"] == 1
    assert_error(client.get(f"/api/rounds/{rid}/overview"), 403, "NotRoundMemberError")
    assert_error(client.get(f"/api/rounds/{rid}/comments"), 403)

    login(client, members[1])
    assert client.get(f"/api/rounds/{rid}/mine").json()["comments"] == []  # not theirs

    login(client, drafter)
    overview = client.get(f"/api/rounds/{rid}/overview").json()
    assert (overview["invited"], overview["answered"]) == (2, 1)
    assert [m["name"] for m in overview["missing"]] == ["Đại Biểu Góp Ý 1"]
    [seen] = client.get(f"/api/rounds/{rid}/comments").json()
    assert seen["author"] == "Đại Biểu Góp Ý 0"
    assert seen["proposed_text"].startswith("Nghị quyết này quy định")
    answer = {"verdict": "accepted", "text": "Đã sửa tại Điều 1, khoản 1."}
    answered = client.put(f"/api/rounds/{rid}/comments/{seen['id']}/answer", json=answer)
    assert answered.status_code == 200, answered.text
    [seen] = client.get(f"/api/rounds/{rid}/comments").json()
    assert seen["answer"]["verdict"] == "accepted"

    actions = set(session.exec(select(AuditEntry.action)).all())
    assert {"round.created", "round.opened", "round.submitted", "round.answered"} <= actions
    types = set(session.exec(select(Event.type).where(Event.meeting_id == meeting.id)).all())
    assert {"round.opened", "round.progress", "round.answered"} <= types


def test_bad_input_is_refused_and_nothing_changes(
    client: TestClient,
    clerk: Person,
    meeting: Meeting,
    drafter: Person,
    members: list[Person],
    session: Session,
) -> None:
    login(client, clerk)
    round = create(client, meeting, drafter)
    rid = round["id"]
    url = f"/api/meetings/{meeting.id}/rounds"
    assert_error(client.post(url, json={"document_id": 999_999, "title": "x"}), 404)
    past = (utcnow() - timedelta(hours=1)).isoformat()
    assert_error(
        client.post(
            url, json={"document_id": round["document_id"], "title": "x", "deadline": past}
        ),
        422,
        field="deadline",
    )
    assert_error(client.post(url, json={"document_id": round["document_id"], "title": ""}), 422)
    client.post(f"/api/rounds/{rid}/open")

    login(client, members[0])
    mine = f"/api/rounds/{rid}/mine"
    for comments in (
        [{"section_position": 9999, "stance": "agree"}],
        [{"section_position": None, "stance": "agree"}],
        [{"section_position": 1, "stance": "disagree"}],
        [{"section_position": 1, "stance": "maybe"}],
        "not a list",
    ):
        assert_error(client.put(mine, json={"comments": comments, "submit": True}), 422)
    assert_error(client.get("/api/rounds/999999"), 404)
    assert session.exec(select(func.count()).select_from(RoundResponse)).one() == 0
    assert session.exec(select(func.count()).select_from(RoundComment)).one() == 0
    assert_error(client.post(f"/api/rounds/{rid}/close"), 403)  # a member does not close it


def test_an_anonymous_round_names_nobody_over_the_api(
    client: TestClient, clerk: Person, meeting: Meeting, drafter: Person, members: list[Person]
) -> None:
    login(client, clerk)
    round = create(client, meeting, drafter, anonymous=True)
    rid, article = round["id"], position(round, "Điều 2")
    client.post(f"/api/rounds/{rid}/open")
    for member in members:
        login(client, member)
        body = {"comments": [{"section_position": article, "stance": "agree"}], "submit": True}
        assert client.put(f"/api/rounds/{rid}/mine", json=body).status_code == 200
    login(client, clerk)
    comments = client.get(f"/api/rounds/{rid}/comments").json()
    assert len(comments) == 2
    assert all(c["author"] is None for c in comments)
    text = client.get(f"/api/rounds/{rid}/comments").text
    assert all(member.full_name not in text for member in members)
    assert client.get(f"/api/rounds/{rid}/overview").json()["answered"] == 2


def test_remind_without_email_notifies_the_tablets(
    clerk_client: TestClient, meeting: Meeting, drafter: Person, members: list[Person]
) -> None:
    round = create(clerk_client, meeting, drafter)
    clerk_client.post(f"/api/rounds/{round['id']}/open")
    reminded = clerk_client.post(f"/api/rounds/{round['id']}/remind")
    assert reminded.status_code == 200, reminded.text
    assert reminded.json()["people"] == 2
    assert reminded.json()["emailed"] == []


def test_the_report_holds_every_comment_and_answer_and_is_final_once(
    client: TestClient, clerk: Person, meeting: Meeting, drafter: Person, members: list[Person]
) -> None:
    login(client, clerk)
    round = create(client, meeting, drafter)
    rid = round["id"]
    first, second = position(round, "Điều 1"), position(round, "Điều 2")
    client.post(f"/api/rounds/{rid}/open")
    said = [
        {"section_position": first, "stance": "disagree", "text": "Phạm vi quá rộng, cần thu hẹp"},
        {
            "section_position": second,
            "stance": "amend",
            "text": "Bổ sung hộ gia đình",
            "proposed_text": "a) Hộ kinh doanh và hộ gia đình;",
        },
    ]
    for member, comment in zip(members, said, strict=True):
        login(client, member)
        body = {"comments": [comment], "submit": True}
        assert client.put(f"/api/rounds/{rid}/mine", json=body).status_code == 200

    login(client, drafter)
    comments = client.get(f"/api/rounds/{rid}/comments").json()
    answers = ["Tiếp thu: thu hẹp phạm vi tại khoản 1", "Giải trình: hộ gia đình đã có"]
    for comment, verdict, text in zip(comments, ("accepted", "explained"), answers, strict=True):
        url = f"/api/rounds/{rid}/comments/{comment['id']}/answer"
        assert client.put(url, json={"verdict": verdict, "text": text}).status_code == 200
    draft = client.post(f"/api/rounds/{rid}/reports", json={})
    assert draft.status_code == 201, draft.text
    assert (draft.json()["version"], draft.json()["final"]) == (1, False)
    assert_error(client.post(f"/api/rounds/{rid}/reports", json={"final": True}), 409)

    login(client, clerk)
    client.post(f"/api/rounds/{rid}/close")
    login(client, drafter)
    final = client.post(f"/api/rounds/{rid}/reports", json={"final": True}).json()
    assert final["version"] == 2
    assert len(final["sha256"]) == 64
    assert_error(client.post(f"/api/rounds/{rid}/reports", json={}), 409, "RoundStateError")

    docx = client.get(f"/api/rounds/{rid}/reports/2.docx")
    assert docx.status_code == 200
    word = WordDocument(io.BytesIO(docx.content))
    cells = " ".join(c.text for t in word.tables for row in t.rows for c in row.cells)
    pdf = client.get(f"/api/rounds/{rid}/reports/2.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    printed = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.content)).pages
    )
    for words in [c["text"] for c in said] + answers + [m.full_name for m in members]:
        assert words in cells
        assert " ".join(words.split())[:25] in printed
    assert final["sha256"] in printed.replace(" ", "")
    assert_error(client.get(f"/api/rounds/{rid}/reports/9.pdf"), 404)
    login(client, members[0])
    assert_error(client.get(f"/api/rounds/{rid}/reports/2.pdf"), 403)
