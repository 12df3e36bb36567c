"""People and organisation units: create, change, list, import from CSV, authenticate;
deactivate an account or reset its password, ending its login sessions."""

import csv
import io
import secrets
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, or_
from sqlmodel import Session, col, delete, select

from core.audit import audit
from core.errors import ConflictError
from meetings.errors import (
    DuplicateUsernameError,
    InvalidDataError,
    NotAllowedError,
    PersonNotFoundError,
)
from meetings.passwords import hash_password, verify_password
from models import LoginSession, OrgUnit, OrgUnitCreate, Person, PersonCreate, PersonUpdate, Role
from models.person import PasswordReset


def create_unit(*, session: Session, data: OrgUnitCreate) -> OrgUnit:
    """Add an organisation unit."""
    unit = OrgUnit.model_validate(data)
    session.add(unit)
    session.commit()
    return unit


def list_units(*, session: Session) -> list[OrgUnit]:
    """Every organisation unit, by name."""
    return list(session.exec(select(OrgUnit).order_by(col(OrgUnit.name))))


def _check_unit(session: Session, unit_id: int | None) -> None:
    if unit_id is not None and session.get(OrgUnit, unit_id) is None:
        raise InvalidDataError(f"Unknown organisation unit {unit_id}", field="unit_id")


def _username_taken(session: Session, username: str) -> bool:
    return session.exec(select(Person.id).where(Person.username == username)).first() is not None


def build_person(*, session: Session, data: PersonCreate) -> Person:
    """A new, unsaved person; raises on a taken username or an unknown unit."""
    if _username_taken(session, data.username):
        raise DuplicateUsernameError(f"Username {data.username!r} is taken", field="username")
    _check_unit(session, data.unit_id)
    person = Person.model_validate(data, update={"password_hash": None})
    if data.password:
        person.password_hash = hash_password(data.password)
    return person


def create_person(*, session: Session, data: PersonCreate) -> Person:
    """Add a person (an account)."""
    person = build_person(session=session, data=data)
    session.add(person)
    session.commit()
    return person


def get_person(*, session: Session, person_id: int) -> Person:
    """The person, or PersonNotFoundError."""
    person = session.get(Person, person_id)
    if person is None:
        raise PersonNotFoundError(f"Person {person_id} not found")
    return person


_NOT_NULL = frozenset({"full_name", "title", "role", "active"})


class OwnAccountError(ConflictError):
    """Nobody deactivates their own account: they would lock themselves out mid-task."""


def update_person(
    *,
    session: Session,
    person: Person,
    data: PersonUpdate,
    actor: Person | None = None,
    keep_session: str | None = None,
) -> Person:
    """Change a person's details; a password is hashed, never stored. Deactivating the account
    or giving it a password ends its login sessions, but `keep_session` (the caller's own, by
    its token hash). With an `actor`, their right to make the change is checked first."""
    changes = data.model_dump(exclude_unset=True, exclude={"password"})
    # null for a field that cannot be empty leaves it as it is (it would fail NOT NULL).
    changes = {k: v for k, v in changes.items() if v is not None or k not in _NOT_NULL}
    if actor is not None:
        require_may_change(actor=actor, person=person, changes=changes)
    if "unit_id" in changes:
        _check_unit(session, changes["unit_id"])
    was_active = person.active
    changed = sorted(k for k, v in changes.items() if k != "active" and getattr(person, k) != v)
    person.sqlmodel_update(changes)
    session.add(person)
    if changed:
        _audit_person(session, person, actor, "person.updated", fields=changed)
    if was_active != person.active:
        _activity_changed(session, person, actor)
    if data.password:
        _set_password(session, person, actor, data.password, keep=keep_session, generated=False)
    session.commit()
    return person


def require_may_change(*, actor: Person, person: Person, changes: dict[str, Any]) -> None:
    """Raise unless `actor` may make these changes to `person`'s account: nobody deactivates
    themselves, and only an administrator changes an administrator's account or makes one
    (else the secretariat could give itself an administrator's rights)."""
    if changes.get("active") is False and actor.id == person.id:
        raise OwnAccountError("You cannot deactivate your own account", field="active")
    if actor.role != Role.admin and Role.admin in (person.role, changes.get("role")):
        raise NotAllowedError("Only an administrator may change an administrator's account")


def _activity_changed(session: Session, person: Person, actor: Person | None) -> None:
    if person.active:
        _audit_person(session, person, actor, "person.reactivated")
        return
    # Every session: whoever deactivates the account is someone else (require_may_change).
    ended = end_sessions(session=session, person=person)
    _audit_person(session, person, actor, "person.deactivated", sessions_ended=ended)


