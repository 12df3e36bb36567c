"""Meetings, agenda, invitations and the calendar entry."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from meetings import access, control, invitations, scheduling
from meetings.calendar import meeting_ics
from meetings.errors import InvitationNotFoundError
from models import (
    AgendaItemCreate,
    AgendaItemPublic,
    AgendaItemUpdate,
    AgendaOrder,
    InvitationCreate,
    InvitationPublic,
    InvitationReply,
    InvitationUpdate,
    MeetingCreate,
    MeetingPublic,
    MeetingStatusChange,
    MeetingUpdate,
)
from models.meeting import InvitationBulk
from models.pagination import Page
from web.deps import CurrentUser, ManagedMeetingDep, MeetingDep, SessionDep, StaffUser

router = APIRouter(tags=["meetings"])


@router.get("/meetings")
def list_meetings(
    session: SessionDep,
    person: CurrentUser,
    when: Literal["upcoming", "past"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[MeetingPublic]:
    """The meetings the caller may see."""
    rows, total = scheduling.list_meetings(
        session=session, viewer=person, when=when, limit=limit, offset=offset
    )
    items = [MeetingPublic.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/meetings", status_code=201)
def create_meeting(data: MeetingCreate, session: SessionDep, staff: StaffUser) -> MeetingPublic:
    """Schedule a meeting (draft)."""
    meeting = scheduling.create_meeting(session=session, data=data, creator=staff)
    return MeetingPublic.model_validate(meeting)


@router.get("/meetings/{meeting_id}")
def get_meeting(meeting: MeetingDep) -> MeetingPublic:
    """One meeting."""
    return MeetingPublic.model_validate(meeting)


@router.patch("/meetings/{meeting_id}")
def update_meeting(
    data: MeetingUpdate, meeting: ManagedMeetingDep, session: SessionDep
) -> MeetingPublic:
    """Change a meeting's details."""
    return MeetingPublic.model_validate(
        scheduling.update_meeting(session=session, meeting=meeting, data=data)
    )


@router.post("/meetings/{meeting_id}/status")
def change_status(
    data: MeetingStatusChange, meeting: ManagedMeetingDep, session: SessionDep
) -> MeetingPublic:
    """Move the meeting to another status (409 when the step is not allowed)."""
    return MeetingPublic.model_validate(
        control.change_status(session=session, meeting=meeting, status=data.status)
    )


@router.get("/meetings/{meeting_id}/calendar.ics", response_class=Response)
def calendar(meeting: MeetingDep) -> Response:
    """The meeting as an iCalendar file."""
    return Response(
        meeting_ics(meeting),
        media_type="text/calendar; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="meeting-{meeting.id}.ics"'},
    )


@router.get("/meetings/{meeting_id}/agenda")
def list_agenda(meeting: MeetingDep, session: SessionDep) -> list[AgendaItemPublic]:
    """The agenda in order."""
    items = scheduling.list_agenda(session=session, meeting=meeting)
    return [AgendaItemPublic.model_validate(item) for item in items]


@router.post("/meetings/{meeting_id}/agenda", status_code=201)
def add_agenda_item(
    data: AgendaItemCreate, meeting: ManagedMeetingDep, session: SessionDep
) -> AgendaItemPublic:
    """Append an agenda item."""
    item = scheduling.add_agenda_item(session=session, meeting=meeting, data=data)
    return AgendaItemPublic.model_validate(item)


@router.put("/meetings/{meeting_id}/agenda/order")
def reorder_agenda(
    data: AgendaOrder, meeting: ManagedMeetingDep, session: SessionDep
) -> list[AgendaItemPublic]:
    """Reorder the agenda: item_ids lists every item once, in the new order."""
    items = scheduling.reorder_agenda(session=session, meeting=meeting, item_ids=data.item_ids)
    return [AgendaItemPublic.model_validate(item) for item in items]


