"""A stored poll result as CSV (for spreadsheets) or PDF (for the minutes)."""

import csv
import functools
import io
import unicodedata
from pathlib import Path
from typing import Any

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
# Cells a spreadsheet would run as formulas: prefix them so they stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def summary_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    """The figures of a result as (label, value) lines."""
    document = result.get("document") or {}
    rows = [
        ("Poll", result["title"]),
        ("Kind", result["kind"]),
        ("Ballot", "secret" if result["secret"] else "named"),
        ("Majority rule", result.get("majority_rule") or ""),
        ("Document version", str(document.get("version") or "")),
        ("Document sha256", document.get("sha256") or ""),
        ("Opened at", result.get("opened_at") or ""),
        ("Closed at", result.get("closed_at") or ""),
        ("Members with a voting right", str(result["members"])),
        ("Present at closing", str(result["present"])),
        ("Represented by proxy", str(result["represented"])),
        ("Eligible at closing", str(result["eligible"])),
        ("Quorum required", str(result["quorum_required"])),
        ("Quorum met", "yes" if result["quorum_met"] else "no"),
        ("Ballots", str(result["ballots"])),
        ("Valid ballots", str(result["valid"])),
    ]
    if "abstentions" in result:
        rows.append(("Abstentions", str(result["abstentions"])))
    if result.get("needed") is not None:
        rows.append(("Votes needed", str(result["needed"])))
    rows.append(("Verdict", result.get("verdict") or "(no verdict)"))
    return rows


def count_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    """Votes per option, or agree / disagree counts of an opinion poll."""
    if "options" in result:
        return [(option["label"], str(option["votes"])) for option in result["options"]]
    return [
        ("Agree", str(result["agree"])),
        ("Disagree", str(result["disagree"])),
        ("No position", str(result["no_position"])),
    ]


def ballot_rows(result: dict[str, Any]) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """A header and one line per ballot: the voter (named) or the receipt code (secret)."""
    if result["secret"]:
        return ("Receipt", "Answer"), [
            (line["receipt"], line["answer"]) for line in result["receipts"]
        ]
    return ("Voter", "Answer", "Cast by proxy holder"), [
        (line["full_name"], line["answer"], line.get("cast_by_name") or "")
        for line in result["voters"]
    ]


def result_csv(result: dict[str, Any]) -> str:
    """The result as CSV: figures, counts, then one line per ballot."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in summary_rows(result):
        writer.writerow(_safe(row))
    writer.writerow([])
    writer.writerow(["Option", "Votes"])
    for row in count_rows(result):
        writer.writerow(_safe(row))
    writer.writerow([])
    header, lines = ballot_rows(result)
    writer.writerow(header)
    for line in lines:
        writer.writerow(_safe(line))
    return buffer.getvalue()


def _safe(row: tuple[str, ...]) -> list[str]:
    return [f"'{cell}" if cell.startswith(_FORMULA_START) else cell for cell in row]


def result_pdf(result: dict[str, Any]) -> bytes:
    """The result as a one-or-more page PDF with its figures, counts and ballots."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular, bold, unicode = _fonts()
    text = (lambda value: value) if unicode else _ascii
    styles = getSampleStyleSheet()
    styles["Title"].fontName = bold
    style = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), regular),
            ("FONTNAME", (0, 0), (-1, 0), bold),
            ("FONTSIZE", (0, 0), (-1, -1), 9),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]
    )
    header, ballots = ballot_rows(result)
    tables: list[list[tuple[str, ...]]] = [
        [("Result", ""), *summary_rows(result)],
        [("Option", "Votes"), *count_rows(result)],
        [header, *ballots],
    ]
    story: list[Any] = [Paragraph(_escape(text(result["title"])), styles["Title"])]
    for rows in tables:
        cells = [[_cell(text(value), regular) for value in row] for row in rows]
        story += [Table(cells, style=style, repeatRows=1, hAlign="LEFT"), Spacer(1, 12)]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=text(result["title"])).build(story)
    return buffer.getvalue()


def _cell(value: str, font: str) -> Any:
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import Paragraph

    return Paragraph(_escape(value), ParagraphStyle("cell", fontName=font, fontSize=9))


def _escape(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@functools.cache
def _fonts() -> tuple[str, str, bool]:
    """DejaVu Sans when installed (it draws Vietnamese), else Helvetica without diacritics."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    try:
        pdfmetrics.registerFont(TTFont("HopPollSans", str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("HopPollSans-Bold", str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    except (OSError, TTFError):
        return "Helvetica", "Helvetica-Bold", False
    return "HopPollSans", "HopPollSans-Bold", True


def _ascii(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value.replace("đ", "d").replace("Đ", "D"))
    return folded.encode("ascii", "ignore").decode()
