"""The meeting search: accent-insensitive, published current versions only, for those who may
see them, and no query can break it."""

from pathlib import Path

import pytest
from sqlmodel import Session

from meetings import search as doc_search
from meetings.documents import Uploads
from meetings.errors import MeetingNotFoundError, NotAllowedError
from models import Meeting, Person, Role
from tests.factories import invite, make_meeting, make_user
from tests.meetings.search_support import add_pdf, new_version, uploads_in

STREET = "Kế hoạch chỉnh trang hè phố\nnăm 2027 của quận Hoàn Kiếm"
PROJECT = "ĐỀ ÁN phát triển giao thông\n(dự thảo lần 2)"
NASTY = [
    '"',
    "*",
    "(",
    ")",
    ":",
    "^",
    "-",
    '"hè',
    "pho*",
    "NEAR(a b)",
    "a OR",
    "AND",
    "NOT x",
    "{folded}:x",
    "x:*",
    "'",
    "&|!<->",
    "\\",
    "%_",
    "\x00",
    "​",
    "'; DROP TABLE x; --",
]


@pytest.fixture
def uploads(tmp_path: Path) -> Uploads:
    return uploads_in(tmp_path / "files")


@pytest.fixture
def delegate(session: Session, meeting: Meeting) -> Person:
    person = make_user(session, role=Role.delegate)
    invite(session, meeting, person)
    return person


def pages(hits: list[doc_search.Hit]) -> list[tuple[str, int]]:
    return [(hit.title, hit.page) for hit in hits]


def test_an_accentless_query_finds_the_page(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person, delegate: Person
) -> None:
    add_pdf(session, uploads, meeting, clerk, "Mục lục", STREET, title="Tờ trình 1")
    hits = doc_search.search(session, meeting, delegate, "he pho")
    assert pages(hits) == [("Tờ trình 1", 2)]
    assert "hè phố" in hits[0].snippet  # the original text, not the folded one
    assert hits[0].version == 1


def test_accents_and_case_in_the_query_do_not_matter(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person, delegate: Person
) -> None:
    add_pdf(session, uploads, meeting, clerk, PROJECT, title="Đề án")
    for query in ("de an", "Đề án", "ĐỀ ÁN", "  dE   ÁN  ", "giao thong", "phat trien"):
        assert pages(doc_search.search(session, meeting, delegate, query)) == [("Đề án", 1)]


def test_every_word_must_be_on_the_page_and_words_match_by_prefix(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person, delegate: Person
) -> None:
    add_pdf(session, uploads, meeting, clerk, STREET, PROJECT, title="Hồ sơ")
    assert pages(doc_search.search(session, meeting, delegate, "hoan kiem")) == [("Hồ sơ", 1)]
    assert pages(doc_search.search(session, meeting, delegate, "giao thon")) == [("Hồ sơ", 2)]
    assert doc_search.search(session, meeting, delegate, "he pho giao thong") == []


def test_drafts_are_never_found(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person, delegate: Person
) -> None:
    add_pdf(session, uploads, meeting, clerk, STREET, title="Bản nháp", publish=False)
    assert doc_search.search(session, meeting, delegate, "he pho") == []
    assert doc_search.search(session, meeting, clerk, "he pho") == []
    assert doc_search.search_all(session, clerk, "he pho") == []


def test_a_meeting_the_viewer_may_not_see_is_not_found(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    add_pdf(session, uploads, meeting, clerk, STREET)
    stranger = make_user(session, role=Role.delegate)
    with pytest.raises(MeetingNotFoundError):
        doc_search.search(session, meeting, stranger, "he pho")
    with pytest.raises(NotAllowedError):
        doc_search.search_all(session, stranger, "he pho")


def test_other_meetings_are_not_searched(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person, delegate: Person
) -> None:
    other = make_meeting(session, creator=clerk, title="Kỳ họp khác")
    add_pdf(session, uploads, other, clerk, STREET, title="Của kỳ họp khác")
    assert doc_search.search(session, meeting, delegate, "he pho") == []
    assert doc_search.search(session, meeting, clerk, "he pho") == []


def test_old_versions_are_never_found(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person, delegate: Person
) -> None:
    document = add_pdf(session, uploads, meeting, clerk, STREET, title="Tờ trình")
    new_version(session, uploads, document, clerk, "Trang bìa", PROJECT)
    assert doc_search.search(session, meeting, delegate, "he pho") == []
    hits = doc_search.search(session, meeting, delegate, "de an")
    assert [(h.page, h.version) for h in hits] == [(2, 2)]


def test_the_secretariat_searches_across_meetings(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person
) -> None:
    other = make_meeting(session, creator=clerk, title="Kỳ họp khác")
    add_pdf(session, uploads, meeting, clerk, STREET, title="Một")
    add_pdf(session, uploads, other, clerk, "Về hè phố cũ", title="Hai")
    add_pdf(session, uploads, other, clerk, "hè phố nháp", title="Nháp", publish=False)
    hits = doc_search.search_all(session, clerk, "HE PHO")
    assert sorted(pages(hits)) == [("Hai", 1), ("Một", 1)]
    assert {hit.meeting_id for hit in hits} == {meeting.id, other.id}


def test_empty_and_nonsense_queries_find_nothing(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person, delegate: Person
) -> None:
    add_pdf(session, uploads, meeting, clerk, STREET)
    for query in ("", "   ", "\n\t", "!!!", "---"):
        assert doc_search.search(session, meeting, delegate, query) == []
        assert doc_search.search_all(session, clerk, query) == []


@pytest.mark.parametrize("query", NASTY)
def test_search_syntax_is_never_obeyed(
    session: Session,
    uploads: Uploads,
    meeting: Meeting,
    clerk: Person,
    delegate: Person,
    query: str,
) -> None:
    add_pdf(session, uploads, meeting, clerk, STREET)
    doc_search.search(session, meeting, delegate, query)
    doc_search.search(session, meeting, delegate, f"he {query} pho")
    doc_search.search_all(session, clerk, query)


def test_a_huge_query_is_cut_not_refused(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person, delegate: Person
) -> None:
    add_pdf(session, uploads, meeting, clerk, STREET)
    assert len(doc_search.query_terms("he pho " * 2000)) == doc_search.MAX_TERMS
    hits = doc_search.search(session, meeting, delegate, "he pho " + "x" * 10_000)
    assert pages(hits) == []  # the cut query still asks for the long word
    assert doc_search.search(session, meeting, delegate, ("he pho " * 2000)[:10_000])


def test_limit_bounds_the_hits(
    session: Session, uploads: Uploads, meeting: Meeting, clerk: Person, delegate: Person
) -> None:
    add_pdf(session, uploads, meeting, clerk, *(["hè phố"] * 5))
    assert len(doc_search.search(session, meeting, delegate, "pho", limit=3)) == 3
    assert len(doc_search.search(session, meeting, delegate, "pho", limit=10_000)) == 5


def test_the_snippet_is_cut_around_the_hit() -> None:
    text = "mở đầu " * 100 + "chỉnh trang hè phố" + " kết thúc" * 100
    snippet = doc_search.snippet(text, ["he", "pho"])
    assert "hè phố" in snippet
    assert snippet.startswith("…")
    assert snippet.endswith("…")
    assert len(snippet) < 2 * doc_search.SNIPPET_CONTEXT + 40
