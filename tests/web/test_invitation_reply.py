"""Invitations by e-mail through the web: the editor's and the API's "send", the reply page
behind the link (no login), `hop remind` and the reminder task of the app's lifespan."""

import re
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session
from typer.testing import CliRunner

from cli.main import app as hop
from meetings import scheduling
from meetings.reply_links import ReplyLinks
from models import Invitation, Meeting, MeetingStatus, MeetingUpdate, Person, Reply, Role
from models.base import utcnow
from models.db import make_engine
from tests.factories import assert_error, invite, login, make_meeting, make_user
from tests.meetings.smtp_support import Mailbox, body_of, free_port, smtp_server
from web.app import create_app
from web.settings import Settings

mailbox = smtp_server


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    """The test settings with e-mail on, to the in-process SMTP server."""
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": mailbox.port,
            "smtp_starttls": False,
            "public_url": "https://hop.example",
            "reminder_interval_seconds": 3600,
        }
    )


@pytest.fixture
def invitee(session: Session) -> Person:
    person = make_user(session, full_name="Phạm Thị Mời")
    person.email = "moi@hoidong.example"
    session.add(person)
    session.commit()
    return person


@pytest.fixture
def mailed_meeting(session: Session, clerk: Person, invitee: Person) -> Meeting:
    """Not the shared `meeting`: the invitee (who has an e-mail address) is invited, and the
    title is the one the e-mail and the reply page must show."""
    meeting = make_meeting(session, creator=clerk, title="Phiên họp chuyên đề")
    invite(session, meeting, invitee)
    return meeting


def invitation_of(session: Session, meeting: Meeting) -> Invitation:
    ((invitation, _),) = scheduling.list_invitations(session=session, meeting=meeting)
    session.refresh(invitation)
    return invitation


def mailed_link(client: TestClient, clerk: Person, meeting: Meeting, box: Mailbox) -> str:
    """Send the invitations through the API and return the reply link in the e-mail."""
    login(client, clerk)
    response = client.post(f"/api/meetings/{meeting.id}/invitations/send")
    assert response.status_code == 200, response.text
    client.cookies.clear()
    client.headers.pop("x-csrf-token", None)
    return link_in(box.messages[-1])


def link_in(message: EmailMessage) -> str:
    match = re.search(r"https://hop\.example(/invitations/reply\?token=\S+)", body_of(message))
    assert match is not None
    return match.group(1)


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def answer(client: TestClient, token: str, **fields: str) -> Response:
    """Post the reply form like a browser (the CSRF cookie comes from opening the page)."""
    data: dict[str, Any] = {"csrf_token": client.cookies.get("hop_csrf"), "token": token}
    return client.post("/invitations/reply", data=data | fields, follow_redirects=False)


# -- sending -----------------------------------------------------------------------------------


def test_api_send_mails_each_invitee_once_and_records_it(
    client: TestClient, session: Session, clerk: Person, mailed_meeting: Meeting, mailbox: Mailbox
) -> None:
    login(client, clerk)
    response = client.post(f"/api/meetings/{mailed_meeting.id}/invitations/send")
    assert response.status_code == 200, response.text
    assert response.json()["sent"] == ["moi@hoidong.example"]
    assert mailbox.to("moi@hoidong.example")
    listed = client.get(f"/api/meetings/{mailed_meeting.id}/invitations").json()
    assert listed[0]["sent_at"] is not None
    assert client.post(f"/api/meetings/{mailed_meeting.id}/invitations/send").json()["sent"] == []
    again = client.post(f"/api/meetings/{mailed_meeting.id}/invitations/send?resend=true")
    assert again.json()["sent"] == ["moi@hoidong.example"]
    assert len(mailbox.messages) == 2


def test_api_send_with_the_mail_server_down_is_502_and_marks_nothing(
    client: TestClient, session: Session, clerk: Person, mailed_meeting: Meeting
) -> None:
    client.app.state.hop.settings.smtp_port = free_port()  # type: ignore[attr-defined]
    login(client, clerk)
    response = client.post(f"/api/meetings/{mailed_meeting.id}/invitations/send")
    body = assert_error(response, 502, "MailServerError")
    assert "could not be used" in body["detail"]
    invitation = invitation_of(session, mailed_meeting)
    assert invitation.sent_at is None
    assert invitation.mail_error


