"""Polls: drafted by the chair or the secretariat, then draft → open → closed → published,
or cancelled. Each step records its event in the same transaction."""

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from core.audit import audit
from meetings import access, lifecycle
from meetings.lifecycle import Action
from models import (
    AgendaItem,
    Audience,
    Document,
    DocumentVersion,
    Meeting,
    MeetingKind,
    Person,
    Poll,
    PollCreate,
    PollKind,
    PollPublic,
    PollStatus,
    PollUpdate,
    QuorumStatus,
)
from models.base import as_utc, utcnow
from models.events import record_event
from models.poll import option_rows, parse_fraction
from voting import rules, tally
from voting.eligibility import take_roll
from voting.encrypted_polls import closing as encrypted_closing
from voting.encrypted_polls import store as encrypted_store
from voting.errors import (
    InvalidPollError,
    NotAllowedError,
    PollNotFoundError,
    PollStateError,
    QuorumNotMetError,
    ResultNotAvailableError,
)
from voting.locking import locked_poll
from voting.secrecy import new_salt
from voting.visibility import sees_poll

CHOICE_KINDS = frozenset({PollKind.single, PollKind.multiple})
# Lifecycle events that also go to the audit trail (casting a ballot does not).
AUDITED = frozenset(
    {"poll.created", "poll.opened", "poll.closed", "poll.published", "poll.cancelled"}
)


def describe(poll: Poll) -> PollPublic:
    """The poll as screens show it."""
    return PollPublic.model_validate(poll)


def create_poll(*, session: Session, meeting: Meeting, data: PollCreate, creator: Person) -> Poll:
    """Draft a poll in the meeting."""
    poll = draft_poll(session=session, meeting=meeting, data=data, creator=creator)
    session.commit()
    return poll


def draft_poll(*, session: Session, meeting: Meeting, data: PollCreate, creator: Person) -> Poll:
    """create_poll without the commit: an encrypted poll adds its board in the same
    transaction (voting.encrypted_committee)."""
    assert meeting.id is not None
    lifecycle.require(session, meeting, Action.draft_poll)
    poll = Poll(meeting_id=meeting.id, title=data.title, salt=new_salt(), created_by=creator.id)
    _apply(session, poll, data)
    session.add(poll)
    session.flush()
    _event(session, poll, "poll.created", audience=Audience.managers)
    return poll


def update_poll(*, session: Session, poll: Poll, data: PollUpdate) -> Poll:
    """Change a draft; the result is checked as a whole, as when it was created."""
    assert poll.id is not None
    with locked_poll(session, poll.id, exclusive=True) as poll:
        _require(poll, {PollStatus.draft}, "changed")
        if poll.encrypted:  # its board's parameters are hashed into every proof
            raise PollStateError("An encrypted poll cannot be changed: cancel it and draft anew")
        _require_meeting(session, poll, Action.draft_poll)
        _apply(session, poll, _merged(poll, data))
        session.add(poll)
        _event(session, poll, "poll.updated", audience=Audience.managers)
        session.commit()
    return poll


def _merged(poll: Poll, data: PollUpdate) -> PollCreate:
    """The draft with the changes, checked; a new kind resets what depends on the kind."""
    merged = {**_fields_of(poll), **data.model_dump(exclude_unset=True)}
    if "kind" in data.model_fields_set:
        for key in ("majority_rule", "options", "min_choices", "max_choices"):
            if key not in data.model_fields_set:
                merged.pop(key, None)
    try:
        return PollCreate.model_validate(merged)
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidPollError(first["msg"].removeprefix("Value error, ")) from None


def delete_poll(*, session: Session, poll: Poll) -> None:
    """Delete a draft."""
    assert poll.id is not None
    with locked_poll(session, poll.id, exclusive=True) as poll:
        _require(poll, {PollStatus.draft}, "deleted")
        _require_meeting(session, poll, Action.draft_poll)
        _event(session, poll, "poll.deleted", audience=Audience.managers)
        session.delete(poll)
        session.commit()


def _fields_of(poll: Poll) -> dict[str, Any]:
    # Read attributes, not model_dump(): enums come back from the database as plain strings.
    fields = {name: getattr(poll, name) for name in PollCreate.model_fields if name != "options"}
    fields["options"] = (
        [option["label"] for option in poll.options] if poll.kind in CHOICE_KINDS else []
    )
    return fields


