"""Counting: the result stored when a poll closes, and live progress (n of m voted)."""

import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from models import Ballot, Person, Poll, PollKind, SecretChoice, SecretVoter
from models.base import as_utc
from models.poll import MajorityRule
from voting import rules
from voting.choices import describe_choice
from voting.eligibility import Roll, take_roll

_shuffler = random.SystemRandom()


@dataclass(frozen=True)
class Entry:
    """One counted ballot: its answer, and either its voter (named) or its receipt (secret)."""

    choice: dict[str, Any]
    voter: dict[str, Any] | None = None
    receipt: str | None = None


def compute_result(*, session: Session, poll: Poll) -> dict[str, Any]:
    """Counts, bases, quorum and verdict of a poll, from its stored ballots and the roll now."""
    roll = take_roll(session=session, meeting_id=poll.meeting_id)
    entries = _secret_entries(session, poll) if poll.secret else _named_entries(session, poll)
    result = _header(poll, roll, len(entries))
    if poll.kind == PollKind.opinion:
        result.update(_opinions(poll, entries, roll))
    else:
        result.update(_votes(poll, [entry.choice for entry in entries], roll))
    if poll.secret:
        result["receipts"] = [_receipt_line(poll, entry) for entry in entries]
    else:
        result["voters"] = [_voter_line(poll, entry) for entry in entries]
    return result


# The lines of a result with one entry per ballot: thousands in a congress.
PER_BALLOT = ("receipts", "voters", "opinions")


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """The result without its per-ballot lines: what is pushed live to every screen (a
    screen reads the lines over HTTP when it shows them), so 2,000 tablets get ~1 KB each."""
    return {key: value for key, value in result.items() if key not in PER_BALLOT}


def _header(poll: Poll, roll: Roll, ballots: int) -> dict[str, Any]:
    present = len(roll.present)
    required = poll.quorum_required or 0
    document = None
    if poll.document_id is not None or poll.document_sha256 is not None:
        document = {
            "id": poll.document_id,
            "version": poll.document_version,
            "sha256": poll.document_sha256,
        }
    return {
        "poll_id": poll.id,
        "meeting_id": poll.meeting_id,
        "title": poll.title,
        "kind": str(poll.kind),
        "secret": poll.secret,
        "eligibility": str(poll.eligibility),
        "majority_rule": str(poll.majority_rule) if poll.majority_rule else None,
        "document": document,
        "opened_at": _iso(poll.opened_at),
        "closed_at": _iso(poll.closed_at),
        "members": len(roll.members),
        "present": present,
        "represented": len(roll.represented),
        "eligible": len(roll.eligible(poll.eligibility)),
        "present_at_open": poll.present_at_open,
        "quorum_required": required,
        "quorum_basis": rules.quorum_basis(poll),  # whose quorum it opened under
        "quorum_met": rules.quorum_met(
            required=required, present=present, members=len(roll.members)
        ),
        "ballots": ballots,
        "valid": ballots,
    }


def _votes(poll: Poll, choices: list[dict[str, Any]], roll: Roll) -> dict[str, Any]:
    counts = {option["id"]: 0 for option in poll.options}
    abstentions = 0
    for choice in choices:
        if choice.get("abstain"):
            abstentions += 1
        for key in choice.get("options", []):
            counts[key] = counts.get(key, 0) + 1
    bases = rules.Bases(
        cast=len(choices), present=len(roll.present | roll.represented), members=len(roll.members)
    )
    decision = _decide(poll, counts, bases)
    return {
        "options": [{**option, "votes": counts[option["id"]]} for option in poll.options],
        "abstentions": abstentions,
        "verdict": str(decision.verdict),
        "winners": list(decision.winners),
        "tied": list(decision.tied),
        "needed": decision.needed,
        "base": decision.base,
    }


def _decide(poll: Poll, counts: dict[str, int], bases: rules.Bases) -> rules.Decision:
    rule = MajorityRule(poll.majority_rule or MajorityRule.simple)
    if poll.kind == PollKind.yes_no:
        return rules.decide_motion(rule=rule, yes=counts["yes"], no=counts["no"], bases=bases)
    # A multiple-choice poll elects as many options as a ballot may choose.
    seats = poll.max_choices if poll.kind == PollKind.multiple else 1
    return rules.decide_election(rule=rule, votes=counts, seats=seats, bases=bases)


