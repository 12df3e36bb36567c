"""Biometric privacy: no plaintext embedding anywhere in the database, a per-person report,
retention purge, and an opt-out that leaves QR and desk check-in working."""

import re
import struct
from datetime import timedelta
from typing import Any

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from checkin import gallery, retention
from cli.main import app as hop
from models import FaceEmbedding, Meeting, Person, Role
from models.base import utcnow
from tests.factories import login, make_user
from tests.web.checkin_support import (
    assert_no_embedding,
    enrol,
    enrolment_face,
    face_client,
    face_session,
    invited,
    json_text,
    kiosk_token,
    qr_frame,
    staff_and_meeting,
)
from web.settings import Settings

__all__ = ["face_client", "face_session"]

OBAMA = ("people/obama/obama.jpg", "people/obama/obama2.jpg")
BIDEN = ("people/biden/biden.jpg",)


def needles(embedding: np.ndarray) -> tuple[list[bytes], list[str]]:
    """What a plaintext embedding would look like stored: raw bytes, or numbers as text."""
    raw = [
        embedding[:8].astype("<f4").tobytes(),
        embedding[:8].astype(">f4").tobytes(),
        embedding[:8].astype("<f8").tobytes(),
        embedding[:8].astype(">f8").tobytes(),
        struct.pack("<4f", *embedding[:4]),
    ]
    texts = [f"{embedding[0]:.6f}"[:-1], repr(float(embedding[0]))[:8]]
    return raw, texts


