"""Signed records (ký số): a PDF of a final record signed in a set order by its signers with
PAdES signatures, and the signers' certificates (PKCS#12 files, sealed under the server secret)."""

from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import DateTime, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import as_utc_or_none, utcnow


class RecordKind(StrEnum):
    minutes = "minutes"  # a final version of a meeting's minutes
    document = "document"  # a document the secretariat marks as a record to sign (a resolution)
    opinion_report = "opinion_report"  # the final consolidated report of a comment round


class SignerRole(StrEnum):
    secretary = "secretary"
    chair = "chair"
    drafter = "drafter"
    member = "member"
    seal = "seal"  # the organisation's seal certificate, configured by the administrator


class SigningStatus(StrEnum):
    signing = "signing"
    signed = "signed"


class SigningRecord(SQLModel, table=True):
    """A record's PDF on its way through the signers; `pdf` is the latest signed (or unsigned)
    state, each step keeps the sha256 of the file its signature made."""

    __tablename__ = "signing_record"
    __table_args__ = (UniqueConstraint("kind", "ref_id", name="uq_signing_record_ref"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: RecordKind = Field(sa_type=String(20))
    ref_id: int
    meeting_id: int | None = Field(
        default=None, foreign_key="meeting.id", ondelete="SET NULL", index=True
    )
    title: str = Field(max_length=300)
    file_name: str = Field(max_length=200)
    base_sha256: str = Field(max_length=64, index=True)
    sha256: str = Field(max_length=64, index=True)
    pdf: bytes = Field(sa_type=LargeBinary, repr=False)
    status: SigningStatus = Field(default=SigningStatus.signing, sa_type=String(16))
    public: bool = False
    created_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    completed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class SigningStep(SQLModel, table=True):
    """One signer's place in a record's order; signed once `signed_at` is set."""

    __tablename__ = "signing_step"
    __table_args__ = (UniqueConstraint("record_id", "position", name="uq_signing_step_position"),)
    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="signing_record.id", ondelete="CASCADE", index=True)
    position: int = Field(ge=1)
    role: SignerRole = Field(sa_type=String(16))
    # The person who signs; none for the seal, which anyone managing the record may apply.
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    signed_by: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    signed_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    sha256: str | None = Field(default=None, max_length=64, index=True)
    field_name: str = Field(default="", max_length=80)
    certificate_subject: str = Field(default="", max_length=500)
    certificate_fingerprint: str = Field(default="", max_length=64)


class SignerCertificate(SQLModel, table=True):
    """A person's signing certificate and key: the PKCS#12 file as uploaded (itself protected by
    the person's passphrase, never stored), sealed again under a key derived from the server
    secret and bound to the person."""

    __tablename__ = "signer_certificate"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", ondelete="CASCADE", unique=True)
    sealed_key_file: bytes = Field(sa_type=LargeBinary, repr=False)
    common_name: str = Field(max_length=300)
    subject: str = Field(max_length=500)
    issuer: str = Field(max_length=500)
    serial: str = Field(max_length=80)
    not_before: datetime = Field(sa_type=DateTime(timezone=True))
    not_after: datetime = Field(sa_type=DateTime(timezone=True))
    fingerprint: str = Field(max_length=64)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class SignerCertificatePublic(SQLModel):
    common_name: str
    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    fingerprint: str
    uploaded_at: datetime

    _utc_times = field_validator("not_before", "not_after", "uploaded_at")(as_utc_or_none)


class SigningStepPublic(SQLModel):
    position: int
    role: SignerRole
    person_id: int | None
    person_name: str = ""
    signed_at: datetime | None
    sha256: str | None
    certificate_subject: str

    _utc_times = field_validator("signed_at")(as_utc_or_none)


class SigningRecordPublic(SQLModel):
    id: int
    kind: RecordKind
    ref_id: int
    meeting_id: int | None
    title: str
    file_name: str
    base_sha256: str
    sha256: str
    status: SigningStatus
    public: bool
    created_at: datetime
    completed_at: datetime | None
    steps: list[SigningStepPublic]
    next_position: int | None

    _utc_times = field_validator("created_at", "completed_at")(as_utc_or_none)


class SignerChoice(SQLModel):
    """A place in the order as the secretariat sets it: a role and its person (none: the seal)."""

    role: SignerRole
    person_id: int | None = None


class SigningStart(SQLModel):
    """The order of signers; empty: the record kind's default (minutes: secretary, then chair)."""

    signers: list[SignerChoice] = Field(default_factory=list, max_length=10)
    public: bool = False


class SignRequest(SQLModel):
    passphrase: str = Field(default="", max_length=1000)


class PublicFlag(SQLModel):
    public: bool
