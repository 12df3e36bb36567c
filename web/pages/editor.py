"""The meeting editor (secretariat or the meeting's chair): details and status."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from meetings import lifecycle, people, scheduling, views
from meetings.errors import InvalidDataError, PersonNotFoundError
from models import Meeting, MeetingStatus, Person
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep
from web.pages import forms
from web.pages.forms import FieldErrors, FormError, MeetingForm
from web.pages.render import datetime_local, redirect, render
from web.realtime.attendance import attendance_summary
from web.state import AppState

router = APIRouter()


def meeting_values(meeting: Meeting) -> dict[str, Any]:
    """The details form filled in from the meeting."""
    return {
        "title": meeting.title,
        "description": meeting.description,
        "start_at": datetime_local(meeting.start_at),
        "end_at": datetime_local(meeting.end_at),
        "location": meeting.location,
        "chair_id": meeting.chair_id or "",
        "watermark_downloads": meeting.watermark_downloads,
    }


def render_editor(
    request: Request,
    session: SessionDep,
    meeting: Meeting,
    viewer: Person,
    *,
    errors: dict[str, FieldErrors] | None = None,
    values: dict[str, dict[str, Any]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The editor page; errors and values are keyed by the form they belong to."""
    state: AppState = request.app.state.hop
    data = views.editor_data(session=session, meeting=meeting, viewer=viewer)
    units = people.list_units(session=session)
    context = {
        "meeting": meeting,
        "data": data,
        "names": {person.id: person.full_name for person in data.people},
        "items": {item.id: item for item in data.agenda},
        "units": units,
        "unit_names": {unit.id: unit.name for unit in units},
        "invitations_open": not lifecycle.is_over(meeting),
        "invite_counts": invite_counts(request),
        "errors": errors or {},
        "values": {"details": meeting_values(meeting), **(values or {})},
        "max_upload_bytes": state.settings.max_upload_bytes,
        "accept": ",".join(state.settings.allowed_document_types),
        "attendance": attendance_summary(
            session, meeting=meeting, fraction=state.settings.meeting_quorum_fraction
        ),
    }
    return render(request, "pages/editor.html", context, status=status)


# The flash keys after inviting several people; the counts come with them (INVITE_COUNTS).
INVITED_MANY = ("invited_many", "invited_some", "invited_none")
INVITE_COUNTS = ("invited", "skipped")


def invite_counts(request: Request) -> dict[str, int] | None:
    """How many were invited and skipped, from the address the invitation form went back to
    (a flash message carries no numbers); None on any other visit, or when not numbers."""
    query = request.query_params
    if query.get("msg") not in INVITED_MANY:
        return None
    values = [query.get(name, "") for name in INVITE_COUNTS]
    if not all(value.isascii() and value.isdigit() and len(value) <= 6 for value in values):
        return None
    return {name: int(value) for name, value in zip(INVITE_COUNTS, values, strict=True)}


def back(meeting: Meeting, msg: str, section: str) -> Response:
    """Back to the editor section a form was posted from."""
    return redirect(f"/meetings/{meeting.id}/edit", msg, anchor=section)


@router.get("/meetings/{meeting_id}/edit", response_class=HTMLResponse)
def editor_page(
    request: Request, meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    return render_editor(request, session, meeting, person)


@router.post("/meetings/{meeting_id}/edit", response_class=HTMLResponse)
def save_details(
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    form: Annotated[MeetingForm, Form()],
) -> Response:
    errors: FieldErrors
    try:
        data = forms.meeting_update(form)
        scheduling.update_meeting(session=session, meeting=meeting, data=data)
    except FormError as error:
        errors = error.errors
    except PersonNotFoundError:
        errors = {"chair_id": forms.INVALID}
    except InvalidDataError as error:
        errors = forms.hop_error_fields(error)
    else:
        return back(meeting, "meeting_saved", "details")
    return render_editor(
        request,
        session,
        meeting,
        person,
        errors={"details": errors},
        values={"details": form.model_dump()},
        status=422,
    )


@router.post("/meetings/{meeting_id}/status")
def change_status(
    meeting: ManagedMeetingDep, session: SessionDep, status: Annotated[MeetingStatus, Form()]
) -> Response:
    scheduling.change_status(session=session, meeting=meeting, status=status)
    return back(meeting, "status_changed", "status")