def test_api_send_without_smtp_settings_or_by_a_delegate_is_refused(
    client: TestClient, clerk: Person, invitee: Person, mailed_meeting: Meeting, mailbox: Mailbox
) -> None:
    login(client, invitee)
    assert_error(client.post(f"/api/meetings/{mailed_meeting.id}/invitations/send"), 403)
    client.app.state.hop.settings.smtp_host = ""  # type: ignore[attr-defined]
    login(client, clerk)
    response = client.post(f"/api/meetings/{mailed_meeting.id}/invitations/send")
    assert_error(response, 409, "MailNotConfiguredError")
    assert mailbox.messages == []


def test_the_editor_button_sends_and_shows_each_address_state(
    client: TestClient, session: Session, clerk: Person, mailed_meeting: Meeting, mailbox: Mailbox
) -> None:
    login(client, clerk)
    client.headers.pop("x-csrf-token", None)
    url = f"/meetings/{mailed_meeting.id}/invitations/send"
    form = {"csrf_token": client.cookies.get("hop_csrf")}
    response = client.post(url, data=form, follow_redirects=False)
    assert response.status_code == 303
    assert "msg=mail_sent" in response.headers["location"]
    page = client.get(f"/meetings/{mailed_meeting.id}/edit?lang=en").text
    assert "moi@hoidong.example" in page
    assert "Sent " in page

    client.app.state.hop.settings.smtp_port = free_port()  # type: ignore[attr-defined]
    response = client.post(url, data=form | {"resend": "true"}, follow_redirects=False)
    assert "msg=mail_failed" in response.headers["location"]
    page = client.get(response.headers["location"]).text
    assert "Not sent:" in page
    assert "ConnectionRefusedError" in page


# -- replying ----------------------------------------------------------------------------------


def test_the_link_shows_the_meeting_without_login_and_changes_nothing(
    client: TestClient, session: Session, clerk: Person, mailed_meeting: Meeting, mailbox: Mailbox
) -> None:
    link = mailed_link(client, clerk, mailed_meeting, mailbox)
    page = client.get(link + "&lang=en")
    assert page.status_code == 200
    assert "Phiên họp chuyên đề" in page.text
    assert "Phạm Thị Mời" in page.text
    assert "I will attend" in page.text
    assert invitation_of(session, mailed_meeting).reply == Reply.invited


def test_accepting_through_the_link_records_the_reply(
    client: TestClient, session: Session, clerk: Person, mailed_meeting: Meeting, mailbox: Mailbox
) -> None:
    link = mailed_link(client, clerk, mailed_meeting, mailbox)
    client.get(link)
    response = answer(client, token_of(link), reply="accepted")
    assert response.status_code == 303
    confirmation = client.get(response.headers["location"] + "&lang=en")
    assert "Your reply was recorded." in confirmation.text
    invitation = invitation_of(session, mailed_meeting)
    assert invitation.reply == Reply.accepted
    assert invitation.replied_at is not None


def test_declining_needs_a_reason_and_records_it(
    client: TestClient, session: Session, clerk: Person, mailed_meeting: Meeting, mailbox: Mailbox
) -> None:
    link = mailed_link(client, clerk, mailed_meeting, mailbox)
    client.get(link)
    refused = answer(client, token_of(link), reply="declined", reason="  ")
    assert refused.status_code == 422
    assert invitation_of(session, mailed_meeting).reply == Reply.invited
    response = answer(client, token_of(link), reply="declined", reason="Đi công tác Đà Nẵng")
    assert response.status_code == 303
    invitation = invitation_of(session, mailed_meeting)
    assert invitation.reply == Reply.declined
    assert invitation.reply_reason == "Đi công tác Đà Nẵng"


