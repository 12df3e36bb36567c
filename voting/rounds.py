"""Comment rounds on a draft (lấy ý kiến dự thảo): open, respond, amend, close.

    round = create_round(session, meeting=m, document=d, fields=RoundFields(...), by=clerk)
    open_round(session, round=round, by=clerk)        # needs the version's structure
    save_response(session, round=round, person=p, comments=[...], submit=True, secret=key)
    close_due_rounds(session=session)                 # the deadline closes a round by itself

A member saves a draft of their comments (seen by them only) and submits; until the deadline
they may amend, and every submission is kept (a new revision; the latest is `current`). In an
anonymous round a response is filed under a keyed hash of the member (`secret`: the server's
key), never under their id, so the tables alone do not say whose comments are whose; whether
someone answered is kept apart (round_member.submitted). Services do not commit.
"""

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from core.audit import audit
from meetings import access
from meetings.errors import MeetingNotFoundError
from models import (
    CommentRound,
    Document,
    DocumentVersion,
    DraftSection,
    Invitation,
    Meeting,
    MeetingRole,
    Person,
    ResponseStatus,
    RoundComment,
    RoundMember,
    RoundResponse,
    RoundRole,
    RoundStatus,
    Stance,
)
from models.base import as_utc, utcnow
from models.draft import COMMENT_TEXT_MAX, ROUND_TITLE_MAX
from models.event import Audience
from models.events import record_event
from voting.errors import (
    InvalidCommentError,
    NotRoundMemberError,
    RoundNotFoundError,
    RoundStateError,
)

MAX_COMMENTS = 500  # one response: a comment per section of a long draft, with room


@dataclass(frozen=True)
class RoundFields:
    title: str
    instructions: str = ""
    anonymous: bool = False
    deadline: datetime | None = None
    member_ids: Sequence[int] | None = None  # None: the meeting's invitees but observers
    drafter_ids: Sequence[int] = ()


@dataclass(frozen=True)
class CommentIn:
    section_position: int | None  # None: on the whole draft (stance "general")
    stance: Stance
    text: str = ""
    proposed_text: str = ""


@dataclass(frozen=True)
class ResponseView:
    status: ResponseStatus | None  # None: nothing saved yet
    revision: int
    saved_at: datetime | None
    comments: list[RoundComment] = field(default_factory=list)
    submitted_revisions: int = 0


# -- finding and permissions ----------------------------------------------------------------


def get_round(session: Session, *, round_id: int, viewer: Person) -> CommentRound:
    """The round, when the viewer may see its meeting or is asked to take part in the round
    (the drafting body need not be invited to the meeting); else not found."""
    found = session.get(CommentRound, round_id)
    if found is None:
        raise RoundNotFoundError("No such comment round")
    assert viewer.id is not None
    if membership(session, round=found, person_id=viewer.id) is not None:
        return found
    try:
        access.get_visible_meeting(session, meeting_id=found.meeting_id, viewer=viewer)
    except MeetingNotFoundError as error:
        raise RoundNotFoundError("No such comment round") from error
    return found


def membership(session: Session, *, round: CommentRound, person_id: int) -> RoundMember | None:
    return session.exec(
        select(RoundMember).where(
            RoundMember.round_id == round.id, RoundMember.person_id == person_id
        )
    ).first()


def sees_all(session: Session, *, round: CommentRound, viewer: Person) -> bool:
    """The secretariat, the chair and the drafting body see every response."""
    meeting = session.get(Meeting, round.meeting_id)
    assert meeting is not None
    if access.can_manage(session, meeting=meeting, viewer=viewer):
        return True
    assert viewer.id is not None
    member = membership(session, round=round, person_id=viewer.id)
    return member is not None and member.role == RoundRole.drafter


def require_sees_all(session: Session, *, round: CommentRound, viewer: Person) -> None:
    if not sees_all(session, round=round, viewer=viewer):
        raise NotRoundMemberError("Only the secretariat and the drafting body see all comments")


