"""The texts of the demo meetings' papers: programme, reports, proposals, draft resolutions,
set as Vietnamese administrative documents by demo.pdfs."""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from demo.pdfs import OfficialDocument


@dataclass(frozen=True)
class Paper:
    """A paper for an agenda item (1-based position); optionally a revised second version."""

    item: int
    filename: str
    document: OfficialDocument
    published: bool = True
    revision: OfficialDocument | None = None
    revision_filename: str = ""


@dataclass(frozen=True)
class Signers:
    """The names that sign the demo papers."""

    council_chair: str
    people_committee_chair: str
    people_committee_vice: str
    economy_head: str
    legal_head: str


COUNCIL_ISSUER = "HỘI ĐỒNG NHÂN DÂN\nPHƯỜNG HOÀN KIẾM"
COMMITTEE_ISSUER = "ỦY BAN NHÂN DÂN\nPHƯỜNG HOÀN KIẾM"
COUNCIL = "Hội đồng nhân dân phường Hoàn Kiếm"
TO_COUNCIL = f"Kính gửi: {COUNCIL}."
COMMITTEE_CHAIR = "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"
COMMITTEE_VICE = "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH"
COUNCIL_CHAIR = "TM. HỘI ĐỒNG NHÂN DÂN\nCHỦ TỊCH"
TO_DELEGATES = ("Thường trực HĐND phường;", "Các đại biểu HĐND phường;", "Lưu: VT, VP.")


def regular_session_papers(
    *, day: date, signers: Signers, agenda: Sequence[tuple[str, str]]
) -> tuple[Paper, ...]:
    """The papers of the regular session: programme (of these agenda items and presenters),
    socio-economic report, budget proposal and draft resolution (revised once), review."""
    issued, year = day - timedelta(days=7), day.year
    programme = _programme(day, issued, signers, tuple(agenda))
    return (
        Paper(1, f"CTr-ky-hop-thang-{day.month}-{year}.pdf", programme),
        Paper(2, f"BC-312-UBND-kinh-te-xa-hoi-{year}.pdf", _socio_economic(issued, year, signers)),
        Paper(3, f"TTr-118-UBND-du-toan-{year + 1}.pdf", _budget_proposal(issued, year, signers)),
        Paper(
            3,
            f"Du-thao-NQ-du-toan-{year + 1}.pdf",
            _budget_resolution(day, issued, signers, revised=False),
            revision=_budget_resolution(day, day - timedelta(days=2), signers, revised=True),
            revision_filename=f"Du-thao-NQ-du-toan-{year + 1}-lan-2.pdf",
        ),
        Paper(
            4,
            f"BC-27-KTXH-tham-tra-du-toan-{year + 1}.pdf",
            _budget_review(issued, year, signers),
            published=False,
        ),
    )


def thematic_session_papers(*, day: date, signers: Signers) -> tuple[Paper, ...]:
    """The papers of the thematic session on pavements: report, proposal, annex, review, draft."""
    issued, year = day - timedelta(days=3), day.year
    return (
        Paper(
            2, f"BC-305-UBND-chinh-trang-do-thi-{year}.pdf", _urban_report(issued, year, signers)
        ),
        Paper(3, "TTr-121-UBND-de-an-he-pho.pdf", _pavement_proposal(issued, year, signers)),
        Paper(3, "Phu-luc-danh-muc-tuyen-pho.pdf", _pavement_annex(issued)),
        Paper(4, "BC-15-BPC-tham-tra-de-an-he-pho.pdf", _pavement_review(issued, signers)),
        Paper(5, "Du-thao-NQ-de-an-he-pho.pdf", _pavement_resolution(issued, year, signers)),
    )


