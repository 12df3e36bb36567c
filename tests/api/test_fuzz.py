"""Schemathesis against /openapi.json, logged in as the secretariat: no operation answers 500,
and every answer matches the schema the operation declares. A few examples per operation
(FUZZ_EXAMPLES, default 5) so that the suite stays fast; raise it to fuzz for longer.

The app and its database live for the module (one lifespan, one login) with a meeting, an
agenda item, invitees, a poll, a document and a device in it, so that generated ids hit real
rows as well as missing ones. Not fuzzed:
- multipart uploads (people import, documents and their versions, face enrolment, archive
  import): their bodies are files that a generator cannot make meaningful, and face enrolment
  starts the face engine; they have their own tests;
- the single-frame check-in endpoint, whose body is an image the schema does not describe.
"""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlmodel import Session

from models import Role
from tests.factories import (
    PG_URL,
    assert_error,
    empty_postgres,
    login,
    make_document,
    make_meeting,
    make_person,
    make_room,
    make_user,
)
from web.app import create_app
from web.settings import Settings

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
SKIPPED = {
    ("POST", "/api/people/import"),
    ("POST", "/api/meetings/{meeting_id}/documents"),
    ("POST", "/api/documents/{document_id}/versions"),
    ("POST", "/api/people/{person_id}/faces"),
    ("POST", "/api/meetings/archive"),
    ("POST", "/api/meetings/{meeting_id}/checkin/frame"),
}
CHECKS = [not_a_server_error, response_schema_conformance]


class Fuzzed:
    """The module's app client, logged in as the secretariat, and how to log in again."""

    def __init__(self, client: TestClient, clerk_username: str) -> None:
        self.client = client
        self.clerk_username = clerk_username

    def relogin(self) -> None:
        from tests.factories import PASSWORD

        self.client.cookies.clear()
        self.client.headers.pop("x-csrf-token", None)
        response = self.client.post(
            "/api/login", json={"username": self.clerk_username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        self.client.headers["x-csrf-token"] = response.json()["csrf_token"]


def _database(database_template: str, folder: Path) -> str:
    if PG_URL:
        empty_postgres(PG_URL)
        return PG_URL
    shutil.copyfile(database_template, folder / "hop.db")
    return f"sqlite:///{folder / 'hop.db'}"


@pytest.fixture(scope="module")
def fuzzed(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    folder = tmp_path_factory.mktemp("fuzz")
    settings_ = Settings(
        data_dir=folder / "var",
        database_url=_database(database_template, folder),
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        max_upload_mb=2,
        # Generated logins fail by the dozen; the limits have their own tests.
        login_account_rate="off",
        login_address_rate="off",
        ballot_rate="off",
        kiosk_frame_rate="off",
        _env_file=None,
    )
    with TestClient(create_app(settings_)) as client:
        engine = client.app.state.hop.engine  # type: ignore[attr-defined]
        with Session(engine, expire_on_commit=False) as session:
            clerk = _seed(session, client)
        fuzzed = Fuzzed(client, clerk.username)
        fuzzed.relogin()
        yield fuzzed


def _seed(session: Session, client: TestClient) -> Any:
    """Rows for generated ids to find; the clerk last, so that small ids are other people."""
    room = make_room(session, delegates=3)
    room.open()
    room.poll(title="Dự thảo")
    for _ in range(3):
        make_person(session)
    clerk = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    make_document(session, client, meeting, clerk, publish=True)
    return clerk


def _operations() -> dict[str, Any]:
    """Every operation of the app's schema, by "METHOD /path" (read once, at collection)."""
    app = create_app(Settings(secret_key="x" * 40, _env_file=None))
    schema = schemathesis.openapi.from_dict(app.openapi())
    found = {}
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        found[f"{operation.method.upper()} {operation.path}"] = operation
    return found


OPERATIONS = _operations()


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_server_error_and_every_answer_matches_its_schema(label: str, fuzzed: Fuzzed) -> None:
    operation = OPERATIONS[label]
    if (operation.method.upper(), operation.path) in SKIPPED:
        pytest.skip("multipart or raw-image body: tested on its own")

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is enough
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def fuzz(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        response = fuzzed.client.request(**_for_httpx(kwargs))
        if case.path in {"/api/logout", "/api/login"} or response.status_code == 401:
            fuzzed.relogin()
        case.validate_response(response, checks=CHECKS)

    fuzz()


def _for_httpx(kwargs: dict[str, Any]) -> dict[str, Any]:
    """requests-style keyword arguments as httpx takes them."""
    converted = {key: value for key, value in kwargs.items() if value is not None}
    data = converted.pop("data", None)
    if isinstance(data, bytes | str):
        converted["content"] = data
    elif data is not None:
        converted["data"] = data
    for key in ("verify", "allow_redirects", "timeout"):
        converted.pop(key, None)
    cookies = converted.pop("cookies", None)
    if cookies:
        converted.setdefault("headers", {})["cookie"] = "; ".join(
            f"{name}={value}" for name, value in cookies.items()
        )
    return converted


# What the fuzzer found, pinned down ---------------------------------------------------------


def test_an_id_beyond_the_databases_integers_is_a_422_not_a_500(
    client: TestClient, session: Session
) -> None:
    login(client, make_user(session, role=Role.secretariat))
    huge = 2**70
    found = client.get(f"/api/meetings/{huge}")  # PostgreSQL compares it as numeric: 404
    assert_error(found, 422 if found.status_code == 422 else 404)
    body = {"name": "Cửa A", "kind": "kiosk", "meeting_id": huge}
    assert client.post("/api/devices", json=body).status_code == 422


def test_a_device_for_a_missing_meeting_is_refused(client: TestClient, session: Session) -> None:
    login(client, make_user(session, role=Role.secretariat))
    body = {"name": "Cửa A", "kind": "kiosk", "meeting_id": 999}
    assert_error(client.post("/api/devices", json=body), 422, field="meeting_id")
    assert client.get("/api/devices").json() == []


def test_null_for_a_required_field_of_a_person_changes_nothing(
    client: TestClient, session: Session
) -> None:
    login(client, make_user(session, role=Role.secretariat))
    person = make_person(session)
    body = {"active": None, "full_name": None, "role": None, "phone": "0901"}
    changed = client.patch(f"/api/people/{person.id}", json=body)
    assert changed.status_code == 200, changed.text
    assert changed.json()["active"] is True
    assert changed.json()["full_name"] == person.full_name
    assert changed.json()["phone"] == "0901"


def test_poll_times_carry_their_zone(client: TestClient, session: Session) -> None:
    room = make_room(session, delegates=1)
    poll = room.open()
    login(client, room.delegates[0])
    opened_at = client.get(f"/api/polls/{poll.id}").json()["opened_at"]
    assert opened_at.endswith(("Z", "+00:00")), opened_at


def test_the_schema_documents_hops_error_body(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["HTTPValidationError"]["required"] == ["error", "detail"]
    assert set(schemas["ValidationError"]["properties"]) == {"field", "message"}


def test_a_nul_character_is_stored_or_refused_never_a_500(
    client: TestClient, session: Session
) -> None:
    login(client, make_user(session, role=Role.secretariat))
    created = client.post("/api/units", json={"name": "Phòng\x00 họp"})
    assert created.status_code in (201, 422), created.text  # PostgreSQL text refuses NUL
