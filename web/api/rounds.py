"""Comment rounds on drafts (lấy ý kiến dự thảo).

POST /api/meetings/{id}/rounds            a round on a document (its structure proposed)
GET  /api/meetings/{id}/rounds            the meeting's rounds
GET  /api/rounds/{id}                     the round, its articles, the viewer's part in it
PUT  /api/rounds/{id}/structure           the secretariat's corrected split (before opening)
POST /api/rounds/{id}/structure/propose   split the draft's text again
POST /api/rounds/{id}/open | /close       (secretariat, chair)
GET  /api/rounds/{id}/mine                the member's draft or latest submission
PUT  /api/rounds/{id}/mine                save ({"submit": false}) or submit
GET  /api/rounds/{id}/overview            counts per article, who has not answered
GET  /api/rounds/{id}/comments            every current comment and its answer
PUT  /api/rounds/{id}/comments/{cid}/answer   the drafting body's answer
POST /api/rounds/{id}/remind              e-mail and tablet notice to who has not answered
"""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from meetings import draft_structure
from meetings.draft_structure import Section
from meetings.errors import MeetingNotFoundError
from models import (
    AnswerVerdict,
    CommentRound,
    Document,
    DocumentVersion,
    Person,
    ResponseStatus,
    RoundAnswer,
    RoundComment,
    RoundReport,
    RoundRole,
    RoundStatus,
    SectionKind,
    Stance,
)
from models.base import MAX_ID
from models.draft import COMMENT_TEXT_MAX, ROUND_TITLE_MAX, SECTION_TEXT_MAX
from records import opinion_reports
from records.opinion_report import ReportBody, report_docx, report_pdf
from voting import round_answers, rounds
from voting.errors import (
    NotRoundMemberError,
    RoundNotFoundError,
    RoundStateError,
)
from voting.rounds import CommentIn, RoundFields
from web.deps import CurrentUser, ManagedMeetingDep, MeetingDep, SessionDep, StateDep
from web.mail import mail_config
from web.state import AppState

router = APIRouter(tags=["rounds"])


def get_visible_round(
    round_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, person: CurrentUser
) -> CommentRound:
    return rounds.get_round(session, round_id=round_id, viewer=person)


RoundDep = Annotated[CommentRound, Depends(get_visible_round)]


def get_managed_round(round: RoundDep, session: SessionDep, person: CurrentUser) -> CommentRound:
    rounds.require_manager(session, round=round, viewer=person)
    return round


def get_overseen_round(round: RoundDep, session: SessionDep, person: CurrentUser) -> CommentRound:
    """The secretariat, the chair and the drafting body."""
    rounds.require_sees_all(session, round=round, viewer=person)
    return round


ManagedRoundDep = Annotated[CommentRound, Depends(get_managed_round)]
OverseenRoundDep = Annotated[CommentRound, Depends(get_overseen_round)]


# -- schemas --------------------------------------------------------------------------------


class RoundCreate(BaseModel):
    document_id: int = Field(ge=1, le=MAX_ID)
    title: str = Field(min_length=1, max_length=ROUND_TITLE_MAX)
    instructions: str = Field(default="", max_length=5000)
    anonymous: bool = False
    deadline: datetime | None = None
    member_ids: list[int] | None = Field(default=None, max_length=5000)
    drafter_ids: list[int] = Field(default_factory=list, max_length=100)


class SectionSchema(BaseModel):
    position: int = Field(ge=0, le=100_000)
    parent_position: int | None = Field(default=None, ge=0, le=100_000)
    kind: SectionKind
    number: str = Field(default="", max_length=16)
    label: str = Field(default="", max_length=60)
    title: str = Field(default="", max_length=1000)
    text: str = Field(default="", max_length=SECTION_TEXT_MAX)
    page: int | None = Field(default=None, ge=1, le=100_000)


class RoundPublic(BaseModel):
    id: int
    meeting_id: int
    document_id: int
    version_id: int
    title: str
    instructions: str
    anonymous: bool
    deadline: datetime | None
    status: RoundStatus
    role: RoundRole | None  # the viewer's part: member, drafter, or none
    manages: bool
    sees_all: bool
    sections: list[SectionSchema] = []
    structure_error: str = ""


