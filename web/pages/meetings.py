"""The meetings page (secretariat): upcoming and past meetings, and a form to create one."""

import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from meetings import scheduling, views
from meetings.errors import PersonNotFoundError
from models import Person
from web.deps import SessionDep, StaffUser
from web.pages import forms
from web.pages.forms import FieldErrors, FormError, MeetingForm
from web.pages.render import redirect, render

router = APIRouter()
PAGE_SIZE = 20
Tab = Literal["upcoming", "past"]


def _page(
    request: Request,
    session: SessionDep,
    viewer: Person,
    *,
    tab: Tab = "upcoming",
    page: int = 1,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    rows, total = scheduling.list_meetings(
        session=session, viewer=viewer, when=tab, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    people = views.active_people(session=session)
    context: dict[str, Any] = {
        "tab": tab,
        "meetings": rows,
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "people": people,
        "names": {person.id: person.full_name for person in people},
        "errors": {},
        "values": {},
        **(extra or {}),
    }
    return render(request, "pages/meetings.html", context, status=status)


@router.get("/meetings", response_class=HTMLResponse)
def meetings_page(
    request: Request,
    session: SessionDep,
    staff: StaffUser,
    tab: Tab = "upcoming",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    return _page(request, session, staff, tab=tab, page=page)


@router.post("/meetings", response_class=HTMLResponse)
def create_meeting(
    request: Request, session: SessionDep, staff: StaffUser, form: Annotated[MeetingForm, Form()]
) -> Response:
    errors: FieldErrors
    try:
        data = forms.meeting_create(form)
        meeting = scheduling.create_meeting(session=session, data=data, creator=staff)
    except FormError as error:
        errors = error.errors
    except PersonNotFoundError:
        errors = {"chair_id": forms.INVALID}
    else:
        return redirect(f"/meetings/{meeting.id}/edit", "meeting_created")
    extra = {"errors": errors, "values": form.model_dump(), "open_form": True}
    return _page(request, session, staff, extra=extra, status=422)
