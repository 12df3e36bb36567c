"""What the voting pages show of a meeting's polls, gathered from the voting services."""

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from meetings import documents as docs
from meetings import scheduling
from models import MyBallot, Person, Poll, PollStatus, QuorumStatus
from models.meeting import Meeting
from voting import ballots, encrypted_committee, face_check, polls, rules, tally
from voting.encrypted_polls import store


@dataclass
class PollRow:
    """A poll on the console: the quorum before it opens, progress while open, then the result."""

    poll: Poll
    quorum: QuorumStatus | None = None
    progress: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    desk: face_check.DeskOverview | None = None  # open polls that confirm the voter's face
    waiting: dict[str, int] | None = None  # a closed encrypted poll before its trustees decrypt
    setup: dict[str, Any] | None = None  # an encrypted draft's key setup, in counts


@dataclass
class BallotEntry:
    """One ballot the viewer may cast: their own, or that of a member whose proxy they hold."""

    poll: Poll
    mine: MyBallot
    on_behalf_of: int | None = None
    name: str | None = None
    key: str = field(init=False)

    def __post_init__(self) -> None:
        self.key = f"{self.poll.id}-{self.on_behalf_of or 'self'}"


def poll_row(
    session: Session, poll: Poll, *, meeting_quorum: tuple[int, int] = rules.MEETING_QUORUM
) -> PollRow:
    assert poll.id is not None
    row = PollRow(poll=poll)
    if poll.status == PollStatus.draft:
        row.quorum = polls.quorum_status(session=session, poll=poll, meeting_quorum=meeting_quorum)
        row.setup = encrypted_committee.setup_progress(session, poll)
    elif poll.status == PollStatus.open:
        row.progress = tally.progress(session=session, poll_id=poll.id)
        if poll.confirm_face:
            row.desk = face_check.desk_overview(session=session, poll=poll)
    elif poll.status in (PollStatus.closed, PollStatus.published):
        row.result = poll.result
        row.waiting = waiting_trustees(session, poll)
    return row


def waiting_trustees(session: Session, poll: Poll) -> dict[str, int] | None:
    """A closed encrypted poll without its result: how many trustees decrypted, of the
    threshold needed (what the console and the projector say while they wait)."""
    if not poll.encrypted or poll.status != PollStatus.closed or poll.result or poll.id is None:
        return None
    board = store.entries(session, poll.id)
    done = sum(1 for entry in board if entry["kind"] == "partial")
    return {"done": done, "needed": int(board[0]["body"]["threshold"])}


def console_data(
    *, session: Session, meeting: Meeting, viewer: Person, meeting_quorum: tuple[int, int]
) -> dict[str, Any]:
    """The console: the meeting's polls with their state (a draft's quorum measured against
    its own or the meeting's), its agenda and documents."""
    rows = polls.list_polls(session=session, meeting=meeting, viewer=viewer)
    return {
        "meeting": meeting,
        "rows": [poll_row(session, poll, meeting_quorum=meeting_quorum) for poll in reversed(rows)],
        "agenda": scheduling.list_agenda(session=session, meeting=meeting),
        "documents": docs.list_documents(session=session, meeting=meeting, viewer=viewer),
        "participants": participants(session, meeting),
    }


def participants(session: Session, meeting: Meeting) -> list[Person]:
    """Who may sit on an encrypted poll's committee: the chair and the invitees (the service
    checks again)."""
    people = [person for _, person in scheduling.list_invitations(session=session, meeting=meeting)]
    chair = session.get(Person, meeting.chair_id) if meeting.chair_id else None
    if chair is not None and all(p.id != chair.id for p in people):
        people.insert(0, chair)
    return people


def ballot_data(*, session: Session, meeting: Meeting, viewer: Person) -> dict[str, Any]:
    """The open polls the viewer may vote in (or has voted in), for themselves and by proxy."""
    entries: list[BallotEntry] = []
    for poll in polls.list_polls(
        session=session, meeting=meeting, viewer=viewer, status=PollStatus.open
    ):
        mine = ballots.my_ballot(session=session, poll=poll, viewer=viewer)
        if mine.eligible or mine.voted:
            entries.append(BallotEntry(poll=poll, mine=mine))
        for member in mine.represents:
            theirs = ballots.my_ballot(
                session=session, poll=poll, viewer=viewer, on_behalf_of=member
            )
            if theirs.eligible or theirs.voted:
                person = session.get(Person, member)
                name = person.full_name if person else str(member)
                entries.append(BallotEntry(poll=poll, mine=theirs, on_behalf_of=member, name=name))
    return {"meeting": meeting, "entries": entries, "viewer": viewer}
