"""`hop enroll`, `hop purge-faces`, `hop eval-faces` and `hop kiosk`: face check-in from a shell."""

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from checkin.matching import DEFAULT_ACCEPT, DEFAULT_GREY, DEFAULT_MARGIN
from cli.db import database
from core.images import PHOTO_SUFFIXES as IMAGE_SUFFIXES
from web.settings import get_settings

DEFAULT_WORKERS = min(os.cpu_count() or 1, 4)


def register(app: typer.Typer) -> None:
    """Add the face commands to the `hop` app."""
    app.command("enroll")(enroll)
    app.command("purge-faces")(purge_faces)
    app.command("eval-faces")(eval_faces)
    app.command("kiosk")(kiosk)


# -- enroll -----------------------------------------------------------------------------------


@dataclass
class EnrolSummary:
    enrolled: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)


def find_person(session: Any, folder: str) -> Any:
    """The person a folder names: by username, else by full name (underscores as spaces)."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from models import Person

    person = session.exec(select(Person).where(Person.username == folder.lower())).first()
    if person is not None:
        return person
    name = folder.replace("_", " ").strip().casefold()
    matches = session.exec(select(Person).where(func.lower(col(Person.full_name)) == name)).all()
    if not matches:  # SQLite lowercases ASCII only: compare Vietnamese names in Python
        everyone = session.exec(select(Person)).all()
        matches = [p for p in everyone if p.full_name.casefold() == name]
    return matches[0] if len(matches) == 1 else None


def _photos(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def _analyse(paths: list[Path], workers: int) -> Iterator[tuple[Path, Any]]:
    """Each photo's enrolment face or the error refusing it; in a pool when workers > 0."""
    from checkin import engine
    from checkin.pool import FacePool
    from core.errors import HopError

    if workers <= 0:
        for path in paths:
            try:
                yield path, engine.analyse_enrolment_photo(path.read_bytes())
            except HopError as error:
                yield path, error
        return
    with FacePool(workers=workers, max_pending=len(paths) + 1) as pool:
        futures = [(p, pool.submit(engine.analyse_enrolment_photo, p.read_bytes())) for p in paths]
        for path, future in futures:
            try:
                yield path, future.result()
            except HopError as error:
                yield path, error


def enroll(
    folder: Annotated[Path, typer.Argument(help="One sub-folder of photos per person")],
    consent_by: Annotated[
        str, typer.Option("--consent-by", help="Username of the operator recording consent")
    ],
    workers: Annotated[int, typer.Option(help="Face engine processes (0: in this process)")] = 2,
) -> None:
    """Enrol faces from DIR/<username or full name>/*.jpg; consent recorded by --consent-by."""
    from checkin import gallery
    from checkin.crypto import FaceCipher
    from checkin.engine import EnrolmentFace

    if not folder.is_dir():
        typer.echo(f"hop enroll: {folder} is not a folder", err=True)
        raise typer.Exit(2)
    settings = get_settings()
    cipher = FaceCipher.from_secret(settings.resolved_secret_key)
    summary = EnrolSummary()
    with database() as session:
        operator = find_person(session, consent_by)
        if operator is None or operator.username != consent_by.lower():
            typer.echo(f"hop enroll: no user {consent_by!r} to record the consent", err=True)
            raise typer.Exit(2)
        plan: list[tuple[Any, Path]] = []
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            person = find_person(session, sub.name)
            photos = _photos(sub)
            if person is None:
                summary.skipped.append((sub.name, "no person with this username or full name"))
            elif not photos:
                summary.skipped.append((sub.name, "no JPEG, PNG, WebP or HEIC photos"))
            else:
                plan += [(person, photo) for photo in photos]
        people = {person.id: person for person, _ in plan}
        for person in people.values():
            if gallery.active_consent(session=session, person_id=person.id) is None:
                gallery.record_consent(
                    session=session,
                    person_id=person.id,
                    recorded_by=operator.id,
                    note=f"hop enroll {folder.name}",
                )
        owners = {photo: person for person, photo in plan}
        with typer.progressbar(length=len(plan), label="Enrolling") as bar:
            for path, result in _analyse([photo for _, photo in plan], workers):
                bar.update(1)
                label = f"{path.parent.name}/{path.name}"
                if not isinstance(result, EnrolmentFace):
                    summary.skipped.append((label, f"{type(result).__name__}: {result.detail}"))
                    continue
                stored = gallery.enrol_face(
                    session=session,
                    cipher=cipher,
                    person_id=owners[path].id,
                    face=result,
                    source=label,
                    created_by=operator.id,
                )
                summary.enrolled.append(label)
                if stored.warning:
                    summary.warnings.append(f"{label}: {stored.warning}")
    _print_summary(summary)


