"""A whole meeting as one zip, `meeting.json` plus its documents' files as `documents/<sha256>`,
and the import that turns such a zip into a new meeting.

An import trusts nothing in the zip: the format version, every row's types and limits, every
reference and every file's sha256 are checked, the members' sizes are bounded, and all rows go
in in one transaction, so a bad archive is a 4xx and leaves the database as it was."""

import json
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO, cast

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, col, select

from core.errors import ConflictError, PayloadTooLargeError
from meetings.documents import Uploads
from meetings.errors import FileTooLargeError
from meetings.storage import BlobStore, StagedFile
from models import Blob, Meeting, MeetingCreate, Person, Role
from models.base import utcnow
from models.meeting import AGENDA_ITEMS_MAX
from records.archive_format import (
    FORMAT,
    FORMAT_VERSION,
    KINDS,
    MEETING_REFS,
    PERSON_DROP,
    SHA256,
    USERNAME,
    ArchiveError,
    Kind,
    check_row,
    rows_of,
)
from records.archive_json import MAX_DEPTH, Maps, nesting_depth_exceeds

ARCHIVE_JSON = "meeting.json"
BLOB_PREFIX = "documents/"
MAX_JSON_BYTES = 64 * 1024 * 1024
MAX_MEMBERS = 10_000


class ArchiveTooLargeError(PayloadTooLargeError):
    pass


class ArchiveVersionError(ArchiveError):
    pass


class MissingFileError(ConflictError):
    """A document's stored file is gone from the data folder."""


# -- export -----------------------------------------------------------------------------------


def export_meeting(*, session: Session, store: BlobStore, meeting: Meeting, target: Any) -> None:
    """Write the meeting's archive (a zip) to target, a path or a writable binary file."""
    document = archive_document(session=session, meeting=meeting)
    paths = {blob["sha256"]: store.path_for(blob["sha256"]) for blob in document["blobs"]}
    missing = [sha for sha, path in paths.items() if not path.is_file()]
    if missing:
        raise MissingFileError(f"The stored file {missing[0]} is missing from the data folder")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        text = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True)
        archive.writestr(ARCHIVE_JSON, text)
        for sha, path in paths.items():
            archive.write(path, BLOB_PREFIX + sha)


def archive_document(*, session: Session, meeting: Meeting) -> dict[str, Any]:
    """Everything about the meeting as JSON-ready data: the contents of meeting.json."""
    assert meeting.id is not None
    ids: dict[str, set[Any]] = {"meeting": {meeting.id}}
    seen: dict[str, set[Any]] = {"person": {meeting.chair_id, meeting.created_by}}
    document: dict[str, Any] = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": utcnow().isoformat(),
        "meeting": _dump(meeting),
    }
    for kind in KINDS:
        rows = _rows(session, kind, ids)
        document[kind.key] = [_dump(row, kind.drop) for row in rows]
        if kind.own is not None:
            ids[kind.own] = {getattr(row, "id", None) for row in rows}
        for column, name in kind.refs.items():
            seen.setdefault(name, set()).update(getattr(row, column) for row in rows)
    document["blobs"] = [_dump(row) for row in _by_key(session, Blob, "sha256", seen.get("blob"))]
    people = _by_key(session, Person, "id", seen["person"])
    document["people"] = [_dump(person, PERSON_DROP) for person in people]
    return document


def _rows(session: Session, kind: Kind, ids: dict[str, set[Any]]) -> list[Any]:
    column, name = kind.parent
    wanted = ids.get(name) or set()
    if not wanted:
        return []
    table: Any = kind.table
    query = select(table).where(col(getattr(table, column)).in_(wanted))
    return list(session.exec(query.order_by(*(getattr(table, key) for key in kind.order))))


def _by_key(session: Session, table: Any, key: str, values: set[Any] | None) -> list[Any]:
    wanted = {value for value in values or () if value is not None}
    if not wanted:
        return []
    column = getattr(table, key)
    return list(session.exec(select(table).where(col(column).in_(wanted)).order_by(column)))


def _dump(row: SQLModel, drop: frozenset[str] = frozenset()) -> dict[str, Any]:
    # Enum columns come back from the database as plain strings, which is what JSON wants.
    return row.model_dump(mode="json", exclude=set(drop), warnings=False)


# -- import -----------------------------------------------------------------------------------


