"""Signed records (ký số): each signer's certificate, starting the signing of a final record
(minutes, a PDF document, the final opinion report), signing in order, and verifying a PDF
(no login: anyone holding a copy may check it)."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from core.errors import InvalidInputError, NotFoundError
from meetings import access
from meetings import documents as docs
from models import (
    PublicFlag,
    SignerCertificatePublic,
    SigningRecordPublic,
    SigningStart,
    SigningStepPublic,
    SignRequest,
)
from records import signing
from records.pdf_signatures import SignatureCheck
from records.signing_sources import document_source, minutes_source, report_source
from web.api.rounds import ManagedRoundDep
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep, StateDep
from web.signing import SigningContextDep

router = APIRouter(tags=["signatures"])
KEY_FILE_MAX = 256 * 1024


class EmptyUploadError(InvalidInputError):
    """An upload with no bytes, or too many for its kind."""


class VerificationPublic(BaseModel):
    sha256: str
    signatures: list[SignatureCheck]
    # The Hop record this file is a state of: which state, and whether it is the final one.
    record_id: int | None = None
    record_title: str | None = None
    record_public: bool = False
    signatures_held: int | None = None
    final: bool = False
    steps: list[SigningStepPublic] = []


# ---- certificates ---------------------------------------------------------------------------


@router.get("/me/certificate")
def my_certificate(session: SessionDep, person: CurrentUser) -> SignerCertificatePublic:
    row = signing.certificate_of(session, person)
    if row is None:
        raise NotFoundError("No certificate has been uploaded.")
    return signing.describe_certificate(row)


@router.post("/me/certificate", status_code=201)
async def upload_certificate(
    file: Annotated[UploadFile, File()],
    passphrase: Annotated[str, Form(max_length=1000)],
    session: SessionDep,
    person: CurrentUser,
    context: SigningContextDep,
) -> SignerCertificatePublic:
    """A PKCS#12 file (.p12, .pfx) and its passphrase, checked and kept sealed; the passphrase
    is not stored and is asked again at every signature."""
    data = await _read(file, KEY_FILE_MAX)
    row = await run_in_threadpool(
        signing.upload_certificate,
        session,
        person=person,
        data=data,
        passphrase=passphrase,
        context=context,
    )
    return signing.describe_certificate(row)


@router.delete("/me/certificate", status_code=204)
def remove_certificate(session: SessionDep, person: CurrentUser) -> Response:
    signing.remove_certificate(session, person=person)
    return Response(status_code=204)


@router.get("/me/to-sign")
def to_sign(session: SessionDep, person: CurrentUser) -> list[SigningRecordPublic]:
    """Records whose next signature is this person's."""
    mine = signing.to_sign(session, person)
    return [signing.describe_record(session, record) for record in mine]


# ---- starting -------------------------------------------------------------------------------


@router.post("/meetings/{meeting_id}/minutes/signing", status_code=201)
def sign_minutes(
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    data: SigningStart | None = None,
) -> SigningRecordPublic:
    """Open the final minutes for signing; by default the secretary, then the chair."""
    return _start(session, minutes_source(session, meeting), data, person)


@router.post("/documents/{document_id}/signing", status_code=201)
def sign_document(
    document_id: int,
    session: SessionDep,
    person: CurrentUser,
    state: StateDep,
    data: SigningStart | None = None,
) -> SigningRecordPublic:
    """Mark a PDF document (a resolution) as a record to sign; by default by the chair."""
    document = docs.get_document(session=session, document_id=document_id, viewer=person)
    meeting = access.get_managed_meeting(session, meeting_id=document.meeting_id, viewer=person)
    source = document_source(session, document, meeting, state.uploads.store)
    return _start(session, source, data, person)


@router.post("/rounds/{round_id}/report/signing", status_code=201)
def sign_report(
    round: ManagedRoundDep,
    session: SessionDep,
    person: CurrentUser,
    data: SigningStart | None = None,
) -> SigningRecordPublic:
    """Open the final consolidated opinion report for signing by the drafting body."""
    return _start(session, report_source(session, round), data, person)


