"""The consolidated report of a comment round (bảng tổng hợp, tiếp thu, giải trình ý kiến):
each version is the body it was printed from, kept; the final one carries its sha256, like
final minutes, and no version follows it.

    report = new_version(session, round=r, by=drafter)          # a draft of the report
    report = new_version(session, round=r, by=drafter, final=True)
    pdf = report_pdf(ReportBody.from_json(report.body))
"""

from datetime import datetime

from sqlmodel import Session, col, select

from core.audit import audit
from meetings.draft_structure import load_structure, section_path
from models import CommentRound, Document, Meeting, Person, RoundReport, RoundRole, Stance
from models.base import as_utc, utcnow
from records.minutes_draft import VIETNAM, issuer_of
from records.opinion_report import (
    ReportAnswer,
    ReportBody,
    ReportComment,
    ReportSection,
    ReportSummary,
    body_sha256,
)
from voting import round_answers
from voting.errors import RoundStateError

REPORT_TITLE = ""  # the renderer's own title (BẢNG TỔNG HỢP, TIẾP THU, GIẢI TRÌNH Ý KIẾN)


def versions(session: Session, round: CommentRound) -> list[RoundReport]:
    return list(
        session.exec(
            select(RoundReport)
            .where(RoundReport.round_id == round.id)
            .order_by(col(RoundReport.version))
        ).all()
    )


def new_version(
    session: Session,
    *,
    round: CommentRound,
    by: Person,
    final: bool = False,
    now: datetime | None = None,
) -> RoundReport:
    """The report as the comments and answers stand now, as its next version."""
    kept = versions(session, round)
    if kept and kept[-1].final:
        raise RoundStateError("The report is final: no version comes after it")
    if final and round.status != "closed":
        raise RoundStateError("The report is made final once the round has closed")
    body = build_body(session, round, version=len(kept) + 1, now=now or utcnow())
    if final:
        body = ReportBody.from_json({**body.to_json(), "final": True, "sha256": body_sha256(body)})
    report = RoundReport(
        round_id=round.id or 0,
        version=body.version,
        body=body.to_json(),
        final=final,
        sha256=body.sha256,
        created_by=by.id,
    )
    session.add(report)
    session.flush()
    audit(
        session,
        action="round.report_final" if final else "round.report",
        actor=by,
        target_type="comment_round",
        target_id=round.id,
        meeting_id=round.meeting_id,
        detail={"version": report.version, "sha256": report.sha256},
    )
    return report


def build_body(session: Session, round: CommentRound, *, version: int, now: datetime) -> ReportBody:
    """Per article, the current comments with their answers; the summary over the members."""
    meeting = session.get(Meeting, round.meeting_id)
    document = session.get(Document, round.document_id)
    assert meeting is not None
    assert document is not None
    views = round_answers.comment_views(session, round)
    numbers = {view.comment.id: n for n, view in enumerate(views, start=1)}
    sections = load_structure(session, round.version_id)
    by_position: dict[int | None, list[ReportComment]] = {}
    for view in views:
        comment, answer = view.comment, view.answer
        by_position.setdefault(comment.section_position, []).append(
            ReportComment(
                number=numbers[comment.id],
                author=None if round.anonymous else view.author,
                count=1,
                stance=str(comment.stance),
                text=comment.text,
                proposed_text=comment.proposed_text,
                answer=None
                if answer is None
                else ReportAnswer(
                    verdict=str(answer.verdict),
                    text=answer.text,
                    merged_into=numbers.get(answer.merged_into),
                ),
            )
        )
    printed = [_section("", "", by_position.get(None, []))]
    printed += [
        _section(section_path(sections, s.position), s.title, by_position.get(s.position, []))
        for s in sections
        if s.position in by_position
    ]
    return ReportBody(
        issuer=issuer_of(session, meeting),
        title=REPORT_TITLE,
        draft_title=document.title,
        round_title=round.title,
        place=meeting.location,
        date=as_utc(now).astimezone(VIETNAM).date().isoformat(),
        anonymous=round.anonymous,
        summary=_summary(session, round, views),
        sections=printed,
        version=version,
        final=False,
        sha256=None,
        drafter=_drafter(session, round),
    )


def _section(path: str, title: str, comments: list[ReportComment]) -> ReportSection:
    def count(stance: Stance) -> int:
        return sum(1 for c in comments if c.stance == stance)

    return ReportSection(
        path=path,
        title=title,
        comments=comments,
        agree=count(Stance.agree),
        disagree=count(Stance.disagree),
        amend=count(Stance.amend),
    )


def _summary(
    session: Session, round: CommentRound, views: list[round_answers.CommentView]
) -> ReportSummary:
    """A member who submitted only "agree" (or nothing to say) agrees with the whole draft."""
    overview = round_answers.overview(session, round)
    with_comments = len(
        {view.comment.response_id for view in views if view.comment.stance != Stance.agree}
    )
    return ReportSummary(
        invited=overview.invited,
        answered=overview.answered,
        agree_all=overview.answered - with_comments,
        with_comments=with_comments,
        not_answered=overview.invited - overview.answered,
    )


def _drafter(session: Session, round: CommentRound) -> str:
    names = [
        person.full_name
        for member, person in round_answers.people_in(session, round)
        if member.role == RoundRole.drafter
    ]
    return ", ".join(names)
