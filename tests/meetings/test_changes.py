"""What changed between versions: lines compared across pages (a paragraph pushed to the next
page is no change), changed words marked, the version a reader read before, clear states."""

import io
from pathlib import Path

import pytest
from sqlmodel import Session

from meetings import changes
from meetings import documents as docs
from meetings.changes import DiffState, Line, Segment
from meetings.documents import Uploads
from meetings.errors import DocumentNotFoundError, InvalidDataError
from models import Document, Meeting, Person, Role
from tests.factories import invite, make_user
from tests.meetings.search_support import (
    add_pdf,
    index_current,
    new_version,
    pdf_pages,
    uploads_in,
)

INTRO = "Kế hoạch chỉnh trang hè phố năm 2025"
BUDGET = "Kinh phí dự kiến 12 tỷ đồng từ ngân sách quận"


@pytest.fixture
def uploads(tmp_path: Path) -> Uploads:
    return uploads_in(tmp_path / "files")


@pytest.fixture
def reader(session: Session, meeting: Meeting) -> Person:
    person = make_user(session, role=Role.delegate, full_name="Lê Văn Đọc")
    invite(session, meeting, person)
    return person


def two_versions(
    session: Session,
    uploads: Uploads,
    meeting: Meeting,
    clerk: Person,
    old: list[str],
    new: list[str],
) -> Document:
    document = add_pdf(session, uploads, meeting, clerk, *old)
    new_version(session, uploads, document, clerk, *new)
    return document


def kinds(segments: list[Segment]) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in segments]


