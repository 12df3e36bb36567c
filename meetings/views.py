"""Read-only queries that the pages need: my meetings, choices for forms, grouped documents."""

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, col, select

from meetings import access, documents, scheduling
from meetings.errors import DocumentNotFoundError
from models import (
    AgendaItem,
    Document,
    DocumentPublic,
    DocumentStatus,
    DocumentVersion,
    Invitation,
    Meeting,
    MeetingStatus,
    Person,
    ReadReceipt,
)
from models.base import utcnow

# The editor offers the step forward first, then going back to draft, then cancelling.
_STATUS_ORDER = [
    MeetingStatus.scheduled,
    MeetingStatus.in_progress,
    MeetingStatus.closed,
    MeetingStatus.draft,
    MeetingStatus.cancelled,
]


@dataclass
class MyMeeting:
    """A meeting as its invitee sees it in "my meetings"."""

    meeting: Meeting
    invitation: Invitation | None
    manages: bool
    unread: int = 0


@dataclass
class DocumentGroup:
    """The documents of one agenda item, or the other documents when item is None."""

    item: AgendaItem | None
    documents: list[DocumentPublic] = field(default_factory=list)


@dataclass
class EditorData:
    """What the meeting editor shows."""

    agenda: list[AgendaItem]
    invitations: list[tuple[Invitation, Person]]
    documents: list[DocumentPublic]
    people: list[Person]
    uninvited: list[Person]
    next_statuses: list[MeetingStatus]


def my_meetings(*, session: Session, viewer: Person, when: str) -> list[MyMeeting]:
    """The meetings the viewer is invited to or chairs: upcoming (soonest first) or past."""
    invited = select(Invitation.meeting_id).where(Invitation.person_id == viewer.id)
    query = select(Meeting).where((col(Meeting.id).in_(invited)) | (Meeting.chair_id == viewer.id))
    now = utcnow()
    if when == "past":
        query = query.where(Meeting.end_at < now).order_by(col(Meeting.start_at).desc())
    else:
        query = query.where(Meeting.end_at >= now).order_by(col(Meeting.start_at))
    meetings = list(session.exec(query.limit(200)))
    ids = [meeting.id for meeting in meetings if meeting.id is not None]
    invitations = _invitations_of(session, viewer, ids)
    unread = unread_counts(session=session, viewer=viewer, meeting_ids=ids)
    return [
        MyMeeting(
            meeting=meeting,
            invitation=invitations.get(meeting.id or 0),
            manages=access.can_manage(session, meeting=meeting, viewer=viewer),
            unread=unread.get(meeting.id or 0, 0),
        )
        for meeting in meetings
    ]


def _invitations_of(session: Session, viewer: Person, ids: list[int]) -> dict[int, Invitation]:
    if not ids:
        return {}
    query = select(Invitation).where(
        Invitation.person_id == viewer.id, col(Invitation.meeting_id).in_(ids)
    )
    return {invitation.meeting_id: invitation for invitation in session.exec(query)}


def unread_counts(*, session: Session, viewer: Person, meeting_ids: list[int]) -> dict[int, int]:
    """Per meeting, the published documents the viewer has not read in their current version."""
    if not meeting_ids:
        return {}
    read_current = (
        select(ReadReceipt.id)
        .join(DocumentVersion, col(DocumentVersion.id) == ReadReceipt.version_id)
        .where(
            ReadReceipt.person_id == viewer.id,
            DocumentVersion.document_id == Document.id,
            DocumentVersion.number == Document.current_version,
        )
        .exists()
    )
    query = (
        select(Document.meeting_id, func.count())
        .where(
            col(Document.meeting_id).in_(meeting_ids),
            Document.status == DocumentStatus.published,
            ~read_current,
        )
        .group_by(col(Document.meeting_id))
    )
    return {int(meeting_id): int(count) for meeting_id, count in session.exec(query)}


def active_people(*, session: Session) -> list[Person]:
    """Every active person, by name (for chair and invitee choices)."""
    query = select(Person).where(col(Person.active).is_(True)).order_by(col(Person.full_name))
    return list(session.exec(query))


def editor_data(*, session: Session, meeting: Meeting, viewer: Person) -> EditorData:
    """Agenda, invitations, documents and choices for the meeting editor."""
    invitations = scheduling.list_invitations(session=session, meeting=meeting)
    people = active_people(session=session)
    invited = {person.id for _, person in invitations}
    return EditorData(
        agenda=scheduling.list_agenda(session=session, meeting=meeting),
        invitations=invitations,
        documents=documents.list_documents(session=session, meeting=meeting, viewer=viewer),
        people=people,
        uninvited=[person for person in people if person.id not in invited],
        next_statuses=sorted(
            scheduling.TRANSITIONS[MeetingStatus(meeting.status)], key=_STATUS_ORDER.index
        ),
    )


def group_documents(
    agenda: list[AgendaItem], documents_: list[DocumentPublic]
) -> list[DocumentGroup]:
    """Documents under their agenda items, in agenda order, then the others."""
    groups = {item.id: DocumentGroup(item=item) for item in agenda}
    other = DocumentGroup(item=None)
    for document in documents_:
        groups.get(document.agenda_item_id, other).documents.append(document)
    return [*groups.values(), other]


def get_meeting_document(
    *, session: Session, meeting: Meeting, document_id: int, viewer: Person
) -> Document:
    """A document of this meeting that the viewer may see, else DocumentNotFoundError."""
    document = documents.get_document(session=session, document_id=document_id, viewer=viewer)
    if document.meeting_id != meeting.id:
        raise DocumentNotFoundError(f"Document {document_id} not found")
    return document


def chair_name(*, session: Session, meeting: Meeting) -> str:
    """The full name of the meeting's chair, or an empty string."""
    chair = session.get(Person, meeting.chair_id) if meeting.chair_id else None
    return chair.full_name if chair else ""


def agenda_item_of(*, session: Session, document: Document) -> AgendaItem | None:
    """The agenda item a document belongs to, if any."""
    return session.get(AgendaItem, document.agenda_item_id) if document.agenda_item_id else None