def _opinions(poll: Poll, entries: list[Entry], roll: Roll) -> dict[str, Any]:
    """Agree / disagree / other opinions; with a majority rule (a written consultation's
    question), agreeing is a yes and the rule decides, on all members when it says so."""
    positions = [entry.choice.get("agree") for entry in entries]
    agree, disagree = positions.count(True), positions.count(False)
    decided: dict[str, Any] = {"verdict": None}
    if poll.opinion_agree and poll.majority_rule:
        bases = rules.Bases(
            cast=len(entries),
            present=len(roll.present | roll.represented),
            members=len(roll.members),
        )
        rule = MajorityRule(poll.majority_rule)
        decision = rules.decide_motion(rule=rule, yes=agree, no=disagree, bases=bases)
        decided = {
            "verdict": str(decision.verdict),
            "needed": decision.needed,
            "base": decision.base,
        }
    return {
        **decided,
        "agree": agree,
        "disagree": disagree,
        "no_position": positions.count(None),
        "opinions": [_opinion_line(entry) for entry in entries],
    }


def _opinion_line(entry: Entry) -> dict[str, Any]:
    line = {"text": entry.choice.get("text", ""), "agree": entry.choice.get("agree")}
    if entry.voter is not None:
        line.update(person_id=entry.voter["person_id"], full_name=entry.voter["full_name"])
    return line


def _voter_line(poll: Poll, entry: Entry) -> dict[str, Any]:
    assert entry.voter is not None
    return {**entry.voter, "choice": entry.choice, "answer": describe_choice(poll, entry.choice)}


def _receipt_line(poll: Poll, entry: Entry) -> dict[str, Any]:
    return {
        "receipt": entry.receipt,
        "choice": entry.choice,
        "answer": describe_choice(poll, entry.choice),
    }


def _named_entries(session: Session, poll: Poll) -> list[Entry]:
    rows = session.exec(
        select(Ballot, Person)
        .join(Person, col(Person.id) == Ballot.voter_id)
        .where(Ballot.poll_id == poll.id)
        .order_by(col(Person.full_name), col(Person.id))
    ).all()
    holders = _names(session, {b.cast_by_id for b, _ in rows if b.cast_by_id is not None})
    return [
        Entry(
            choice=ballot.choice,
            voter={
                "person_id": person.id,
                "full_name": person.full_name,
                "cast_by_id": ballot.cast_by_id,
                "cast_by_name": holders.get(ballot.cast_by_id) if ballot.cast_by_id else None,
            },
        )
        for ballot, person in rows
    ]


def _secret_entries(session: Session, poll: Poll) -> list[Entry]:
    rows = session.exec(
        select(SecretChoice)
        .where(SecretChoice.poll_id == poll.id)
        .order_by(col(SecretChoice.receipt))
    ).all()
    return [Entry(choice=row.choice, receipt=row.receipt) for row in rows]


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    people = session.exec(select(Person).where(col(Person.id).in_(ids)))
    return {person.id or 0: person.full_name for person in people}


def shake_secret_choices(*, session: Session, poll: Poll) -> None:
    """Rewrite a secret poll's choices with new random keys, in random order, in the closing
    transaction: no trace of the order or the transactions they were cast in stays with them
    (on PostgreSQL each row otherwise keeps the id of the transaction that wrote it, which it
    shares with the voter's row)."""
    if not poll.secret:
        return
    rows = session.exec(select(SecretChoice).where(SecretChoice.poll_id == poll.id)).all()
    kept = [(dict(row.choice), row.receipt) for row in rows]
    for row in rows:
        session.expunge(row)
    session.execute(delete(SecretChoice).where(col(SecretChoice.poll_id) == poll.id))
    _shuffler.shuffle(kept)
    assert poll.id is not None
    session.add_all(
        SecretChoice(poll_id=poll.id, choice=choice, receipt=receipt) for choice, receipt in kept
    )
    session.flush()


def voted_ids(*, session: Session, poll: Poll) -> set[int]:
    """Who has a ballot in the poll (who voted is not secret, what they voted may be)."""
    if poll.secret:
        return set(session.exec(select(SecretVoter.voter_id).where(SecretVoter.poll_id == poll.id)))
    return set(session.exec(select(Ballot.voter_id).where(Ballot.poll_id == poll.id)))


def progress(*, session: Session, poll_id: int) -> dict[str, Any] | None:
    """How many have voted of how many may: never per-option counts."""
    poll = session.get(Poll, poll_id)
    if poll is None:
        return None
    voted = voted_ids(session=session, poll=poll)
    roll = take_roll(session=session, meeting_id=poll.meeting_id)
    return {
        "poll_id": poll_id,
        "status": str(poll.status),
        "done": len(voted),
        "total": len(roll.eligible(poll.eligibility) | voted),
    }


def _iso(value: Any) -> str | None:
    return as_utc(value).isoformat() if value is not None else None
