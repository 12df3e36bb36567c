"""The poll's trustees, as the board's `parameters` entry names them: who may post which
entries, and who may read the board of a draft they do not manage (the rest of the poll's
readers are those who see the poll: voting.encrypted_committee.get_board_poll)."""

from typing import Any

from sqlmodel import Session

from models import Meeting, Person, Poll
from voting.encrypted_polls import store
from voting.encrypted_polls.errors import NotTrusteeError
from voting.errors import PollNotFoundError


def trustee_index(board: list[dict[str, Any]], person_id: int | None) -> int | None:
    """The person's index on the committee of the board's `parameters`, if any."""
    for trustee in board[0]["body"]["trustees"]:
        if trustee["person_id"] == person_id:
            index: int = trustee["index"]
            return index
    return None


def trustee_poll(*, session: Session, poll_id: int, viewer: Person) -> Poll:
    """The encrypted poll when the viewer is one of its trustees; else 404."""
    poll = session.get(Poll, poll_id)
    if poll is None or not poll.encrypted or session.get(Meeting, poll.meeting_id) is None:
        raise PollNotFoundError(f"Poll {poll_id} not found")
    board = store.entries(session, poll_id)
    if not board or trustee_index(board, viewer.id) is None:
        raise PollNotFoundError(f"Poll {poll_id} not found")
    return poll


def require_trustee(board: list[dict[str, Any]], index: object, person: Person) -> int:
    """The entry speaks for trustee `index`: the logged-in person must be that trustee."""
    own = trustee_index(board, person.id)
    if own is None:
        raise NotTrusteeError("Only the poll's trustees may post to its board")
    if type(index) is not int or index != own:
        raise NotTrusteeError("A trustee may post only their own entries")
    return own
