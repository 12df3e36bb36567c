"""PDFs for the reader's benchmark and tests: many pages of Vietnamese text (DejaVu Sans, so the
letters survive), each headed "Trang N"; a long document has an outline entry every ten pages, a
distinctive phrase on one page and, optionally, an incompressible picture per page to reach the
size a scanned annex has (20 MB)."""

import io
import random
from pathlib import Path

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
WORDS = (
    "hè phố lòng đường trật tự đô thị quy hoạch ngân sách đầu tư công dự án giao thông "
    "nghị quyết hội đồng nhân dân thành phố phường quận ủy ban kinh tế xã hội văn hóa "
    "giáo dục y tế môi trường nước sạch cây xanh chiếu sáng công viên bến xe đường sắt "
    "đất đai nhà ở tái định cư bồi thường giải phóng mặt bằng thu chi kế hoạch năm"
).split()
LINES_PER_PAGE = 30
MARKER = "Phương án chỉnh trang vỉa hè đường Nguyễn Trãi"
TOPICS = (
    "trật tự đô thị và lòng đường",
    "ngân sách đầu tư công năm tới",
    "quy hoạch cây xanh và công viên",
    "giao thông tĩnh và bãi đỗ xe",
    "nước sạch cho khu dân cư",
    "chiếu sáng công cộng",
    "giải phóng mặt bằng và tái định cư",
)
SECTION_PAGES = 10  # a long document's outline has an entry every ten pages


def page_lines(seed: int, lines: int = LINES_PER_PAGE) -> list[str]:
    """Lines of plausible Vietnamese words, the same for the same seed."""
    pick = random.Random(seed)
    return [" ".join(pick.choices(WORDS, k=9)) for _ in range(lines)]


def page_text(number: int, *, edited: bool = False) -> list[str]:
    """The lines of page `number`: its heading "Trang N" and text that no other page has; an
    edited page says another thing of its budget."""
    topic = TOPICS[number % len(TOPICS)]
    budget = (
        "Kinh phí được điều chỉnh, sẽ trình Hội đồng tại kỳ họp sau."
        if edited
        else f"Kinh phí dự kiến {number * 37} triệu đồng, thực hiện trong quý {number % 4 + 1}."
    )
    return [
        f"Trang {number}: báo cáo về {topic}",
        f"Mục {number}.1. Ủy ban nhân dân phường trình Hội đồng nội dung số {number}.",
        f"Đề nghị các đại biểu cho ý kiến về {topic} (đoạn {number}).",
        budget,
        f"Mục {number}.2. Kết luận của trang {number} được ghi vào biên bản.",
    ]


def long_pdf(
    pages: int = 100,
    *,
    marker_page: int = 57,
    marker: str = MARKER,
    edited_pages: frozenset[int] = frozenset(),
    picture_kb: int = 0,
) -> bytes:
    """A document of `pages` A4 pages, each headed "Trang N"; `marker` is written on
    `marker_page` only; the budget line of `edited_pages` is rewritten (a new version of the
    same paper); with picture_kb, a noise picture of about that size on every page."""
    pages_lines = []
    for number in range(1, pages + 1):
        lines = page_text(number, edited=number in edited_pages)
        if number == marker_page:
            lines.append(marker)
        pages_lines.append(lines)
    return pdf_of(pages_lines, picture_kb=picture_kb, outline=True)


def pdf_of(
    pages: list[list[str]], *, picture_kb: int = 0, seed: int = 0, outline: bool = False
) -> bytes:
    """A PDF with these lines on its pages, the first line of each as its heading; with
    picture_kb, a different noise JPEG of about that size below the text of each page; with
    outline, an entry ("Phần K") every ten pages."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVuSans", str(DEJAVU)))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle("Tài liệu dài")
    noise = random.Random(seed)
    for number, lines in enumerate(pages, start=1):
        if outline and number % SECTION_PAGES == 1:
            key = f"part-{number}"
            pdf.bookmarkPage(key)
            pdf.addOutlineEntry(f"Phần {number // SECTION_PAGES + 1}: từ trang {number}", key)
        if picture_kb:
            picture = ImageReader(io.BytesIO(_noise_jpeg(picture_kb, noise)))
            pdf.drawImage(picture, 72, 40, width=450, height=130)
        for row, line in enumerate(lines):
            pdf.setFont("DejaVuSans", 16 if row == 0 else 11)
            pdf.drawString(72, 780 - 18 * row, line)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _noise_jpeg(kb: int, pick: random.Random) -> bytes:
    # Noise does not compress: a side of ~sqrt(kb * 1000 / 1.1) pixels gives about kb at q85.
    from PIL import Image

    side = max(16, int((kb * 1000 / 1.1) ** 0.5))
    image = Image.frombytes("L", (side, side), pick.randbytes(side * side))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()
