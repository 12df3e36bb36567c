"""The meeting editor's agenda and invitations: add, reorder, remove."""

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from meetings import scheduling
from meetings.errors import AlreadyInvitedError, PersonNotFoundError
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep
from web.pages import forms
from web.pages.editor import back, render_editor
from web.pages.forms import AgendaForm, FieldErrors, FormError, InvitationForm

router = APIRouter()


@router.post("/meetings/{meeting_id}/agenda", response_class=HTMLResponse)
def add_item(
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    form: Annotated[AgendaForm, Form()],
) -> Response:
    try:
        data = forms.agenda_create(form)
    except FormError as error:
        return render_editor(
            request,
            session,
            meeting,
            person,
            errors={"agenda": error.errors},
            values={"agenda": form.model_dump()},
            status=422,
        )
    scheduling.add_agenda_item(session=session, meeting=meeting, data=data)
    return back(meeting, "item_added", "agenda")


@router.post("/meetings/{meeting_id}/agenda/{item_id}/move")
def move_item(
    item_id: int,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    direction: Annotated[Literal["up", "down"], Form()],
) -> Response:
    item = scheduling.get_agenda_item(session=session, meeting=meeting, item_id=item_id)
    scheduling.move_agenda_item(session=session, item=item, offset=-1 if direction == "up" else 1)
    return back(meeting, "item_moved", f"item-{item_id}")


@router.post("/meetings/{meeting_id}/agenda/{item_id}/delete")
def delete_item(item_id: int, meeting: ManagedMeetingDep, session: SessionDep) -> Response:
    item = scheduling.get_agenda_item(session=session, meeting=meeting, item_id=item_id)
    scheduling.delete_agenda_item(session=session, item=item)
    return back(meeting, "item_deleted", "agenda")


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
    except AlreadyInvitedError as error:
        errors = forms.hop_error_fields(error)
    except PersonNotFoundError:
        errors = {"person_id": forms.INVALID}
    else:
        return back(meeting, "invited", "invitations")
    return render_editor(
        request,
        session,
        meeting,
        person,
        errors={"invitation": errors},
        values={"invitation": form.model_dump()},
        status=422,
    )


@router.post("/meetings/{meeting_id}/invitations/{invitation_id}/delete")
def remove_invitation(
    invitation_id: int, meeting: ManagedMeetingDep, session: SessionDep
) -> Response:
    invitation = scheduling.get_invitation(
        session=session, meeting=meeting, invitation_id=invitation_id
    )
    scheduling.remove_invitation(session=session, invitation=invitation)
    return back(meeting, "uninvited", "invitations")
