"""Who sees and who changes what: staff everything, the chair their meeting, a delegate only
their meetings and published documents; what someone may not see answers 404."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from models import Document, Meeting, MeetingRole, Person, Role
from models.base import utcnow
from tests.factories import (
    assert_error,
    invite,
    login,
    make_document,
    make_meeting,
    make_user,
    pdf_bytes,
    upload,
)


@dataclass
class World:
    clerk: Person
    chair: Person
    delegate: Person
    mine: Meeting  # the delegate is invited; chaired by chair
    other: Meeting  # the delegate is not invited
    published: Document  # in mine
    draft: Document  # in mine
    foreign: Document  # published, in other


@pytest.fixture
def world(client: TestClient, session: Session) -> World:
    clerk = make_user(session, role=Role.secretariat)
    chair = make_user(session)
    delegate = make_user(session)
    mine = make_meeting(session, creator=clerk, chair=chair, title="Họp của tôi")
    other = make_meeting(session, creator=clerk, title="Họp khác")
    invite(session, mine, delegate)
    invite(session, other, make_user(session))
    return World(
        clerk=clerk,
        chair=chair,
        delegate=delegate,
        mine=mine,
        other=other,
        published=make_document(session, client, mine, clerk, title="Công khai", publish=True),
        draft=make_document(session, client, mine, clerk, title="Dự thảo"),
        foreign=make_document(session, client, other, clerk, title="Khác", publish=True),
    )


def meeting_urls(meeting_id: int | None) -> list[str]:
    base = f"/api/meetings/{meeting_id}"
    return [
        base,
        f"{base}/agenda",
        f"{base}/invitations",
        f"{base}/documents",
        f"{base}/calendar.ics",
    ]


def document_urls(document_id: int | None) -> list[str]:
    base = f"/api/documents/{document_id}"
    return [base, f"{base}/content", f"{base}/versions"]


def test_delegate_lists_only_their_meetings(client: TestClient, world: World) -> None:
    login(client, world.delegate)
    page = client.get("/api/meetings").json()
    assert [item["id"] for item in page["items"]] == [world.mine.id]
    assert page["total"] == 1


def test_delegate_sees_their_meeting(client: TestClient, world: World) -> None:
    login(client, world.delegate)
    for url in meeting_urls(world.mine.id):
        assert client.get(url).status_code == 200, url


def test_another_meeting_is_not_found_for_a_delegate(client: TestClient, world: World) -> None:
    login(client, world.delegate)
    for url in meeting_urls(world.other.id) + document_urls(world.foreign.id):
        assert_error(client.get(url), 404)


def test_delegate_sees_only_published_documents(client: TestClient, world: World) -> None:
    login(client, world.delegate)
    listed = client.get(f"/api/meetings/{world.mine.id}/documents").json()
    assert [doc["id"] for doc in listed] == [world.published.id]
    for url in document_urls(world.published.id):
        assert client.get(url).status_code == 200, url
    for url in document_urls(world.draft.id):
        assert_error(client.get(url), 404, "DocumentNotFoundError")


def test_delegate_sees_only_their_own_invitation(
    client: TestClient, session: Session, world: World
) -> None:
    invite(session, world.mine, make_user(session))
    login(client, world.delegate)
    listed = client.get(f"/api/meetings/{world.mine.id}/invitations").json()
    assert [row["person_id"] for row in listed] == [world.delegate.id]


def write_calls(meeting: Meeting, document: Document, item_id: int) -> list[tuple[str, str, dict]]:
    base = f"/api/meetings/{meeting.id}"
    return [
        ("PATCH", base, {"title": "Đổi"}),
        ("POST", f"{base}/status", {"status": "scheduled"}),
        ("POST", f"{base}/agenda", {"title": "Thêm"}),
        ("PATCH", f"{base}/agenda/{item_id}", {"title": "Đổi"}),
        ("PUT", f"{base}/agenda/order", {"item_ids": [item_id]}),
        ("DELETE", f"{base}/agenda/{item_id}", {}),
        ("POST", f"{base}/invitations", {"person_id": 1}),
        ("PATCH", f"/api/documents/{document.id}", {"title": "Đổi"}),
        ("POST", f"/api/documents/{document.id}/publish", {}),
        ("DELETE", f"/api/documents/{document.id}", {}),
    ]


def first_item_id(session: Session, meeting: Meeting) -> int:
    from meetings.scheduling import list_agenda

    item_id = list_agenda(session=session, meeting=meeting)[0].id
    assert item_id is not None
    return item_id


def test_delegate_cannot_change_their_meeting(
    client: TestClient, session: Session, world: World
) -> None:
    login(client, world.delegate)
    for method, url, body in write_calls(
        world.mine, world.published, first_item_id(session, world.mine)
    ):
        assert_error(client.request(method, url, json=body or None), 403, "NotAllowedError")
    assert_error(upload(client, world.mine.id), 403)
    new_version = client.post(
        f"/api/documents/{world.published.id}/versions",
        files={"file": ("v2.pdf", pdf_bytes("v2"), "application/pdf")},
    )
    assert_error(new_version, 403)
    session.expire_all()
    unchanged = session.get(Meeting, world.mine.id)
    assert unchanged is not None
    assert unchanged.title == "Họp của tôi"
    assert unchanged.status == "draft"
    assert len(session.exec(select(Document)).all()) == 3


def test_delegate_changes_to_other_meetings_are_not_found(
    client: TestClient, session: Session, world: World
) -> None:
    login(client, world.delegate)
    for method, url, body in write_calls(
        world.other, world.foreign, first_item_id(session, world.other)
    ):
        assert_error(client.request(method, url, json=body or None), 404)
    assert_error(upload(client, world.other.id), 404)


def test_delegate_cannot_create_meetings_or_people(client: TestClient, world: World) -> None:
    login(client, world.delegate)
    start = utcnow() + timedelta(days=1)
    meeting = {
        "title": "Họp chui",
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=1)).isoformat(),
    }
    assert_error(client.post("/api/meetings", json=meeting), 403, "NotAllowedError")
    person = {"username": "newbie", "full_name": "Người Mới"}
    assert_error(client.post("/api/people", json=person), 403)
    assert_error(client.get("/api/people"), 403)
    assert_error(client.get(f"/api/people/{world.delegate.id}"), 403)
    assert_error(client.patch(f"/api/people/{world.delegate.id}", json={"role": "admin"}), 403)


def manage_meeting(client: TestClient, meeting: Meeting, person_id: int | None) -> None:
    """Every change a manager may make to a meeting, asserting each succeeds."""
    base = f"/api/meetings/{meeting.id}"
    assert client.patch(base, json={"location": "Phòng 201"}).status_code == 200
    item = client.post(f"{base}/agenda", json={"title": "Thảo luận"})
    assert item.status_code == 201
    item_id = item.json()["id"]
    assert client.patch(f"{base}/agenda/{item_id}", json={"presenter": "Ông A"}).status_code == 200
    invited = client.post(f"{base}/invitations", json={"person_id": person_id})
    assert invited.status_code == 201
    assert (
        client.patch(
            f"{base}/invitations/{invited.json()['id']}", json={"seat_label": "B2"}
        ).status_code
        == 200
    )
    document = upload(client, meeting.id)
    assert document.status_code == 201
    document_id = document.json()["id"]
    assert client.post(f"/api/documents/{document_id}/publish").status_code == 200
    assert client.patch(f"/api/documents/{document_id}", json={"title": "Mới"}).status_code == 200
    assert client.post(f"{base}/status", json={"status": "scheduled"}).status_code == 200


def test_chair_manages_their_meeting(client: TestClient, session: Session, world: World) -> None:
    guest = make_user(session)
    login(client, world.chair)
    manage_meeting(client, world.mine, guest.id)
    listed = client.get(f"/api/meetings/{world.mine.id}/documents").json()
    assert {doc["title"] for doc in listed} >= {"Dự thảo", "Mới"}  # the chair sees drafts


def test_chair_by_invitation_manages_the_meeting(
    client: TestClient, session: Session, world: World
) -> None:
    co_chair = make_user(session)
    invite(session, world.other, co_chair, role=MeetingRole.chair)
    login(client, co_chair)
    manage_meeting(client, world.other, world.delegate.id)


def test_chair_cannot_create_meetings_or_people(client: TestClient, world: World) -> None:
    login(client, world.chair)
    start = utcnow() + timedelta(days=1)
    meeting = {
        "title": "Họp mới",
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(hours=1)).isoformat(),
    }
    assert_error(client.post("/api/meetings", json=meeting), 403)
    assert_error(client.post("/api/people", json={"username": "x1", "full_name": "X"}), 403)


def test_chair_cannot_touch_a_meeting_they_do_not_chair(
    client: TestClient, session: Session, world: World
) -> None:
    login(client, world.chair)
    assert_error(client.get(f"/api/meetings/{world.other.id}"), 404)
    assert_error(client.patch(f"/api/meetings/{world.other.id}", json={"title": "X"}), 404)
    assert_error(client.post(f"/api/documents/{world.foreign.id}/publish"), 404)


def test_invited_observer_cannot_manage(client: TestClient, session: Session, world: World) -> None:
    observer = make_user(session)
    invite(session, world.mine, observer, role=MeetingRole.observer)
    login(client, observer)
    assert client.get(f"/api/meetings/{world.mine.id}").status_code == 200
    assert_error(client.patch(f"/api/meetings/{world.mine.id}", json={"title": "X"}), 403)


@pytest.mark.parametrize("role", [Role.secretariat, Role.admin])
def test_staff_manage_every_meeting(
    client: TestClient, session: Session, world: World, role: Role
) -> None:
    staff = make_user(session, role=role)
    login(client, staff)
    page = client.get("/api/meetings").json()
    assert {item["id"] for item in page["items"]} == {world.mine.id, world.other.id}
    manage_meeting(client, world.other, world.chair.id)
    for url in document_urls(world.draft.id):
        assert client.get(url).status_code == 200, url
    assert client.get("/api/people").status_code == 200


def test_anonymous_gets_401_everywhere(client: TestClient, world: World) -> None:
    for url in [*meeting_urls(world.mine.id), *document_urls(world.published.id), "/api/people"]:
        assert_error(client.get(url), 401, "NotAuthenticatedError")
    assert_error(upload(client, world.mine.id), 401)