def _apply(session: Session, poll: Poll, data: PollCreate) -> None:
    """Copy checked fields onto the poll, resolving the agenda item and document version."""
    _check_agenda_item(session, poll.meeting_id, data.agenda_item_id)
    version, sha256 = _document_ref(
        session, poll.meeting_id, data.document_id, data.document_version
    )
    poll.sqlmodel_update(data.model_dump(exclude={"options", "document_version"}))
    poll.options = option_rows(data.kind, data.options)
    poll.document_version, poll.document_sha256 = version, sha256


def _check_agenda_item(session: Session, meeting_id: int, item_id: int | None) -> None:
    if item_id is None:
        return
    item = session.get(AgendaItem, item_id)
    if item is None or item.meeting_id != meeting_id:
        raise InvalidPollError(
            f"Agenda item {item_id} is not in this meeting", field="agenda_item_id"
        )


def _document_ref(
    session: Session, meeting_id: int, document_id: int | None, number: int | None
) -> tuple[int | None, str | None]:
    """The version number and sha256 of the document the poll is about (default: current)."""
    if document_id is None:
        if number is not None:
            raise InvalidPollError("document_version needs document_id", field="document_id")
        return None, None
    document = session.get(Document, document_id)
    if document is None or document.meeting_id != meeting_id:
        raise InvalidPollError(
            f"Document {document_id} is not in this meeting", field="document_id"
        )
    number = number or document.current_version
    version = session.exec(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.number == number
        )
    ).first()
    if version is None:
        raise InvalidPollError(
            f"Document {document_id} has no version {number}", field="document_version"
        )
    return number, version.blob_sha256


def get_poll(*, session: Session, poll_id: int, viewer: Person) -> Poll:
    """The poll when the viewer may see it: its meeting is theirs and, for drafts, they manage
    it; anything else is 'not found'."""
    poll = session.get(Poll, poll_id)
    meeting = session.get(Meeting, poll.meeting_id) if poll is not None else None
    if poll is None or meeting is None:
        raise PollNotFoundError(f"Poll {poll_id} not found")
    invitation = access.deciding_invitation(session, meeting, viewer)
    if not sees_poll(poll=poll, meeting=meeting, viewer=viewer, invitation=invitation):
        raise PollNotFoundError(f"Poll {poll_id} not found")
    return poll


def can_manage_poll(*, session: Session, poll: Poll, viewer: Person) -> bool:
    meeting = session.get(Meeting, poll.meeting_id)
    return meeting is not None and access.can_manage(session, meeting=meeting, viewer=viewer)


def get_managed_poll(*, session: Session, poll_id: int, viewer: Person) -> Poll:
    """The poll when the viewer is the chair or the secretariat; 403 when they only see it."""
    poll = get_poll(session=session, poll_id=poll_id, viewer=viewer)
    if not can_manage_poll(session=session, poll=poll, viewer=viewer):
        raise NotAllowedError("Only the chair or the secretariat may run polls")
    return poll


def list_polls(
    *, session: Session, meeting: Meeting, viewer: Person, status: PollStatus | None = None
) -> list[Poll]:
    """The meeting's polls in creation order; drafts only for those who manage the meeting."""
    query = select(Poll).where(Poll.meeting_id == meeting.id)
    if not access.can_manage(session, meeting=meeting, viewer=viewer):
        query = query.where(Poll.status != PollStatus.draft)
    if status is not None:
        query = query.where(Poll.status == status)
    return list(session.exec(query.order_by(col(Poll.id))))


def quorum_status(
    *, session: Session, poll: Poll, meeting_quorum: tuple[int, int] = rules.MEETING_QUORUM
) -> QuorumStatus:
    """Members, who of them is present, and the quorum that applies (the poll's own, else the
    meeting's), right now."""
    roll = take_roll(session=session, meeting_id=poll.meeting_id)
    basis, count, fraction = _quorum_rule(poll, meeting_quorum)
    required = rules.quorum_required(count=count, fraction=fraction, members=len(roll.members))
    present = len(roll.present)
    return QuorumStatus(
        members=len(roll.members),
        present=present,
        required=required,
        met=rules.quorum_met(required=required, present=present, members=len(roll.members)),
        basis=basis,
        rule=str(count) if count is not None else "/".join(map(str, fraction or ())),
    )


