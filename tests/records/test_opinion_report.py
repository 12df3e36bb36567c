"""The consolidated opinion report on a draft: every comment, answer and figure reaches the
DOCX and the PDF, an anonymous round prints no name, and a final body keeps its fingerprint."""

import io
import json
import unicodedata
from dataclasses import replace

import pytest
from docx import Document as DocxDocument
from pypdf import PdfReader

from models.draft import AnswerVerdict, Stance
from records.opinion_report import (
    ReportAnswer,
    ReportBody,
    ReportComment,
    ReportSection,
    ReportSummary,
    body_sha256,
    report_docx,
    report_pdf,
    summary_line,
)

NAMES = ("Nguyễn Văn An", "Trần Thị Bích", "Lê Hoàng Cường", "Phạm Thu Dung", "Võ Minh Đức")
LONG = " ".join(
    f"Câu {n}: đề nghị làm rõ trách nhiệm của Ủy ban nhân dân phường khi tiếp nhận hồ sơ."
    for n in range(1, 40)
)[:2000]
LONG_SNIPPET = "Câu 17: đề nghị làm rõ trách nh"  # 30 characters, once in LONG
FILLERS = 53  # with the 7 comments written out, 60 in all


def _comment(
    number: int,
    text: str,
    answer: ReportAnswer | None,
    *,
    count: int = 1,
    stance: str = Stance.amend,
    proposed: str = "",
) -> ReportComment:
    author = NAMES[number % len(NAMES)]
    return ReportComment(number, author, count, stance, text, proposed, answer)


def _answer(text: str, verdict: str = AnswerVerdict.accepted) -> ReportAnswer:
    return ReportAnswer(verdict=verdict, text=text, merged_into=None)


def _fillers() -> list[ReportComment]:
    return [
        _comment(
            number,
            f"Góp ý thứ {number} về cách diễn đạt của khoản {number % 4 + 1}.",
            _answer(f"Ban soạn thảo tiếp thu góp ý thứ {number}, chỉnh sửa câu chữ."),
        )
        for number in range(8, 8 + FILLERS)
    ]


def _sections() -> list[ReportSection]:
    fillers = _fillers()
    article_1 = [
        _comment(2, "Đề nghị bổ sung đối tượng áp dụng là tổ dân phố.", _answer("Đã bổ sung.")),
        _comment(
            3,
            "Cần nêu rõ tổ dân phố thuộc phạm vi điều chỉnh.",
            ReportAnswer(verdict=AnswerVerdict.merged, text="", merged_into=2),
            count=3,
        ),
        _comment(
            4,
            "Không nên giới hạn thời hạn 15 ngày.",
            _answer("Thời hạn theo Luật, giữ nguyên.", AnswerVerdict.explained),
            stance=Stance.disagree,
            proposed="Trong thời hạn 30 ngày làm việc",
        ),
    ]
    article_2 = [_comment(5, LONG, _answer("Không tiếp thu vì trái Luật.", "not_accepted"))]
    article_3 = [_comment(6, "Điều này chưa quy định kinh phí thực hiện.", None)]
    general = [
        _comment(
            1, "Dự thảo cần rà soát thể thức văn bản.", _answer("Đã rà soát."), stance="general"
        ),
        _comment(7, "Thống nhất với bố cục dự thảo.", _answer("Ghi nhận."), stance=Stance.agree),
    ]
    return [
        ReportSection("Điều 1", "Phạm vi điều chỉnh", article_1 + fillers[:20], 4, 1, 2),
        ReportSection("Điều 2, khoản 1", "Hồ sơ", article_2 + fillers[20:40], 3, 0, 1),
        ReportSection("Điều 3", "Kinh phí", article_3 + fillers[40:], 2, 0, 0),
        ReportSection("Điều 4", "Hiệu lực", [], 5, 0, 0),
        ReportSection("", "", general, 0, 0, 0),  # printed first all the same
    ]


def _body(*, anonymous: bool = False) -> ReportBody:
    return ReportBody(
        issuer="ỦY BAN NHÂN DÂN PHƯỜNG BẾN NGHÉ",
        title="",
        draft_title="Dự thảo Quy chế tiếp công dân",
        round_title="Lấy ý kiến thành viên Ủy ban",
        place="Thành phố Hồ Chí Minh",
        date="2026-12-05",
        anonymous=anonymous,
        summary=ReportSummary(
            invited=25, answered=21, agree_all=9, with_comments=12, not_answered=4
        ),
        sections=_sections(),
        version=2,
        final=False,
        sha256=None,
        drafter="Văn phòng Ủy ban nhân dân phường",
    )


def _comments(body: ReportBody) -> list[ReportComment]:
    return [comment for section in body.sections for comment in section.comments]


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _snippet(text: str) -> str:
    """The text itself, or for a long one a distinctive part (long texts are wrapped)."""
    return LONG_SNIPPET if text == LONG else _norm(text)


def _expected(body: ReportBody) -> list[str]:
    answers = [c.answer.text for c in _comments(body) if c.answer and c.answer.text]
    texts = [c.text for c in _comments(body)] + answers
    return [_snippet(text) for text in texts] + [_norm(summary_line(body.summary))]