def _programme(
    day: date, issued: date, signers: Signers, agenda: tuple[tuple[str, str], ...]
) -> OfficialDocument:
    items = [
        f"{number}. {title}. Trình bày: {presenter}."
        for number, (title, presenter) in enumerate(agenda, start=1)
    ]
    return OfficialDocument(
        issuer=COUNCIL_ISSUER,
        number="45/CTr-HĐND",
        issued_on=issued,
        kind="CHƯƠNG TRÌNH",
        subject=f"Kỳ họp thường kỳ tháng {day.month} năm {day.year}, nhiệm kỳ 2026 - 2031",
        body=(
            f"Thời gian: khai mạc lúc 08 giờ 00 ngày {day:%d/%m/%Y}; dự kiến bế mạc lúc 11 giờ 30 "
            "cùng ngày.",
            "Địa điểm: Hội trường tầng 3, trụ sở HĐND - UBND phường Hoàn Kiếm.",
            "## NỘI DUNG KỲ HỌP",
            *items,
            "Đề nghị các đại biểu Hội đồng nhân dân phường nghiên cứu tài liệu trên hệ thống phòng "
            "họp không giấy, chuẩn bị ý kiến thảo luận và có mặt đúng giờ; trường hợp vắng mặt, "
            "đại biểu báo cáo Thường trực Hội đồng nhân dân phường và nêu rõ lý do.",
        ),
        signer_capacity="TM. THƯỜNG TRỰC HĐND\nCHỦ TỊCH",
        signer_name=signers.council_chair,
        recipients=("Thường trực Đảng ủy phường;", *TO_DELEGATES),
    )


def _socio_economic(issued: date, year: int, signers: Signers) -> OfficialDocument:
    return OfficialDocument(
        issuer=COMMITTEE_ISSUER,
        number="312/BC-UBND",
        issued_on=issued,
        kind="BÁO CÁO",
        subject=f"Tình hình kinh tế - xã hội năm {year}; phương hướng, nhiệm vụ năm {year + 1}",
        body=(
            "Thực hiện Nghị quyết của Hội đồng nhân dân phường về nhiệm vụ phát triển kinh tế - "
            f"xã hội năm {year}, Ủy ban nhân dân phường báo cáo kết quả thực hiện như sau:",
            f"## I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ NĂM {year}",
            "1. Về kinh tế và thu ngân sách: tổng thu ngân sách nhà nước trên địa bàn ước đạt "
            "1.286,4 tỷ đồng, bằng 108,2% dự toán được giao; hoạt động thương mại, dịch vụ và du "
            "lịch tiếp tục phục hồi, lượng khách đến khu vực hồ Hoàn Kiếm và phố cổ tăng 14,5% so "
            "với cùng kỳ.",
            "2. Về quản lý đô thị: hoàn thành chỉnh trang 12 tuyến phố, lắp đặt 86 camera giám sát "
            "trật tự; xử lý 1.342 trường hợp vi phạm trật tự lòng đường, vỉa hè; 100% hồ sơ cấp "
            "phép xây dựng được giải quyết đúng hạn.",
            "3. Về văn hóa - xã hội: tổ chức chu đáo các hoạt động kỷ niệm các ngày lễ lớn; chi "
            "trả đầy đủ, kịp thời chế độ cho 2.415 đối tượng chính sách; 92,6% hộ gia đình đạt "
            "danh hiệu “Gia đình văn hóa”.",
            "4. Về cải cách hành chính và chuyển đổi số: 98,7% hồ sơ thủ tục hành chính được tiếp "
            "nhận, giải quyết trực tuyến toàn trình; các cuộc họp của Hội đồng nhân dân và Ủy ban "
            "nhân dân phường được tổ chức theo hình thức không giấy tờ.",
            "## II. HẠN CHẾ, NGUYÊN NHÂN",
            "Tình trạng lấn chiếm vỉa hè để kinh doanh tại một số tuyến phố còn tái diễn; tiến độ "
            "giải phóng mặt bằng một số dự án còn chậm so với kế hoạch; nguồn lực cho chuyển đổi "
            "số còn hạn chế.",
            f"## III. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM {year + 1}",
            "Phấn đấu thu ngân sách tăng tối thiểu 8% so với ước thực hiện năm trước; 100% thủ tục "
            "hành chính đủ điều kiện được cung cấp trực tuyến toàn trình; chỉnh trang thêm 10 "
            "tuyến phố; giữ vững an ninh chính trị, trật tự an toàn xã hội trên địa bàn.",
            "Ủy ban nhân dân phường kính báo cáo Hội đồng nhân dân phường xem xét, cho ý kiến.",
        ),
        signer_capacity=COMMITTEE_CHAIR,
        signer_name=signers.people_committee_chair,
        recipients=TO_DELEGATES,
    )