def test_a_paragraph_pushed_to_the_next_page_is_no_change(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    old = [f"{INTRO}\nĐiều 1. Phạm vi\nĐiều 2. Đối tượng", f"{BUDGET}\nĐiều 3. Thời gian"]
    new = [
        f"{INTRO}\nĐiều mới. Mục tiêu\nĐiều 1. Phạm vi",
        f"Điều 2. Đối tượng\n{BUDGET}\nĐiều 3. Thời gian",
    ]
    document = two_versions(session, uploads, meeting, clerk, old, new)
    diff = changes.version_diff(session=session, document=document, old=1, new=2)
    assert diff.state == DiffState.compared
    assert [page.page for page in diff.pages] == [1]
    (hunk,) = diff.pages[0].hunks
    assert ("ins", "Điều mới. Mục tiêu") in kinds(hunk.segments)
    assert all(s.kind != "del" for s in hunk.segments)
    assert hunk.removal is False


def test_the_edited_words_of_a_paragraph_are_marked(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    old = ["Trang bìa", f"Mở đầu\n{INTRO}\n{BUDGET}"]
    new = ["Trang bìa", f"Mở đầu\n{INTRO.replace('2025', '2026')}\n{BUDGET}"]
    document = two_versions(session, uploads, meeting, clerk, old, new)
    diff = changes.version_diff(session=session, document=document, old=1, new=2)
    (page,) = diff.pages
    assert page.page == 2
    (hunk,) = page.hunks
    assert hunk.old_page == 2
    assert kinds(hunk.segments) == [
        ("same", "Mở đầu"),
        ("same", "Kế hoạch chỉnh trang hè phố năm"),
        ("del", "2025"),
        ("ins", "2026"),
        ("same", BUDGET),
    ]


def test_a_removal_is_shown_where_it_was(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    old = [INTRO, f"Điều 1\n{BUDGET}\nĐiều 2"]
    new = [INTRO, "Điều 1\nĐiều 2"]
    document = two_versions(session, uploads, meeting, clerk, old, new)
    diff = changes.version_diff(session=session, document=document, old=1, new=2)
    (page,) = diff.pages
    (hunk,) = page.hunks
    assert (page.page, hunk.old_page) == (2, 2)
    assert ("del", BUDGET) in kinds(hunk.segments)
    assert hunk.removal


def test_the_same_text_says_so(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    document = two_versions(session, uploads, meeting, clerk, [INTRO], [f"  {INTRO}  "])
    diff = changes.version_diff(session=session, document=document, old=1, new=2)
    assert (diff.state, diff.pages) == (DiffState.same, [])


def test_a_version_whose_text_is_not_read_yet_says_so(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    document = add_pdf(session, uploads, meeting, clerk, INTRO)
    docs.add_version(
        session=session,
        uploads=uploads,
        document=document,
        source=io.BytesIO(pdf_pages(BUDGET)),
        filename="v2.pdf",
        uploader=clerk,
    )
    diff = changes.version_diff(session=session, document=document, old=1, new=2)
    assert (diff.state, diff.lacking) == (DiffState.not_read_yet, 2)
    index_current(session, uploads, document)
    assert changes.version_diff(session=session, document=document, old=1, new=2).state == (
        DiffState.compared
    )


def test_bad_ranges_are_refused(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    document = two_versions(session, uploads, meeting, clerk, [INTRO], [BUDGET])
    with pytest.raises(InvalidDataError):
        changes.version_diff(session=session, document=document, old=2, new=2)
    with pytest.raises(InvalidDataError):
        changes.version_diff(session=session, document=document, old=2, new=1)
    with pytest.raises(DocumentNotFoundError):
        changes.version_diff(session=session, document=document, old=1, new=7)
    for bad in ("abc", "0", "-1", "1.5", "９", "9" * 12):
        with pytest.raises(InvalidDataError):
            changes.parse_version(bad, name="from")
    assert changes.parse_version(" 2 ", name="to") == 2
    assert changes.parse_version("", name="to") is None


def test_too_long_a_document_is_not_compared(
    session: Session,
    uploads: Uploads,
    meeting: Meeting,
    clerk: Person,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = two_versions(session, uploads, meeting, clerk, [INTRO, BUDGET], [BUDGET, INTRO])
    monkeypatch.setattr(changes, "MAX_LINES", 1)
    diff = changes.version_diff(session=session, document=document, old=1, new=2)
    assert diff.state == DiffState.too_long


def test_a_long_document_is_compared_page_by_page() -> None:
    # 100 pages of 40 lines, with a paragraph inserted on page 10 that pushes every later
    # line along, and a word changed on page 80.
    old = [Line(f"Dòng {n} của trang {n // 40 + 1}: hè phố", n // 40 + 1) for n in range(4000)]
    new = [*old[:400], Line("Đoạn văn mới được chèn", 10), *old[400:]]
    new[3201] = Line(new[3201].text.replace("hè phố", "lòng đường"), 81)
    pages = changes.compare(old, new)
    assert [page.page for page in pages] == [10, 81]
    edited = kinds(pages[1].hunks[0].segments)
    assert ("del", "phố") in edited or ("del", "hè phố") in edited


def test_the_version_read_before(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person, reader: Person
) -> None:
    document = add_pdf(session, uploads, meeting, clerk, INTRO)
    assert changes.read_before(session=session, document=document, reader=reader) is None
    docs.record_read(
        session=session, version=docs.get_version(session=session, document=document), reader=reader
    )
    assert changes.read_before(session=session, document=document, reader=reader) is None
    new_version(session, uploads, document, clerk, BUDGET)
    assert changes.read_before(session=session, document=document, reader=reader) == 1
    new_version(session, uploads, document, clerk, INTRO)
    assert changes.read_before(session=session, document=document, reader=reader) == 1
    version_2 = docs.get_version(session=session, document=document, number=2)
    docs.record_read(session=session, version=version_2, reader=reader)
    assert changes.read_before(session=session, document=document, reader=reader) == 2
    current = docs.get_version(session=session, document=document)
    docs.record_read(session=session, version=current, reader=reader)
    assert changes.read_before(session=session, document=document, reader=reader) is None
    # The range a link without numbers compares: from the version read before, to the current.
    assert changes.default_range(
        session=session, document=document, reader=clerk, old=None, new=None
    ) == (2, 3)


def test_one_version_has_nothing_to_compare(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    document = add_pdf(session, uploads, meeting, clerk, INTRO)
    assert (
        changes.default_range(session=session, document=document, reader=clerk, old=None, new=None)
        is None
    )


def test_nearby_changes_on_two_pages_are_shown_on_each() -> None:
    old = [Line("Trang bìa", 1), Line(INTRO, 2), Line(BUDGET, 2)]
    new = [Line("Trang bìa mới", 1), Line(INTRO.replace("2025", "2026"), 2), Line(BUDGET, 2)]
    pages = changes.compare(old, new)
    assert [page.page for page in pages] == [1, 2]
    assert kinds(pages[0].hunks[0].segments) == [("same", "Trang bìa"), ("ins", "mới")]
    assert kinds(pages[1].hunks[0].segments)[-3:] == [
        ("del", "2025"),
        ("ins", "2026"),
        ("same", BUDGET),
    ]
