"""Text every database can store: PostgreSQL refuses the NUL character, SQLite keeps it.

The schemas people write through (the Create and Update ones) take `StorableText` as a base,
so a NUL is a 422 naming the field on both databases, at the API and on the pages alike."""

from typing import Any

from pydantic import field_validator
from pydantic_core import PydanticCustomError
from sqlmodel import SQLModel


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return False


def refuse_nul(value: Any) -> Any:
    """The value, unless some text in it holds a NUL character."""
    if _holds_nul(value):
        raise PydanticCustomError("nul_character", "must not contain the NUL character")
    return value


class StorableText(SQLModel):
    """A mixin: every field's text (in lists and dicts too) is refused if it holds a NUL."""

    _no_nul = field_validator("*")(refuse_nul)
