"""Written consultations between meetings (lấy ý kiến bằng văn bản, phiếu lấy ý kiến).

A written consultation is a meeting of kind "written": its invitees with a voting right are
the body's members, and it has no session. Sending it opens one poll per question, each an
opinion poll (agree / disagree / other opinion with text) counted on every member with a
voting right by the body's rule (more than half of all members, by default), closing at the
deadline. So a written ballot has every guarantee of a poll's ballot: idempotent by nonce,
counted once, durable, audited. The chair signs the result off once every question closed:
its body is kept with its sha256.

    polls = send(session, meeting=m, questions=[Question("...")], deadline=d, by=clerk)
    remind_due(session, config=mail, link_for=LinkFor(url))      # the day before
    result = sign_off(session, meeting=m, by=chair)
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlmodel import Session, col, select

from core.audit import audit
from meetings import scheduling
from meetings.mail import VIETNAM, MailConfig, deliver
from models import (
    Ballot,
    Invitation,
    Meeting,
    MeetingKind,
    MeetingStatus,
    Person,
    Poll,
    PollCreate,
    PollKind,
    PollStatus,
    WrittenResult,
)
from models.base import as_utc, utcnow
from models.event import Audience
from models.events import record_event
from models.poll import Eligibility, MajorityRule
from voting import polls, tally
from voting.errors import InvalidPollError, PollStateError

MAX_QUESTIONS = 30
REMIND_BEFORE = timedelta(hours=24)
RULES = frozenset(
    {
        MajorityRule.absolute_members,
        MajorityRule.two_thirds_members,
        MajorityRule.absolute_cast,
        MajorityRule.simple,
    }
)


@dataclass(frozen=True)
class Question:
    title: str
    description: str = ""


def require_written(meeting: Meeting) -> None:
    if meeting.kind != MeetingKind.written:
        raise PollStateError("This is not a written consultation")


def questions_of(session: Session, meeting: Meeting) -> list[Poll]:
    """The consultation's questions (its polls), in the order they were asked."""
    return list(
        session.exec(select(Poll).where(Poll.meeting_id == meeting.id).order_by(col(Poll.id))).all()
    )


def send(
    session: Session,
    *,
    meeting: Meeting,
    questions: Sequence[Question],
    deadline: datetime,
    by: Person,
    rule: MajorityRule = MajorityRule.absolute_members,
    now: datetime | None = None,
) -> list[Poll]:
    """Open one question per poll for every member with a voting right, until the deadline."""
    require_written(meeting)
    now = now or utcnow()
    _check(meeting, questions, deadline, rule, now)
    if questions_of(session, meeting):
        raise PollStateError("This consultation was sent already")
    if meeting.status == MeetingStatus.draft:
        scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.scheduled)
    if meeting.status == MeetingStatus.scheduled:
        scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.in_progress)
    opened = []
    for question in questions:
        data = PollCreate(
            title=question.title.strip(),
            description=question.description.strip(),
            kind=PollKind.opinion,
            opinion_agree=True,
            eligibility=Eligibility.voting_right,
            majority_rule=rule,
            deadline=deadline,
        )
        poll = polls.create_poll(session=session, meeting=meeting, data=data, creator=by)
        opened.append(polls.open_poll(session=session, poll=poll, now=now))
    audit(
        session,
        action="written.sent",
        actor=by,
        target_type="meeting",
        target_id=meeting.id,
        meeting_id=meeting.id,
        detail={"questions": len(opened), "rule": str(rule), "deadline": as_utc(deadline)},
    )
    session.commit()
    return opened


def _check(
    meeting: Meeting,
    questions: Sequence[Question],
    deadline: datetime,
    rule: MajorityRule,
    now: datetime,
) -> None:
    if meeting.status not in (MeetingStatus.draft, MeetingStatus.scheduled):
        raise PollStateError("Only a consultation not yet sent can be sent")
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        raise InvalidPollError(f"Ask 1 to {MAX_QUESTIONS} questions", field="questions")
    for index, question in enumerate(questions):
        if not question.title.strip() or len(question.title.strip()) > 300:
            raise InvalidPollError(
                "Each question needs a title (at most 300 characters)", field=f"questions.{index}"
            )
    if as_utc(deadline) <= now:
        raise InvalidPollError("The deadline must be in the future", field="deadline")
    if rule not in RULES:
        raise InvalidPollError("Choose a majority rule for agree / disagree", field="majority_rule")


# -- who has not answered, and reminders ------------------------------------------------------


def members(session: Session, meeting: Meeting) -> list[tuple[Invitation, Person]]:
    """The body's members: the invitees with a voting right."""
    rows = session.exec(
        select(Invitation, Person)
        .join(Person, col(Person.id) == col(Invitation.person_id))
        .where(Invitation.meeting_id == meeting.id, col(Invitation.voting_right).is_(True))
        .order_by(col(Person.full_name))
    ).all()
    return list(rows)


def unanswered(session: Session, meeting: Meeting) -> list[tuple[Invitation, Person]]:
    """Members who have not yet answered every open question."""
    open_ids = [p.id for p in questions_of(session, meeting) if p.status == PollStatus.open]
    if not open_ids:
        return []
    voted = session.exec(
        select(Ballot.voter_id, Ballot.poll_id).where(col(Ballot.poll_id).in_(open_ids))
    ).all()
    answered: dict[int, set[int]] = {}
    for voter_id, poll_id in voted:
        answered.setdefault(voter_id, set()).add(poll_id)
    everything = set(open_ids)
    return [
        (invitation, person)
        for invitation, person in members(session, meeting)
        if answered.get(person.id or 0, set()) != everything
    ]


