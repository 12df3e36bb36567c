"""E-mail invitations and reminders against an in-process SMTP server (aiosmtpd)."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from icalendar import Calendar
from sqlmodel import Session

from checkin.qr import QrSigner
from meetings import reminders, scheduling
from meetings.mail import MeetingOverError, send_invitations
from meetings.reminders import send_reminders
from meetings.reply_links import (
    ReplyLinkExpiredError,
    ReplyLinkInvalidError,
    ReplyLinks,
    invitation_for_token,
)
from models import Invitation, Meeting, MeetingStatus, Person, Reply, Role
from models.base import as_utc, utcnow
from tests.factories import invite, make_meeting, make_user
from tests.meetings.smtp_support import (
    Mailbox,
    attachment_of,
    body_of,
    config_for,
    free_port,
    smtp_server,
)

SECRET = "test-secret-key-that-is-long-enough-0123456789"
LINKS = ReplyLinks(SECRET)
mailbox = smtp_server


def with_email(session: Session, person: Person, address: str) -> Person:
    person.email = address
    session.add(person)
    session.commit()
    return person


def scene(session: Session, *, days_ahead: int = 3) -> tuple[Meeting, list[Invitation]]:
    """A meeting with two invitees who have an address and one who has none."""
    staff = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=staff, days_ahead=days_ahead, title="Kỳ họp thứ 5")
    people = [make_user(session, full_name=f"Lê Văn Đại Biểu {n}") for n in range(3)]
    with_email(session, people[0], "a@hoidong.example")
    with_email(session, people[1], "b@hoidong.example")
    return meeting, [invite(session, meeting, person) for person in people]


def reply_url(message: object) -> str:
    match = re.search(r"https://hop\.example/invitations/reply\?token=\S+", body_of(message))  # type: ignore[arg-type]
    assert match is not None
    return match.group(0)


def test_invitation_mail_has_recipients_subject_both_languages_and_the_ics(
    session: Session, mailbox: Mailbox
) -> None:
    meeting, invitations = scene(session)
    report = send_invitations(
        session=session, meeting=meeting, config=config_for(mailbox.port), links=LINKS
    )
    assert sorted(report.sent) == ["a@hoidong.example", "b@hoidong.example"]
    assert report.failed == []
    assert report.without_email == ["Lê Văn Đại Biểu 2"]
    assert len(mailbox.messages) == 2
    (message,) = mailbox.to("a@hoidong.example")
    assert "Lê Văn Đại Biểu 0" in str(message["To"])
    assert message["Subject"] == "Giấy mời họp / Meeting invitation: Kỳ họp thứ 5"
    assert "hoidong.example" in message["From"]
    text = body_of(message)
    assert "Kính gửi Lê Văn Đại Biểu 0" in text
    assert "Dear Lê Văn Đại Biểu 0" in text
    assert "Khai mạc" in text  # the agenda
    assert "Hội trường A" in text
    assert "https://hop.example/room/" in text
    attachment = attachment_of(message)
    assert attachment.get_content_type() == "text/calendar"
    calendar = Calendar.from_ical(attachment.get_content())
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "Kỳ họp thứ 5"
    assert event.decoded("dtstart") == as_utc(meeting.start_at).replace(microsecond=0)


def test_the_reply_link_in_the_mail_leads_to_the_invitation(
    session: Session, mailbox: Mailbox
) -> None:
    meeting, invitations = scene(session)
    send_invitations(session=session, meeting=meeting, config=config_for(mailbox.port), links=LINKS)
    (message,) = mailbox.to("b@hoidong.example")
    token = parse_qs(urlsplit(reply_url(message)).query)["token"][0]
    invitation, found_meeting, person = invitation_for_token(
        session=session, links=LINKS, token=token
    )
    assert invitation.id == invitations[1].id
    assert found_meeting.id == meeting.id
    assert person.email == "b@hoidong.example"


def test_sending_records_sent_at_and_skips_those_sent_unless_resent(
    session: Session, mailbox: Mailbox
) -> None:
    meeting, invitations = scene(session)
    config = config_for(mailbox.port)
    send_invitations(session=session, meeting=meeting, config=config, links=LINKS)
    for invitation in invitations[:2]:
        session.refresh(invitation)
        assert invitation.sent_at is not None
    session.refresh(invitations[2])
    assert invitations[2].sent_at is None  # no address

    again = send_invitations(session=session, meeting=meeting, config=config, links=LINKS)
    assert again.sent == []
    assert len(mailbox.messages) == 2

    resent = send_invitations(
        session=session, meeting=meeting, config=config, links=LINKS, resend=True
    )
    assert len(resent.sent) == 2
    assert len(mailbox.messages) == 4


def test_smtp_down_reports_every_address_and_marks_nothing_sent(session: Session) -> None:
    meeting, invitations = scene(session)
    report = send_invitations(
        session=session, meeting=meeting, config=config_for(free_port()), links=LINKS
    )
    assert report.sent == []
    assert report.server_error
    assert sorted(f.email for f in report.failed) == ["a@hoidong.example", "b@hoidong.example"]
    for invitation in invitations[:2]:
        session.refresh(invitation)
        assert invitation.sent_at is None
        assert invitation.mail_error


def test_a_refused_address_fails_alone(session: Session, mailbox: Mailbox) -> None:
    meeting, invitations = scene(session)
    mailbox.refuse.add("a@hoidong.example")
    report = send_invitations(
        session=session, meeting=meeting, config=config_for(mailbox.port), links=LINKS
    )
    assert report.sent == ["b@hoidong.example"]
    assert [f.email for f in report.failed] == ["a@hoidong.example"]
    assert "550" in report.failed[0].error
    assert not report.server_error
    session.refresh(invitations[0])
    assert invitations[0].sent_at is None
    assert "550" in invitations[0].mail_error
    # Once the address works, sending again reaches it and clears the error.
    mailbox.refuse.clear()
    again = send_invitations(
        session=session, meeting=meeting, config=config_for(mailbox.port), links=LINKS
    )
    assert again.sent == ["a@hoidong.example"]
    session.refresh(invitations[0])
    assert invitations[0].sent_at is not None
    assert invitations[0].mail_error == ""


def test_a_cancelled_meeting_sends_no_invitations(session: Session, mailbox: Mailbox) -> None:
    meeting, _ = scene(session)
    scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.cancelled)
    with pytest.raises(MeetingOverError):
        send_invitations(
            session=session, meeting=meeting, config=config_for(mailbox.port), links=LINKS
        )
    assert mailbox.messages == []


# -- reminders ---------------------------------------------------------------------------------


def schedule(session: Session, meeting: Meeting) -> Meeting:
    return scheduling.change_status(
        session=session, meeting=meeting, status=MeetingStatus.scheduled
    )


def test_reminders_go_once_and_only_within_the_window(session: Session, mailbox: Mailbox) -> None:
    soon, soon_invitations = scene(session, days_ahead=0)  # starts in a moment
    later, _ = scene(session, days_ahead=3)
    schedule(session, soon)
    schedule(session, later)
    declined = soon_invitations[1]
    scheduling.reply_to_invitation(
        session=session, invitation=declined, reply=Reply.declined, reason="Đi công tác"
    )
    config = config_for(mailbox.port)
    now = utcnow() - timedelta(minutes=1)

    report = send_reminders(session=session, config=config, links=LINKS, hours=24, now=now)
    assert report.sent == ["a@hoidong.example"]  # not the one who declined, not the later meeting
    (message,) = mailbox.messages
    assert message["Subject"] == "Nhắc lịch họp / Meeting reminder: Kỳ họp thứ 5"
    assert "https://hop.example/invitations/reply?token=" in body_of(message)
    session.refresh(soon_invitations[0])
    assert soon_invitations[0].reminded_at is not None

    again = send_reminders(session=session, config=config, links=LINKS, hours=24, now=now)
    assert again.sent == []
    assert len(mailbox.messages) == 1
    # Three days on, the later meeting is inside the window; the first one has begun.
    after = utcnow() + timedelta(days=2, hours=12)
    third = send_reminders(session=session, config=config, links=LINKS, hours=24, now=after)
    assert sorted(third.sent) == ["a@hoidong.example", "b@hoidong.example"]
    assert len(mailbox.messages) == 3


def test_draft_meetings_get_no_reminders(session: Session, mailbox: Mailbox) -> None:
    scene(session, days_ahead=0)
    now = utcnow() - timedelta(minutes=1)
    report = send_reminders(
        session=session, config=config_for(mailbox.port), links=LINKS, hours=24, now=now
    )
    assert report.sent == []
    assert mailbox.messages == []


def test_a_failed_reminder_is_not_marked_and_is_retried(session: Session, mailbox: Mailbox) -> None:
    meeting, invitations = scene(session, days_ahead=0)
    schedule(session, meeting)
    now = utcnow() - timedelta(minutes=1)
    down = send_reminders(
        session=session, config=config_for(free_port()), links=LINKS, hours=24, now=now
    )
    assert down.server_error
    assert len(down.failed) == 2
    session.refresh(invitations[0])
    assert invitations[0].reminded_at is None
    assert invitations[0].mail_error

    up = send_reminders(
        session=session, config=config_for(mailbox.port), links=LINKS, hours=24, now=now
    )
    assert len(up.sent) == 2
    session.refresh(invitations[0])
    assert invitations[0].reminded_at is not None
    assert invitations[0].mail_error == ""


# -- reply tokens ------------------------------------------------------------------------------


def test_reply_tokens_reject_tampering_other_keys_and_qr_codes(session: Session) -> None:
    meeting, invitations = scene(session)
    token = LINKS.sign(invitation=invitations[0], expires_at=meeting.end_at)
    assert LINKS.verify(token).invitation_id == invitations[0].id
    first, person, expires, signature = token.split(".")
    forged = [
        f"{invitations[1].id}.{person}.{expires}.{signature}",  # another invitation
        f"{first}.{person}.{int(expires) + 86400}.{signature}",  # a later expiry
        f"{first}.{person}.{expires}.{signature[:-2]}AA",
        ReplyLinks("another-secret-key-that-is-long-enough-98765").sign(
            invitation=invitations[0], expires_at=meeting.end_at
        ),
        QrSigner(SECRET).sign(meeting_id=meeting.id or 0, invitation_id=invitations[0].id or 0),
        "",
        "x" * 500,
    ]
    for bad in forged:
        with pytest.raises(ReplyLinkInvalidError):
            LINKS.verify(bad)


def test_reply_tokens_expire(session: Session) -> None:
    meeting, invitations = scene(session)
    token = LINKS.sign(invitation=invitations[0], expires_at=meeting.end_at)
    with pytest.raises(ReplyLinkExpiredError):
        LINKS.verify(token, now=as_utc(meeting.end_at) + timedelta(seconds=1))
    with pytest.raises(ReplyLinkExpiredError):
        invitation_for_token(session=session, links=LINKS, token=token, now=as_utc(meeting.end_at))


def test_reminder_claims_are_given_back_when_composing_fails(
    session: Session, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting, invitations = scene(session, days_ahead=0)
    schedule(session, meeting)
    now = utcnow() - timedelta(minutes=1)

    def broken(**_: object) -> None:
        raise RuntimeError("template bug")

    monkeypatch.setattr(reminders, "letters_for", broken)
    with pytest.raises(RuntimeError):
        send_reminders(
            session=session, config=config_for(mailbox.port), links=LINKS, hours=24, now=now
        )
    session.refresh(invitations[0])
    assert invitations[0].reminded_at is None
    assert mailbox.messages == []


def test_line_breaks_in_a_title_or_name_do_not_break_the_headers(
    session: Session, mailbox: Mailbox
) -> None:
    meeting, invitations = scene(session)
    meeting.title = "Kỳ họp\r\nBcc: kẻ-gian@example.com"
    session.add(meeting)
    person = session.get(Person, invitations[0].person_id)
    assert person is not None
    person.full_name = "Lê Văn\nA"
    session.add(person)
    session.commit()
    report = send_invitations(
        session=session, meeting=meeting, config=config_for(mailbox.port), links=LINKS
    )
    assert len(report.sent) == 2
    (message,) = mailbox.to("a@hoidong.example")
    assert message["Subject"].endswith("Kỳ họp Bcc: kẻ-gian@example.com")
    assert message["Bcc"] is None