def _budget_proposal(issued: date, year: int, signers: Signers) -> OfficialDocument:
    return OfficialDocument(
        issuer=COMMITTEE_ISSUER,
        number="118/TTr-UBND",
        issued_on=issued,
        kind="TỜ TRÌNH",
        subject=f"Về dự toán thu, chi ngân sách phường năm {year + 1}",
        addressee=TO_COUNCIL,
        body=(
            "Căn cứ Luật Tổ chức chính quyền địa phương; Luật Ngân sách nhà nước; Quyết định của "
            "Ủy ban nhân dân Thành phố Hà Nội về việc giao dự toán thu, chi ngân sách năm "
            f"{year + 1};",
            "Ủy ban nhân dân phường kính trình Hội đồng nhân dân phường xem xét, quyết định dự "
            f"toán thu, chi ngân sách phường năm {year + 1} như sau:",
            "1. Tổng thu ngân sách nhà nước trên địa bàn: 1.389.500 triệu đồng; trong đó thu ngân "
            "sách phường được hưởng theo phân cấp: 96.420 triệu đồng.",
            "2. Tổng chi ngân sách phường: 96.420 triệu đồng, gồm chi đầu tư phát triển 31.850 "
            "triệu đồng, chi thường xuyên 62.642 triệu đồng và dự phòng ngân sách 1.928 triệu "
            "đồng.",
            "3. Điều hành ngân sách: ưu tiên kinh phí cho chỉnh trang đô thị, chuyển đổi số và an "
            "sinh xã hội; tiết kiệm 10% chi thường xuyên để tạo nguồn cải cách tiền lương.",
            "(Chi tiết tại các biểu kèm theo.)",
            "Ủy ban nhân dân phường kính trình Hội đồng nhân dân phường xem xét, quyết nghị.",
        ),
        signer_capacity=COMMITTEE_VICE,
        signer_name=signers.people_committee_vice,
        recipients=("Như trên;", "Thường trực HĐND phường;", "Lưu: VT, TCKH."),
    )


def _budget_resolution(
    day: date, issued: date, signers: Signers, *, revised: bool
) -> OfficialDocument:
    year = day.year
    total = "97.180" if revised else "96.420"
    extra = (
        " Bổ sung 760 triệu đồng từ nguồn tăng thu cho nhiệm vụ chuyển đổi số theo đề nghị "
        "của Ban Kinh tế - Xã hội."
        if revised
        else ""
    )
    return OfficialDocument(
        issuer=COUNCIL_ISSUER,
        number="/NQ-HĐND",
        issued_on=issued,
        kind="NGHỊ QUYẾT",
        subject=f"Về dự toán thu, chi ngân sách phường năm {year + 1}",
        stamp="DỰ THẢO LẦN 2" if revised else "DỰ THẢO",
        body=(
            "# HỘI ĐỒNG NHÂN DÂN PHƯỜNG HOÀN KIẾM",
            "Căn cứ Luật Tổ chức chính quyền địa phương;",
            "Căn cứ Luật Ngân sách nhà nước;",
            f"Xét Tờ trình số 118/TTr-UBND của Ủy ban nhân dân phường về dự toán thu, chi ngân "
            f"sách phường năm {year + 1}; Báo cáo thẩm tra của Ban Kinh tế - Xã hội và ý kiến "
            "thảo luận của đại biểu Hội đồng nhân dân phường tại kỳ họp.",
            "# QUYẾT NGHỊ:",
            f"Điều 1. Phê chuẩn dự toán ngân sách phường năm {year + 1}: tổng thu ngân sách phường "
            f"{total} triệu đồng; tổng chi ngân sách phường {total} triệu đồng.{extra}",
            "Điều 2. Giao Ủy ban nhân dân phường tổ chức thực hiện Nghị quyết; Thường trực, các "
            "Ban và đại biểu Hội đồng nhân dân phường giám sát việc thực hiện.",
            f"Điều 3. Nghị quyết này được {COUNCIL} thông qua tại kỳ họp thường kỳ tháng "
            f"{day.month} năm {year} và có hiệu lực kể từ ngày thông qua.",
        ),
        signer_capacity=COUNCIL_CHAIR,
        signer_name=signers.council_chair,
        recipients=("UBND Thành phố Hà Nội;", "Thường trực Đảng ủy phường;", *TO_DELEGATES),
    )