def require_manager(session: Session, *, round: CommentRound, viewer: Person) -> Meeting:
    meeting = session.get(Meeting, round.meeting_id)
    assert meeting is not None
    if not access.can_manage(session, meeting=meeting, viewer=viewer):
        raise NotRoundMemberError("Only the secretariat or the chair runs a comment round")
    return meeting


# -- the round's life -----------------------------------------------------------------------


def create_round(
    session: Session,
    *,
    meeting: Meeting,
    document: Document,
    fields: RoundFields,
    by: Person,
    now: datetime | None = None,
) -> CommentRound:
    """A round (draft) on the document's latest version, with its members and drafters."""
    assert meeting.id is not None
    assert document.id is not None
    if document.meeting_id != meeting.id:
        raise InvalidCommentError("The document is not one of this meeting's", field="document_id")
    version = session.exec(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document.id,
            DocumentVersion.number == document.current_version,
        )
    ).first()
    if version is None or version.id is None:
        raise InvalidCommentError("The document has no version yet", field="document_id")
    title = fields.title.strip()
    if not title or len(title) > ROUND_TITLE_MAX:
        raise InvalidCommentError(
            f"Give a title (at most {ROUND_TITLE_MAX} characters)", field="title"
        )
    _check_deadline(fields.deadline, now or utcnow())
    members = _member_ids(session, meeting, fields.member_ids)
    drafters = _known_people(session, fields.drafter_ids, "drafter_ids")
    created = CommentRound(
        meeting_id=meeting.id,
        document_id=document.id,
        version_id=version.id,
        title=title,
        instructions=fields.instructions.strip()[:5000],
        anonymous=fields.anonymous,
        deadline=fields.deadline,
        created_by=by.id,
    )
    session.add(created)
    session.flush()
    assert created.id is not None
    for person_id in members:
        session.add(RoundMember(round_id=created.id, person_id=person_id))
    for person_id in drafters:
        if person_id not in members:
            session.add(
                RoundMember(round_id=created.id, person_id=person_id, role=RoundRole.drafter)
            )
    audit(
        session,
        action="round.created",
        actor=by,
        target_type="comment_round",
        target_id=created.id,
        meeting_id=meeting.id,
        detail={"title": title, "anonymous": fields.anonymous, "members": len(members)},
    )
    return created


def _check_deadline(deadline: datetime | None, now: datetime) -> None:
    if deadline is not None and as_utc(deadline) <= now:
        raise InvalidCommentError("The deadline must be in the future", field="deadline")


def _member_ids(session: Session, meeting: Meeting, chosen: Sequence[int] | None) -> list[int]:
    if chosen is not None:
        ids = _known_people(session, chosen, "member_ids")
    else:
        invitations = session.exec(
            select(Invitation).where(
                Invitation.meeting_id == meeting.id, Invitation.role != MeetingRole.observer
            )
        ).all()
        ids = sorted({invitation.person_id for invitation in invitations})
    if not ids:
        raise InvalidCommentError("A round needs at least one member", field="member_ids")
    return ids


def _known_people(session: Session, ids: Sequence[int], name: str) -> list[int]:
    wanted = sorted(set(ids))
    if len(wanted) > 5000:
        raise InvalidCommentError("Too many people", field=name)
    found = set(session.exec(select(Person.id).where(col(Person.id).in_(wanted))).all())
    missing = [person_id for person_id in wanted if person_id not in found]
    if missing:
        raise InvalidCommentError(f"No such person: {missing[0]}", field=name)
    return wanted


def structure(session: Session, round: CommentRound) -> list[DraftSection]:
    """The sections of the version the round comments on, in reading order."""
    return list(
        session.exec(
            select(DraftSection)
            .where(DraftSection.version_id == round.version_id)
            .order_by(col(DraftSection.position))
        ).all()
    )


def open_round(
    session: Session, *, round: CommentRound, by: Person, now: datetime | None = None
) -> CommentRound:
    if round.status != RoundStatus.draft:
        raise RoundStateError("Only a round in preparation can be opened")
    if not structure(session, round):
        raise RoundStateError("Split the draft into articles before opening the round")
    now = now or utcnow()
    _check_deadline(round.deadline, now)
    round.status, round.opened_at = RoundStatus.open, now
    session.add(round)
    _changed(session, round, "round.opened", actor=by)
    return round


