"""Sending the invitations of a meeting by e-mail."""

from fastapi import APIRouter

from meetings.mail import MailReport, send_invitations
from models.errors import HopError
from web.deps import ManagedMeetingDep, SessionDep, StateDep
from web.mail import mail_config, reply_links

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
    config = mail_config(state.settings)
    if config is None:
        raise MailNotConfiguredError("E-mail is not set up on this server (HOP_SMTP_HOST)")
    report = send_invitations(
        session=session,
        meeting=meeting,
        config=config,
        links=reply_links(state.settings),
        resend=resend,
    )
    if report.server_error:
        raise MailServerError(f"The mail server could not be used: {report.server_error}")
    return report
