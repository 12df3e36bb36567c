"""The audit trail page (admins only): filters, pages, newest first, and whether it verifies."""

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from core import audit
from core.audit import AuditFilter
from meetings.errors import NotAllowedError
from models import Person, Role
from web.deps import CurrentUser, SessionDep
from web.pages.render import N_, render

router = APIRouter()
PAGE_SIZE = 50

# Each action the code records in the audit trail, named in words (tests/web/
# test_audit_words.py finds every recorded code); an unknown one is shown as its code.
ACTIONS = {
    "auth.login": N_("Logged in"),
    "auth.login_failed": N_("Failed login"),
    "access.denied": N_("Access refused"),
    "poll.created": N_("Poll drafted"),
    "poll.opened": N_("Vote opened"),
    "poll.closed": N_("Vote closed and counted"),
    "poll.published": N_("Result published"),
    "poll.cancelled": N_("Poll cancelled"),
    "poll.board_ready": N_("Vote-counting committee's key set up"),
    "poll.setup_abandoned": N_("Vote-counting committee's key setup abandoned"),
    "poll.set_up_again": N_("Encrypted poll set up again after a failed key setup"),
    "poll.decrypted": N_("Encrypted ballots counted by the committee"),
    "vote.desk_allowed": N_("Allowed to vote after a desk check"),
    "document.published": N_("Document published"),
    "face.enrolled": N_("Face enrolled"),
    "face.purged": N_("Face data deleted"),
    "face.learned": N_("Face learned from a confirmed check-in"),
    "attendance.manual": N_("Checked in or out by hand"),
    "minutes.finalised": N_("Minutes finalised"),
    "minutes.corrected": N_("Minutes corrected"),
    "person.updated": N_("Person's details changed"),
    "person.deactivated": N_("Account deactivated"),
    "person.reactivated": N_("Account reactivated"),
    "person.password_reset": N_("Password reset"),
    "record.signing_started": N_("Signing of a record opened"),
    "record.signed": N_("Record signed"),
    "record.sign_refused": N_("Signature refused"),
    "record.verified": N_("Signed record verified"),
    "record.published": N_("Signed record made public"),
    "record.unpublished": N_("Signed record no longer public"),
    "signer_key.uploaded": N_("Signing certificate uploaded"),
    "signer_key.removed": N_("Signing certificate removed"),
    "round.created": N_("Comment round on a draft prepared"),
    "round.opened": N_("Comment round opened"),
    "round.closed": N_("Comment round closed"),
    "round.submitted": N_("Comments on a draft submitted"),
    "round.answered": N_("Comment on a draft answered"),
    "round.reminded": N_("Members reminded to comment on a draft"),
    "round.report": N_("Report on the comments printed"),
    "round.report_final": N_("Report on the comments finalised"),
    "written.sent": N_("Written consultation sent"),
    "written.reminded": N_("Members reminded to answer a written consultation"),
    "written.signed_off": N_("Result of a written consultation signed off"),
}
# What an entry is about, by its target type.
TARGETS = {
    "person": N_("A person"),
    "poll": N_("Poll"),
    "document": N_("Document"),
    "minutes": N_("Minutes"),
    "meeting": N_("Meeting"),
    "face": N_("Face"),
    "device": N_("Device"),
    "comment_round": N_("Comment round"),
}


def get_admin(person: CurrentUser) -> Person:
    if person.role != Role.admin:
        raise NotAllowedError("Only an administrator may read the audit trail")
    return person


AdminUser = Annotated[Person, Depends(get_admin)]
Text = Annotated[str, Query(max_length=120)]


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    _admin: AdminUser,
    action: Text = "",
    actor: Text = "",
    meeting: Annotated[str, Query(max_length=12)] = "",
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    values = {"action": action, "actor": actor, "meeting": meeting, "since": since, "until": until}
    where, invalid = _filter(values)
    offset = (page - 1) * PAGE_SIZE
    rows, total = audit.list_entries(session, where=where, limit=PAGE_SIZE, offset=offset)
    context: dict[str, Any] = {
        "entries": rows,
        "total": total,
        "page": page,
        "pages": max(1, math.ceil(total / PAGE_SIZE)),
        "values": values,
        "invalid": invalid,
        "chain": audit.check_chain(session),
        "actions": ACTIONS,
        "targets": TARGETS,
    }
    return render(request, "pages/audit.html", context, status=422 if invalid else 200)


def _filter(values: dict[str, str]) -> tuple[AuditFilter, list[str]]:
    """The filter, and the names of fields that could not be read (they filter nothing)."""
    invalid: list[str] = []
    meeting = values["meeting"].strip()
    if meeting and not meeting.isdigit():
        invalid.append("meeting")
    since, until = _day(values["since"], "since", invalid), _day(values["until"], "until", invalid)
    where = AuditFilter(
        action=values["action"].strip(),
        actor=values["actor"].strip(),
        meeting_id=int(meeting) if meeting.isdigit() else None,
        since=since,
        until=until + timedelta(days=1) if until else None,  # the whole last day
    )
    return where, invalid


def _day(value: str, name: str, invalid: list[str]) -> datetime | None:
    if not value.strip():
        return None
    try:
        return datetime.combine(date.fromisoformat(value.strip()), time(), tzinfo=UTC)
    except ValueError:
        invalid.append(name)
        return None