@router.patch("/meetings/{meeting_id}/agenda/{item_id}")
def update_agenda_item(
    item_id: int, data: AgendaItemUpdate, meeting: ManagedMeetingDep, session: SessionDep
) -> AgendaItemPublic:
    """Change an agenda item."""
    item = scheduling.get_agenda_item(session=session, meeting=meeting, item_id=item_id)
    return AgendaItemPublic.model_validate(
        scheduling.update_agenda_item(session=session, item=item, data=data)
    )


@router.delete("/meetings/{meeting_id}/agenda/{item_id}", status_code=204)
def delete_agenda_item(item_id: int, meeting: ManagedMeetingDep, session: SessionDep) -> None:
    """Remove an agenda item."""
    item = scheduling.get_agenda_item(session=session, meeting=meeting, item_id=item_id)
    scheduling.delete_agenda_item(session=session, item=item)


@router.get("/meetings/{meeting_id}/invitations")
def list_invitations(
    meeting: MeetingDep, session: SessionDep, person: CurrentUser
) -> list[InvitationPublic]:
    """The invitations; a delegate sees only their own."""
    rows = scheduling.list_invitations(session=session, meeting=meeting)
    if not access.can_manage(session, meeting=meeting, viewer=person):
        rows = [(inv, who) for inv, who in rows if who.id == person.id]
    return [
        InvitationPublic.model_validate(inv, update={"full_name": who.full_name})
        for inv, who in rows
    ]


@router.post("/meetings/{meeting_id}/invitations", status_code=201)
def invite(
    data: InvitationCreate, meeting: ManagedMeetingDep, session: SessionDep
) -> InvitationPublic:
    """Invite a person (409 when already invited)."""
    invitation = scheduling.invite(session=session, meeting=meeting, data=data)
    return InvitationPublic.model_validate(invitation)


class SkippedPublic(BaseModel):
    person_id: int
    reason: invitations.Skip


class InviteManyResult(BaseModel):
    invited: list[InvitationPublic]
    skipped: list[SkippedPublic]


@router.post("/meetings/{meeting_id}/invitations/bulk")
def invite_many(
    data: InvitationBulk, meeting: ManagedMeetingDep, session: SessionDep
) -> InviteManyResult:
    """Invite several people (person_ids), a whole unit (unit_id), or both, with one role and
    voting right; those already invited and inactive people are skipped, and listed."""
    report = invitations.invite_many(session=session, meeting=meeting, data=data)
    return InviteManyResult(
        invited=[InvitationPublic.model_validate(each) for each in report.invited],
        skipped=[SkippedPublic(person_id=s.person_id, reason=s.reason) for s in report.skipped],
    )


@router.post("/meetings/{meeting_id}/invitations/reply")
def reply(
    data: InvitationReply, meeting: MeetingDep, session: SessionDep, person: CurrentUser
) -> InvitationPublic:
    """The caller accepts or declines their invitation."""
    assert meeting.id is not None
    assert person.id is not None
    invitation = access.find_invitation(session, meeting_id=meeting.id, person_id=person.id)
    if invitation is None:
        raise InvitationNotFoundError("You are not invited to this meeting")
    answered = scheduling.reply_to_invitation(
        session=session, invitation=invitation, reply=data.reply, reason=data.reason
    )
    return InvitationPublic.model_validate(answered, update={"full_name": person.full_name})


@router.patch("/meetings/{meeting_id}/invitations/{invitation_id}")
def update_invitation(
    invitation_id: int, data: InvitationUpdate, meeting: ManagedMeetingDep, session: SessionDep
) -> InvitationPublic:
    """Change the role, voting right or seat."""
    invitation = scheduling.get_invitation(
        session=session, meeting=meeting, invitation_id=invitation_id
    )
    return InvitationPublic.model_validate(
        scheduling.update_invitation(session=session, invitation=invitation, data=data)
    )


@router.delete("/meetings/{meeting_id}/invitations/{invitation_id}", status_code=204)
def remove_invitation(invitation_id: int, meeting: ManagedMeetingDep, session: SessionDep) -> None:
    """Withdraw an invitation."""
    invitation = scheduling.get_invitation(
        session=session, meeting=meeting, invitation_id=invitation_id
    )
    scheduling.remove_invitation(session=session, invitation=invitation)
