"""Inviting several people or a whole unit at once (meetings.invitations.invite_many), and the
rule that a meeting's invitations stop changing once it is over."""

import pytest
from sqlmodel import Session, select

from meetings import invitations, people, scheduling
from meetings.errors import InvalidDataError
from meetings.invitations import NobodyChosenError, Skip, Skipped
from meetings.scheduling import InvitationsClosedError
from models import (
    AgendaItemUpdate,
    Invitation,
    InvitationUpdate,
    Meeting,
    MeetingRole,
    MeetingStatus,
    OrgUnit,
    OrgUnitCreate,
    Person,
    PersonUpdate,
)
from models.meeting import InvitationBulk
from tests.factories import invite, make_user, start_meeting


def unit_with(session: Session, name: str, *members: Person) -> OrgUnit:
    unit = people.create_unit(session=session, data=OrgUnitCreate(name=name))
    for member in members:
        people.update_person(session=session, person=member, data=PersonUpdate(unit_id=unit.id))
    return unit


def invited_ids(session: Session, meeting: Meeting) -> set[int]:
    query = select(Invitation.person_id).where(Invitation.meeting_id == meeting.id)
    return set(session.exec(query))


def test_invites_the_people_chosen_with_one_role_and_voting_right(
    session: Session, meeting: Meeting
) -> None:
    chosen = [make_user(session) for _ in range(3)]
    data = InvitationBulk(
        person_ids=[p.id or 0 for p in chosen], role=MeetingRole.observer, voting_right=False
    )
    report = invitations.invite_many(session=session, meeting=meeting, data=data)
    assert {each.person_id for each in report.invited} == {p.id for p in chosen}
    assert report.skipped == []
    assert all(each.role == MeetingRole.observer for each in report.invited)
    assert not any(each.voting_right for each in report.invited)


def test_a_whole_unit_skips_those_invited_and_inactive(session: Session, meeting: Meeting) -> None:
    already, inactive, new = (make_user(session) for _ in range(3))
    outsider = make_user(session)
    unit = unit_with(session, "Phòng Tư pháp", already, inactive, new)
    invite(session, meeting, already)
    people.update_person(session=session, person=inactive, data=PersonUpdate(active=False))
    data = InvitationBulk(unit_id=unit.id)
    report = invitations.invite_many(session=session, meeting=meeting, data=data)
    assert [each.person_id for each in report.invited] == [new.id]
    assert sorted(report.skipped) == sorted(
        [Skipped(already.id or 0, Skip.already_invited), Skipped(inactive.id or 0, Skip.inactive)]
    )
    assert outsider.id not in invited_ids(session, meeting)


def test_a_unit_and_people_together_count_each_person_once(
    session: Session, meeting: Meeting
) -> None:
    member, other = make_user(session), make_user(session)
    unit = unit_with(session, "Văn phòng", member)
    data = InvitationBulk(
        unit_id=unit.id, person_ids=[member.id or 0, other.id or 0, other.id or 0]
    )
    report = invitations.invite_many(session=session, meeting=meeting, data=data)
    assert sorted(each.person_id for each in report.invited) == sorted([member.id, other.id])
    assert invited_ids(session, meeting) == {member.id, other.id}


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({}, NobodyChosenError, "person_ids"),
        ({"person_ids": [999_999]}, InvalidDataError, "person_ids"),
        ({"unit_id": 999_999}, InvalidDataError, "unit_id"),
    ],
)
def test_an_empty_or_unknown_selection_changes_nothing(
    session: Session,
    meeting: Meeting,
    fields: dict[str, object],
    error: type[Exception],
    field: str,
) -> None:
    before = invited_ids(session, meeting)
    with pytest.raises(error) as raised:
        invitations.invite_many(
            session=session, meeting=meeting, data=InvitationBulk.model_validate(fields)
        )
    assert getattr(raised.value, "field", None) == field
    assert invited_ids(session, meeting) == before


