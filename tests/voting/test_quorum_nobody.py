"""A quorum of nobody is not reached: with no one invited with a voting right no vote opens,
whatever the rule needs, and a result says the quorum was not met (issue 14, point 5)."""

import pytest
from sqlmodel import Session, select

from meetings import scheduling
from models import Invitation, Meeting, Person, PollCreate, PollStatus
from tests.factories import make_meeting, make_room, start_meeting
from voting import polls, tally
from voting.errors import QuorumNotMetError


@pytest.fixture
def empty_hall(session: Session, clerk: Person) -> Meeting:
    """A meeting in progress with no one invited."""
    meeting = make_meeting(session, creator=clerk)
    start_meeting(session, meeting)
    return meeting


# The meeting's quorum and a poll's fraction are 0 of nobody; a count is at least 1.
@pytest.mark.parametrize("quorum", [{}, {"quorum_fraction": "1/2"}, {"quorum_count": 1}])
def test_no_vote_opens_without_members(
    session: Session, clerk: Person, empty_hall: Meeting, quorum: dict[str, object]
) -> None:
    data = PollCreate.model_validate({"title": "Thông qua", **quorum})
    poll = polls.create_poll(session=session, meeting=empty_hall, data=data, creator=clerk)
    status = polls.quorum_status(session=session, poll=poll)
    assert (status.members, status.met) == (0, False)
    with pytest.raises(QuorumNotMetError, match="No one with a voting right is invited"):
        polls.open_poll(session=session, poll=poll)
    assert poll.status == PollStatus.draft


def test_a_result_without_members_says_the_quorum_was_not_met(session: Session) -> None:
    room = make_room(session, delegates=1)
    poll = room.open()
    # Every invitation is withdrawn while the vote is open: nobody is left to count.
    for invitation in session.exec(select(Invitation)).all():
        scheduling.remove_invitation(session=session, invitation=invitation)
    result = tally.compute_result(session=session, poll=poll)
    assert (result["members"], result["quorum_met"]) == (0, False)
