"""Accent folding for Vietnamese search: "he pho" finds "hè phố", "de an" finds "Đề án".

Pure functions, no database: the index stores folded text and queries are folded the same way.
"""

import re
import unicodedata
from functools import lru_cache

# đ/Đ is a letter of its own, not d plus a mark: NFD leaves it whole.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d"})
# Words are runs of letters and digits (no underscore), as FTS5 and PostgreSQL split them.
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case without diacritics (NFD, then combining marks dropped), đ read as d."""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS).lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The folded words of a text, in order."""
    return _WORD.findall(fold(text))


def index_form(text: str) -> str:
    """What the search indexes store: the folded words separated by single spaces, so that
    SQLite's and PostgreSQL's tokenizers see the same words."""
    return " ".join(words(text))


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each of its characters, the index of the original character
    it came from - to cut a snippet of the original around a match in the folded text."""
    folded: list[str] = []
    offsets: list[int] = []
    for index, ch in enumerate(text):
        part = _fold_char(ch)
        folded.append(part)
        offsets.extend([index] * len(part))
    return "".join(folded), offsets


# A page is folded character by character to keep each one's offset; its alphabet is small.
_fold_char = lru_cache(maxsize=4096)(fold)
