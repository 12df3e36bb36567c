"""The live layer through the meeting websocket: resume, refusals, filtering, rollback."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.websockets import WebSocketDisconnect

from meetings import live, scheduling
from models import Meeting, MeetingStatus, Person, Role
from models.events import PUBLISH, CommittedEvent, record_event
from tests.factories import (
    ORIGIN,
    invite,
    login,
    make_meeting,
    make_person,
    pdf_bytes,
    receive_until,
)
from web.hub import Client, Delivery, Hub


@contextmanager
def socket(client: TestClient, meeting: Meeting, after: int | None = None) -> Iterator[Any]:
    query = "" if after is None else f"?after={after}"
    with client.websocket_connect(f"/ws/meetings/{meeting.id}{query}", headers=ORIGIN) as ws:
        yield ws


def upload_and_publish(client: TestClient, meeting: Meeting, title: str) -> int:
    response = client.post(
        f"/api/meetings/{meeting.id}/documents",
        data={"title": title},
        files={"file": (f"{title}.pdf", pdf_bytes(title), "application/pdf")},
    )
    assert response.status_code == 201, response.text
    doc_id: int = response.json()["id"]
    assert client.post(f"/api/documents/{doc_id}/publish").status_code == 200
    return doc_id


def assert_refused(client: TestClient, meeting: Meeting, headers: dict[str, str]) -> None:
    """The handshake is refused with a policy violation, before anything is sent."""
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        client.websocket_connect(f"/ws/meetings/{meeting.id}", headers=headers),
    ):
        pass
    assert refused.value.code == 1008


@pytest.fixture
def people(session: Session) -> tuple[Person, Person, Meeting]:
    clerk = make_person(session, role=Role.secretariat)
    delegate = make_person(session)
    meeting = make_meeting(session, creator=clerk)
    invite(session, meeting, delegate)
    return clerk, delegate, meeting


def test_first_connect_gets_a_snapshot_then_live_events(
    client: TestClient, people: tuple[Person, Person, Meeting]
) -> None:
    clerk, _, meeting = people
    login(client, clerk)
    with socket(client, meeting) as ws:
        first = ws.receive_json()
        assert first["type"] == "snapshot"
        assert first["data"]["meeting"]["id"] == meeting.id
        doc_id = upload_and_publish(client, meeting, "To trinh")
        added = ws.receive_json()
        assert added["type"] == "document.added"
        assert added["seq"] == first["seq"] + 1
        published = ws.receive_json()
        assert published["type"] == "document.published"
        assert published["data"]["document_id"] == doc_id


def test_resume_delivers_exactly_the_missed_events_in_order(
    client: TestClient, session: Session, people: tuple[Person, Person, Meeting]
) -> None:
    clerk, delegate, meeting = people
    login(client, delegate)
    with socket(client, meeting) as ws:
        last_seen = ws.receive_json()["seq"]
    login(client, clerk)
    for n in range(3):
        upload_and_publish(client, meeting, f"Doc {n}")
    login(client, delegate)
    with socket(client, meeting, after=last_seen) as ws:
        received = [ws.receive_json() for _ in range(3)]
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
    # Drafts ("document.added") are for managers only: the delegate sees just the publications.
    assert [m["type"] for m in received] == ["document.published"] * 3
    assert [m["data"]["title"] for m in received] == ["Doc 0", "Doc 1", "Doc 2"]
    seqs = [m["seq"] for m in received]
    assert seqs == sorted(seqs)
    assert seqs[0] > last_seen


def test_live_events_for_managers_reach_managers_only(
    client: TestClient, session: Session, people: tuple[Person, Person, Meeting]
) -> None:
    clerk, delegate, meeting = people
    login(client, delegate)
    with socket(client, meeting) as delegate_ws:
        start = delegate_ws.receive_json()["seq"]
        login(client, clerk)
        with socket(client, meeting) as clerk_ws:
            clerk_ws.receive_json()  # the snapshot
            upload_and_publish(client, meeting, "Dự thảo nghị quyết")
            seen_by_clerk = [clerk_ws.receive_json()["type"] for _ in range(2)]
        first = delegate_ws.receive_json()
    assert seen_by_clerk == ["document.added", "document.published"]
    # The draft's event is not sent to the delegate; its sequence number is passed over.
    assert first["type"] == "document.published"
    assert first["seq"] == start + 2


def test_a_client_too_far_behind_gets_a_snapshot(
    client: TestClient, session: Session, people: tuple[Person, Person, Meeting]
) -> None:
    clerk, _, meeting = people
    login(client, clerk)
    for n in range(3):
        upload_and_publish(client, meeting, f"Doc {n}")
    live.prune_events(session, meeting_id=meeting.id or 0, keep_last=1)
    with socket(client, meeting, after=1) as ws:
        assert ws.receive_json()["type"] == "snapshot"


def test_wrong_origin_is_refused(
    client: TestClient, people: tuple[Person, Person, Meeting]
) -> None:
    clerk, _, meeting = people
    login(client, clerk)
    assert_refused(client, meeting, {"origin": "http://evil.example"})


def test_missing_login_is_refused(
    client: TestClient, people: tuple[Person, Person, Meeting]
) -> None:
    _, _, meeting = people
    client.cookies.clear()
    assert_refused(client, meeting, ORIGIN)


def test_a_delegate_of_another_meeting_cannot_subscribe(
    client: TestClient, session: Session, people: tuple[Person, Person, Meeting]
) -> None:
    clerk, _, meeting = people
    outsider = make_person(session)
    other = make_meeting(session, creator=clerk, title="Another")
    invite(session, other, outsider)
    login(client, outsider)
    assert_refused(client, meeting, ORIGIN)


def test_device_token_follows_its_meeting(
    client: TestClient, session: Session, people: tuple[Person, Person, Meeting]
) -> None:
    clerk, _, meeting = people
    login(client, clerk)
    issued = client.post(
        "/api/devices", json={"name": "Projector", "kind": "projector", "meeting_id": meeting.id}
    ).json()
    client.cookies.clear()
    url = f"/ws/meetings/{meeting.id}?token={issued['token']}"
    with client.websocket_connect(url) as ws:
        assert ws.receive_json()["type"] == "snapshot"


def test_bad_messages_get_errors_and_the_socket_stays_open(
    client: TestClient, people: tuple[Person, Person, Meeting]
) -> None:
    clerk, _, meeting = people
    login(client, clerk)
    with socket(client, meeting) as ws:
        ws.receive_json()
        ws.send_text("not json")
        assert ws.receive_json()["error"] == "InvalidMessage"
        ws.send_json({"type": "launch-missiles"})
        assert ws.receive_json()["error"] == "UnknownType"
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_meeting_status_and_current_item_reach_screens(
    client: TestClient, session: Session, people: tuple[Person, Person, Meeting]
) -> None:
    clerk, delegate, meeting = people
    login(client, delegate)
    with socket(client, meeting) as ws:
        ws.receive_json()
        session.info[PUBLISH] = client.app.state.hop.hub.publish_threadsafe  # type: ignore[attr-defined]
        scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.scheduled)
        # The current item is set in a running meeting only (meetings.lifecycle).
        scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.in_progress)
        item = scheduling.list_agenda(session=session, meeting=meeting)[0]
        live.set_current_item(session, meeting=meeting, item_id=item.id)
        assert receive_until(ws, "meeting.status")["data"]["status"] == "scheduled"
        assert receive_until(ws, "meeting.current_item")["data"]["item_id"] == item.id


def test_a_rolled_back_change_publishes_nothing(
    session: Session, people: tuple[Person, Person, Meeting]
) -> None:
    _, _, meeting = people
    published: list[CommittedEvent] = []
    session.info[PUBLISH] = published.extend
    record_event(session, meeting_id=meeting.id or 0, type="test.rolled_back")
    session.rollback()
    assert published == []
    record_event(session, meeting_id=meeting.id or 0, type="test.committed")
    session.commit()
    assert [event.type for event in published] == ["test.committed"]


def test_a_client_that_never_reads_does_not_delay_the_others() -> None:
    async def scenario() -> None:
        hub = Hub()
        await hub.start()
        cut_off: list[bool] = []
        stuck = Client(meeting_id=1, is_manager=False, on_overflow=lambda: cut_off.append(True))
        reader = Client(meeting_id=1, is_manager=False)
        hub.join(stuck)
        hub.join(reader)
        received = 0
        for seq in range(1, 2001):
            hub.deliver([CommittedEvent(1, seq, "test", {}, "everyone")])
            while not reader.queue.empty():
                item = reader.queue.get_nowait()
                assert isinstance(item, Delivery)
                received += 1
        assert received == 2000
        assert cut_off == [True]
        assert stuck.overflowed
        await hub.stop()

    asyncio.run(scenario())


def test_managers_only_events_are_hidden_from_delegates() -> None:
    async def scenario() -> None:
        hub = Hub()
        manager = Client(meeting_id=7, is_manager=True)
        delegate = Client(meeting_id=7, is_manager=False)
        hub.join(manager)
        hub.join(delegate)
        hub.deliver([CommittedEvent(7, 1, "document.added", {"title": "draft"}, "managers")])
        # One delivery for both, marked: each socket's sender drops it for a delegate
        # (whose sequence still moves past it); see the websocket test below.
        shown, marked = manager.queue.get_nowait(), delegate.queue.get_nowait()
        assert isinstance(shown, Delivery)
        assert shown is marked
        assert shown.text is not None
        assert "draft" in shown.text
        assert shown.managers_only
        assert shown.seq == 1

    asyncio.run(scenario())


def test_room_page_follows_the_meeting_and_serves_its_live_fragments(
    client: TestClient, people: tuple[Person, Person, Meeting]
) -> None:
    clerk, delegate, meeting = people
    login(client, clerk)
    upload_and_publish(client, meeting, "Báo cáo tổng hợp")
    login(client, delegate)
    page = client.get(f"/room/{meeting.id}")
    assert f'data-live-meeting="{meeting.id}"' in page.text
    assert "/static/live.js" in page.text
    documents = client.get(f"/room/{meeting.id}/fragments/documents")
    assert documents.status_code == 200
    assert "Báo cáo tổng hợp" in documents.text
    assert "<html" not in documents.text
    agenda = client.get(f"/room/{meeting.id}/fragments/agenda")
    assert "data-agenda-item" in agenda.text
    assert client.get(f"/room/{meeting.id}/fragments/secrets").status_code == 422


def test_attendance_totals_reach_screens_coalesced_and_absolute(
    client: TestClient, session: Session, people: tuple[Person, Person, Meeting]
) -> None:
    from checkin.attendance import record_check_in
    from models.attendance import AttendanceMethod

    clerk, delegate, meeting = people
    others = [make_person(session) for _ in range(3)]
    for other in others:
        invite(session, meeting, other)
    login(client, clerk)
    with socket(client, meeting) as ws:
        ws.receive_json()
        session.info[PUBLISH] = client.app.state.hop.hub.publish_threadsafe  # type: ignore[attr-defined]
        for person in [delegate, *others]:
            record_check_in(
                session=session,
                meeting=meeting,
                person_id=person.id or 0,
                method=AttendanceMethod.manual,
                operator_id=clerk.id,
            )
        seen: list[dict[str, Any]] = []
        while not seen or seen[-1]["present"] < 4:
            message = receive_until(ws, "progress")
            assert message["data"]["subject"] == "attendance"
            seen.append(message["data"])
    # Four check-ins in a burst are coalesced into fewer messages, never going backwards.
    assert len(seen) < 4
    presents = [data["present"] for data in seen]
    assert presents == sorted(presents)
    assert seen[-1]["invited"] == 4
    assert seen[-1]["quorum_required"] == 3  # two thirds of 4 members with a voting right
    assert seen[-1]["quorum_met"] is True
    page = client.get(f"/meetings/{meeting.id}/edit")
    assert 'data-progress="attendance"' in page.text
