"""Polls, ballots, results and proxies."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from models import (
    BallotAck,
    BallotCast,
    MyBallot,
    Poll,
    PollCreate,
    PollPublic,
    PollStatus,
    PollUpdate,
    ProxyCreate,
    ProxyPublic,
    QuorumStatus,
)
from voting import ballots, export, polls, proxies, tally
from web import ratelimit
from web.deps import (
    CurrentUser,
    GettextDep,
    ManagedMeetingDep,
    MeetingDep,
    MeetingQuorumDep,
    SessionDep,
    StaffUser,
    StateDep,
    get_gettext,
)
from web.realtime import ballot_writer

router = APIRouter(tags=["polls"])


def get_visible_poll(
    poll_id: Annotated[int, Path()], session: SessionDep, person: CurrentUser
) -> Poll:
    return polls.get_poll(session=session, poll_id=poll_id, viewer=person)


def get_managed_poll(
    poll_id: Annotated[int, Path()], session: SessionDep, person: CurrentUser
) -> Poll:
    return polls.get_managed_poll(session=session, poll_id=poll_id, viewer=person)


PollDep = Annotated[Poll, Depends(get_visible_poll)]
ManagedPollDep = Annotated[Poll, Depends(get_managed_poll)]
Result = dict[str, Any]


@router.get("/meetings/{meeting_id}/polls")
def list_polls(
    meeting: MeetingDep, session: SessionDep, person: CurrentUser, status: PollStatus | None = None
) -> list[PollPublic]:
    """The meeting's polls (drafts only for the chair and the secretariat)."""
    rows = polls.list_polls(session=session, meeting=meeting, viewer=person, status=status)
    return [polls.describe(row) for row in rows]


