"""Every response carries the security headers; cookies are HttpOnly, SameSite, and Secure
over https."""

from collections.abc import Iterator
from http.cookies import SimpleCookie

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Role
from tests.factories import PASSWORD, make_user

PAGES = ["/login", "/healthz", "/api/me", "/static/live.js", "/no-such-page", "/openapi.json"]


def csp_directives(header: str) -> dict[str, list[str]]:
    parts = [part.split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


@pytest.fixture
def https_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "SAMEORIGIN"
    assert headers["referrer-policy"] == "same-origin"
    assert "geolocation=()" in headers["permissions-policy"]
    csp = csp_directives(headers["content-security-policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no inline or eval'd script
    assert csp["frame-ancestors"] == ["'self'"]  # no clickjacking from other sites
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]


def test_refusals_carry_the_headers_too(client: TestClient) -> None:
    too_big = client.post(
        "/api/login", content=b"x", headers={"content-length": str(64 * 1024 * 1024)}
    )
    assert too_big.status_code == 413
    for response in (too_big, client.post("/api/meetings", json={})):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'self'" in response.headers["content-security-policy"]


def test_a_page_does_not_inline_scripts(client: TestClient) -> None:
    """script-src 'self' only works if the pages load their scripts from files."""
    text = client.get("/login").text
    assert "<script>" not in text.replace(" ", "")
    assert "onclick=" not in text
    assert "javascript:" not in text


def cookies_of(response_headers: list[tuple[str, str]]) -> dict[str, str]:
    """Each Set-Cookie header by cookie name, as sent."""
    found = {}
    for name, value in response_headers:
        if name.lower() == "set-cookie":
            found[value.split("=", 1)[0]] = value
    return found


def flags(header: str) -> set[str]:
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    [morsel] = jar.values()
    present = {key for key in ("httponly", "secure") if morsel[key]}
    if morsel["samesite"]:
        present.add(f"samesite={morsel['samesite'].lower()}")
    return present


def login_cookies(client: TestClient, session: Session) -> dict[str, str]:
    person = make_user(session, role=Role.secretariat)
    client.cookies.clear()
    response = client.post("/api/login", json={"username": person.username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return cookies_of(response.headers.multi_items())


def test_cookies_over_http_are_httponly_and_samesite(client: TestClient, session: Session) -> None:
    cookies = login_cookies(client, session)
    assert flags(cookies["hop_session"]) == {"httponly", "samesite=lax"}
    assert flags(cookies["hop_csrf"]) == {"httponly", "samesite=strict"}


def test_cookies_over_https_are_also_secure(https_client: TestClient, session: Session) -> None:
    cookies = login_cookies(https_client, session)
    assert flags(cookies["hop_session"]) == {"httponly", "secure", "samesite=lax"}
    assert flags(cookies["hop_csrf"]) == {"httponly", "secure", "samesite=strict"}
    https_client.cookies.clear()
    first_visit = cookies_of(https_client.get("/login?lang=en").headers.multi_items())
    assert flags(first_visit["hop_csrf"]) == {"httponly", "secure", "samesite=strict"}
    assert {"secure", "samesite=lax"} <= flags(first_visit["hop_lang"])
    for header in first_visit.values():
        assert "secure" in flags(header)


def test_the_session_cookie_is_not_readable_by_page_script(
    client: TestClient, session: Session
) -> None:
    """HttpOnly keeps it from scripts; the CSRF token a page needs is in the page instead."""
    cookies = login_cookies(client, session)
    assert "httponly" in flags(cookies["hop_session"])
    page = client.get("/login")
    assert client.cookies.get("hop_csrf") in page.text