def _print_summary(summary: EnrolSummary) -> None:
    typer.echo(f"Enrolled {len(summary.enrolled)} photos; skipped {len(summary.skipped)}.")
    for warning in summary.warnings:
        typer.echo(f"  warning: {warning}")
    for what, why in summary.skipped:
        typer.echo(f"  skipped {what}: {why}")


# -- purge-faces ------------------------------------------------------------------------------


def purge_faces(
    person: Annotated[str | None, typer.Option("--person", help="Username or full name")] = None,
    older_than: Annotated[
        int | None, typer.Option("--older-than", help="Faces enrolled more than DAYS ago")
    ] = None,
    expired: Annotated[
        bool,
        typer.Option(
            "--expired",
            help="Faces past HOP_FACE_RETENTION_DAYS, and faces without a standing consent",
        ),
    ] = False,
) -> None:
    """Delete biometric data: one person's, every face older than DAYS, or what has expired."""
    from checkin import gallery, retention
    from core import audit

    if sum((person is not None, older_than is not None, expired)) != 1:
        typer.echo("hop purge-faces: give one of --person, --older-than or --expired", err=True)
        raise typer.Exit(2)
    with database() as session:
        audit.bind(session, actor="cli")
        if expired:
            days = get_settings().face_retention_days
            result = retention.purge_expired(session=session, retention_days=days)
            kept = f"{days} days" if days else "no time limit"
            typer.echo(f"Deleted {result.faces} expired or unconsented faces (retention: {kept}).")
        elif person is not None:
            found = find_person(session, person)
            if found is None:
                typer.echo(f"hop purge-faces: no person {person!r}", err=True)
                raise typer.Exit(1)
            result = gallery.purge_person(session=session, person_id=found.id)
            typer.echo(f"Deleted {result.faces} faces of {found.username}.")
        else:
            assert older_than is not None
            if older_than < 0:
                typer.echo("hop purge-faces: --older-than cannot be negative", err=True)
                raise typer.Exit(2)
            result = gallery.purge_older_than(session=session, days=older_than)
            typer.echo(f"Deleted {result.faces} faces enrolled more than {older_than} days ago.")


# -- eval-faces -------------------------------------------------------------------------------


def eval_faces(
    folder: Annotated[Path, typer.Argument(help="One sub-folder of photos per person")],
    enrol: Annotated[
        int | None,
        typer.Option(
            "--enrol",
            min=1,
            metavar="K",
            help="Photos enrolled per person (default: report K = 1 and K = 2)",
        ),
    ] = None,
    accept: Annotated[
        float, typer.Option(help="Accept a face under this distance (with the margin)")
    ] = DEFAULT_ACCEPT,
    margin: Annotated[
        float, typer.Option(help="How much further the second-best person must be")
    ] = DEFAULT_MARGIN,
    grey: Annotated[
        float, typer.Option(help="Ask the person to tap their name under this distance")
    ] = DEFAULT_GREY,
    workers: Annotated[
        int, typer.Option(help="Face engine processes (0: in this process)")
    ] = DEFAULT_WORKERS,
) -> None:
    """How face check-in does on your own labelled photos: identified, grey, rejected and
    misidentified probes, strangers accepted, with and without templates that learn;
    pairwise true/false accept rates; every rejected photo and why."""
    from checkin import evaluate
    from checkin.matching import Thresholds

    try:
        thresholds = Thresholds(accept=accept, margin=margin, grey=grey)
    except ValueError as error:
        typer.echo(f"hop eval-faces: {error}", err=True)
        raise typer.Exit(2) from error
    options = evaluate.EvalOptions(
        folder=folder,
        enrol=(enrol,) if enrol else evaluate.DEFAULT_ENROL,
        thresholds=thresholds,
        workers=workers,
    )
    raise typer.Exit(evaluate.run(options))


