"""PAdES signatures on final records: sign in turn, each in an incremental update so earlier
signatures stay valid, and verify every signature a PDF holds. Blocking: run in a thread."""

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import aiohttp
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers import PdfSignatureMetadata, PdfSigner
from pyhanko.sign.signers.pdf_cms import Signer
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

from records.signer_keys import SIGNING_USAGES, check_certificate, signing_usages
from records.signing_errors import KeyUsageError, NotAPdfError, SigningFailedError

logger = logging.getLogger(__name__)

CERT_SUFFIXES = (".pem", ".crt", ".cer")
# What may follow a signature without changing what was signed: nothing, LTV data, further
# signatures (pyHanko counts signing a new field as form filling).
_HARMLESS = ("NONE", "LTA_UPDATES", "FORM_FILLING")


@dataclass(frozen=True)
class SignatureCheck:
    """What verification found about one signature of a PDF."""

    field_name: str
    signer_name: str
    signer_subject: str
    issuer: str
    chain: list[str]
    trusted: bool
    intact: bool
    valid: bool
    signed_at: datetime | None
    timestamped: bool
    changed_after: bool
    summary: str


def pdf_sha256(pdf: bytes) -> str:
    """The SHA-256 of the PDF's bytes, hex."""
    return hashlib.sha256(pdf).hexdigest()


def load_trust_roots(paths: Sequence[Path]) -> list[asn1_x509.Certificate]:
    """The certificates in PEM or DER files, or in folders of *.pem, *.crt and *.cer files."""
    roots: list[asn1_x509.Certificate] = []
    for path in paths:
        files = (
            sorted(p for p in path.iterdir() if p.suffix.lower() in CERT_SUFFIXES)
            if path.is_dir()
            else [path]
        )
        for file in files:
            roots.extend(_read_certificates(file))
    return roots


def sign_pdf(
    pdf: bytes,
    signer: Signer,
    *,
    field_name: str,
    reason: str,
    signer_name: str,
    trust_roots: Sequence[asn1_x509.Certificate],
    timestamp_url: str | None = None,
    location: str = "",
    timestamp_timeout: int = 10,
    at: datetime | None = None,
) -> bytes:
    """The PDF with one more PAdES signature in a new invisible field, appended incrementally."""
    writer = _incremental_writer(pdf)
    check_certificate(signer, trust_roots=trust_roots, at=at or datetime.now(UTC))
    meta = PdfSignatureMetadata(
        field_name=field_name,
        reason=reason or None,
        location=location or None,
        name=signer_name or None,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        embed_validation_info=True,
        validation_context=_validation_context(trust_roots),
        signer_key_usage=_usages_to_require(signer),
    )
    timestamper = (
        HTTPTimeStamper(timestamp_url, timeout=timestamp_timeout) if timestamp_url else None
    )
    pdf_signer = PdfSigner(meta, signer, timestamper=timestamper)
    try:
        output = pdf_signer.sign_pdf(writer)
    except (TimeoutError, TimestampRequestError, aiohttp.ClientError) as error:
        logger.warning("time-stamp request to %s failed: %s", timestamp_url, error)
        raise SigningFailedError("The time-stamp server did not answer.") from error
    except (SigningError, PdfError, PathBuildingError, PathValidationError, ValueError) as error:
        logger.warning("signing field %s failed: %s", field_name, error)
        raise SigningFailedError("The document could not be signed.") from error
    return bytes(output.getbuffer())


def verify_pdf(
    pdf: bytes, *, trust_roots: Sequence[asn1_x509.Certificate], at: datetime | None = None
) -> list[SignatureCheck]:
    """A check of every signature in the PDF, in the order they were made, as of `at` (now)."""
    reader = _reader(pdf)
    try:
        signatures = list(reader.embedded_regular_signatures)
    except (PdfError, ValueError, KeyError, TypeError) as error:
        raise NotAPdfError("The file is damaged and cannot be read as a PDF.") from error
    tail = _uncovered_tail(pdf)
    checks = [_check(signature, trust_roots, at) for signature in signatures]
    return [replace(check, changed_after=True) if tail else check for check in checks]


def _uncovered_tail(pdf: bytes) -> bool:
    # Bytes after the last revision belong to no revision: no signature covers them and
    # pyHanko's revision analysis never sees them, yet a repairing viewer might read them.
    end = pdf.rfind(b"%%EOF")
    return end < 0 or bool(pdf[end + len(b"%%EOF") :].strip())


def _check(
    signature: EmbeddedPdfSignature,
    trust_roots: Sequence[asn1_x509.Certificate],
    at: datetime | None,
) -> SignatureCheck:
    try:
        status = _validate(signature, trust_roots, at=at)
        stamp = status.timestamp_validity
        if not status.trusted and stamp is not None and stamp.trusted:
            # A time-stamp trusted now proves the signature existed at its time: judge the
            # signer's certificate then, so a record outlives its signers' certificates.
            status = _validate(signature, trust_roots, at=at, signer_at=stamp.timestamp)
    except Exception as error:  # noqa: BLE001 - any failure to read a signature is its verdict
        logger.warning("signature %s could not be validated: %s", _field_name(signature), error)
        return _broken_check(signature)
    return _from_status(signature, status)


def _validate(
    signature: EmbeddedPdfSignature,
    trust_roots: Sequence[asn1_x509.Certificate],
    *,
    at: datetime | None,
    signer_at: datetime | None = None,
) -> PdfSignatureStatus:
    return validate_pdf_signature(
        signature,
        signer_validation_context=_validation_context(trust_roots, at=signer_at or at),
        ts_validation_context=_validation_context(trust_roots, at=at),
        key_usage_settings=KeyUsageConstraints(key_usage=set(SIGNING_USAGES)),
    )