def _docx_text(data: bytes) -> str:
    document = DocxDocument(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    footer = [paragraph.text for paragraph in document.sections[0].footer.paragraphs]
    return _norm("\n".join(paragraphs + cells + footer))


def _pdf_pages(data: bytes) -> list[str]:
    return [_norm(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def named_pdf() -> list[str]:
    return _pdf_pages(report_pdf(_body()))


def test_the_body_survives_a_json_round_trip() -> None:
    body = _body()
    stored = json.loads(json.dumps(body.to_json(), ensure_ascii=False))
    assert ReportBody.from_json(stored) == body
    assert ReportBody.from_json(stored).sections[0].comments[1].answer == ReportAnswer(
        verdict="merged", text="", merged_into=2
    )


def test_the_fingerprint_is_stable_and_leaves_out_final_and_itself() -> None:
    body = _body()
    fingerprint = body_sha256(body)
    assert len(fingerprint) == 64
    assert body_sha256(ReportBody.from_json(json.loads(json.dumps(body.to_json())))) == fingerprint
    assert body_sha256(replace(body, final=True, sha256=fingerprint)) == fingerprint


def test_the_fingerprint_changes_with_a_comment() -> None:
    body = _body()
    section = body.sections[2]
    changed = replace(section.comments[0], text=section.comments[0].text + " Bổ sung.")
    sections = [*body.sections[:2], replace(section, comments=[changed]), *body.sections[3:]]
    assert body_sha256(replace(body, sections=sections)) != body_sha256(body)


@pytest.mark.parametrize("anonymous", [False, True])
def test_the_docx_holds_every_comment_answer_and_figure(anonymous: bool) -> None:
    text = _docx_text(report_docx(_body(anonymous=anonymous)))
    missing = [expected for expected in _expected(_body()) if expected not in text]
    assert missing == []
    assert "BẢNG TỔNG HỢP, TIẾP THU, GIẢI TRÌNH Ý KIẾN" in text
    assert "đối với Dự thảo Quy chế tiếp công dân" in text
    assert "Thành phố Hồ Chí Minh, ngày 05 tháng 12 năm 2026" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text


def test_the_docx_table_reads_as_the_layout_says() -> None:
    document = DocxDocument(io.BytesIO(report_docx(_body())))
    table = max(document.tables, key=lambda table: len(table.rows))
    header = [cell.text for cell in table.rows[0].cells]
    assert header == ["STT", "Điều, khoản", "Ý kiến góp ý", "Đại biểu", "Giải trình, tiếp thu"]
    rows = {row.cells[0].text: [cell.text for cell in row.cells] for row in table.rows[1:]}
    assert len(rows) == 61  # 60 comments, and a row without number for Điều 4
    assert rows[""][1:3] == ["Điều 4\nHiệu lực\n(tán thành: 5)", "Không có ý kiến góp ý"]
    assert table.rows[1].cells[1].text.startswith("Ý kiến chung")  # general comments first
    assert rows["3"][2].endswith("(3 ý kiến)")
    assert rows["3"][4].startswith("Gộp với ý kiến số 2")
    assert "Đề nghị sửa: Trong thời hạn 30 ngày làm việc" in rows["4"][2]
    assert rows["4"][4].startswith("Giải trình")
    assert rows["5"][4].startswith("Không tiếp thu")
    assert rows["6"][4] == "Chưa trả lời"
    assert rows["2"][3] == NAMES[2]
    assert table.rows[0]._tr.trPr.xml.count("tblHeader") == 1  # repeated on every page


def test_an_anonymous_docx_names_nobody() -> None:
    text = _docx_text(report_docx(_body(anonymous=True)))
    assert [name for name in NAMES if name in text] == []
    assert "3 đại biểu" in text


def test_the_pdf_holds_every_comment_answer_and_figure(named_pdf: list[str]) -> None:
    text = " ".join(named_pdf)
    missing = [expected for expected in _expected(_body()) if expected not in text]
    assert missing == []
    assert "Gộp với ý kiến số 2" in text
    assert "Chưa trả lời" in text
    assert "CƠ QUAN SOẠN THẢO" in text
    assert "Không có ý kiến góp ý" in text
    assert all(name in text for name in NAMES)


def test_the_pdf_table_runs_over_pages_repeating_its_header(named_pdf: list[str]) -> None:
    assert len(named_pdf) >= 3
    with_header = [page for page in named_pdf if "Giải trình, tiếp thu" in page]
    assert len(with_header) >= len(named_pdf) - 1
    assert "Dự thảo bảng tổng hợp, phiên bản 2" in named_pdf[-1]


def test_an_anonymous_pdf_names_nobody() -> None:
    pages = _pdf_pages(report_pdf(_body(anonymous=True)))
    text = " ".join(pages)
    assert [name for name in NAMES if name in text] == []
    assert [e for e in _expected(_body()) if e not in text] == []
    assert "3 đại biểu" in text


def test_a_final_report_carries_its_fingerprint() -> None:
    body = _body()
    final = replace(body, final=True, sha256=body_sha256(body))
    pages = _pdf_pages(report_pdf(final))
    assert f"SHA-256: {body_sha256(body)}" in pages[-1]
    assert "Bản chính thức, phiên bản 2" in pages[0]
    assert "DỰ THẢO" not in pages[0]
    docx = _docx_text(report_docx(final))
    assert f"Bản chính thức, phiên bản 2. SHA-256: {body_sha256(body)}" in docx
