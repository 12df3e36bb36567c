"""The whole-meeting archive: export then import gives an equal new meeting with the same
documents; a bad, tampered, foreign-version or oversized archive is a 4xx that leaves the
database and the data folder as they were."""

import functools
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, SQLModel, func, select
from typer.testing import CliRunner

from checkin import attendance
from cli.main import app as hop
from meetings import access, documents, scheduling
from meetings.errors import FileTooLargeError
from models import (
    Blob,
    Document,
    DocumentVersion,
    Event,
    Meeting,
    Person,
    Poll,
    Proxy,
    Reply,
    Role,
    SecretChoice,
    SpeechRequest,
    SpeechStatus,
)
from models.minutes import Minutes
from records import archive
from records.archive_format import ArchiveError
from records.archive_json import ID_KEYS
from tests.factories import (
    Room,
    invite,
    make_document,
    make_meeting,
    make_room,
    make_user,
    pdf_bytes,
    stored_files,
    uploads_of,
)
from voting import polls
from web.settings import Settings

MB = 1024 * 1024


def build_meeting(session: Session, client: TestClient) -> Room:
    """A meeting with something in every table an archive holds."""
    room = make_room(session, delegates=4)
    meeting, clerk = room.meeting, room.clerk
    document = make_document(session, client, meeting, clerk, title="Tờ trình số 1", publish=True)
    documents.add_version(
        session=session,
        uploads=uploads_of(client),
        document=document,
        source=io.BytesIO(pdf_bytes("version two")),
        filename="v2.pdf",
        uploader=clerk,
    )
    make_document(session, client, meeting, clerk, title="Dự thảo")
    _vote(room)
    _side_rows(session, room)
    return room


def _vote(room: Room) -> None:
    named = room.open(title="Thông qua chương trình")
    for delegate in room.delegates[:3]:
        room.cast(named, delegate, choice="yes")
    polls.close_poll(session=room.session, poll=named)
    secret = room.open(title="Bầu trưởng ban", kind="single", options=["Lan", "Huệ"], secret=True)
    room.cast(secret, room.delegates[0], choice="1")
    room.cast(secret, room.delegates[1], choice="2")
    polls.close_poll(session=room.session, poll=secret)
    polls.publish_poll(session=room.session, poll=secret)


def _side_rows(session: Session, room: Room) -> None:
    meeting, late = room.meeting, room.delegates[3]
    attendance.record_check_out(session=session, meeting=meeting, person_id=late.id or 0)
    invitation = access.find_invitation(session, meeting_id=meeting.id or 0, person_id=late.id or 0)
    assert invitation is not None
    scheduling.reply_to_invitation(
        session=session, invitation=invitation, reply=Reply.declined, reason="Ốm"
    )
    item = scheduling.list_agenda(session=session, meeting=meeting)[0]
    assert meeting.id is not None
    session.add(
        SpeechRequest(
            meeting_id=meeting.id,
            agenda_item_id=item.id,
            person_id=room.delegates[0].id or 0,
            status=SpeechStatus.done,
            note="Về ngân sách",
        )
    )
    session.add(
        Proxy(meeting_id=meeting.id, holder_id=room.chair.id or 0, represented_id=late.id or 0)
    )
    session.add(Minutes(meeting_id=meeting.id, body={"title": "BIÊN BẢN HỌP"}))
    meeting.current_item_id = item.id
    session.add(meeting)
    session.commit()


def export_bytes(session: Session, client: TestClient, meeting: Meeting) -> bytes:
    buffer = io.BytesIO()
    store = uploads_of(client).store
    archive.export_meeting(session=session, store=store, meeting=meeting, target=buffer)
    return buffer.getvalue()


