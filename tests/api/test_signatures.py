"""Signed records through the API: the secretary and then the chair sign the final minutes with
certificates of a test CA (the chair refused before the secretary), both signatures verify, a
changed byte is reported, expired and untrusted certificates and wrong passphrases change
nothing, the key file is never stored in plaintext, and every step is audited."""

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from models import AuditEntry, Meeting, Person, SigningRecord
from records import signing
from records.pdf_signatures import verify_pdf
from tests.api.test_rounds import create as create_round
from tests.checkin.test_biometric_privacy import every_value
from tests.factories import (
    Scene,
    assert_error,
    invite,
    login,
    make_user,
    pdf_bytes,
    stage_meeting,
)
from tests.records.pki import PASSPHRASE, issue, pkcs12_bytes, root_ca
from web.app import create_app
from web.settings import Settings


@pytest.fixture
def ca_file(tmp_path: Path) -> Path:
    path = tmp_path / "roots" / "hop-test-root.pem"
    path.parent.mkdir()
    path.write_bytes(root_ca().cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.fixture
def signing_client(settings: Settings, ca_file: Path) -> Iterator[TestClient]:
    trusted = settings.model_copy(update={"trust_roots": [ca_file.parent]})
    with TestClient(create_app(trusted)) as client:
        yield client


@pytest.fixture
def scene(session: Session, signing_client: TestClient) -> Scene:
    scene = stage_meeting(session, signing_client)
    login(signing_client, scene.room.clerk)
    url = f"/api/meetings/{scene.meeting.id}/minutes"
    assert signing_client.post(url).status_code == 201
    assert signing_client.post(f"{url}/finalise").status_code == 200
    return scene


def upload(client: TestClient, person: Person, data: bytes, passphrase: str = PASSPHRASE) -> dict:
    login(client, person)
    files = {"file": ("khoa-ky.p12", data, "application/x-pkcs12")}
    response = client.post("/api/me/certificate", files=files, data={"passphrase": passphrase})
    return {"status": response.status_code, **response.json()}


def start(client: TestClient, scene: Scene) -> dict:
    login(client, scene.room.clerk)
    response = client.post(f"/api/meetings/{scene.meeting.id}/minutes/signing")
    assert response.status_code == 201, response.text
    return response.json()


def sign(client: TestClient, person: Person, record_id: int, passphrase: str = PASSPHRASE):
    login(client, person)
    return client.post(f"/api/signing/{record_id}/sign", json={"passphrase": passphrase})


def enrol_signers(client: TestClient, scene: Scene) -> None:
    for person, name in ((scene.room.clerk, "Thư ký"), (scene.room.chair, "Chủ tọa")):
        assert upload(client, person, pkcs12_bytes(issue(name)))["status"] == 201


def test_the_secretary_then_the_chair_sign_the_final_minutes(
    signing_client: TestClient, scene: Scene, ca_file: Path
) -> None:
    enrol_signers(signing_client, scene)
    record = start(signing_client, scene)
    assert [(s["role"], s["signed_at"]) for s in record["steps"]] == [
        ("secretary", None),
        ("chair", None),
    ]
    early = sign(signing_client, scene.room.chair, record["id"])
    assert_error(early, 409, "SigningOrderError")
    first = sign(signing_client, scene.room.clerk, record["id"])
    assert first.status_code == 200, first.text
    assert first.json()["next_position"] == 2
    login(signing_client, scene.room.chair)
    assert [r["id"] for r in signing_client.get("/api/me/to-sign").json()] == [record["id"]]
    second = sign(signing_client, scene.room.chair, record["id"])
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "signed"
    assert_error(sign(signing_client, scene.room.chair, record["id"]), 409, "SigningOrderError")

    pdf = signing_client.get(f"/api/signing/{record['id']}/pdf").content
    assert second.json()["sha256"] == signing.pdf_sha256(pdf)
    checks = verify_pdf(pdf, trust_roots=[root_ca().asn1])
    assert [c.signer_name for c in checks] == ["Thư ký", "Chủ tọa"]
    assert all(c.valid and c.intact and c.trusted and not c.changed_after for c in checks)

    verified = signing_client.post("/api/verify", files={"file": ("bb.pdf", pdf)})
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert (body["record_id"], body["signatures_held"], body["final"]) == (record["id"], 2, True)
    assert all(s["trusted"] and s["intact"] for s in body["signatures"])


def test_a_changed_byte_is_reported(signing_client: TestClient, scene: Scene) -> None:
    enrol_signers(signing_client, scene)
    record = start(signing_client, scene)
    sign(signing_client, scene.room.clerk, record["id"])
    pdf = bytearray(signing_client.get(f"/api/signing/{record['id']}/pdf").content)
    at = pdf.index(b"stream") + 40  # inside the first stream: covered by the signature
    pdf[at] = ord("X") if pdf[at] != ord("X") else ord("Y")
    signing_client.cookies.clear()
    verified = signing_client.post("/api/verify", files={"file": ("bb.pdf", bytes(pdf))})
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert body["record_id"] is None  # not a state Hop holds
    assert len(body["signatures"]) == 1
    assert not body["signatures"][0]["intact"]


def test_the_verification_page_needs_no_login_and_knows_every_state(
    signing_client: TestClient, scene: Scene
) -> None:
    enrol_signers(signing_client, scene)
    record = start(signing_client, scene)
    unsigned = signing_client.get(f"/api/signing/{record['id']}/pdf").content
    sign(signing_client, scene.room.clerk, record["id"])
    signing_client.cookies.clear()
    signing_client.headers.pop("x-csrf-token", None)
    body = signing_client.post("/api/verify", files={"file": ("bb.pdf", unsigned)}).json()
    assert (body["record_id"], body["signatures_held"], body["final"]) == (record["id"], 0, False)
    assert body["signatures"] == []
    assert_error(signing_client.post("/api/verify", files={"file": ("x.pdf", b"")}), 422)
    assert_error(signing_client.post("/api/verify", files={"file": ("x.pdf", b"nope")}), 422)
    # The public summary only once the secretariat made it public.
    assert signing_client.get(f"/api/records/{record['id']}").status_code == 404
    login(signing_client, scene.room.clerk)
    published = signing_client.put(f"/api/signing/{record['id']}/public", json={"public": True})
    assert published.status_code == 200, published.text
    signing_client.cookies.clear()
    summary = signing_client.get(f"/api/records/{record['id']}")
    assert summary.status_code == 200
    assert summary.json()["steps"][0]["signed_at"] is not None


def test_a_wrong_passphrase_changes_nothing_and_is_audited(
    signing_client: TestClient, scene: Scene, session: Session
) -> None:
    enrol_signers(signing_client, scene)
    record = start(signing_client, scene)
    before = signing_client.get(f"/api/signing/{record['id']}").json()
    refused = sign(signing_client, scene.room.clerk, record["id"], passphrase="sai mật khẩu")
    assert_error(refused, 422, "WrongPassphraseError")
    assert signing_client.get(f"/api/signing/{record['id']}").json() == before
    actions = session.exec(select(AuditEntry.action)).all()
    assert "record.sign_refused" in actions
    assert "record.signing_started" in actions
    assert "signer_key.uploaded" in actions


def test_expired_untrusted_and_unusable_certificates_are_refused(
    signing_client: TestClient, scene: Scene
) -> None:
    clerk = scene.room.clerk
    expired = issue(
        "Hết hạn",
        not_after=root_ca().cert.not_valid_before_utc + timedelta(days=2),
        not_before=root_ca().cert.not_valid_before_utc + timedelta(days=1),
    )
    assert_error(
        signing_client.post(
            "/api/me/certificate",
            files={"file": ("a.p12", pkcs12_bytes(expired))},
            data={"passphrase": PASSPHRASE},
        ),
        422,
        "CertificateExpiredError",
    )
    stranger = issue("Người lạ", ca=root_ca("Untrusted Root"))
    stranger_file = pkcs12_bytes(stranger, chain=[root_ca("Untrusted Root")])
    assert upload(signing_client, clerk, stranger_file)["error"] == "CertificateNotTrustedError"
    no_signing = issue("Chỉ mã hóa", key_usage=("key_encipherment",))
    assert upload(signing_client, clerk, pkcs12_bytes(no_signing))["error"] == "KeyUsageError"
    assert upload(signing_client, clerk, b"not a key file")["error"] == "KeyFileError"
    wrong = upload(signing_client, clerk, pkcs12_bytes(issue("Thư ký")), passphrase="sai")
    assert wrong["error"] == "WrongPassphraseError"
    assert signing_client.get("/api/me/certificate").status_code == 404


def test_a_certificate_expired_by_signing_time_is_refused(
    signing_client: TestClient, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrol_signers(signing_client, scene)
    record = start(signing_client, scene)
    later = signing.utcnow() + timedelta(days=400)
    monkeypatch.setattr(signing, "utcnow", lambda: later)
    assert_error(
        sign(signing_client, scene.room.clerk, record["id"]), 422, "CertificateExpiredError"
    )


def test_a_certificate_no_longer_trusted_is_refused_at_signing(
    settings: Settings, session: Session, ca_file: Path
) -> None:
    with TestClient(create_app(settings.model_copy(update={"trust_roots": [ca_file]}))) as client:
        scene = stage_meeting(session, client)
        login(client, scene.room.clerk)
        client.post(f"/api/meetings/{scene.meeting.id}/minutes")
        client.post(f"/api/meetings/{scene.meeting.id}/minutes/finalise")
        enrol_signers(client, scene)
        record = start(client, scene)
    with TestClient(create_app(settings)) as client:  # the deployment no longer trusts the CA
        refused = sign(client, scene.room.clerk, record["id"])
        assert_error(refused, 422, "CertificateNotTrustedError")


def test_only_signers_and_managers_see_a_record(signing_client: TestClient, scene: Scene) -> None:
    enrol_signers(signing_client, scene)
    record = start(signing_client, scene)
    outsider = scene.room.delegates[0]
    login(signing_client, outsider)
    assert_error(signing_client.get(f"/api/signing/{record['id']}"), 404)
    assert_error(sign(signing_client, outsider, record["id"]), 404)
    login(signing_client, scene.room.chair)
    mine = signing_client.get("/api/me/to-sign").json()
    assert mine == []  # the secretary signs first
    login(signing_client, scene.room.clerk)
    assert [r["id"] for r in signing_client.get("/api/me/to-sign").json()] == [record["id"]]


def test_a_record_is_opened_for_signing_once_and_only_when_final(
    signing_client: TestClient, scene: Scene, session: Session
) -> None:
    url = f"/api/meetings/{scene.meeting.id}/minutes/signing"
    bad_order = {"signers": [{"role": "chair"}]}  # a chair is a person
    assert_error(signing_client.post(url, json=bad_order), 409, "SigningSetupError")
    twice = {"signers": [{"role": "chair", "person_id": scene.room.chair.id}] * 2}
    assert_error(signing_client.post(url, json=twice), 409, "SigningSetupError")
    start(signing_client, scene)
    assert_error(signing_client.post(url), 409, "SigningOrderError")
    signing_client.post(f"/api/meetings/{scene.meeting.id}/minutes/correct")
    assert_error(signing_client.post(url), 409, "NotSignableError")
    assert len(session.exec(select(SigningRecord)).all()) == 1


def test_the_key_file_is_never_stored_in_plaintext(
    signing_client: TestClient, scene: Scene, session: Session
) -> None:
    secretary = issue("Thư ký")
    key_file = pkcs12_bytes(secretary)
    assert upload(signing_client, scene.room.clerk, key_file)["status"] == 201
    needles = [secretary.key_der, key_file, PASSPHRASE.encode()]
    raw_key = secretary.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    needles.append(raw_key)
    for table, column, value in every_value(session):
        if isinstance(value, bytes | bytearray | memoryview):
            assert not any(needle in bytes(value) for needle in needles), f"{table}.{column}"
        elif isinstance(value, str):
            assert PASSPHRASE not in value, f"{table}.{column}"


def test_a_resolution_is_sealed_by_the_organisation(
    settings: Settings, session: Session, ca_file: Path, tmp_path: Path
) -> None:
    seal_file = tmp_path / "con-dau.p12"
    seal_file.write_bytes(pkcs12_bytes(issue("UBND Thành phố (con dấu)"), passphrase="dau-so"))
    sealed = settings.model_copy(
        update={
            "trust_roots": [ca_file],
            "seal_pkcs12": seal_file,
            "seal_passphrase": "dau-so",
        }
    )
    with TestClient(create_app(sealed)) as client:
        scene = stage_meeting(session, client)
        login(client, scene.room.clerk)
        files = {"file": ("nghi-quyet.pdf", pdf_bytes("Nghị quyết số 12"), "application/pdf")}
        document = client.post(
            f"/api/meetings/{scene.meeting.id}/documents",
            files=files,
            data={"title": "Nghị quyết số 12"},
        )
        assert document.status_code == 201, document.text
        url = f"/api/documents/{document.json()['id']}/signing"
        record = client.post(url, json={"signers": [{"role": "seal"}]})
        assert record.status_code == 201, record.text
        login(client, scene.room.delegates[0])
        assert_error(client.post(f"/api/signing/{record.json()['id']}/sign", json={}), 404)
        login(client, scene.room.clerk)
        done = client.post(f"/api/signing/{record.json()['id']}/sign", json={})
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "signed"
        pdf = client.get(f"/api/signing/{record.json()['id']}/pdf").content
    (check,) = verify_pdf(pdf, trust_roots=[root_ca().asn1])
    assert check.signer_name == "UBND Thành phố (con dấu)"
    assert check.trusted
    assert check.intact


def test_a_document_that_is_not_a_pdf_cannot_be_signed(
    signing_client: TestClient, scene: Scene
) -> None:
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(image, "PNG")
    files = {"file": ("so-do.png", image.getvalue(), "image/png")}
    document = signing_client.post(
        f"/api/meetings/{scene.meeting.id}/documents", files=files, data={"title": "Sơ đồ"}
    )
    assert document.status_code == 201, document.text
    response = signing_client.post(f"/api/documents/{document.json()['id']}/signing")
    assert_error(response, 409, "NotSignableError")


def test_the_drafting_body_signs_the_final_opinion_report(
    signing_client: TestClient, session: Session, clerk: Person, meeting: Meeting
) -> None:
    drafter = make_user(session, full_name="Phòng Kinh tế")
    invite(session, meeting, make_user(session, full_name="Đại Biểu Góp Ý"))
    login(signing_client, clerk)
    round = create_round(signing_client, meeting, drafter)
    signing_client.post(f"/api/rounds/{round['id']}/open")
    signing_client.post(f"/api/rounds/{round['id']}/close")
    url = f"/api/rounds/{round['id']}/report/signing"
    assert_error(signing_client.post(url), 409, "NotSignableError")
    login(signing_client, drafter)
    final = signing_client.post(f"/api/rounds/{round['id']}/reports", json={"final": True})
    assert final.status_code == 201, final.text
    assert upload(signing_client, drafter, pkcs12_bytes(issue("Phòng Kinh tế")))["status"] == 201
    login(signing_client, clerk)
    record = signing_client.post(url)
    assert record.status_code == 201, record.text
    assert [(s["role"], s["person_id"]) for s in record.json()["steps"]] == [
        ("drafter", drafter.id)
    ]
    done = sign(signing_client, drafter, record.json()["id"])
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "signed"
