"""Written consultations between meetings (issue 17, point 3): questions answered by a deadline
with agree / disagree / other opinion, a verdict per question counted on all members (not on
those present: there is no session), ballots as safe as a poll's, reminders, and the result
the chair signs off."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from core.errors import ConflictError, InvalidInputError
from meetings import scheduling
from models import (
    AuditEntry,
    BallotCast,
    Meeting,
    MeetingCreate,
    MeetingKind,
    MeetingStatus,
    Person,
    PollStatus,
    Role,
)
from models.base import utcnow
from tests.factories import invite, make_user, nonce
from tests.meetings.smtp_support import Mailbox, body_of, config_for, smtp_server
from voting import ballots, polls, written
from voting.deadlines import close_due_polls
from voting.written import Question

mailbox = smtp_server
QUESTIONS = [
    Question("Thông qua chủ trương đầu tư cải tạo chợ Hàng Da"),
    Question("Điều chỉnh dự toán năm 2027 cho sự nghiệp môi trường"),
]


def consultation(session: Session, members: int = 5) -> tuple[Meeting, Person, list[Person]]:
    clerk = make_user(session, role=Role.secretariat)
    start = utcnow() + timedelta(hours=1)
    data = MeetingCreate(
        title="Lấy ý kiến Thường trực HĐND bằng văn bản tháng 12",
        start_at=start,
        end_at=start + timedelta(days=3),
        kind=MeetingKind.written,
    )
    meeting = scheduling.create_meeting(session=session, data=data, creator=clerk)
    people = [make_user(session, full_name=f"Ủy viên Thường trực {n}") for n in range(members)]
    for person in people:
        invite(session, meeting, person)
    return meeting, clerk, people


def answer(
    session: Session, poll_id: int, person: Person, agree: bool | None, text: str = ""
) -> None:
    poll = polls.get_poll(session=session, poll_id=poll_id, viewer=person)
    body: dict[str, object] = {"nonce": nonce(), "text": text}
    if agree is not None:
        body["agree"] = agree
    ballots.cast_ballot(
        session=session, poll=poll, voter=person, cast=BallotCast.model_validate(body)
    )


def test_sending_opens_a_question_per_poll_with_no_one_present(session: Session) -> None:
    meeting, clerk, people = consultation(session)
    deadline = utcnow() + timedelta(days=2)
    sent = written.send(session, meeting=meeting, questions=QUESTIONS, deadline=deadline, by=clerk)
    assert [p.status for p in sent] == [PollStatus.open, PollStatus.open]
    assert meeting.status == MeetingStatus.in_progress
    assert all(p.opinion_agree and p.majority_rule == "absolute_members" for p in sent)
    with pytest.raises(ConflictError):  # sent once
        written.send(session, meeting=meeting, questions=QUESTIONS, deadline=deadline, by=clerk)
    assert "written.sent" in session.exec(select(AuditEntry.action)).all()


def test_bad_sends_are_refused_and_nothing_opens(session: Session) -> None:
    meeting, clerk, _ = consultation(session)
    later = utcnow() + timedelta(days=1)
    for questions, deadline in (
        ([], later),
        ([Question("  ")], later),
        ([Question("x" * 301)], later),
        (QUESTIONS, utcnow() - timedelta(minutes=1)),
    ):
        with pytest.raises(InvalidInputError):
            written.send(session, meeting=meeting, questions=questions, deadline=deadline, by=clerk)
    assert written.questions_of(session, meeting) == []
    assert meeting.status == MeetingStatus.draft


def test_a_session_meeting_is_not_a_written_consultation(
    session: Session, meeting: Meeting
) -> None:
    clerk = make_user(session, role=Role.secretariat)
    with pytest.raises(ConflictError, match="not a written"):
        written.send(session, meeting=meeting, questions=QUESTIONS, deadline=utcnow(), by=clerk)


def test_the_verdict_is_counted_on_all_members(session: Session) -> None:
    meeting, clerk, people = consultation(session, members=5)
    first, second = written.send(
        session,
        meeting=meeting,
        questions=QUESTIONS,
        deadline=utcnow() + timedelta(days=1),
        by=clerk,
    )
    # Question 1: 2 agree of 5 members (a majority of those who answered, not of all members).
    answer(session, first.id or 0, people[0], True)
    answer(session, first.id or 0, people[1], True)
    answer(session, first.id or 0, people[2], False, "Chưa đủ căn cứ")
    with pytest.raises(ConflictError, match="already"):  # a second ballot is never counted
        answer(session, first.id or 0, people[0], False)
    # Question 2: 3 agree of 5, one other opinion with text.
    for person in people[:3]:
        answer(session, second.id or 0, person, True)
    answer(session, second.id or 0, people[3], None, "Đề nghị làm rõ nguồn vốn")
    later = utcnow() + timedelta(days=2)
    assert sorted(close_due_polls(session=session, now=later)) == sorted([first.id, second.id])
    body = written.result_body(session, meeting)
    one, two = body["questions"]
    assert (one["agree"], one["disagree"], one["verdict"], one["needed"]) == (2, 1, "rejected", 3)
    assert (two["agree"], two["other"], two["verdict"]) == (3, 1, "adopted")
    assert two["opinions"] == [
        {"full_name": "Ủy viên Thường trực 3", "agree": None, "text": "Đề nghị làm rõ nguồn vốn"}
    ]
    assert body["members"] == 5


def test_the_chair_signs_off_once_every_question_closed(session: Session) -> None:
    meeting, clerk, people = consultation(session, members=3)
    [poll] = written.send(
        session,
        meeting=meeting,
        questions=QUESTIONS[:1],
        deadline=utcnow() + timedelta(days=1),
        by=clerk,
    )
    answer(session, poll.id or 0, people[0], True)
    with pytest.raises(ConflictError, match="still open"):
        written.sign_off(session, meeting=meeting, by=clerk)
    close_due_polls(session=session, now=utcnow() + timedelta(days=2))
    result = written.sign_off(session, meeting=meeting, by=clerk)
    assert result.sha256 == written.fingerprint(result.body)
    assert meeting.status == MeetingStatus.closed
    with pytest.raises(ConflictError, match="already"):
        written.sign_off(session, meeting=meeting, by=clerk)
    assert "written.signed_off" in session.exec(select(AuditEntry.action)).all()


def test_members_who_owe_an_answer_are_reminded_once(session: Session, mailbox: Mailbox) -> None:
    meeting, clerk, people = consultation(session, members=3)
    for n, person in enumerate(people):
        person.email = f"uyvien{n}@hoidong.example"
        session.add(person)
    session.commit()
    deadline = utcnow() + timedelta(days=2)
    first, second = written.send(
        session, meeting=meeting, questions=QUESTIONS, deadline=deadline, by=clerk
    )
    answer(session, first.id or 0, people[0], True)
    answer(session, second.id or 0, people[0], True)
    answer(session, first.id or 0, people[1], True)  # one of two: still owes an answer
    config, link_for = config_for(mailbox.port), written.LinkFor("https://hop.example")
    assert written.remind_due(session, config=config, link_for=link_for) == []  # not yet due
    soon = deadline - timedelta(hours=3)
    assert written.remind_due(session, config=config, link_for=link_for, now=soon) == [meeting.id]
    assert sorted(m["To"] for m in mailbox.messages) == [
        "uyvien1@hoidong.example",
        "uyvien2@hoidong.example",
    ]
    assert f"https://hop.example/room/{meeting.id}" in body_of(mailbox.messages[0])
    assert written.remind_due(session, config=config, link_for=link_for, now=soon) == []
    assert len(mailbox.messages) == 2
