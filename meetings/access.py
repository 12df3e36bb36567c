"""Who may see and who may manage a meeting. What someone may not see is 'not found'."""

from sqlmodel import Session, select

from meetings.errors import MeetingNotFoundError, NotAllowedError
from models import Invitation, Meeting, MeetingRole, Person, Role

STAFF_ROLES = frozenset({Role.admin, Role.secretariat})


def is_staff(person: Person) -> bool:
    """Secretariat and admins manage everything."""
    return person.role in STAFF_ROLES


def find_invitation(session: Session, *, meeting_id: int, person_id: int) -> Invitation | None:
    """The person's invitation to the meeting, if any."""
    query = select(Invitation).where(
        Invitation.meeting_id == meeting_id, Invitation.person_id == person_id
    )
    return session.exec(query).first()


def can_view(session: Session, *, meeting: Meeting, viewer: Person) -> bool:
    """Staff see every meeting; the chair and invitees see theirs."""
    return sees(
        meeting=meeting, viewer=viewer, invitation=deciding_invitation(session, meeting, viewer)
    )


def can_manage(session: Session, *, meeting: Meeting, viewer: Person) -> bool:
    """Staff manage every meeting; a chair manages their own."""
    invitation = deciding_invitation(session, meeting, viewer)
    return manages(meeting=meeting, viewer=viewer, invitation=invitation)


def deciding_invitation(session: Session, meeting: Meeting, viewer: Person) -> Invitation | None:
    """The viewer's invitation where it decides what they may do; staff and the meeting's
    chair need none, so it is not read for them."""
    if is_staff(viewer) or meeting.chair_id == viewer.id:
        return None
    assert meeting.id is not None
    assert viewer.id is not None
    return find_invitation(session, meeting_id=meeting.id, person_id=viewer.id)


def sees(*, meeting: Meeting, viewer: Person, invitation: Invitation | None) -> bool:
    """can_view, given the viewer's invitation to the meeting (already read)."""
    return is_staff(viewer) or meeting.chair_id == viewer.id or invitation is not None


def manages(*, meeting: Meeting, viewer: Person, invitation: Invitation | None) -> bool:
    """can_manage, given the viewer's invitation to the meeting (already read)."""
    if is_staff(viewer) or meeting.chair_id == viewer.id:
        return True
    return invitation is not None and invitation.role == MeetingRole.chair


def get_visible_meeting(session: Session, *, meeting_id: int, viewer: Person) -> Meeting:
    """The meeting, or MeetingNotFoundError when it does not exist or is not the viewer's."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or not can_view(session, meeting=meeting, viewer=viewer):
        raise MeetingNotFoundError(f"Meeting {meeting_id} not found")
    return meeting


def get_managed_meeting(session: Session, *, meeting_id: int, viewer: Person) -> Meeting:
    """The meeting when the viewer may change it; 404 when unseen, 403 when only seen."""
    meeting = get_visible_meeting(session, meeting_id=meeting_id, viewer=viewer)
    if not can_manage(session, meeting=meeting, viewer=viewer):
        raise NotAllowedError("Only the secretariat or the meeting's chair may change it")
    return meeting


def require_staff(viewer: Person) -> None:
    """Raise unless the viewer is secretariat or admin."""
    if not is_staff(viewer):
        raise NotAllowedError("Only the secretariat may do this")