def _budget_review(issued: date, year: int, signers: Signers) -> OfficialDocument:
    return OfficialDocument(
        parent="HĐND PHƯỜNG HOÀN KIẾM",
        issuer="BAN KINH TẾ - XÃ HỘI",
        number="27/BC-KTXH",
        issued_on=issued + timedelta(days=2),
        kind="BÁO CÁO",
        subject=f"Thẩm tra dự toán thu, chi ngân sách phường năm {year + 1}",
        addressee=TO_COUNCIL,
        body=(
            "Thực hiện sự phân công của Thường trực Hội đồng nhân dân phường, Ban Kinh tế - Xã "
            "hội đã thẩm tra Tờ trình số 118/TTr-UBND của Ủy ban nhân dân phường. Ban báo cáo kết "
            "quả thẩm tra như sau:",
            "1. Dự toán được xây dựng đúng quy định của Luật Ngân sách nhà nước, bám sát chỉ tiêu "
            "Thành phố giao và phù hợp với tình hình thực tế của phường.",
            "2. Ban đề nghị bổ sung 760 triệu đồng từ nguồn tăng thu cho nhiệm vụ chuyển đổi số, "
            "trong đó có hệ thống phòng họp không giấy và điểm danh đại biểu bằng nhận diện khuôn "
            "mặt.",
            "3. Đề nghị Ủy ban nhân dân phường rà soát các khoản chi thường xuyên chưa thực sự cấp "
            "thiết và công khai dự toán theo quy định.",
            "Ban Kinh tế - Xã hội đề nghị Hội đồng nhân dân phường xem xét, thông qua dự thảo "
            "Nghị quyết với các nội dung đã được tiếp thu, chỉnh lý.",
        ),
        signer_capacity="TM. BAN KINH TẾ - XÃ HỘI\nTRƯỞNG BAN",
        signer_name=signers.economy_head,
        recipients=("Như trên;", "Thường trực HĐND phường;", "Lưu: VT."),
    )


def _urban_report(issued: date, year: int, signers: Signers) -> OfficialDocument:
    return OfficialDocument(
        issuer=COMMITTEE_ISSUER,
        number="305/BC-UBND",
        issued_on=issued,
        kind="BÁO CÁO",
        subject="Kết quả thực hiện Kế hoạch chỉnh trang đô thị, quản lý trật tự lòng đường, vỉa "
        f"hè năm {year}",
        body=(
            "Thực hiện Kế hoạch của Ủy ban nhân dân phường về chỉnh trang đô thị và lập lại trật "
            "tự lòng đường, vỉa hè, Ủy ban nhân dân phường báo cáo kết quả như sau:",
            "## 1. Kết quả đạt được",
            "Tổ chức 214 lượt kiểm tra, nhắc nhở; xử lý 1.342 trường hợp vi phạm; tháo dỡ 418 mái "
            "che, mái vẩy và biển quảng cáo sai quy định; 27 tuyến phố đạt tiêu chí tuyến phố văn "
            "minh đô thị.",
            "Hoàn thành lát lại đá vỉa hè 5 tuyến phố, cải tạo chiếu sáng 9 tuyến phố; phối hợp "
            "với các đơn vị ngầm hóa 6,2 km đường dây thông tin.",
            "## 2. Tồn tại, hạn chế",
            "Một số hộ kinh doanh tại các phố Hàng Bông, Hàng Gai, Lương Văn Can tái lấn chiếm "
            "vỉa hè sau khi lực lượng chức năng rút đi; việc trông giữ xe trên hè phố khu vực phố "
            "cổ chưa được quản lý chặt chẽ.",
            "## 3. Đề xuất",
            "Đề nghị Hội đồng nhân dân phường xem xét, cho ý kiến về Đề án quản lý, sử dụng tạm "
            "thời một phần hè phố, bảo đảm dành tối thiểu 1,5 m cho người đi bộ.",
        ),
        signer_capacity=COMMITTEE_VICE,
        signer_name=signers.people_committee_vice,
        recipients=TO_DELEGATES,
    )