def _from_status(signature: EmbeddedPdfSignature, status: PdfSignatureStatus) -> SignatureCheck:
    stamp = status.timestamp_validity
    stamped = stamp is not None and stamp.intact and stamp.valid
    signer_cert = status.signing_cert
    return SignatureCheck(
        field_name=_field_name(signature),
        signer_name=_signer_name(signature, signer_cert),
        signer_subject=_rfc4514(signer_cert).subject.rfc4514_string(),
        issuer=_rfc4514(signer_cert).issuer.rfc4514_string(),
        chain=_chain(signature, status),
        trusted=status.trusted,
        intact=status.intact,
        valid=status.valid,
        signed_at=stamp.timestamp if stamp is not None and stamped else status.signer_reported_dt,
        timestamped=stamped,
        changed_after=_changed_after(status),
        summary=status.summary(),
    )


def _changed_after(status: PdfSignatureStatus) -> bool:
    # A signature that does not cover its whole revision leaves bytes anyone could have changed.
    coverage = status.coverage
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return True
    if coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return False
    level = status.modification_level
    return level is None or level.name not in _HARMLESS or status.docmdp_ok is False


def _broken_check(signature: EmbeddedPdfSignature) -> SignatureCheck:
    try:
        cert: asn1_x509.Certificate | None = signature.signer_cert
    except Exception:  # noqa: BLE001 - a mangled CMS has no certificate to show
        cert = None
    subject = _rfc4514(cert).subject.rfc4514_string() if cert is not None else ""
    issuer = _rfc4514(cert).issuer.rfc4514_string() if cert is not None else ""
    return SignatureCheck(
        field_name=_field_name(signature),
        signer_name=_signer_name(signature, cert),
        signer_subject=subject,
        issuer=issuer,
        chain=[subject] if subject else [],
        trusted=False,
        intact=False,
        valid=False,
        signed_at=None,
        timestamped=False,
        changed_after=True,
        summary="INVALID",
    )


def _chain(signature: EmbeddedPdfSignature, status: PdfSignatureStatus) -> list[str]:
    # The validated path when trusted; otherwise follow issuers through the embedded certificates.
    if status.validation_path is not None:
        path = reversed(list(status.validation_path.iter_certs(include_root=True)))
        return [_rfc4514(cert).subject.rfc4514_string() for cert in path]
    return _embedded_chain(status.signing_cert, signature.other_embedded_certs)


def _embedded_chain(
    leaf: asn1_x509.Certificate, others: Sequence[asn1_x509.Certificate]
) -> list[str]:
    chain, current = [leaf], leaf
    by_subject = {cert.subject.dump(): cert for cert in others}
    while not current.self_issued and len(chain) <= len(others):
        issuer = by_subject.get(current.issuer.dump())
        if issuer is None or issuer in chain:
            break
        chain.append(issuer)
        current = issuer
    return [_rfc4514(cert).subject.rfc4514_string() for cert in chain]


def _rfc4514(cert: asn1_x509.Certificate) -> x509.Certificate:
    return x509.load_der_x509_certificate(cert.dump())


def _field_name(signature: EmbeddedPdfSignature) -> str:
    try:
        return str(signature.field_name)
    except Exception:  # noqa: BLE001 - an unnamed field is shown without a name
        return ""


def _signer_name(signature: EmbeddedPdfSignature, cert: asn1_x509.Certificate | None) -> str:
    name = signature.sig_object.get("/Name")
    if name:
        return str(name)
    if cert is None:
        return ""
    common = cert.subject.native.get("common_name", "")
    return str(common)


def _validation_context(
    trust_roots: Sequence[asn1_x509.Certificate], *, at: datetime | None = None
) -> ValidationContext:
    # No fetching and soft-fail revocation: a private root publishes no OCSP or CRL.
    return ValidationContext(
        trust_roots=list(trust_roots),
        moment=at,
        allow_fetching=False,
        revocation_mode="soft-fail",
    )


def _usages_to_require(signer: Signer) -> set[str]:
    # pyHanko requires every usage it is given; ask for the signing usages the certificate has.
    usages = signing_usages(signer.signing_cert) if signer.signing_cert is not None else set()
    if not usages:
        raise KeyUsageError("The certificate may not be used to sign documents.")
    return usages


def _reader(pdf: bytes) -> PdfFileReader:
    if not pdf.lstrip()[:5] == b"%PDF-":
        raise NotAPdfError("The file is not a PDF.")
    try:
        return PdfFileReader(BytesIO(pdf))
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as error:
        raise NotAPdfError("The file is damaged and cannot be read as a PDF.") from error


def _incremental_writer(pdf: bytes) -> IncrementalPdfFileWriter:
    if not pdf.lstrip()[:5] == b"%PDF-":
        raise NotAPdfError("The file is not a PDF.")
    try:
        return IncrementalPdfFileWriter(BytesIO(pdf))
    except (PdfError, ValueError, KeyError, TypeError, IndexError) as error:
        raise NotAPdfError("The file is damaged and cannot be read as a PDF.") from error


def _read_certificates(file: Path) -> list[asn1_x509.Certificate]:
    try:
        data = file.read_bytes()
        if pem.detect(data):
            ders = [
                der for kind, _, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"
            ]
        else:
            ders = [data]
        certs = [asn1_x509.Certificate.load(der, strict=True) for der in ders]
        for cert in certs:
            _ = cert.native  # parse now, so a broken file fails at start-up and not at signing
    except (OSError, ValueError, TypeError) as error:
        raise ValueError(f"cannot read trusted certificates from {file}: {error}") from error
    if not certs:
        raise ValueError(f"no certificate in {file}")
    return certs
