"""Written consultations between meetings (lấy ý kiến bằng văn bản).

    POST /api/meetings/{id}/written               send the questions (a meeting of kind written)
    GET  /api/meetings/{id}/written               questions, counts and verdicts, who still owes
    POST /api/meetings/{id}/written/sign-off      the chair or secretariat fixes the result
    GET  /api/meetings/{id}/written/result.pdf    the signed-off result document

Members answer each question as a poll's ballot (POST /api/polls/{id}/ballots or the room).
"""

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from meetings import access
from meetings.errors import MeetingNotFoundError
from models import Meeting, Person
from models.poll import MajorityRule
from records.minutes_draft import issuer_of
from records.written_result import written_result_pdf
from voting import written
from voting.written import Question
from web.deps import CurrentUser, ManagedMeetingDep, MeetingDep, SessionDep

router = APIRouter(tags=["written consultations"])


class QuestionIn(BaseModel):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=5000)


class WrittenSend(BaseModel):
    questions: list[QuestionIn] = Field(min_length=1, max_length=written.MAX_QUESTIONS)
    deadline: datetime
    majority_rule: MajorityRule = MajorityRule.absolute_members


class WrittenPublic(BaseModel):
    meeting_id: int
    status: str
    members: int
    owing: list[str]  # names of members who have not answered every open question
    questions: list[dict[str, Any]]
    poll_ids: list[int]
    signed_off: bool
    sha256: str | None


def _describe(session: Session, meeting: Meeting, manages: bool) -> WrittenPublic:
    assert meeting.id is not None
    written.require_written(meeting)
    body = written.result_body(session, meeting)
    result = written.signed_off(session, meeting)
    owing = [person.full_name for _, person in written.unanswered(session, meeting)]
    return WrittenPublic(
        meeting_id=meeting.id,
        status=str(meeting.status),
        members=body["members"],
        owing=owing if manages else [],
        # Others' opinions are the managers' to read until the result is signed off.
        questions=result.body["questions"] if result else _counts_only(body, manages),
        poll_ids=[poll.id or 0 for poll in written.questions_of(session, meeting)],
        signed_off=result is not None,
        sha256=result.sha256 if result else None,
    )


def _counts_only(body: dict[str, Any], manages: bool) -> list[dict[str, Any]]:
    if manages:
        return list(body["questions"])
    return [{**question, "opinions": []} for question in body["questions"]]


@router.post("/meetings/{meeting_id}/written", status_code=201)
def send_written(
    data: WrittenSend, meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> WrittenPublic:
    """Send the questions to every member with a voting right, until the deadline."""
    questions = [Question(q.title, q.description) for q in data.questions]
    written.send(
        session,
        meeting=meeting,
        questions=questions,
        deadline=data.deadline,
        by=person,
        rule=data.majority_rule,
    )
    return _describe(session, meeting, True)


@router.get("/meetings/{meeting_id}/written")
def get_written(meeting: MeetingDep, session: SessionDep, person: CurrentUser) -> WrittenPublic:
    manages = access.can_manage(session, meeting=meeting, viewer=person)
    return _describe(session, meeting, manages)


@router.post("/meetings/{meeting_id}/written/sign-off")
def sign_off(meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser) -> WrittenPublic:
    written.sign_off(session, meeting=meeting, by=person)
    return _describe(session, meeting, True)


@router.get("/meetings/{meeting_id}/written/result.pdf")
def result_pdf(meeting: MeetingDep, session: SessionDep) -> Response:
    result = written.signed_off(session, meeting)
    if result is None:
        raise MeetingNotFoundError("The result has not been signed off yet")
    signer = session.get(Person, result.signed_off_by) if result.signed_off_by else None
    content = written_result_pdf(
        result.body,
        issuer=issuer_of(session, meeting),
        sha256=result.sha256,
        signed_by=signer.full_name if signer else "",
        signed_at=result.signed_off_at,
    )
    name = f"ket-qua-lay-y-kien-{meeting.id}.pdf"
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
