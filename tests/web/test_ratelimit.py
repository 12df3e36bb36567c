"""Rate limits: failed logins per account and per address, kiosk frames per device, ballots per
voter. Over the limit: 429 with Retry-After (an error message on a websocket), nothing done, and
other accounts, addresses, devices and voters unaffected."""

import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session

from models import Role
from tests.factories import (
    ORIGIN,
    PASSWORD,
    REDIS_URL,
    assert_error,
    login,
    make_meeting,
    make_room,
    make_user,
    nonce,
)
from web.app import create_app
from web.ratelimit import Limiter, Rate
from web.ratelimit_redis import RedisLimiter, connect
from web.settings import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    rates = {
        "login_account_rate": "3/60",
        "login_address_rate": "5/60",
        "kiosk_frame_rate": "2/60",
        "ballot_rate": "2/60",
    }
    return settings.model_copy(update=rates)


def attempt(client: TestClient, username: str, password: str = "wrong-password") -> Any:
    return client.post("/api/login", json={"username": username, "password": password})


def assert_limited(response: Any) -> dict[str, Any]:
    body = assert_error(response, 429, "RateLimitedError")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    return body


# The limiter ---------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_limiter_allows_count_at_once_then_one_per_interval() -> None:
    clock = Clock()
    limiter = Limiter(Rate.parse("3/30"), clock)
    assert [limiter.hit("a") for _ in range(3)] == [None, None, None]
    assert limiter.hit("a") == pytest.approx(10.0)
    assert limiter.hit("b") is None  # another key has its own bucket
    clock.now += 9.5
    assert limiter.retry_after("a") == pytest.approx(0.5)
    clock.now += 0.5
    assert limiter.hit("a") is None
    assert limiter.hit("a") is not None
    limiter.reset("a")
    assert limiter.hit("a") is None


def test_an_idle_key_is_forgotten_and_off_means_no_limit() -> None:
    clock = Clock()
    limiter = Limiter(Rate.parse("1/1"), clock)
    limiter._sweep_at = 2
    limiter.hit("a")
    clock.now += 5
    limiter.hit("b")
    assert set(limiter._due) == {"b"}
    off = Limiter(Rate.parse("off"))
    assert all(off.hit("a") is None for _ in range(100))


@pytest.mark.parametrize("text", ["", "5", "x/60", "5/0", "-1/60", "5/-3"])
def test_a_malformed_rate_setting_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="COUNT/SECONDS"):
        Settings(ballot_rate=text, _env_file=None)


# Logins --------------------------------------------------------------------------------------


def test_failed_logins_lock_the_account_even_with_the_right_password(
    client: TestClient, session: Session
) -> None:
    victim = make_user(session)
    other = make_user(session)
    for _ in range(3):
        assert_error(attempt(client, victim.username), 401)
    body = assert_limited(attempt(client, victim.username, PASSWORD))
    assert "giây" in body["detail"]  # Vietnamese by default
    english = client.post(  # the language asked for (the browser's only when configured)
        "/api/login?lang=en",
        json={"username": victim.username, "password": PASSWORD},
    )
    assert "Try again in" in assert_limited(english)["detail"]
    assert "hop_session" not in client.cookies
    assert attempt(client, other.username, PASSWORD).status_code == 200  # others unaffected


def test_a_successful_login_clears_the_accounts_failures(
    client: TestClient, session: Session
) -> None:
    person = make_user(session)
    for _ in range(2):
        assert_error(attempt(client, person.username), 401)
    assert attempt(client, person.username, PASSWORD).status_code == 200
    client.cookies.clear()  # a logged-in client would need the CSRF header
    for _ in range(3):
        assert_error(attempt(client, person.username), 401)
    assert_limited(attempt(client, person.username))


