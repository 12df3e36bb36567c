"""Login, logout, the language switch and the start page."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from meetings import people
from meetings.access import is_staff
from models import Person
from web import audit_log, auth, ratelimit
from web.deps import OptionalUser, SessionDep, StateDep
from web.i18n import LANG_COOKIE, LANGUAGES, set_language_cookie
from web.pages.render import N_, render

router = APIRouter()

# web.ratelimit's other refusals, translated for API and websocket callers with this catalogue
# (the login refusal is in the page's template).
RATE_LIMITED = (
    N_("Too many frames from this kiosk. Send again in %(seconds)s seconds."),
    N_("Too many ballots in a short time. Send again in %(seconds)s seconds."),
)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never an open redirect to another host.
    return auth.safe_local_path(target)


@router.get("/", response_class=HTMLResponse)
def home(person: OptionalUser) -> Response:
    if person is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/meetings" if is_staff(person) else "/my", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:
    return render(request, "pages/login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: SessionDep,
    state: StateDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    address = auth.client_address(request)
    try:
        ratelimit.check_login(state, username=username, address=address)
    except ratelimit.RateLimitedError as error:
        return _locked_out(request, next, username, error)
    person = people.authenticate(session=session, username=username, password=password)
    if person is None:
        ratelimit.login_failed(state, username=username, address=address)
        audit_log.login_failed(session, request, username)
        context = {"next": _safe_next(next), "error": "bad_credentials", "username": username}
        return render(request, "pages/login.html", context, status=401)
    ratelimit.login_succeeded(state, username=username)
    _keep_language(request, session, person)
    auth.end_session(session, request.cookies.get(auth.SESSION_COOKIE))
    audit_log.logged_in(session, request, person)
    token = auth.start_session(session, person=person, hours=state.settings.session_hours)
    response = RedirectResponse(_safe_next(next), status_code=303)
    auth.set_session_cookie(response, request, token, hours=state.settings.session_hours)
    auth.set_csrf_cookie(response, request, auth.new_token())
    if person.language:  # this browser follows the person's choice from now on
        set_language_cookie(response, request, person.language)
    return response


def _keep_language(request: Request, session: Session, person: Person) -> None:
    # A language chosen on the login page (the cookie) becomes the account's, if it has none.
    chosen = request.cookies.get(LANG_COOKIE)
    if person.language is None and chosen is not None and chosen in LANGUAGES:
        people.remember_language(session=session, person=person, language=chosen)


def _locked_out(
    request: Request, next: str, username: str, error: ratelimit.RateLimitedError
) -> Response:
    context = {
        "next": _safe_next(next),
        "error": "rate_limited",
        "retry_after": error.retry_after,
        "username": username,
    }
    response = render(request, "pages/login.html", context, status=429)
    response.headers.update(error.headers)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    auth.end_session(session, request.cookies.get(auth.SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE, path="/")
    response.headers["clear-site-data"] = auth.CLEAR_SITE_DATA
    return response
