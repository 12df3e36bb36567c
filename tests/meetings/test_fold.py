"""Accent folding for the search: Vietnamese tones, đ, case and spacing."""

import unicodedata

import pytest

from meetings.fold import fold, fold_with_offsets, index_form, words


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("hè phố", "he pho"),
        ("Hà Nội", "ha noi"),
        ("quyết định", "quyet dinh"),
        ("ngã sắc huyền hỏi nặng", "nga sac huyen hoi nang"),
        ("ảạãáàẩậẫấầẳặẵắằ", "aaaaaaaaaaaaaaa"),
        ("ơ ư ô ê â ă", "o u o e a a"),
    ],
)
def test_tones_and_vowel_marks_are_dropped(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_d_with_stroke_is_d() -> None:
    assert fold("Đề án") == "de an"
    assert fold("đường") == "duong"
    assert fold("ĐƯỜNG ĐÔ THỊ") == "duong do thi"


def test_upper_case_is_lower_case() -> None:
    assert fold("NGHỊ QUYẾT") == "nghi quyet"
    assert fold("Ủy Ban") == "uy ban"


def test_decomposed_input_folds_like_composed() -> None:
    composed = "Tờ trình số 12"
    assert fold(unicodedata.normalize("NFD", composed)) == fold(composed) == "to trinh so 12"


def test_mixed_spacing_and_punctuation_make_the_same_words() -> None:
    assert words("  hè\tphố,\n\nHÀ-NỘI  ") == ["he", "pho", "ha", "noi"]
    assert index_form("Đề  án\u00a0số 3/2026 (dự_thảo)") == "de an so 3 2026 du thao"
    assert words("") == []
    assert index_form(" \n\t") == ""


def test_query_and_text_fold_alike() -> None:
    assert set(words("he pho")) <= set(words("Chỉnh trang hè phố"))
    assert set(words("de an")) <= set(words("ĐỀ ÁN phát triển"))


def test_offsets_point_at_the_original_characters() -> None:
    original = "Về hè phố"
    folded, offsets = fold_with_offsets(original)
    assert folded == "ve he pho"
    at = folded.index("pho")
    assert original[offsets[at] : offsets[at + 2] + 1] == "phố"


def test_offsets_of_decomposed_text() -> None:
    original = unicodedata.normalize("NFD", "hè phố")
    folded, offsets = fold_with_offsets(original)
    assert folded == "he pho"
    assert len(offsets) == len(folded)
    assert unicodedata.normalize("NFC", original[offsets[3] :]) == "phố"