def close_round(
    session: Session, *, round: CommentRound, by: Person | None, now: datetime | None = None
) -> CommentRound:
    if round.status != RoundStatus.open:
        raise RoundStateError("Only an open round can be closed")
    round.status, round.closed_at = RoundStatus.closed, now or utcnow()
    session.add(round)
    _changed(session, round, "round.closed", actor=by or "deadline")
    return round


def close_due_rounds(*, session: Session, now: datetime | None = None) -> list[int]:
    """Close every open round past its deadline (each in its own commit); their ids."""
    now = now or utcnow()
    due = session.exec(
        select(CommentRound).where(
            CommentRound.status == RoundStatus.open,
            col(CommentRound.deadline).is_not(None),
            col(CommentRound.deadline) <= now,
        )
    ).all()
    closed = []
    for found in due:
        close_round(session, round=found, by=None, now=now)
        session.commit()
        closed.append(found.id or 0)
    return closed


def _changed(session: Session, round: CommentRound, action: str, *, actor: Person | str) -> None:
    data = {"round_id": round.id, "status": str(round.status), "title": round.title}
    record_event(session, meeting_id=round.meeting_id, type=action, data=data)
    audit(
        session,
        action=action,
        actor=actor,
        target_type="comment_round",
        target_id=round.id,
        meeting_id=round.meeting_id,
    )


def is_accepting(round: CommentRound, now: datetime) -> bool:
    deadline = round.deadline
    return round.status == RoundStatus.open and (deadline is None or as_utc(deadline) > now)


# -- responses ------------------------------------------------------------------------------


def author_key(round: CommentRound, person_id: int, secret: bytes) -> str:
    """Whose response: the person's id in a named round, a keyed hash in an anonymous one."""
    if not round.anonymous:
        return f"p:{person_id}"
    message = f"round:{round.id}:person:{person_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _member_of(session: Session, round: CommentRound, person: Person) -> RoundMember:
    assert person.id is not None
    member = membership(session, round=round, person_id=person.id)
    if member is None or member.role != RoundRole.member:
        raise NotRoundMemberError("You are not asked for comments in this round")
    return member


def _responses(session: Session, round: CommentRound, key: str) -> list[RoundResponse]:
    return list(
        session.exec(
            select(RoundResponse)
            .where(RoundResponse.round_id == round.id, RoundResponse.author_key == key)
            .order_by(col(RoundResponse.revision))
        ).all()
    )


def _comments(session: Session, response: RoundResponse) -> list[RoundComment]:
    return list(
        session.exec(
            select(RoundComment)
            .where(RoundComment.response_id == response.id)
            .order_by(col(RoundComment.id))
        ).all()
    )


def my_response(
    session: Session, *, round: CommentRound, person: Person, secret: bytes
) -> ResponseView:
    """The member's draft if they saved one, else their latest submission."""
    assert person.id is not None
    rows = _responses(session, round, author_key(round, person.id, secret))
    submitted = [row for row in rows if row.status == ResponseStatus.submitted]
    drafts = [row for row in rows if row.status == ResponseStatus.draft]
    shown = drafts[-1] if drafts else (submitted[-1] if submitted else None)
    if shown is None:
        return ResponseView(status=None, revision=0, saved_at=None)
    return ResponseView(
        status=shown.status,
        revision=shown.revision,
        saved_at=shown.saved_at,
        comments=_comments(session, shown),
        submitted_revisions=len(submitted),
    )