class CommentSchema(BaseModel):
    section_position: int | None = Field(default=None, ge=0, le=100_000)
    stance: Stance
    text: str = Field(default="", max_length=COMMENT_TEXT_MAX)
    proposed_text: str = Field(default="", max_length=COMMENT_TEXT_MAX)


class ResponseIn(BaseModel):
    comments: list[CommentSchema] = Field(default_factory=list, max_length=rounds.MAX_COMMENTS)
    submit: bool = False


class ResponsePublic(BaseModel):
    status: ResponseStatus | None
    revision: int
    submitted_revisions: int
    saved_at: datetime | None
    comments: list[CommentSchema]


class AnswerIn(BaseModel):
    verdict: AnswerVerdict
    text: str = Field(default="", max_length=COMMENT_TEXT_MAX)
    merged_into: int | None = Field(default=None, ge=1, le=MAX_ID)


class AnswerPublic(BaseModel):
    verdict: AnswerVerdict
    text: str
    merged_into: int | None
    answered_at: datetime


class CommentPublic(CommentSchema):
    id: int
    author: str | None
    answer: AnswerPublic | None


class SectionCountPublic(BaseModel):
    position: int | None
    label: str
    title: str
    agree: int
    disagree: int
    amend: int
    general: int


class MissingPublic(BaseModel):
    person_id: int
    name: str
    reminded_at: datetime | None


class OverviewPublic(BaseModel):
    invited: int
    answered: int
    missing: list[MissingPublic]
    sections: list[SectionCountPublic]


class RemindedPublic(BaseModel):
    people: int
    emailed: list[str] = []
    failed: list[str] = []
    without_email: list[str] = []


# -- describing -----------------------------------------------------------------------------


def describe(
    session: Session, round: CommentRound, viewer: Person, *, structure_error: str = ""
) -> RoundPublic:
    assert round.id is not None
    assert viewer.id is not None
    member = rounds.membership(session, round=round, person_id=viewer.id)
    sections = draft_structure.load_structure(session, round.version_id)
    return RoundPublic(
        id=round.id,
        meeting_id=round.meeting_id,
        document_id=round.document_id,
        version_id=round.version_id,
        title=round.title,
        instructions=round.instructions,
        anonymous=round.anonymous,
        deadline=round.deadline,
        status=round.status,
        role=member.role if member else None,
        manages=_manages(session, round, viewer),
        sees_all=rounds.sees_all(session, round=round, viewer=viewer),
        sections=[SectionSchema(**_fields(section)) for section in sections],
        structure_error=structure_error,
    )


def _fields(section: Section) -> dict[str, object]:
    return {
        "position": section.position,
        "parent_position": section.parent_position,
        "kind": section.kind,
        "number": section.number,
        "label": section.label,
        "title": section.title,
        "text": section.text,
        "page": section.page,
    }


def _manages(session: Session, round: CommentRound, viewer: Person) -> bool:
    try:
        rounds.require_manager(session, round=round, viewer=viewer)
    except NotRoundMemberError:
        return False
    return True


def _comment(comment: RoundComment) -> CommentSchema:
    return CommentSchema(
        section_position=comment.section_position,
        stance=comment.stance,
        text=comment.text,
        proposed_text=comment.proposed_text,
    )


def _answer(answer: RoundAnswer | None) -> AnswerPublic | None:
    if answer is None:
        return None
    return AnswerPublic(
        verdict=answer.verdict,
        text=answer.text,
        merged_into=answer.merged_into,
        answered_at=answer.answered_at,
    )


def propose_split(session: Session, state: AppState, round: CommentRound) -> str:
    """Split the draft's text into its articles and keep it; the reason when it cannot be."""
    version = session.get(DocumentVersion, round.version_id)
    assert version is not None
    try:
        sections = draft_structure.propose_structure(session, version, store=state.uploads.store)
    except draft_structure.DraftTextError as error:
        return error.detail
    draft_structure.save_structure(session, round.version_id, sections)
    return ""


def _require_preparing(round: CommentRound) -> None:
    if round.status != RoundStatus.draft:
        raise RoundStateError("The split can be changed only before the round opens")


