"""Schemathesis against /openapi.json, logged in as the secretariat: no operation answers 500,
and every answer matches the schema the operation declares. A few examples per operation
(FUZZ_EXAMPLES, default 5) so that the suite stays fast; raise it to fuzz for longer.

The app and its database live for the module (one lifespan, one login) with a meeting, an
agenda item, invitees, a poll, a ballot, a document and a device in it, so that generated ids
hit real rows as well as missing ones. Not fuzzed by schemathesis:
- multipart uploads (people import, documents and their versions, face enrolment, archive
  import): their bodies are files that a generator cannot make meaningful, and face enrolment
  starts the face engine; they have their own tests, and the archive import is fuzzed below
  with generated zips (random, deeply nested or mutated meeting.json, damaged zips);
- the single-frame check-in endpoint, whose body is an image the schema does not describe.
Minutes are also drafted after generated agendas, up to the largest the API accepts.
"""

import io
import json
import os
import shutil
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, example, given, note, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlmodel import Session, SQLModel

from models import Blob, Meeting, Person, Role
from models.meeting import AGENDA_ITEMS_MAX, AGENDA_TITLE_MAX, MEETING_TITLE_MAX
from records.archive_format import FORMAT, FORMAT_VERSION, KINDS
from records.archive_json import MAX_DEPTH
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
        self.archives: list[dict[str, bytes]] = []  # the seeded meetings' archives

    def export(self, meeting_ids: list[int]) -> None:
        """Keep each meeting's archive (its members by name) for the archive fuzz to mutate,
        before any generated request changes the meetings."""
        for meeting_id in meeting_ids:
            exported = self.client.get(f"/api/meetings/{meeting_id}/archive.zip")
            assert exported.status_code == 200, exported.text
            with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
                self.archives.append({name: archive.read(name) for name in archive.namelist()})
        assert any(len(members) > 1 for members in self.archives)  # a document's file

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
            clerk, meeting_ids = _seed(session, client)
        fuzzed = Fuzzed(client, clerk.username)
        fuzzed.relogin()
        fuzzed.export(meeting_ids)
        yield fuzzed


def _seed(session: Session, client: TestClient) -> tuple[Any, list[int]]:
    """Rows for generated ids to find; the clerk last, so that small ids are other people."""
    room = make_room(session, delegates=3)
    room.cast(room.open(), room.delegates[0], choice="yes")
    room.poll(title="Dự thảo")
    for _ in range(3):
        make_person(session)
    clerk = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    make_document(session, client, meeting, clerk, publish=True)
    return clerk, [room.meeting.id or 0, meeting.id or 0]


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


# The archive import, fuzzed on its own: generated archives, never a 500 ---------------------

ARCHIVE_EXAMPLES = 8 * EXAMPLES
DROP = "<the key removed>"  # a mutation's value that deletes the key instead
SECTIONS = ["format", "version", "meeting", "people", "blobs", *(kind.key for kind in KINDS)]
TABLES: list[type[SQLModel]] = [Meeting, Person, Blob, *(kind.table for kind in KINDS)]
COLUMNS = sorted({name for table in TABLES for name in table.model_fields})
ODD_VALUES = st.sampled_from(
    [
        2**63 - 1,
        2**63,
        2**64,
        -(2**63) - 1,
        10**400,
        1e308,
        -0.0,
        "",
        "\x00",
        "a\x00b",
        "x" * 20_000,
        "9999-12-31T20:00:00Z",
        "0001-01-01T00:00:00",
        "2999-12-31T23:59:00-14:00",
        "1970-01-01",
        "0" * 64,
        "../../etc/passwd",
    ]
)
JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(),  # NaN and the infinities too: Python's json writes and reads them
    st.text(max_size=20),
    ODD_VALUES,
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=10,
)
# (section, row, column, value): the value put in that column of that row of an exported
# archive; no column means the whole section.
MUTATIONS = st.tuples(
    st.sampled_from(SECTIONS) | st.text(max_size=8),
    st.integers(min_value=0, max_value=50),
    st.none() | st.sampled_from(COLUMNS) | st.text(max_size=8),
    JSON_VALUES | st.just(DROP),
)
# zipfile cuts a name at its first NUL, and refuses an empty one.
ODD_NAMES = ["meeting.json", "blobs/" + "0" * 64, "blobs/", "../x", "/etc/passwd", "blobs/../x"]
MEMBER_NAMES = st.sampled_from(ODD_NAMES) | st.text(min_size=1, max_size=80).filter(
    lambda name: name.split("\x00")[0]
)
# A recipe for an archive, turned into bytes by _archive_bytes with the seeded archives.
RECIPES = st.one_of(
    st.tuples(st.just("mutated"), st.integers(0, 1), st.lists(MUTATIONS, min_size=1, max_size=3)),
    st.tuples(st.just("document"), JSON_VALUES),
    st.tuples(
        st.just("headed"),
        st.dictionaries(st.sampled_from(SECTIONS) | st.text(max_size=8), JSON_VALUES, max_size=5),
    ),
    st.tuples(
        st.just("nested"),
        st.integers(min_value=1, max_value=2 * MAX_DEPTH + 8),
        st.sampled_from(["[", '{"a":', '[{"meeting":', '"[', "{"]),
    ),
    st.tuples(st.just("raw"), st.binary(max_size=200)),
    st.tuples(st.just("truncated"), st.integers(0, 1), st.integers(min_value=0, max_value=8_000)),
    st.tuples(st.just("members"), st.integers(0, 1), st.lists(MEMBER_NAMES, max_size=4)),
)


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        warnings.simplefilter("ignore")  # "Duplicate name": meant
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def _mutate(document: dict[str, Any], mutation: tuple[str, int, str | None, Any]) -> None:
    section, row, column, value = mutation
    if column is None or not isinstance(document.get(section), dict | list):
        if value is DROP:
            document.pop(section, None)
        else:
            document[section] = value
        return
    target = document[section]
    if isinstance(target, list):
        if not target:
            target.append({})
        target = target[row % len(target)]
    if not isinstance(target, dict):
        return
    if value is DROP:
        target.pop(column, None)
    else:
        target[column] = value