def import_bytes(session: Session, client: TestClient, data: bytes) -> Meeting:
    uploads = uploads_of(client)
    return archive.import_meeting(session=session, uploads=uploads, source=io.BytesIO(data))


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        return {name: source.read(name) for name in source.namelist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for name, content in files.items():
            target.writestr(name, content)
    return buffer.getvalue()


def edit_json(data: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    files = members(data)
    document = json.loads(files["meeting.json"])
    change(document)
    files["meeting.json"] = json.dumps(document).encode()
    return rezip(files)


def without_ids(value: Any) -> Any:
    """The archive less every key that names a row id (new on import) and the export time."""
    dropped = {"id", "exported_at", *ID_KEYS}
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k not in dropped}
    if isinstance(value, list):
        return [without_ids(item) for item in value]
    return value


@pytest.fixture
def room(session: Session, client: TestClient) -> Room:
    return build_meeting(session, client)


@pytest.fixture
def exported(session: Session, client: TestClient, room: Room) -> bytes:
    return export_bytes(session, client, room.meeting)


@pytest.fixture
def small(session: Session, client: TestClient) -> bytes:
    """The archive of a small meeting (an invitee, a document): enough for the refusals."""
    clerk = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    invite(session, meeting, make_user(session))
    make_document(session, client, meeting, clerk)
    return export_bytes(session, client, meeting)


def test_archive_holds_everything_and_no_secrets(exported: bytes, room: Room) -> None:
    files = members(exported)
    document = json.loads(files["meeting.json"])
    assert (document["format"], document["version"]) == ("hop-meeting-archive", 1)
    for key in ("agenda", "invitations", "attendance", "documents", "document_versions"):
        assert document[key], key
    for key in ("polls", "ballots", "secret_voters", "secret_choices", "speakers", "minutes"):
        assert document[key], key
    assert len(document["document_versions"]) == 3
    for blob in document["blobs"]:
        assert hashlib.sha256(files[f"documents/{blob['sha256']}"]).hexdigest() == blob["sha256"]
    text = files["meeting.json"].decode()
    assert "password_hash" not in text
    assert "embedding" not in text
    assert "salt" not in text
    assert "nonce" not in text
    assert all(set(row) == {"poll_id", "choice", "receipt"} for row in document["secret_choices"])
    # Secret choices are kept exactly as the published result shows them, receipts included.
    secret = next(poll for poll in document["polls"] if poll["secret"])
    shown = {(line["receipt"], json.dumps(line["choice"])) for line in secret["result"]["receipts"]}
    stored = {(row["receipt"], json.dumps(row["choice"])) for row in document["secret_choices"]}
    assert shown == stored


def test_round_trip_gives_an_equal_new_meeting(
    session: Session, client: TestClient, room: Room, exported: bytes
) -> None:
    people_before = count(session, Person)
    copy = import_bytes(session, client, exported)
    assert copy.id != room.meeting.id
    assert count(session, Person) == people_before  # matched by username
    again = export_bytes(session, client, copy)
    original = json.loads(members(exported)["meeting.json"])
    assert without_ids(json.loads(members(again)["meeting.json"])) == without_ids(original)
    assert members(again).keys() == members(exported).keys()
    assert copy.current_item_id is not None
    assert copy.current_item_id != room.meeting.current_item_id
    assert_same_files(session, client, copy)
    assert_results_remapped(session, copy)


def assert_same_files(session: Session, client: TestClient, copy: Meeting) -> None:
    store = uploads_of(client).store
    versions = session.exec(
        select(DocumentVersion).join(Document).where(Document.meeting_id == copy.id)
    ).all()
    assert len(versions) == 3
    for version in versions:
        content = store.path_for(version.blob_sha256).read_bytes()
        assert hashlib.sha256(content).hexdigest() == version.blob_sha256


def assert_results_remapped(session: Session, copy: Meeting) -> None:
    for poll in session.exec(select(Poll).where(Poll.meeting_id == copy.id)):
        assert poll.result is not None
        assert (poll.result["poll_id"], poll.result["meeting_id"]) == (poll.id, copy.id)
    receipts = session.exec(
        select(SecretChoice.receipt).join(Poll).where(Poll.meeting_id == copy.id)
    )
    assert len(list(receipts)) == 2


def test_missing_people_are_created_without_login(
    session: Session, client: TestClient, small: bytes
) -> None:
    def stranger(document: dict[str, Any]) -> None:
        person = document["people"][0]
        person.update(username="nguoi.moi", role="admin", password_hash="x")
        document["meeting"]["chair_id"] = person["id"]

    copy = import_bytes(session, client, edit_json(small, stranger))
    newcomer = session.exec(select(Person).where(Person.username == "nguoi.moi")).one()
    assert (newcomer.password_hash, newcomer.role) == (None, Role.delegate)
    assert copy.chair_id == newcomer.id


Snapshot = tuple[tuple[int, ...], list[Any]]


def snapshot(session: Session, settings: Settings) -> Snapshot:
    tables: list[type[SQLModel]] = [Meeting, Person, Document, DocumentVersion, Blob, Poll, Event]
    return tuple(count(session, table) for table in tables), stored_files(settings.storage_dir)


def count(session: Session, table: type[SQLModel]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def refused(
    session: Session, client: TestClient, settings: Settings, data: bytes, error: type[Exception]
) -> str:
    before = snapshot(session, settings)
    with pytest.raises(error) as caught:
        import_bytes(session, client, data)
    assert snapshot(session, settings) == before
    return str(caught.value)


def test_a_tampered_file_is_refused(
    session: Session, client: TestClient, settings: Settings, small: bytes
) -> None:
    files = members(small)
    name = next(name for name in files if name.startswith("documents/"))
    files[name] = pdf_bytes("a forged page")
    message = refused(session, client, settings, rezip(files), ArchiveError)
    assert "sha256" in message


def test_a_file_missing_from_the_zip_is_refused(
    session: Session, client: TestClient, settings: Settings, small: bytes
) -> None:
    files = members(small)
    del files[next(name for name in files if name.startswith("documents/"))]
    refused(session, client, settings, rezip(files), ArchiveError)


def test_another_format_version_is_refused(
    session: Session, client: TestClient, settings: Settings, small: bytes
) -> None:
    for version in (2, 0, "1", True, None):
        data = edit_json(small, functools.partial(set_key, key="version", value=version))
        refused(session, client, settings, data, archive.ArchiveVersionError)
    data = edit_json(small, lambda document: document.update(format="other"))
    refused(session, client, settings, data, archive.ArchiveVersionError)


def set_key(document: dict[str, Any], *, key: str, value: Any) -> None:
    document[key] = value


def test_what_is_not_an_archive_is_refused(
    session: Session, client: TestClient, settings: Settings
) -> None:
    for data in (
        b"not a zip",
        b"PK\x03\x04broken",
        rezip({"other.txt": b"x"}),
        rezip({"meeting.json": b"{"}),
        rezip({"meeting.json": b"[]"}),
        rezip({"../meeting.json": b"{}"}),
    ):
        refused(session, client, settings, data, ArchiveError)


def test_an_oversized_member_is_refused_before_it_is_read(
    session: Session, client: TestClient, settings: Settings, small: bytes
) -> None:
    # Three megabytes of zeros compress to a few kilobytes: the limit is on what they expand to.
    big = b"%PDF-" + bytes(3 * MB)
    sha = hashlib.sha256(big).hexdigest()

    def listed(document: dict[str, Any]) -> None:
        document["blobs"].append({"sha256": sha, "size": len(big), "media_type": "application/pdf"})

    files = members(edit_json(small, listed))
    files[f"documents/{sha}"] = big
    data = rezip(files)
    assert len(data) < MB
    refused(session, client, settings, data, FileTooLargeError)


def test_an_oversized_meeting_json_is_refused(
    session: Session,
    client: TestClient,
    settings: Settings,
    small: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(archive, "MAX_JSON_BYTES", 1000)
    refused(session, client, settings, small, archive.ArchiveTooLargeError)


def test_a_dangling_reference_is_refused(
    session: Session, client: TestClient, settings: Settings, small: bytes
) -> None:
    data = edit_json(small, lambda document: document["invitations"][0].update(person_id=99_999))
    assert "person_id" in refused(session, client, settings, data, ArchiveError)


def test_a_badly_typed_row_is_refused(
    session: Session, client: TestClient, settings: Settings, small: bytes
) -> None:
    data = edit_json(small, lambda document: document["agenda"][0].update(title=""))
    assert "agenda[0]" in refused(session, client, settings, data, ArchiveError)


def test_a_conflict_late_in_the_import_undoes_everything(
    session: Session, client: TestClient, settings: Settings, small: bytes
) -> None:
    def clash(document: dict[str, Any]) -> None:
        document["people"][0]["username"] = "chua.co"  # would be created first
        document["events"].append(dict(document["events"][0]))  # the same seq twice

    data = edit_json(small, clash)
    refused(session, client, settings, data, ArchiveError)
    assert session.exec(select(Person).where(Person.username == "chua.co")).first() is None


def test_cli_exports_and_imports(
    session: Session, client: TestClient, cli_env: dict[str, str], tmp_path: Path
) -> None:
    clerk = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk, title="Họp xuất nhập")
    make_document(session, client, meeting, clerk)
    target = tmp_path / "meeting.zip"
    runner = CliRunner()
    result = runner.invoke(hop, ["archive", "export", str(meeting.id), str(target)], env=cli_env)
    assert result.exit_code == 0, result.output
    result = runner.invoke(hop, ["archive", "import", str(target)], env=cli_env)
    assert result.exit_code == 0, result.output
    titles = session.exec(select(Meeting.title).where(Meeting.title == "Họp xuất nhập")).all()
    assert len(titles) == 2
    target.write_bytes(b"not a zip")
    result = runner.invoke(hop, ["archive", "import", str(target)], env=cli_env)
    assert result.exit_code == 1
    assert "not a zip" in result.output
    result = runner.invoke(hop, ["archive", "export", "99999", str(target)], env=cli_env)
    assert (result.exit_code, "not found" in result.output) == (1, True)