def _quorum_rule(
    poll: Poll, meeting_quorum: tuple[int, int]
) -> tuple[str, int | None, tuple[int, int] | None]:
    """Where the quorum comes from, and it as a count or a fraction of the members."""
    basis = rules.quorum_basis(poll)
    if basis == "meeting":
        return basis, None, meeting_quorum
    if poll.quorum_count is not None:
        return basis, poll.quorum_count, None
    assert poll.quorum_fraction  # quorum_basis: a count or a fraction
    return basis, None, parse_fraction(poll.quorum_fraction)


def open_poll(
    *,
    session: Session,
    poll: Poll,
    now: datetime | None = None,
    meeting_quorum: tuple[int, int] = rules.MEETING_QUORUM,
) -> Poll:
    """Open a draft when its quorum (its own, else the meeting's) is present: the ballot goes
    to every screen."""
    now = now or utcnow()
    assert poll.id is not None
    with locked_poll(session, poll.id, exclusive=True) as poll:
        _require(poll, {PollStatus.draft}, "opened")
        _require_meeting(session, poll, Action.open_poll)
        if poll.encrypted:
            encrypted_store.require_ready(session, poll)
        if poll.deadline is not None and as_utc(poll.deadline) <= now:
            raise InvalidPollError("The deadline has already passed", field="deadline")
        quorum = quorum_status(session=session, poll=poll, meeting_quorum=meeting_quorum)
        if quorum.members == 0:
            raise QuorumNotMetError(
                "No one with a voting right is invited to the meeting: nobody could vote"
            )
        if not quorum.met and not _written(session, poll):  # no session: nobody is "present"
            raise QuorumNotMetError(
                f"Quorum not met: {quorum.present} of {quorum.members} members with a voting "
                f"right are present, {quorum.required} needed ({quorum.basis} quorum "
                f"{quorum.rule})"
            )
        poll.status, poll.opened_at = PollStatus.open, now
        poll.present_at_open, poll.quorum_required = quorum.present, quorum.required
        session.add(poll)
        _event(session, poll, "poll.opened", poll=describe(poll).model_dump(mode="json"))
        session.commit()
    return poll


def close_poll(*, session: Session, poll: Poll, now: datetime | None = None) -> dict[str, Any]:
    """Close an open poll and store its result; closing again returns the stored result."""
    assert poll.id is not None
    with locked_poll(session, poll.id, exclusive=True) as poll:
        if poll.status in (PollStatus.closed, PollStatus.published) and poll.result is not None:
            stored = poll.result
            session.rollback()  # release the lock: nothing to write
            return stored
        if poll.encrypted and poll.status == PollStatus.closed:
            session.rollback()  # closed, waiting for the trustees
            return _awaiting_trustees(session, poll)
        _require(poll, {PollStatus.open}, "closed")
        _require_meeting(session, poll, Action.close_poll)
        poll.closed_at = now or utcnow()
        if poll.encrypted:
            return _close_encrypted(session, poll)
        poll.result = tally.compute_result(session=session, poll=poll)
        tally.shake_secret_choices(session=session, poll=poll)
        poll.status = PollStatus.closed
        session.add(poll)
        _event(session, poll, "poll.closed", ballots=poll.result["ballots"])
        _event(session, poll, "poll.result", audience=Audience.managers, result=poll.result)
        session.commit()
    return poll.result


def _close_encrypted(session: Session, poll: Poll) -> dict[str, Any]:
    """Ballots and sums go on the board; the result waits for t trustees (or, with no
    ballot, is there at once)."""
    poll.status = PollStatus.closed
    ballots = encrypted_closing.close_board(session=session, poll=poll)
    session.add(poll)
    _event(session, poll, "poll.closed", ballots=ballots)
    if ballots == 0:
        encrypted_closing.finish_empty(session=session, poll=poll)
    session.commit()
    return poll.result or _awaiting_trustees(session, poll)


