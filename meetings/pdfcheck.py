"""Refuse PDFs that can act on their own: JavaScript, launch actions, embedded files, XFA.

Delegates open documents on tablets, often in a viewer that is not the browser's; a PDF that
runs a script, launches a program or carries another file inside is a way onto those
tablets. Meeting papers need none of it, so such a PDF is refused, not silently altered:
the secretariat re-saves it without them (printing it to PDF does).

Every object reachable from the document's trailer is walked (pypdf resolves object streams
and normalises escaped names such as /J#61vaScript), so an action hidden in an annotation, a
form field's /AA or a name tree is found as well as one in /OpenAction.
"""

from collections.abc import Iterator
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from meetings.errors import InvalidDataError, UnsafeDocumentError

MAX_OBJECTS = 200_000
# Keys whose mere presence means active content.
_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/EmbeddedFiles": "embedded files",
    "/EmbeddedFile": "embedded files",
    "/XFA": "an XFA form (it can run scripts)",
    "/RichMedia": "embedded media",
}
# Action types (/S) that run something.
_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "a launch action",
    "/GoToE": "embedded files",
    "/ImportData": "an import-data action",
}
_SUBTYPES = {"/FileAttachment": "embedded files", "/RichMedia": "embedded media"}


def check_pdf(path: Path) -> None:
    """Raise UnsafeDocumentError naming what the PDF holds; return when it is inert."""
    found = sorted(set(find_active_content(path)))
    if found:
        raise UnsafeDocumentError(
            f"This PDF contains {', '.join(found)} and was refused: save it again without them "
            "(for instance, print it to a new PDF)",
            field="file",
        )


def find_active_content(path: Path) -> Iterator[str]:
    """What active content the PDF holds (may repeat); raises when it cannot be read."""
    try:
        reader = PdfReader(path, strict=False)
        _unlock(reader)
        yield from _walk(reader.trailer)
    except (PyPdfError, ValueError, KeyError, TypeError, RecursionError) as error:
        raise InvalidDataError(
            f"The PDF could not be read ({type(error).__name__}); it may be damaged",
            field="file",
        ) from error


def _unlock(reader: PdfReader) -> None:
    # Many PDFs are "encrypted" with an empty user password only to set permissions.
    if reader.is_encrypted and not reader.decrypt(""):
        raise InvalidDataError(
            "This PDF is password-protected, so it cannot be checked: upload it without a password",
            field="file",
        )


def _walk(root: PdfObject) -> Iterator[str]:
    seen: set[tuple[int, int]] = set()
    stack: list[PdfObject | None] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            if len(seen) > MAX_OBJECTS:
                raise UnsafeDocumentError(
                    "This PDF has too many objects to be checked", field="file"
                )
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            yield from _judge(item)
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)


def _judge(item: DictionaryObject) -> Iterator[str]:
    for key, what in _KEYS.items():
        if key in item:
            yield what
    action = item.get("/S")
    if isinstance(action, str) and action in _ACTIONS:
        yield _ACTIONS[action]
    subtype = item.get("/Subtype")
    if isinstance(subtype, str) and subtype in _SUBTYPES:
        yield _SUBTYPES[subtype]
    if "/EF" in item:  # a file specification with the file's bytes inside
        yield "embedded files"