def end_sessions(*, session: Session, person: Person, keep: str | None = None) -> int:
    """Delete the person's login sessions but the one whose token hash is `keep`; how many
    ended. The caller commits: the sessions end with the change that ends them."""
    query = delete(LoginSession).where(col(LoginSession.person_id) == person.id)
    if keep:
        query = query.where(col(LoginSession.token_hash) != keep)
    result = session.exec(query)
    return int(result.rowcount or 0)


def reset_password(
    *,
    session: Session,
    person: Person,
    data: PasswordReset,
    actor: Person | None = None,
    keep_session: str | None = None,
) -> str:
    """Give the person a new password (the one in `data`, else a generated one) and end their
    other login sessions; returns the password, to be shown once."""
    if actor is not None:
        require_may_change(actor=actor, person=person, changes={})
    password = data.password or generate_password()
    _set_password(session, person, actor, password, keep=keep_session, generated=not data.password)
    session.add(person)
    session.commit()
    return password


# Letters and digits nobody misreads when it is read out or copied from a screen (no 0/O, 1/l/I).
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def generate_password(groups: int = 3, size: int = 4) -> str:
    """A random password easy to read out: groups of letters and digits joined by dashes
    (3 x 4 from 56 characters: about 70 bits)."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(size)) for _ in range(groups))


def _set_password(
    session: Session,
    person: Person,
    actor: Person | None,
    password: str,
    *,
    keep: str | None,
    generated: bool,
) -> None:
    person.password_hash = hash_password(password)
    ended = end_sessions(session=session, person=person, keep=keep)
    detail = {"generated": generated, "sessions_ended": ended}
    _audit_person(session, person, actor, "person.password_reset", **detail)


def _audit_person(
    session: Session, person: Person, actor: Person | None, action: str, **detail: Any
) -> None:
    # Names of what changed, never the values: the trail holds no passwords or contacts.
    # Without an actor, the one the session was bound to (web.audit_log) is named.
    audit(
        session,
        action=action,
        actor=actor,
        target_type="person",
        target_id=person.id,
        detail=detail,
    )


def remember_language(*, session: Session, person: Person, language: str) -> None:
    """Keep the language a person chose on their account (no write when it is already kept)."""
    if person.language == language:
        return
    person.language = language
    session.add(person)
    session.commit()


def list_people(
    *, session: Session, search: str = "", limit: int = 50, offset: int = 0
) -> tuple[list[Person], int]:
    """A page of people by name, optionally filtered by name or username, and the total."""
    query = select(Person)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            or_(
                func.lower(Person.full_name).like(pattern),
                func.lower(Person.username).like(pattern),
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.order_by(col(Person.full_name)).offset(offset).limit(limit))
    return list(rows), total


def authenticate(*, session: Session, username: str, password: str) -> Person | None:
    """The active person with this username and password, else None."""
    person = session.exec(select(Person).where(Person.username == username.strip())).first()
    if person is None or not person.active:
        return None
    return person if verify_password(person.password_hash, password) else None


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


CSV_COLUMNS = ("full_name", "username", "title", "unit", "email", "phone", "role")


def import_people_csv(*, session: Session, text: str) -> ImportReport:
    """Create people from CSV rows; bad rows are skipped with their line and reason."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"full_name", "username"} - set(reader.fieldnames or [])
    if missing:
        raise InvalidDataError(f"CSV lacks the columns: {', '.join(sorted(missing))}", field="file")
    units = {unit.name: unit for unit in list_units(session=session)}
    report = ImportReport()
    for line, row in enumerate(reader, start=2):
        try:
            person = _person_from_row(session, row, units)
        except (ValidationError, InvalidDataError, DuplicateUsernameError) as error:
            report.skipped.append((line, _reason(error)))
            continue
        session.add(person)
        session.flush()
        report.created.append(person.username)
    session.commit()
    return report


def _person_from_row(session: Session, row: dict[str, str], units: dict[str, OrgUnit]) -> Person:
    values = {key: (row.get(key) or "").strip() for key in CSV_COLUMNS}
    unit_name = values.pop("unit")
    if unit_name and unit_name not in units:
        units[unit_name] = OrgUnit(name=unit_name)
        session.add(units[unit_name])
        session.flush()
    data = PersonCreate.model_validate(
        {
            **{key: value for key, value in values.items() if value},
            "unit_id": units[unit_name].id if unit_name else None,
        }
    )
    return build_person(session=session, data=data)


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"
    return str(error)
