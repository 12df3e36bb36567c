"""Dependencies: the session, who is asking, CSRF, and meeting lookups written once."""

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from sqlmodel import Session

from meetings import access, people
from models import DeviceToken, Meeting, Person
from models.db import open_session
from web import audit_log
from web.auth import (
    CSRF_COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    SESSION_COOKIE,
    bearer_token,
    csrf_matches,
    device_for_token,
    person_for_session,
)
from web.i18n import LANG_COOKIE, LANGUAGES, pick_language
from web.state import AppState


def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.hop
    return state


StateDep = Annotated[AppState, Depends(get_state)]


def get_session(state: StateDep) -> Iterator[Session]:
    """A session per request; events it commits go to the hub."""
    with open_session(state.engine, publish=state.hub.publish_threadsafe) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_meeting_quorum(state: StateDep) -> tuple[int, int]:
    """The configured meeting quorum (HOP_MEETING_QUORUM), for polls that set none of their own."""
    return state.settings.meeting_quorum_fraction


MeetingQuorumDep = Annotated[tuple[int, int], Depends(get_meeting_quorum)]


def language_of(request: Request) -> str:
    """The language of the request: ?lang=, then the person's choice (their account, then the
    cookie), then the browser's if HOP_USE_BROWSER_LANGUAGE, then HOP_DEFAULT_LANGUAGE."""
    settings = get_state(request).settings
    person = getattr(request.state, "person", None)
    return pick_language(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
        settings.default_language,
        account=person.language if isinstance(person, Person) else None,
        use_browser=settings.use_browser_language,
    )


def get_gettext(request: Request) -> Callable[[str], str]:
    """Translations in the language of the request."""
    return get_state(request).translator.gettext(language_of(request))


GettextDep = Annotated[Callable[[str], str], Depends(get_gettext)]


class LoginRequiredError(HTTPException):
    def __init__(self) -> None:
        super().__init__(status_code=401, detail="Please log in")


def get_optional_person(request: Request, session: SessionDep) -> Person | None:
    person = person_for_session(session, request.cookies.get(SESSION_COOKIE))
    request.state.person = person  # pages show who is logged in
    # A page asked for in a language (the switcher) keeps the choice on the account; an API
    # answer or a download asked for with ?lang= is that one answer in that language.
    chosen = request.query_params.get("lang")
    is_page = not request.url.path.startswith("/api/")
    if person is not None and chosen in LANGUAGES and is_page:
        people.remember_language(session=session, person=person, language=chosen)
    audit_log.bind_request(session, request, person)
    return person


def get_current_person(person: Annotated[Person | None, Depends(get_optional_person)]) -> Person:
    if person is None:
        raise LoginRequiredError()
    return person


CurrentUser = Annotated[Person, Depends(get_current_person)]
OptionalUser = Annotated[Person | None, Depends(get_optional_person)]


def get_staff(person: CurrentUser) -> Person:
    access.require_staff(person)
    return person


StaffUser = Annotated[Person, Depends(get_staff)]


def get_device(request: Request, session: SessionDep) -> DeviceToken:
    token = bearer_token(request) or request.query_params.get("token")
    device = device_for_token(session, token)
    if device is None:
        raise HTTPException(status_code=401, detail="A valid device token is required")
    return device


CurrentDevice = Annotated[DeviceToken, Depends(get_device)]


async def csrf_protect(request: Request) -> None:
    """State-changing form posts, and API calls made with the session cookie, echo the token."""
    if request.method in SAFE_METHODS:
        return
    is_api = request.url.path.startswith("/api/")
    if is_api and SESSION_COOKIE not in request.cookies:
        return  # bearer tokens and anonymous calls carry no ambient authority
    given = request.headers.get(CSRF_HEADER)
    if given is None and _is_form(request):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not csrf_matches(request.cookies.get(CSRF_COOKIE), given):
        raise HTTPException(status_code=403, detail="Missing or wrong CSRF token; reload the page")


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def get_visible_meeting(
    meeting_id: Annotated[int, Path()], session: SessionDep, person: CurrentUser
) -> Meeting:
    return access.get_visible_meeting(session, meeting_id=meeting_id, viewer=person)


def get_managed_meeting(
    meeting_id: Annotated[int, Path()], session: SessionDep, person: CurrentUser
) -> Meeting:
    return access.get_managed_meeting(session, meeting_id=meeting_id, viewer=person)


MeetingDep = Annotated[Meeting, Depends(get_visible_meeting)]
ManagedMeetingDep = Annotated[Meeting, Depends(get_managed_meeting)]
