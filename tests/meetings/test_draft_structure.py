"""A draft's structure: proposed from its text (pages, a PDF, a DOCX), saved per version."""

import dataclasses
import io
import time
import unicodedata
from pathlib import Path

import pytest
from sqlmodel import Session

from core.pdf import SERIF, load_fonts
from meetings import doctext
from meetings import documents as docs
from meetings import draft_structure as ds
from meetings.documents import Uploads
from meetings.draft_structure import Section
from meetings.errors import DraftStructureError, DraftTextError
from models import DocumentVersion, Meeting, Person, SectionKind
from tests.meetings.search_support import add_pdf, uploads_in

PREAMBLE = """HỘI ĐỒNG NHÂN DÂN THÀNH PHỐ
NGHỊ QUYẾT
Quy định mức chi cho công tác quản lý hè phố
Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6
năm 2015;
QUYẾT NGHỊ:"""
# Three pages as pypdf gives them back: lines broken in mid-sentence, a running header, page
# numbers alone on a line, and a sentence broken just before "Chương II".
PAGES = [
    f"""DỰ THẢO LẦN 2
{PREAMBLE}
Chương I
NHỮNG QUY ĐỊNH CHUNG
Điều 1. Phạm vi điều chỉnh
Nghị quyết này quy định mức chi cho công tác quản lý
hè phố trên địa bàn thành phố.
Điều 2 . Đối tượng áp dụng
1. Cơ quan nhà nước theo quy định tại
Chương II của Nghị quyết này.
2. Tổ chức, cá nhân sử dụng hè phố.
1""",
    """DỰ THẢO LẦN 2
Điều 3.  Mức chi và
nội dung chi
1. Mức chi như sau:
a) Chi lập hồ sơ: 500.000
đồng;
b) Chi kiểm tra;
c) Chi tuyên truyền;
d) Chi tổng kết;
đ) Chi khác.
2. Nguồn kinh phí.
2""",
    """DỰ THẢO LẦN 2
Chương II
ĐIỀU KHOẢN THI HÀNH
Điều 4. Hiệu lực thi hành
Nghị quyết này có hiệu lực từ ngày
01 tháng 01 năm 2026.
Nơi nhận:
- Như Điều 4;
TM. HỘI ĐỒNG NHÂN DÂN
3""",
]
EXPECTED = [  # (label, parent position, title)
    ("Chương I", None, "NHỮNG QUY ĐỊNH CHUNG"),
    ("Điều 1", 0, "Phạm vi điều chỉnh"),
    ("Điều 2", 0, "Đối tượng áp dụng"),
    ("Khoản 1", 2, ""),
    ("Khoản 2", 2, ""),
    ("Điều 3", 0, "Mức chi và nội dung chi"),
    ("Khoản 1", 5, ""),
    ("Điểm a", 6, ""),
    ("Điểm b", 6, ""),
    ("Điểm c", 6, ""),
    ("Điểm d", 6, ""),
    ("Điểm đ", 6, ""),
    ("Khoản 2", 5, ""),
    ("Chương II", None, "ĐIỀU KHOẢN THI HÀNH"),
    ("Điều 4", 13, "Hiệu lực thi hành"),
]


@pytest.fixture
def uploads(tmp_path: Path) -> Uploads:
    return uploads_in(tmp_path / "files")


def shape(sections: list[Section]) -> list[tuple[str, int | None, str]]:
    return [(s.label, s.parent_position, s.title) for s in sections]


