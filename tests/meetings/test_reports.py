"""Attendance and poll-result reports: CSV (BOM, formula-safe) and PDF content."""

import csv
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from checkin import attendance
from meetings import access, scheduling
from models import AttendanceMethod, Meeting, MeetingRole, Person, Reply, Role
from models.base import utcnow
from records import reports
from tests.factories import Room, invite, make_meeting, make_room, make_user
from voting import export, polls
from web.i18n import Translator
from web.pages.report_words import REPORT_WORDS


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(body)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


class Hall:
    """A meeting where one came by face, one by hand then left, one declined, one ignored it."""

    def __init__(self, session: Session) -> None:
        clerk = make_user(session, role=Role.secretariat)
        self.meeting: Meeting = make_meeting(session, creator=clerk, title="Họp HĐND quận")
        names = ("An Nguyễn", "Bình Trần", "Chi Lê", "=HYPERLINK(1)")
        self.people: list[Person] = [make_user(session, full_name=name) for name in names]
        for person in self.people:
            invite(session, self.meeting, person)
        self.start = utcnow() - timedelta(minutes=30)
        self._record(session)

    def _record(self, session: Session) -> None:
        face, desk, declined, _ = self.people
        attendance.record_check_in(
            session=session,
            meeting=self.meeting,
            person_id=face.id or 0,
            method=AttendanceMethod.face,
            distance=0.31,
            at=self.start,
        )
        attendance.record_check_in(
            session=session,
            meeting=self.meeting,
            person_id=desk.id or 0,
            method=AttendanceMethod.manual,
            at=self.start + timedelta(minutes=5),
        )
        attendance.record_check_out(
            session=session,
            meeting=self.meeting,
            person_id=desk.id or 0,
            reason="Đi công tác",
            at=self.start + timedelta(minutes=20),
        )
        invitation = access.find_invitation(
            session, meeting_id=self.meeting.id or 0, person_id=declined.id or 0
        )
        assert invitation is not None
        scheduling.reply_to_invitation(
            session=session, invitation=invitation, reply=Reply.declined, reason="Ốm"
        )


@pytest.fixture
def hall(session: Session) -> Hall:
    return Hall(session)


def by_name(rows: list[list[str]], key: str = "Name") -> dict[str, dict[str, str]]:
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == key)
    header = rows[header_at]
    return {row[0]: dict(zip(header, row, strict=True)) for row in rows[header_at + 1 :] if row}


def test_attendance_csv_has_arrival_method_departures_and_absences(
    session: Session, hall: Hall
) -> None:
    rows = by_name(read_csv(reports.attendance_csv(session=session, meeting=hall.meeting)))
    face = rows["An Nguyễn"]
    assert (face["Status"], face["Method"]) == ("Present", "Face")
    assert face["First arrival (UTC+7)"] == reports.local_time(hall.start)
    desk = rows["Bình Trần"]
    assert (desk["Status"], desk["Method"]) == ("Left", "At the desk")
    leave = reports.local_time(hall.start + timedelta(minutes=20))
    assert desk["Departures (UTC+7)"] == f"{leave} (Đi công tác)"
    declined = rows["Chi Lê"]
    assert (declined["Status"], declined["Reply"], declined["Absence reason"]) == (
        "Absent",
        "Declined",
        "Ốm",
    )
    assert declined["First arrival (UTC+7)"] == declined["Method"] == ""


def test_attendance_csv_is_formula_safe(session: Session, hall: Hall) -> None:
    rows = read_csv(reports.attendance_csv(session=session, meeting=hall.meeting))
    assert ["'=HYPERLINK(1)"] == [row[0] for row in rows if "HYPERLINK" in "".join(row)]
    figures = dict(row for row in rows if len(row) == 2)
    assert (figures["Invited"], figures["Arrived so far"], figures["Absent"]) == ("4", "2", "2")


def test_attendance_pdf_lists_every_invitee(session: Session, hall: Hall) -> None:
    text = pdf_text(reports.attendance_pdf(session=session, meeting=hall.meeting))
    assert "Họp HĐND quận" in text
    for expected in ("An Nguyễn", "Chi Lê", "Face", "At the desk", "Absent", "Ốm", "Đi công tác"):
        assert expected in text