@router.post("/meetings/{meeting_id}/polls", status_code=201)
def create_poll(
    data: PollCreate, meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> PollPublic:
    """Draft a poll (chair or secretariat)."""
    poll = polls.create_poll(session=session, meeting=meeting, data=data, creator=person)
    return polls.describe(poll)


@router.get("/polls/{poll_id}")
def get_poll(poll: PollDep) -> PollPublic:
    """One poll: the ballot definition and its status."""
    return polls.describe(poll)


@router.patch("/polls/{poll_id}")
def update_poll(data: PollUpdate, poll: ManagedPollDep, session: SessionDep) -> PollPublic:
    """Change a draft."""
    return polls.describe(polls.update_poll(session=session, poll=poll, data=data))


@router.delete("/polls/{poll_id}", status_code=204)
def delete_poll(poll: ManagedPollDep, session: SessionDep) -> None:
    """Delete a draft."""
    polls.delete_poll(session=session, poll=poll)


@router.get("/polls/{poll_id}/quorum")
def quorum(
    poll: ManagedPollDep, session: SessionDep, meeting_quorum: MeetingQuorumDep
) -> QuorumStatus:
    """Is the quorum (the poll's own, else the meeting's) present right now?"""
    return polls.quorum_status(session=session, poll=poll, meeting_quorum=meeting_quorum)


@router.post("/polls/{poll_id}/open")
def open_poll(
    poll: ManagedPollDep, session: SessionDep, meeting_quorum: MeetingQuorumDep
) -> PollPublic:
    """Open the poll (409 with the reason when the quorum is not present)."""
    opened = polls.open_poll(session=session, poll=poll, meeting_quorum=meeting_quorum)
    return polls.describe(opened)


@router.post("/polls/{poll_id}/close")
def close_poll(poll: ManagedPollDep, session: SessionDep) -> Result:
    """Close the poll and return its result; closing again returns the same result."""
    return polls.close_poll(session=session, poll=poll)


@router.post("/polls/{poll_id}/publish")
def publish_poll(poll: ManagedPollDep, session: SessionDep) -> Result:
    """Send the result to every screen."""
    return polls.publish_poll(session=session, poll=poll)


@router.post("/polls/{poll_id}/cancel")
def cancel_poll(poll: ManagedPollDep, session: SessionDep) -> PollPublic:
    """Cancel a draft or an open poll."""
    return polls.describe(polls.cancel_poll(session=session, poll=poll))


@router.post("/polls/{poll_id}/ballots")
async def cast_ballot(
    data: BallotCast,
    poll: PollDep,
    person: CurrentUser,
    session: SessionDep,
    state: StateDep,
    request: Request,
) -> BallotAck:
    """Cast a ballot; the same nonce again returns the same acknowledgement. Written by the
    poll's batch writer together with the other casts arriving meanwhile."""
    assert poll.id is not None
    assert person.id is not None
    poll_id, person_id = poll.id, person.id
    await ratelimit.check_ballot(state, voter_id=person_id, gettext=get_gettext(request))
    session.close()  # hold no connection while waiting for the writer, which needs one
    return await ballot_writer.writer(state).cast(person_id=person_id, poll_id=poll_id, cast=data)


@router.get("/polls/{poll_id}/my-ballot")
def my_ballot(
    poll: PollDep, session: SessionDep, person: CurrentUser, on_behalf_of: int | None = None
) -> MyBallot:
    """Whether I may vote and have voted (and, in a named poll, what)."""
    return ballots.my_ballot(session=session, poll=poll, viewer=person, on_behalf_of=on_behalf_of)


@router.get("/polls/{poll_id}/progress")
def progress(poll: PollDep, session: SessionDep) -> dict[str, Any]:
    """How many of the eligible have voted."""
    assert poll.id is not None
    return tally.progress(session=session, poll_id=poll.id) or {}


@router.get("/polls/{poll_id}/result")
def result(poll: PollDep, session: SessionDep, person: CurrentUser) -> Result:
    """The result: for the chair and the secretariat once closed, for all once published."""
    return polls.get_result(session=session, poll=poll, viewer=person)


@router.get("/polls/{poll_id}/result.csv", response_class=Response)
def result_csv(poll: PollDep, session: SessionDep, person: CurrentUser, tr: GettextDep) -> Response:
    """The result as CSV (labels in the reader's language: ?lang=vi|en, cookie, browser)."""
    data = polls.get_result(session=session, poll=poll, viewer=person)
    return _download(export.result_csv(data, tr).encode("utf-8-sig"), poll, "csv", "text/csv")


@router.get("/polls/{poll_id}/result.pdf", response_class=Response)
def result_pdf(poll: PollDep, session: SessionDep, person: CurrentUser, tr: GettextDep) -> Response:
    """The result as PDF."""
    data = polls.get_result(session=session, poll=poll, viewer=person)
    return _download(export.result_pdf(data, tr), poll, "pdf", "application/pdf")


def _download(body: bytes, poll: Poll, suffix: str, media_type: str) -> Response:
    disposition = f'attachment; filename="poll-{poll.id}-result.{suffix}"'
    return Response(body, media_type=media_type, headers={"content-disposition": disposition})


@router.get("/meetings/{meeting_id}/proxies")
def list_proxies(meeting: ManagedMeetingDep, session: SessionDep) -> list[ProxyPublic]:
    """The meeting's proxies."""
    return proxies.list_proxies(session=session, meeting=meeting)


@router.post("/meetings/{meeting_id}/proxies", status_code=201)
def record_proxy(
    data: ProxyCreate, meeting: MeetingDep, session: SessionDep, staff: StaffUser
) -> ProxyPublic:
    """Record that one member holds another's proxy (secretariat)."""
    proxy = proxies.record_proxy(session=session, meeting=meeting, data=data, recorder=staff)
    return proxies.describe_proxy(session=session, proxy=proxy)


@router.delete("/meetings/{meeting_id}/proxies/{proxy_id}", status_code=204)
def remove_proxy(proxy_id: int, meeting: MeetingDep, session: SessionDep, staff: StaffUser) -> None:
    """Withdraw a proxy (secretariat)."""
    proxies.remove_proxy(session=session, meeting=meeting, proxy_id=proxy_id)
