"""Signing final records (ký số), the person's side: their certificate, the records waiting for
their signature, and the sign page of a record (the document, the order of signers, the
passphrase that opens their key, the public toggle for managers); opening the final minutes
for signing from the minutes page."""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from core.errors import HopError
from models import (
    Meeting,
    Minutes,
    MinutesStatus,
    Person,
    RecordKind,
    SignerRole,
    SigningRecord,
    SigningRecordPublic,
    SigningStep,
)
from records import signing
from records.signing_sources import minutes_source
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep
from web.pages.error_words import Detail
from web.pages.render import N_, render
from web.signing import SigningContextDep

router = APIRouter()
KEY_FILE_MAX = 256 * 1024

# After a form post, the page says what happened (keys of the redirect's ?done=).
DONE = {
    "uploaded": N_("Your certificate was checked and kept. Its passphrase was not stored."),
    "removed": N_("Your certificate was removed."),
    "opened": N_("The record was opened for signing, in the order shown below."),
    "signed": N_("Your signature was added to the record."),
    "published": N_("The record is public: the verification page links to its summary."),
    "unpublished": N_("The record is no longer public."),
}
ROLES = {
    SignerRole.secretary: N_("Secretary"),
    SignerRole.chair: N_("Chair"),
    SignerRole.drafter: N_("Drafting body"),
    SignerRole.member: N_("Member"),
    SignerRole.seal: N_("Seal of the organisation"),
}
EMPTY_KEY_FILE = N_("Choose a .p12 or .pfx file of at most 256 KB.")
CANNOT_UPLOAD = N_("The certificate was not kept.")
CANNOT_SIGN = N_("The record was not signed.")


@dataclass(frozen=True)
class StepView:
    """One place in a record's order as the pages show it."""

    position: int
    role: str
    signer: str  # the person whose step it is; the seal has none
    signed_at: datetime | None
    signed_by: str
    certificate_subject: str
    sha256: str | None


def _done(request: Request) -> str | None:
    return DONE.get(request.query_params.get("done") or "")


def _detail(error: HopError, fallback: str) -> str:
    # The domain's own words, translated by the page's _() through web.pages.error_words.
    return Detail(error.detail, fallback)


