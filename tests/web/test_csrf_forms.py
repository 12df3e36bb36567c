"""Every state-changing route, found in app.routes (so a new form is covered the day it is
added), refuses a logged-in write without the CSRF token, and with a forged one."""

import re

import pytest
from fastapi import FastAPI, routing
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel, func, select

from models import Event, Person, Role
from tests.factories import login, make_meeting, make_user
from web.settings import Settings

SAFE = {"GET", "HEAD", "OPTIONS"}
# Routes that may change state without the token, and why. Keep this empty unless a route
# authenticates by something a cross-site form cannot send (a bearer token, a signed link).
EXEMPT: dict[tuple[str, str], str] = {}
PARAM = re.compile(r"{[^}]+}")


def write_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every HTTP route that is not a safe method."""
    found = set()
    for context in routing.iter_route_contexts(app.routes):
        if not isinstance(context.original_route, routing.APIRoute) or not context.path:
            continue
        for method in (context.methods or set()) - SAFE:
            found.add((method, context.path))
    return sorted(found)


def _routes() -> list[tuple[str, str]]:
    from web.app import create_app

    app = create_app(Settings(secret_key="x" * 40, _env_file=None))  # type: ignore[call-arg]
    return write_routes(app)


ROUTES = _routes()


@pytest.fixture
def clerk_client(client: TestClient, session: Session) -> TestClient:
    """Logged in as the secretariat, with a meeting to aim at, and no CSRF header."""
    clerk = make_user(session, role=Role.secretariat)
    make_meeting(session, creator=clerk)
    login(client, clerk)
    del client.headers["x-csrf-token"]
    return client


def counts(session: Session) -> tuple[int, ...]:
    session.expire_all()
    tables: list[type[SQLModel]] = [Event, Person]
    return tuple(session.exec(select(func.count()).select_from(table)).one() for table in tables)


def test_the_route_list_is_found() -> None:
    paths = {path for _, path in ROUTES}
    assert "/api/meetings" in paths  # the API
    assert "/login" in paths  # the pages
    assert len(ROUTES) > 30


def refused(client: TestClient, method: str, path: str, token: str | None) -> str | None:
    """None when the write is refused for its CSRF token, else what happened instead."""
    url = PARAM.sub("1", path)
    is_api = path.startswith("/api/")
    headers = {"accept": "application/json" if is_api else "text/html"}
    if token is not None:
        headers["x-csrf-token"] = token
    if is_api:
        response = client.request(method, url, json={}, headers=headers)
    else:
        fields = {"csrf_token": token} if token else {"title": "x"}
        response = client.request(method, url, data=fields, headers=headers)
    if response.status_code == 403 and "CSRF" in response.text:
        return None
    return f"{method} {path} (token {token!r}): {response.status_code} {response.text[:120]}"


def test_every_write_without_the_csrf_token_is_refused(
    clerk_client: TestClient, session: Session
) -> None:
    """One client for every route (a database per route would cost minutes)."""
    before = counts(session)
    failures = [
        failure
        for method, path in ROUTES
        if (method, path) not in EXEMPT
        for token in (None, "forged")
        if (failure := refused(clerk_client, method, path, token)) is not None
    ]
    assert failures == []
    assert counts(session) == before


def test_the_same_write_with_the_token_gets_past_the_check(
    clerk_client: TestClient, session: Session, settings: Settings
) -> None:
    """The refusals above are the token's doing: with it, the same request is served."""
    csrf = clerk_client.cookies.get("hop_csrf")
    assert csrf
    api = clerk_client.post("/api/meetings", json={}, headers={"x-csrf-token": csrf})
    assert api.status_code == 422  # validation, not CSRF
    page = clerk_client.post("/people", data={"csrf_token": csrf, "full_name": ""})
    assert page.status_code != 403
