"""Meeting sockets opened in batches: who connects and what to send them first.

A process killed under 1,000 tablets sends them all to the other process within a second. One
database read per socket, each in its own thread hop, made the survivor take 20-40 ms per
socket: every round trip gives the GIL back to the busy event loop and waits up to its switch
interval to get it again (bench.congress, phase d: 1,000 sockets took 12-18 s). Here the
sockets waiting to open are taken together: one thread hop and one query per meeting for all
their login sessions, persons and invitations, and one read of the log per (meeting, after,
role) for all who resume from the same sequence, which after a kill is nearly everyone.
A device (projector, kiosk) is read on its own: there are few of them.

Every socket joins the hub's room before it is queued here, so a read that starts afterwards
misses no event (web.realtime.ws).
"""

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from sqlmodel import Session

from meetings import access, live
from models import Meeting
from models.db import read_session
from web.auth import DeviceRefusedError, device_for_meeting, sessions_in_meeting
from web.sockets import Viewer

if TYPE_CHECKING:
    from web.state import AppState

Backlog = tuple[list[dict[str, Any] | None], int]
Opened = tuple[Viewer, Backlog]
BATCH = 200  # sockets per read: bounded, so that one batch's snapshots cannot stall the rest
READERS = 2  # batches read at once (threads), each with its own database connection


@dataclass
class Opening:
    """A socket waiting to open: its credentials, where it resumes, and its answer."""

    meeting_id: int
    after: int | None
    cookie: str | None
    token: str | None
    answer: "asyncio.Future[Opened | None]" = field(repr=False)


class Openings:
    """The sockets waiting to open in this process, read by at most READERS batches at once."""

    def __init__(self) -> None:
        self._waiting: list[Opening] = []
        self._readers = 0

    async def open(
        self,
        state: "AppState",
        meeting_id: int,
        after: int | None,
        *,
        cookie: str | None,
        token: str | None,
    ) -> Opened | None:
        """The viewer and what to send first, or None when they may not follow the meeting."""
        answer: asyncio.Future[Opened | None] = asyncio.get_running_loop().create_future()
        self._waiting.append(Opening(meeting_id, after, cookie, token, answer))
        if self._readers < READERS:
            self._readers += 1
            asyncio.ensure_future(self._read_while_waiting(state))
        return await answer

    async def _read_while_waiting(self, state: "AppState") -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[:BATCH], self._waiting[BATCH:]
                try:
                    answers = await anyio.to_thread.run_sync(open_batch, state, batch)
                except BaseException as error:  # each waiting socket gets it (closed 1011)
                    for opening in batch:
                        if not opening.answer.done():
                            opening.answer.set_exception(error)
                    if not isinstance(error, Exception):
                        raise
                    continue
                for opening, opened in zip(batch, answers, strict=True):
                    if not opening.answer.done():  # not given up meanwhile
                        opening.answer.set_result(opened)
        finally:
            self._readers -= 1


def open_batch(state: "AppState", batch: list[Opening]) -> list[Opened | None]:
    """(blocking) Each opening's viewer and backlog, in one session outside a transaction."""
    with read_session(state.engine) as session:
        found = _sessions(session, batch)
        backlogs: dict[tuple[int, int, bool], Backlog | None] = {}
        answers: list[Opened | None] = []
        for opening in batch:
            let_in = _authorize(session, opening, found)
            if let_in is None:
                answers.append(None)
                continue
            meeting, viewer = let_in
            answers.append((viewer, _shared_backlog(session, meeting, opening, viewer, backlogs)))
        return answers


_Found = dict[tuple[int, str], tuple[Meeting, Any, Any]]


def _sessions(session: Session, batch: list[Opening]) -> _Found:
    """(meeting, cookie) → the meeting, the cookie's person and their invitation: one query
    per meeting for every cookie of the batch."""
    cookies: dict[int, set[str]] = defaultdict(set)
    for opening in batch:
        if opening.cookie:
            cookies[opening.meeting_id].add(opening.cookie)
    found: _Found = {}
    for meeting_id, tokens in cookies.items():
        for cookie, row in sessions_in_meeting(session, sorted(tokens), meeting_id).items():
            found[(meeting_id, cookie)] = row
    return found


def _authorize(session: Session, opening: Opening, found: _Found) -> tuple[Meeting, Viewer] | None:
    # Without a valid session (none, or an expired one left in a projector's browser), the
    # device token decides, as for any screen.
    row = found.get((opening.meeting_id, opening.cookie or ""))
    if row is not None:
        meeting, person, invitation = row
        if not access.sees(meeting=meeting, viewer=person, invitation=invitation):
            return None
        manager = access.manages(meeting=meeting, viewer=person, invitation=invitation)
        return meeting, Viewer(person=person, device_id=None, is_manager=manager)
    try:
        device = device_for_meeting(session, opening.token, opening.meeting_id)
    except DeviceRefusedError:
        return None
    screen_meeting = session.get(Meeting, opening.meeting_id)  # in the identity map: no query
    assert screen_meeting is not None
    return screen_meeting, Viewer(person=None, device_id=device.id, is_manager=False)


def _shared_backlog(
    session: Session,
    meeting: Meeting,
    opening: Opening,
    viewer: Viewer,
    backlogs: dict[tuple[int, int, bool], Backlog | None],
) -> Backlog:
    """The log after the opening's sequence, read once per (meeting, after, role) in the
    batch; a snapshot (it depends on the person) for each who needs one."""
    if opening.after is not None:
        key = (opening.meeting_id, opening.after, viewer.is_manager)
        if key not in backlogs:
            backlogs[key] = events_after(session, meeting, opening.after, viewer.is_manager)
        shared = backlogs[key]
        if shared is not None:
            return shared
    return snapshot(session, meeting, viewer)


def backlog(session: Session, meeting: Meeting, after: int | None, viewer: Viewer) -> Backlog:
    """Messages to send first, and the sequence they bring the client to (blocking)."""
    if after is not None:
        found = events_after(session, meeting, after, viewer.is_manager)
        if found is not None:
            return found
    return snapshot(session, meeting, viewer)


def events_after(session: Session, meeting: Meeting, after: int, manager: bool) -> Backlog | None:
    found = live.events_after(session, meeting=meeting, after=after, is_manager=manager)
    if found is None:
        return None
    return [message for _, message in found.events], found.last_seq


def snapshot(session: Session, meeting: Meeting, viewer: Viewer) -> Backlog:
    data = live.snapshot(session, meeting=meeting, viewer=viewer.person)
    return [{"seq": meeting.event_seq, "type": "snapshot", "data": data}], meeting.event_seq
