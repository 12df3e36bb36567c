"""People through the services: authentication, CSV import rules, who may see what."""

import pytest
from sqlmodel import Session, select

from meetings import access, people
from meetings.errors import InvalidDataError, MeetingNotFoundError, NotAllowedError
from models import MeetingRole, OrgUnit, Person, PersonCreate, PersonUpdate, Role
from tests.factories import PASSWORD, invite, make_meeting, make_person, make_user


def test_authenticate(session: Session) -> None:
    person = make_person(session, username="an.nguyen")
    assert people.authenticate(session=session, username=" an.nguyen ", password=PASSWORD)
    assert people.authenticate(session=session, username="an.nguyen", password="wrong") is None
    assert people.authenticate(session=session, username="nobody", password=PASSWORD) is None
    people.update_person(session=session, person=person, data=PersonUpdate(active=False))
    assert people.authenticate(session=session, username="an.nguyen", password=PASSWORD) is None


def test_password_is_hashed_with_argon2(session: Session) -> None:
    person = make_person(session)
    assert person.password_hash is not None
    assert person.password_hash.startswith("$argon2")
    assert PASSWORD not in person.password_hash


def test_changing_the_password(session: Session) -> None:
    person = make_user(session, username="binh.tran")
    people.update_person(session=session, person=person, data=PersonUpdate(password="moi-123456"))
    assert people.authenticate(session=session, username="binh.tran", password="moi-123456")
    assert people.authenticate(session=session, username="binh.tran", password=PASSWORD) is None


def test_no_password_never_authenticates(session: Session) -> None:
    people.create_person(session=session, data=PersonCreate(username="khach", full_name="Khách"))
    assert people.authenticate(session=session, username="khach", password="") is None


def test_unknown_unit_is_refused(session: Session) -> None:
    data = PersonCreate(username="an.nguyen", full_name="An", unit_id=999)
    with pytest.raises(InvalidDataError) as raised:
        people.create_person(session=session, data=data)
    assert raised.value.field == "unit_id"


def test_import_reuses_units_by_name(session: Session) -> None:
    text = "full_name,username,unit\nAn,an1,Sở Y tế\nBình,binh1,Sở Y tế\nCường,cuong1,Sở GTVT\n"
    report = people.import_people_csv(session=session, text=text)
    assert report.created == ["an1", "binh1", "cuong1"]
    assert sorted(unit.name for unit in session.exec(select(OrgUnit))) == ["Sở GTVT", "Sở Y tế"]


def test_import_of_only_a_header_creates_nothing(session: Session) -> None:
    report = people.import_people_csv(session=session, text="full_name,username\n")
    assert (report.created, report.skipped) == ([], [])


def test_import_handles_quoted_commas_and_blank_lines(session: Session) -> None:
    text = 'full_name,username,title\n"Lê Văn Tám",tam.le,"Trưởng phòng, Sở Nội vụ"\n\n'
    report = people.import_people_csv(session=session, text=text)
    assert report.created == ["tam.le"]
    person = session.exec(select(Person).where(Person.username == "tam.le")).one()
    assert person.title == "Trưởng phòng, Sở Nội vụ"


def test_who_may_see_and_manage_a_meeting(session: Session) -> None:
    clerk, admin = make_user(session, role=Role.secretariat), make_user(session, role=Role.admin)
    chair, co_chair, delegate, outsider = (make_user(session) for _ in range(4))
    meeting = make_meeting(session, creator=clerk, chair=chair)
    invite(session, meeting, co_chair, role=MeetingRole.chair)
    invite(session, meeting, delegate)
    expected = {
        clerk.id: (True, True),
        admin.id: (True, True),
        chair.id: (True, True),
        co_chair.id: (True, True),
        delegate.id: (True, False),
        outsider.id: (False, False),
    }
    for viewer in (clerk, admin, chair, co_chair, delegate, outsider):
        seen = access.can_view(session, meeting=meeting, viewer=viewer)
        managed = access.can_manage(session, meeting=meeting, viewer=viewer)
        assert (seen, managed) == expected[viewer.id], viewer.username
    assert meeting.id is not None
    with pytest.raises(MeetingNotFoundError):
        access.get_managed_meeting(session, meeting_id=meeting.id, viewer=outsider)
    with pytest.raises(NotAllowedError):
        access.get_managed_meeting(session, meeting_id=meeting.id, viewer=delegate)
    with pytest.raises(NotAllowedError):
        access.require_staff(chair)
