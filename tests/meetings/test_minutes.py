"""Minutes: the draft tells what the meeting recorded, edits change a draft only, a final version
is locked by its sha256, a correction starts the next version; PDF and DOCX exports."""

import hashlib
import io
import json
import unicodedata

import pytest
from docx import Document as DocxDocument
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session, col, select

from models import (
    Event,
    MinutesStatus,
    MinutesUpdate,
    SectionEdit,
)
from models.audit import AuditEntry
from records import minutes
from records.minutes import MinutesLockedError, MinutesStateError, UnknownSectionError
from records.minutes_export import MOTTO, NATION, minutes_docx, minutes_pdf, pdf_fonts
from tests.factories import (
    Scene,
    make_room,
    stage_meeting,
)
from voting import polls


@pytest.fixture
def scene(session: Session, client: TestClient) -> Scene:
    return stage_meeting(session, client)


def _text(session: Session, scene: Scene) -> dict[str, str]:
    drafted = minutes.draft_minutes(session=session, meeting=scene.meeting, author=scene.room.clerk)
    return {section.key: section.text for section in minutes.body_of(drafted).sections}


def test_the_draft_tells_attendance_with_arrivals_and_reasons(
    session: Session, scene: Scene
) -> None:
    text = _text(session, scene)["participants"]
    present, absent = text.split("Vắng mặt")
    assert scene.came.full_name in present
    assert "nhận diện khuôn mặt" in present
    assert scene.left.full_name in present
    assert "ra về lúc" in present
    assert f"{scene.room.chair.full_name} (chủ trì)" in present
    assert f"{scene.excused.full_name} - có lý do: Đi công tác." in absent
    assert f"{scene.missing.full_name} - không báo lý do." in absent
    assert "Có mặt (3):" in text
    assert "Vắng mặt (2):" in text
    assert "có mặt: 3 (3 đại biểu có quyền biểu quyết)" in text


def test_the_draft_has_per_item_papers_speakers_votes_and_opinions(
    session: Session, scene: Scene
) -> None:
    drafted = minutes.draft_minutes(session=session, meeting=scene.meeting, author=scene.room.clerk)
    body = minutes.body_of(drafted)
    titles = [section.title for section in body.sections]
    assert titles[:3] == [
        "I. THỜI GIAN, ĐỊA ĐIỂM",
        "II. THÀNH PHẦN THAM DỰ",
        "III. NỘI DUNG CUỘC HỌP",
    ]
    assert "1. Khai mạc" in titles
    assert titles[-1] == "IV. KẾT THÚC"
    item = next(s for s in body.sections if s.title == "2. Thông qua Nghị quyết")
    assert "Tờ trình dự toán (phiên bản 2, tệp to-trinh-v2.pdf)" in item.text
    assert "Bản nháp chưa phát hành" not in item.text
    assert f"Đại biểu {scene.came.full_name} (" in item.text
    assert "Đề nghị bổ sung kinh phí chỉnh trang vỉa hè" in item.text
    assert "Thông qua dự toán ngân sách (biểu quyết công khai" in item.text
    assert "Tán thành: 2; Không tán thành: 0. Kết quả: Thông qua." in item.text
    assert "Góp ý Đề án hè phố: 1 ý kiến (đồng ý 1, không đồng ý 0" in item.text
    assert f"+ {scene.came.full_name}: Cần lấy ý kiến hộ kinh doanh" in item.text
    assert "Biểu quyết chưa đóng" not in item.text
    conclusion = body.sections[body.sections.index(item) + 1]
    assert (conclusion.key, conclusion.title, conclusion.text) == (
        f"{item.key}-conclusion",
        "Kết luận",
        "",
    )
    assert body.chair_name == scene.room.chair.full_name
    assert body.secretary_name == scene.room.clerk.full_name
    assert body.subject == scene.meeting.title


