"""The drafting body's page of a comment round: every comment grouped by section, the answer to
each (tiếp thu, giải trình, không tiếp thu, gộp), and the consolidated report's versions.

The rules live in voting.round_answers and records.opinion_reports; these routes parse the
forms, call them, commit, and redirect, or re-render with the reason beside the comment."""

from dataclasses import dataclass
from itertools import groupby
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from meetings import draft_structure
from models import AnswerVerdict, CommentRound, Document, Meeting
from models.base import MAX_ID
from records import opinion_reports
from voting import round_answers, rounds
from voting.errors import InvalidCommentError, RoundStateError
from voting.round_answers import CommentView
from web.deps import CurrentUser, SessionDep
from web.pages.forms import TOO_LONG
from web.pages.render import FLASH, N_, redirect, render
from web.pages.rounds import FormDep

router = APIRouter()
# Reasons by comment id, or "report" for the report's forms.
Errors = dict[int | str, str]

FLASH.update(
    {
        "answer_saved": N_("The answer was saved."),
        "report_made": N_("A new version of the report was made."),
        "report_final": N_("The report was made final: its fingerprint is fixed."),
    }
)
# What a refused answer says, by the field the domain names.
WHY = {
    "text": N_("Say why: an explanation or a refusal needs the answer's text."),
    "merged_into": N_("Choose another comment of this round to merge with."),
    "comment_id": N_("This comment is not in this round (any more)."),
    "verdict": N_("Choose how the comment is answered."),
}
ALREADY_FINAL = N_("The report is already final: no version comes after it.")
NOT_CLOSED = N_("The report can be made final only once the round has closed.")
CONFIRM_FINAL = N_("Tick the box to confirm: the final version cannot be changed.")


def _overseen(
    round_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, person: CurrentUser
) -> CommentRound:
    """The secretariat, the chair and the drafting body; members get 403, outsiders 404."""
    round = rounds.get_round(session, round_id=round_id, viewer=person)
    rounds.require_sees_all(session, round=round, viewer=person)
    return round


OverseenRound = Annotated[CommentRound, Depends(_overseen)]


@dataclass(frozen=True)
class Item:
    """A comment as the page shows it: its number (the report's), where it sits, its view."""

    number: int
    path: str
    view: CommentView


def _items(session: Session, round: CommentRound) -> list[Item]:
    sections = draft_structure.load_structure(session, round.version_id)
    known = {s.position for s in sections}

    def path(position: int | None) -> str:
        if position is None or position not in known:
            return ""
        return draft_structure.section_path(sections, position)

    views = round_answers.comment_views(session, round)
    return [Item(n, path(view.comment.section_position), view) for n, view in enumerate(views, 1)]


def _groups(items: list[Item]) -> list[tuple[str, list[Item]]]:
    # comment_views come general comments first, then in the draft's order.
    def key(item: Item) -> int:
        return (
            -1 if item.view.comment.section_position is None else item.view.comment.section_position
        )

    return [(group[0].path, group) for _, found in groupby(items, key) if (group := list(found))]


def _page(
    request: Request,
    session: Session,
    round: CommentRound,
    *,
    errors: Errors | None = None,
    values: dict[int, dict[str, str]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    items = _items(session, round)
    unanswered = [item for item in items if item.view.answer is None]
    only_unanswered = request.query_params.get("show") == "unanswered"
    context: dict[str, Any] = {
        "round": round,
        "meeting": session.get(Meeting, round.meeting_id),
        "document": session.get(Document, round.document_id),
        "overview": round_answers.overview(session, round),
        "items": items,
        "groups": _groups(unanswered if only_unanswered else items),
        "unanswered": len(unanswered),
        "only_unanswered": only_unanswered,
        "numbers": {item.view.comment.id: item.number for item in items},
        "verdicts": list(AnswerVerdict),
        "reports": opinion_reports.versions(session, round),
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "pages/round_answers.html", context, status=status)


@router.get("/rounds/{round_id}/answers", response_class=HTMLResponse)
def answers_page(request: Request, round: OverseenRound, session: SessionDep) -> Response:
    return _page(request, session, round)


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _reason(error: InvalidCommentError) -> str:
    if error.detail.startswith("At most"):
        return TOO_LONG
    return WHY.get(error.field or "", WHY["verdict"])


@router.post("/rounds/{round_id}/answers/report", response_class=HTMLResponse)
def make_report(
    request: Request, round: OverseenRound, session: SessionDep, person: CurrentUser, form: FormDep
) -> Response:
    """The report's next version; `final` (confirmed, once the round has closed) fixes it."""
    final = _field(form, "final") == "on"
    problem: Errors = {}
    if final and _field(form, "confirm") != "on":
        problem = {"report": CONFIRM_FINAL}
    else:
        try:
            opinion_reports.new_version(session, round=round, by=person, final=final)
        except RoundStateError as error:
            problem = {"report": ALREADY_FINAL if "is final" in error.detail else NOT_CLOSED}
    if problem:
        session.rollback()
        status = 422 if problem["report"] == CONFIRM_FINAL else 409
        return _page(request, session, round, errors=problem, status=status)
    session.commit()
    return redirect(
        f"/rounds/{round.id}/answers", "report_final" if final else "report_made", anchor="report"
    )


def _refused(
    request: Request,
    session: Session,
    round: CommentRound,
    comment_id: int,
    reason: str,
    typed: dict[str, str],
) -> HTMLResponse:
    return _page(
        request, session, round, errors={comment_id: reason}, values={comment_id: typed}, status=422
    )


# Declared after the report's route: "report" is not a comment's number.
@router.post("/rounds/{round_id}/answers/{comment_id}", response_class=HTMLResponse)
def answer(
    request: Request,
    comment_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    round: OverseenRound,
    session: SessionDep,
    person: CurrentUser,
    form: FormDep,
) -> Response:
    """Answer one comment (again: the new answer replaces the old)."""
    verdict, merged = _field(form, "verdict"), _field(form, "merged_into")
    typed = {"verdict": verdict, "text": _field(form, "text"), "merged_into": merged}
    if verdict not in AnswerVerdict.__members__:
        return _refused(request, session, round, comment_id, WHY["verdict"], typed)
    try:
        round_answers.answer_comment(
            session,
            round=round,
            comment_id=comment_id,
            verdict=AnswerVerdict(verdict),
            text=_field(form, "text"),
            merged_into=int(merged) if merged.isdigit() and verdict == "merged" else None,
            by=person,
        )
    except InvalidCommentError as error:
        session.rollback()
        return _refused(request, session, round, comment_id, _reason(error), typed)
    session.commit()
    return redirect(f"/rounds/{round.id}/answers", "answer_saved", anchor=f"comment-{comment_id}")
