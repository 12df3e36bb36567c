"""Re-anchoring a note's quote in a new version: moved text is found, edited or deleted text is
not, a repeated quote is told apart by its surroundings, and line breaks do not matter."""

import unicodedata

import pytest

from meetings.anchoring import Placement, Quote, VersionText, clamp, loose_form, reanchor

STREET = "Kế hoạch chỉnh trang hè phố năm 2027 của quận Hoàn Kiếm."
BUDGET = "Tổng kinh phí dự kiến là 12 tỷ đồng, từ ngân sách thành phố."
QUOTE = Quote("chỉnh trang hè phố", prefix="Kế hoạch ", suffix=" năm 2027")


def place(quote: Quote, page: int, *pages: str) -> Placement:
    return reanchor(quote, page, VersionText(pages))


def test_text_moved_within_its_page_is_found_there() -> None:
    moved = f"Mở đầu.\n{BUDGET}\n{STREET}"
    assert place(QUOTE, 1, moved) == Placement(1, True)


def test_text_moved_to_another_page_is_found_on_that_page() -> None:
    assert place(QUOTE, 1, "Trang bìa", BUDGET, STREET) == Placement(3, True)


def test_edited_words_are_not_found_and_the_note_keeps_its_page() -> None:
    edited = STREET.replace("hè phố", "vỉa hè")
    assert place(QUOTE, 2, BUDGET, edited, "Phụ lục") == Placement(2, False)


def test_deleted_text_is_not_found() -> None:
    assert place(QUOTE, 1, BUDGET) == Placement(1, False)


def test_a_changed_diacritic_is_an_edit_when_the_exact_text_is_still_elsewhere() -> None:
    quote = Quote("phố", prefix="hè ", suffix=" năm")
    assert place(quote, 1, "hè phô năm 2027", "đường phố") == Placement(2, True)


def test_a_repeated_quote_is_told_apart_by_its_prefix_and_suffix() -> None:
    first = "Điều 1. Phê duyệt kinh phí cho quận Ba Đình."
    second = "Điều 2. Phê duyệt kinh phí cho quận Hoàn Kiếm."
    quote = Quote("Phê duyệt kinh phí", prefix="Điều 2. ", suffix=" cho quận Hoàn")
    assert place(quote, 1, f"{first}\n{second}") == Placement(1, True)
    assert place(quote, 1, first, second) == Placement(2, True)
    assert place(quote, 1, second, first) == Placement(1, True)


def test_a_repeated_quote_without_telling_context_goes_to_the_nearest_page() -> None:
    quote = Quote("Phê duyệt", prefix="", suffix="")
    pages = ["Phê duyệt", "Mục lục", "Phụ lục", "Phê duyệt", "Phê duyệt"]
    assert place(quote, 4, *pages) == Placement(4, True)
    assert place(quote, 2, *pages) == Placement(1, True)
    assert place(quote, 9, *pages) == Placement(5, True)


def test_vietnamese_in_either_unicode_form_is_found() -> None:
    decomposed_page = unicodedata.normalize("NFD", STREET)
    assert place(Quote("hè phố"), 1, decomposed_page) == Placement(1, True)
    decomposed_quote = Quote(unicodedata.normalize("NFD", "Hoàn Kiếm"))
    assert place(decomposed_quote, 1, STREET) == Placement(1, True)


@pytest.mark.parametrize(
    ("exact", "page_text"),
    [
        ("chỉnh trang hè phố năm 2027", "Kế hoạch chỉnh trang hè\nphố năm 2027"),
        ("chỉnh trang hè\nphố năm", "Kế hoạch chỉnh trang hè phố năm 2027"),
        ("chỉnh  trang\thè phố", "Kế hoạch chỉnh trang hè phố"),
        ("chỉnh trang hè phố", "Kế hoạch chỉnh tr-\nang hè phố"),
        ("chỉnh tr-\nang hè phố", "Kế hoạch chỉnh trang hè phố"),
        ("hè phốnăm 2027", "chỉnh trang hè phố\nnăm 2027"),
        ("chỉnh trang hè phố", "Kế hoạch chỉnh trang hè\u00adphố"),
    ],
)
def test_line_breaks_and_hyphenation_do_not_lose_the_quote(exact: str, page_text: str) -> None:
    assert place(Quote(exact), 1, "Trang bìa", page_text) == Placement(2, True)


def test_a_pin_on_blank_space_keeps_its_page_within_the_new_page_count() -> None:
    blank = Quote("")
    assert place(blank, 3, "a", "b", "c", "d") == Placement(3, True)
    assert place(blank, 7, "a", "b") == Placement(2, True)
    assert place(Quote("  \n "), 2, "a", "b") == Placement(2, True)
    assert place(blank, 2) == Placement(1, True)  # a version without text


def test_a_page_without_text_never_matches_across_pages() -> None:
    quote = Quote("phố năm")
    assert place(quote, 1, "hè phố", "năm 2027") == Placement(1, False)
    assert place(quote, 1, "hè phố", "", "năm 2027") == Placement(1, False)


def test_clamp_and_loose_form() -> None:
    assert [clamp(p, 3) for p in (-1, 0, 1, 3, 4)] == [1, 1, 1, 3, 3]
    assert loose_form("Đề  ÁN\nphát tr-\niển") == "deanphattrien"


def test_a_thousand_notes_on_a_hundred_pages_are_placed() -> None:
    # Its speed is measured by bench.reader (re-anchoring), not asserted here.
    pages = [
        f"Trang {n}. {STREET} Mục {n}: {BUDGET} Điều khoản {n * 7} của đề án số {n}." * 6
        for n in range(1, 101)
    ]
    quotes = [
        Quote(f"Điều khoản {n * 7} của đề án", prefix=f"Mục {n}: ", suffix=f" số {n}")
        for n in range(1, 101)
    ] * 9 + [Quote(f"đoạn đã bị xoá {n}") for n in range(100)]
    text = VersionText(pages)
    placed = [reanchor(quote, 50, text) for quote in quotes]
    assert placed[6] == Placement(7, True)
    assert sum(not p.found for p in placed) == 100
