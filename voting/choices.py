"""A ballot's answer checked against its poll and put in one stored shape:
{"options": [...], "abstain": bool} for votes, {"text": str, "agree": bool | None} for opinions.
"""

from typing import Any

from models import BallotCast, Poll, PollKind
from models.poll import ABSTAIN
from voting.errors import InvalidBallotError


def normalize_choice(poll: Poll, cast: BallotCast) -> dict[str, Any]:
    """The stored answer, or InvalidBallotError saying what is wrong."""
    if poll.kind == PollKind.opinion:
        return _opinion(poll, cast)
    if cast.text is not None or cast.agree is not None:
        raise InvalidBallotError("This poll takes a choice, not text", field="text")
    if cast.choice == ABSTAIN and not cast.choices:
        return {"options": [], "abstain": True}
    if poll.kind == PollKind.multiple:
        return {"options": _many(poll, cast), "abstain": False}
    return {"options": [_one(poll, cast)], "abstain": False}


def _ids(poll: Poll) -> list[str]:
    return [option["id"] for option in poll.options]


def _one(poll: Poll, cast: BallotCast) -> str:
    if cast.choices is not None:
        raise InvalidBallotError("This poll takes one `choice`, not `choices`", field="choices")
    if cast.choice is None:
        raise InvalidBallotError("Choose an option (or abstain)", field="choice")
    if cast.choice not in _ids(poll):
        allowed = ", ".join([*_ids(poll), ABSTAIN])
        raise InvalidBallotError(
            f"Unknown choice {cast.choice!r}; choose one of {allowed}", field="choice"
        )
    return cast.choice


def _many(poll: Poll, cast: BallotCast) -> list[str]:
    if cast.choice is not None:
        raise InvalidBallotError("This poll takes `choices` (a list)", field="choice")
    picked = cast.choices or []
    unknown = [key for key in picked if key not in _ids(poll)]
    if unknown:
        raise InvalidBallotError(f"Unknown options: {', '.join(unknown)}", field="choices")
    if len(set(picked)) != len(picked):
        raise InvalidBallotError("An option is chosen twice", field="choices")
    if not poll.min_choices <= len(picked) <= poll.max_choices:
        raise InvalidBallotError(
            f"Choose between {poll.min_choices} and {poll.max_choices} options", field="choices"
        )
    order = _ids(poll)
    return sorted(picked, key=order.index)


def _opinion(poll: Poll, cast: BallotCast) -> dict[str, Any]:
    if cast.choice is not None or cast.choices is not None:
        raise InvalidBallotError("An opinion poll takes `text` (and `agree`)", field="choice")
    text = cast.text or ""
    if cast.agree is not None and not poll.opinion_agree:
        raise InvalidBallotError("This poll does not ask agree or disagree", field="agree")
    if not text and cast.agree is None:
        field = "agree" if poll.opinion_agree else "text"
        raise InvalidBallotError("Write an opinion (or say whether you agree)", field=field)
    return {"text": text, "agree": cast.agree}


def describe_choice(poll: Poll, choice: dict[str, Any]) -> str:
    """The answer in words, with option labels: for results and exports."""
    if poll.kind == PollKind.opinion:
        agree = choice.get("agree")
        position = None if agree is None else ("Agree" if agree else "Disagree")
        parts = [part for part in (position, choice.get("text")) if part]
        return ": ".join(parts)
    if choice.get("abstain"):
        return "Abstain"
    labels = {option["id"]: option["label"] for option in poll.options}
    return "; ".join(labels.get(key, key) for key in choice.get("options", []))
