"""Signing final records (ký số): a record's PDF goes through its signers in the order set when
signing starts; each adds an incremental PAdES signature with the key of the certificate they
uploaded (or the organisation's seal), so earlier signatures stay valid. A verified upload is
matched to the record it is a state of by its sha256."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from asn1crypto.x509 import Certificate
from pyhanko.sign.signers import SimpleSigner
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.at_rest import AtRestCipher
from core.audit import audit
from core.errors import ConflictError, HopError, NotFoundError, PermissionDeniedError
from meetings.access import can_manage, is_staff
from models import (
    Audience,
    Meeting,
    Person,
    SignerCertificate,
    SignerCertificatePublic,
    SignerChoice,
    SignerRole,
    SigningRecord,
    SigningRecordPublic,
    SigningStatus,
    SigningStep,
    SigningStepPublic,
)
from models.base import utcnow
from models.events import record_event
from records.pdf_signatures import SignatureCheck, pdf_sha256, sign_pdf, verify_pdf
from records.signer_keys import (
    CertificateInfo,
    check_certificate,
    open_key_file,
    read_pkcs12,
    seal_key_file,
)
from records.signing_sources import RecordSource


class SigningRecordNotFoundError(NotFoundError):
    """No such record to sign."""


class SigningOrderError(ConflictError):
    """A signer came before their turn, or the record is signed already."""


class NotASignerError(PermissionDeniedError):
    """The person is not the signer of the record's next step."""


class NoCertificateError(ConflictError):
    """The signer has uploaded no certificate (or no seal is configured)."""


class SigningSetupError(ConflictError):
    """The order of signers is not one that can be signed."""


@dataclass(frozen=True)
class SealConfig:
    """The organisation's seal: its PKCS#12 file and passphrase, set by the administrator."""

    path: Path
    passphrase: str


@dataclass(frozen=True)
class SigningContext:
    """What signing needs from the deployment's settings."""

    cipher: AtRestCipher
    trust_roots: Sequence[Certificate]
    timestamp_url: str | None = None
    seal: SealConfig | None = None
    location: str = ""


@dataclass(frozen=True)
class Verification:
    """An uploaded PDF's signatures and, when Hop holds it, the record it is a state of."""

    sha256: str
    checks: list[SignatureCheck]
    record: SigningRecord | None = None
    # Which state: 0 the unsigned PDF, n after the n-th signature; final when all signed.
    signatures_held: int | None = None
    final: bool = False
    steps: list[SigningStepPublic] = field(default_factory=list)


# ---- certificates ---------------------------------------------------------------------------


def upload_certificate(
    session: Session, *, person: Person, data: bytes, passphrase: str, context: SigningContext
) -> SignerCertificate:
    """Keep a person's PKCS#12 file once its passphrase opens it and its certificate may sign
    now; it replaces the one they had."""
    assert person.id is not None
    signer, info = read_pkcs12(data, passphrase)
    check_certificate(signer, trust_roots=context.trust_roots, at=utcnow())
    row = certificate_of(session, person) or SignerCertificate.model_validate(
        {"person_id": person.id, "sealed_key_file": b"", **_info(info)}
    )
    for name, value in _info(info).items():
        setattr(row, name, value)
    row.sealed_key_file = seal_key_file(context.cipher, data, person_id=person.id)
    row.uploaded_at = utcnow()
    session.add(row)
    audit(
        session,
        action="signer_key.uploaded",
        actor=person,
        target_type="person",
        target_id=person.id,
        detail={"fingerprint": info.fingerprint, "subject": info.subject},
    )
    session.commit()
    session.refresh(row)
    return row


def certificate_of(session: Session, person: Person) -> SignerCertificate | None:
    return session.exec(
        select(SignerCertificate).where(SignerCertificate.person_id == person.id)
    ).first()


def remove_certificate(session: Session, *, person: Person) -> None:
    row = certificate_of(session, person)
    if row is None:
        raise NoCertificateError("No certificate has been uploaded.")
    session.delete(row)
    audit(
        session,
        action="signer_key.removed",
        actor=person,
        target_type="person",
        target_id=person.id,
    )
    session.commit()


