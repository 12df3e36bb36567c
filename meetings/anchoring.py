"""Finding a note's quote again in a new version of its document (text-quote re-anchoring).

A note is anchored as a W3C Web Annotation text-quote selector: the exact text, some text
before it (prefix) and after it (suffix), and the page it was on. In a new version the exact
text is looked for on every page; where it occurs more than once, the occurrence whose
surroundings agree best with the prefix and suffix wins, then the one nearest the old page.

The reader's text (PDF.js) and the server's (pypdf) break lines differently, so the texts are
compared normalised: first with whitespace collapsed, then - only when that finds nothing -
folded (meetings.fold: no case, no diacritics) with words rejoined across hyphenated line
ends and whitespace dropped. Text whose words were edited or deleted is not found: the note is
then "changed". Pure functions, no database; a version's pages are normalised once
(VersionText) for all the notes carried to it.
"""

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from meetings.fold import fold

# At most this many occurrences of a quote are compared: a one-letter quote on a long
# document would otherwise cost a comparison per letter.
MAX_CANDIDATES = 1_000
# Pages are joined with a line break, which neither normal form keeps: no quote spans two.
PAGE_BREAK = "\n"
_SPACE = re.compile(r"\s+")
# A word cut at a line end ("chỉnh tr-\nang"), and the soft hyphens some PDFs hold.
_BROKEN_WORD = re.compile(r"[-\u00ad][ \t]*\r?\n\s*")
_INVISIBLE = str.maketrans({"\u00ad": None, "\x00": None, "\u200b": None, "\ufeff": None})


@dataclass(frozen=True)
class Quote:
    """The quoted text and what surrounded it (any of them may be empty)."""

    exact: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Placement:
    """Where a note goes in the new version: its page, and whether its quote was found."""

    page: int
    found: bool


def collapsed(text: str) -> str:
    """The text in NFC with invisible characters dropped and whitespace runs made one space."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text).translate(_INVISIBLE))


def strict_form(text: str) -> str:
    """The first comparison's form: whitespace collapsed and trimmed."""
    return collapsed(text).strip()


def loose_form(text: str) -> str:
    """The fallback's form: hyphenated line ends rejoined, folded, without whitespace."""
    return _SPACE.sub("", fold(_BROKEN_WORD.sub("", text.translate(_INVISIBLE))))


class _Joined:
    """A version's pages in one normal form, joined so that one search covers them all."""

    def __init__(self, pages: Sequence[str]) -> None:
        self.text = PAGE_BREAK.join(pages)
        self.starts: list[int] = []
        offset = 0
        for page in pages:
            self.starts.append(offset)
            offset += len(page) + len(PAGE_BREAK)

    def occurrences(self, needle: str) -> Iterator[int]:
        start = self.text.find(needle)
        count = 0
        while start >= 0 and count < MAX_CANDIDATES:
            yield start
            count += 1
            start = self.text.find(needle, start + 1)

    def page_of(self, offset: int) -> int:
        """The page (from 1) holding this offset."""
        return bisect_right(self.starts, offset)

    def bounds(self, page: int) -> tuple[int, int]:
        start = self.starts[page - 1]
        end = self.starts[page] - len(PAGE_BREAK) if page < len(self.starts) else len(self.text)
        return start, end


class VersionText:
    """A version's pages (page 1 first; "" for a page without text), normalised once."""

    def __init__(self, pages: Sequence[str]) -> None:
        self.page_count = len(pages)
        self.strict = _Joined([strict_form(page) for page in pages])
        self.loose = _Joined([loose_form(page) for page in pages])


def reanchor(quote: Quote, page: int, text: VersionText) -> Placement:
    """Where the quote that was on `page` is in the new version's text. A note quoting
    nothing (a pin on blank space) keeps its page, within the new page count."""
    kept = clamp(page, text.page_count)
    if not strict_form(quote.exact):
        return Placement(kept, True)
    forms: tuple[tuple[_Joined, Callable[[str], str]], ...] = (
        (text.strict, collapsed),
        (text.loose, loose_form),
    )
    for joined, form in forms:
        found = _best_page(joined, form, quote, page)
        if found is not None:
            return Placement(found, True)
    return Placement(kept, False)


def clamp(page: int, page_count: int) -> int:
    """The page within 1..page_count (page 1 of a version with no pages)."""
    return min(max(page, 1), max(page_count, 1))


def _best_page(joined: _Joined, form: Callable[[str], str], quote: Quote, page: int) -> int | None:
    needle = form(quote.exact).strip()
    if not needle:
        return None
    # Context is compared up to the quote, whatever whitespace the reader kept around it.
    prefix, suffix = form(quote.prefix).rstrip(), form(quote.suffix).lstrip()
    best: tuple[int, int, int] | None = None
    for start in joined.occurrences(needle):
        where = joined.page_of(start)
        low, high = joined.bounds(where)
        before = joined.text[max(low, start - len(prefix) - 1) : start].rstrip()
        end = start + len(needle)
        after = joined.text[end : min(high, end + len(suffix) + 1)].lstrip()
        agreement = _common_tail(prefix, before) + _common_head(suffix, after)
        key = (-agreement, abs(where - page), start)
        if best is None or key < best:
            best = key
    return None if best is None else joined.page_of(best[2])


def _common_head(one: str, other: str) -> int:
    """How many characters the two texts share at their start."""
    count = 0
    for a, b in zip(one, other, strict=False):
        if a != b:
            break
        count += 1
    return count


def _common_tail(one: str, other: str) -> int:
    """How many characters the two texts share at their end."""
    return _common_head(one[::-1], other[::-1])
