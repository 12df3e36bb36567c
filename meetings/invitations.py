"""Inviting many people at once: a selection of people, everyone in a unit, or both."""

from enum import StrEnum
from typing import NamedTuple

from sqlmodel import Session, col, select

from meetings.errors import InvalidDataError
from meetings.scheduling import require_invitations_open
from models import Invitation, Meeting, OrgUnit, Person
from models.meeting import InvitationBulk


class NobodyChosenError(InvalidDataError):
    """The selection names nobody: no person ticked, or a unit without people."""


class Skip(StrEnum):
    """Why someone chosen was not invited."""

    already_invited = "already_invited"
    inactive = "inactive"


class Skipped(NamedTuple):
    person_id: int
    reason: Skip


class InviteReport(NamedTuple):
    """Who was invited, and who was skipped and why."""

    invited: list[Invitation]
    skipped: list[Skipped]


def invite_many(*, session: Session, meeting: Meeting, data: InvitationBulk) -> InviteReport:
    """Invite the people named and everyone in the unit, with one role and voting right;
    those already invited and inactive accounts are skipped. Unknown people or an unknown
    unit refuse the whole request, and so does a selection with nobody in it."""
    require_invitations_open(meeting)
    chosen = _chosen(session, data)
    if not chosen:
        # An empty unit is the unit's fault; an empty selection the selection's.
        field = "unit_id" if data.unit_id is not None else "person_ids"
        raise NobodyChosenError(
            "Choose at least one person or a unit with people in it", field=field
        )
    assert meeting.id is not None
    invited_ids = set(
        session.exec(select(Invitation.person_id).where(Invitation.meeting_id == meeting.id))
    )
    report = InviteReport(invited=[], skipped=[])
    for person in chosen:
        assert person.id is not None
        if person.id in invited_ids:
            report.skipped.append(Skipped(person.id, Skip.already_invited))
        elif not person.active:
            report.skipped.append(Skipped(person.id, Skip.inactive))
        else:
            report.invited.append(_invitation(session, meeting.id, person.id, data))
    session.commit()
    return report


def _invitation(
    session: Session, meeting_id: int, person_id: int, data: InvitationBulk
) -> Invitation:
    invitation = Invitation(
        meeting_id=meeting_id, person_id=person_id, role=data.role, voting_right=data.voting_right
    )
    session.add(invitation)
    return invitation


def _chosen(session: Session, data: InvitationBulk) -> list[Person]:
    """The people named and the unit's members, each once, by name."""
    ids = list(dict.fromkeys(data.person_ids))  # at most INVITE_MANY_MAX (the schema's bound)
    named = list(session.exec(select(Person).where(col(Person.id).in_(ids)))) if ids else []
    unknown = sorted(set(ids) - {person.id for person in named})
    if unknown:
        listed = ", ".join(str(person_id) for person_id in unknown[:10])
        raise InvalidDataError(f"Unknown people: {listed}", field="person_ids")
    members = _unit_members(session, data.unit_id) if data.unit_id is not None else []
    people = {person.id: person for person in [*named, *members]}
    return sorted(people.values(), key=lambda person: (person.full_name, person.id or 0))


def _unit_members(session: Session, unit_id: int) -> list[Person]:
    if session.get(OrgUnit, unit_id) is None:
        raise InvalidDataError(f"Unknown organisation unit {unit_id}", field="unit_id")
    return list(session.exec(select(Person).where(Person.unit_id == unit_id)))
