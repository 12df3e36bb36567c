"""Comment rounds on drafts, as pages: the secretariat's list, form and overview (with the split
editor while the round is prepared), the member's article-by-article form, and the room's list.

The rules live in voting.rounds and voting.round_answers; these routes parse the forms, call
them, commit, and redirect (POST-redirect-GET) or re-render the form with the reasons."""

from dataclasses import dataclass
from datetime import UTC
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select
from starlette.datastructures import FormData

from core.errors import HopError
from meetings import documents as docs
from meetings import draft_structure
from meetings.draft_structure import Section
from models import (
    CommentRound,
    Document,
    Meeting,
    Person,
    RoundMember,
    RoundRole,
    RoundStatus,
    SectionKind,
    Stance,
)
from models.base import utcnow
from models.draft import COMMENT_TEXT_MAX, ROUND_TITLE_MAX
from voting import round_answers, rounds
from voting.errors import RoundStateError
from voting.rounds import CommentIn, RoundFields
from web.api import rounds as round_api
from web.deps import CurrentUser, ManagedMeetingDep, MeetingDep, SessionDep, StateDep
from web.mail import mail_config
from web.pages.error_words import Detail
from web.pages.forms import (
    BAD_DATETIME,
    INVALID,
    REQUIRED,
    TOO_LONG,
    FieldErrors,
    hop_error_fields,
)
from web.pages.forms import parse_local_datetime as local_time
from web.pages.render import FLASH, N_, redirect, render

router = APIRouter()
Step = Literal["open", "close"]
STANCES = (Stance.agree, Stance.disagree, Stance.amend)
NO_DOCUMENT = N_("Choose a document of this meeting.")

FLASH.update(
    {
        "round_created": N_("The comment round was prepared: check the split, then open it."),
        "round_opened": N_("The comment round is open: the members can comment."),
        "round_closed": N_("The comment round is closed."),
        "round_saved": N_("Your comments were saved as a draft."),
        "round_submitted": N_("Your comments were sent."),
        "round_split": N_("The split of the draft was saved."),
    }
)


async def form_data(request: Request) -> FormData:
    """The posted form (already read by the CSRF check), with repeated and numbered fields."""
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# -- the meeting's rounds -------------------------------------------------------------------


def _drafters(session: Session) -> list[Person]:
    query = select(Person).where(col(Person.active)).order_by(col(Person.full_name))
    return list(session.exec(query))


def _rounds_of(session: Session, meeting: Meeting) -> list[tuple[CommentRound, Any]]:
    found = session.exec(
        select(CommentRound)
        .where(CommentRound.meeting_id == meeting.id)
        .order_by(col(CommentRound.id))
    ).all()
    return [(round, round_answers.overview(session, round)) for round in found]


def _list_page(
    request: Request,
    session: SessionDep,
    meeting: Meeting,
    viewer: Person,
    *,
    errors: FieldErrors | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "meeting": meeting,
        "rounds": _rounds_of(session, meeting),
        "documents": docs.list_documents(session=session, meeting=meeting, viewer=viewer),
        "people": _drafters(session),
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "pages/rounds.html", context, status=status)


