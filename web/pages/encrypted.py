"""Encrypted secret ballots (hop-eb-v1) as pages: the console's form that drafts one with its
vote-counting committee, and the trustee's page, where the browser does all the key work
(web/static/trustee.js with /static/vendor/eb/eb.js); the server only relays the board."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session, col, select

from models import EncryptedPollCreate, Meeting, Person, Poll, PollStatus
from voting import encrypted_committee
from voting.encrypted_polls import access, store
from voting.errors import InvalidPollError, PollNotFoundError
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep
from web.pages.forms import INVALID, FieldErrors, FormError, hop_error_fields
from web.pages.poll_forms import PollForm, poll_create
from web.pages.polls import render_console
from web.pages.render import FLASH, N_, redirect, render

router = APIRouter()
FLASH["encrypted_created"] = N_(
    "The encrypted poll was drafted: its trustees now set up their keys on their own devices."
)
FLASH["encrypted_set_up_again"] = N_(
    "The poll was set up again as a new draft: its trustees now set up new keys on their devices."
)
BAD_COMMITTEE = N_("Choose 3 to 5 trustees among the meeting's participants.")


class EncryptedPollForm(PollForm):
    """The console's encrypted-ballot form: a poll template, its trustees and the threshold."""

    trustees: list[str] = []
    threshold: str = ""


def encrypted_create(form: EncryptedPollForm) -> EncryptedPollCreate:
    """The draft the form describes (the template's rules, then the committee's shape)."""
    data = poll_create(form)
    if not 3 <= len(form.trustees) <= 5 or not all(t.isdigit() for t in form.trustees):
        raise FormError({"trustees": BAD_COMMITTEE})
    if form.threshold and not form.threshold.isdigit():
        raise FormError({"threshold": INVALID})
    values = data.model_dump() | {"secret": True, "allow_change": False}
    try:
        return EncryptedPollCreate.model_validate(
            values
            | {
                "trustees": [int(t) for t in form.trustees],
                "threshold": int(form.threshold) if form.threshold else None,
            }
        )
    except ValidationError as error:
        raise FormError({"threshold": INVALID}) from error


@router.post("/meetings/{meeting_id}/encrypted-polls", response_class=HTMLResponse)
def create(
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    form: Annotated[EncryptedPollForm, Form()],
) -> Response:
    """Draft an encrypted secret ballot through the same service as the JSON API."""
    errors: FieldErrors
    try:
        data = encrypted_create(form)
        poll = encrypted_committee.create_encrypted_poll(
            session=session, meeting=meeting, data=data, creator=person
        )
    except FormError as error:
        errors = error.errors
    except InvalidPollError as error:
        errors = hop_error_fields(error)
    else:
        anchor = f"poll-{poll.id}"
        return redirect(f"/meetings/{meeting.id}/polls", "encrypted_created", anchor=anchor)
    values: dict[str, Any] = form.model_dump() | {
        "template": "encrypted",
        "template_kind": form.template,
    }
    return render_console(
        request, session, meeting, person, errors=errors, values=values, status=422
    )


def trustee_polls(session: Session, meeting: Meeting, person: Person) -> list[Poll]:
    """The meeting's encrypted polls on whose committee the person sits (not cancelled)."""
    candidates = session.exec(
        select(Poll).where(
            Poll.meeting_id == meeting.id,
            col(Poll.encrypted).is_(True),
            Poll.status != PollStatus.cancelled,
        )
    )
    return [
        poll
        for poll in candidates
        if poll.id is not None
        and access.trustee_index(store.entries(session, poll.id), person.id) is not None
    ]


@router.get("/polls/{poll_id}/trustee", response_class=HTMLResponse)
def trustee_page(
    request: Request, poll_id: int, session: SessionDep, person: CurrentUser
) -> Response:
    """A trustee's page for one poll: set up the key, keep it, decrypt the sums after close."""
    poll = access.trustee_poll(session=session, poll_id=poll_id, viewer=person)
    board = store.entries(session, poll_id)
    context = {
        "poll": poll,
        "meeting": session.get(Meeting, poll.meeting_id),
        "index": access.trustee_index(board, person.id),
        "params": board[0]["body"],
        "next_poll": encrypted_committee.next_attempt(session, poll),
    }
    return render(request, "pages/trustee.html", context)


@router.post(
    "/meetings/{meeting_id}/encrypted-polls/{poll_id}/set-up-again", response_class=HTMLResponse
)
def set_up_again(
    poll_id: int, meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    """The console's "set up again" after a failed key setup (the same service as the API)."""
    poll = encrypted_committee.get_board_poll(session=session, poll_id=poll_id, viewer=person)
    if poll.meeting_id != meeting.id:
        raise PollNotFoundError(f"Poll {poll_id} not found")
    new = encrypted_committee.set_up_again(session=session, poll_id=poll_id, viewer=person)
    anchor = f"poll-{new.id}"
    return redirect(f"/meetings/{meeting.id}/polls", "encrypted_set_up_again", anchor=anchor)


@router.get("/polls/{poll_id}/board-check", response_class=HTMLResponse)
def board_page(
    request: Request, poll_id: int, session: SessionDep, person: CurrentUser
) -> Response:
    """The public board of a poll in words: a voter finds their tracking code there."""
    poll = encrypted_committee.get_board_poll(session=session, poll_id=poll_id, viewer=person)
    context = {"poll": poll, "meeting": session.get(Meeting, poll.meeting_id)}
    return render(request, "pages/eb_board.html", context)