def test_a_draft_is_edited_and_drafting_again_needs_replace(session: Session, scene: Scene) -> None:
    drafted = minutes.draft_minutes(session=session, meeting=scene.meeting, author=scene.room.clerk)
    key = minutes.body_of(drafted).sections[-2].key
    edit = MinutesUpdate(
        place_date="Hoàn Kiếm, ngày 05 tháng 02 năm 2027",
        sections=[SectionEdit(key=key, text="Hội nghị thống nhất thông qua.")],
    )
    edited = minutes.update_minutes(session=session, meeting=scene.meeting, data=edit)
    body = minutes.body_of(edited)
    assert body.place_date == "Hoàn Kiếm, ngày 05 tháng 02 năm 2027"
    assert body.sections[-2].text == "Hội nghị thống nhất thông qua."
    with pytest.raises(UnknownSectionError):
        minutes.update_minutes(
            session=session,
            meeting=scene.meeting,
            data=MinutesUpdate(sections=[SectionEdit(key="nope", text="x")]),
        )
    assert minutes.body_of(minutes.get_minutes(session=session, meeting=scene.meeting)) == body
    with pytest.raises(MinutesStateError):
        minutes.draft_minutes(session=session, meeting=scene.meeting, author=scene.room.clerk)
    again = minutes.draft_minutes(
        session=session, meeting=scene.meeting, author=scene.room.clerk, replace=True
    )
    assert (again.id, again.version) == (drafted.id, 1)
    assert minutes.body_of(again).sections[-2].text == ""


def test_finalised_minutes_are_locked_by_their_sha256(session: Session, scene: Scene) -> None:
    minutes.draft_minutes(session=session, meeting=scene.meeting, author=scene.room.clerk)
    final = minutes.finalise_minutes(
        session=session, meeting=scene.meeting, person=scene.room.chair
    )
    assert final.status == MinutesStatus.final
    assert final.finalised_by == scene.room.chair.id
    content = {"meeting_id": final.meeting_id, "version": 1, "body": final.body}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert final.sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    assert minutes.is_intact(final)
    with pytest.raises(MinutesLockedError):
        minutes.update_minutes(
            session=session, meeting=scene.meeting, data=MinutesUpdate(title="Sửa lén")
        )
    with pytest.raises(MinutesLockedError):
        minutes.finalise_minutes(session=session, meeting=scene.meeting, person=scene.room.clerk)
    with pytest.raises(MinutesLockedError):
        minutes.draft_minutes(
            session=session, meeting=scene.meeting, author=scene.room.clerk, replace=True
        )
    stored = minutes.get_minutes(session=session, meeting=scene.meeting)
    session.refresh(stored)
    assert stored.body == final.body
    assert minutes.is_intact(stored)
    event = session.exec(
        select(Event).where(Event.type == "minutes.finalised").order_by(col(Event.seq))
    ).one()
    assert event.data == {"version": 1, "sha256": final.sha256}
    assert event.audience == "managers"
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "minutes.finalised")).one()
    assert (entry.target_id, entry.meeting_id, entry.actor_id) == (
        final.id,
        final.meeting_id,
        scene.room.chair.id,
    )
    assert entry.detail == {"version": 1, "sha256": final.sha256}


def test_a_correction_is_a_new_version_and_the_old_one_stays(
    session: Session, scene: Scene
) -> None:
    meeting, clerk = scene.meeting, scene.room.clerk
    with pytest.raises(minutes.MinutesNotFoundError):
        minutes.correct_minutes(session=session, meeting=meeting, author=clerk)
    minutes.draft_minutes(session=session, meeting=meeting, author=clerk)
    with pytest.raises(MinutesStateError):
        minutes.correct_minutes(session=session, meeting=meeting, author=clerk)
    first = minutes.finalise_minutes(session=session, meeting=meeting, person=clerk)
    second = minutes.correct_minutes(session=session, meeting=meeting, author=clerk)
    assert (second.version, second.status, second.sha256) == (2, MinutesStatus.draft, None)
    assert second.body == first.body
    minutes.update_minutes(session=session, meeting=meeting, data=MinutesUpdate(subject="Đã sửa"))
    final = minutes.finalise_minutes(session=session, meeting=meeting, person=clerk)
    assert final.sha256 != first.sha256
    kept = minutes.get_minutes(session=session, meeting=meeting, version=1)
    assert (kept.sha256, minutes.body_of(kept).subject) == (first.sha256, meeting.title)
    corrected = session.exec(select(AuditEntry).where(AuditEntry.action == "minutes.corrected"))
    assert [entry.target_id for entry in corrected] == [second.id]
    history = minutes.describe_versions(session=session, meeting=meeting)
    assert [(v.version, v.status, v.finalised_by_name) for v in history] == [
        (1, MinutesStatus.final, clerk.full_name),
        (2, MinutesStatus.final, clerk.full_name),
    ]


