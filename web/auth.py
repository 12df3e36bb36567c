"""Login sessions (cookie), CSRF tokens (double submit) and device bearer tokens."""

import hashlib
import hmac
import secrets
from datetime import timedelta
from urllib.parse import quote, urlsplit

from fastapi import HTTPException, Request, Response
from sqlalchemy import and_
from sqlmodel import Session, col, delete, select

from core.errors import InvalidInputError
from models import (
    DeviceKind,
    DeviceToken,
    DeviceTokenCreate,
    Invitation,
    LoginSession,
    Meeting,
    Person,
)
from models.base import as_utc, utcnow

SESSION_COOKIE = "hop_session"
# What a logout makes the browser forget: its HTTP cache, and the storage where the service
# worker kept documents to read offline and notes waited to be sent (web/static/sw.js), so the
# next person on the tablet does not find this one's papers or notes.
CLEAR_SITE_DATA = '"cache", "storage"'
CSRF_COOKIE = "hop_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SEEN_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def start_session(session: Session, *, person: Person, hours: int) -> str:
    """A new login session; the raw token goes in the cookie, only its hash in the database."""
    assert person.id is not None
    token = new_token()
    session.add(
        LoginSession(
            token_hash=token_hash(token),
            person_id=person.id,
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    session.exec(delete(LoginSession).where(col(LoginSession.expires_at) < utcnow()))
    session.commit()
    return token


def end_session(session: Session, token: str | None) -> None:
    """Forget a login session."""
    if token:
        session.exec(delete(LoginSession).where(col(LoginSession.token_hash) == token_hash(token)))
        session.commit()


def person_for_session(session: Session, token: str | None) -> Person | None:
    """The active person behind a session cookie, if the session is still valid."""
    if not token:
        return None
    login = session.get(LoginSession, token_hash(token))
    if login is None:
        return None
    return _live(login, session.get(Person, login.person_id))


def sessions_in_meeting(
    session: Session, tokens: list[str], meeting_id: int
) -> dict[str, tuple[Meeting, Person, Invitation | None]]:
    """For each session cookie that is valid and whose person is active: the meeting, the
    person and their invitation to it, all in one query (a storm of reconnecting tablets pays
    for every round trip: web.realtime.openings). None of them when the meeting is missing."""
    by_hash = {token_hash(token): token for token in tokens if token}
    if not by_hash:
        return {}
    query = (
        select(Meeting, LoginSession, Person, Invitation)
        .select_from(Meeting)
        .join(LoginSession, col(LoginSession.token_hash).in_(by_hash))
        .join(Person, col(Person.id) == LoginSession.person_id)
        .outerjoin(
            Invitation,
            and_(col(Invitation.meeting_id) == Meeting.id, col(Invitation.person_id) == Person.id),
        )
        .where(Meeting.id == meeting_id)
    )
    found: dict[str, tuple[Meeting, Person, Invitation | None]] = {}
    for meeting, login, person, invitation in session.exec(query):
        live = _live(login, person)
        if live is not None:
            found[by_hash[login.token_hash]] = (meeting, live, invitation)
    return found


def _live(login: LoginSession, person: Person | None) -> Person | None:
    """The session's person while the session lasts and the person is active."""
    if as_utc(login.expires_at) < utcnow():
        return None
    return person if person is not None and person.active else None


def issue_device_token(
    session: Session, *, data: DeviceTokenCreate, issuer: Person
) -> tuple[DeviceToken, str]:
    """A new device token; the raw token is shown once."""
    if data.meeting_id is not None and session.get(Meeting, data.meeting_id) is None:
        raise InvalidInputError(f"Unknown meeting {data.meeting_id}", field="meeting_id")
    token = "hopd_" + new_token()
    device = DeviceToken.model_validate(
        data, update={"token_hash": token_hash(token), "created_by": issuer.id}
    )
    session.add(device)
    session.commit()
    return device, token


def device_for_token(session: Session, token: str | None) -> DeviceToken | None:
    """The unrevoked device behind a bearer token."""
    if not token:
        return None
    device = session.exec(
        select(DeviceToken).where(DeviceToken.token_hash == token_hash(token))
    ).first()
    if device is None or device.revoked_at is not None:
        return None
    _seen(session, device)
    return device


def _seen(session: Session, device: DeviceToken) -> None:
    # At most one write a minute per device: a reconnect storm or polling stays read-only.
    now = utcnow()
    if device.last_seen_at is not None and now - as_utc(device.last_seen_at) < SEEN_EVERY:
        return
    device.last_seen_at = now
    session.add(device)
    session.commit()


class DeviceRefusedError(Exception):
    """A device token that does not open a meeting: `token` when there is no unrevoked token
    (of the kind asked for), else the meeting is unknown or the device is bound to another."""

    def __init__(self, meeting_id: int, *, token: bool) -> None:
        super().__init__(f"Meeting {meeting_id} not found")
        self.token = token


def device_for_meeting(
    session: Session, token: str | None, meeting_id: int, kind: DeviceKind | None = None
) -> DeviceToken:
    """The unrevoked device (of `kind`, when given) that may open this meeting: one bound to
    it, or to no meeting at all; DeviceRefusedError says why not."""
    device = device_for_token(session, token)
    if device is None or (kind is not None and device.kind != kind):
        raise DeviceRefusedError(meeting_id, token=True)
    if session.get(Meeting, meeting_id) is None or device.meeting_id not in (None, meeting_id):
        raise DeviceRefusedError(meeting_id, token=False)
    return device


def require_device_for_meeting(
    session: Session,
    token: str | None,
    meeting_id: int,
    *,
    kind: DeviceKind | None = None,
    status_code: int = 401,
    detail: str = "A valid device token is required",
) -> DeviceToken:
    """device_for_meeting for HTTP: `status_code` without a valid token, 404 for a meeting the
    device may not open (so that a token never tells which meetings exist). A 401 (with
    `detail`) is the API's; any other status is a screen's page: screen_refused."""
    try:
        return device_for_meeting(session, token, meeting_id, kind)
    except DeviceRefusedError as refused:
        if refused.token and status_code != 401:
            raise screen_refused(status_code) from None
        if refused.token:
            raise HTTPException(status_code=status_code, detail=detail) from None
        raise HTTPException(status_code=404, detail=str(refused)) from None


def screen_refused(status_code: int = 403) -> HTTPException:
    """What a hall screen's page (projector, kiosk) says when its token is unknown, of the
    wrong kind or revoked: what to do, since a screen cannot log in (never the login form)."""
    return HTTPException(
        status_code=status_code,
        detail="The link of this screen is not valid or was revoked. "
        "Ask the secretariat to pair the screen again from the Devices page.",
    )


def client_address(request: Request) -> str:
    """The peer's address as the server sees it (a proxy's, behind one)."""
    return request.client.host if request.client else ""


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def set_session_cookie(response: Response, request: Request, token: str, *, hours: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=hours * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def set_csrf_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


def safe_local_path(target: str | None) -> str:
    """`target` when it is a path on this site, else "/": never an open redirect elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    # Browsers read "/\\host" as "//host"; control characters have no place in a path.
    if "\\" in target or any(ord(char) < 32 or ord(char) == 127 for char in target):
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def return_path(request: Request) -> str:
    """The page to come back to after logging in: this one, or for a form post the page the
    form was on (its Referer, on this site), since a form's action may answer POST only."""
    if request.method in ("GET", "HEAD"):
        path, query = request.url.path, request.url.query
    else:
        referer = urlsplit(request.headers.get("referer", ""))
        if referer.netloc != request.url.netloc:
            return "/"
        path, query = referer.path, referer.query
    return safe_local_path(f"{path}?{query}" if query else path)


def login_url(request: Request) -> str:
    """The login page, coming back to `return_path` afterwards."""
    return f"/login?next={quote(return_path(request), safe='/')}"
