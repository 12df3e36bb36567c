"""What the secretariat and the drafting body see of a comment round, and what they do with it:
the live overview (counts per article, who has not answered), every current comment, the
answer to each (tiếp thu, giải trình, không tiếp thu, gộp), and reminders before the deadline.

A comment is current when its response is its author's latest submission; drafts are never
shown here. In an anonymous round no comment carries a name.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlmodel import Session, col, select

from core.audit import audit
from meetings.mail import VIETNAM, MailConfig, MailReport, deliver, report_of
from models import (
    AnswerVerdict,
    CommentRound,
    Person,
    ResponseStatus,
    RoundAnswer,
    RoundComment,
    RoundMember,
    RoundResponse,
    RoundRole,
    RoundStatus,
    Stance,
)
from models.base import as_utc, utcnow
from models.draft import COMMENT_TEXT_MAX
from models.event import Audience
from models.events import record_event
from voting.errors import InvalidCommentError, RoundStateError
from voting.rounds import structure

REMIND_BEFORE = timedelta(hours=24)  # automatic reminders go this long before the deadline


@dataclass(frozen=True)
class SectionCount:
    position: int | None  # None: the whole draft
    label: str
    title: str
    agree: int = 0
    disagree: int = 0
    amend: int = 0
    general: int = 0


@dataclass(frozen=True)
class Missing:
    person_id: int
    name: str
    reminded_at: datetime | None


@dataclass(frozen=True)
class Overview:
    invited: int
    answered: int
    missing: list[Missing]
    sections: list[SectionCount]


@dataclass(frozen=True)
class CommentView:
    comment: RoundComment
    author: str | None  # None in an anonymous round
    answer: RoundAnswer | None


@dataclass
class Reminded:
    people: list[int] = field(default_factory=list)
    mail: MailReport | None = None


def current_comments(session: Session, round: CommentRound) -> list[RoundComment]:
    """The comments of every member's latest submission, in article order."""
    rows = session.exec(
        select(RoundComment)
        .join(RoundResponse, col(RoundResponse.id) == col(RoundComment.response_id))
        .where(
            RoundComment.round_id == round.id,
            RoundResponse.status == ResponseStatus.submitted,
            col(RoundResponse.current).is_(True),
        )
        .order_by(col(RoundComment.section_position).nulls_first(), col(RoundComment.id))
    ).all()
    return list(rows)


def people_in(session: Session, round: CommentRound) -> list[tuple[RoundMember, Person]]:
    """Everyone asked to take part (members and the drafting body), by name."""
    rows = session.exec(
        select(RoundMember, Person)
        .join(Person, col(Person.id) == col(RoundMember.person_id))
        .where(RoundMember.round_id == round.id)
        .order_by(col(Person.full_name))
    ).all()
    return list(rows)


def members(session: Session, round: CommentRound) -> list[tuple[RoundMember, Person]]:
    """The members asked for comments."""
    return [row for row in people_in(session, round) if row[0].role == RoundRole.member]


def overview(session: Session, round: CommentRound) -> Overview:
    """Counts per article, how many answered, and who has not yet."""
    people = members(session, round)
    counts: dict[int | None, dict[str, int]] = {}
    for comment in current_comments(session, round):
        tally = counts.setdefault(comment.section_position, {})
        tally[comment.stance] = tally.get(comment.stance, 0) + 1
    sections = [SectionCount(None, "", "", general=counts.get(None, {}).get(Stance.general, 0))]
    for section in structure(session, round):
        tally = counts.get(section.position, {})
        sections.append(
            SectionCount(
                section.position,
                section.label,
                section.title,
                agree=tally.get(Stance.agree, 0),
                disagree=tally.get(Stance.disagree, 0),
                amend=tally.get(Stance.amend, 0),
            )
        )
    missing = [
        Missing(person.id or 0, person.full_name, member.reminded_at)
        for member, person in people
        if not member.submitted
    ]
    return Overview(
        invited=len(people),
        answered=len(people) - len(missing),
        missing=missing,
        sections=sections,
    )


def comment_views(session: Session, round: CommentRound) -> list[CommentView]:
    """Every current comment with its author (named rounds) and its answer."""
    comments = current_comments(session, round)
    answers = {
        answer.comment_id: answer
        for answer in session.exec(select(RoundAnswer).where(RoundAnswer.round_id == round.id))
    }
    names = _author_names(session, round)
    return [
        CommentView(comment, names.get(comment.response_id), answers.get(comment.id or 0))
        for comment in comments
    ]


def _author_names(session: Session, round: CommentRound) -> dict[int, str]:
    if round.anonymous:
        return {}
    rows = session.exec(
        select(RoundResponse.id, Person.full_name)
        .join(Person, col(Person.id) == col(RoundResponse.person_id))
        .where(RoundResponse.round_id == round.id)
    ).all()
    return {response_id or 0: name for response_id, name in rows}