def closed_polls(room: Room) -> None:
    named = room.open(title="Thông qua chương trình")
    for delegate in room.delegates[:3]:
        room.cast(named, delegate, choice="yes")
    room.cast(named, room.delegates[3], choice="no")
    polls.close_poll(session=room.session, poll=named)
    secret = room.open(title="Bầu trưởng ban", kind="single", options=["Lan", "Huệ"], secret=True)
    room.cast(secret, room.delegates[0], choice="1")
    polls.close_poll(session=room.session, poll=secret)
    polls.publish_poll(session=room.session, poll=secret)
    room.open(title="Still open")


def test_polls_csv_concatenates_every_closed_result(session: Session) -> None:
    room = make_room(session, delegates=4)
    closed_polls(room)
    rows = read_csv(reports.polls_csv(session=session, meeting=room.meeting))
    titles = [row[1] for row in rows if row and row[0] == "Poll"]
    assert titles == ["Thông qua chương trình", "Bầu trưởng ban"]
    votes = [row for row in rows if len(row) == 2 and row[0] in ("Yes", "No", "Lan", "Huệ")]
    assert votes == [["Yes", "3"], ["No", "1"], ["Lan", "1"], ["Huệ", "0"]]
    assert room.delegates[0].full_name in {row[0] for row in rows if row}  # named voters
    assert sum(row[:1] == ["Receipt"] for row in rows) == 1


def test_polls_pdf_has_a_page_per_poll(session: Session) -> None:
    room = make_room(session, delegates=4)
    closed_polls(room)
    body = reports.polls_pdf(session=session, meeting=room.meeting)
    assert len(PdfReader(io.BytesIO(body)).pages) >= 2
    text = pdf_text(body)
    assert "Thông qua chương trình" in text
    assert "Bầu trưởng ban" in text
    assert "Still open" not in text


def test_reports_of_an_empty_meeting(session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    assert read_csv(reports.polls_csv(session=session, meeting=meeting)) == [
        ["Meeting", meeting.title]
    ]
    assert pdf_text(reports.polls_pdf(session=session, meeting=meeting))
    assert pdf_text(reports.attendance_pdf(session=session, meeting=meeting))


def test_chair_role_is_reported(session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat)
    chair = make_user(session, full_name="Chủ tọa")
    meeting = make_meeting(session, creator=clerk, chair=chair)
    invite(session, meeting, chair, role=MeetingRole.chair)
    rows = by_name(read_csv(reports.attendance_csv(session=session, meeting=meeting)))
    assert rows["Chủ tọa"]["Role"] == "Chair"
    assert rows["Chủ tọa"]["Status"] == "Absent"


def test_the_reports_speak_the_readers_language(session: Session, hall: Hall) -> None:
    vietnamese = Translator().gettext("vi")
    rows = by_name(
        read_csv(reports.attendance_csv(session=session, meeting=hall.meeting, tr=vietnamese)),
        key="Họ tên",
    )
    assert (rows["An Nguyễn"]["Trạng thái"], rows["An Nguyễn"]["Cách điểm danh"]) == (
        "Có mặt",
        "Khuôn mặt",
    )
    assert rows["Chi Lê"]["Lý do vắng"] == "Ốm"
    text = pdf_text(reports.attendance_pdf(session=session, meeting=hall.meeting, tr=vietnamese))
    assert "Điểm danh: Họp HĐND quận" in text
    assert "Tại bàn đón tiếp" in text


def test_every_word_the_reports_translate_is_in_the_catalogue(session: Session, hall: Hall) -> None:
    asked: set[str] = set()

    def recording(text: str) -> str:
        asked.add(text)
        return text

    reports.attendance_csv(session=session, meeting=hall.meeting, tr=recording)
    reports.attendance_pdf(session=session, meeting=hall.meeting, tr=recording)
    room = make_room(session, delegates=4)
    closed_polls(room)
    reports.polls_csv(session=session, meeting=room.meeting, tr=recording)
    opinion = room.open(title="Góp ý dự thảo", kind="opinion", opinion_agree=True)
    room.cast(opinion, room.delegates[0], text="Đồng ý", agree=True)
    secret = room.open(title="Bỏ phiếu kín", secret=True)
    room.cast(secret, room.delegates[1], choice="yes")
    for poll in (opinion, secret):
        export.result_csv(polls.close_poll(session=session, poll=poll), recording)
    candidates = {"Lan", "Huệ"}  # choices are the poll's own words, passed through as they are
    assert asked - candidates - set(REPORT_WORDS) == set()
