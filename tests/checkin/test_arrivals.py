"""The check-in use cases on a plain session: a kiosk frame's arrivals, and the desk's hand."""

import pytest
from sqlmodel import Session, col, select

from checkin import attendance
from checkin.arrivals import record_arrivals
from checkin.crypto import FaceCipher
from checkin.frames import MeetingFaces, load_meeting_faces
from checkin.gallery import GalleryCache
from checkin.qr import QrSigner
from checkin.tracker import CheckIn
from models import AttendanceKind, AttendanceMethod, AuditEntry, Invitation, Meeting, Person
from tests.factories import invite, make_meeting, make_person

SECRET = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def invitations(session: Session, meeting: Meeting) -> list[Invitation]:
    return [invite(session, meeting, make_person(session)) for _ in range(3)]


@pytest.fixture
def meeting_faces(
    session: Session, meeting: Meeting, invitations: list[Invitation]
) -> MeetingFaces:
    cache = GalleryCache(FaceCipher.from_secret(SECRET))
    return load_meeting_faces(session=session, meeting_id=meeting.id or 0, cache=cache)


def entries(session: Session, meeting: Meeting) -> list[tuple[int, str, str, float | None, str]]:
    rows = attendance.list_entries(session=session, meeting_id=meeting.id or 0)
    return [(r.person_id, r.kind, r.method, r.distance, r.kiosk or "") for r in rows]


def test_a_frame_checks_in_faces_then_qr_codes_each_with_its_method(
    session: Session,
    meeting: Meeting,
    invitations: list[Invitation],
    meeting_faces: MeetingFaces,
) -> None:
    signer = QrSigner(SECRET)
    first, second, third = (inv.person_id for inv in invitations)
    code = signer.sign(meeting_id=meeting.id or 0, invitation_id=invitations[2].id or 0)
    arrivals = record_arrivals(
        session=session,
        meeting_id=meeting.id or 0,
        faces=meeting_faces,
        recognised=[CheckIn(first, 0.31234, track_id=1, at=0.0), (second, 0.4)],
        codes=[code, code, "not a code"],
        signer=signer,
        kiosk="Cửa A",
    )
    assert [(a.person_id, a.method, a.new) for a in arrivals] == [
        (first, "face", True),
        (second, "face", True),
        (third, "qr", True),
    ]
    assert arrivals[2].as_dict()["name"] == meeting_faces.invitees[third].name
    assert entries(session, meeting) == [
        (first, "check_in", "face", pytest.approx(0.3123), "Cửa A"),
        (second, "check_in", "face", pytest.approx(0.4), "Cửa A"),
        (third, "check_in", "qr", None, "Cửa A"),
    ]


def test_someone_already_present_arrives_again_without_a_new_row(
    session: Session, meeting: Meeting, invitations: list[Invitation], meeting_faces: MeetingFaces
) -> None:
    person_id = invitations[0].person_id

    def arrive() -> list[bool]:
        arrivals = record_arrivals(
            session=session,
            meeting_id=meeting.id or 0,
            faces=meeting_faces,
            recognised=[(person_id, 0.3)],
            codes=[],
            signer=QrSigner(SECRET),
            kiosk="Cửa A",
        )
        return [arrival.new for arrival in arrivals]

    assert arrive() == [True]
    assert arrive() == [False]
    assert len(entries(session, meeting)) == 1


def test_codes_of_another_meeting_or_signer_check_no_one_in(
    session: Session,
    clerk: Person,
    meeting: Meeting,
    invitations: list[Invitation],
    meeting_faces: MeetingFaces,
) -> None:
    other = make_meeting(session, creator=clerk, title="Kỳ họp khác")
    signer = QrSigner(SECRET)
    codes = [
        signer.sign(meeting_id=other.id or 0, invitation_id=invitations[0].id or 0),
        QrSigner("another-secret-key-that-is-long-enough-987654321").sign(
            meeting_id=meeting.id or 0, invitation_id=invitations[0].id or 0
        ),
    ]
    arrivals = record_arrivals(
        session=session,
        meeting_id=meeting.id or 0,
        faces=meeting_faces,
        recognised=[],
        codes=codes,
        signer=signer,
        kiosk="Cửa A",
    )
    assert arrivals == []
    assert entries(session, meeting) == []


@pytest.mark.parametrize("kind", [AttendanceKind.check_in, AttendanceKind.check_out])
def test_the_desk_checks_in_and_out_by_hand_and_each_change_is_audited(
    session: Session,
    clerk: Person,
    meeting: Meeting,
    invitations: list[Invitation],
    kind: AttendanceKind,
) -> None:
    person_id = invitations[0].person_id
    if kind == AttendanceKind.check_out:  # someone present to check out
        attendance.record_check_in(
            session=session, meeting=meeting, person_id=person_id, method=AttendanceMethod.face
        )
    change = attendance.record_manual(
        session=session,
        meeting=meeting,
        person_id=person_id,
        kind=kind,
        operator_id=clerk.id,
        reason="  at the door  ",
    )
    assert change.changed
    assert change.present == (kind == AttendanceKind.check_in)
    entry = change.entry
    assert (entry.kind, entry.method, entry.operator_id) == (kind, "manual", clerk.id)
    assert entry.reason == "at the door"
    audits = session.exec(select(AuditEntry).where(AuditEntry.action == "attendance.manual")).all()
    assert [(a.actor, a.target_id, a.detail) for a in audits] == [
        (clerk.username, person_id, {"kind": str(kind), "reason": "at the door"})
    ]


def test_a_manual_change_that_changes_nothing_records_nothing(
    session: Session, clerk: Person, meeting: Meeting, invitations: list[Invitation]
) -> None:
    change = attendance.record_manual(
        session=session,
        meeting=meeting,
        person_id=invitations[0].person_id,
        kind=AttendanceKind.check_out,
        operator_id=clerk.id,
    )
    assert not change.changed
    assert entries(session, meeting) == []
    query = select(AuditEntry).where(col(AuditEntry.action) == "attendance.manual")
    assert session.exec(query).all() == []
