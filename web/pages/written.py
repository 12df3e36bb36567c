"""A written consultation between meetings (lấy ý kiến bằng văn bản), as a page for the
secretariat and the chair: send the questions, follow the answers, close, sign the result off.

The rules live in voting.written; these routes parse the form, call it, and redirect
(POST-redirect-GET) or re-render the form with the reasons beside the fields."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from core.errors import HopError
from models import Meeting, MeetingKind, Person, PollStatus
from models.poll import MajorityRule
from voting import polls, written
from voting.written import Question
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep
from web.pages.forms import BAD_DATETIME, TOO_LONG, FieldErrors, hop_error_fields
from web.pages.forms import parse_local_datetime as local_time
from web.pages.render import FLASH, N_, redirect, render, render_error

router = APIRouter()
SLOTS = 10  # question inputs on the form: enough without JS; empty ones are ignored
TITLE_MAX = 300
RULES = (
    MajorityRule.absolute_members,
    MajorityRule.two_thirds_members,
    MajorityRule.absolute_cast,
    MajorityRule.simple,
)
NOT_WRITTEN = N_("This meeting is not a written consultation.")
NO_QUESTION = N_("Write at least one question.")
PAST_DEADLINE = N_("The deadline must be in the future.")
NO_MEMBERS = N_(
    "Nobody can answer: invite the members with a voting right first (the invitations editor)."
)
NOT_CONFIRMED = N_("Tick the box to confirm closing every question now.")

FLASH.update(
    {
        "written_sent": N_("The questions were sent: the members answer in their meeting room."),
        "written_closed": N_("Every question was closed and counted."),
        "written_signed": N_("The result was signed off: its document is ready."),
    }
)


async def form_data(request: Request) -> FormData:
    """The posted form (already read by the CSRF check)."""
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _context(session: Session, meeting: Meeting) -> dict[str, Any]:
    questions = written.questions_of(session, meeting)
    result = written.signed_off(session, meeting)
    body = result.body if result else written.result_body(session, meeting)
    return {
        "meeting": meeting,
        "sent": bool(questions),
        "deadline": max((p.deadline for p in questions if p.deadline), default=None),
        "rule": str(questions[0].majority_rule) if questions else "",
        "any_open": any(p.status == PollStatus.open for p in questions),
        "members": written.members(session, meeting),
        "owing": [person for _, person in written.unanswered(session, meeting)],
        "questions": body["questions"],
        "result": result,
        "rules": [str(rule) for rule in RULES],
        "slots": SLOTS,
        "no_members": NO_MEMBERS,
        "errors": {},
        "values": {},
    }


def _page(
    request: Request,
    session: Session,
    meeting: Meeting,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    if meeting.kind != MeetingKind.written:
        return render_error(request, status=409, detail=NOT_WRITTEN)
    context = {**_context(session, meeting), "errors": errors or {}, "values": values or {}}
    return render(request, "pages/written.html", context, status=status)


@router.get("/meetings/{meeting_id}/written", response_class=HTMLResponse)
def written_page(request: Request, meeting: ManagedMeetingDep, session: SessionDep) -> Response:
    return _page(request, session, meeting)


@router.get("/meetings/{meeting_id}/written/answers", response_class=HTMLResponse)
def answers(request: Request, meeting: ManagedMeetingDep, session: SessionDep) -> Response:
    """The answers so far and who still owes them, re-fetched by the live client."""
    if meeting.kind != MeetingKind.written:
        return render_error(request, status=409, detail=NOT_WRITTEN)
    return render(request, "fragments/written_answers.html", _context(session, meeting))


def _parse(form: FormData) -> tuple[list[Question], dict[str, Any], FieldErrors]:
    titles = [_text(form, f"question_{index}") for index in range(SLOTS)]
    values: dict[str, Any] = {
        "titles": titles,
        "deadline": _text(form, "deadline"),
        "majority_rule": _text(form, "majority_rule"),
    }
    errors: FieldErrors = {}
    asked = [title for title in titles if title]
    if not asked:
        errors["questions"] = NO_QUESTION
    elif any(len(title) > TITLE_MAX for title in asked):
        errors["questions"] = TOO_LONG
    if local_time(values["deadline"]) is None:
        errors["deadline"] = BAD_DATETIME
    if values["majority_rule"] not in {str(rule) for rule in RULES}:
        values["majority_rule"] = str(MajorityRule.absolute_members)
    return [Question(title) for title in asked], values, errors


@router.post("/meetings/{meeting_id}/written", response_class=HTMLResponse)
def send(
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    form: FormDep,
) -> Response:
    questions, values, errors = _parse(form)
    if meeting.kind == MeetingKind.written and not errors:
        errors = _send(session, meeting, person, questions, values)
        if not errors:
            return redirect(f"/meetings/{meeting.id}/written", "written_sent")
    return _page(request, session, meeting, errors=errors, values=values, status=422)


def _send(
    session: Session,
    meeting: Meeting,
    person: Person,
    questions: list[Question],
    values: dict[str, Any],
) -> FieldErrors:
    if not written.members(session, meeting):
        return {"members": NO_MEMBERS}
    deadline = local_time(values["deadline"])
    assert deadline is not None
    try:
        written.send(
            session,
            meeting=meeting,
            questions=questions,
            deadline=deadline,
            by=person,
            rule=MajorityRule(values["majority_rule"]),
        )
    except HopError as error:
        session.rollback()
        if error.field == "deadline":
            return {"deadline": PAST_DEADLINE}
        return hop_error_fields(error)
    return {}


@router.post("/meetings/{meeting_id}/written/close", response_class=HTMLResponse)
def close_early(
    request: Request, meeting: ManagedMeetingDep, session: SessionDep, form: FormDep
) -> Response:
    """Close every open question now, before the deadline (Kết thúc sớm)."""
    if meeting.kind == MeetingKind.written and _text(form, "confirm"):
        try:
            for poll in written.questions_of(session, meeting):
                if poll.status == PollStatus.open:
                    polls.close_poll(session=session, poll=poll)
        except HopError as error:
            session.rollback()
            return _page(request, session, meeting, errors=hop_error_fields(error), status=409)
        return redirect(f"/meetings/{meeting.id}/written", "written_closed", anchor="result")
    errors = {"confirm": NOT_CONFIRMED}
    return _page(request, session, meeting, errors=errors, status=422)


@router.post("/meetings/{meeting_id}/written/sign-off", response_class=HTMLResponse)
def sign_off(
    request: Request, meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    if meeting.kind != MeetingKind.written:
        return _page(request, session, meeting)
    try:
        written.sign_off(session, meeting=meeting, by=person)
    except HopError as error:
        session.rollback()
        return _page(request, session, meeting, errors=hop_error_fields(error), status=409)
    return redirect(f"/meetings/{meeting.id}/written", "written_signed", anchor="result")
