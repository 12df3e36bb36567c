"""What every report shares: spreadsheet-safe CSV cells and PDF tables in a font that draws
Vietnamese (DejaVu Sans when installed, else Helvetica with the diacritics folded away)."""

import csv
import functools
import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# (family, regular, bold, italic) files; fonts-dejavu-core has both faces, the italic files come
# with fonts-dejavu-extra and are optional.
SERIF = ("DejaVuSerif", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf")
SANS = ("DejaVuSans", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf")
# The national heading of every administrative paper.
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
# Cells a spreadsheet would run as formulas: prefix them so they stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Row = Sequence[str]
# A report's labels in the reader's language: a gettext function (English by default).
Translate = Callable[[str], str]


def as_is(text: str) -> str:
    """The English labels, untranslated."""
    return text


@dataclass
class Section:
    """A heading (optional) and its tables; each table's first row is its header."""

    heading: str = ""
    tables: list[list[Row]] = field(default_factory=list)


def safe_cells(row: Row) -> list[str]:
    """The row with every cell that would start a formula turned into text."""
    return [f"'{cell}" if cell.startswith(_FORMULA_START) else cell for cell in row]


def csv_text(tables: Sequence[Sequence[Row]]) -> str:
    """Tables one after another, a blank line between them, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerows(safe_cells(row) for row in table)
    return buffer.getvalue()


def csv_bytes(tables: Sequence[Sequence[Row]]) -> bytes:
    """UTF-8 with a byte order mark, so that Excel shows Vietnamese rather than mojibake."""
    return csv_text(tables).encode("utf-8-sig")


def tables_pdf(title: str, sections: Sequence[Section], *, landscape: bool = False) -> bytes:
    """A PDF with a title, then each section's heading and tables; sections after the first
    start on a new page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pagesizes import landscape as turned
    from reportlab.platypus import PageBreak, SimpleDocTemplate

    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=turned(A4) if landscape else A4, title=text(title)
    )
    story: list[Any] = []
    for index, section in enumerate(sections):
        if index:
            story.append(PageBreak())
        story += _section_story(title if index == 0 else "", section, document.width)
    document.build(story or [_title(title)])
    return buffer.getvalue()


def _section_story(title: str, section: Section, width: float) -> list[Any]:
    from reportlab.platypus import Spacer, Table

    story: list[Any] = [_title(title)] if title else []
    if section.heading:
        story.append(_heading(section.heading))
    regular = fonts().regular
    for rows in section.tables:
        cells = [[_cell(text(value), regular) for value in row] for row in rows]
        table = Table(
            cells,
            colWidths=column_widths(rows, width),
            style=_table_style(),
            repeatRows=1,
            hAlign="LEFT",
        )
        story += [table, Spacer(1, 12)]
    return story


def column_widths(rows: Sequence[Row], width: float) -> list[float]:
    """Each column gets at least its longest word (no date or code broken mid-way), and the
    rest of the page in proportion to its longest text."""
    count = max(len(row) for row in rows)
    columns = [[row[i] for row in rows if i < len(row)] for i in range(count)]
    least = [
        _width(max((w for c in col for w in c.split()), key=len, default="")) for col in columns
    ]
    wanted = [
        max(_width(max(col, key=len, default="")[:60]), low)
        for col, low in zip(columns, least, strict=True)
    ]
    spare = width - sum(least)
    extra = sum(wanted) - sum(least)
    share = 1.0 if extra <= 0 else max(0.0, min(spare / extra, 1.0))
    widths = [low + (want - low) * share for low, want in zip(least, wanted, strict=True)]
    scale = width / sum(widths) if sum(widths) > width or share == 1.0 else 1.0
    return [value * scale for value in widths]


def _width(value: str) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    # Measured in bold, as headers are, plus the cell's padding on both sides.
    return float(stringWidth(text(value), fonts().bold, 9)) + 13


def _title(value: str) -> Any:
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph

    style = getSampleStyleSheet()["Title"]
    style.fontName = fonts().bold
    return Paragraph(escape(text(value)), style)


def _heading(value: str) -> Any:
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph

    style = getSampleStyleSheet()["Heading2"]
    style.fontName = fonts().bold
    return Paragraph(escape(text(value)), style)


def _table_style() -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle

    regular, bold = fonts().regular, fonts().bold
    return TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), regular),
            ("FONTNAME", (0, 0), (-1, 0), bold),
            ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )


def _cell(value: str, font: str) -> Any:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    return Paragraph(escape(value), ParagraphStyle("cell", fontName=font, fontSize=9))


def escape(value: str) -> str:
    """Text for a reportlab Paragraph, which reads a little markup."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text(value: str) -> str:
    """The value as the PDF font can draw it."""
    return fonts().text(value)


def fonts() -> "Fonts":
    """The tables' fonts: DejaVu Sans when installed, else Helvetica."""
    return load_fonts(families=(SANS,))


@dataclass(frozen=True)
class Fonts:
    """The registered font names, and whether they draw Vietnamese."""

    regular: str
    bold: str
    italic: str
    unicode: bool

    def text(self, value: str) -> str:
        """The text as these fonts can draw it."""
        return value if self.unicode else ascii_fold(value)


HELVETICA = Fonts("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", unicode=False)
TIMES = Fonts("Times-Roman", "Times-Bold", "Times-Italic", unicode=False)


@functools.cache
def load_fonts(
    font_dir: Path = FONT_DIR,
    *,
    families: tuple[tuple[str, str, str, str], ...] = (SERIF, SANS),
    fallback: Fonts = HELVETICA,
) -> Fonts:
    """The first of the families installed in font_dir, registered with reportlab; else the
    fallback, a built-in font without Vietnamese glyphs."""
    from reportlab.pdfbase.ttfonts import TTFError

    for family, regular, bold, italic in families:
        try:
            return _register(font_dir, family, regular, bold, italic)
        except (OSError, TTFError):
            continue
    return fallback


def _register(font_dir: Path, family: str, regular: str, bold: str, italic: str) -> Fonts:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    names = Fonts(f"Hop{family}", f"Hop{family}-Bold", f"Hop{family}-Italic", unicode=True)
    pdfmetrics.registerFont(TTFont(names.regular, str(font_dir / regular)))
    pdfmetrics.registerFont(TTFont(names.bold, str(font_dir / bold)))
    if not (font_dir / italic).is_file():
        return Fonts(names.regular, names.bold, names.regular, unicode=True)
    pdfmetrics.registerFont(TTFont(names.italic, str(font_dir / italic)))
    return names


def ascii_fold(value: str) -> str:
    """Vietnamese without diacritics, for a font that cannot draw them."""
    folded = unicodedata.normalize("NFKD", value.replace("đ", "d").replace("Đ", "D"))
    return folded.encode("ascii", "ignore").decode()