def _pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in reader.pages))


def test_the_pdf_has_the_administrative_layout_in_vietnamese(
    session: Session, scene: Scene
) -> None:
    minutes.draft_minutes(session=session, meeting=scene.meeting, author=scene.room.clerk)
    draft_text = _pdf_text(minutes_pdf(minutes.get_minutes(session=session, meeting=scene.meeting)))
    assert "DỰ THẢO" in draft_text
    final = minutes.finalise_minutes(
        session=session, meeting=scene.meeting, person=scene.room.clerk
    )
    text = _pdf_text(minutes_pdf(final))
    fonts = pdf_fonts()
    for expected in (NATION, MOTTO, "BIÊN BẢN HỌP", "THỜI GIAN, ĐỊA ĐIỂM", "THƯ KÝ", "CHỦ TRÌ"):
        assert fonts.text(expected) in text
    assert fonts.text(scene.excused.full_name) in text
    assert final.sha256 is not None
    assert final.sha256[:32] in text.replace("\n", "")
    assert "DỰ THẢO" not in text


def test_the_docx_opens_and_lists_the_attendance(session: Session, scene: Scene) -> None:
    drafted = minutes.draft_minutes(session=session, meeting=scene.meeting, author=scene.room.clerk)
    document = DocxDocument(io.BytesIO(minutes_docx(drafted)))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    cells = [cell.text for table in document.tables for cell in table.rows[0].cells]
    assert "BIÊN BẢN HỌP" in paragraphs
    assert any(NATION in cell and MOTTO in cell for cell in cells)
    assert any(scene.came.full_name in line and "đến lúc" in line for line in paragraphs)
    assert any("Đi công tác" in line and scene.excused.full_name in line for line in paragraphs)
    assert any(scene.room.clerk.full_name in cell for cell in cells)
    assert "Dự thảo" in document.sections[0].footer.paragraphs[0].text
    assert "Kết luận" not in paragraphs  # conclusions nobody wrote are left out
    key = next(s.key for s in minutes.body_of(drafted).sections if s.key.endswith("-conclusion"))
    edit = MinutesUpdate(sections=[SectionEdit(key=key, text="Giao Ủy ban nhân dân thực hiện.")])
    edited = minutes.update_minutes(session=session, meeting=scene.meeting, data=edit)
    paragraphs = [p.text for p in DocxDocument(io.BytesIO(minutes_docx(edited))).paragraphs]
    conclusion = paragraphs.index("Kết luận")
    assert paragraphs[conclusion + 1] == "Giao Ủy ban nhân dân thực hiện."


def test_secret_opinions_are_summarised_without_names(session: Session) -> None:
    room = make_room(session, delegates=2)
    poll = room.open(title="Góp ý kín", kind="opinion", secret=True)
    for person, text in zip(room.delegates, ("Ý kiến thứ nhất", "Ý kiến thứ hai"), strict=True):
        room.cast(poll, person, text=text)
    polls.close_poll(session=session, poll=poll)
    drafted = minutes.draft_minutes(session=session, meeting=room.meeting, author=room.clerk)
    other = next(s for s in minutes.body_of(drafted).sections if s.key == "other")
    assert "Góp ý kín: 2 ý kiến." in other.text
    assert "  + Ý kiến thứ nhất" in other.text
    assert "  + Ý kiến thứ hai" in other.text
    assert not any(person.full_name in other.text for person in room.delegates)
