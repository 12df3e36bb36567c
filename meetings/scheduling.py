"""Meetings, their agenda and invitations."""

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from core.errors import ConflictError
from meetings import lifecycle
from meetings.access import is_staff
from meetings.errors import (
    AgendaItemNotFoundError,
    AlreadyInvitedError,
    InvalidDataError,
    InvitationNotFoundError,
    MeetingStateError,
)
from meetings.lifecycle import TRANSITIONS as TRANSITIONS
from meetings.lifecycle import require_transition as require_transition
from meetings.people import get_person
from models import (
    AgendaItem,
    AgendaItemCreate,
    AgendaItemUpdate,
    Invitation,
    InvitationCreate,
    InvitationUpdate,
    Meeting,
    MeetingCreate,
    MeetingStatus,
    MeetingUpdate,
    Person,
    Reply,
)
from models.base import as_utc, utcnow
from models.events import record_event
from models.meeting import AGENDA_ITEMS_MAX


def create_meeting(*, session: Session, data: MeetingCreate, creator: Person) -> Meeting:
    """Schedule a new meeting in draft."""
    if data.chair_id is not None:
        get_person(session=session, person_id=data.chair_id)
    meeting = Meeting.model_validate(data, update={"created_by": creator.id})
    session.add(meeting)
    session.commit()
    return meeting


def update_meeting(*, session: Session, meeting: Meeting, data: MeetingUpdate) -> Meeting:
    """Change a meeting's details."""
    # A null means "no chair"; for any other detail (a title, the watermark setting) the
    # column holds no null, so a null sent leaves it as it is.
    changes = {
        name: value
        for name, value in data.model_dump(exclude_unset=True).items()
        if value is not None or name == "chair_id"
    }
    if changes.get("chair_id") is not None:
        get_person(session=session, person_id=changes["chair_id"])
    start = as_utc(changes.get("start_at") or meeting.start_at)
    end = as_utc(changes.get("end_at") or meeting.end_at)
    if end <= start:
        raise InvalidDataError("end_at must be after start_at", field="end_at")
    meeting.sqlmodel_update(changes)
    session.add(meeting)
    session.commit()
    return meeting


def change_status(*, session: Session, meeting: Meeting, status: MeetingStatus) -> Meeting:
    """Move the meeting along draft → scheduled → in progress → closed (or cancelled)."""
    require_transition(meeting, status)
    meeting.status = status
    session.add(meeting)
    assert meeting.id is not None
    record_event(session, meeting_id=meeting.id, type="meeting.status", data={"status": status})
    session.commit()
    return meeting


def list_meetings(
    *,
    session: Session,
    viewer: Person,
    when: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Meeting], int]:
    """A page of the meetings the viewer may see: upcoming (soonest first) or past."""
    query = select(Meeting)
    if not is_staff(viewer):
        invited = select(Invitation.meeting_id).where(Invitation.person_id == viewer.id)
        query = query.where((col(Meeting.id).in_(invited)) | (Meeting.chair_id == viewer.id))
    now = utcnow()
    if when == "upcoming":
        query = query.where(Meeting.end_at >= now).order_by(col(Meeting.start_at))
    elif when == "past":
        query = query.where(Meeting.end_at < now).order_by(col(Meeting.start_at).desc())
    else:
        query = query.order_by(col(Meeting.start_at).desc())
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    return list(session.exec(query.offset(offset).limit(limit))), total


def list_agenda(*, session: Session, meeting: Meeting) -> list[AgendaItem]:
    """The agenda in order."""
    query = select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
    return list(session.exec(query.order_by(col(AgendaItem.position), col(AgendaItem.id))))


def get_agenda_item(*, session: Session, meeting: Meeting, item_id: int) -> AgendaItem:
    """One item of this meeting's agenda."""
    item = session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting.id:
        raise AgendaItemNotFoundError(f"Agenda item {item_id} not found")
    return item


class AgendaFullError(ConflictError):
    """The agenda already holds as many items as one meeting's minutes can record."""


def add_agenda_item(*, session: Session, meeting: Meeting, data: AgendaItemCreate) -> AgendaItem:
    """Append an item to the agenda, refused past AGENDA_ITEMS_MAX items.

    The cap is the agenda's, not the minutes': a secretariat expects the minutes of any
    agenda it could build to draft, so the agenda stops where the minutes would (two
    sections per item), with a message saying so, rather than failing at the end."""
    count, last = session.exec(
        select(func.count(), func.max(AgendaItem.position)).where(
            AgendaItem.meeting_id == meeting.id
        )
    ).one()
    if count >= AGENDA_ITEMS_MAX:
        raise AgendaFullError(
            f"The agenda already holds {AGENDA_ITEMS_MAX} items, the most one meeting's "
            "minutes can record: merge items or split the meeting"
        )
    assert meeting.id is not None
    item = AgendaItem.model_validate(
        data, update={"meeting_id": meeting.id, "position": (last or 0) + 1}
    )
    session.add(item)
    _agenda_changed(session, meeting.id)
    session.commit()
    return item


def _agenda_changed(session: Session, meeting_id: int | None) -> None:
    assert meeting_id is not None
    record_event(session, meeting_id=meeting_id, type="agenda.changed")