def drawn_pdf(pages: list[str]) -> bytes:
    """The pages drawn line by line in DejaVu Serif, as a word processor's PDF would be."""
    from reportlab.pdfgen import canvas

    fonts = load_fonts(families=(SERIF,))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for text in pages:
        pdf.setFont(fonts.regular, 11)
        for number, line in enumerate(text.splitlines()):
            pdf.drawString(60, 780 - 15 * number, fonts.text(line))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def image_only_pdf() -> bytes:
    """A scan as far as text goes: a page with a drawing and no text layer."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.rect(72, 72, 400, 600, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def docx_bytes(lines: list[str]) -> bytes:
    from docx import Document as Docx

    document = Docx()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def stored_version(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person, data: bytes, name: str
) -> DocumentVersion:
    document = docs.add_document(
        session=session,
        uploads=uploads,
        meeting=meeting,
        title="Dự thảo nghị quyết",
        source=io.BytesIO(data),
        filename=name,
        uploader=clerk,
    )
    return docs.get_version(session=session, document=document)


# Parsing page texts


def test_a_resolution_is_split_into_chapters_articles_clauses_and_points() -> None:
    sections = ds.parse_structure(PAGES)
    assert shape(sections) == EXPECTED
    assert [s.position for s in sections] == list(range(len(EXPECTED)))
    assert [s.page for s in sections] == [1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3]
    article_3, point_a, point_dd = sections[5], sections[7], sections[11]
    assert (article_3.kind, article_3.number, article_3.text) == (SectionKind.article, "3", "")
    assert (point_a.kind, point_a.number) == (SectionKind.point, "a")
    assert point_a.text == "Chi lập hồ sơ: 500.000 đồng;"
    assert (point_dd.number, point_dd.text) == ("đ", "Chi khác.")


def test_broken_lines_are_joined_and_headers_footers_dropped() -> None:
    sections = ds.parse_structure(PAGES)
    assert sections[1].text == (
        "Nghị quyết này quy định mức chi cho công tác quản lý hè phố trên địa bàn thành phố."
    )
    # "Chương II của ..." continues a sentence; it opens no chapter.
    assert sections[3].text == "Cơ quan nhà nước theo quy định tại Chương II của Nghị quyết này."
    assert sections[4].text == "Tổ chức, cá nhân sử dụng hè phố."  # no page number, no header
    # The draft ends at "Nơi nhận": the recipients and the signature are not Điều 4's words.
    assert sections[14].text == "Nghị quyết này có hiệu lực từ ngày 01 tháng 01 năm 2026."


def test_the_preamble_is_no_section() -> None:
    sections = ds.parse_structure(PAGES)
    assert not any("Căn cứ" in s.text or "QUYẾT NGHỊ" in s.text for s in sections)


def test_decomposed_accents_and_odd_spacing_are_read() -> None:
    text = (
        "Điều   1 .  Phạm vi\nNội dung.\nĐIỀU 2: Đối tượng\n1 .  Một.\n2. Hai:\na ) Ý a;\nb) Ý b."
    )
    sections = ds.parse_structure([unicodedata.normalize("NFD", text)])
    assert [(s.label, s.title, s.text) for s in sections] == [
        ("Điều 1", "Phạm vi", "Nội dung."),
        ("Điều 2", "Đối tượng", ""),
        ("Khoản 1", "", "Một."),
        ("Khoản 2", "", "Hai:"),
        ("Điểm a", "", "Ý a;"),
        ("Điểm b", "", "Ý b."),
    ]


def test_an_article_without_clauses_and_points_directly_in_an_article() -> None:
    text = "Điều 1. Giải thích\nTrong Nghị quyết này:\na) Hè phố là phần đường;\nb) Lòng đường."
    sections = ds.parse_structure([text])
    assert shape(sections) == [("Điều 1", None, "Giải thích"), ("Điểm a", 0, ""), ("Điểm b", 0, "")]
    assert sections[0].text == "Trong Nghị quyết này:"


def test_numbers_out_of_order_are_words_not_clauses() -> None:
    text = "Điều 1. Mức thu\n1. Thu theo\n3. tháng một lần\nc) không là điểm;\n2. Hai."
    sections = ds.parse_structure([text])
    assert [s.label for s in sections] == ["Điều 1", "Khoản 1", "Khoản 2"]
    assert sections[1].text == "Thu theo 3. tháng một lần c) không là điểm;"


def test_a_text_without_article_has_no_structure() -> None:
    assert ds.parse_structure(["Chương I\nQUY ĐỊNH CHUNG\nCăn cứ Luật ...\n1. Một\na) Hai"]) == []
    assert ds.parse_structure([]) == []
    assert ds.parse_structure(["", "  \n 3 \n"]) == []


def test_a_hostile_text_is_bounded() -> None:
    hostile = [
        ["Điều 1. X\n" * 200_000],  # 2 MB of articles
        ["Điều 1. X\n" + "".join(f"{n}. y\n" for n in range(1, 1000)) * 300],
        ["Chương I\n" + "Chương I của\n" * 150_000],
        ["Điều 1. " + "a) " * 700_000],
        ["Điều 1. X\n" + "a\n" * 1_000_000],
        [""] * 1_000_000,
    ]
    for pages in hostile:
        # CPU time, not wall time: linear parsing takes ~0.3 s of it however busy the shared
        # machine is, and a backtracking pattern would take minutes.
        started = time.process_time()
        sections = ds.parse_structure(pages)
        assert time.process_time() - started < 1.5
        assert len(sections) <= ds.MAX_SECTIONS
        assert all(len(s.text) <= ds.SECTION_TEXT_MAX for s in sections)
    assert len(ds.parse_structure(hostile[0])) == ds.MAX_SECTIONS


# Reading a version's text


def test_a_real_pdf_is_read_like_its_pages(tmp_path: Path) -> None:
    path = tmp_path / "du-thao.pdf"
    path.write_bytes(drawn_pdf(PAGES))
    extracted = doctext.extract_pages(path, "application/pdf")
    sections = ds.parse_structure(extracted.pages)
    assert shape(sections) == EXPECTED
    assert [(s.text, s.page) for s in sections] == [
        (s.text, s.page) for s in ds.parse_structure(PAGES)
    ]


def test_a_stored_pdf_is_proposed_indexed_or_not(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    version = stored_version(session, uploads, meeting, clerk, drawn_pdf(PAGES), "dt.pdf")
    assert shape(ds.propose_structure(session, version, store=uploads.store)) == EXPECTED
    assert doctext.index_version(session, version, store=uploads.store)
    assert len(ds.pages_of(session, version, store=uploads.store)) == 3
    assert shape(ds.propose_structure(session, version, store=uploads.store)) == EXPECTED


def test_a_docx_is_read_paragraph_by_paragraph(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    running = {"DỰ THẢO LẦN 2", "1", "2", "3"}  # a DOCX has no pages: no header, no numbers
    lines = [line for page in PAGES for line in page.splitlines() if line not in running]
    data = docx_bytes(lines)
    assert ds.docx_paragraphs(data) == lines
    version = stored_version(session, uploads, meeting, clerk, data, "du-thao.docx")
    sections = ds.propose_structure(session, version, store=uploads.store)
    assert shape(sections) == EXPECTED
    assert {s.page for s in sections} == {None}  # a DOCX has no pages to point at


def test_a_scanned_pdf_has_no_text_to_split(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    version = stored_version(session, uploads, meeting, clerk, image_only_pdf(), "scan.pdf")
    with pytest.raises(DraftTextError, match="no text layer"):
        ds.propose_structure(session, version, store=uploads.store)
    doctext.index_version(session, version, store=uploads.store)
    with pytest.raises(DraftTextError, match="no text layer"):
        ds.pages_of(session, version, store=uploads.store)
    assert DraftTextError.status_code == 422


def test_a_text_without_article_cannot_be_proposed(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    document = add_pdf(session, uploads, meeting, clerk, "Tờ trình\nKính gửi Hội đồng")
    version = docs.get_version(session=session, document=document)
    with pytest.raises(DraftTextError, match="No article"):
        ds.propose_structure(session, version, store=uploads.store)


def test_a_damaged_docx_has_no_text() -> None:
    with pytest.raises(DraftTextError):
        ds.docx_paragraphs(b"PK\x03\x04 not a word file")


# Storing


def test_a_structure_is_saved_and_loaded_and_replaced(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    version = stored_version(session, uploads, meeting, clerk, drawn_pdf(PAGES), "dt.pdf")
    assert version.id is not None
    sections = ds.parse_structure(PAGES)
    rows = ds.save_structure(session, version.id, sections)
    session.commit()
    assert [row.id is not None for row in rows] == [True] * len(sections)
    assert ds.load_structure(session, version.id) == sections
    corrected = [*sections[:5], dataclasses.replace(sections[5], title="Mức chi")]
    ds.save_structure(session, version.id, corrected)
    session.commit()
    assert ds.load_structure(session, version.id) == corrected
    assert ds.load_structure(session, version.id + 1) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"position": 4}, "Section 3: its position is 4"),
        ({"parent_position": 3}, "Section 3: its parent 3"),
        ({"parent_position": 0}, "Section 3: a clause cannot sit in chapter"),
        ({"parent_position": None}, "Section 3: a clause cannot sit in the top level"),
        ({"label": "K" * 61}, "Section 3: its label is longer than 60"),
        ({"kind": "annex"}, "Section 3: 'annex' is not a kind"),
    ],
)
def test_a_structure_that_does_not_hold_is_refused(
    session: Session, change: dict[str, object], message: str
) -> None:
    sections = ds.parse_structure(PAGES)
    sections[3] = dataclasses.replace(sections[3], **change)  # type: ignore[arg-type]
    with pytest.raises(DraftStructureError, match=message):
        ds.save_structure(session, 1, sections)


def test_a_gap_in_positions_is_refused(session: Session) -> None:
    sections = ds.parse_structure(PAGES)
    with pytest.raises(DraftStructureError, match="Section 3: its position is 4"):
        ds.save_structure(session, 1, sections[:3] + sections[4:])


def test_a_point_under_a_chapter_is_refused(session: Session) -> None:
    sections = ds.parse_structure(PAGES)
    sections[7] = dataclasses.replace(sections[7], parent_position=0)
    with pytest.raises(DraftStructureError, match="Section 7: a point cannot sit in chapter"):
        ds.save_structure(session, 1, sections)


def test_section_paths_name_a_section_as_a_report_does() -> None:
    sections = ds.parse_structure(PAGES)
    assert ds.section_path(sections, 7) == "Điều 3, khoản 1, điểm a"
    assert ds.section_path(sections, 12) == "Điều 3, khoản 2"
    assert ds.section_path(sections, 14) == "Điều 4"
    assert ds.section_path(sections, 13) == "Chương II"
    parts = ds.parse_structure(["Chương I\nCHUNG\nMục 2\nTHU\nĐiều 1. A\na) Điểm trong điều"])
    assert [s.parent_position for s in parts] == [None, 0, 1, 2]
    assert ds.section_path(parts, 1) == "Chương I, mục 2"
    assert ds.section_path(parts, 3) == "Điều 1, điểm a"
    with pytest.raises(DraftStructureError):
        ds.section_path(sections, 99)


def test_a_point_list_may_skip_dd_but_not_other_letters() -> None:
    text = "Điều 1. Các khoản chi\na) Một;\nb) Hai;\nc) Ba;\nd) Bốn;\ne) Năm;\nh) không là điểm."
    sections = ds.parse_structure([text])
    assert [s.number for s in sections] == ["1", "a", "b", "c", "d", "e"]
    assert sections[-1].text == "Năm; h) không là điểm."


def test_reparent_renumbers_and_finds_the_nearest_container() -> None:
    sections = ds.parse_structure(["Chương I\nCHUNG\nĐiều 1. A\n1. Một\na) Điểm\nĐiều 2. B"])
    without_clause = [s for s in sections if s.kind != SectionKind.clause]
    fixed = ds.reparent(without_clause)
    assert [s.position for s in fixed] == [0, 1, 2, 3]
    assert [s.parent_position for s in fixed] == [None, 0, 1, 0]
    as_article = dataclasses.replace(sections[3], kind=SectionKind.article)
    assert ds.reparent([as_article])[0].parent_position is None