# -- routes ---------------------------------------------------------------------------------


@router.post("/meetings/{meeting_id}/rounds", status_code=201)
def create_round(
    data: RoundCreate,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    state: StateDep,
) -> RoundPublic:
    """A round on one of the meeting's documents; its structure is proposed from its text
    (`structure_error` says why when it cannot be: then correct it by hand)."""
    document = session.get(Document, data.document_id)
    if document is None or document.meeting_id != meeting.id:
        raise MeetingNotFoundError("No such document in this meeting")
    fields = RoundFields(
        title=data.title,
        instructions=data.instructions,
        anonymous=data.anonymous,
        deadline=data.deadline,
        member_ids=data.member_ids,
        drafter_ids=data.drafter_ids,
    )
    created = rounds.create_round(
        session, meeting=meeting, document=document, fields=fields, by=person
    )
    error = ""
    if not draft_structure.load_structure(session, created.version_id):
        error = propose_split(session, state, created)
    session.commit()
    return describe(session, created, person, structure_error=error)


@router.get("/meetings/{meeting_id}/rounds")
def list_rounds(meeting: MeetingDep, session: SessionDep, person: CurrentUser) -> list[RoundPublic]:
    """The meeting's rounds; rounds in preparation only for those who run them."""
    found = session.exec(
        select(CommentRound)
        .where(CommentRound.meeting_id == meeting.id)
        .order_by(col(CommentRound.id))
    ).all()
    shown = [describe(session, round, person) for round in found]
    return [item for item in shown if item.status != RoundStatus.draft or item.manages]


@router.get("/rounds/{round_id}")
def get_round(round: RoundDep, session: SessionDep, person: CurrentUser) -> RoundPublic:
    return describe(session, round, person)


@router.post("/rounds/{round_id}/structure/propose")
def propose_structure(
    round: ManagedRoundDep, session: SessionDep, person: CurrentUser, state: StateDep
) -> RoundPublic:
    """Split the draft's text again (422 with the reason when it has none to split)."""
    _require_preparing(round)
    version = session.get(DocumentVersion, round.version_id)
    assert version is not None
    sections = draft_structure.propose_structure(session, version, store=state.uploads.store)
    draft_structure.save_structure(session, round.version_id, sections)
    session.commit()
    return describe(session, round, person)


@router.put("/rounds/{round_id}/structure")
def save_structure(
    sections: Annotated[list[SectionSchema], Field(max_length=5000)],
    round: ManagedRoundDep,
    session: SessionDep,
    person: CurrentUser,
) -> RoundPublic:
    _require_preparing(round)
    draft_structure.save_structure(
        session, round.version_id, [Section(**s.model_dump()) for s in sections]
    )
    session.commit()
    return describe(session, round, person)


@router.post("/rounds/{round_id}/open")
def open_round(round: ManagedRoundDep, session: SessionDep, person: CurrentUser) -> RoundPublic:
    rounds.open_round(session, round=round, by=person)
    session.commit()
    return describe(session, round, person)


@router.post("/rounds/{round_id}/close")
def close_round(round: ManagedRoundDep, session: SessionDep, person: CurrentUser) -> RoundPublic:
    rounds.close_round(session, round=round, by=person)
    session.commit()
    return describe(session, round, person)


def _mine(view: rounds.ResponseView) -> ResponsePublic:
    return ResponsePublic(
        status=view.status,
        revision=view.revision,
        submitted_revisions=view.submitted_revisions,
        saved_at=view.saved_at,
        comments=[_comment(comment) for comment in view.comments],
    )


@router.get("/rounds/{round_id}/mine")
def my_response(
    round: RoundDep, session: SessionDep, person: CurrentUser, state: StateDep
) -> ResponsePublic:
    view = rounds.my_response(session, round=round, person=person, secret=_secret(state))
    return _mine(view)


@router.put("/rounds/{round_id}/mine")
def save_response(
    data: ResponseIn, round: RoundDep, session: SessionDep, person: CurrentUser, state: StateDep
) -> ResponsePublic:
    """Save the comments as a draft, or submit them (again: an amendment, kept)."""
    comments = [
        CommentIn(c.section_position, c.stance, c.text, c.proposed_text) for c in data.comments
    ]
    view = rounds.save_response(
        session,
        round=round,
        person=person,
        comments=comments,
        submit=data.submit,
        secret=_secret(state),
    )
    session.commit()
    return _mine(view)


