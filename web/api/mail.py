"""Sending the invitations of a meeting by e-mail."""

from fastapi import APIRouter

from core.errors import HopError
from meetings.mail import MailReport
from web.deps import ManagedMeetingDep, SessionDep, StateDep
from web.mail import invite_once

router = APIRouter(tags=["meetings"])


class MailNotConfiguredError(HopError):
    status_code = 409


class MailServerError(HopError):
    status_code = 502


@router.post("/meetings/{meeting_id}/invitations/send")
def send(
    meeting: ManagedMeetingDep, session: SessionDep, state: StateDep, resend: bool = False
) -> MailReport:
    """E-mail the invitation with the .ics to invitees not yet sent one (resend: to all)."""
    report = invite_once(session=session, meeting=meeting, settings=state.settings, resend=resend)
    if report is None:
        raise MailNotConfiguredError("E-mail is not set up on this server (HOP_SMTP_HOST)")
    if report.server_error:
        raise MailServerError(f"The mail server could not be used: {report.server_error}")
    return report
