"""Meeting rules through the services: status steps, agenda order, invitations, lists."""

from datetime import timedelta

import pytest
from sqlmodel import Session

from meetings import scheduling
from meetings.errors import (
    AgendaItemNotFoundError,
    AlreadyInvitedError,
    InvalidDataError,
    PersonNotFoundError,
    StatusTransitionError,
)
from models import (
    AgendaItemCreate,
    InvitationCreate,
    Meeting,
    MeetingStatus,
    MeetingUpdate,
    Person,
    Reply,
)
from tests.factories import invite, make_meeting, make_user

ALLOWED = {
    ("draft", "scheduled"),
    ("draft", "cancelled"),
    ("scheduled", "draft"),
    ("scheduled", "in_progress"),
    ("scheduled", "cancelled"),
    ("in_progress", "closed"),
    ("in_progress", "cancelled"),
}


def status_of(session: Session, meeting: Meeting) -> str:
    session.expire_all()
    stored = session.get(Meeting, meeting.id)
    assert stored is not None
    return stored.status


@pytest.mark.parametrize("current", list(MeetingStatus))
def test_status_transitions(session: Session, meeting: Meeting, current: MeetingStatus) -> None:
    for wanted in MeetingStatus:
        meeting.status = current
        session.add(meeting)
        session.commit()
        if (current.value, wanted.value) in ALLOWED:
            scheduling.change_status(session=session, meeting=meeting, status=wanted)
            assert status_of(session, meeting) == wanted
        else:
            with pytest.raises(StatusTransitionError):
                scheduling.change_status(session=session, meeting=meeting, status=wanted)
            assert status_of(session, meeting) == current


def test_update_refuses_an_end_before_the_start(session: Session, meeting: Meeting) -> None:
    before = meeting.start_at - timedelta(minutes=1)
    with pytest.raises(InvalidDataError) as raised:
        scheduling.update_meeting(
            session=session, meeting=meeting, data=MeetingUpdate(end_at=before)
        )
    assert raised.value.field == "end_at"
    later = meeting.end_at + timedelta(hours=1)
    with pytest.raises(InvalidDataError):
        scheduling.update_meeting(
            session=session, meeting=meeting, data=MeetingUpdate(start_at=later)
        )


def titles(session: Session, meeting: Meeting) -> list[str]:
    return [item.title for item in scheduling.list_agenda(session=session, meeting=meeting)]


def add(session: Session, meeting: Meeting, *names: str) -> list[int]:
    items = [
        scheduling.add_agenda_item(session=session, meeting=meeting, data=AgendaItemCreate(title=n))
        for n in names
    ]
    return [item.id or 0 for item in items]


def test_items_are_appended_after_the_last(session: Session, meeting: Meeting) -> None:
    first, second = add(session, meeting, "Một", "Hai")
    item = scheduling.get_agenda_item(session=session, meeting=meeting, item_id=first)
    scheduling.delete_agenda_item(session=session, item=item)
    add(session, meeting, "Ba")
    assert titles(session, meeting) == ["Khai mạc", "Hai", "Ba"]


def test_move_agenda_item_stays_within_the_list(session: Session, meeting: Meeting) -> None:
    (last,) = add(session, meeting, "Bế mạc")
    item = scheduling.get_agenda_item(session=session, meeting=meeting, item_id=last)
    scheduling.move_agenda_item(session=session, item=item, offset=+1)
    assert titles(session, meeting) == ["Khai mạc", "Bế mạc"]
    scheduling.move_agenda_item(session=session, item=item, offset=-1)
    assert titles(session, meeting) == ["Bế mạc", "Khai mạc"]
    scheduling.move_agenda_item(session=session, item=item, offset=-1)
    assert titles(session, meeting) == ["Bế mạc", "Khai mạc"]
    positions = [i.position for i in scheduling.list_agenda(session=session, meeting=meeting)]
    assert positions == [1, 2]


def test_reorder_must_name_every_item_once(session: Session, meeting: Meeting) -> None:
    ids = [item.id or 0 for item in scheduling.list_agenda(session=session, meeting=meeting)]
    ids += add(session, meeting, "Hai")
    for bad in ([ids[0]], ids + [ids[0]], [ids[0], 9999], []):
        with pytest.raises(InvalidDataError):
            scheduling.reorder_agenda(session=session, meeting=meeting, item_ids=bad)
    assert titles(session, meeting) == ["Khai mạc", "Hai"]


def test_agenda_items_belong_to_their_meeting(
    session: Session, meeting: Meeting, clerk: Person
) -> None:
    other = make_meeting(session, creator=clerk)
    (foreign,) = add(session, other, "Khác")
    with pytest.raises(AgendaItemNotFoundError):
        scheduling.get_agenda_item(session=session, meeting=meeting, item_id=foreign)


def test_invite_twice_or_unknown(session: Session, meeting: Meeting) -> None:
    person = make_user(session)
    invite(session, meeting, person)
    with pytest.raises(AlreadyInvitedError):
        invite(session, meeting, person)
    with pytest.raises(PersonNotFoundError):
        scheduling.invite(session=session, meeting=meeting, data=InvitationCreate(person_id=9999))


def test_reply(session: Session, meeting: Meeting) -> None:
    invitation = invite(session, meeting, make_user(session))
    answered = scheduling.reply_to_invitation(
        session=session, invitation=invitation, reply=Reply.declined, reason=" Ốm "
    )
    assert (answered.reply, answered.reply_reason) == (Reply.declined, "Ốm")
    assert answered.replied_at is not None
    with pytest.raises(InvalidDataError):
        scheduling.reply_to_invitation(session=session, invitation=invitation, reply=Reply.invited)


def test_list_meetings_for_each_viewer(session: Session, clerk: Person) -> None:
    chair, delegate = make_user(session), make_user(session)
    chaired = make_meeting(session, creator=clerk, chair=chair)
    invited = make_meeting(session, creator=clerk)
    invite(session, invited, delegate)
    make_meeting(session, creator=clerk)

    def ids(viewer: Person) -> set[int | None]:
        rows, total = scheduling.list_meetings(session=session, viewer=viewer)
        assert total == len(rows)
        return {row.id for row in rows}

    assert ids(chair) == {chaired.id}  # chair_id alone makes it theirs
    assert ids(delegate) == {invited.id}
    assert len(ids(clerk)) == 3


def test_a_meeting_under_way_is_upcoming_until_it_ends(session: Session, clerk: Person) -> None:
    running = make_meeting(session, creator=clerk, days_ahead=0)
    running.start_at -= timedelta(hours=2)  # started two hours ago, ends in one
    session.add(running)
    session.commit()
    upcoming, _ = scheduling.list_meetings(session=session, viewer=clerk, when="upcoming")
    past, _ = scheduling.list_meetings(session=session, viewer=clerk, when="past")
    assert [m.id for m in upcoming] == [running.id]
    assert past == []
