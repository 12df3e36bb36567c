"""People and organisation units: create, change, list, import from CSV, authenticate."""

import csv
import io
from dataclasses import dataclass, field

from pydantic import ValidationError
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from meetings.errors import DuplicateUsernameError, InvalidDataError, PersonNotFoundError
from meetings.passwords import hash_password, verify_password
from models import OrgUnit, OrgUnitCreate, Person, PersonCreate, PersonUpdate


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


def update_person(*, session: Session, person: Person, data: PersonUpdate) -> Person:
    """Change a person's details; a password is hashed, never stored."""
    changes = data.model_dump(exclude_unset=True, exclude={"password"})
    # null for a field that cannot be empty leaves it as it is (it would fail NOT NULL).
    changes = {k: v for k, v in changes.items() if v is not None or k not in _NOT_NULL}
    if "unit_id" in changes:
        _check_unit(session, changes["unit_id"])
    person.sqlmodel_update(changes)
    if data.password:
        person.password_hash = hash_password(data.password)
    session.add(person)
    session.commit()
    return person


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