def test_a_tampered_or_expired_link_is_a_clear_error_and_changes_nothing(
    client: TestClient, session: Session, clerk: Person, mailed_meeting: Meeting, mailbox: Mailbox
) -> None:
    token = token_of(mailed_link(client, clerk, mailed_meeting, mailbox))
    invitation_id, person_id, expires, signature = token.split(".")
    tampered = f"{invitation_id}.{person_id}.{int(expires) + 3600}.{signature}"
    assert client.get(f"/invitations/reply?token={tampered}").status_code == 400
    assert answer(client, tampered, reply="accepted").status_code == 400
    assert client.get("/invitations/reply?token=nonsense").status_code == 400
    assert client.get("/invitations/reply?token=" + "9" * 500).status_code == 422
    assert client.get("/invitations/reply").status_code == 422

    links = ReplyLinks(client.app.state.hop.settings.resolved_secret_key)  # type: ignore[attr-defined]
    invitation = invitation_of(session, mailed_meeting)
    expired = links.sign(invitation=invitation, expires_at=utcnow() - timedelta(minutes=1))
    assert client.get(f"/invitations/reply?token={expired}").status_code == 410
    assert answer(client, expired, reply="accepted").status_code == 410
    assert answer(client, token, reply="invited").status_code == 422
    assert invitation_of(session, mailed_meeting).reply == Reply.invited


def test_replies_close_with_the_meeting_and_need_the_csrf_token(
    client: TestClient, session: Session, clerk: Person, mailed_meeting: Meeting, mailbox: Mailbox
) -> None:
    token = token_of(mailed_link(client, clerk, mailed_meeting, mailbox))
    client.get(f"/invitations/reply?token={token}")
    forged = client.post(
        "/invitations/reply",
        data={"token": token, "reply": "accepted", "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    scheduling.change_status(
        session=session, meeting=mailed_meeting, status=MeetingStatus.cancelled
    )
    assert answer(client, token, reply="accepted").status_code == 409
    assert invitation_of(session, mailed_meeting).reply == Reply.invited


# -- reminders ---------------------------------------------------------------------------------


def soon_meeting(session: Session, clerk: Person, invitee: Person) -> Meeting:
    """A scheduled meeting starting in an hour, with the invitee invited."""
    meeting = make_meeting(session, creator=clerk, days_ahead=0, title="Họp giao ban")
    scheduling.update_meeting(
        session=session,
        meeting=meeting,
        data=MeetingUpdate(
            start_at=utcnow() + timedelta(hours=1), end_at=utcnow() + timedelta(hours=2)
        ),
    )
    scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.scheduled)
    invite(session, meeting, invitee)
    return meeting


def test_hop_remind_sends_due_reminders_once(
    session: Session, cli_env: dict[str, str], clerk: Person, invitee: Person, mailbox: Mailbox
) -> None:
    soon_meeting(session, clerk, invitee)
    env = cli_env | {
        "HOP_SMTP_HOST": "127.0.0.1",
        "HOP_SMTP_PORT": str(mailbox.port),
        "HOP_SMTP_STARTTLS": "false",
    }
    runner = CliRunner()
    first = runner.invoke(hop, ["remind"], env=env)
    assert first.exit_code == 0, first.output
    assert "Reminders sent: 1." in first.output
    second = runner.invoke(hop, ["remind"], env=env)
    assert "Reminders sent: 0." in second.output
    assert len(mailbox.messages) == 1
    off = runner.invoke(hop, ["remind"], env=env | {"HOP_SMTP_HOST": ""})
    assert off.exit_code == 2


@pytest.fixture
def quiet_db(settings: Settings) -> Iterator[Session]:
    """A session on the test database without starting the app."""
    engine = make_engine(settings.resolved_database_url)
    with Session(engine, expire_on_commit=False) as db_session:
        yield db_session
    engine.dispose()


def test_the_app_sends_due_reminders_in_the_background(
    quiet_db: Session, settings: Settings, mailbox: Mailbox
) -> None:
    clerk = make_user(quiet_db, role=Role.secretariat)
    invitee = make_user(quiet_db, full_name="Đỗ Văn Nhắc")
    invitee.email = "nhac@hoidong.example"
    quiet_db.add(invitee)
    quiet_db.commit()
    soon_meeting(quiet_db, clerk, invitee)
    with TestClient(create_app(settings)):
        assert mailbox.received.wait(timeout=10)
    (message,) = mailbox.to("nhac@hoidong.example")
    assert message["Subject"].startswith("Nhắc lịch họp / Meeting reminder")