def remind_due(
    session: Session, *, config: MailConfig | None, link_for: "LinkFor", now: datetime | None = None
) -> list[int]:
    """Consultations whose deadline is within a day: remind each member who still owes an
    answer, once (e-mail when set up; a notice on their tablets); the consultations' ids."""
    now = now or utcnow()
    due = session.exec(
        select(Meeting)
        .join(Poll, col(Poll.meeting_id) == col(Meeting.id))
        .where(
            Meeting.kind == MeetingKind.written,
            Meeting.status == MeetingStatus.in_progress,
            Poll.status == PollStatus.open,
            col(Poll.deadline) > now,
            col(Poll.deadline) <= now + REMIND_BEFORE,
        )
        .distinct()
    ).all()
    reminded = []
    for meeting in due:
        rows = [row for row in unanswered(session, meeting) if row[0].reminded_at is None]
        if rows:
            _remind(session, meeting, rows, config, link_for(meeting), now)
            reminded.append(meeting.id or 0)
    return reminded


def _remind(
    session: Session,
    meeting: Meeting,
    rows: list[tuple[Invitation, Person]],
    config: MailConfig | None,
    link: str,
    now: datetime,
) -> None:
    for invitation, _ in rows:
        invitation.reminded_at = now
        session.add(invitation)
    assert meeting.id is not None
    record_event(
        session,
        meeting_id=meeting.id,
        type="written.reminder",
        data={"meeting_id": meeting.id},
        audience=Audience.everyone,
    )
    audit(
        session,
        action="written.reminded",
        actor="deadline",
        target_type="meeting",
        target_id=meeting.id,
        meeting_id=meeting.id,
        detail={"people": len(rows)},
    )
    session.commit()
    if config is not None:
        deadline = _deadline(session, meeting)
        messages = [
            (invitation.id or 0, _letter(meeting, person, deadline, config, link))
            for invitation, person in rows
            if person.email
        ]
        deliver(config, messages)


class LinkFor:
    """A consultation's page for its members, as an absolute URL."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def __call__(self, meeting: Meeting) -> str:
        return f"{self.base_url}/room/{meeting.id}"


def _deadline(session: Session, meeting: Meeting) -> datetime | None:
    deadlines = [p.deadline for p in questions_of(session, meeting) if p.deadline is not None]
    return max(deadlines, default=None)


def _letter(
    meeting: Meeting, person: Person, deadline: datetime | None, config: MailConfig, link: str
) -> EmailMessage:
    when = (
        "—" if deadline is None else as_utc(deadline).astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")
    )
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = person.email or ""
    message["Subject"] = (
        f"Nhắc trả lời phiếu lấy ý kiến / Reminder: written consultation - {meeting.title}"
    )
    message.set_content(
        f"Kính gửi {person.full_name},\n\n"
        f"Ông/Bà chưa trả lời đủ phiếu lấy ý kiến: {meeting.title}.\n"
        f"Hạn cuối: {when} (giờ Việt Nam).\nTrả lời tại: {link}\n\n"
        f"Dear {person.full_name},\n\n"
        f"You have not answered every question of: {meeting.title}.\n"
        f"Deadline: {when} (Vietnam time).\nAnswer at: {link}\n"
    )
    return message


# -- the result -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionResult:
    title: str
    status: str
    agree: int
    disagree: int
    other: int
    verdict: str | None
    needed: int | None
    opinions: list[dict[str, Any]]


def result_body(session: Session, meeting: Meeting) -> dict[str, Any]:
    """What the consultation decided, question by question, on all members."""
    questions = []
    for poll in questions_of(session, meeting):
        result = (
            poll.result
            if poll.result is not None
            else tally.compute_result(session=session, poll=poll)
        )
        questions.append(
            QuestionResult(
                title=poll.title,
                status=str(poll.status),
                agree=result.get("agree", 0),
                disagree=result.get("disagree", 0),
                other=result.get("no_position", 0),
                verdict=result.get("verdict"),
                needed=result.get("needed"),
                opinions=[
                    {
                        "full_name": line.get("full_name", ""),
                        "agree": line.get("agree"),
                        "text": line.get("text", ""),
                    }
                    for line in result.get("opinions", [])
                    if line.get("text")
                ],
            )
        )
    return {
        "meeting_id": meeting.id,
        "title": meeting.title,
        "members": len(members(session, meeting)),
        "questions": [asdict(question) for question in questions],
    }


def fingerprint(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def signed_off(session: Session, meeting: Meeting) -> WrittenResult | None:
    return session.exec(select(WrittenResult).where(WrittenResult.meeting_id == meeting.id)).first()


def sign_off(session: Session, *, meeting: Meeting, by: Person) -> WrittenResult:
    """The chair (or the secretariat) signs the result off once every question has closed."""
    require_written(meeting)
    questions = questions_of(session, meeting)
    if not questions:
        raise PollStateError("Nothing was asked yet")
    if any(poll.status == PollStatus.open for poll in questions):
        raise PollStateError("Some questions are still open: sign off after the deadline")
    if signed_off(session, meeting) is not None:
        raise PollStateError("The result is signed off already")
    body = result_body(session, meeting)
    result = WrittenResult(
        meeting_id=meeting.id or 0, body=body, sha256=fingerprint(body), signed_off_by=by.id
    )
    session.add(result)
    audit(
        session,
        action="written.signed_off",
        actor=by,
        target_type="meeting",
        target_id=meeting.id,
        meeting_id=meeting.id,
        detail={"sha256": result.sha256},
    )
    if meeting.status == MeetingStatus.in_progress:
        meeting.status = MeetingStatus.closed
        session.add(meeting)
        record_event(
            session,
            meeting_id=meeting.id or 0,
            type="meeting.status",
            data={"status": MeetingStatus.closed},
        )
    session.commit()
    return result