@router.get("/meetings/{meeting_id}/rounds", response_class=HTMLResponse)
def list_rounds(
    request: Request, meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    return _list_page(request, session, meeting, person)


@dataclass(frozen=True)
class RoundForm:
    """The create form, checked: the document and the fields for voting.rounds."""

    document: Document
    fields: RoundFields


def _round_form(session: Session, meeting: Meeting, form: FormData) -> RoundForm | FieldErrors:
    errors: FieldErrors = {}
    document_id = _text(form, "document_id")
    document = session.get(Document, int(document_id)) if document_id.isdigit() else None
    if document is None or document.meeting_id != meeting.id:
        errors["document_id"] = NO_DOCUMENT
    title = _text(form, "title")
    if not title:
        errors["title"] = REQUIRED
    elif len(title) > ROUND_TITLE_MAX:
        errors["title"] = TOO_LONG
    if len(_text(form, "instructions")) > 5000:
        errors["instructions"] = TOO_LONG
    deadline = local_time(_text(form, "deadline")) if _text(form, "deadline") else None
    if _text(form, "deadline") and deadline is None:
        errors["deadline"] = BAD_DATETIME
    drafters = [int(v) for v in form.getlist("drafter_ids") if isinstance(v, str) and v.isdigit()]
    if errors or document is None:
        return errors
    fields = RoundFields(
        title=title,
        instructions=_text(form, "instructions"),
        anonymous=_text(form, "anonymous") == "on",
        # Kept in UTC: SQLite drops the offset of a stored time.
        deadline=deadline.astimezone(UTC) if deadline else None,
        drafter_ids=drafters,
    )
    return RoundForm(document, fields)


def _beside_fields(errors: FieldErrors) -> FieldErrors:
    # A refusal about a field the form lacks (the members) is said above the form.
    known = {"document_id", "title", "instructions", "deadline", "drafter_ids"}
    return {(name if name in known else "form"): text for name, text in errors.items()}


def _values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["drafter_ids"] = [v for v in form.getlist("drafter_ids") if isinstance(v, str)]
    return values


@router.post("/meetings/{meeting_id}/rounds", response_class=HTMLResponse)
def create_round(
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    state: StateDep,
    form: FormDep,
) -> Response:
    """Prepare a round; its split is proposed from the text as the API does (one rule)."""
    checked = _round_form(session, meeting, form)
    if isinstance(checked, RoundForm):
        try:
            created = rounds.create_round(
                session,
                meeting=meeting,
                document=checked.document,
                fields=checked.fields,
                by=person,
            )
        except HopError as error:
            checked = _beside_fields(hop_error_fields(error))
        else:
            session.flush()
            problem = round_api.propose_split(session, state, created)
            session.commit()
            query = "?split=failed" if problem else ""
            return redirect(f"/rounds/{created.id}/overview{query}", "round_created")
    session.rollback()
    return _list_page(
        request, session, meeting, person, errors=checked, values=_values(form), status=422
    )


# -- the overview ---------------------------------------------------------------------------


def _managed(round_id: int, session: SessionDep, person: CurrentUser) -> CommentRound:
    round = rounds.get_round(session, round_id=round_id, viewer=person)
    rounds.require_manager(session, round=round, viewer=person)
    return round


ManagedRound = Annotated[CommentRound, Depends(_managed)]


def _overview_context(session: Session, round: CommentRound) -> dict[str, Any]:
    return {
        "round": round,
        "meeting": session.get(Meeting, round.meeting_id),
        "document": session.get(Document, round.document_id),
        "overview": round_answers.overview(session, round),
    }


def _overview_page(
    request: Request,
    session: Session,
    round: CommentRound,
    *,
    errors: FieldErrors | None = None,
    status: int = 200,
) -> HTMLResponse:
    reminded = {k: request.query_params.get(k, "") for k in ("reminded", "emailed", "without")}
    context = {
        **_overview_context(session, round),
        "sections": draft_structure.load_structure(session, round.version_id),
        "kinds": list(SectionKind),
        "split_failed": request.query_params.get("split") == "failed",
        "reminded": reminded if reminded["reminded"].isdigit() else None,
        "errors": errors or {},
    }
    return render(request, "pages/round_overview.html", context, status=status)


@router.get("/rounds/{round_id}/overview", response_class=HTMLResponse)
def overview(request: Request, round: ManagedRound, session: SessionDep) -> Response:
    return _overview_page(request, session, round)


@router.get("/rounds/{round_id}/overview/live", response_class=HTMLResponse)
def overview_live(request: Request, round: ManagedRound, session: SessionDep) -> Response:
    """The counts, re-fetched by the live client as members answer."""
    return render(request, "fragments/round_overview_live.html", _overview_context(session, round))


@router.post("/rounds/{round_id}/status/{step}", response_class=HTMLResponse)
def change_state(
    request: Request, step: Step, round: ManagedRound, session: SessionDep, person: CurrentUser
) -> Response:
    try:
        if step == "open":
            rounds.open_round(session, round=round, by=person)
        else:
            rounds.close_round(session, round=round, by=person)
    except HopError as error:
        session.rollback()
        return _overview_page(
            request,
            session,
            round,
            errors={"state": hop_error_fields(error).popitem()[1]},
            status=error.status_code,
        )
    session.commit()
    return redirect(
        f"/rounds/{round.id}/overview", "round_opened" if step == "open" else "round_closed"
    )


@router.post("/rounds/{round_id}/remind", response_class=HTMLResponse)
def remind(
    round: ManagedRound, session: SessionDep, person: CurrentUser, state: StateDep
) -> Response:
    """Remind now whoever has not answered; the page says how many, by e-mail or not."""
    if round.status != RoundStatus.open:
        raise RoundStateError("Only an open round's members can be reminded")
    link = round_answers.LinkFor(state.settings.public_url)(round)
    config = mail_config(state.settings)
    done = round_answers.remind(session, round=round, by=person, config=config, link=link)
    session.commit()
    mail = done.mail
    emailed = len(mail.sent) if mail else 0
    without = len(mail.without_email) if mail else len(done.people)
    query = f"?reminded={len(done.people)}&emailed={emailed}&without={without}"
    return redirect(f"/rounds/{round.id}/overview{query}", anchor="remind")


# -- the split editor (before the round opens) -----------------------------------------------


def _corrected(form: FormData, sections: list[Section]) -> list[Section]:
    kept: list[Section] = []
    for section in sections:
        p = section.position
        if _text(form, f"remove-{p}") == "on":
            continue
        kind = _text(form, f"kind-{p}")
        kept.append(
            Section(
                position=p,
                parent_position=None,
                kind=SectionKind(kind) if kind in SectionKind.__members__ else section.kind,
                number=section.number,
                label=_text(form, f"label-{p}")[:60],
                title=_text(form, f"title-{p}")[:1000],
                text=section.text,
                page=section.page,
            )
        )
    return draft_structure.reparent(kept)


@router.post("/rounds/{round_id}/split", response_class=HTMLResponse)
def save_split(
    request: Request,
    round: ManagedRound,
    session: SessionDep,
    state: StateDep,
    form: FormDep,
) -> Response:
    """Save the corrected split, or split again from the text; refusals beside the table."""
    if round.status != RoundStatus.draft:
        raise RoundStateError("The split can be changed only before the round opens")
    problem: FieldErrors = {}
    if _text(form, "again") == "on":
        reason = round_api.propose_split(session, state, round)
        problem = {"split": Detail(reason, INVALID)} if reason else {}
    else:
        sections = draft_structure.load_structure(session, round.version_id)
        try:
            draft_structure.save_structure(session, round.version_id, _corrected(form, sections))
        except HopError as error:
            problem = {"split": hop_error_fields(error).popitem()[1]}
    if problem:
        session.rollback()
        return _overview_page(request, session, round, errors=problem, status=422)
    session.commit()
    return redirect(f"/rounds/{round.id}/overview", "round_split", anchor="split")


# -- the member's page ----------------------------------------------------------------------


def _member_context(
    session: Session, round: CommentRound, person: Person, secret: bytes
) -> dict[str, Any]:
    mine = rounds.my_response(session, round=round, person=person, secret=secret)
    sections = draft_structure.load_structure(session, round.version_id)
    depth = {s.position: _depth(sections, s) for s in sections}
    return {
        "round": round,
        "meeting": session.get(Meeting, round.meeting_id),
        "sections": sections,
        "depth": depth,
        "mine": mine,
        "given": {c.section_position: c for c in mine.comments},
        "accepting": rounds.is_accepting(round, utcnow()),
        "stances": STANCES,
    }


def _depth(sections: list[Section], section: Section) -> int:
    by_position = {s.position: s for s in sections}
    depth, parent = 0, section.parent_position
    while parent is not None and parent in by_position and depth < 5:
        depth, parent = depth + 1, by_position[parent].parent_position
    return depth


@router.get("/rounds/{round_id}", response_class=HTMLResponse)
def member_page(
    request: Request, round_id: int, session: SessionDep, person: CurrentUser, state: StateDep
) -> Response:
    round = rounds.get_round(session, round_id=round_id, viewer=person)
    assert person.id is not None
    member = rounds.membership(session, round=round, person_id=person.id)
    if member is None or member.role != RoundRole.member:
        if rounds.sees_all(session, round=round, viewer=person):
            return render(request, "pages/round.html", {"round": round, "pointer": True})
        rounds.require_sees_all(session, round=round, viewer=person)
    secret = state.settings.resolved_secret_key.encode()
    context = {**_member_context(session, round, person, secret), "values": None, "errors": {}}
    return render(request, "pages/round.html", context)


def _comments(form: FormData, sections: list[Section]) -> list[CommentIn]:
    found: list[CommentIn] = []
    general = _text(form, "general")
    if general:
        found.append(CommentIn(None, Stance.general, general[: COMMENT_TEXT_MAX + 1]))
    for section in sections:
        p = section.position
        stance = _text(form, f"stance-{p}")
        if stance not in {s.value for s in STANCES}:
            continue  # no stance: nothing is sent for this section
        proposed = _text(form, f"proposed-{p}") if stance == Stance.amend else ""
        found.append(CommentIn(p, Stance(stance), _text(form, f"text-{p}"), proposed))
    return found


@router.post("/rounds/{round_id}", response_class=HTMLResponse)
def save_comments(
    request: Request,
    round_id: int,
    session: SessionDep,
    person: CurrentUser,
    state: StateDep,
    form: FormDep,
) -> Response:
    """Save the comments as a draft or send them (again: an amendment)."""
    round = rounds.get_round(session, round_id=round_id, viewer=person)
    secret = state.settings.resolved_secret_key.encode()
    sections = draft_structure.load_structure(session, round.version_id)
    submit = _text(form, "action") == "submit"
    try:
        rounds.save_response(
            session,
            round=round,
            person=person,
            comments=_comments(form, sections),
            submit=submit,
            secret=secret,
        )
    except HopError as error:
        session.rollback()
        errors = {"form": hop_error_fields(error).popitem()[1]}
        context = {**_member_context(session, round, person, secret), "errors": errors}
        context["values"] = {k: v for k, v in form.items() if isinstance(v, str)}
        return render(request, "pages/round.html", context, status=error.status_code)
    session.commit()
    msg = "round_submitted" if submit else "round_saved"
    return redirect(f"/rounds/{round.id}", msg, anchor="comments")


# -- the room's list ------------------------------------------------------------------------


def room_rounds(session: Session, meeting: Meeting, person: Person) -> list[Any]:
    """The meeting's open and closed rounds the person comments in, with their part."""
    rows = session.exec(
        select(CommentRound, RoundMember)
        .join(RoundMember, col(RoundMember.round_id) == col(CommentRound.id))
        .where(
            CommentRound.meeting_id == meeting.id,
            RoundMember.person_id == person.id,
            RoundMember.role == RoundRole.member,
            CommentRound.status != RoundStatus.draft,
        )
        .order_by(col(CommentRound.id))
    ).all()
    return list(rows)


@router.get("/room/{meeting_id}/rounds", response_class=HTMLResponse)
def room_fragment(
    request: Request, meeting: MeetingDep, session: SessionDep, person: CurrentUser
) -> Response:
    """The room's "comments on drafts" list, re-fetched when a round opens, closes or reminds."""
    context = {"meeting": meeting, "rounds": room_rounds(session, meeting, person)}
    return render(request, "fragments/room_rounds.html", context)
