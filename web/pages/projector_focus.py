"""What the hall projector shows: one focus at a time, decided in one place.

Highest first: the running vote with its progress; a closed vote waiting for its result; the
speaker who has the floor, with the timer; the published result while it is fresh and newer
than the current item; the current agenda item; else a line that fits the meeting's status.
A closed or cancelled meeting shows only a fresh result, else its status.

The published result ranks above the current item only when it was published after the item
was set: a chair who set the item, then ran a vote, wants the hall to see the result; a chair
who moved on to the next item wants that item. Either way it goes after RESULT_SHOWN_FOR.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from math import ceil
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from meetings import scheduling
from meetings.lifecycle import OVER
from models import Event, Meeting, MeetingStatus, Poll, PollStatus
from models.base import as_utc
from web.pages import speakers as speaker_pages
from web.pages.poll_views import poll_row

# How long a published result stays on the hall screen, and a closed vote waits there for its
# result (after that a forgotten result no longer hides the speakers and the agenda).
RESULT_SHOWN_FOR = timedelta(minutes=10)
PENDING_SHOWN_FOR = timedelta(minutes=10)
SCREEN_POLLS = (PollStatus.open, PollStatus.closed, PollStatus.published)


class FocusKind(StrEnum):
    vote = "vote"  # a poll is open: its progress
    pending = "pending"  # the last poll is closed, its result not yet published
    speaker = "speaker"  # someone has the floor
    result = "result"  # the last poll's published result
    item = "item"  # the current agenda item
    status = "status"  # nothing else: what the meeting's status says


@dataclass(frozen=True)
class Ended:
    """The poll that ended last: when it closed, and when it was published (if it was)."""

    closed_at: datetime
    published_at: datetime | None = None


@dataclass(frozen=True)
class Facts:
    """What the focus depends on, read from the database (or written by a test)."""

    status: MeetingStatus
    vote_open: bool = False
    ended: Ended | None = None
    speaking: bool = False
    current_item: bool = False
    item_set_at: datetime | None = None  # when the chair last set (or cleared) the item


@dataclass(frozen=True)
class Focus:
    kind: FocusKind
    expires_in: int | None = None  # seconds until time alone changes the focus


def choose_focus(facts: Facts, *, now: datetime) -> Focus:
    """The one thing the hall screen shows now."""
    ended = facts.ended
    pending = _left(ended.closed_at, PENDING_SHOWN_FOR, now) if ended else None
    result = None
    if ended is not None and ended.published_at is not None:
        pending, result = None, _left(ended.published_at, RESULT_SHOWN_FOR, now)
    if facts.status in OVER:
        return Focus(FocusKind.result, result) if result else Focus(FocusKind.status)
    if facts.vote_open:
        return Focus(FocusKind.vote)
    if pending:
        return Focus(FocusKind.pending, pending)
    if facts.speaking:
        return Focus(FocusKind.speaker)
    if result and ended and _newer(ended.published_at, facts.item_set_at):
        return Focus(FocusKind.result, result)
    if facts.current_item:
        return Focus(FocusKind.item)
    return Focus(FocusKind.status)


def _left(since: datetime, shown_for: timedelta, now: datetime) -> int | None:
    """Whole seconds left of a display that began at `since`; None once it is over."""
    left = (as_utc(since) + shown_for - as_utc(now)).total_seconds()
    return ceil(left) if left > 0 else None


def _newer(published_at: datetime | None, item_set_at: datetime | None) -> bool:
    if published_at is None or item_set_at is None:
        return published_at is not None
    return as_utc(published_at) >= as_utc(item_set_at)


# Reading the facts, and what the template needs for the chosen focus ------------------------


def focus_context(session: Session, meeting: Meeting, *, now: datetime) -> dict[str, Any]:
    """The focus and everything its template shows."""
    shown = list(
        session.exec(
            select(Poll).where(Poll.meeting_id == meeting.id, col(Poll.status).in_(SCREEN_POLLS))
        )
    )
    running = max((p for p in shown if p.status == PollStatus.open), key=_id, default=None)
    ended = max((p for p in shown if p.closed_at is not None), key=_closing, default=None)
    queue = speaker_pages.queue_context(session, meeting)
    agenda = scheduling.list_agenda(session=session, meeting=meeting)
    current = next((item for item in agenda if item.id == meeting.current_item_id), None)
    facts = Facts(
        status=MeetingStatus(meeting.status),
        vote_open=running is not None,
        ended=_ended(ended),
        speaking=queue["queue"].speaking is not None,
        current_item=current is not None,
        item_set_at=_item_set_at(session, meeting),
    )
    focus = choose_focus(facts, now=now)
    poll = running if focus.kind == FocusKind.vote else ended
    return {
        **queue,
        "focus": focus,
        "row": poll_row(session, poll) if poll is not None else None,
        "current": current,
        "position": agenda.index(current) + 1 if current is not None else 0,
        "agenda_size": len(agenda),
    }


def _id(poll: Poll) -> int:
    return poll.id or 0


def _closing(poll: Poll) -> tuple[datetime, int]:
    assert poll.closed_at is not None
    return as_utc(poll.closed_at), poll.id or 0


def _ended(poll: Poll | None) -> Ended | None:
    if poll is None or poll.closed_at is None:
        return None
    published = poll.published_at if poll.status == PollStatus.published else None
    return Ended(closed_at=poll.closed_at, published_at=published)


def _item_set_at(session: Session, meeting: Meeting) -> datetime | None:
    # The event log says when the current item last changed (a pruned log: long ago).
    newest = session.exec(
        select(func.max(Event.created_at)).where(
            Event.meeting_id == meeting.id, Event.type == "meeting.current_item"
        )
    ).one()
    return as_utc(newest) if newest is not None else None
