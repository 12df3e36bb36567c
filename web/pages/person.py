"""One person's page (secretariat): change their details, deactivate or reactivate the
account, set a new password (typed, or generated and shown once)."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from core.errors import HopError
from meetings import people
from meetings.errors import NotAllowedError
from meetings.people import OwnAccountError
from models import Person, PersonUpdate, Role
from web.api.people import caller_session
from web.deps import SessionDep, StaffUser
from web.pages import forms
from web.pages.forms import FieldErrors, FormError, PasswordForm, PersonEditForm
from web.pages.render import N_, redirect, render

router = APIRouter()

OWN_ACCOUNT = N_("You cannot deactivate your own account: ask another member of the secretariat.")
ADMIN_ONLY = N_("Only an administrator may change an administrator's account.")


def person_values(person: Person) -> dict[str, Any]:
    """The details form filled in from the person."""
    return {
        "full_name": person.full_name,
        "title": person.title,
        "unit_id": "" if person.unit_id is None else str(person.unit_id),
        "email": person.email or "",
        "phone": person.phone or "",
        "role": str(person.role),
    }


def may_change(viewer: Person, person: Person) -> bool:
    """Whether the viewer's changes to this account would be accepted (for the page to hide
    the forms); meetings.people.require_may_change decides."""
    try:
        people.require_may_change(actor=viewer, person=person, changes={})
    except NotAllowedError:
        return False
    return True


def render_person(
    request: Request,
    session: SessionDep,
    person: Person,
    viewer: Person,
    *,
    errors: dict[str, FieldErrors] | None = None,
    values: dict[str, Any] | None = None,
    new_password: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The person page; errors are keyed by the form they belong to."""
    context = {
        "person": person,
        "units": people.list_units(session=session),
        "errors": errors or {},
        "values": values or person_values(person),
        "new_password": new_password,
        "is_self": person.id == viewer.id,
        "may_change": may_change(viewer, person),
        "roles": [
            Role.delegate,
            Role.secretariat,
            *([Role.admin] if viewer.role == Role.admin else []),
        ],
    }
    return render(request, "pages/person.html", context, status=status)


def _refusal(error: HopError) -> FieldErrors:
    if isinstance(error, OwnAccountError):
        return {"form": OWN_ACCOUNT}
    if isinstance(error, NotAllowedError):
        return {"form": ADMIN_ONLY}
    return {error.field or "form": forms.INVALID}  # an unknown unit


def _back(person: Person, msg: str) -> Response:
    return redirect(f"/people/{person.id}", msg)


@router.get("/people/{person_id}", response_class=HTMLResponse)
def person_page(
    person_id: int, request: Request, session: SessionDep, staff: StaffUser
) -> Response:
    person = people.get_person(session=session, person_id=person_id)
    return render_person(request, session, person, staff)


@router.post("/people/{person_id}/edit", response_class=HTMLResponse)
def save_person(
    person_id: int,
    request: Request,
    session: SessionDep,
    staff: StaffUser,
    form: Annotated[PersonEditForm, Form()],
) -> Response:
    person = people.get_person(session=session, person_id=person_id)
    try:
        data = forms.person_update(form)
        people.update_person(session=session, person=person, data=data, actor=staff)
    except FormError as error:
        errors, status = error.errors, 422
    except HopError as error:
        if error.field is None and not isinstance(error, NotAllowedError):
            raise
        errors, status = _refusal(error), error.status_code
    else:
        return _back(person, "person_saved")
    session.refresh(person)  # the page shows the account as it is; the form what was typed
    return render_person(
        request,
        session,
        person,
        staff,
        errors={"details": errors},
        values=form.model_dump(),
        status=status,
    )


@router.post("/people/{person_id}/active", response_class=HTMLResponse)
def set_active(
    person_id: int,
    request: Request,
    session: SessionDep,
    staff: StaffUser,
    active: Annotated[bool, Form()],
) -> Response:
    person = people.get_person(session=session, person_id=person_id)
    data = PersonUpdate(active=active)
    try:
        people.update_person(session=session, person=person, data=data, actor=staff)
    except (OwnAccountError, NotAllowedError) as error:
        session.refresh(person)
        return render_person(
            request,
            session,
            person,
            staff,
            errors={"account": _refusal(error)},
            status=error.status_code,
        )
    return _back(person, "person_reactivated" if active else "person_deactivated")


@router.post("/people/{person_id}/password", response_class=HTMLResponse)
def set_password(
    person_id: int,
    request: Request,
    session: SessionDep,
    staff: StaffUser,
    form: Annotated[PasswordForm, Form()],
) -> Response:
    person = people.get_person(session=session, person_id=person_id)
    try:
        data = forms.password_reset(form)
        password = people.reset_password(
            session=session,
            person=person,
            data=data,
            actor=staff,
            keep_session=caller_session(request),
        )
    except FormError as error:
        return render_person(
            request, session, person, staff, errors={"password": error.errors}, status=422
        )
    except NotAllowedError as error:
        return render_person(
            request, session, person, staff, errors={"password": _refusal(error)}, status=403
        )
    if data.password:
        return _back(person, "password_set")
    # Shown in this answer only, never in an address or a later page: it is not stored.
    return render_person(request, session, person, staff, new_password=password)
