"""The exported minutes on paper: the DOCX is A4 with the PDF's margins, and the PDF footer's
page number never covers the version line or the SHA-256."""

import io
from typing import Any

import pytest
from docx import Document as DocxDocument
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from models import Minutes, MinutesBody, MinutesSection, MinutesStatus
from records.minutes_export import minutes_docx, minutes_pdf, pdf_fonts

SHA256 = "f0" * 32
FOOTER_SIZE = 7.5
BOTTOM_MARGIN = 22 * 72 / 25.4  # points


def _minutes(status: MinutesStatus, version: int = 1) -> Minutes:
    """Long minutes (a dozen pages, so page numbers of two digits), never stored."""
    body = MinutesBody(
        subject="Kỳ họp thường kỳ",
        sections=[
            MinutesSection(key=f"item-{n}", title=f"{n}. Nội dung", text="Ý kiến thảo luận. " * 90)
            for n in range(30)
        ],
    )
    final = status == MinutesStatus.final
    return Minutes(
        meeting_id=1,
        version=version,
        status=status,
        sha256=SHA256 if final else None,
        body=body.model_dump(),
    )


def _footer_chunks(page: Any) -> list[tuple[str, float, float]]:
    """(text, x, y) of every piece of text drawn in the bottom margin."""
    chunks: list[tuple[str, float, float]] = []

    def visit(text: str, cm: list[float], tm: list[float], font: Any, size: float) -> None:
        x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
        if text.strip() and y < BOTTOM_MARGIN:
            chunks.append((text.strip(), x, y))

    page.extract_text(visitor_text=visit)
    return chunks


@pytest.mark.parametrize(
    ("status", "version"),
    [(MinutesStatus.final, 1), (MinutesStatus.final, 12), (MinutesStatus.draft, 3)],
)
def test_the_pdf_footer_never_draws_the_page_number_over_its_text(
    status: MinutesStatus, version: int
) -> None:
    reader = PdfReader(io.BytesIO(minutes_pdf(_minutes(status, version))))
    assert len(reader.pages) >= 10
    font = pdf_fonts().regular
    right_edge = float(reader.pages[0].mediabox.width) - 20 * 72 / 25.4
    for number, page in enumerate(reader.pages, start=1):
        chunks = _footer_chunks(page)
        boxes = [(x, x + stringWidth(text, font, FOOTER_SIZE), y) for text, x, y in chunks]
        assert [text for text, _, _ in chunks].count(str(number)) == 1
        for index, (left, right, y) in enumerate(boxes):
            assert right <= right_edge + 0.5, chunks[index]
            for other_left, other_right, other_y in boxes[index + 1 :]:
                same_line = abs(y - other_y) < FOOTER_SIZE
                assert not (same_line and left < other_right and other_left < right), chunks
    if status == MinutesStatus.final:
        last = [text for text, _, _ in _footer_chunks(reader.pages[-1])]
        assert f"SHA-256: {SHA256}" in last  # the whole fingerprint, on a line of its own


def test_the_docx_is_a4_with_the_pdfs_margins() -> None:
    document = DocxDocument(io.BytesIO(minutes_docx(_minutes(MinutesStatus.final))))
    for section in document.sections:
        # Word keeps sizes in twentieths of a point: compare to the tenth of a millimetre.
        sizes = (section.page_width, section.page_height)
        margins = (section.left_margin, section.right_margin)
        margins += (section.top_margin, section.bottom_margin)
        assert [round(size.mm, 1) for size in sizes] == [210.0, 297.0]
        assert [round(margin.mm, 1) for margin in margins] == [30.0, 20.0, 20.0, 22.0]
    footer = document.sections[0].footer.paragraphs[0].text
    assert footer.splitlines() == ["Biên bản chính thức, phiên bản 1.", f"SHA-256: {SHA256}"]
