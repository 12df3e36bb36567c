"""The minutes page (secretariat or the meeting's chair): draft from the meeting, edit the
sections, finalise with a confirmation, correct a final version; versions and downloads."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from models import Meeting, MinutesUpdate, SectionEdit
from records import minutes as service
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep
from web.pages.render import N_, render
from web.pages.signatures import minutes_signing

router = APIRouter()

# After a form post, the page says what happened (keys of the redirect's ?done=).
DONE = {
    "drafted": N_("The minutes were drafted from the meeting."),
    "saved": N_("The draft of the minutes was saved."),
    "finalised": N_("The minutes are final and locked."),
    "corrected": N_("A new version was started as a correction; edit it and finalise it."),
}
INVALID_EDIT = N_("The minutes were not saved: a field is too long or missing.")


class MinutesForm(BaseModel):
    issuer: str = ""
    place_date: str = ""
    title: str = ""
    subject: str = ""
    chair_name: str = ""
    secretary_name: str = ""
    key: list[str] = []
    text: list[str] = []


def _page(meeting: Meeting) -> str:
    return f"/meetings/{meeting.id}/minutes"


def _done(meeting: Meeting, what: str) -> Response:
    return RedirectResponse(f"{_page(meeting)}?done={what}", status_code=303)


def render_minutes(
    request: Request,
    session: SessionDep,
    meeting: Meeting,
    *,
    error: str | None = None,
    posted: dict[str, Any] | None = None,
    status: int = 200,
) -> HTMLResponse:
    current = service.latest_minutes(session=session, meeting=meeting)
    body = service.body_of(current) if current else None
    context = {
        "meeting": meeting,
        "minutes": current,
        "body": posted or (body.model_dump() if body else None),
        "versions": service.describe_versions(session=session, meeting=meeting),
        "intact": bool(current and current.sha256 and service.is_intact(current)),
        "signing": minutes_signing(session, current),
        "notice": DONE.get(request.query_params.get("done") or ""),
        "error": error,
    }
    return render(request, "pages/minutes.html", context, status=status)


@router.get("/meetings/{meeting_id}/minutes", response_class=HTMLResponse)
def minutes_page(request: Request, meeting: ManagedMeetingDep, session: SessionDep) -> Response:
    return render_minutes(request, session, meeting)


@router.post("/meetings/{meeting_id}/minutes/draft")
def draft(
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    replace: Annotated[bool, Form()] = False,
) -> Response:
    service.draft_minutes(session=session, meeting=meeting, author=person, replace=replace)
    return _done(meeting, "drafted")


@router.post("/meetings/{meeting_id}/minutes/save", response_class=HTMLResponse)
def save(
    request: Request,
    meeting: ManagedMeetingDep,
    session: SessionDep,
    form: Annotated[MinutesForm, Form()],
) -> Response:
    try:
        data = _update(form)
    except ValidationError:
        posted = _posted(form, _titles(session, meeting))
        return render_minutes(
            request, session, meeting, error=INVALID_EDIT, posted=posted, status=422
        )
    service.update_minutes(session=session, meeting=meeting, data=data)
    return _done(meeting, "saved")


def _update(form: MinutesForm) -> MinutesUpdate:
    if len(form.key) != len(form.text):
        raise service.UnknownSectionError("The form's sections do not match", field="sections")
    sections = [SectionEdit(key=k, text=t) for k, t in zip(form.key, form.text, strict=True)]
    header = form.model_dump(exclude={"key", "text"})
    return MinutesUpdate.model_validate({**header, "sections": sections})


def _posted(form: MinutesForm, titles: dict[str, str]) -> dict[str, Any]:
    """The form as typed, to show again beside the error, with the stored headings."""
    sections = [
        {"key": k, "title": titles.get(k, ""), "text": t}
        for k, t in zip(form.key, form.text, strict=True)
    ]
    return {**form.model_dump(exclude={"key", "text"}), "sections": sections}


def _titles(session: SessionDep, meeting: Meeting) -> dict[str, str]:
    current = service.latest_minutes(session=session, meeting=meeting)
    sections = service.body_of(current).sections if current else []
    return {section.key: section.title for section in sections}


@router.post("/meetings/{meeting_id}/minutes/finalise")
def finalise(meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser) -> Response:
    service.finalise_minutes(session=session, meeting=meeting, person=person)
    return _done(meeting, "finalised")


@router.post("/meetings/{meeting_id}/minutes/correct")
def correct(meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser) -> Response:
    service.correct_minutes(session=session, meeting=meeting, author=person)
    return _done(meeting, "corrected")
