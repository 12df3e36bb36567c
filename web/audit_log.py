"""The web layer's audit hooks: who acts from where, logins, and refused requests."""

import logging

from fastapi import Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from core import audit
from models import Person
from models.db import open_session
from web.auth import SESSION_COOKIE, client_address, person_for_session

log = logging.getLogger("hop.audit")


def bind_request(session: Session, request: Request, person: Person | None) -> None:
    """Entries written through this request's session name the person and their address."""
    audit.bind(session, actor=person, address=client_address(request))


def logged_in(session: Session, request: Request, person: Person) -> None:
    """Queue auth.login; it is written with the login session."""
    audit.audit(
        session,
        action="auth.login",
        actor=person,
        target_type="person",
        target_id=person.id,
        address=client_address(request),
    )


def login_failed(session: Session, request: Request, username: str) -> None:
    """Record a failed login: no actor, the username tried (never the password)."""
    audit.audit(
        session,
        action="auth.login_failed",
        actor="",
        detail={"username": username[:64]},
        address=client_address(request),
    )
    session.commit()


async def record_denied(request: Request, detail: str) -> None:
    """access.denied in a short transaction of its own (the request's is rolled back)."""
    try:
        await run_in_threadpool(_write_denied, request, detail)
    except Exception:  # the refusal must still reach the client
        log.exception("could not record a refused request in the audit trail")


def _write_denied(request: Request, detail: str) -> None:
    meeting_id = str(request.path_params.get("meeting_id", ""))
    with open_session(request.app.state.hop.engine) as session:
        # Who asked is read again here, in this session: the request's own session may be
        # closed and rolled back by now, its Person expired and detached (a race that once
        # lost the audit row to a DetachedInstanceError).
        person = person_for_session(session, request.cookies.get(SESSION_COOKIE))
        audit.audit(
            session,
            action="access.denied",
            actor=person if person is not None else "",
            target_type="request",
            meeting_id=int(meeting_id) if meeting_id.isdigit() else None,
            detail={"method": request.method, "path": request.url.path, "reason": detail[:200]},
            address=client_address(request),
        )
        session.commit()
