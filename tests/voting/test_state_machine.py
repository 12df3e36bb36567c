"""A Hypothesis state machine over open / cast / change / resend / close / publish: the tally
always equals the stored ballots, and both equal what the voters were told."""

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.errors import HopError
from models import Ballot, BallotAck, BallotCast, Poll, PollStatus, SecretChoice
from tests.factories import make_room, nonce
from voting import ballots, polls, tally
from voting.errors import AlreadyVotedError, PollNotOpenError, PollStateError

CHOICES = st.sampled_from(["yes", "no", "abstain"])
VOTERS = st.integers(min_value=0, max_value=3)


def stored_counts(session: Session, poll: Poll) -> Counter[str]:
    """What the ballot tables hold for the poll, as yes / no / abstain counts."""
    if poll.secret:
        choices = session.exec(select(SecretChoice.choice).where(SecretChoice.poll_id == poll.id))
    else:
        choices = session.exec(select(Ballot.choice).where(Ballot.poll_id == poll.id))
    return Counter("abstain" if c["abstain"] else c["options"][0] for c in choices.all())


def result_counts(result: dict[str, Any]) -> Counter[str]:
    counts = Counter({option["id"]: option["votes"] for option in result["options"]})
    counts["abstain"] = result["abstentions"]
    return +counts  # drop zeros


def make_machine(engine: Engine, *, secret: bool) -> type[RuleBasedStateMachine]:
    class Voting(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.session = Session(engine, expire_on_commit=False)
            self.room = make_room(self.session, delegates=3)
            self.voters = [self.room.chair, *self.room.delegates]
            self.poll = self.room.poll(secret=secret, allow_change=not secret)
            self.status = PollStatus.draft
            self.expected: dict[int, str] = {}  # voter index → current choice
            self.sent: dict[int, tuple[BallotCast, BallotAck]] = {}
            self.result: dict[str, Any] | None = None

        def _cast(self, index: int, cast: BallotCast) -> BallotAck:
            voter = self.voters[index]
            return ballots.cast_ballot(session=self.session, poll=self.poll, voter=voter, cast=cast)

        @rule()
        def open(self) -> None:
            if self.status == PollStatus.draft:
                polls.open_poll(session=self.session, poll=self.poll)
                self.status = PollStatus.open
            else:
                with pytest.raises(PollStateError):
                    polls.open_poll(session=self.session, poll=self.poll)

        @rule(index=VOTERS, choice=CHOICES)
        def cast(self, index: int, choice: str) -> None:
            cast = BallotCast(choice=choice, nonce=nonce())
            if self.status != PollStatus.open:
                with pytest.raises(PollNotOpenError):
                    self._cast(index, cast)
            elif index in self.expected and secret:
                with pytest.raises(AlreadyVotedError):
                    self._cast(index, cast)
            else:  # a first ballot, or a change of a named one
                self.sent[index] = (cast, self._cast(index, cast))
                self.expected[index] = choice

        @rule(index=VOTERS)
        def resend(self, index: int) -> None:
            if index in self.sent:
                cast, ack = self.sent[index]
                assert self._cast(index, cast) == ack

        @rule()
        def close(self) -> None:
            if self.status in (PollStatus.open, PollStatus.closed, PollStatus.published):
                result = polls.close_poll(session=self.session, poll=self.poll)
                assert self.result in (None, result)
                self.result = result
                if self.status == PollStatus.open:
                    self.status = PollStatus.closed
            else:
                with pytest.raises(HopError):
                    polls.close_poll(session=self.session, poll=self.poll)

        @rule()
        def publish(self) -> None:
            if self.status in (PollStatus.closed, PollStatus.published):
                assert polls.publish_poll(session=self.session, poll=self.poll) == self.result
                self.status = PollStatus.published
            else:
                with pytest.raises(PollStateError):
                    polls.publish_poll(session=self.session, poll=self.poll)

        @invariant()
        def tally_equals_the_stored_ballots(self) -> None:
            stored = stored_counts(self.session, self.poll)
            assert stored == Counter(self.expected.values())
            self.session.refresh(self.poll)
            assert self.poll.status == self.status
            if self.result is not None:
                assert result_counts(self.result) == stored
                assert self.result["ballots"] == len(self.expected)
            live = tally.compute_result(session=self.session, poll=self.poll)
            assert result_counts(live) == stored

        def teardown(self) -> None:
            self.session.close()

    return Voting


@pytest.mark.parametrize("secret", [False, True], ids=["named", "secret"])
def test_the_tally_always_equals_the_stored_ballots(engine: Engine, secret: bool) -> None:
    machine = make_machine(engine, secret=secret)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=8,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
