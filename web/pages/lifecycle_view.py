"""What the pages show of a meeting's lifecycle: the actions it accepts now, by name, so that
templates hide what cannot be done without writing the rule again (meetings.lifecycle)."""

from sqlmodel import Session

from meetings import lifecycle
from models import Meeting


def can(session: Session, meeting: Meeting) -> dict[str, bool]:
    """Each lifecycle action's name and whether the meeting accepts it now (one query)."""
    allowed = lifecycle.allowed_actions(session, meeting)
    return {action.value: action in allowed for action in lifecycle.Action}