@router.get("/meetings/{meeting_id}/signing")
def meeting_records(meeting: ManagedMeetingDep, session: SessionDep) -> list[SigningRecordPublic]:
    records = signing.records_of_meeting(session, meeting)
    return [signing.describe_record(session, record) for record in records]


def _start(
    session: SessionDep,
    source: signing.RecordSource,
    data: SigningStart | None,
    person: CurrentUser,
) -> SigningRecordPublic:
    start = data or SigningStart()
    record = signing.start_signing(
        session, source=source, signers=start.signers, author=person, public=start.public
    )
    return signing.describe_record(session, record)


# ---- signing --------------------------------------------------------------------------------


@router.get("/signing/{record_id}")
def get_record(record_id: int, session: SessionDep, person: CurrentUser) -> SigningRecordPublic:
    record = signing.get_record(session, record_id)
    signing.require_viewer(session, record, person)
    return signing.describe_record(session, record)


@router.get("/signing/{record_id}/pdf")
def record_pdf(record_id: int, session: SessionDep, person: CurrentUser) -> Response:
    """The record as it is now: what the next signer signs."""
    record = signing.get_record(session, record_id)
    signing.require_viewer(session, record, person)
    return Response(
        content=record.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{record.file_name}"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/signing/{record_id}/sign")
def sign(
    record_id: int,
    data: SignRequest,
    session: SessionDep,
    person: CurrentUser,
    context: SigningContextDep,
) -> SigningRecordPublic:
    """Add this person's signature when it is their turn (the passphrase opens their key)."""
    record = signing.get_record(session, record_id)
    manages = signing.require_viewer(session, record, person)
    signing.sign_next(
        session,
        record=record,
        person=person,
        passphrase=data.passphrase,
        context=context,
        manages=manages,
    )
    return signing.describe_record(session, record)


@router.put("/signing/{record_id}/public")
def set_public(
    record_id: int, data: PublicFlag, session: SessionDep, person: CurrentUser
) -> SigningRecordPublic:
    """Whether the verification page links to the record's public summary."""
    record = signing.get_record(session, record_id)
    if not signing.require_viewer(session, record, person):
        raise signing.NotASignerError("Only the secretariat can publish a record.")
    signing.set_public(session, record=record, public=data.public, person=person)
    return signing.describe_record(session, record)


@router.get("/records/{record_id}")
def public_record(record_id: int, session: SessionDep) -> SigningRecordPublic:
    """A record's public summary (no login), once the secretariat made it public."""
    record = signing.get_record(session, record_id)
    if not record.public:
        raise signing.SigningRecordNotFoundError("No such record to sign.")
    return signing.describe_record(session, record)


# ---- verification ---------------------------------------------------------------------------


@router.post("/verify")
async def verify(
    file: Annotated[UploadFile, File()],
    session: SessionDep,
    state: StateDep,
    context: SigningContextDep,
) -> VerificationPublic:
    """Every signature of a PDF, and whether it is a state of a record Hop holds (no login)."""
    limit = state.settings.max_upload_bytes
    data = await _read(file, limit)
    result = await run_in_threadpool(
        signing.verify_upload, session, pdf=data, trust_roots=context.trust_roots
    )
    return describe_verification(result)


def describe_verification(result: signing.Verification) -> VerificationPublic:
    record = result.record
    return VerificationPublic(
        sha256=result.sha256,
        signatures=result.checks,
        record_id=record.id if record is not None else None,
        record_title=record.title if record is not None else None,
        record_public=record.public if record is not None else False,
        signatures_held=result.signatures_held,
        final=result.final,
        steps=result.steps,
    )


async def _read(file: UploadFile, limit: int) -> bytes:
    data = await file.read(limit + 1)
    if not data:
        raise EmptyUploadError("The file is empty.", field="file")
    if len(data) > limit:
        raise EmptyUploadError("The file is too large.", field="file")
    return data