# -- kiosk ------------------------------------------------------------------------------------


def _source(camera: str) -> Any:
    import cv2

    capture = cv2.VideoCapture(int(camera) if camera.isdigit() else camera)
    if not capture.isOpened():
        typer.echo(f"hop kiosk: cannot open {camera}", err=True)
        raise typer.Exit(2)
    return capture


def _frames(capture: Any, *, realtime: bool, max_width: int) -> Iterator[bytes]:
    """JPEG frames; with `realtime`, a video file plays at its own speed (late frames dropped)."""
    import cv2

    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    start = time.monotonic()
    index = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            return
        index += 1
        if realtime and index / fps < time.monotonic() - start:
            continue  # the file runs ahead of the server: keep only current frames
        if frame.shape[1] > max_width:
            scale = max_width / frame.shape[1]
            frame = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
        if ok:
            yield jpeg.tobytes()


def kiosk_url(server: str, meeting: int) -> str:
    base = server.rstrip("/")
    scheme, _, rest = base.partition("://")
    ws_scheme = {"https": "wss", "http": "ws", "wss": "wss", "ws": "ws"}.get(scheme, "ws")
    return f"{ws_scheme}://{rest or scheme}/ws/kiosk/{meeting}"


def kiosk(
    camera: Annotated[str, typer.Option(help="Camera index, RTSP URL or video file")] = "0",
    server: Annotated[str, typer.Option(help="Hop server URL")] = "http://127.0.0.1:8000",
    token: Annotated[str, typer.Option(help="Kiosk device token", envvar="HOP_KIOSK_TOKEN")] = "",
    meeting: Annotated[int, typer.Option(help="Meeting id")] = 0,
    max_seconds: Annotated[float, typer.Option(help="Stop after this long (0: never)")] = 0.0,
    max_width: Annotated[int, typer.Option(help="Frames are shrunk to this width")] = 640,
    verbose: Annotated[bool, typer.Option(help="Print every answer")] = False,
    realtime: Annotated[
        bool, typer.Option(help="Play a video file at its own speed, dropping late frames")
    ] = False,
) -> None:
    """Stream an OpenCV source to the kiosk websocket and print the decisions."""
    from websockets.sync.client import connect

    if not token or not meeting:
        typer.echo("hop kiosk: --token and --meeting are required", err=True)
        raise typer.Exit(2)
    capture = _source(camera)
    deadline = time.monotonic() + max_seconds if max_seconds > 0 else None
    headers = {"Authorization": f"Bearer {token}"}
    checked_in = 0
    try:
        with connect(kiosk_url(server, meeting), additional_headers=headers) as socket:
            for jpeg in _frames(capture, realtime=realtime, max_width=max_width):
                if deadline is not None and time.monotonic() > deadline:
                    break
                socket.send(jpeg)
                answer = json.loads(socket.recv(timeout=30))
                checked_in += _print_answer(answer, verbose)
    finally:
        capture.release()
    typer.echo(f"Checked in: {checked_in}.")


def _print_answer(answer: dict[str, Any], verbose: bool) -> int:
    if answer.get("type") == "error":
        typer.echo(f"error: {answer.get('error')}: {answer.get('detail')}", err=True)
        return 0
    if verbose:
        states = ", ".join(f"{f['state']}:{f.get('name') or '?'}" for f in answer["faces"])
        typer.echo(f"faces: {states or '-'}")
    for person in answer.get("checked_in", []):
        seat = f", seat {person['seat']}" if person.get("seat") else ""
        typer.echo(f"checked in: {person['name']}{seat} ({person['method']})")
    return len(answer.get("checked_in", []))