def _awaiting_trustees(session: Session, poll: Poll) -> dict[str, Any]:
    """What closing an encrypted poll returns until its trustees have decrypted the sums."""
    assert poll.id is not None
    board = encrypted_store.entries(session, poll.id)
    close = next(entry for entry in board if entry["kind"] == "close")
    return {
        "poll_id": poll.id,
        "status": str(poll.status),
        "encrypted": True,
        "ballots": close["body"]["ballots"],
        "decrypted": False,
    }


def publish_poll(*, session: Session, poll: Poll, now: datetime | None = None) -> dict[str, Any]:
    """Send the closed poll's result to every screen; publishing again changes nothing."""
    assert poll.id is not None
    with locked_poll(session, poll.id, exclusive=True) as poll:
        if poll.status == PollStatus.published and poll.result is not None:
            stored = poll.result
            session.rollback()
            return stored
        _require(poll, {PollStatus.closed}, "published")
        _require_meeting(session, poll, Action.close_poll)
        if poll.result is None:  # an encrypted poll whose trustees have not decrypted yet
            raise ResultNotAvailableError("The trustees have not decrypted the result yet")
        poll.status, poll.published_at = PollStatus.published, now or utcnow()
        session.add(poll)
        _event(session, poll, "poll.published", result=tally.summary(poll.result))
        session.commit()
    return poll.result


def cancel_poll(*, session: Session, poll: Poll, now: datetime | None = None) -> Poll:
    """Cancel a draft or an open poll; ballots cast stay stored but are never counted."""
    assert poll.id is not None
    with locked_poll(session, poll.id, exclusive=True) as poll:
        _require(poll, {PollStatus.draft, PollStatus.open}, "cancelled")
        # Cancelling a draft is a change to drafts; cancelling a vote ends it, like a close.
        drafted = poll.status == PollStatus.draft
        _require_meeting(session, poll, Action.draft_poll if drafted else Action.close_poll)
        if poll.encrypted and drafted:
            encrypted_closing.cancel_setup(session=session, poll=poll)
        audience = Audience.everyone if poll.status == PollStatus.open else Audience.managers
        poll.status, poll.cancelled_at = PollStatus.cancelled, now or utcnow()
        session.add(poll)
        _event(session, poll, "poll.cancelled", audience=audience)
        session.commit()
    return poll


def get_result(*, session: Session, poll: Poll, viewer: Person) -> dict[str, Any]:
    """The stored result: for the chair and the secretariat once closed, for all once published."""
    if poll.status == PollStatus.published and poll.result is not None:
        return poll.result
    if poll.status == PollStatus.closed and poll.result is not None:
        if can_manage_poll(session=session, poll=poll, viewer=viewer):
            return poll.result
        raise ResultNotAvailableError("The result has not been published yet")
    raise ResultNotAvailableError(f"A {poll.status} poll has no result yet")


def _require(poll: Poll, allowed: set[PollStatus], step: str) -> None:
    if poll.status not in allowed:
        raise PollStateError(f"A {poll.status} poll cannot be {step}")


def _written(session: Session, poll: Poll) -> bool:
    meeting = session.get(Meeting, poll.meeting_id)
    return meeting is not None and meeting.kind == MeetingKind.written


def _require_meeting(session: Session, poll: Poll, action: Action) -> None:
    """The meeting's lifecycle must accept the step (meetings.lifecycle)."""
    meeting = session.get(Meeting, poll.meeting_id)
    assert meeting is not None
    lifecycle.require(session, meeting, action)


def _event(
    session: Session,
    poll: Poll,
    type: str,
    /,
    *,
    audience: Audience = Audience.everyone,
    **data: Any,
) -> None:
    record_event(
        session,
        meeting_id=poll.meeting_id,
        type=type,
        data={"poll_id": poll.id, "status": str(poll.status), **data},
        audience=audience,
    )
    if type in AUDITED:
        _audit(session, poll, type, ballots=data.get("ballots"))


def _audit(session: Session, poll: Poll, action: str, *, ballots: Any) -> None:
    # The number of ballots at most: never a result or a choice, so a secret poll stays
    # unlinkable even to someone who can read the audit trail and the ballot tables.
    detail: dict[str, Any] = {"title": poll.title, "secret": poll.secret}
    if isinstance(ballots, int):
        detail["ballots"] = ballots
    audit(
        session,
        action=action,
        target_type="poll",
        target_id=poll.id,
        meeting_id=poll.meeting_id,
        detail=detail,
    )
