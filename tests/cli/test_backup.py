"""`hop backup` and `hop restore`: a meeting, a person and a document's bytes come back in a fresh
database and data folder (SQLite, or PostgreSQL under HOP_TEST_DATABASE_URL); a changed archive,
a non-empty target and files that are no backup are refused; an older schema is migrated."""

import io
import json
import shutil
import tarfile
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli.backupset import dated
from cli.main import app as hop
from models import Document, DocumentVersion, Meeting, Person
from models.db import make_engine
from models.migrate import alembic_config, upgrade
from tests.factories import PG_URL, make_meeting, make_person, pdf_bytes, upload
from web.settings import Settings

runner = CliRunner()


@pytest.fixture
def fresh_url(tmp_path: Path) -> Iterator[str]:
    """An empty database to restore into: a new SQLite file, or a second PostgreSQL database
    beside the test database, dropped afterwards."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'fresh' / 'hop.db'}"
        return
    for program in ("pg_dump", "pg_restore"):
        if shutil.which(program) is None:
            pytest.fail(f"{program} is missing: the PostgreSQL pass needs the client programs")
    base = make_url(PG_URL)
    name = f"{base.database}_restore_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def env_for(url: str, data_dir: Path, secret: str) -> dict[str, str]:
    return {"HOP_DATABASE_URL": url, "HOP_DATA_DIR": str(data_dir), "HOP_SECRET_KEY": secret}


def hop_run(*arguments: str, env: dict[str, str]) -> tuple[int, str]:
    outcome = runner.invoke(hop, list(arguments), env=env)
    return outcome.exit_code, outcome.output


@pytest.fixture
def content() -> bytes:
    return pdf_bytes(f"Nghị quyết {uuid.uuid4().hex}")


@pytest.fixture
def staged(session: Session, clerk_client: TestClient, clerk: Person, content: bytes) -> Meeting:
    """A meeting with a delegate and a document uploaded through the API."""
    make_person(session, username="daibieu_backup", full_name="Lê Thị Sao Lưu")
    meeting = make_meeting(session, creator=clerk, title="Kỳ họp sao lưu")
    response = upload(clerk_client, meeting.id, content, title="Dự thảo nghị quyết")
    assert response.status_code == 201, response.text
    return meeting


@pytest.mark.parametrize("dest_name", ["backup", "backup.tar"])
def test_a_backup_restores_into_a_fresh_database_and_data_folder(
    tmp_path: Path,
    cli_env: dict[str, str],
    settings: Settings,
    staged: Meeting,
    content: bytes,
    fresh_url: str,
    dest_name: str,
) -> None:
    dest = tmp_path / dest_name
    code, output = hop_run("backup", str(dest), env=cli_env)
    assert code == 0, output
    manifest = _manifest(dest)
    assert manifest["alembic_revision"] == _head()
    kind = make_url(settings.resolved_database_url).get_backend_name()
    assert manifest["database"]["kind"] == kind

    data_dir = tmp_path / "restored-var"
    env = env_for(fresh_url, data_dir, settings.secret_key)
    code, output = hop_run("restore", str(dest), env=env)
    assert code == 0, output
    assert "Restored the backup" in output
    assert "Warning" not in output

    engine = make_engine(fresh_url)
    try:
        with Session(engine) as session:
            meeting = session.get(Meeting, staged.id)
            assert meeting is not None
            assert meeting.title == "Kỳ họp sao lưu"
            person = session.exec(select(Person).where(Person.username == "daibieu_backup")).one()
            assert person.full_name == "Lê Thị Sao Lưu"
            document = session.exec(select(Document).where(Document.meeting_id == meeting.id)).one()
            version = session.exec(
                select(DocumentVersion).where(DocumentVersion.document_id == document.id)
            ).one()
    finally:
        engine.dispose()
    blob = data_dir / "files" / version.blob_sha256[:2] / version.blob_sha256
    assert blob.read_bytes() == content


def test_a_changed_archive_is_refused(
    tmp_path: Path, cli_env: dict[str, str], settings: Settings, staged: Meeting, fresh_url: str
) -> None:
    dest = tmp_path / "backup.tar"
    assert hop_run("backup", str(dest), env=cli_env)[0] == 0
    tampered = tmp_path / "tampered.tar"
    with tarfile.open(dest) as source, tarfile.open(tampered, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member) if member.isfile() else None
            if data is not None and member.name.startswith("data/files/"):
                body = bytearray(data.read())
                body[-20] ^= 0xFF  # one flipped byte in a stored document
                target.addfile(member, io.BytesIO(bytes(body)))
            else:
                target.addfile(member, data)

    env = env_for(fresh_url, tmp_path / "restored-var", settings.secret_key)
    code, output = hop_run("restore", str(tampered), env=env)
    assert code == 1
    assert "fails its sha256 check" in output
    assert not (tmp_path / "restored-var" / "files").exists()


def test_a_target_holding_data_is_refused_unless_forced(
    tmp_path: Path, cli_env: dict[str, str], settings: Settings, staged: Meeting, fresh_url: str
) -> None:
    dest = tmp_path / "backup"
    assert hop_run("backup", str(dest), env=cli_env)[0] == 0
    env = env_for(fresh_url, tmp_path / "restored-var", settings.secret_key)
    assert hop_run("restore", str(dest), env=env)[0] == 0

    code, output = hop_run("restore", str(dest), env=env)
    assert code == 1
    assert "already holds data" in output
    assert "--force" in output

    code, output = hop_run("restore", "--force", str(dest), env=env)
    assert code == 0, output


@pytest.mark.nodb
def test_an_older_schema_is_migrated_after_the_restore(tmp_path: Path) -> None:
    head = _head()
    older = (
        ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(head).down_revision
    )
    assert isinstance(older, str)
    source_url = f"sqlite:///{tmp_path / 'old' / 'hop.db'}"
    upgrade(source_url, older)
    secret = "backup-tests-secret-key-long-enough-0123456789"
    dest = tmp_path / "old.tar.gz"
    assert hop_run("backup", str(dest), env=env_for(source_url, tmp_path / "old", secret))[0] == 0
    assert _manifest(dest)["alembic_revision"] == older

    target_url = f"sqlite:///{tmp_path / 'new' / 'hop.db'}"
    code, output = hop_run("restore", str(dest), env=env_for(target_url, tmp_path / "new", secret))
    assert code == 0, output
    assert f"migrated to {head}" in output


@pytest.mark.nodb
def test_a_different_secret_key_is_warned_about(tmp_path: Path) -> None:
    source_url = f"sqlite:///{tmp_path / 'a' / 'hop.db'}"
    upgrade(source_url)
    first = "the-first-secret-key-that-is-long-enough-0123"
    backup = str(tmp_path / "b")
    assert hop_run("backup", backup, env=env_for(source_url, tmp_path / "a", first))[0] == 0
    other = "another-secret-key-that-is-long-enough-98765"
    target = f"sqlite:///{tmp_path / 'c' / 'hop.db'}"
    code, output = hop_run("restore", backup, env=env_for(target, tmp_path / "c", other))
    assert code == 0, output
    assert "Warning:" in output
    assert "HOP_SECRET_KEY" in output


@pytest.mark.nodb
def test_files_that_are_no_backup_are_refused(tmp_path: Path) -> None:
    env = env_for(f"sqlite:///{tmp_path / 'var' / 'hop.db'}", tmp_path / "var", "x" * 40)
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"not an archive at all")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "neither a folder nor a tar archive" in hop_run("restore", str(junk), env=env)[1]
    assert "no manifest.json" in hop_run("restore", str(empty), env=env)[1]
    assert "does not exist" in hop_run("restore", str(tmp_path / "missing.tar"), env=env)[1]

    upgrade(env["HOP_DATABASE_URL"])
    backup = tmp_path / "backup"
    assert hop_run("backup", str(backup), env=env)[0] == 0
    (backup / "data" / "extra").parent.mkdir(exist_ok=True)
    (backup / "data" / "extra").write_text("slipped in")
    assert "does not list: data/extra" in hop_run("restore", str(backup), env=env)[1]
    (backup / "data" / "extra").unlink()
    (backup / "database.sqlite3").unlink()
    assert "database.sqlite3 is missing" in hop_run("restore", str(backup), env=env)[1]


@pytest.mark.nodb
def test_a_missing_pg_dump_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("cli.dbdump.shutil.which", lambda _name: None)
    env = env_for("postgresql://hop@127.0.0.1:1/hop", tmp_path / "var", "x" * 40)
    code, output = hop_run("backup", str(tmp_path / "b"), env=env)
    assert code == 1
    assert "pg_dump is not installed" in output


def test_an_existing_destination_is_not_overwritten(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    taken = tmp_path / "taken.tar"
    taken.write_bytes(b"something else")
    code, output = hop_run("backup", str(taken), env=cli_env)
    assert code == 1
    assert "already exists" in output
    assert taken.read_bytes() == b"something else"


def _manifest(dest: Path) -> dict:  # type: ignore[type-arg]
    if dest.is_dir():
        return json.loads((dest / "manifest.json").read_text())  # type: ignore[no-any-return]
    with tarfile.open(dest) as archive:
        member = archive.extractfile("manifest.json")
        assert member is not None
        return json.loads(member.read())  # type: ignore[no-any-return]


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


@pytest.mark.nodb
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("hop.tar", "hop-20261205-223000.tar"),
        ("hop.tar.gz", "hop-20261205-223000.tar.gz"),
        ("hop", "hop-20261205-223000"),
    ],
)
def test_dated_names_keep_the_archive_suffix(name: str, expected: str) -> None:
    assert dated(Path("/b") / name, datetime(2026, 12, 5, 22, 30)) == Path("/b") / expected
