"""Which meetings and documents a person keeps on their tablet, to read with the network off.

The rule lives here; web.pages.offline turns it into the service worker's list of URLs. A meeting
that leaves this list (closed, cancelled, over, or no longer the person's) is wiped from the
tablet at its next sync."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from models import (
    Document,
    DocumentStatus,
    DocumentVersion,
    Invitation,
    Meeting,
    MeetingStatus,
    Person,
)
from models.base import utcnow

# Files the reader shows as they are; any other allowed type (Word, Excel, ...) is read through
# the PDF rendering the server makes of it.
AS_IS_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
# A tablet keeps a few days of a delegate's meetings, never a whole archive.
MAX_MEETINGS = 20


@dataclass(frozen=True)
class OfflineDocument:
    """A published document at its current version."""

    id: int
    title: str
    version: int
    media_type: str

    @property
    def rendered(self) -> bool:
        """Read through its PDF rendering (an Office file), not as it is."""
        return self.media_type not in AS_IS_TYPES


@dataclass(frozen=True)
class OfflineMeeting:
    meeting: Meeting
    documents: list[OfflineDocument]


def kept_offline(
    *, session: Session, person: Person, days: int, now: datetime | None = None
) -> list[OfflineMeeting]:
    """The person's meetings (invited or chairing) in progress, or scheduled, not over and
    starting within `days` days; soonest first, each with its published documents."""
    meetings = _meetings(session, person, now or utcnow(), days)
    documents = _documents(session, [meeting.id for meeting in meetings if meeting.id])
    return [
        OfflineMeeting(meeting=meeting, documents=documents.get(meeting.id or 0, []))
        for meeting in meetings
    ]


def _meetings(session: Session, person: Person, now: datetime, days: int) -> list[Meeting]:
    invited = select(Invitation.meeting_id).where(Invitation.person_id == person.id)
    upcoming = and_(
        col(Meeting.status) == MeetingStatus.scheduled,
        col(Meeting.start_at) <= now + timedelta(days=days),
        # A meeting whose end passed without being started or closed is not worth carrying.
        col(Meeting.end_at) >= now,
    )
    query = (
        select(Meeting)
        .where(or_(col(Meeting.id).in_(invited), col(Meeting.chair_id) == person.id))
        .where(or_(col(Meeting.status) == MeetingStatus.in_progress, upcoming))
        .order_by(col(Meeting.start_at), col(Meeting.id))
        .limit(MAX_MEETINGS)
    )
    return list(session.exec(query))


def _documents(session: Session, meeting_ids: list[int]) -> dict[int, list[OfflineDocument]]:
    if not meeting_ids:
        return {}
    query = (
        select(Document, DocumentVersion)
        .join(DocumentVersion, col(DocumentVersion.document_id) == Document.id)
        .where(
            col(Document.meeting_id).in_(meeting_ids),
            col(Document.status) == DocumentStatus.published,
            col(DocumentVersion.number) == Document.current_version,
        )
        .order_by(col(Document.created_at), col(Document.id))
    )
    found: dict[int, list[OfflineDocument]] = {}
    for document, version in session.exec(query):
        assert document.id is not None
        kept = OfflineDocument(
            id=document.id,
            title=document.title,
            version=version.number,
            media_type=version.media_type,
        )
        found.setdefault(document.meeting_id, []).append(kept)
    return found
