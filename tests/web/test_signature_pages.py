"""The pages of signed records (issue 18, points 4-5): the certificate page, the list of what
waits for a signature, the sign page in order (the chair refused before the secretary, a wrong
passphrase said on the page), the public toggle and summary, opening signing from the minutes
page, and the public verification page for signed PDFs, changed PDFs, garbage and signed poll
results with a receipt; every page in Vietnamese and English."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, select

from models import AuditEntry, Person, Poll, PollKind, SigningRecord
from records import result_signing
from tests.factories import Scene, login, stage_meeting
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
def trusted(settings: Settings, ca_file: Path) -> Settings:
    return settings.model_copy(update={"trust_roots": [ca_file.parent]})


@pytest.fixture
def web(trusted: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(trusted)) as client:
        yield client


@pytest.fixture
def scene(session: Session, web: TestClient) -> Scene:
    """A meeting that happened, its minutes final."""
    scene = stage_meeting(session, web)
    login(web, scene.room.clerk)
    url = f"/api/meetings/{scene.meeting.id}/minutes"
    assert web.post(url).status_code == 201
    assert web.post(f"{url}/finalise").status_code == 200
    return scene


def as_browser(client: TestClient, person: Person) -> TestClient:
    """Logged in like a browser: form posts carry the CSRF token as a field."""
    login(client, person)
    client.headers.pop("x-csrf-token", None)
    return client


def anonymous(client: TestClient) -> TestClient:
    client.cookies.clear()
    client.headers.pop("x-csrf-token", None)
    client.get("/verify")  # the CSRF cookie, as a browser gets it with the page
    return client


def post_form(
    client: TestClient,
    url: str,
    data: dict[str, Any] | None = None,
    files: dict[str, Any] | None = None,
) -> Response:
    fields = {"csrf_token": client.cookies.get("hop_csrf"), **(data or {})}
    return client.post(url, data=fields, files=files, follow_redirects=False)


def upload_key(client: TestClient, person: Person, name: str, passphrase: str = PASSPHRASE):
    as_browser(client, person)
    files = {"file": ("khoa-ky.p12", pkcs12_bytes(issue(name)), "application/x-pkcs12")}
    return post_form(client, "/my/certificate", {"passphrase": passphrase}, files)


def open_signing(client: TestClient, scene: Scene) -> int:
    as_browser(client, scene.room.clerk)
    opened = post_form(client, f"/meetings/{scene.meeting.id}/minutes/signing")
    assert opened.status_code == 303, opened.text
    location = opened.headers["location"]
    assert location.endswith("?done=opened")
    return int(location.split("/")[2].split("?")[0])


def sign_form(client: TestClient, person: Person, record_id: int, passphrase: str = PASSPHRASE):
    as_browser(client, person)
    return post_form(client, f"/signing/{record_id}/sign", {"passphrase": passphrase})


def signed_by_both(client: TestClient, scene: Scene) -> int:
    assert upload_key(client, scene.room.clerk, "Thư ký").status_code == 303
    assert upload_key(client, scene.room.chair, "Chủ tọa").status_code == 303
    record_id = open_signing(client, scene)
    assert sign_form(client, scene.room.clerk, record_id).status_code == 303
    assert sign_form(client, scene.room.chair, record_id).status_code == 303
    return record_id


def verify(client: TestClient, pdf: bytes) -> Response:
    return post_form(anonymous(client), "/verify", files={"file": ("bb.pdf", pdf)})


def test_the_certificate_page_uploads_shows_and_removes(web: TestClient, scene: Scene) -> None:
    as_browser(web, scene.room.clerk)
    empty = web.get("/my/certificate?lang=vi").text
    assert "Bạn chưa tải lên chứng thư số." in empty
    assert "Mật khẩu không được lưu lại." in empty
    assert (
        "You have not uploaded a signing certificate yet."
        in web.get("/my/certificate?lang=en").text
    )
    web.get("/my/certificate?lang=vi")
    uploaded = upload_key(web, scene.room.clerk, "Nguyễn Thị Thư Ký")
    assert uploaded.headers["location"] == "/my/certificate?done=uploaded"
    page = web.get("/my/certificate?done=uploaded&lang=vi").text
    assert "Nguyễn Thị Thư Ký" in page
    assert "Hop Test Root CA" in page  # the issuer
    assert "Thay chứng thư số" in page
    removed = post_form(web, "/my/certificate/remove")
    assert removed.headers["location"] == "/my/certificate?done=removed"
    assert "Bạn chưa tải lên chứng thư số." in web.get("/my/certificate?lang=vi").text


def test_a_bad_certificate_is_refused_on_the_page(web: TestClient, scene: Scene) -> None:
    wrong = upload_key(web, scene.room.clerk, "Thư ký", passphrase="sai mật khẩu")
    assert wrong.status_code == 422
    assert 'role="alert"' in wrong.text
    stranger = issue("Người lạ", ca=root_ca("Untrusted Root"))
    files = {"file": ("a.p12", pkcs12_bytes(stranger, chain=[root_ca("Untrusted Root")]))}
    untrusted = post_form(web, "/my/certificate", {"passphrase": PASSPHRASE}, files)
    assert untrusted.status_code == 422
    assert 'role="alert"' in untrusted.text
    empty = post_form(web, "/my/certificate", {"passphrase": "x"}, {"file": ("a.p12", b"")})
    assert empty.status_code == 422
    assert ".p12" in empty.text


def test_signing_in_order_from_the_pages(web: TestClient, scene: Scene, session: Session) -> None:
    clerk, chair = scene.room.clerk, scene.room.chair
    assert upload_key(web, clerk, "Thư ký").status_code == 303
    assert upload_key(web, chair, "Chủ tọa").status_code == 303
    as_browser(web, clerk)
    minutes = web.get(f"/meetings/{scene.meeting.id}/minutes?lang=vi").text
    assert "Chưa trình ký" in minutes
    record_id = open_signing(web, scene)
    page = web.get(f"/signing/{record_id}?done=opened&lang=vi").text
    assert 'name="passphrase"' in page
    assert f'src="/api/signing/{record_id}/pdf"' in page
    assert "Ký số" in page
    assert "Đang ký: bước 1/2" in web.get(f"/meetings/{scene.meeting.id}/minutes?lang=vi").text

    as_browser(web, chair)
    assert f"/signing/{record_id}" not in web.get("/my/signatures?lang=vi").text
    waiting = web.get(f"/signing/{record_id}?lang=vi").text
    assert "ký trước" in waiting
    assert 'name="passphrase"' not in waiting
    early = sign_form(web, chair, record_id)
    assert early.status_code == 409
    assert 'role="alert"' in early.text

    wrong = sign_form(web, clerk, record_id, passphrase="sai")
    assert wrong.status_code == 422
    assert 'role="alert"' in wrong.text
    assert sign_form(web, clerk, record_id).headers["location"] == (
        f"/signing/{record_id}?done=signed"
    )
    as_browser(web, chair)
    listed = web.get("/my/signatures?lang=vi").text
    assert f"/signing/{record_id}" in listed
    assert "Thư ký" in listed
    assert "Waiting" not in web.get(f"/signing/{record_id}?lang=en").text
    assert sign_form(web, chair, record_id).status_code == 303
    done = web.get(f"/signing/{record_id}?lang=vi").text
    assert "Đã ký đủ" in done
    assert "Tải bản PDF đã ký" in done
    assert "Đã ký đủ" in web.get(f"/meetings/{scene.meeting.id}/minutes?lang=vi").text
    actions = set(session.exec(select(AuditEntry.action)).all())
    assert {"record.signing_started", "record.signed", "record.sign_refused"} <= actions


def test_every_page_in_both_languages(web: TestClient, scene: Scene) -> None:
    record_id = signed_by_both(web, scene)
    as_browser(web, scene.room.clerk)
    pages = {
        "/my/certificate": ("Chứng thư số của tôi", "My signing certificate"),
        "/my/signatures": ("Văn bản cần ký", "Documents to sign"),
        f"/signing/{record_id}": ("Thứ tự người ký", "Order of signers"),
        f"/meetings/{scene.meeting.id}/minutes": ("Chữ ký số", "Digital signatures"),
    }
    for url, (vi, en) in pages.items():
        assert vi in web.get(f"{url}?lang=vi").text, url
        assert en in web.get(f"{url}?lang=en").text, url
    anonymous(web)
    assert "Kiểm tra văn bản đã ký số" in web.get("/verify?lang=vi").text
    assert "Check a signed document" in web.get("/verify?lang=en").text


def test_outsiders_do_not_see_a_record(web: TestClient, scene: Scene) -> None:
    record_id = open_signing(web, scene)
    as_browser(web, scene.room.delegates[0])
    assert web.get(f"/signing/{record_id}").status_code == 404
    assert sign_form(web, scene.room.delegates[0], record_id).status_code == 404
    anonymous(web)
    assert web.get(f"/signing/{record_id}", follow_redirects=False).status_code == 303


def test_the_public_toggle_and_the_public_summary(web: TestClient, scene: Scene) -> None:
    record_id = signed_by_both(web, scene)
    anonymous(web)
    assert web.get(f"/records/{record_id}").status_code == 404
    as_browser(web, scene.room.chair)  # the chair of the meeting manages it
    published = post_form(web, f"/signing/{record_id}/public", {"public": "true"})
    assert published.headers["location"] == f"/signing/{record_id}?done=published"
    anonymous(web)
    summary = web.get(f"/records/{record_id}?lang=vi")
    assert summary.status_code == 200
    assert "Người ký và các trạng thái của tệp" in summary.text
    assert "Records" not in summary.text
    assert web.get(f"/records/{record_id}?lang=en").status_code == 200
    as_browser(web, scene.room.clerk)
    post_form(web, f"/signing/{record_id}/public", {"public": "false"})
    assert anonymous(web).get(f"/records/{record_id}").status_code == 404


def test_verifying_the_signed_minutes(web: TestClient, scene: Scene, session: Session) -> None:
    record_id = signed_by_both(web, scene)
    as_browser(web, scene.room.clerk)
    post_form(web, f"/signing/{record_id}/public", {"public": "true"})
    pdf = web.get(f"/api/signing/{record_id}/pdf").content
    checked = verify(web, pdf)
    assert checked.status_code == 200, checked.text
    assert 'data-verdict="final"' in checked.text
    assert "Thư ký" in checked.text
    assert "Chủ tọa" in checked.text
    assert f'href="/records/{record_id}"' in checked.text
    record = session.exec(select(SigningRecord)).one()
    assert record.sha256 in checked.text
    english = post_form(web, "/verify?lang=en", files={"file": ("bb.pdf", pdf)}).text
    assert "Valid: this is the final signed record of Hop." in english


def test_a_changed_pdf_is_invalid(web: TestClient, scene: Scene) -> None:
    record_id = signed_by_both(web, scene)
    as_browser(web, scene.room.clerk)
    pdf = bytearray(web.get(f"/api/signing/{record_id}/pdf").content)
    at = pdf.index(b"stream") + 40  # inside the first stream: covered by the signatures
    pdf[at] = ord("X") if pdf[at] != ord("X") else ord("Y")
    checked = verify(web, bytes(pdf))
    assert checked.status_code == 200
    assert 'data-verdict="changed"' in checked.text
    assert "KHÔNG HỢP LỆ" in checked.text


def test_an_unsigned_state_and_garbage(web: TestClient, scene: Scene) -> None:
    record_id = open_signing(web, scene)
    unsigned = web.get(f"/api/signing/{record_id}/pdf").content
    checked = verify(web, unsigned)
    assert 'data-verdict="unsigned"' in checked.text
    assert "Đây là văn bản trước khi có chữ ký nào." in checked.text
    for data in (b"", b"not a pdf at all", b"%PDF-1.7 broken"):
        refused = verify(web, data)
        assert refused.status_code == 422, data
        assert 'role="alert"' in refused.text
    no_file = post_form(anonymous(web), "/verify")
    assert no_file.status_code == 422


def signed_result(settings: Settings) -> dict[str, Any]:
    poll = Poll.model_construct(
        id=7, title="Thông qua Nghị quyết", kind=PollKind.yes_no, secret=True, meeting_id=1
    )
    result = {"verdict": "adopted", "receipts": [{"receipt": "AB12-CD34", "answer": "yes"}]}
    return result_signing.signed_result(
        poll=poll,
        result=result,
        signed_at=datetime(2026, 12, 5, tzinfo=UTC),
        secret_key=settings.resolved_secret_key,
        meeting_title="Họp HĐND",
    )


def test_a_signed_poll_result_and_its_receipt(web: TestClient, trusted: Settings) -> None:
    document = json.dumps(signed_result(trusted)).encode()
    anonymous(web)
    found = post_form(
        web, "/verify/result?lang=vi", {"receipt": "ab12 cd34"}, {"file": ("kq.json", document)}
    )
    assert found.status_code == 200, found.text
    assert 'data-verdict="result-valid"' in found.text
    assert "Thông qua Nghị quyết" in found.text
    assert "Được thông qua" in found.text
    assert "có trong kết quả" in found.text
    absent = post_form(
        web, "/verify/result?lang=en", {"receipt": "ZZZZ"}, {"file": ("kq.json", document)}
    )
    assert "Receipt ZZZZ is not in this result." in absent.text
    changed = signed_result(trusted)
    changed["result"]["verdict"] = "rejected"
    forged = post_form(web, "/verify/result", files={"file": ("kq.json", json.dumps(changed))})
    assert 'data-verdict="result-invalid"' in forged.text
    bad = post_form(web, "/verify/result", files={"file": ("kq.json", b"{not json")})
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text


def test_a_file_over_the_limit_is_refused_on_the_page(trusted: Settings) -> None:
    small = trusted.model_copy(update={"max_upload_mb": 1})
    with TestClient(create_app(small)) as client:
        too_large = b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 10)
        refused = verify(client, too_large)
    assert refused.status_code == 422
    assert 'role="alert"' in refused.text