def _archive_bytes(recipe: tuple[Any, ...], archives: list[dict[str, bytes]]) -> bytes:
    kind, *args = recipe
    if kind == "document":
        return _zip([("meeting.json", json.dumps(args[0]).encode())])
    if kind == "headed":
        document = {"format": FORMAT, "version": FORMAT_VERSION, **args[0]}
        return _zip([("meeting.json", json.dumps(document).encode())])
    if kind == "nested":
        depth, opener = args
        closer = "".join({"[": "]", "{": "}"}[c] for c in reversed(opener) if c in "[{")
        return _zip([("meeting.json", (opener * depth + "1" + closer * depth).encode())])
    if kind == "raw":
        return bytes(args[0])
    members = archives[args[0]]
    if kind == "truncated":
        whole = _zip(list(members.items()))
        return whole[: args[1] % len(whole)]
    if kind == "members":
        extra = [(name, b"x") for name in args[1]]
        return _zip([*members.items(), *extra])
    document = json.loads(members["meeting.json"])
    for mutation in args[1]:
        _mutate(document, mutation)
    rest = [(name, data) for name, data in members.items() if name != "meeting.json"]
    return _zip([("meeting.json", json.dumps(document).encode()), *rest])


def _assert_no_server_error(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:2000]}"


def _check_imported(client: TestClient, meeting_id: int) -> None:
    """What an imported meeting must never break: reading it, its minutes, its export and
    the pages that show it (a 4xx there is a finding too, pinned below when one was found)."""
    drafted = client.post(f"/api/meetings/{meeting_id}/minutes")
    _assert_no_server_error(drafted, "minutes of the imported meeting")
    for url in (
        f"/api/meetings/{meeting_id}",
        f"/api/meetings/{meeting_id}/agenda",
        f"/api/meetings/{meeting_id}/archive.zip",
        "/meetings",
        f"/meetings/{meeting_id}/edit",
        f"/meetings/{meeting_id}/minutes",
        f"/room/{meeting_id}",
    ):
        _assert_no_server_error(client.get(url), url)


@settings(
    max_examples=ARCHIVE_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(recipe=RECIPES)
@example(recipe=("nested", MAX_DEPTH + 1, "["))
@example(recipe=("mutated", 0, [("meeting", 0, "start_at", "9999-12-31T20:00:00Z")]))
@example(recipe=("mutated", 0, [("agenda", 0, "position", 2**70)]))
@example(recipe=("mutated", 0, [("agenda", 0, "title", "a\x00b")]))
@example(recipe=("mutated", 1, [("blobs", 0, "size", float("nan"))]))
@example(recipe=("mutated", 0, [("agenda", 0, None, [{"title": "Mục"}] * 201)]))
@example(recipe=("members", 1, ["meeting.json"]))
def test_generated_archives_are_refused_or_imported_never_a_500(
    fuzzed: Fuzzed, recipe: tuple[Any, ...]
) -> None:
    note(f"recipe: {recipe!r:.2000}")
    data = _archive_bytes(recipe, fuzzed.archives)
    files = {"file": ("archive.zip", data, "application/zip")}
    imported = fuzzed.client.post("/api/meetings/archive", files=files)
    _assert_no_server_error(imported, f"import of {recipe!r:.2000}")
    assert imported.status_code in (201, 409, 413, 422), imported.text[:2000]
    if imported.status_code == 201:
        _check_imported(fuzzed.client, imported.json()["id"])


# Minutes drafted after agendas of generated sizes and title lengths -------------------------

MINUTES_EXAMPLES = EXAMPLES
TITLE_TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=12
).filter(str.strip)


