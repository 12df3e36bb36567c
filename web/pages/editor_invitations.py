"""The meeting editor's invitations: invite one person, several or a whole unit; change an
invitation's role, voting right and seat; withdraw it."""

from typing import Annotated
from urllib.parse import urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from core.errors import HopError
from meetings import invitations, scheduling
from meetings.errors import AlreadyInvitedError, MeetingStateError, PersonNotFoundError
from meetings.invitations import InviteReport, NobodyChosenError
from models import Meeting, Person
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep
from web.pages import forms
from web.pages.editor import back, render_editor
from web.pages.forms import (
    FieldErrors,
    FormError,
    InvitationEditForm,
    InvitationForm,
    InviteManyForm,
)
from web.pages.render import N_

router = APIRouter()

INVITATIONS_CLOSED = N_("This meeting is over or cancelled: its invitations can no longer change.")
NOBODY_CHOSEN = N_("Tick at least one person, or choose a unit with people in it.")


def _refused(
    request: Request,
    session: SessionDep,
    meeting: Meeting,
    person: Person,
    *,
    form_key: str,
    errors: FieldErrors,
    values: dict[str, object],
) -> HTMLResponse:
    """The editor again, with the form's messages beside its fields and what was typed."""
    return render_editor(
        request,
        session,
        meeting,
        person,
        errors={form_key: errors},
        values={form_key: values},
        status=422,
    )


def _state_errors(error: HopError) -> FieldErrors:
    """A refusal of the meeting's state, or one about a field, as messages on the form."""
    if isinstance(error, MeetingStateError):
        return {"form": INVITATIONS_CLOSED}
    if isinstance(error, NobodyChosenError):
        return {"form": NOBODY_CHOSEN}
    if isinstance(error, PersonNotFoundError):
        return {"person_id": forms.INVALID}
    if isinstance(error, AlreadyInvitedError):
        return forms.hop_error_fields(error)
    return {error.field or "form": forms.INVALID}


@router.post("/meetings/{meeting_id}/invitations", response_class=HTMLResponse)
def add_invitation(
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    form: Annotated[InvitationForm, Form()],
) -> Response:
    errors: FieldErrors
    try:
        scheduling.invite(session=session, meeting=meeting, data=forms.invitation_create(form))
    except FormError as error:
        errors = error.errors
    except (AlreadyInvitedError, PersonNotFoundError, MeetingStateError) as error:
        errors = _state_errors(error)
    else:
        return back(meeting, "invited", "invitations")
    values = form.model_dump()
    return _refused(
        request, session, meeting, person, form_key="invitation", errors=errors, values=values
    )


@router.post("/meetings/{meeting_id}/invitations/bulk", response_class=HTMLResponse)
def invite_many(
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    form: Annotated[InviteManyForm, Form()],
) -> Response:
    errors: FieldErrors
    try:
        data = forms.invite_many(form)
        report = invitations.invite_many(session=session, meeting=meeting, data=data)
    except FormError as error:
        errors = error.errors
    except HopError as error:
        if error.status_code != 422 and not isinstance(error, MeetingStateError):
            raise
        errors = _state_errors(error)
    else:
        return _counted(back(meeting, _invited_key(report), "invitations"), report)
    values = form.model_dump()
    return _refused(
        request, session, meeting, person, form_key="bulk", errors=errors, values=values
    )


def _invited_key(report: InviteReport) -> str:
    if not report.invited:
        return "invited_none"
    return "invited_some" if report.skipped else "invited_many"


def _counted(response: Response, report: InviteReport) -> Response:
    """The redirect with the numbers added to its query: the editor shows them by the form."""
    parts = urlsplit(response.headers["location"])
    counts = urlencode({"invited": len(report.invited), "skipped": len(report.skipped)})
    query = f"{parts.query}&{counts}" if parts.query else counts
    response.headers["location"] = urlunsplit(parts._replace(query=query))
    return response


@router.post("/meetings/{meeting_id}/invitations/{invitation_id}/edit", response_class=HTMLResponse)
def edit_invitation(
    invitation_id: int,
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    form: Annotated[InvitationEditForm, Form()],
) -> Response:
    invitation = scheduling.get_invitation(
        session=session, meeting=meeting, invitation_id=invitation_id
    )
    try:
        data = forms.invitation_update(form)
    except FormError as error:
        key, values = f"invitation-{invitation_id}", form.model_dump()
        return _refused(
            request, session, meeting, person, form_key=key, errors=error.errors, values=values
        )
    scheduling.update_invitation(session=session, invitation=invitation, data=data)
    return back(meeting, "invitation_saved", f"invitation-{invitation_id}")


@router.post("/meetings/{meeting_id}/invitations/{invitation_id}/delete")
def remove_invitation(
    invitation_id: int, meeting: ManagedMeetingDep, session: SessionDep
) -> Response:
    invitation = scheduling.get_invitation(
        session=session, meeting=meeting, invitation_id=invitation_id
    )
    scheduling.remove_invitation(session=session, invitation=invitation)
    return back(meeting, "uninvited", "invitations")
