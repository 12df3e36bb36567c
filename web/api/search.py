"""Search the text of the papers: in one meeting, or across meetings for the secretariat."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from meetings import search as doc_search
from web.deps import CurrentUser, MeetingDep, SessionDep

router = APIRouter(tags=["documents"])
# Longer queries are cut to search.MAX_QUERY characters, not refused: a pasted sentence works.
QueryText = Annotated[str, Query(max_length=10_000)]
Limit = Annotated[int, Query(ge=1, le=doc_search.MAX_LIMIT)]


class SearchHit(BaseModel):
    document_id: int
    title: str
    meeting_id: int
    version: int
    page: int
    snippet: str


def _public(hits: list[doc_search.Hit]) -> list[SearchHit]:
    return [SearchHit(**vars(hit)) for hit in hits]


@router.get("/meetings/{meeting_id}/search")
def search_meeting(
    meeting: MeetingDep,
    session: SessionDep,
    person: CurrentUser,
    q: QueryText = "",
    limit: Limit = 50,
) -> list[SearchHit]:
    """Pages of the meeting's published documents holding every word of q (accents ignored)."""
    return _public(doc_search.search(session, meeting, person, q, limit))


@router.get("/search")
def search_everywhere(
    session: SessionDep, person: CurrentUser, q: QueryText = "", limit: Limit = 50
) -> list[SearchHit]:
    """The same across every meeting (secretariat and admins only)."""
    return _public(doc_search.search_all(session, person, q, limit))
