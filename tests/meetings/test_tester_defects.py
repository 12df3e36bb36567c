"""Office files are inspected as the zips they are before they are published (issue 13,
point 10): macros, zip bombs, too many parts and too large an expansion are refused."""

import io
import os
import zipfile

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from meetings import officecheck
from models import Meeting
from tests.factories import assert_error, upload

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TYPES = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'


def office_file(extra: dict[str, bytes] | None = None, *, parts: int = 0) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", TYPES)
        archive.writestr("word/document.xml", "<w:document>Tờ trình</w:document>".encode())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
        for number in range(parts):
            archive.writestr(f"word/p{number}.xml", b"<p/>")
    return buffer.getvalue()


def send(client: TestClient, meeting: Meeting, content: bytes) -> Response:
    return upload(client, meeting.id, content, filename="to-trinh.docx", media_type=DOCX)


def test_a_plain_office_file_is_published(clerk_client: TestClient, meeting: Meeting) -> None:
    response = send(clerk_client, meeting, office_file())
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (office_file({"word/vbaProject.bin": b"macro"}), "macros"),
        (office_file({"word/media/zeros.bin": bytes(20 * 2**20)}), "zip bomb"),
        (office_file(parts=officecheck.MAX_MEMBERS), "parts"),
    ],
    ids=["macro", "ratio", "members"],
)
def test_an_office_file_that_fails_a_check_is_refused(
    clerk_client: TestClient, meeting: Meeting, content: bytes, reason: str
) -> None:
    body = assert_error(send(clerk_client, meeting, content), 422, "UnsafeDocumentError")
    assert reason in body["detail"]


def test_an_office_file_expanding_past_the_limit_is_refused(
    clerk_client: TestClient, meeting: Meeting, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(officecheck, "MAX_EXPANDED_BYTES", 2**20)
    content = office_file({"word/media/photo.bin": os.urandom(1_200_000)})
    body = assert_error(send(clerk_client, meeting, content), 422, "UnsafeDocumentError")
    assert "expands to more than" in body["detail"]