def every_value(session: Session) -> list[tuple[str, str, Any]]:
    """(table, column, value) for every column of every row of every table."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for row in session.connection().execute(sa_select(table)).mappings():
            found += [(table.name, column, value) for column, value in row.items()]
    return found


def enrolled_obama(
    client: TestClient, session: Session, settings: Settings, seat: str = "A01"
) -> tuple[Person, Meeting, Person]:
    """The clerk, a meeting, and Obama invited to it with both his photos enrolled."""
    clerk, meeting = staff_and_meeting(client, session)
    obama = invited(session, meeting, "Barack Obama", seat=seat)
    enrol(session, settings, obama, *OBAMA)
    return clerk, meeting, obama


def test_the_database_holds_no_plaintext_embedding(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    _, _, obama = enrolled_obama(face_client, face_session, settings)
    embeddings = [enrolment_face(photo).embedding for photo in OBAMA]
    values = every_value(face_session)
    assert any(table == "face_embedding" for table, _, _ in values)
    sealed = [v for t, c, v in values if (t, c) == ("face_embedding", "sealed_embedding")]
    assert len(sealed) == 2
    for embedding in embeddings:
        raw, texts = needles(embedding)
        for table, column, value in values:
            where = f"{table}.{column}"
            if isinstance(value, bytes | bytearray | memoryview):
                blob = bytes(value)
                assert not any(needle in blob for needle in raw), where
            elif isinstance(value, str):
                assert not any(text in value for text in texts), where
                assert_no_embedding(value)
    # The sealed value is not the embedding in any shape: it is AES-GCM output.
    for blob in sealed:
        assert len(bytes(blob)) == 1 + 12 + 128 * 4 + 16


def test_the_report_says_what_since_when_by_whom_and_until_when(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    clerk, meeting = staff_and_meeting(face_client, face_session)
    obama = invited(face_session, meeting, "Barack Obama")
    assert obama.id is not None
    gallery.record_consent(
        session=face_session, person_id=obama.id, recorded_by=clerk.id, note="giấy đồng ý số 7"
    )
    enrol(face_session, settings, obama, *OBAMA)
    response = face_client.get(f"/api/people/{obama.id}/biometrics")
    assert response.status_code == 200, response.text
    report = response.json()
    assert "embedding" in report["stored"]
    assert "AES-256-GCM" in report["stored"]
    assert len(report["faces"]) == 2
    assert report["since"].startswith(report["faces"][0]["created_at"])
    assert report["consent_active"] is True
    assert report["consents"][0]["recorded_by"] == clerk.username
    assert report["consents"][0]["note"] == "giấy đồng ý số 7"
    assert report["retention_days"] == settings.face_retention_days == 365
    assert report["purge_after"] is not None
    assert report["photos_kept"] == 0
    assert_no_embedding(json_text(report))
    assert "sealed" not in response.text


def test_a_person_reads_their_own_report_but_not_another_ones(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    obama = invited(face_session, meeting, "Barack Obama")
    other = make_user(face_session)
    login(face_client, obama)
    assert face_client.get(f"/api/people/{obama.id}/biometrics").status_code == 200
    assert face_client.get(f"/api/people/{other.id}/biometrics").status_code == 403
    refused = face_client.post(f"/api/people/{other.id}/consent/withdraw")
    assert refused.status_code == 403


def backdate(session: Session, person: Person, days: int) -> None:
    old = utcnow() - timedelta(days=days)
    session.exec(  # type: ignore[call-overload]
        update(FaceEmbedding).where(FaceEmbedding.person_id == person.id).values(created_at=old)
    )
    session.commit()


def faces_of(session: Session, person: Person) -> int:
    session.expire_all()
    return len(gallery.list_faces(session=session, person_id=person.id or 0))


def test_retention_purges_old_faces_and_faces_without_consent(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    old = invited(face_session, meeting, "Barack Obama")
    recent = invited(face_session, meeting, "Joe Biden")
    enrol(face_session, settings, old, *OBAMA)
    enrol(face_session, settings, recent, *BIDEN)
    backdate(face_session, old, days=400)
    result = retention.purge_expired(session=face_session, retention_days=365)
    assert result.faces == 2
    assert faces_of(face_session, old) == 0
    assert faces_of(face_session, recent) == 1
    # A face whose consent is gone (say, restored from a backup) goes at the next purge too.
    assert recent.id is not None
    enrol(face_session, settings, old, OBAMA[0])
    face_session.exec(  # type: ignore[call-overload]
        update(gallery.FaceConsent)
        .where(gallery.FaceConsent.person_id == recent.id)
        .values(withdrawn_at=utcnow())
    )
    face_session.commit()
    assert retention.purge_expired(session=face_session, retention_days=0).faces == 1
    assert faces_of(face_session, recent) == 0
    assert faces_of(face_session, old) == 1  # consented, and no time limit


def test_hop_purge_faces_expired_uses_the_retention_setting(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    _, meeting = staff_and_meeting(face_client, face_session)
    old = invited(face_session, meeting, "Barack Obama")
    enrol(face_session, settings, old, *OBAMA)
    backdate(face_session, old, days=40)
    env = {
        "HOP_DATABASE_URL": settings.resolved_database_url,
        "HOP_DATA_DIR": str(settings.data_dir),
        "HOP_SECRET_KEY": settings.secret_key,
        "HOP_FACE_RETENTION_DAYS": "30",
    }
    result = CliRunner().invoke(hop, ["purge-faces", "--expired"], env=env)
    assert result.exit_code == 0, result.output
    assert "Deleted 2 expired" in result.output
    assert re.search(r"retention: 30 days", result.output)
    assert faces_of(face_session, old) == 0


def test_opting_out_deletes_the_faces_and_qr_and_desk_check_in_still_work(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    clerk, meeting = staff_and_meeting(face_client, face_session)
    obama = invited(face_session, meeting, "Barack Obama", seat="A07")
    biden = invited(face_session, meeting, "Joe Biden", seat="A08")
    enrol(face_session, settings, obama, *OBAMA)
    enrol(face_session, settings, biden, *BIDEN)
    login(face_client, obama)  # the person opts out themself
    opted = face_client.post(f"/api/people/{obama.id}/consent/withdraw")
    assert opted.status_code == 200, opted.text
    assert opted.json() == {"person_id": obama.id, "faces_deleted": 2, "consent_active": False}
    assert faces_of(face_session, obama) == 0
    report = face_client.get(f"/api/people/{obama.id}/biometrics").json()
    assert report["consent_active"] is False
    assert report["consents"][0]["withdrawn_at"] is not None
    assert report["faces"] == []
    # No face can be enrolled again without a new consent.
    login(face_client, clerk)
    enrolled = face_client.post(
        f"/api/people/{obama.id}/faces", files={"photo": ("x.jpg", b"\xff\xd8", "image/jpeg")}
    )
    assert enrolled.status_code == 409
    # QR at the kiosk checks the opted-out person in.
    invitation = next(
        row
        for row in face_client.get(f"/api/meetings/{meeting.id}/invitations").json()
        if row["person_id"] == obama.id
    )
    signer = face_client.app.state.hop.faces.signer  # type: ignore[attr-defined]
    code = signer.sign(meeting_id=meeting.id, invitation_id=invitation["id"])
    token = kiosk_token(face_client, meeting.id)
    face_client.cookies.clear()  # the kiosk has its token, no login
    frame = face_client.post(
        f"/api/meetings/{meeting.id}/checkin/frame",
        content=qr_frame(code),
        headers={"authorization": f"Bearer {token}", "content-type": "image/jpeg"},
    )
    login(face_client, clerk)
    assert frame.status_code == 200, frame.text
    assert [(a["person_id"], a["method"]) for a in frame.json()["checked_in"]] == [(obama.id, "qr")]
    # And the desk checks someone else in by hand (the other opt-out path of the day).
    face_client.post(f"/api/people/{biden.id}/consent/withdraw")
    desk = face_client.post(
        f"/api/meetings/{meeting.id}/attendance",
        json={"person_id": biden.id, "action": "check_in", "reason": "không dùng khuôn mặt"},
    )
    assert desk.status_code == 200, desk.text
    assert desk.json()["present"] is True
    people = face_client.get(f"/api/meetings/{meeting.id}/attendance").json()["people"]
    methods = {row["person_id"]: row["method"] for row in people}
    assert methods == {obama.id: "qr", biden.id: "manual"}


def test_opting_out_an_unknown_person_is_404_and_changes_nothing(
    face_client: TestClient, face_session: Session
) -> None:
    staff_and_meeting(face_client, face_session)
    make_user(face_session, role=Role.delegate)
    response = face_client.post("/api/people/99999/consent/withdraw")
    assert response.status_code == 404


def test_a_person_opts_out_from_their_own_page(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    _, _, obama = enrolled_obama(face_client, face_session, settings, seat="A07")
    login(face_client, obama)
    page = face_client.get("/my/faces")
    assert page.status_code == 200
    assert "Dữ liệu khuôn mặt của tôi" in page.text
    assert "/my/faces/withdraw" in page.text
    # (CSRF on this form, as on every form: tests/web/test_csrf_forms.py)
    done = face_client.post("/my/faces/withdraw")
    assert done.status_code == 200
    assert "bàn đón tiếp" in done.text
    assert faces_of(face_session, obama) == 0
    english = face_client.get("/my/faces", params={"lang": "en"})
    assert "No face is enrolled." in english.text


def test_the_secretariat_records_an_opt_out_on_the_enrol_page(
    face_client: TestClient, face_session: Session, settings: Settings
) -> None:
    clerk, _, obama = enrolled_obama(face_client, face_session, settings, seat="A07")
    login(face_client, clerk)
    page = face_client.get(f"/people/{obama.id}/faces")
    assert f"/people/{obama.id}/faces/withdraw" in page.text
    done = face_client.post(f"/people/{obama.id}/faces/withdraw")
    assert done.status_code == 200
    assert faces_of(face_session, obama) == 0
    report = face_client.get(f"/api/people/{obama.id}/biometrics").json()
    assert report["consent_active"] is False
    login(face_client, obama)
    assert face_client.post(f"/people/{obama.id}/faces/withdraw").status_code in (403, 404)
