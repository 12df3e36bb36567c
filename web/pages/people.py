"""The people page (secretariat): search, pages, a form to add one, and a CSV import; each
person's own page (web.pages.person) changes their account."""

import math
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from checkin import readiness
from core.errors import HopError
from meetings import people
from meetings.people import ImportReport
from web.api.people import read_csv_upload
from web.deps import SessionDep, StaffUser
from web.pages import forms, person
from web.pages.forms import FieldErrors, FormError, PersonForm
from web.pages.render import redirect, render

router = APIRouter()
# One person's page is the directory's; web.pages.routes lists this module only.
router.include_router(person.router)
PAGE_SIZE = 25


def _page(
    request: Request,
    session: SessionDep,
    *,
    q: str = "",
    page: int = 1,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    rows, total = people.list_people(
        session=session, search=q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    units = people.list_units(session=session)
    context: dict[str, Any] = {
        "people": rows,
        "total": total,
        "q": q,
        "page": page,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "units": units,
        "unit_names": {unit.id: unit.name for unit in units},
        "readiness": readiness.face_readiness(
            session=session, person_ids=[row.id for row in rows if row.id is not None]
        ),
        "errors": {},
        "values": {},
        "report": None,
        "import_errors": {},
        **(extra or {}),
    }
    return render(request, "pages/people.html", context, status=status)


@router.get("/people", response_class=HTMLResponse)
def people_page(
    request: Request,
    session: SessionDep,
    _staff: StaffUser,
    q: Annotated[str, Query(max_length=100)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    return _page(request, session, q=q, page=page)


@router.post("/people", response_class=HTMLResponse)
def create_person(
    request: Request, session: SessionDep, _staff: StaffUser, form: Annotated[PersonForm, Form()]
) -> Response:
    errors: FieldErrors
    try:
        people.create_person(session=session, data=forms.person_create(form))
    except FormError as error:
        errors = error.errors
    except HopError as error:
        if error.field is None:
            raise
        errors = forms.hop_error_fields(error)
    else:
        return redirect("/people", "person_created")
    values = form.model_dump(exclude={"password"})
    return _page(request, session, extra={"errors": errors, "values": values}, status=422)


@router.post("/people/import", response_class=HTMLResponse)
def import_people(
    request: Request,
    session: SessionDep,
    _staff: StaffUser,
    file: Annotated[UploadFile, File()],
) -> Response:
    try:
        report: ImportReport = people.import_people_csv(session=session, text=read_csv_upload(file))
    except HopError as error:
        if error.field != "file":
            raise
        return _page(
            request, session, extra={"import_errors": {"file": forms.CSV_INVALID}}, status=422
        )
    return _page(request, session, extra={"report": report})
