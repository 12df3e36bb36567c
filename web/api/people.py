"""People and organisation units."""

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from pydantic import BaseModel

from meetings import people
from meetings.errors import InvalidDataError
from models import OrgUnitCreate, OrgUnitPublic, PersonCreate, PersonPublic, PersonUpdate
from models.pagination import Page
from models.person import PasswordReset
from web.auth import SESSION_COOKIE, token_hash
from web.deps import SessionDep, StaffUser

router = APIRouter(tags=["people"])
MAX_CSV_BYTES = 2 * 1024 * 1024


@router.get("/people")
def list_people(
    session: SessionDep,
    _staff: StaffUser,
    q: Annotated[str, Query(max_length=100)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[PersonPublic]:
    """A page of people, searchable by name or username."""
    rows, total = people.list_people(session=session, search=q, limit=limit, offset=offset)
    items = [PersonPublic.model_validate(row) for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/people", status_code=201)
def create_person(data: PersonCreate, session: SessionDep, _staff: StaffUser) -> PersonPublic:
    """Add a person; a taken username is a 409."""
    return PersonPublic.model_validate(people.create_person(session=session, data=data))


@router.get("/people/{person_id}")
def get_person(person_id: int, session: SessionDep, _staff: StaffUser) -> PersonPublic:
    """One person."""
    return PersonPublic.model_validate(people.get_person(session=session, person_id=person_id))


def caller_session(request: Request) -> str | None:
    """The token hash of the caller's own login session: it survives a password change."""
    token = request.cookies.get(SESSION_COOKIE)
    return token_hash(token) if token else None


@router.patch("/people/{person_id}")
def update_person(
    person_id: int, data: PersonUpdate, request: Request, session: SessionDep, staff: StaffUser
) -> PersonPublic:
    """Change a person; deactivating them (never oneself) or a new password ends their login
    sessions; only an administrator changes an administrator's account."""
    person = people.get_person(session=session, person_id=person_id)
    changed = people.update_person(
        session=session,
        person=person,
        data=data,
        actor=staff,
        keep_session=caller_session(request),
    )
    return PersonPublic.model_validate(changed)


class PasswordResetResult(BaseModel):
    # The generated password, shown this once; None when the caller chose the password.
    generated_password: str | None


@router.post("/people/{person_id}/password")
def reset_password(
    person_id: int, data: PasswordReset, request: Request, session: SessionDep, staff: StaffUser
) -> PasswordResetResult:
    """Set a new password (the one given, else a generated one) and end the person's other
    login sessions."""
    person = people.get_person(session=session, person_id=person_id)
    password = people.reset_password(
        session=session,
        person=person,
        data=data,
        actor=staff,
        keep_session=caller_session(request),
    )
    return PasswordResetResult(generated_password=None if data.password else password)


class ImportResult(BaseModel):
    created: list[str]
    skipped: list[dict[str, object]]


@router.post("/people/import")
def import_people(
    file: Annotated[UploadFile, File()], session: SessionDep, _staff: StaffUser
) -> ImportResult:
    """Create people from a CSV (full_name, username, title, unit, email, phone, role)."""
    text = read_csv_upload(file)
    report = people.import_people_csv(session=session, text=text)
    skipped = [{"line": line, "reason": reason} for line, reason in report.skipped]
    return ImportResult(created=report.created, skipped=skipped)


def read_csv_upload(file: UploadFile) -> str:
    """The text of an uploaded CSV (UTF-8), refusing binary or oversized files."""
    raw = file.file.read(MAX_CSV_BYTES + 1)
    if len(raw) > MAX_CSV_BYTES:
        raise InvalidDataError("The CSV file is larger than 2 MB", field="file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidDataError("The CSV file must be UTF-8 text", field="file") from error


@router.get("/units")
def list_units(session: SessionDep, _staff: StaffUser) -> list[OrgUnitPublic]:
    """Every organisation unit."""
    return [OrgUnitPublic.model_validate(unit) for unit in people.list_units(session=session)]


@router.post("/units", status_code=201)
def create_unit(data: OrgUnitCreate, session: SessionDep, _staff: StaffUser) -> OrgUnitPublic:
    """Add an organisation unit."""
    return OrgUnitPublic.model_validate(people.create_unit(session=session, data=data))
