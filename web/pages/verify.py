"""Checking a signed file, for anyone (no login): a PDF's signatures in plain words with one
overall verdict and, when Hop holds the file, which state of which record it is; a signed poll
result (JSON) and whether a receipt is in it; and the public summary of a published record."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from core.errors import HopError
from records import result_signing, signing
from records.signing_errors import NotAPdfError
from web.api.signatures import VerificationPublic, describe_verification
from web.deps import SessionDep, StateDep
from web.pages.error_words import Detail
from web.pages.render import N_, render
from web.pages.signatures import meeting_title, step_views
from web.signing import SigningContextDep

router = APIRouter()
RESULT_MAX = 5 * 1024 * 1024

# The overall verdict of a PDF: its words and how the page shows it (ok, warn, bad).
VERDICTS = {
    "final": (N_("Valid: this is the final signed record of Hop."), "ok"),
    "partial": (
        N_("Valid signatures, but not every signer has signed this record yet."),
        "warn",
    ),
    "not_hop": (N_("Valid signatures, but this file is not a record kept by Hop."), "warn"),
    "unsigned": (N_("This PDF holds no signature."), "warn"),
    "changed": (N_("INVALID: the file was changed after it was signed."), "bad"),
    "untrusted": (
        N_("Not trusted: a signature does not come from a certificate authority Hop trusts."),
        "bad",
    ),
    "invalid": (N_("INVALID: a signature does not verify."), "bad"),
}
EMPTY_FILE = N_("Choose a file to check: it is empty or larger than the limit.")
NOT_A_PDF = N_("This file is not a PDF that can be read.")
NOT_A_RESULT = N_("This file is not a signed poll result.")


def verdict(result: VerificationPublic) -> str:
    """One word for the whole file, the worst finding first."""
    checks = result.signatures
    if not checks:
        return "unsigned"
    if any(not check.intact or check.changed_after for check in checks):
        return "changed"
    if any(not check.trusted for check in checks):
        return "untrusted"
    if any(not check.valid for check in checks):
        return "invalid"
    if result.record_id is None:
        return "not_hop"
    return "final" if result.final else "partial"


def _page(request: Request, *, status: int = 200, **context: Any) -> HTMLResponse:
    values = {"pdf": None, "result": None, "error": None, "verdicts": VERDICTS, **context}
    return render(request, "pages/verify.html", values, status=status)


async def _read(file: UploadFile | None, limit: int) -> bytes | None:
    data = await file.read(limit + 1) if file is not None else b""
    return data if data and len(data) <= limit else None


@router.get("/verify", response_class=HTMLResponse)
def verify_page(request: Request) -> HTMLResponse:
    return _page(request)


@router.post("/verify", response_class=HTMLResponse)
async def verify_pdf(
    request: Request,
    session: SessionDep,
    state: StateDep,
    context: SigningContextDep,
    file: Annotated[UploadFile | None, File()] = None,
) -> HTMLResponse:
    """Every signature of an uploaded PDF, and the Hop record it is a state of."""
    data = await _read(file, state.settings.max_upload_bytes)
    if data is None:
        return _page(request, error=EMPTY_FILE, status=422)
    try:
        found = await run_in_threadpool(
            signing.verify_upload, session, pdf=data, trust_roots=context.trust_roots
        )
    except NotAPdfError as error:
        return _page(request, error=Detail(error.detail, NOT_A_PDF), status=422)
    pdf = describe_verification(found)
    return _page(request, pdf=pdf, verdict=verdict(pdf), held=_held(session, found))


def _held(session: Session, found: signing.Verification) -> dict[str, Any] | None:
    # The record this file is a state of: the order of its signers, for the page.
    if found.record is None:
        return None
    return {
        "meeting": meeting_title(session, found.record),
        "steps": step_views(session, found.record),
        "total": len(found.steps),
    }


@router.post("/verify/result", response_class=HTMLResponse)
async def verify_result(
    request: Request,
    state: StateDep,
    file: Annotated[UploadFile | None, File()] = None,
    receipt: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    """A signed poll result: signed by this server and unchanged, and the receipt's answer."""
    data = await _read(file, RESULT_MAX)
    if data is None:
        return _page(request, error=EMPTY_FILE, status=422)
    try:
        document = result_signing.load_signed_result(data)
    except HopError as error:
        return _page(request, error=Detail(error.detail, NOT_A_RESULT), status=422)
    key = result_signing.public_key_pem(state.settings.resolved_secret_key)
    return _page(request, result=_result(document, key, receipt.strip()))


def _result(document: dict[str, Any], key: bytes, receipt: str) -> dict[str, Any]:
    poll, result = document["poll"], document["result"]
    return {
        "valid": result_signing.verify_signed_result(document, key),
        "title": str(poll.get("title", "")),
        "meeting": str(poll.get("meeting_title", "")),
        "signed_at": str(document.get("signed_at", "")),
        "verdict": str(result.get("verdict") or ""),
        "receipt": receipt,
        "answer": result_signing.receipt_in(document, receipt) if receipt else None,
    }


@router.get("/records/{record_id}", response_class=HTMLResponse)
def public_record(request: Request, record_id: int, session: SessionDep) -> HTMLResponse:
    """A record's public summary, once the secretariat made it public (else not found)."""
    record = signing.get_record(session, record_id)
    if not record.public:
        raise signing.SigningRecordNotFoundError("No such record to sign.")
    context = {
        "record": signing.describe_record(session, record),
        "meeting": meeting_title(session, record),
        "steps": step_views(session, record),
    }
    return render(request, "pages/record_public.html", context)
