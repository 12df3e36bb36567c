"""Quorum and majority rules: pure functions of counts, no database.

Definitions used throughout:
- members: invitees with a voting right; present: those of them present at closing (counting
  members represented by a present proxy holder); cast: the valid ballots, abstentions
  included (an abstention is a ballot that does not support the motion).
- "Absolute majority" means more than half of the base; "two thirds" means at least two
  thirds of it. Both need at least one vote.
- A motion that is not adopted and got as many yes as no votes (at least one each) is a tie.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from models.poll import MajorityRule, Poll, Verdict

# The meeting's quorum (web.settings.meeting_quorum's default): a poll that names no quorum of
# its own needs it, as the attendance screens do. The app passes its configured value.
MEETING_QUORUM = (2, 3)


def quorum_basis(poll: Poll) -> str:
    """Whose quorum a poll needs: "poll" when it names one (a count, even 0, or a fraction),
    else "meeting"."""
    return "poll" if poll.quorum_count is not None or poll.quorum_fraction else "meeting"


@dataclass(frozen=True)
class Bases:
    """What a majority can be measured against."""

    cast: int
    present: int
    members: int


@dataclass(frozen=True)
class Decision:
    """A verdict, what won, what tied, and how many votes were needed (threshold rules)."""

    verdict: Verdict
    winners: tuple[str, ...] = ()
    tied: tuple[str, ...] = ()
    needed: int | None = None
    base: int | None = field(default=None)


def quorum_required(*, count: int | None, fraction: tuple[int, int] | None, members: int) -> int:
    """How many members must be present: a number, or a fraction of the members (rounded up)."""
    if count is not None:
        return count
    if fraction is not None:
        numerator, denominator = fraction
        return -(-numerator * members // denominator)
    return 0


def quorum_met(*, required: int, present: int, members: int) -> bool:
    """Whether enough members are present. Never without members: a quorum of nobody is not
    reached (no one could vote), whatever the rule needs (a fraction of 0, or a count of 0)."""
    return members > 0 and present >= required


class QuorumState(StrEnum):
    """What a screen says about a quorum."""

    no_members = "no_members"  # nobody is invited with a voting right yet
    not_needed = "not_needed"  # the rule needs nobody present (a poll's own count of 0)
    met = "met"
    not_met = "not_met"


def quorum_state(*, required: int, present: int, members: int) -> QuorumState:
    """The quorum as a screen says it: "no one to count" and "none needed" are not "met"."""
    if members == 0:
        return QuorumState.no_members
    if required == 0:
        return QuorumState.not_needed
    if quorum_met(required=required, present=present, members=members):
        return QuorumState.met
    return QuorumState.not_met


def base_of(rule: MajorityRule, bases: Bases) -> int:
    """The number a threshold rule is measured against."""
    if rule.value.endswith("_present"):
        return bases.present
    if rule.value.endswith("_members"):
        return bases.members
    return bases.cast


def votes_needed(rule: MajorityRule, base: int) -> int:
    """The fewest votes that satisfy a threshold rule (never fewer than one)."""
    if rule.value.startswith("absolute"):
        return base // 2 + 1
    return max(1, -(-2 * base // 3))


def decide_motion(*, rule: MajorityRule, yes: int, no: int, bases: Bases) -> Decision:
    """The verdict on a yes/no motion."""
    if rule == MajorityRule.simple:
        adopted, needed, base = yes > no, None, None
    else:
        base = base_of(rule, bases)
        needed = votes_needed(rule, base)
        adopted = yes >= needed
    if adopted:
        verdict = Verdict.adopted
    elif yes == no and yes > 0:
        verdict = Verdict.tie
    else:
        verdict = Verdict.rejected
    return Decision(verdict=verdict, needed=needed, base=base)


def decide_election(
    *, rule: MajorityRule, votes: Mapping[str, int], seats: int, bases: Bases
) -> Decision:
    """Who is elected among options: the most voted (plurality) or those over a threshold,
    at most `seats` of them; a tie for the last seat is reported as a tie."""
    needed = base = None
    candidates = {key: count for key, count in votes.items() if count > 0}
    if rule != MajorityRule.plurality:
        base = base_of(rule, bases)
        needed = votes_needed(rule, base)
        candidates = {key: count for key, count in candidates.items() if count >= needed}
    winners, tied = _top(candidates, seats)
    if tied:
        verdict = Verdict.tie
    elif winners:
        verdict = Verdict.elected
    else:
        verdict = Verdict.rejected
    return Decision(verdict=verdict, winners=winners, tied=tied, needed=needed, base=base)


def _top(candidates: Mapping[str, int], seats: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The options that clearly make the top `seats`, and those tied for the last places."""
    ranked = sorted(candidates, key=lambda key: -candidates[key])
    if len(ranked) <= seats:
        return tuple(ranked), ()
    boundary = candidates[ranked[seats - 1]]
    if candidates[ranked[seats]] < boundary:
        return tuple(ranked[:seats]), ()
    above = tuple(key for key in ranked if candidates[key] > boundary)
    return above, tuple(key for key in ranked if candidates[key] == boundary)