def save_response(
    session: Session,
    *,
    round: CommentRound,
    person: Person,
    comments: Sequence[CommentIn],
    submit: bool,
    secret: bytes,
    now: datetime | None = None,
) -> ResponseView:
    """Save the member's comments as their draft, or submit them (a new kept revision)."""
    now = now or utcnow()
    member = _member_of(session, round, person)
    if not is_accepting(round, now):
        raise RoundStateError("The round is not open for comments (closed or past its deadline)")
    checked = _checked(session, round, comments)
    assert person.id is not None
    key = author_key(round, person.id, secret)
    rows = _responses(session, round, key)
    for draft in [row for row in rows if row.status == ResponseStatus.draft]:
        for stale in _comments(session, draft):
            session.delete(stale)
        session.delete(draft)
    session.flush()  # the draft's revision number is taken again below
    submitted = [row for row in rows if row.status == ResponseStatus.submitted]
    if submit and submitted and _same(session, submitted[-1], checked):
        session.flush()
        return my_response(session, round=round, person=person, secret=secret)  # resent
    revision = (submitted[-1].revision if submitted else 0) + 1
    response = RoundResponse(
        round_id=round.id or 0,
        author_key=key,
        person_id=None if round.anonymous else person.id,
        revision=revision,
        status=ResponseStatus.submitted if submit else ResponseStatus.draft,
        saved_at=None if round.anonymous else now,
    )
    if submit:
        for older in submitted:
            older.current = False
            session.add(older)
    session.add(response)
    session.flush()
    for comment in checked:
        session.add(
            RoundComment(
                response_id=response.id or 0,
                round_id=round.id or 0,
                section_position=comment.section_position,
                stance=comment.stance,
                text=comment.text,
                proposed_text=comment.proposed_text,
            )
        )
    if submit:
        _submitted(session, round, member, person, revision=revision, count=len(checked))
    session.flush()
    return my_response(session, round=round, person=person, secret=secret)


def _submitted(
    session: Session,
    round: CommentRound,
    member: RoundMember,
    person: Person,
    *,
    revision: int,
    count: int,
) -> None:
    member.submitted = True
    session.add(member)
    session.flush()
    answered = len(
        session.exec(
            select(RoundMember.id).where(
                RoundMember.round_id == round.id, col(RoundMember.submitted).is_(True)
            )
        ).all()
    )
    record_event(
        session,
        meeting_id=round.meeting_id,
        type="round.progress",
        data={"round_id": round.id, "answered": answered},
        audience=Audience.managers,
    )
    detail: dict[str, object] = {"revision": revision, "comments": count}
    audit(
        session,
        action="round.submitted",
        actor=person,
        target_type="comment_round",
        target_id=round.id,
        meeting_id=round.meeting_id,
        detail=detail,
    )


def _checked(
    session: Session, round: CommentRound, comments: Sequence[CommentIn]
) -> list[CommentIn]:
    if len(comments) > MAX_COMMENTS:
        raise InvalidCommentError(f"At most {MAX_COMMENTS} comments", field="comments")
    positions = {section.position for section in structure(session, round)}
    seen: set[int | None] = set()
    checked = []
    for index, comment in enumerate(comments):
        where = f"comments.{index}"
        text, proposed = comment.text.strip(), comment.proposed_text.strip()
        if len(text) > COMMENT_TEXT_MAX or len(proposed) > COMMENT_TEXT_MAX:
            raise InvalidCommentError(
                f"A comment has at most {COMMENT_TEXT_MAX} characters", field=where
            )
        general = comment.section_position is None
        if general != (comment.stance == Stance.general):
            raise InvalidCommentError(
                "A comment on the whole draft is 'general'; one on an article is not", field=where
            )
        if not general and comment.section_position not in positions:
            raise InvalidCommentError("No such article or clause in this draft", field=where)
        if comment.section_position in seen:
            raise InvalidCommentError("One comment per article or clause", field=where)
        if comment.stance in (Stance.general, Stance.disagree) and not text:
            raise InvalidCommentError("Say why, in the comment's text", field=where)
        if comment.stance == Stance.amend and not (text or proposed):
            raise InvalidCommentError("Give the wording you propose", field=where)
        seen.add(comment.section_position)
        checked.append(CommentIn(comment.section_position, comment.stance, text, proposed))
    return checked


def _same(session: Session, response: RoundResponse, comments: list[CommentIn]) -> bool:
    kept = [
        (c.section_position, c.stance, c.text, c.proposed_text)
        for c in _comments(session, response)
    ]
    sent = [(c.section_position, c.stance, c.text, c.proposed_text) for c in comments]
    return kept == sent
