"""Writing to the event log: in the caller's transaction, published only after it commits.

A service calls record_event() before its commit. The row and the meeting's sequence counter
change in the same transaction as the change itself. Whoever opened the session may put a
callable under session.info["publish"]; it receives the committed events, and never sees
events of a rolled-back transaction.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import update
from sqlmodel import Session, col

from models.event import Audience, Event
from models.meeting import Meeting

PENDING = "hop_pending_events"
PUBLISH = "publish"


@dataclass(frozen=True)
class CommittedEvent:
    """What is published of an event: a snapshot taken when it was recorded."""

    meeting_id: int
    seq: int
    type: str
    data: dict[str, Any]
    audience: str

    def message(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "data": self.data}


Publisher = Callable[[list[CommittedEvent]], None]


def record_event(
    session: Session,
    *,
    meeting_id: int,
    type: str,
    data: dict[str, Any] | None = None,
    audience: Audience = Audience.everyone,
) -> Event:
    """Append an event to the meeting's log in the current transaction."""
    # UPDATE … RETURNING takes the row lock on PostgreSQL, so concurrent writers get
    # consecutive numbers; SQLite serialises writers anyway.
    seq = session.execute(
        update(Meeting)
        .where(col(Meeting.id) == meeting_id)
        .values(event_seq=col(Meeting.event_seq) + 1)
        .returning(col(Meeting.event_seq))
    ).scalar_one()
    row = Event(meeting_id=meeting_id, seq=seq, type=type, data=data or {}, audience=audience)
    session.add(row)
    snapshot = CommittedEvent(meeting_id, seq, type, dict(row.data), str(audience))
    session.info.setdefault(PENDING, []).append(snapshot)
    return row


@sa_event.listens_for(Session, "after_commit")
def _publish_committed(session: Session) -> None:
    pending: list[CommittedEvent] = session.info.pop(PENDING, [])
    publish: Publisher | None = session.info.get(PUBLISH)
    if pending and publish is not None:
        publish(pending)


@sa_event.listens_for(Session, "after_rollback")
def _drop_rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)
