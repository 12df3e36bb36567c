"""The reply page behind the link in an invitation e-mail: no login, the signed token decides.

Opening the link only shows the invitation (mail scanners and link previews fetch links);
the answer is a form post, protected by the CSRF token like every other form.
"""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from meetings import scheduling
from meetings.reply_links import MAX_TOKEN_LENGTH, invitation_for_token
from models import Reply
from web.deps import SessionDep, StateDep
from web.mail import reply_links
from web.pages.render import N_, render

router = APIRouter()

REASON_NEEDED = N_("Please say why you cannot attend.")
TokenQuery = Annotated[str, Query(max_length=MAX_TOKEN_LENGTH)]


def _page(
    request: Request,
    session: SessionDep,
    state: StateDep,
    token: str,
    *,
    status: int = 200,
    **extra: Any,
) -> HTMLResponse:
    invitation, meeting, person = invitation_for_token(
        session=session, links=reply_links(state.settings), token=token
    )
    context = {"token": token, "invitation": invitation, "meeting": meeting, "invitee": person}
    return render(request, "pages/invitation_reply.html", context | extra, status=status)


@router.get("/invitations/reply", response_class=HTMLResponse)
def reply_page(
    request: Request, session: SessionDep, state: StateDep, token: TokenQuery
) -> Response:
    return _page(request, session, state, token)


@router.post("/invitations/reply", response_class=HTMLResponse)
def reply_submit(
    request: Request,
    session: SessionDep,
    state: StateDep,
    token: Annotated[str, Form(max_length=MAX_TOKEN_LENGTH)],
    reply: Annotated[Reply, Form()],
    reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    invitation, _meeting, _person = invitation_for_token(
        session=session, links=reply_links(state.settings), token=token
    )
    if reply == Reply.declined and not reason.strip():
        errors = {"reason": REASON_NEEDED}
        return _page(request, session, state, token, errors=errors, reason=reason, status=422)
    scheduling.reply_to_invitation(
        session=session, invitation=invitation, reply=reply, reason=reason
    )
    query = urlencode({"token": token, "msg": "replied"})
    return RedirectResponse(f"/invitations/reply?{query}", status_code=303)
