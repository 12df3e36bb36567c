"""Quorum and majority rules as pure functions, ties included."""

import pytest

from models import MajorityRule, Verdict
from voting.rules import (
    Bases,
    QuorumState,
    decide_election,
    decide_motion,
    quorum_met,
    quorum_required,
    quorum_state,
)

M = MajorityRule


@pytest.mark.parametrize(
    ("count", "fraction", "members", "required"),
    [
        (None, None, 30, 0),
        (12, None, 30, 12),
        (None, (1, 2), 30, 15),
        (None, (1, 2), 31, 16),  # rounded up: half of 31 present is not enough
        (None, (2, 3), 30, 20),
        (None, (2, 3), 31, 21),
        (None, (2, 3), 0, 0),
        (None, (1, 1), 7, 7),
    ],
)
def test_quorum_required(
    count: int | None, fraction: tuple[int, int] | None, members: int, required: int
) -> None:
    assert quorum_required(count=count, fraction=fraction, members=members) == required


def test_quorum_is_met_at_the_required_number_not_below() -> None:
    assert quorum_met(required=20, present=20, members=30)
    assert not quorum_met(required=20, present=19, members=30)
    assert quorum_met(required=0, present=0, members=30)  # a poll that needs nobody present


def test_no_quorum_is_met_without_members() -> None:
    # A fraction of nobody is 0 needed; still, nobody could vote: not met.
    assert quorum_required(count=None, fraction=(2, 3), members=0) == 0
    assert not quorum_met(required=0, present=0, members=0)


@pytest.mark.parametrize(
    ("required", "present", "members", "state"),
    [
        (0, 0, 0, QuorumState.no_members),
        (4, 0, 0, QuorumState.no_members),
        (0, 0, 5, QuorumState.not_needed),
        (0, 5, 5, QuorumState.not_needed),
        (4, 4, 5, QuorumState.met),
        (4, 3, 5, QuorumState.not_met),
    ],
)
def test_quorum_state(required: int, present: int, members: int, state: QuorumState) -> None:
    assert quorum_state(required=required, present=present, members=members) == state


BASES = Bases(cast=10, present=20, members=30)


@pytest.mark.parametrize(
    ("rule", "yes", "no", "verdict"),
    [
        (M.simple, 3, 2, Verdict.adopted),
        (M.simple, 2, 3, Verdict.rejected),
        (M.simple, 3, 3, Verdict.tie),
        (M.simple, 0, 0, Verdict.rejected),
        # more than half of 10 valid ballots: 6
        (M.absolute_cast, 6, 4, Verdict.adopted),
        (M.absolute_cast, 5, 5, Verdict.tie),
        (M.absolute_cast, 5, 1, Verdict.rejected),  # abstentions count against
        # more than half of 20 present: 11
        (M.absolute_present, 11, 0, Verdict.adopted),
        (M.absolute_present, 10, 0, Verdict.rejected),
        (M.absolute_present, 10, 10, Verdict.tie),
        # more than half of 30 members: 16
        (M.absolute_members, 16, 0, Verdict.adopted),
        (M.absolute_members, 15, 0, Verdict.rejected),
        # at least two thirds: of 10 → 7, of 20 → 14, of 30 → 20
        (M.two_thirds_cast, 7, 3, Verdict.adopted),
        (M.two_thirds_cast, 6, 4, Verdict.rejected),
        (M.two_thirds_present, 14, 6, Verdict.adopted),
        (M.two_thirds_present, 13, 7, Verdict.rejected),
        (M.two_thirds_members, 20, 0, Verdict.adopted),
        (M.two_thirds_members, 19, 0, Verdict.rejected),
        (M.two_thirds_members, 4, 4, Verdict.tie),
    ],
)
def test_motion_verdicts(rule: MajorityRule, yes: int, no: int, verdict: Verdict) -> None:
    assert decide_motion(rule=rule, yes=yes, no=no, bases=BASES).verdict == verdict


def test_threshold_rules_report_what_was_needed() -> None:
    decision = decide_motion(rule=M.two_thirds_members, yes=20, no=0, bases=BASES)
    assert (decision.base, decision.needed) == (30, 20)
    assert decide_motion(rule=M.simple, yes=1, no=0, bases=BASES).needed is None


def test_a_threshold_never_adopts_with_zero_votes() -> None:
    empty = Bases(cast=0, present=0, members=0)
    for rule in (M.absolute_cast, M.two_thirds_cast, M.two_thirds_members):
        assert decide_motion(rule=rule, yes=0, no=0, bases=empty).verdict == Verdict.rejected


def test_plurality_elects_the_most_voted() -> None:
    decision = decide_election(
        rule=M.plurality, votes={"1": 4, "2": 7, "3": 1}, seats=1, bases=BASES
    )
    assert decision.verdict == Verdict.elected
    assert decision.winners == ("2",)


def test_plurality_tie_for_first_is_a_tie() -> None:
    decision = decide_election(
        rule=M.plurality, votes={"1": 5, "2": 5, "3": 1}, seats=1, bases=BASES
    )
    assert decision.verdict == Verdict.tie
    assert decision.winners == ()
    assert set(decision.tied) == {"1", "2"}


def test_plurality_with_seats_reports_a_tie_for_the_last_seat_only() -> None:
    votes = {"1": 9, "2": 6, "3": 6, "4": 1}
    decision = decide_election(rule=M.plurality, votes=votes, seats=2, bases=BASES)
    assert decision.verdict == Verdict.tie
    assert decision.winners == ("1",)
    assert set(decision.tied) == {"2", "3"}
    clear = decide_election(rule=M.plurality, votes=votes, seats=3, bases=BASES)
    assert clear.verdict == Verdict.elected
    assert set(clear.winners) == {"1", "2", "3"}


def test_plurality_without_votes_elects_nobody() -> None:
    decision = decide_election(rule=M.plurality, votes={"1": 0, "2": 0}, seats=1, bases=BASES)
    assert decision.verdict == Verdict.rejected
    assert decision.winners == ()


def test_absolute_majority_election_needs_more_than_half() -> None:
    elected = decide_election(rule=M.absolute_cast, votes={"1": 6, "2": 4}, seats=1, bases=BASES)
    assert elected.verdict == Verdict.elected
    assert elected.winners == ("1",)
    short = decide_election(rule=M.absolute_cast, votes={"1": 5, "2": 4}, seats=1, bases=BASES)
    assert short.verdict == Verdict.rejected
    assert short.needed == 6


def test_two_thirds_election_over_seats_ties_at_the_boundary() -> None:
    bases = Bases(cast=9, present=9, members=9)
    votes = {"1": 8, "2": 6, "3": 6, "4": 2}
    decision = decide_election(rule=M.two_thirds_cast, votes=votes, seats=2, bases=bases)
    assert decision.needed == 6
    assert decision.verdict == Verdict.tie
    assert decision.winners == ("1",)
    assert set(decision.tied) == {"2", "3"}
