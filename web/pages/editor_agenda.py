"""The meeting editor's agenda: add, edit, reorder, remove (invitations: editor_invitations)."""

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from meetings import scheduling
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep
from web.pages import editor_invitations, forms
from web.pages.editor import back, render_editor
from web.pages.forms import AgendaForm, FormError

router = APIRouter()
# The invitation forms are the same editor's; web.pages.routes lists this module only.
router.include_router(editor_invitations.router)


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


@router.post("/meetings/{meeting_id}/agenda/{item_id}/edit", response_class=HTMLResponse)
def edit_item(
    item_id: int,
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    form: Annotated[AgendaForm, Form()],
) -> Response:
    item = scheduling.get_agenda_item(session=session, meeting=meeting, item_id=item_id)
    try:
        data = forms.agenda_update(form)
    except FormError as error:
        # The item's own form opens again with what was typed and a message per field.
        key = f"item-{item_id}"
        return render_editor(
            request,
            session,
            meeting,
            person,
            errors={key: error.errors},
            values={key: form.model_dump()},
            status=422,
        )
    scheduling.update_agenda_item(session=session, item=item, data=data)
    return back(meeting, "item_saved", f"item-{item_id}")


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
