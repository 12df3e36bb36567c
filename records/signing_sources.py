"""What a signed record starts from: the PDF of a final record, its title and file name, and
the order of signers its kind has by default (minutes: the secretary, then the chair)."""

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from core.errors import ConflictError
from meetings.storage import BlobStore
from models import (
    CommentRound,
    Document,
    DocumentVersion,
    Meeting,
    MinutesStatus,
    RecordKind,
    RoundReport,
    RoundRole,
    SignerChoice,
    SignerRole,
)
from models.draft import RoundMember
from records.minutes import latest_minutes
from records.minutes_export import minutes_pdf
from records.opinion_report import ReportBody, report_pdf

PDF = "application/pdf"


class NotSignableError(ConflictError):
    """The record is not in a state to be signed (not final, not a PDF)."""


@dataclass(frozen=True)
class RecordSource:
    kind: RecordKind
    ref_id: int
    meeting_id: int | None
    title: str
    file_name: str
    pdf: bytes
    default_signers: list[SignerChoice] = field(default_factory=list)


def minutes_source(session: Session, meeting: Meeting) -> RecordSource:
    """The latest final minutes, signed by whoever finalised them (the secretary), then the
    chair."""
    minutes = latest_minutes(session=session, meeting=meeting)
    if minutes is None or minutes.status != MinutesStatus.final or minutes.id is None:
        raise NotSignableError("Only final minutes can be signed: finalise them first.")
    signers = [SignerChoice(role=SignerRole.secretary, person_id=minutes.finalised_by)]
    if meeting.chair_id is not None:
        signers.append(SignerChoice(role=SignerRole.chair, person_id=meeting.chair_id))
    return RecordSource(
        kind=RecordKind.minutes,
        ref_id=minutes.id,
        meeting_id=meeting.id,
        title=f"Biên bản: {meeting.title} (v{minutes.version})",
        file_name=f"bien-ban-hop-{meeting.id}-v{minutes.version}.pdf",
        pdf=minutes_pdf(minutes),
        default_signers=signers,
    )


def document_source(
    session: Session, document: Document, meeting: Meeting, blobs: BlobStore
) -> RecordSource:
    """A document's current version, when it is a PDF (a resolution), signed by the chair."""
    version = session.exec(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document.id)
        .order_by(col(DocumentVersion.number).desc())
    ).first()
    if version is None or version.media_type != PDF or version.id is None:
        raise NotSignableError("Only a PDF document can be signed.")
    signers = []
    if meeting.chair_id is not None:
        signers.append(SignerChoice(role=SignerRole.chair, person_id=meeting.chair_id))
    return RecordSource(
        kind=RecordKind.document,
        ref_id=version.id,
        meeting_id=meeting.id,
        title=f"{document.title} (v{version.number})",
        file_name=version.filename,
        pdf=blobs.path_for(version.blob_sha256).read_bytes(),
        default_signers=signers,
    )


def report_source(session: Session, round: CommentRound) -> RecordSource:
    """The final consolidated opinion report, signed by the drafting body."""
    report = session.exec(
        select(RoundReport)
        .where(RoundReport.round_id == round.id, col(RoundReport.final).is_(True))
        .order_by(col(RoundReport.version).desc())
    ).first()
    if report is None or report.id is None:
        raise NotSignableError("Only the final version of the report can be signed.")
    drafters = session.exec(
        select(RoundMember.person_id)
        .where(RoundMember.round_id == round.id, RoundMember.role == RoundRole.drafter)
        .order_by(col(RoundMember.id))
    ).all()
    return RecordSource(
        kind=RecordKind.opinion_report,
        ref_id=report.id,
        meeting_id=round.meeting_id,
        title=f"Báo cáo tiếp thu, giải trình: {round.title} (v{report.version})",
        file_name=f"bao-cao-tiep-thu-{round.id}-v{report.version}.pdf",
        pdf=report_pdf(ReportBody.from_json(report.body)),
        default_signers=[SignerChoice(role=SignerRole.drafter, person_id=p) for p in drafters[:1]],
    )