def _secret(state: AppState) -> bytes:
    return state.settings.resolved_secret_key.encode()


@router.get("/rounds/{round_id}/overview")
def overview(round: OverseenRoundDep, session: SessionDep) -> OverviewPublic:
    found = round_answers.overview(session, round)
    return OverviewPublic(
        invited=found.invited,
        answered=found.answered,
        missing=[MissingPublic(**vars(m)) for m in found.missing],
        sections=[SectionCountPublic(**vars(s)) for s in found.sections],
    )


@router.get("/rounds/{round_id}/comments")
def list_comments(round: OverseenRoundDep, session: SessionDep) -> list[CommentPublic]:
    return [
        CommentPublic(
            **_comment(view.comment).model_dump(),
            id=view.comment.id or 0,
            author=view.author,
            answer=_answer(view.answer),
        )
        for view in round_answers.comment_views(session, round)
    ]


@router.put("/rounds/{round_id}/comments/{comment_id}/answer")
def answer_comment(
    data: AnswerIn,
    round: OverseenRoundDep,
    comment_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    person: CurrentUser,
) -> AnswerPublic:
    answer = round_answers.answer_comment(
        session,
        round=round,
        comment_id=comment_id,
        verdict=data.verdict,
        text=data.text,
        merged_into=data.merged_into,
        by=person,
    )
    session.commit()
    answered = _answer(answer)
    assert answered is not None
    return answered


@router.post("/rounds/{round_id}/remind")
def remind(
    round: ManagedRoundDep, session: SessionDep, person: CurrentUser, state: StateDep
) -> RemindedPublic:
    """Remind now every member who has not answered (e-mail when it is set up)."""
    config = mail_config(state.settings)
    link = round_answers.LinkFor(state.settings.public_url)(round)
    done = round_answers.remind(session, round=round, by=person, config=config, link=link)
    mail = done.mail
    return RemindedPublic(
        people=len(done.people),
        emailed=mail.sent if mail else [],
        failed=[f.email for f in mail.failed] if mail else [],
        without_email=mail.without_email if mail else [],
    )


# -- the consolidated report ----------------------------------------------------------------


class ReportIn(BaseModel):
    final: bool = False


class ReportPublic(BaseModel):
    version: int
    final: bool
    sha256: str | None
    created_at: datetime


def _report(report: RoundReport) -> ReportPublic:
    return ReportPublic(
        version=report.version,
        final=report.final,
        sha256=report.sha256,
        created_at=report.created_at,
    )


@router.get("/rounds/{round_id}/reports")
def list_reports(round: OverseenRoundDep, session: SessionDep) -> list[ReportPublic]:
    return [_report(report) for report in opinion_reports.versions(session, round)]


@router.post("/rounds/{round_id}/reports", status_code=201)
def make_report(
    data: ReportIn, round: OverseenRoundDep, session: SessionDep, person: CurrentUser
) -> ReportPublic:
    """The report's next version as the comments and answers stand; `final` (once the round
    has closed) fixes it with its sha256."""
    report = opinion_reports.new_version(session, round=round, by=person, final=data.final)
    session.commit()
    return _report(report)


REPORT_TYPES = {
    "pdf": ("application/pdf", report_pdf),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        report_docx,
    ),
}


@router.get("/rounds/{round_id}/reports/{version}.{kind}")
def download_report(
    round: OverseenRoundDep,
    version: Annotated[int, Path(ge=1, le=100_000)],
    kind: Literal["pdf", "docx"],
    session: SessionDep,
) -> Response:
    found = next(
        (r for r in opinion_reports.versions(session, round) if r.version == version), None
    )
    if found is None:
        raise RoundNotFoundError("No such version of the report")
    media_type, render = REPORT_TYPES[kind]
    name = f"tong-hop-y-kien-{round.id}-v{version}.{kind}"
    return Response(
        render(ReportBody.from_json(found.body)),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