def test_one_unknown_person_refuses_the_whole_selection(session: Session, meeting: Meeting) -> None:
    known = make_user(session)
    data = InvitationBulk(person_ids=[known.id or 0, 999_999])
    with pytest.raises(InvalidDataError, match="999999"):
        invitations.invite_many(session=session, meeting=meeting, data=data)
    session.rollback()
    assert invited_ids(session, meeting) == set()


def test_a_unit_without_people_is_refused_naming_the_unit(
    session: Session, meeting: Meeting
) -> None:
    empty = people.create_unit(session=session, data=OrgUnitCreate(name="Phòng trống"))
    with pytest.raises(NobodyChosenError) as raised:
        invitations.invite_many(
            session=session, meeting=meeting, data=InvitationBulk(unit_id=empty.id)
        )
    assert raised.value.field == "unit_id"


def test_everyone_skipped_is_a_report_not_an_error(session: Session, meeting: Meeting) -> None:
    person = make_user(session)
    invite(session, meeting, person)
    data = InvitationBulk(person_ids=[person.id or 0])
    report = invitations.invite_many(session=session, meeting=meeting, data=data)
    assert report.invited == []
    assert report.skipped == [Skipped(person.id or 0, Skip.already_invited)]


@pytest.mark.parametrize("status", [MeetingStatus.closed, MeetingStatus.cancelled])
def test_invitations_of_a_meeting_that_is_over_cannot_change(
    session: Session, meeting: Meeting, status: MeetingStatus
) -> None:
    person, newcomer = make_user(session), make_user(session)
    invitation = invite(session, meeting, person)
    start_meeting(session, meeting)
    scheduling.change_status(session=session, meeting=meeting, status=status)
    with pytest.raises(InvitationsClosedError):
        invitations.invite_many(
            session=session, meeting=meeting, data=InvitationBulk(person_ids=[newcomer.id or 0])
        )
    with pytest.raises(InvitationsClosedError):
        invite(session, meeting, newcomer)
    with pytest.raises(InvitationsClosedError):
        scheduling.update_invitation(
            session=session, invitation=invitation, data=InvitationUpdate(seat_label="B2")
        )
    with pytest.raises(InvitationsClosedError):
        scheduling.remove_invitation(session=session, invitation=invitation)
    session.rollback()
    assert invited_ids(session, meeting) == {person.id}
    assert session.get(Invitation, invitation.id) is not None


@pytest.mark.parametrize("status", [MeetingStatus.scheduled, MeetingStatus.in_progress])
def test_invitations_change_until_the_meeting_is_over(
    session: Session, meeting: Meeting, status: MeetingStatus
) -> None:
    scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.scheduled)
    if status == MeetingStatus.in_progress:
        scheduling.change_status(session=session, meeting=meeting, status=status)
    newcomer = make_user(session)
    data = InvitationBulk(person_ids=[newcomer.id or 0])
    assert len(invitations.invite_many(session=session, meeting=meeting, data=data).invited) == 1


def test_an_invitation_and_an_agenda_item_change_what_is_given(
    session: Session, meeting: Meeting
) -> None:
    invitation = invite(session, meeting, make_user(session))
    data = InvitationUpdate.model_validate(
        {"role": None, "voting_right": False, "seat_label": "C3"}
    )
    changed = scheduling.update_invitation(session=session, invitation=invitation, data=data)
    assert (changed.role, changed.voting_right, changed.seat_label) == (
        MeetingRole.delegate,
        False,
        "C3",
    )
    item = scheduling.list_agenda(session=session, meeting=meeting)[0]
    edit = AgendaItemUpdate.model_validate({"title": None, "presenter": "", "planned_minutes": 25})
    updated = scheduling.update_agenda_item(session=session, item=item, data=edit)
    assert (updated.title, updated.presenter, updated.planned_minutes) == ("Khai mạc", "", 25)


def test_bulk_schema_refuses_too_many_or_out_of_range_ids() -> None:
    from pydantic import ValidationError

    for bad in (
        {"person_ids": list(range(1, 1002))},
        {"person_ids": [0]},
        {"person_ids": [2**63]},
        {"unit_id": 2**70},
        {"role": "boss"},
    ):
        with pytest.raises(ValidationError):
            InvitationBulk.model_validate(bad)
