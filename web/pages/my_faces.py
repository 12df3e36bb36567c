"""A person's own face data: what is stored, since when, consent by whom, until when; and the
opt-out, which withdraws the consent and deletes every enrolled face at once (QR and desk
check-in still work)."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from checkin import biometrics, readiness, retention
from models import Person
from web import faces
from web.deps import CurrentUser, SessionDep, StateDep
from web.pages.render import N_, render
from web.state import AppState

router = APIRouter()

OPTED_OUT = N_(
    "Your consent was withdrawn and your face data deleted. You can still check in with your "
    "invitation's QR code or at the desk."
)


def _page(
    request: Request, session: Session, state: AppState, person: Person, **extra: Any
) -> HTMLResponse:
    assert person.id is not None
    report = biometrics.biometric_report(
        session=session, person_id=person.id, retention_days=state.settings.face_retention_days
    )
    context = {
        "report": report,
        "readiness": readiness.person_readiness(session=session, person_id=person.id),
        "capture_for": person.id,
        "notice": None,
        **extra,
    }
    return render(request, "pages/my_faces.html", context)


@router.get("/my/faces", response_class=HTMLResponse)
def my_faces(
    request: Request,
    session: SessionDep,
    state: StateDep,
    person: CurrentUser,
    captured: Annotated[int, Query(ge=0, le=10)] = 0,
) -> HTMLResponse:
    """The page; `captured`: how many pictures the guided capture just kept (enrol.js)."""
    return _page(request, session, state, person, captured=captured)


@router.post("/my/faces/withdraw", response_class=HTMLResponse)
def withdraw(
    request: Request, session: SessionDep, state: StateDep, person: CurrentUser
) -> HTMLResponse:
    assert person.id is not None
    retention.opt_out(session=session, person_id=person.id, cache=faces.services(state).cache)
    return _page(request, session, state, person, notice=OPTED_OUT)
