"""Stamping a PDF with the reader's name and the time: on every page, upright on turned pages,
in Vietnam's time, and a PDF that cannot be read is refused rather than sent unstamped."""

import io
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from meetings import watermark
from meetings.watermark import Stamp, WatermarkError
from tests.meetings.search_support import pdf_pages

NAME = "Nguyễn Thị Đại Biểu"
WHEN = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)  # 09:30 in Hà Nội


def stamped(path: Path, stamp: Stamp = Stamp(NAME, WHEN)) -> PdfReader:
    out = io.BytesIO()
    watermark.stamp_pdf(path, out, stamp=stamp)
    return PdfReader(io.BytesIO(out.getvalue()))


def test_the_stamp_says_who_and_when_in_vietnam_time() -> None:
    assert Stamp(NAME, WHEN).text == f"{NAME} · 01/03/2026 09:30"


def test_every_page_carries_the_stamp_and_keeps_its_text(tmp_path: Path) -> None:
    source = tmp_path / "a.pdf"
    source.write_bytes(pdf_pages("Trang một: hè phố", "Trang hai", "Trang ba"))
    pages = stamped(source).pages
    assert len(pages) == 3
    for number, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert NAME in text
        assert "01/03/2026 09:30" in text
        assert ["một", "hai", "ba"][number - 1] in text


def test_turned_pages_and_other_sizes_are_stamped(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_pages("một", "hai", "ba", "bốn"))))
    writer.pages[1].rotate(90)
    writer.pages[2].rotate(270)
    writer.pages[3].mediabox.upper_right = (1190, 842)  # an A3 landscape annex
    source = tmp_path / "turned.pdf"
    with source.open("wb") as handle:
        writer.write(handle)
    reader = stamped(source)
    assert [page.rotation for page in reader.pages] == [0, 90, 270, 0]
    assert all(NAME in page.extract_text() for page in reader.pages)


def test_a_pdf_that_cannot_be_read_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "broken.pdf"
    source.write_bytes(b"%PDF-1.7\n this is no PDF at all")
    with pytest.raises(WatermarkError) as refused:
        watermark.stamp_pdf(source, io.BytesIO(), stamp=Stamp(NAME, WHEN))
    assert refused.value.status_code == 409


def test_a_long_pdf_is_stamped_into_a_file(tmp_path: Path) -> None:
    source = tmp_path / "long.pdf"
    source.write_bytes(pdf_pages(*[f"Trang {n}" for n in range(1, 201)]))
    with tempfile.TemporaryFile() as out:
        watermark.stamp_pdf(source, out, stamp=Stamp(NAME, WHEN))
        out.seek(0)
        reader = PdfReader(out)
        assert len(reader.pages) == 200
        assert NAME in reader.pages[199].extract_text()
