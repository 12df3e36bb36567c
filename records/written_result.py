"""The signed-off result of a written consultation as an A4 PDF, in the administrative layout
of the minutes: issuing body and national motto, "KẾT QUẢ LẤY Ý KIẾN BẰNG VĂN BẢN", per question
the counts on all members and the verdict, the other opinions, the chair's sign-off, and the
sha256 that fixes it."""

import io
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from models.base import as_utc
from records.minutes_draft import VIETNAM
from records.minutes_export import _footer_painter, _heading, _styles, pdf_fonts

VERDICTS = {"adopted": "Thông qua", "rejected": "Không thông qua", "tie": "Không thông qua"}


def written_result_pdf(
    body: dict[str, Any], *, issuer: str, sha256: str, signed_by: str, signed_at: datetime
) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    fonts = pdf_fonts()
    styles = _styles(fonts)

    def p(value: str, style: str) -> Paragraph:
        return Paragraph(escape(fonts.text(value)).replace("\n", "<br/>"), styles[style])

    local = as_utc(signed_at).astimezone(VIETNAM)
    story: list[Any] = [
        _heading(issuer, p),
        p(f"Ngày {local:%d/%m/%Y}", "date"),
        p("KẾT QUẢ LẤY Ý KIẾN BẰNG VĂN BẢN", "title"),
        p(body["title"], "subject"),
        p(f"Số thành viên được lấy ý kiến: {body['members']}.", "text"),
    ]
    for number, question in enumerate(body["questions"], start=1):
        story.append(p(f"{number}. {question['title']}", "section"))
        story.append(
            p(
                f"Đồng ý: {question['agree']}; không đồng ý: {question['disagree']}; "
                f"ý kiến khác: {question['other']}; cần ít nhất {question['needed']} ý kiến "
                f"đồng ý trên tổng số {body['members']} thành viên.",
                "text",
            )
        )
        verdict = VERDICTS.get(str(question["verdict"]), "Chưa có kết quả")
        story.append(p(f"Kết quả: {verdict}.", "text"))
        for opinion in question["opinions"]:
            story.append(p(f"Ý kiến của {opinion['full_name']}: {opinion['text']}", "text"))
    story.append(p(f"\nXÁC NHẬN KẾT QUẢ\n{signed_by}\n{local:%H:%M %d/%m/%Y}", "sign"))
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=30 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=22 * mm,
        title=fonts.text(body["title"]),
        creator="Hop",
    )
    footer = _footer_painter(fonts, [f"Kết quả đã xác nhận. SHA-256: {sha256}"])
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
