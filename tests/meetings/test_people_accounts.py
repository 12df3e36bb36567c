"""Accounts the secretariat changes: deactivation ends the person's login sessions and their
logins, a password reset ends their other sessions, nobody deactivates themselves, only an
administrator touches an administrator's account, and each change is in the audit trail."""

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from meetings import people
from meetings.errors import NotAllowedError
from meetings.people import OwnAccountError
from models import AuditEntry, LoginSession, Person, PersonUpdate, Role
from models.base import utcnow
from models.person import PasswordReset
from tests.factories import PASSWORD, make_user


def open_session(session: Session, person: Person, token_hash: str) -> None:
    """A login session as web.auth.start_session stores it (by the hash of its token)."""
    expires = utcnow() + timedelta(hours=8)
    session.add(LoginSession(token_hash=token_hash, person_id=person.id or 0, expires_at=expires))
    session.commit()


def sessions_of(session: Session, person: Person) -> set[str]:
    query = select(LoginSession.token_hash).where(LoginSession.person_id == person.id)
    return set(session.exec(query))


def actions(session: Session, person: Person) -> list[str]:
    query = (
        select(AuditEntry.action)
        .where(AuditEntry.target_type == "person", AuditEntry.target_id == person.id)
        .order_by(col(AuditEntry.id))
    )
    return list(session.exec(query))


@pytest.fixture
def clerk(session: Session) -> Person:
    return make_user(session, role=Role.secretariat)


def test_deactivation_ends_every_session_and_logins(session: Session, clerk: Person) -> None:
    person, bystander = make_user(session), make_user(session)
    open_session(session, person, "a" * 64)
    open_session(session, person, "b" * 64)
    open_session(session, bystander, "c" * 64)
    people.update_person(
        session=session, person=person, data=PersonUpdate(active=False), actor=clerk
    )
    assert sessions_of(session, person) == set()
    assert sessions_of(session, bystander) == {"c" * 64}
    assert people.authenticate(session=session, username=person.username, password=PASSWORD) is None
    assert actions(session, person) == ["person.deactivated"]
    people.update_person(
        session=session, person=person, data=PersonUpdate(active=True), actor=clerk
    )
    assert people.authenticate(session=session, username=person.username, password=PASSWORD)
    assert actions(session, person) == ["person.deactivated", "person.reactivated"]


def test_nobody_deactivates_themselves(session: Session, clerk: Person) -> None:
    open_session(session, clerk, "d" * 64)
    with pytest.raises(OwnAccountError) as refused:
        people.update_person(
            session=session, person=clerk, data=PersonUpdate(active=False), actor=clerk
        )
    assert refused.value.field == "active"
    assert refused.value.status_code == 409
    session.rollback()
    session.refresh(clerk)
    assert clerk.active
    assert sessions_of(session, clerk) == {"d" * 64}


def test_details_change_and_are_audited_by_field_name(session: Session, clerk: Person) -> None:
    person = make_user(session)
    data = PersonUpdate(full_name="Lê Thị Mới", phone="0901234567", email=None)
    people.update_person(session=session, person=person, data=data, actor=clerk)
    assert (person.full_name, person.phone) == ("Lê Thị Mới", "0901234567")
    entry = session.exec(select(AuditEntry).where(AuditEntry.target_id == person.id)).one()
    assert entry.action == "person.updated"
    # The names of the fields, never their values (no contact details in the trail).
    assert entry.detail == {"fields": ["full_name", "phone"]}
    assert entry.actor_id == clerk.id


def test_a_typed_password_ends_other_sessions_but_the_callers(
    session: Session, clerk: Person
) -> None:
    open_session(session, clerk, "e" * 64)
    open_session(session, clerk, "f" * 64)
    people.reset_password(
        session=session,
        person=clerk,
        data=PasswordReset(password="mat-khau-moi-2026"),
        actor=clerk,
        keep_session="e" * 64,
    )
    assert sessions_of(session, clerk) == {"e" * 64}
    assert people.authenticate(session=session, username=clerk.username, password=PASSWORD) is None
    found = people.authenticate(
        session=session, username=clerk.username, password="mat-khau-moi-2026"
    )
    assert found is not None


def test_a_generated_password_is_returned_once_and_works(session: Session, clerk: Person) -> None:
    person = make_user(session)
    open_session(session, person, "9" * 64)
    password = people.reset_password(
        session=session, person=person, data=PasswordReset(), actor=clerk
    )
    assert len(password) >= 12
    assert person.password_hash is not None
    assert password not in person.password_hash
    assert people.authenticate(session=session, username=person.username, password=password)
    assert sessions_of(session, person) == set()
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "person.password_reset")
    ).one()
    assert entry.detail == {"generated": True, "sessions_ended": 1}
    assert password not in str(entry.detail)


def test_generated_passwords_differ() -> None:
    assert len({people.generate_password() for _ in range(50)}) == 50


def test_a_password_through_update_ends_sessions_too(session: Session, clerk: Person) -> None:
    person = make_user(session)
    open_session(session, person, "7" * 64)
    people.update_person(
        session=session, person=person, data=PersonUpdate(password="mot-mat-khau"), actor=clerk
    )
    assert sessions_of(session, person) == set()
    assert "person.password_reset" in actions(session, person)


def test_only_an_administrator_changes_an_administrators_account(
    session: Session, clerk: Person
) -> None:
    admin = make_user(session, role=Role.admin)
    delegate = make_user(session)
    refused = [
        lambda: people.update_person(
            session=session, person=admin, data=PersonUpdate(active=False), actor=clerk
        ),
        lambda: people.update_person(
            session=session, person=admin, data=PersonUpdate(title="X"), actor=clerk
        ),
        lambda: people.reset_password(
            session=session, person=admin, data=PasswordReset(), actor=clerk
        ),
        lambda: people.update_person(
            session=session, person=delegate, data=PersonUpdate(role=Role.admin), actor=clerk
        ),
        lambda: people.update_person(
            session=session, person=clerk, data=PersonUpdate(role=Role.admin), actor=clerk
        ),
    ]
    for attempt in refused:
        with pytest.raises(NotAllowedError):
            attempt()
        session.rollback()
    session.refresh(admin)
    session.refresh(clerk)
    assert admin.active
    assert clerk.role == Role.secretariat
    other_admin = make_user(session, role=Role.admin)
    people.update_person(
        session=session, person=admin, data=PersonUpdate(active=False), actor=other_admin
    )
    assert not admin.active