def describe_certificate(row: SignerCertificate) -> SignerCertificatePublic:
    return SignerCertificatePublic.model_validate(row, from_attributes=True)


def _info(info: CertificateInfo) -> dict[str, object]:
    return {
        "common_name": info.common_name[:300],
        "subject": info.subject[:500],
        "issuer": info.issuer[:500],
        "serial": info.serial[:80],
        "not_before": info.not_before,
        "not_after": info.not_after,
        "fingerprint": info.fingerprint,
    }


# ---- records --------------------------------------------------------------------------------


def start_signing(
    session: Session,
    *,
    source: RecordSource,
    signers: list[SignerChoice],
    author: Person,
    public: bool = False,
) -> SigningRecord:
    """Open a record for signing in the given order (empty: the kind's default order)."""
    order = signers or source.default_signers
    _check_order(session, order)
    digest = pdf_sha256(source.pdf)
    record = SigningRecord(
        kind=source.kind,
        ref_id=source.ref_id,
        meeting_id=source.meeting_id,
        title=source.title[:300],
        file_name=source.file_name[:200],
        base_sha256=digest,
        sha256=digest,
        pdf=source.pdf,
        public=public,
        created_by=author.id,
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError as error:
        session.rollback()
        raise SigningOrderError("This record is already being signed.") from error
    assert record.id is not None
    for position, choice in enumerate(order, start=1):
        session.add(
            SigningStep(
                record_id=record.id, position=position, role=choice.role, person_id=choice.person_id
            )
        )
    _audit(
        session,
        record,
        "record.signing_started",
        author,
        {"signers": [[c.role.value, c.person_id] for c in order], "sha256": digest},
    )
    _event(session, record, "record.signing")
    session.commit()
    session.refresh(record)
    return record


def _check_order(session: Session, order: list[SignerChoice]) -> None:
    if not order:
        raise SigningSetupError("Choose at least one signer.")
    people: set[int] = set()
    for choice in order:
        if (choice.role == SignerRole.seal) != (choice.person_id is None):
            raise SigningSetupError("Every signer but the seal is a person.")
        if choice.person_id is not None:
            if choice.person_id in people:
                raise SigningSetupError("A person signs a record only once.")
            if session.get(Person, choice.person_id) is None:
                raise SigningSetupError("A chosen signer does not exist.")
            people.add(choice.person_id)


def get_record(session: Session, record_id: int) -> SigningRecord:
    record = session.get(SigningRecord, record_id)
    if record is None:
        raise SigningRecordNotFoundError("No such record to sign.")
    return record


def record_for(session: Session, *, kind: str, ref_id: int) -> SigningRecord | None:
    return session.exec(
        select(SigningRecord).where(SigningRecord.kind == kind, SigningRecord.ref_id == ref_id)
    ).first()


def steps_of(session: Session, record: SigningRecord) -> list[SigningStep]:
    return list(
        session.exec(
            select(SigningStep)
            .where(SigningStep.record_id == record.id)
            .order_by(col(SigningStep.position))
        ).all()
    )


def next_step(session: Session, record: SigningRecord) -> SigningStep | None:
    return next((step for step in steps_of(session, record) if step.signed_at is None), None)


def may_sign(step: SigningStep, person: Person, *, manages: bool) -> bool:
    """A person signs their own step; the seal is applied by someone who manages the record."""
    if step.role == SignerRole.seal:
        return manages
    return step.person_id == person.id


def sign_next(
    session: Session,
    *,
    record: SigningRecord,
    person: Person,
    passphrase: str,
    context: SigningContext,
    manages: bool = False,
) -> SigningRecord:
    """Add the next signature. Refusals (out of turn, a wrong passphrase, a certificate that may
    not sign) change nothing but are audited."""
    try:
        step = _turn(session, record, person, manages=manages)
        signer, info = _key_for(session, step, person, passphrase, context)
        signed = sign_pdf(
            record.pdf,
            signer,
            field_name=f"Sig{step.position}-{str(step.role)}",
            reason=_reason(step.role),
            signer_name=info.common_name,
            trust_roots=context.trust_roots,
            timestamp_url=context.timestamp_url,
            location=context.location,
            at=utcnow(),  # the certificate is checked as of now (sign_pdf refuses it otherwise)
        )
    except HopError as error:
        session.rollback()
        _audit(session, record, "record.sign_refused", person, {"reason": type(error).__name__})
        session.commit()
        raise
    _apply(session, record, step, person, info, signed)
    return record


def _turn(session: Session, record: SigningRecord, person: Person, *, manages: bool) -> SigningStep:
    if record.status == SigningStatus.signed:
        raise SigningOrderError("This record has been signed by everyone already.")
    steps = steps_of(session, record)
    current = next(step for step in steps if step.signed_at is None)
    if may_sign(current, person, manages=manages):
        return current
    if any(step.signed_at is None and may_sign(step, person, manages=manages) for step in steps):
        raise SigningOrderError("Earlier signers have not signed yet: wait for your turn.")
    raise NotASignerError("You are not a signer of this record.")


def _key_for(
    session: Session, step: SigningStep, person: Person, passphrase: str, context: SigningContext
) -> tuple[SimpleSigner, CertificateInfo]:
    if step.role == SignerRole.seal:
        if context.seal is None:
            raise NoCertificateError("No seal certificate is configured on this server.")
        return read_pkcs12(context.seal.path.read_bytes(), context.seal.passphrase)
    assert person.id is not None
    row = certificate_of(session, person)
    if row is None:
        raise NoCertificateError("Upload your signing certificate first.")
    data = open_key_file(context.cipher, row.sealed_key_file, person_id=person.id)
    return read_pkcs12(data, passphrase)


def _apply(
    session: Session,
    record: SigningRecord,
    step: SigningStep,
    person: Person,
    info: CertificateInfo,
    signed: bytes,
) -> None:
    digest = pdf_sha256(signed)
    step.signed_at, step.signed_by, step.sha256 = utcnow(), person.id, digest
    step.field_name = f"Sig{step.position}-{str(step.role)}"
    step.certificate_subject, step.certificate_fingerprint = info.subject[:500], info.fingerprint
    record.pdf, record.sha256 = signed, digest
    if all(
        other.signed_at is not None for other in steps_of(session, record) if other.id != step.id
    ):
        record.status, record.completed_at = SigningStatus.signed, utcnow()
    session.add(step)
    session.add(record)
    _audit(
        session,
        record,
        "record.signed",
        person,
        {
            "position": step.position,
            "role": str(step.role),
            "sha256": digest,
            "certificate": info.fingerprint,
        },
    )
    _event(session, record, "record.signed")
    session.commit()
    session.refresh(record)


def _reason(role: SignerRole) -> str:
    return {
        SignerRole.secretary: "Thư ký ký biên bản",
        SignerRole.chair: "Chủ tọa ký",
        SignerRole.drafter: "Cơ quan soạn thảo ký",
        SignerRole.seal: "Đóng dấu của cơ quan",
    }.get(role, "Ký")


def set_public(session: Session, *, record: SigningRecord, public: bool, person: Person) -> None:
    record.public = public
    session.add(record)
    _audit(session, record, "record.published" if public else "record.unpublished", person, {})
    session.commit()
    session.refresh(record)


def to_sign(session: Session, person: Person, *, manages_seal: bool = False) -> list[SigningRecord]:
    """Records whose next step is this person's (or the seal, for those who apply it)."""
    pending = session.exec(
        select(SigningRecord)
        .where(SigningRecord.status == SigningStatus.signing)
        .order_by(col(SigningRecord.created_at))
    ).all()
    mine = []
    for record in pending:
        step = next_step(session, record)
        if step is not None and may_sign(step, person, manages=manages_seal):
            mine.append(record)
    return mine


def describe_record(session: Session, record: SigningRecord) -> SigningRecordPublic:
    steps = [_describe_step(session, step) for step in steps_of(session, record)]
    upcoming = next((step.position for step in steps if step.signed_at is None), None)
    assert record.id is not None
    return SigningRecordPublic(
        id=record.id,
        kind=record.kind,
        ref_id=record.ref_id,
        meeting_id=record.meeting_id,
        title=record.title,
        file_name=record.file_name,
        base_sha256=record.base_sha256,
        sha256=record.sha256,
        status=record.status,
        public=record.public,
        created_at=record.created_at,
        completed_at=record.completed_at,
        steps=steps,
        next_position=upcoming,
    )


def _describe_step(session: Session, step: SigningStep) -> SigningStepPublic:
    person = session.get(Person, step.person_id) if step.person_id is not None else None
    return SigningStepPublic(
        position=step.position,
        role=step.role,
        person_id=step.person_id,
        person_name=person.full_name if person is not None else "",
        signed_at=step.signed_at,
        sha256=step.sha256,
        certificate_subject=step.certificate_subject,
    )


# ---- verification ---------------------------------------------------------------------------


def verify_upload(
    session: Session, *, pdf: bytes, trust_roots: Sequence[Certificate]
) -> Verification:
    """Every signature of an uploaded PDF, and the Hop record it is a state of, if any; checking
    a Hop record is audited (who checked is not known: the page needs no login)."""
    checks = verify_pdf(pdf, trust_roots=trust_roots)
    digest = pdf_sha256(pdf)
    record, held = _held_state(session, digest)
    if record is None:
        return Verification(sha256=digest, checks=checks)
    steps = steps_of(session, record)
    final = record.status == SigningStatus.signed and held == len(steps)
    _audit(
        session,
        record,
        "record.verified",
        "visitor",
        {"sha256": digest, "signatures": held, "final": final},
    )
    session.commit()
    return Verification(
        sha256=digest,
        checks=checks,
        record=record,
        signatures_held=held,
        final=final,
        steps=[_describe_step(session, step) for step in steps],
    )


def _held_state(session: Session, digest: str) -> tuple[SigningRecord | None, int | None]:
    step = session.exec(select(SigningStep).where(SigningStep.sha256 == digest)).first()
    if step is not None:
        return session.get(SigningRecord, step.record_id), step.position
    record = session.exec(select(SigningRecord).where(SigningRecord.base_sha256 == digest)).first()
    return (record, 0) if record is not None else (None, None)


def _audit(
    session: Session,
    record: SigningRecord,
    action: str,
    actor: Person | str,
    detail: dict[str, object],
) -> None:
    audit(
        session,
        action=action,
        actor=actor,
        target_type="signing_record",
        target_id=record.id,
        meeting_id=record.meeting_id,
        detail={"kind": str(record.kind), **detail},
    )


def _event(session: Session, record: SigningRecord, kind: str) -> None:
    if record.meeting_id is not None:
        record_event(
            session,
            meeting_id=record.meeting_id,
            type=kind,
            data={"record": record.id, "status": str(record.status)},
            audience=Audience.managers,
        )


# ---- who may see and manage a record --------------------------------------------------------


def manages_record(session: Session, record: SigningRecord, person: Person) -> bool:
    """Those who manage its meeting (the secretariat, the chair) manage a record."""
    if record.meeting_id is None:
        return is_staff(person)
    meeting = session.get(Meeting, record.meeting_id)
    return meeting is not None and can_manage(session, meeting=meeting, viewer=person)


def require_viewer(session: Session, record: SigningRecord, person: Person) -> bool:
    """A record is seen by its signers and its managers (others: not found); True: manages."""
    manages = manages_record(session, record, person)
    signs = any(step.person_id == person.id for step in steps_of(session, record))
    if not (manages or signs):
        raise SigningRecordNotFoundError("No such record to sign.")
    return manages


def records_of_meeting(session: Session, meeting: Meeting) -> list[SigningRecord]:
    return list(
        session.exec(
            select(SigningRecord)
            .where(SigningRecord.meeting_id == meeting.id)
            .order_by(col(SigningRecord.created_at))
        ).all()
    )