def _pavement_proposal(issued: date, year: int, signers: Signers) -> OfficialDocument:
    return OfficialDocument(
        issuer=COMMITTEE_ISSUER,
        number="121/TTr-UBND",
        issued_on=issued,
        kind="TỜ TRÌNH",
        subject="Về việc thông qua Đề án quản lý, sử dụng tạm thời một phần hè phố trên địa "
        "bàn phường",
        addressee=TO_COUNCIL,
        body=(
            "Căn cứ Luật Tổ chức chính quyền địa phương; Luật Đường bộ; quy định của Ủy ban nhân "
            "dân Thành phố Hà Nội về quản lý, sử dụng tạm thời một phần hè phố;",
            "Ủy ban nhân dân phường kính trình Hội đồng nhân dân phường xem xét, thông qua Đề án "
            "với các nội dung chính sau:",
            "1. Phạm vi: 14 tuyến phố có vỉa hè rộng từ 3 m trở lên (danh mục tại Phụ lục kèm "
            "theo).",
            "2. Nguyên tắc: dành tối thiểu 1,5 m vỉa hè cho người đi bộ; không sử dụng hè phố "
            "trước cơ quan, trường học, cơ sở y tế và di tích; thời gian sử dụng từ 17 giờ đến 23 "
            "giờ hằng ngày.",
            "3. Phí sử dụng tạm thời hè phố thu theo mức Hội đồng nhân dân Thành phố quy định, nộp "
            "ngân sách và dùng cho duy tu, chỉnh trang hè phố.",
            f"4. Tổ chức thực hiện: thí điểm từ ngày 01 tháng 01 năm {year + 1}; sơ kết sau 6 "
            "tháng để điều chỉnh, mở rộng.",
            "Ủy ban nhân dân phường kính trình Hội đồng nhân dân phường xem xét, quyết định.",
        ),
        signer_capacity=COMMITTEE_VICE,
        signer_name=signers.people_committee_vice,
        recipients=("Như trên;", "Thường trực HĐND phường;", "Lưu: VT, KTHTĐT."),
    )


STREETS = (
    ("Hàng Bông", "Hàng Gai - Phủ Doãn"),
    ("Hàng Gai", "Hàng Bông - Cầu Gỗ"),
    ("Hàng Bạc", "Đinh Liệt - Hàng Bè"),
    ("Hàng Đào", "Cầu Gỗ - Hàng Ngang"),
    ("Lương Văn Can", "Hàng Gai - Hàng Bút"),
    ("Đinh Tiên Hoàng", "Hàng Khay - Cầu Gỗ"),
    ("Lê Thái Tổ", "Hàng Trống - Hàng Gai"),
    ("Tràng Tiền", "Hàng Khay - Ngô Quyền"),
    ("Hàng Khay", "Đinh Tiên Hoàng - Bà Triệu"),
    ("Bà Triệu", "Hàng Khay - Hai Bà Trưng"),
    ("Hai Bà Trưng", "Lê Thánh Tông - Quang Trung"),
    ("Lý Thường Kiệt", "Phan Chu Trinh - Quang Trung"),
    ("Phan Chu Trinh", "Tràng Tiền - Lý Thường Kiệt"),
    ("Quang Trung", "Tràng Thi - Lý Thường Kiệt"),
)


def _pavement_annex(issued: date) -> OfficialDocument:
    rng = random.Random(121)  # fixed widths and areas: the same annex every time
    rows = [("STT", "Tuyến phố", "Đoạn", "Bề rộng hè (m)", "Diện tích (m²)")]
    for number, (street, section) in enumerate(STREETS, start=1):
        width = rng.choice((3.0, 3.5, 4.0, 4.5, 5.0, 6.0))
        rows.append(
            (
                str(number),
                street,
                section,
                f"{width:.1f}".replace(".", ","),
                str(rng.randrange(60, 420, 5)),
            )
        )
    return OfficialDocument(
        issuer=COMMITTEE_ISSUER,
        number="121/TTr-UBND",
        issued_on=issued,
        kind="PHỤ LỤC",
        subject="Danh mục tuyến phố được xem xét sử dụng tạm thời một phần hè phố",
        body=(
            f"* (Kèm theo Tờ trình số 121/TTr-UBND ngày {issued:%d/%m/%Y} của Ủy ban nhân dân "
            "phường)",
            "Diện tích được sử dụng tạm thời là phần hè phố còn lại sau khi đã dành tối thiểu "
            "1,5 m cho người đi bộ, đo theo hiện trạng tháng trước.",
        ),
        table=tuple(rows),
    )