def answer_comment(
    session: Session,
    *,
    round: CommentRound,
    comment_id: int,
    verdict: AnswerVerdict,
    text: str,
    merged_into: int | None,
    by: Person,
) -> RoundAnswer:
    """The drafting body's answer to one current comment (a new answer replaces the old)."""
    current = {comment.id: comment for comment in current_comments(session, round)}
    if comment_id not in current:
        raise InvalidCommentError("No such comment in this round", field="comment_id")
    text = text.strip()
    if len(text) > COMMENT_TEXT_MAX:
        raise InvalidCommentError(f"At most {COMMENT_TEXT_MAX} characters", field="text")
    if verdict == AnswerVerdict.merged:
        if merged_into is None or merged_into == comment_id or merged_into not in current:
            raise InvalidCommentError(
                "Merge with another comment of this round", field="merged_into"
            )
    elif merged_into is not None:
        raise InvalidCommentError("Only a merged answer names another comment", field="merged_into")
    if verdict in (AnswerVerdict.explained, AnswerVerdict.not_accepted) and not text:
        raise InvalidCommentError("Say why: the answer's text is the explanation", field="text")
    answer = session.exec(
        select(RoundAnswer).where(RoundAnswer.comment_id == comment_id)
    ).first() or RoundAnswer(round_id=round.id or 0, comment_id=comment_id, verdict=verdict)
    answer.verdict, answer.text, answer.merged_into = verdict, text, merged_into
    answer.answered_by, answer.answered_at = by.id, utcnow()
    session.add(answer)
    session.flush()
    record_event(
        session,
        meeting_id=round.meeting_id,
        type="round.answered",
        data={"round_id": round.id, "comment_id": comment_id},
        audience=Audience.managers,
    )
    audit(
        session,
        action="round.answered",
        actor=by,
        target_type="comment_round",
        target_id=round.id,
        meeting_id=round.meeting_id,
        detail={"comment_id": comment_id, "verdict": str(verdict)},
    )
    return answer


# -- reminders ------------------------------------------------------------------------------


def remind(
    session: Session,
    *,
    round: CommentRound,
    by: Person | None,
    config: MailConfig | None,
    link: str,
    only_unreminded: bool = False,
    now: datetime | None = None,
) -> Reminded:
    """E-mail the members who have not answered, and put a notice on their tablets (the event
    names no one: each tablet asks whether it still owes an answer)."""
    if round.status != RoundStatus.open:
        raise RoundStateError("Only an open round sends reminders")
    now = now or utcnow()
    due = [
        (member, person)
        for member, person in members(session, round)
        if not member.submitted and not (only_unreminded and member.reminded_at)
    ]
    result = Reminded(people=[person.id or 0 for _, person in due])
    if not due:
        return result
    for member, _ in due:
        member.reminded_at = now
        session.add(member)
    record_event(
        session,
        meeting_id=round.meeting_id,
        type="round.reminder",
        data={"round_id": round.id, "title": round.title, "deadline": _iso(round.deadline)},
    )
    audit(
        session,
        action="round.reminded",
        actor=by or "deadline",
        target_type="comment_round",
        target_id=round.id,
        meeting_id=round.meeting_id,
        detail={"people": len(due)},
    )
    session.commit()
    if config is not None:
        with_mail = [(member.id or 0, person) for member, person in due if person.email]
        messages = [(key, _letter(round, person, config, link)) for key, person in with_mail]
        outcome = deliver(config, messages)
        result.mail = report_of(outcome, {key: person.email or "" for key, person in with_mail})
        result.mail.without_email = [person.full_name for _, person in due if not person.email]
    return result


def remind_due(
    session: Session, *, config: MailConfig | None, link_for: "LinkFor", now: datetime | None = None
) -> list[int]:
    """Automatic reminders: open rounds whose deadline is near, to members not reminded yet."""
    now = now or utcnow()
    rounds = session.exec(
        select(CommentRound).where(
            CommentRound.status == RoundStatus.open,
            col(CommentRound.deadline).is_not(None),
            col(CommentRound.deadline) > now,
            col(CommentRound.deadline) <= now + REMIND_BEFORE,
        )
    ).all()
    reminded = []
    for found in rounds:
        result = remind(
            session,
            round=found,
            by=None,
            config=config,
            link=link_for(found),
            only_unreminded=True,
            now=now,
        )
        if result.people:
            reminded.append(found.id or 0)
    return reminded


class LinkFor:
    """The member's page of a round, as an absolute URL (the web layer knows the address)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def __call__(self, round: CommentRound) -> str:
        return f"{self.base_url}/rounds/{round.id}"


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def _local(value: datetime | None) -> str:
    if value is None:
        return "—"
    return as_utc(value).astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def _letter(round: CommentRound, person: Person, config: MailConfig, link: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = person.email or ""
    message["Subject"] = f"Nhắc góp ý dự thảo / Reminder: comments on a draft - {round.title}"
    deadline = _local(round.deadline)
    message.set_content(
        f"Kính gửi {person.full_name},\n\n"
        f"Ông/Bà chưa gửi ý kiến góp ý về: {round.title}.\n"
        f"Hạn cuối: {deadline} (giờ Việt Nam).\n"
        f"Góp ý tại: {link}\n\n"
        f"Dear {person.full_name},\n\n"
        f"You have not yet sent your comments on: {round.title}.\n"
        f"Deadline: {deadline} (Vietnam time).\n"
        f"Comment at: {link}\n"
    )
    return message
