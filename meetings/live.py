"""What a live screen needs from the database: missed events, a fresh snapshot, and the
meeting-level changes (status, current agenda item) that every screen follows."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from meetings import lifecycle
from meetings.access import can_manage
from meetings.documents import list_documents
from meetings.scheduling import get_agenda_item, list_agenda
from models import Audience, Event, Meeting, Person
from models.events import record_event

BACKLOG_LIMIT = 2000


@dataclass(frozen=True)
class Backlog:
    """Events after a sequence number; hidden ones (not for this viewer) have data None."""

    events: list[tuple[int, dict[str, Any] | None]]
    last_seq: int


def events_after(
    session: Session, *, meeting: Meeting, after: int, is_manager: bool
) -> Backlog | None:
    """The events after `after`, or None when they are no longer all kept (send a snapshot)."""
    assert meeting.id is not None
    if after > meeting.event_seq or after < 0 or meeting.event_seq - after > BACKLOG_LIMIT:
        return None
    rows = session.exec(
        select(Event)
        .where(Event.meeting_id == meeting.id, col(Event.seq) > after)
        .order_by(col(Event.seq))
        .limit(BACKLOG_LIMIT + 1)
    ).all()
    # Sequence numbers have no gaps (a rolled-back change gives its number back), so a first
    # row other than after + 1, or none while the meeting is further on, means pruned events.
    first = rows[0].seq if rows else meeting.event_seq + 1
    if first != after + 1 or len(rows) > BACKLOG_LIMIT:
        return None
    events = [
        (row.seq, _message(row) if is_manager or row.audience == Audience.everyone else None)
        for row in rows
    ]
    return Backlog(events=events, last_seq=events[-1][0] if events else after)


def _message(row: Event) -> dict[str, Any]:
    return {"seq": row.seq, "type": row.type, "data": row.data}


def snapshot(session: Session, *, meeting: Meeting, viewer: Person | None) -> dict[str, Any]:
    """The state a screen starts from: meeting, agenda, visible documents."""
    documents = (
        list_documents(session=session, meeting=meeting, viewer=viewer)
        if viewer is not None
        else []
    )
    return {
        "meeting": {
            "id": meeting.id,
            "title": meeting.title,
            "status": meeting.status,
            "current_item_id": meeting.current_item_id,
        },
        "agenda": [
            {"id": item.id, "title": item.title, "position": item.position}
            for item in list_agenda(session=session, meeting=meeting)
        ],
        "documents": [doc.model_dump(mode="json") for doc in documents],
    }


def set_current_item(session: Session, *, meeting: Meeting, item_id: int | None) -> Meeting:
    """The chair moves the meeting to an agenda item (or none); every screen follows."""
    lifecycle.require(session, meeting, lifecycle.Action.set_current_item)
    title = None
    if item_id is not None:
        title = get_agenda_item(session=session, meeting=meeting, item_id=item_id).title
    meeting.current_item_id = item_id
    session.add(meeting)
    assert meeting.id is not None
    record_event(
        session,
        meeting_id=meeting.id,
        type="meeting.current_item",
        data={"item_id": item_id, "title": title},
    )
    session.commit()
    return meeting


def viewer_manages(session: Session, *, meeting: Meeting, viewer: Person | None) -> bool:
    return viewer is not None and can_manage(session, meeting=meeting, viewer=viewer)


def prune_events(session: Session, *, meeting_id: int, keep_last: int) -> int:
    """Drop all but the newest events of a meeting; screens further behind get a snapshot."""
    newest = session.exec(select(func.max(Event.seq)).where(Event.meeting_id == meeting_id)).one()
    if newest is None:
        return 0
    result = session.execute(
        delete(Event).where(
            col(Event.meeting_id) == meeting_id, col(Event.seq) <= newest - keep_last
        )
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
