"""Login sessions, CSRF on the API, and device bearer tokens."""

import hashlib
from datetime import datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, select

from models import DeviceToken, LoginSession, Person, Role
from tests.factories import PASSWORD, assert_error, login, make_meeting, make_person, make_user

SESSION_COOKIE = "hop_session"


def post_login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, object]:
    response = client.post("/api/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def session_cookie_header(set_cookies: list[str]) -> str:
    return next(value for value in set_cookies if value.startswith(f"{SESSION_COOKIE}="))


def with_session_cookie(client: TestClient, token: str) -> TestClient:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, token)
    return client


def test_login_sets_httponly_lax_session_cookie(client: TestClient, session: Session) -> None:
    clerk = make_person(session, role=Role.secretariat)
    response = client.post("/api/login", json={"username": clerk.username, "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["person"]["username"] == clerk.username
    assert "password_hash" not in response.json()["person"]
    cookie = session_cookie_header(response.headers.get_list("set-cookie")).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "path=/" in cookie
    assert "secure" not in cookie  # plain http in tests
    assert client.get("/api/me").json()["id"] == clerk.id


def test_session_cookie_is_secure_under_https(app: FastAPI, session: Session) -> None:
    with TestClient(app, base_url="https://testserver") as secure_client:
        clerk = make_user(session, role=Role.secretariat)
        response = secure_client.post(
            "/api/login", json={"username": clerk.username, "password": PASSWORD}
        )
        cookie = session_cookie_header(response.headers.get_list("set-cookie")).lower()
        assert "secure" in cookie


def test_only_the_hash_of_the_session_token_is_stored(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat)
    post_login(client, clerk.username)
    token = client.cookies[SESSION_COOKIE]
    stored = session.exec(select(LoginSession.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]


def test_each_login_gets_a_new_session_and_ends_the_old(
    client: TestClient, session: Session
) -> None:
    clerk = make_user(session, role=Role.secretariat)
    login(client, clerk)
    first = client.cookies[SESSION_COOKIE]
    login_again = client.post("/api/login", json={"username": clerk.username, "password": PASSWORD})
    assert login_again.status_code == 200
    second = client.cookies[SESSION_COOKIE]
    assert second != first
    assert client.get("/api/me").status_code == 200
    assert_error(with_session_cookie(client, first).get("/api/me"), 401, "NotAuthenticatedError")


def test_logout_ends_the_session(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat)
    login(client, clerk)
    token = client.cookies[SESSION_COOKIE]
    response = client.post("/api/logout")
    assert response.status_code == 204
    assert response.headers["clear-site-data"] == '"cache", "storage"'
    assert_error(client.get("/api/me"), 401)
    # The server forgot the session: replaying the old cookie does not work either.
    assert_error(with_session_cookie(client, token).get("/api/me"), 401)


def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: TestClient, session: Session
) -> None:
    clerk = make_person(session, role=Role.secretariat)
    wrong = client.post("/api/login", json={"username": clerk.username, "password": "nope-nope"})
    unknown = client.post("/api/login", json={"username": "nobody", "password": PASSWORD})
    assert assert_error(wrong, 401) == assert_error(unknown, 401)
    assert SESSION_COOKIE not in client.cookies


def test_inactive_person_cannot_log_in(client: TestClient, session: Session) -> None:
    person = make_user(session)
    person.active = False
    session.add(person)
    session.commit()
    response = client.post("/api/login", json={"username": person.username, "password": PASSWORD})
    assert_error(response, 401)


def test_deactivation_ends_existing_sessions(client: TestClient, session: Session) -> None:
    person = make_user(session)
    login(client, person)
    assert client.get("/api/me").status_code == 200
    person.active = False
    session.add(person)
    session.commit()
    assert_error(client.get("/api/me"), 401)


def test_login_with_empty_fields_is_422(client: TestClient) -> None:
    response = client.post("/api/login", json={"username": "", "password": ""})
    assert_error(response, 422, "ValidationError", field="username")


def test_anonymous_api_call_is_401_json(client: TestClient) -> None:
    body = assert_error(client.get("/api/meetings"), 401, "NotAuthenticatedError")
    assert body["detail"] == "Please log in"
    assert_error(client.post("/api/meetings", json={}), 401)


def test_state_changes_need_the_csrf_header(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    login(client, clerk)
    good = client.headers.pop("x-csrf-token")
    item_id = client.get(f"/api/meetings/{meeting.id}/agenda").json()[0]["id"]
    calls = [
        ("POST", f"/api/meetings/{meeting.id}/agenda", {"title": "Thêm"}),
        ("PATCH", f"/api/meetings/{meeting.id}", {"title": "Đổi tên"}),
        ("DELETE", f"/api/meetings/{meeting.id}/agenda/{item_id}", None),
    ]
    for token in (None, "wrong-token", ""):
        headers = {"x-csrf-token": token} if token is not None else {}
        for method, url, body in calls:
            response = client.request(method, url, json=body, headers=headers)
            assert_error(response, 403, "PermissionDeniedError")
    assert client.get(f"/api/meetings/{meeting.id}").json()["title"] == meeting.title
    assert len(client.get(f"/api/meetings/{meeting.id}/agenda").json()) == 1
    response = client.patch(
        f"/api/meetings/{meeting.id}", json={"title": "Đổi tên"}, headers={"x-csrf-token": good}
    )
    assert response.status_code == 200


def test_logout_needs_the_csrf_header(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat)
    login(client, clerk)
    del client.headers["x-csrf-token"]
    assert_error(client.post("/api/logout"), 403)
    assert client.get("/api/me").status_code == 200


def issue_device(client: TestClient, name: str = "Kiosk cửa A") -> dict[str, object]:
    response = client.post("/api/devices", json={"name": name, "kind": "kiosk"})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def bearer(token: object) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_staff_issue_a_device_token_shown_once(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat)
    login(client, clerk)
    issued = issue_device(client)
    token = str(issued["token"])
    device = session.get(DeviceToken, issued["id"])
    assert device is not None
    assert device.token_hash == hashlib.sha256(token.encode()).hexdigest()
    raw_rows = session.connection().execute(text("SELECT * FROM device_token")).all()
    assert all(token not in str(value) for row in raw_rows for value in row)
    listed = client.get("/api/devices").json()
    assert [row["id"] for row in listed] == [issued["id"]]
    assert "token" not in listed[0]
    assert "token_hash" not in listed[0]


def test_device_token_authenticates_until_revoked(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat)
    login(client, clerk)
    issued = issue_device(client)
    device = TestClient(client.app)
    me = device.get("/api/devices/me", headers=bearer(issued["token"]))
    assert me.status_code == 200
    assert me.json()["name"] == "Kiosk cửa A"
    assert_error(device.get("/api/devices/me"), 401)
    assert_error(device.get("/api/devices/me", headers=bearer("hopd_forged")), 401)
    revoked = client.post(f"/api/devices/{issued['id']}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert_error(device.get("/api/devices/me", headers=bearer(issued["token"])), 401)
    listed = client.get("/api/devices").json()[0]
    for moment in (listed["created_at"], listed["revoked_at"]):
        assert datetime.fromisoformat(moment).tzinfo is not None  # never a bare local time


def test_device_token_is_not_a_login(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat)
    login(client, clerk)
    issued = issue_device(client)
    device = TestClient(client.app)
    assert_error(device.get("/api/meetings", headers=bearer(issued["token"])), 401)
    assert_error(device.get("/api/people", headers=bearer(issued["token"])), 401)


def test_delegate_cannot_issue_or_list_device_tokens(client: TestClient, session: Session) -> None:
    login(client, make_user(session))
    response = client.post("/api/devices", json={"name": "Kiosk", "kind": "kiosk"})
    assert_error(response, 403, "NotAllowedError")
    assert_error(client.get("/api/devices"), 403)
    assert session.exec(select(DeviceToken)).all() == []


def test_revoking_an_unknown_device_is_404(client: TestClient, session: Session) -> None:
    login(client, make_user(session, role=Role.admin))
    assert_error(client.post("/api/devices/9999/revoke"), 404)


def test_password_hash_never_leaves_the_server(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat)
    login(client, clerk)
    stored = session.get(Person, clerk.id)
    assert stored is not None
    assert stored.password_hash
    for url in ("/api/me", f"/api/people/{clerk.id}", "/api/people"):
        assert stored.password_hash not in client.get(url).text
        assert "password" not in client.get(url).text