def _given(data: SQLModel) -> dict[str, Any]:
    # An update's fields that were sent and not null: every column they change is NOT NULL,
    # so a null leaves the value as it is rather than failing the commit.
    return {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}


def update_agenda_item(*, session: Session, item: AgendaItem, data: AgendaItemUpdate) -> AgendaItem:
    """Change an agenda item's title, presenter or planned minutes."""
    item.sqlmodel_update(_given(data))
    session.add(item)
    _agenda_changed(session, item.meeting_id)
    session.commit()
    return item


def delete_agenda_item(*, session: Session, item: AgendaItem) -> None:
    """Remove an agenda item; its documents stay in the meeting, unassigned."""
    session.delete(item)
    _agenda_changed(session, item.meeting_id)
    session.commit()


def reorder_agenda(*, session: Session, meeting: Meeting, item_ids: list[int]) -> list[AgendaItem]:
    """Put the agenda in the given order; the list must name every item exactly once."""
    items = {item.id or 0: item for item in list_agenda(session=session, meeting=meeting)}
    if sorted(item_ids) != sorted(items):
        raise InvalidDataError("item_ids must list every agenda item once", field="item_ids")
    for position, item_id in enumerate(item_ids, start=1):
        items[item_id].position = position
        session.add(items[item_id])
    _agenda_changed(session, meeting.id)
    session.commit()
    return list_agenda(session=session, meeting=meeting)


def move_agenda_item(*, session: Session, item: AgendaItem, offset: int) -> None:
    """Move an item up (-1) or down (+1) by one place."""
    meeting = session.get(Meeting, item.meeting_id)
    assert meeting is not None
    ids = [each.id for each in list_agenda(session=session, meeting=meeting)]
    index = ids.index(item.id)
    target = max(0, min(len(ids) - 1, index + offset))
    ids.insert(target, ids.pop(index))
    reorder_agenda(session=session, meeting=meeting, item_ids=[i for i in ids if i is not None])


def list_invitations(*, session: Session, meeting: Meeting) -> list[tuple[Invitation, Person]]:
    """The invitations with their people, by name."""
    query = (
        select(Invitation, Person)
        .join(Person, col(Person.id) == Invitation.person_id)
        .where(Invitation.meeting_id == meeting.id)
        .order_by(col(Person.full_name))
    )
    return [(invitation, person) for invitation, person in session.exec(query)]


def get_invitation(*, session: Session, meeting: Meeting, invitation_id: int) -> Invitation:
    """One invitation of this meeting."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.meeting_id != meeting.id:
        raise InvitationNotFoundError(f"Invitation {invitation_id} not found")
    return invitation


class InvitationsClosedError(MeetingStateError):
    """The meeting is over: its invitations are the record of who was asked, and stay."""


def require_invitations_open(meeting: Meeting) -> None:
    """Raise unless invitations may be added, changed or withdrawn: until the meeting is over
    (closed or cancelled), as for sending them and replying (meetings.lifecycle.is_over)."""
    if lifecycle.is_over(meeting):
        raise InvitationsClosedError(
            "This meeting is over or cancelled; its invitations can no longer change"
        )


def invite(*, session: Session, meeting: Meeting, data: InvitationCreate) -> Invitation:
    """Invite a person; inviting someone twice is a conflict."""
    require_invitations_open(meeting)
    get_person(session=session, person_id=data.person_id)
    exists = session.exec(
        select(Invitation.id).where(
            Invitation.meeting_id == meeting.id, Invitation.person_id == data.person_id
        )
    ).first()
    if exists is not None:
        raise AlreadyInvitedError("This person is already invited", field="person_id")
    assert meeting.id is not None
    invitation = Invitation.model_validate(data, update={"meeting_id": meeting.id})
    session.add(invitation)
    session.commit()
    return invitation


def update_invitation(
    *, session: Session, invitation: Invitation, data: InvitationUpdate
) -> Invitation:
    """Change the role, voting right or seat of an invitation."""
    _require_open_for(session, invitation)
    invitation.sqlmodel_update(_given(data))
    session.add(invitation)
    session.commit()
    return invitation


def remove_invitation(*, session: Session, invitation: Invitation) -> None:
    """Withdraw an invitation."""
    _require_open_for(session, invitation)
    session.delete(invitation)
    session.commit()


def _require_open_for(session: Session, invitation: Invitation) -> None:
    meeting = session.get(Meeting, invitation.meeting_id)
    assert meeting is not None
    require_invitations_open(meeting)


def reply_to_invitation(
    *, session: Session, invitation: Invitation, reply: Reply, reason: str = ""
) -> Invitation:
    """The invitee accepts or declines (a decline should say why)."""
    if reply == Reply.invited:
        raise InvalidDataError("A reply is accepted or declined", field="reply")
    invitation.reply = reply
    invitation.reply_reason = reason.strip()
    invitation.replied_at = utcnow()
    session.add(invitation)
    session.commit()
    return invitation


def meeting_window(meeting: Meeting) -> tuple[datetime, datetime]:
    """Start and end as aware UTC datetimes."""
    return as_utc(meeting.start_at), as_utc(meeting.end_at)