def _cut(text: str, length: int) -> str:
    """The text repeated and cut to length characters."""
    return (text * (length // len(text) + 1))[:length]


@settings(
    max_examples=MINUTES_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(
    text=TITLE_TEXT,
    meeting_title=st.integers(min_value=1, max_value=MEETING_TITLE_MAX),
    titles=st.lists(
        st.integers(min_value=1, max_value=AGENDA_TITLE_MAX), max_size=AGENDA_ITEMS_MAX
    ),
    presenter=st.integers(min_value=0, max_value=200),
)
@example(  # the largest agenda the API takes, every title and presenter at its longest
    text="Đề án số ",
    meeting_title=MEETING_TITLE_MAX,
    titles=[AGENDA_TITLE_MAX] * AGENDA_ITEMS_MAX,
    presenter=200,
)
def test_minutes_are_drafted_after_any_agenda_the_api_accepts(
    fuzzed: Fuzzed, text: str, meeting_title: int, titles: list[int], presenter: int
) -> None:
    client = fuzzed.client
    body = {
        "title": _cut(text, meeting_title),
        "start_at": "2031-05-06T01:00:00Z",
        "end_at": "2031-05-06T04:00:00Z",
    }
    created = client.post("/api/meetings", json=body)
    assert created.status_code == 201, created.text[:2000]
    meeting_id = created.json()["id"]
    agenda = f"/api/meetings/{meeting_id}/agenda"
    for length in titles:
        item = {"title": _cut(text, length), "presenter": _cut(text, presenter)}
        added = client.post(agenda, json=item)
        assert added.status_code == 201, added.text[:2000]
    drafted = client.post(f"/api/meetings/{meeting_id}/minutes")
    assert drafted.status_code == 201, drafted.text[:2000]
    redrafted = client.post(f"/api/meetings/{meeting_id}/minutes", json={"replace": True})
    assert redrafted.status_code == 201, redrafted.text[:2000]
    assert client.get(f"/meetings/{meeting_id}/minutes").status_code == 200


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


def test_an_archived_meeting_dated_9999_is_refused_or_shown(
    clerk_client: TestClient, meeting: Meeting
) -> None:
    exported = clerk_client.get(f"/api/meetings/{meeting.id}/archive.zip")
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    document = json.loads(members["meeting.json"])
    document["meeting"]["start_at"] = "9999-12-31T20:00:00Z"
    members["meeting.json"] = json.dumps(document).encode()
    files = {"file": ("archive.zip", _zip(list(members.items())), "application/zip")}
    imported = clerk_client.post("/api/meetings/archive", files=files)
    if imported.status_code == 422:
        assert "start_at" in imported.json()["detail"], imported.text
        return
    assert imported.status_code == 201, imported.text
    for page in ("/meetings", f"/meetings/{imported.json()['id']}/edit"):
        assert clerk_client.get(page).status_code == 200, page


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("start_at", "1970-01-01T08:00:00Z"),
        ("end_at", "2000-01-01T00:00:00Z"),  # before the start
        ("title", "Kỳ họp\x00 thứ nhất"),
        ("location", "Hội trường\x00"),
    ],
)
def test_an_archive_is_refused_where_the_api_would_refuse_the_meeting(
    clerk_client: TestClient, meeting: Meeting, field: str, value: str
) -> None:
    """The import applies the API's rules to the meeting (its years, end after start, no NUL)
    on both databases, naming the field."""
    exported = clerk_client.get(f"/api/meetings/{meeting.id}/archive.zip")
    with zipfile.ZipFile(io.BytesIO(exported.content)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    document = json.loads(members["meeting.json"])
    document["meeting"][field] = value
    members["meeting.json"] = json.dumps(document).encode()
    files = {"file": ("archive.zip", _zip(list(members.items())), "application/zip")}
    imported = clerk_client.post("/api/meetings/archive", files=files)
    assert imported.status_code == 422, imported.text
    assert field in imported.json()["detail"]


def test_a_nul_character_is_stored_or_refused_never_a_500(
    client: TestClient, session: Session
) -> None:
    login(client, make_user(session, role=Role.secretariat))
    created = client.post("/api/units", json={"name": "Phòng\x00 họp"})
    assert created.status_code in (201, 422), created.text  # PostgreSQL text refuses NUL