def import_meeting(*, session: Session, uploads: Uploads, source: BinaryIO) -> Meeting:
    """A new meeting made from an archive; people are matched by username."""
    with _open_zip(source) as archive:
        document = _read_document(archive)
        staged = _stage_blobs(archive, document, uploads)
    created: list[str] = []
    try:
        meeting = _insert(session, document, staged)
        created = [sha for sha, file in staged.items() if uploads.store.keep(file)]
        session.commit()
    except BaseException as error:
        session.rollback()
        for file in staged.values():
            uploads.store.discard(file)
        for sha in created:
            uploads.store.remove(sha)
        if isinstance(error, SQLAlchemyError):
            reason = getattr(error, "orig", None) or error
            raise ArchiveError(f"The archive's rows do not fit together: {reason}") from error
        raise
    return meeting


@contextmanager
def _open_zip(source: BinaryIO) -> Iterator[zipfile.ZipFile]:
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ArchiveError("This is not a meeting archive (not a zip file)") from error
    with archive:
        _check_members(archive)
        try:
            yield archive
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as error:
            raise ArchiveError(f"The archive is damaged: {error}") from error


def _check_members(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ArchiveTooLargeError(f"The archive holds more than {MAX_MEMBERS} files")
    names = [member.filename for member in members]
    if len(set(names)) != len(names):
        raise ArchiveError("The archive holds two files of the same name")
    for name in names:
        if name != ARCHIVE_JSON and not _is_blob_name(name):
            raise ArchiveError(f"Unexpected file in the archive: {name[:100]}")


def _is_blob_name(name: str) -> bool:
    return name.startswith(BLOB_PREFIX) and bool(SHA256.match(name[len(BLOB_PREFIX) :]))


def _read_document(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        member = archive.getinfo(ARCHIVE_JSON)
    except KeyError as error:
        raise ArchiveError(f"The archive has no {ARCHIVE_JSON}") from error
    if member.file_size > MAX_JSON_BYTES:
        raise ArchiveTooLargeError(f"{ARCHIVE_JSON} is larger than {MAX_JSON_BYTES} bytes")
    with archive.open(member) as handle:
        raw = handle.read(MAX_JSON_BYTES + 1)
    if len(raw) > MAX_JSON_BYTES:
        raise ArchiveTooLargeError(f"{ARCHIVE_JSON} is larger than {MAX_JSON_BYTES} bytes")
    if nesting_depth_exceeds(raw):
        raise ArchiveError(
            f"{ARCHIVE_JSON} nests its values more than {MAX_DEPTH} levels deep (or its "
            "brackets do not match): it was not written by Hop",
            field="file",
        )
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveError(f"{ARCHIVE_JSON} is not valid JSON: {error}") from error
    _check_version(document)
    return document


def _check_version(document: Any) -> None:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ArchiveVersionError("This is not a Hop meeting archive")
    version = document.get("version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ArchiveVersionError(
            f"Archive format version {version!r} is not supported (this Hop reads "
            f"version {FORMAT_VERSION})"
        )


def _stage_blobs(
    archive: zipfile.ZipFile, document: dict[str, Any], uploads: Uploads
) -> dict[str, StagedFile]:
    """Every listed file copied out, its size bounded and its sha256 checked."""
    staged: dict[str, StagedFile] = {}
    try:
        for index, raw in enumerate(rows_of(document, "blobs")):
            blob = check_row(Blob, raw, f"blobs[{index}]")
            if blob["sha256"] not in staged:
                staged[blob["sha256"]] = _stage_blob(archive, blob["sha256"], uploads)
        _check_all_listed(archive, staged)
    except BaseException:
        for file in staged.values():
            uploads.store.discard(file)
        raise
    return staged


def _stage_blob(archive: zipfile.ZipFile, sha: str, uploads: Uploads) -> StagedFile:
    if not SHA256.match(sha):
        raise ArchiveError(f"Not a sha256 digest: {sha[:80]}")
    try:
        member = archive.getinfo(BLOB_PREFIX + sha)
    except KeyError as error:
        raise ArchiveError(f"The archive lacks the file {sha}") from error
    if member.file_size > uploads.max_bytes:
        raise FileTooLargeError(f"The file {sha} is larger than the upload limit")
    with archive.open(member) as handle:
        file = uploads.stage(cast(BinaryIO, handle))
    if file.sha256 != sha:
        uploads.store.discard(file)
        raise ArchiveError(f"The file {sha} does not match its sha256: it was altered")
    return file


def _check_all_listed(archive: zipfile.ZipFile, staged: dict[str, StagedFile]) -> None:
    for name in archive.namelist():
        if name != ARCHIVE_JSON and name[len(BLOB_PREFIX) :] not in staged:
            raise ArchiveError(f"The file {name} is not listed in {ARCHIVE_JSON}")


def _insert(session: Session, document: dict[str, Any], staged: dict[str, StagedFile]) -> Meeting:
    maps: Maps = {"blob": {sha: sha for sha in staged}}
    _insert_blobs(session, staged)
    _insert_people(session, rows_of(document, "people"), maps)
    meeting = _insert_meeting(session, document.get("meeting"), maps)
    if len(rows_of(document, "agenda")) > AGENDA_ITEMS_MAX:
        # The same cap as the agenda API's, so the imported meeting's minutes can be drafted.
        raise ArchiveError(f"The archive's agenda holds more than {AGENDA_ITEMS_MAX} items")
    for kind in KINDS:
        for index, raw in enumerate(rows_of(document, kind.key)):
            _insert_row(session, kind, raw, f"{kind.key}[{index}]", maps)
    _finish_meeting(meeting, document, maps)
    session.flush()
    return meeting


def _insert_blobs(session: Session, staged: dict[str, StagedFile]) -> None:
    for sha, file in staged.items():
        if session.get(Blob, sha) is None:
            session.add(Blob(sha256=sha, size=file.size, media_type=file.media_type))


def _insert_people(session: Session, rows: list[Any], maps: Maps) -> None:
    people = maps.setdefault("person", {})
    for index, raw in enumerate(rows):
        data = check_row(Person, raw, f"people[{index}]", PERSON_DROP)
        if data["id"] is None or not USERNAME.match(data["username"]):
            raise ArchiveError(f"people[{index}]: needs an id and a valid username")
        people[data["id"]] = _person_for(session, data).id


def _person_for(session: Session, data: dict[str, Any]) -> Person:
    """The person of that username here, or a new one who cannot log in (no password)."""
    query = select(Person).where(Person.username == data["username"])
    person = session.exec(query).first()
    if person is None:
        # A delegate whatever the archive says: an archive must not create staff accounts.
        values = {key: value for key, value in data.items() if key not in ("id", "role")}
        person = Person(**values, role=Role.delegate, password_hash=None)
        session.add(person)
        session.flush()
    return person


def _insert_meeting(session: Session, raw: Any, maps: Maps) -> Meeting:
    data = check_row(Meeting, raw, "meeting", rules=MeetingCreate)
    old_id = data.pop("id")
    maps["current_item"] = {None: data.pop("current_item_id")}
    _map_refs(data, MEETING_REFS, maps, "meeting")
    meeting = Meeting(**data)
    session.add(meeting)
    session.flush()
    maps["meeting"] = {old_id: meeting.id}
    return meeting


def _insert_row(session: Session, kind: Kind, raw: Any, where: str, maps: Maps) -> None:
    data = check_row(kind.table, raw, where, kind.drop)
    old_id = data.pop("id", None)
    _map_refs(data, {**kind.refs, kind.parent[0]: kind.parent[1]}, maps, where)
    if kind.adjust is not None:
        kind.adjust(data, maps)
    row = kind.table(**data)
    session.add(row)
    if kind.own is not None:
        session.flush()  # its new id is needed by the rows that point at it
        maps.setdefault(kind.own, {})[old_id] = getattr(row, "id", None)
    if kind.settle is not None:
        kind.settle(row, maps)


def _map_refs(data: dict[str, Any], refs: dict[str, str], maps: Maps, where: str) -> None:
    for column, name in refs.items():
        old = data.get(column)
        if old is None:
            continue
        new = maps.get(name, {}).get(old)
        if new is None:
            raise ArchiveError(f"{where}: {column} {old!r} refers to nothing in the archive")
        data[column] = new


def _finish_meeting(meeting: Meeting, document: dict[str, Any], maps: Maps) -> None:
    meeting.current_item_id = maps.get("agenda", {}).get(maps["current_item"][None])
    seqs = [row["seq"] for row in rows_of(document, "events") if isinstance(row, dict)]
    meeting.event_seq = max([meeting.event_seq, *seqs])
