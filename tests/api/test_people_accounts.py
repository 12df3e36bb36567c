"""Accounts through the API: deactivating a person logs them out everywhere and keeps them
out, a password reset (typed or generated) ends their other sessions, nobody deactivates
themselves, and only an administrator touches an administrator's account."""

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from models import Person, Role
from tests.factories import PASSWORD, assert_error, login, make_user


@pytest.fixture
def other(app: FastAPI, clerk_client: TestClient) -> Iterator[TestClient]:
    """A second browser on the same server (the clerk's client starts the app)."""
    with TestClient(app) as second:
        yield second


def logged_in(client: TestClient) -> bool:
    return client.get("/api/meetings").status_code == 200


def test_deactivation_logs_the_person_out_and_keeps_them_out(
    clerk_client: TestClient, other: TestClient, session: Session
) -> None:
    person = make_user(session)
    login(other, person)
    assert logged_in(other)
    response = clerk_client.patch(f"/api/people/{person.id}", json={"active": False})
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False
    assert not logged_in(other)
    body = {"username": person.username, "password": PASSWORD}
    assert other.post("/api/login", json=body).status_code == 401
    clerk_client.patch(f"/api/people/{person.id}", json={"active": True})
    assert other.post("/api/login", json=body).status_code == 200


def test_nobody_deactivates_themselves(clerk_client: TestClient, clerk: Person) -> None:
    refused = clerk_client.patch(f"/api/people/{clerk.id}", json={"active": False})
    assert_error(refused, 409, "OwnAccountError", field="active")
    assert logged_in(clerk_client)
    assert clerk_client.get(f"/api/people/{clerk.id}").json()["active"] is True


def test_a_generated_password_is_returned_once_and_logs_out_elsewhere(
    clerk_client: TestClient, other: TestClient, session: Session
) -> None:
    person = make_user(session)
    login(other, person)
    response = clerk_client.post(f"/api/people/{person.id}/password", json={})
    assert response.status_code == 200, response.text
    password = response.json()["generated_password"]
    assert isinstance(password, str)
    assert len(password) >= 12
    assert not logged_in(other)
    old = {"username": person.username, "password": PASSWORD}
    assert other.post("/api/login", json=old).status_code == 401
    login(other, person, password)
    assert logged_in(other)


def test_resetting_ones_own_password_keeps_this_session(
    clerk_client: TestClient, other: TestClient, clerk: Person
) -> None:
    login(other, clerk)
    body = {"password": "mot-mat-khau-moi"}
    response = clerk_client.post(f"/api/people/{clerk.id}/password", json=body)
    assert response.json() == {"generated_password": None}
    assert logged_in(clerk_client)
    assert not logged_in(other)


@pytest.mark.parametrize(
    "body", [{"password": "short"}, {"password": "x" * 201}, {"password": "mat\x00khau-dai"}]
)
def test_a_bad_password_is_422_and_changes_nothing(
    clerk_client: TestClient, other: TestClient, session: Session, body: dict[str, str]
) -> None:
    person = make_user(session)
    login(other, person)
    assert_error(clerk_client.post(f"/api/people/{person.id}/password", json=body), 422)
    assert logged_in(other)


def test_only_the_secretariat_resets_passwords(client: TestClient, session: Session) -> None:
    delegate, victim = make_user(session), make_user(session)
    login(client, delegate)
    assert_error(client.post(f"/api/people/{victim.id}/password", json={}), 403)
    assert_error(client.patch(f"/api/people/{victim.id}", json={"active": False}), 403)


def test_an_unknown_person_is_404(clerk_client: TestClient) -> None:
    assert_error(clerk_client.post("/api/people/999999/password", json={}), 404)


def test_the_secretariat_cannot_touch_an_administrator(
    clerk_client: TestClient, session: Session
) -> None:
    admin, delegate = make_user(session, role=Role.admin), make_user(session)
    assert_error(clerk_client.post(f"/api/people/{admin.id}/password", json={}), 403)
    assert_error(clerk_client.patch(f"/api/people/{admin.id}", json={"active": False}), 403)
    assert_error(clerk_client.patch(f"/api/people/{delegate.id}", json={"role": "admin"}), 403)
    assert clerk_client.get(f"/api/people/{admin.id}").json()["active"] is True
    assert clerk_client.get(f"/api/people/{delegate.id}").json()["role"] == "delegate"