def _name(session: Session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id is not None else None
    return person.full_name if person is not None else ""


def step_views(session: Session, record: SigningRecord) -> list[StepView]:
    """The record's order of signers with each one's state."""
    return [_step_view(session, step) for step in signing.steps_of(session, record)]


def _step_view(session: Session, step: SigningStep) -> StepView:
    return StepView(
        position=step.position,
        role=ROLES.get(step.role, str(step.role)),
        signer=_name(session, step.person_id),
        signed_at=step.signed_at,
        signed_by=_name(session, step.signed_by),
        certificate_subject=step.certificate_subject,
        sha256=step.sha256,
    )


def meeting_title(session: Session, record: SigningRecord) -> str:
    meeting = session.get(Meeting, record.meeting_id) if record.meeting_id is not None else None
    return meeting.title if meeting is not None else ""


# ---- the certificate --------------------------------------------------------------------------


def _certificate_page(
    request: Request,
    session: Session,
    person: Person,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    row = signing.certificate_of(session, person)
    context = {
        "certificate": signing.describe_certificate(row) if row is not None else None,
        "notice": _done(request),
        "error": error,
    }
    return render(request, "pages/my_certificate.html", context, status=status)


@router.get("/my/certificate", response_class=HTMLResponse)
def my_certificate(request: Request, session: SessionDep, person: CurrentUser) -> HTMLResponse:
    return _certificate_page(request, session, person)


@router.post("/my/certificate", response_class=HTMLResponse)
async def upload_certificate(
    request: Request,
    session: SessionDep,
    person: CurrentUser,
    context: SigningContextDep,
    file: Annotated[UploadFile | None, File()] = None,
    passphrase: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Keep a PKCS#12 file once its passphrase opens it and its certificate may sign."""
    data = await file.read(KEY_FILE_MAX + 1) if file is not None else b""
    if not data or len(data) > KEY_FILE_MAX:
        return _certificate_page(request, session, person, error=EMPTY_KEY_FILE, status=422)
    try:
        await run_in_threadpool(
            signing.upload_certificate,
            session,
            person=person,
            data=data,
            passphrase=passphrase,
            context=context,
        )
    except HopError as error:
        said = _detail(error, CANNOT_UPLOAD)
        return _certificate_page(request, session, person, error=said, status=error.status_code)
    return RedirectResponse("/my/certificate?done=uploaded", status_code=303)


@router.post("/my/certificate/remove")
def remove_certificate(session: SessionDep, person: CurrentUser) -> Response:
    signing.remove_certificate(session, person=person)
    return RedirectResponse("/my/certificate?done=removed", status_code=303)


# ---- what waits for the person ----------------------------------------------------------------


def waiting_for(session: Session, person: Person) -> list[SigningRecord]:
    """Records whose next signature is this person's, and seal steps of records they manage."""
    found = []
    for record in signing.to_sign(session, person, manages_seal=True):
        step = signing.next_step(session, record)
        if step is None or step.role != SignerRole.seal:
            found.append(record)
        elif signing.manages_record(session, record, person):
            found.append(record)
    return found


@router.get("/my/signatures", response_class=HTMLResponse)
def my_signatures(request: Request, session: SessionDep, person: CurrentUser) -> HTMLResponse:
    rows = [
        {
            "record": record,
            "meeting": meeting_title(session, record),
            "signed": [step for step in step_views(session, record) if step.signed_at],
        }
        for record in waiting_for(session, person)
    ]
    has_certificate = signing.certificate_of(session, person) is not None
    return render(request, "pages/to_sign.html", {"rows": rows, "has_certificate": has_certificate})


# ---- the sign page ------------------------------------------------------------------------------


def _turn(session: Session, record: SigningRecord, person: Person, manages: bool) -> dict[str, Any]:
    """Whether it is this person's turn, and whose signature comes first when it is not."""
    step = signing.next_step(session, record)
    if step is None:
        return {"mine": False, "seal": False, "waiting_for": None, "later": False}
    mine = signing.may_sign(step, person, manages=manages)
    later = not mine and any(
        s.signed_at is None and signing.may_sign(s, person, manages=manages)
        for s in signing.steps_of(session, record)
    )
    return {
        "mine": mine,
        "seal": step.role == SignerRole.seal,
        "waiting_for": _step_view(session, step),
        "later": later,
    }


def _sign_page(
    request: Request,
    session: Session,
    record: SigningRecord,
    person: Person,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    manages = signing.require_viewer(session, record, person)
    context = {
        "record": signing.describe_record(session, record),
        "meeting": meeting_title(session, record),
        "steps": step_views(session, record),
        "turn": _turn(session, record, person, manages),
        "manages": manages,
        "has_certificate": signing.certificate_of(session, person) is not None,
        "notice": _done(request),
        "error": error,
    }
    return render(request, "pages/signing.html", context, status=status)


@router.get("/signing/{record_id}", response_class=HTMLResponse)
def sign_page(
    request: Request, record_id: int, session: SessionDep, person: CurrentUser
) -> HTMLResponse:
    return _sign_page(request, session, signing.get_record(session, record_id), person)


@router.post("/signing/{record_id}/sign", response_class=HTMLResponse)
async def sign(
    request: Request,
    record_id: int,
    session: SessionDep,
    person: CurrentUser,
    context: SigningContextDep,
    passphrase: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Add this person's signature when it is their turn; a refusal is said on the page."""
    record = signing.get_record(session, record_id)
    manages = signing.require_viewer(session, record, person)
    try:
        await run_in_threadpool(
            signing.sign_next,
            session,
            record=record,
            person=person,
            passphrase=passphrase,
            context=context,
            manages=manages,
        )
    except HopError as error:
        said = _detail(error, CANNOT_SIGN)
        return _sign_page(request, session, record, person, error=said, status=error.status_code)
    return RedirectResponse(f"/signing/{record_id}?done=signed", status_code=303)


@router.post("/signing/{record_id}/public")
def set_public(
    record_id: int,
    session: SessionDep,
    person: CurrentUser,
    public: Annotated[bool, Form()] = False,
) -> Response:
    record = signing.get_record(session, record_id)
    if not signing.require_viewer(session, record, person):
        raise signing.NotASignerError("Only the secretariat can publish a record.")
    signing.set_public(session, record=record, public=public, person=person)
    done = "published" if public else "unpublished"
    return RedirectResponse(f"/signing/{record_id}?done={done}", status_code=303)


# ---- the minutes page -------------------------------------------------------------------------


def minutes_signing(session: Session, minutes: Minutes | None) -> SigningRecordPublic | None:
    """The signing of a final version of the minutes, once it was opened."""
    if minutes is None or minutes.status != MinutesStatus.final or minutes.id is None:
        return None
    record = signing.record_for(session, kind=RecordKind.minutes, ref_id=minutes.id)
    return signing.describe_record(session, record) if record is not None else None


@router.post("/meetings/{meeting_id}/minutes/signing")
def open_minutes_signing(
    meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    """Open the final minutes for signing in the default order: the secretary, then the chair."""
    source = minutes_source(session, meeting)
    record = signing.start_signing(session, source=source, signers=[], author=person)
    return RedirectResponse(f"/signing/{record.id}?done=opened", status_code=303)
