"""The meeting editor's "Send invitations": e-mail every invitee not yet sent one, or all."""

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import Response

from web.deps import ManagedMeetingDep, SessionDep, StateDep
from web.mail import invite_once
from web.pages.editor import back

router = APIRouter()


@router.post("/meetings/{meeting_id}/invitations/send")
def send(
    meeting: ManagedMeetingDep,
    session: SessionDep,
    state: StateDep,
    resend: Annotated[bool, Form()] = False,
) -> Response:
    report = invite_once(session=session, meeting=meeting, settings=state.settings, resend=resend)
    if report is None:
        return back(meeting, "mail_off", "invitations")
    # Each failed address is marked in the invitation list (mail_error); the flash says so.
    if report.failed:
        return back(meeting, "mail_failed", "invitations")
    return back(meeting, "mail_sent" if report.sent else "mail_none", "invitations")