def _pavement_review(issued: date, signers: Signers) -> OfficialDocument:
    return OfficialDocument(
        parent="HĐND PHƯỜNG HOÀN KIẾM",
        issuer="BAN PHÁP CHẾ",
        number="15/BC-BPC",
        issued_on=issued + timedelta(days=1),
        kind="BÁO CÁO",
        subject="Thẩm tra Đề án quản lý, sử dụng tạm thời một phần hè phố",
        addressee=TO_COUNCIL,
        body=(
            "Ban Pháp chế Hội đồng nhân dân phường đã khảo sát thực tế tại 6 tuyến phố và thẩm "
            "tra Tờ trình số 121/TTr-UBND của Ủy ban nhân dân phường. Ban có ý kiến như sau:",
            "1. Đề án có căn cứ pháp lý, đúng thẩm quyền và phù hợp chủ trương của Thành phố về "
            "quản lý, sử dụng hè phố.",
            "2. Đề nghị quy định rõ trách nhiệm giám sát của tổ dân phố; công khai sơ đồ vị trí "
            "được sử dụng tạm thời tại từng tuyến phố và trên cổng thông tin điện tử của phường.",
            "3. Đề nghị bổ sung quy định thu hồi quyền sử dụng tạm thời đối với hộ kinh doanh vi "
            "phạm từ hai lần trở lên.",
            "Ban Pháp chế thống nhất trình Hội đồng nhân dân phường xem xét, thông qua Đề án sau "
            "khi Ủy ban nhân dân phường tiếp thu các ý kiến trên.",
        ),
        signer_capacity="TM. BAN PHÁP CHẾ\nTRƯỞNG BAN",
        signer_name=signers.legal_head,
        recipients=("Như trên;", "Thường trực HĐND phường;", "Lưu: VT."),
    )


def _pavement_resolution(issued: date, year: int, signers: Signers) -> OfficialDocument:
    return OfficialDocument(
        issuer=COUNCIL_ISSUER,
        number="/NQ-HĐND",
        issued_on=issued,
        kind="NGHỊ QUYẾT",
        subject="Về việc thông qua Đề án quản lý, sử dụng tạm thời một phần hè phố trên địa "
        "bàn phường Hoàn Kiếm",
        stamp="DỰ THẢO",
        body=(
            "# HỘI ĐỒNG NHÂN DÂN PHƯỜNG HOÀN KIẾM",
            "Căn cứ Luật Tổ chức chính quyền địa phương;",
            "Căn cứ Luật Đường bộ;",
            "Xét Tờ trình số 121/TTr-UBND của Ủy ban nhân dân phường; Báo cáo thẩm tra của Ban "
            "Pháp chế và ý kiến thảo luận của đại biểu Hội đồng nhân dân phường tại phiên họp.",
            "# QUYẾT NGHỊ:",
            "Điều 1. Thông qua Đề án quản lý, sử dụng tạm thời một phần hè phố trên địa bàn "
            f"phường, thí điểm tại 14 tuyến phố từ ngày 01 tháng 01 năm {year + 1}.",
            "1. Phần hè phố được sử dụng tạm thời phải bảo đảm lối đi cho người đi bộ rộng tối "
            "thiểu 1,5 mét.",
            "2. Mục đích sử dụng tạm thời một phần hè phố gồm:",
            "a) Trông giữ xe đạp, xe máy có thu phí;",
            "b) Kinh doanh, buôn bán hàng hóa của hộ gia đình có nhà mặt phố;",
            "c) Tổ chức hoạt động văn hóa, thể thao, diễu hành, lễ hội.",
            "Điều 2. Giao Ủy ban nhân dân phường tổ chức thực hiện; sơ kết và báo cáo Hội đồng "
            "nhân dân phường sau 6 tháng thực hiện.",
            "Điều 3. Thường trực, các Ban và đại biểu Hội đồng nhân dân phường giám sát việc thực "
            "hiện Nghị quyết này.",
        ),
        signer_capacity=COUNCIL_CHAIR,
        signer_name=signers.council_chair,
        recipients=("UBND Thành phố Hà Nội;", *TO_DELEGATES),
    )