def test_failures_from_one_address_lock_it_out_but_not_other_addresses(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    first, second, third = (make_user(session) for _ in range(3))
    for person, times in ((first, 3), (second, 2)):
        for _ in range(times):
            assert_error(attempt(client, person.username), 401)
    assert_limited(attempt(client, third.username, PASSWORD))
    elsewhere = TestClient(app, client=("192.0.2.7", 50000))  # the lifespan is the first's
    assert attempt(elsewhere, third.username, PASSWORD).status_code == 200


def test_the_login_page_says_when_to_try_again(client: TestClient, session: Session) -> None:
    person = make_user(session)
    client.get("/login")
    form = {"username": person.username, "password": "wrong-password"}
    form["csrf_token"] = client.cookies.get("hop_csrf") or ""
    for _ in range(3):
        assert client.post("/login", data=form).status_code == 401
    page = client.post("/login", data={**form, "password": PASSWORD}, follow_redirects=False)
    assert page.status_code == 429
    assert 1 <= int(page.headers["retry-after"]) <= 60
    assert "Đăng nhập sai quá nhiều lần" in page.text
    assert "hop_session" not in client.cookies


# Ballots -------------------------------------------------------------------------------------


def test_ballots_are_limited_per_voter_over_http_and_the_websocket(
    client: TestClient, session: Session
) -> None:
    room = make_room(session, delegates=2)
    poll = room.open()
    voter, neighbour = room.delegates
    login(client, voter)
    url = f"/api/polls/{poll.id}/ballots"
    cast = {"choice": "yes", "nonce": nonce()}
    for _ in range(2):  # a resend counts too
        assert client.post(url, json=cast).status_code == 200
    assert_limited(client.post(url, json={"choice": "abstain", "nonce": nonce()}))
    with client.websocket_connect(f"/ws/meetings/{room.meeting.id}", headers=ORIGIN) as ws:
        assert ws.receive_json()["type"] == "snapshot"
        ballot = {"type": "ballot", "poll_id": poll.id, "choice": "yes", "nonce": nonce()}
        ws.send_json(ballot)
        refusal = next(m for m in iter(ws.receive_json, None) if m["type"] == "error")
    assert (refusal["error"], refusal["status"], refusal["ref"]) == (
        "RateLimitedError",
        429,
        ballot["nonce"],
    )
    assert refusal["retry_after"] >= 1
    assert client.get(f"/api/polls/{poll.id}/my-ballot").json()["choice"]["options"] == ["yes"]
    login(client, neighbour)
    assert client.post(url, json={"choice": "yes", "nonce": nonce()}).status_code == 200


# Kiosk frames --------------------------------------------------------------------------------


def kiosk_token(client: TestClient, meeting_id: int | None, name: str) -> str:
    body = {"name": name, "kind": "kiosk", "meeting_id": meeting_id}
    response = client.post("/api/devices", json=body)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


def test_kiosk_frames_are_limited_per_device(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    login(client, clerk)
    # Two kiosks with the same name: the limit follows the token, not the name.
    tokens = [kiosk_token(client, meeting.id, "Cửa A") for _ in range(2)]
    client.cookies.clear()
    url = f"/api/meetings/{meeting.id}/checkin/frame"

    def frame(token: str) -> Any:
        headers = {"authorization": f"Bearer {token}", "content-type": "image/jpeg"}
        return client.post(url, content=b"not an image", headers=headers)

    for _ in range(2):
        assert frame(tokens[0]).status_code == 415  # analysed (and refused: no image)
    assert_limited(frame(tokens[0]))
    assert frame(tokens[1]).status_code == 415
    headers = {"authorization": f"Bearer {tokens[0]}"}
    with client.websocket_connect(f"/ws/kiosk/{meeting.id}", headers=headers) as ws:
        ws.send_bytes(b"not an image")  # the HTTP frames used this device's share
        refusal = ws.receive_json()
        assert (refusal["error"], refusal["status"]) == ("RateLimitedError", 429)
        assert refusal["retry_after"] >= 1
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}


def test_the_refusals_are_in_the_catalogue() -> None:
    from web import ratelimit
    from web.pages.login import RATE_LIMITED

    assert set(RATE_LIMITED) == {ratelimit.FRAME_MESSAGE, ratelimit.BALLOT_MESSAGE}


# Shared over Redis ---------------------------------------------------------------------------

needs_redis = pytest.mark.skipif(not REDIS_URL, reason="set HOP_TEST_REDIS_URL")


@needs_redis
def test_a_redis_limiter_counts_resets_and_keys_apart() -> None:
    client = connect(REDIS_URL)
    prefix = f"hop:test:{uuid.uuid4().hex}:"
    try:
        limiter = RedisLimiter(client, prefix, 2, 60)
        assert [limiter.hit("a"), limiter.hit("a")] == [None, None]
        assert limiter.retry_after("a") == pytest.approx(30, abs=1)
        assert limiter.hit("a") == pytest.approx(30, abs=1)
        assert limiter.hit("b") is None
        limiter.reset("a")
        assert limiter.hit("a") is None
    finally:
        client.close()


@needs_redis
def test_processes_sharing_redis_count_failed_logins_together(
    settings: Settings, session: Session, client: TestClient
) -> None:
    """Two apps (as two server processes) with the same Redis and channel."""
    person = make_user(session)
    shared = settings.model_copy(update={"redis_url": REDIS_URL})
    with TestClient(create_app(shared)) as first, TestClient(create_app(shared)) as second:
        for _ in range(3):
            assert_error(attempt(first, person.username), 401)
        assert_limited(attempt(second, person.username, PASSWORD))


def test_an_unreachable_redis_lets_events_through() -> None:
    limiter = RedisLimiter(connect("redis://127.0.0.1:9/0"), "hop:test:", 1, 60)
    assert [limiter.hit("a"), limiter.hit("a"), limiter.retry_after("a")] == [None, None, None]
    limiter.reset("a")
    limiter.client.close()
