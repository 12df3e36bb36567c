"""Written consultations over the API (issue 17, point 3): a meeting of kind "written", its
questions sent, answered by the members from the room or the API, counted on all members, the
result signed off and printed with its sha256; refusals are clear 4xx that change nothing."""

import io
from datetime import timedelta

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session

from models import Person, Role
from models.base import utcnow
from tests.factories import assert_error, login, make_user, nonce


def written_meeting(client: TestClient, members: list[Person]) -> int:
    start = utcnow() + timedelta(hours=1)
    body = {
        "title": "Lấy ý kiến Thường trực HĐND về chợ Hàng Da",
        "start_at": start.isoformat(),
        "end_at": (start + timedelta(days=2)).isoformat(),
        "kind": "written",
    }
    created = client.post("/api/meetings", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["kind"] == "written"
    meeting_id: int = created.json()["id"]
    for person in members:
        invited = client.post(
            f"/api/meetings/{meeting_id}/invitations",
            json={"person_id": person.id, "role": "delegate"},
        )
        assert invited.status_code == 201, invited.text
    return meeting_id


def test_a_written_consultation_from_sending_to_the_signed_off_result(
    client: TestClient, session: Session
) -> None:
    clerk = make_user(session, role=Role.secretariat)
    members = [make_user(session, full_name=f"Ủy viên {n}") for n in range(3)]
    login(client, clerk)
    meeting_id = written_meeting(client, members)
    url = f"/api/meetings/{meeting_id}/written"
    deadline = (utcnow() + timedelta(days=1)).isoformat()
    assert_error(client.post(url, json={"questions": [], "deadline": deadline}), 422)
    past = (utcnow() - timedelta(hours=1)).isoformat()
    question = {"title": "Đồng ý chủ trương cải tạo chợ Hàng Da"}
    assert_error(client.post(url, json={"questions": [question], "deadline": past}), 422)
    sent = client.post(url, json={"questions": [question], "deadline": deadline})
    assert sent.status_code == 201, sent.text
    [poll_id] = sent.json()["poll_ids"]
    assert sent.json()["owing"] == ["Ủy viên 0", "Ủy viên 1", "Ủy viên 2"]
    assert_error(client.post(url, json={"questions": [question], "deadline": deadline}), 409)

    for person, agree in zip(members[:2], (True, True), strict=True):
        login(client, person)
        room = client.get(f"/room/{meeting_id}/ballot")
        assert "Đồng ý chủ trương cải tạo chợ Hàng Da" in room.text  # on the member's tablet
        ballot = {
            "nonce": nonce(),
            "agree": agree,
            "text": "Nên làm sớm" if person == members[0] else "",
        }
        cast = client.post(f"/api/polls/{poll_id}/ballots", json=ballot)
        assert cast.status_code == 200, cast.text
        again = client.post(f"/api/polls/{poll_id}/ballots", json=ballot)  # resent: same ack
        assert again.status_code == 200
    assert_error(client.post(f"{url}/sign-off"), 403)  # a member does not sign it off
    mine = client.get(url).json()
    assert mine["owing"] == []  # only managers see who still owes an answer
    assert all(q["opinions"] == [] for q in mine["questions"])

    login(client, clerk)
    assert client.get(url).json()["owing"] == ["Ủy viên 2"]
    assert_error(client.post(f"{url}/sign-off"), 409)  # still open
    assert client.post(f"/api/polls/{poll_id}/close").status_code == 200
    signed = client.post(f"{url}/sign-off")
    assert signed.status_code == 200, signed.text
    result = signed.json()
    [counted] = result["questions"]
    assert (counted["agree"], counted["verdict"], counted["needed"]) == (2, "adopted", 2)
    assert len(result["sha256"]) == 64
    pdf = client.get(f"{url}/result.pdf")
    assert pdf.status_code == 200
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf.content)).pages
    )
    assert "KẾT QUẢ LẤY Ý KIẾN BẰNG VĂN BẢN" in text
    assert "Thông qua" in text
    assert "Nên làm sớm" in text
    assert result["sha256"] in text.replace(" ", "")
    assert_error(client.post(f"{url}/sign-off"), 409)


def test_a_session_is_not_a_written_consultation(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat)
    login(client, clerk)
    start = utcnow() + timedelta(days=1)
    created = client.post(
        "/api/meetings",
        json={
            "title": "Kỳ họp",
            "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=2)).isoformat(),
        },
    ).json()
    assert created["kind"] == "session"
    body = {"questions": [{"title": "x"}], "deadline": (start + timedelta(hours=1)).isoformat()}
    assert_error(client.post(f"/api/meetings/{created['id']}/written", json=body), 409)
    assert_error(client.get(f"/api/meetings/{created['id']}/written/result.pdf"), 404)
