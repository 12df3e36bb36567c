"""Downloads stamped with the reader: their name and the time on every page of a PDF.

A meeting may ask for it (Meeting.watermark_downloads), so that a paper passed on outside the
hall says whose copy it was. The stamp is an overlay drawn once per page size and rotation with
reportlab (in DejaVu Sans, for Vietnamese names) and merged into each page with pypdf; the
stamped copy is written to a file, never held whole in memory.
"""

import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, BinaryIO

from pypdf import PageObject, PdfReader, PdfWriter

from core import pdf as core_pdf
from core.errors import ConflictError
from models.base import as_utc

# Vietnam keeps UTC+7 all year, as the pages show times (web.pages.render.VIETNAM).
VIETNAM = timezone(timedelta(hours=7), "ICT")
MAX_PAGES = 5000  # a PDF with more pages is no meeting paper: refused rather than stamped for long
FOOTER_SIZE = 8.0
DIAGONAL_SIZE = 28.0
log = logging.getLogger(__name__)


class WatermarkError(ConflictError):
    """The PDF could not be stamped: it is not sent unstamped either."""


class _TooLongError(Exception):
    """More pages than a meeting paper has: not worth the time it would take."""


@dataclass(frozen=True)
class Stamp:
    """What each page says: whose copy it is, and since when."""

    name: str
    when: datetime

    @property
    def text(self) -> str:
        local = as_utc(self.when).astimezone(VIETNAM)
        return f"{self.name} · {local:%d/%m/%Y %H:%M}"


def stamp_pdf(source: Path, target: BinaryIO, *, stamp: Stamp) -> None:
    """Write the PDF at source to target with the stamp on every page; WatermarkError when
    the PDF cannot be read."""
    try:
        reader = PdfReader(source, strict=False)
        if reader.is_encrypted:
            reader.decrypt("")  # uploads are checked: only empty-password PDFs get here
        if len(reader.pages) > MAX_PAGES:
            raise _TooLongError(f"{len(reader.pages)} pages")
        writer = _stamped(reader, stamp)
        writer.write(target)
    except Exception as error:  # noqa: BLE001 - a damaged file in any way means "cannot stamp"
        log.warning("%s could not be stamped: %r", source.name, error)
        raise WatermarkError(
            "This PDF could not be stamped with your name, so it cannot be downloaded; "
            "read it in the reader instead"
        ) from error


def _stamped(reader: PdfReader, stamp: Stamp) -> PdfWriter:
    writer = PdfWriter(clone_from=reader)
    overlays: dict[tuple[float, float, float, float, int], PageObject] = {}
    for page in writer.pages:
        box = page.mediabox
        key = (float(box.left), float(box.bottom), float(box.width), float(box.height))
        shape = (*key, page.rotation % 360)
        if shape not in overlays:
            overlays[shape] = _overlay(shape, stamp.text)
        page.merge_page(overlays[shape], over=True)
    return writer


def _overlay(shape: tuple[float, float, float, float, int], text: str) -> PageObject:
    """One page of reportlab drawing for pages of this box and rotation: a faint diagonal
    line across the middle and a small one at the foot, upright as the page is shown."""
    from reportlab.pdfgen import canvas

    left, bottom, width, height, rotation = shape
    buffer = io.BytesIO()
    drawing = canvas.Canvas(buffer, pagesize=(left + width, bottom + height))
    drawing.translate(left, bottom)
    shown_width, shown_height = _upright(drawing, width, height, rotation)
    fonts = core_pdf.fonts()
    said = fonts.text(text)
    drawing.setFillColorRGB(0.55, 0.1, 0.1, alpha=0.8)
    drawing.setFont(fonts.regular, FOOTER_SIZE)
    drawing.drawCentredString(shown_width / 2, 14, said)
    drawing.saveState()
    drawing.setFillColorRGB(0.55, 0.1, 0.1, alpha=0.12)
    drawing.translate(shown_width / 2, shown_height / 2)
    drawing.rotate(35)
    size = min(DIAGONAL_SIZE, 1.6 * max(shown_width, shown_height) / max(len(said), 1))
    drawing.setFont(fonts.regular, size)
    drawing.drawCentredString(0, 0, said)
    drawing.restoreState()
    drawing.showPage()
    drawing.save()
    return PdfReader(io.BytesIO(buffer.getvalue())).pages[0]


def _upright(drawing: Any, width: float, height: float, rotation: int) -> tuple[float, float]:
    """Turn the drawing so that what is drawn next reads upright on a page shown turned by
    /Rotate (clockwise); the size of the page as shown."""
    # Each maps a point of the shown page to the page's own space: (a, b, c, d, e, f).
    turns = {
        90: (0, 1, -1, 0, width, 0),
        180: (-1, 0, 0, -1, width, height),
        270: (0, -1, 1, 0, 0, height),
    }
    if rotation not in turns:
        return width, height
    drawing.transform(*turns[rotation])
    return (height, width) if rotation in (90, 270) else (width, height)
