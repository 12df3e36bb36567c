"""The screen side of pairing: /pair shows a short code until the secretariat enters it on the
devices page, then goes to the screen's page (its address carries the new device token)."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from web import auth, pairing, ratelimit
from web.deps import SessionDep, StateDep
from web.pages.render import render

router = APIRouter()
PAIR_COOKIE = "hop_pair"


@router.get("/pair", response_class=HTMLResponse)
def pair_page(request: Request, session: SessionDep, state: StateDep) -> HTMLResponse:
    """A new code on every load; the claim secret stays in an HttpOnly cookie."""
    try:
        ratelimit.check_pairing(state, address=auth.client_address(request))
    except ratelimit.RateLimitedError as error:
        refused = {"retry_after": error.retry_after, "minutes": pairing.PAIRING_MINUTES}
        response = render(request, "pages/pair.html", refused, status=429)
        response.headers.update(error.headers)
        return response
    waiting, claim = pairing.start_pairing(session=session)
    code = f"{waiting.code[:3]} {waiting.code[3:]}"
    context = {"code": code, "minutes": pairing.PAIRING_MINUTES}
    response = render(request, "pages/pair.html", context)
    response.set_cookie(
        PAIR_COOKIE,
        claim,
        max_age=pairing.PAIRING_MINUTES * 60,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/pair",
    )
    return response


@router.get("/pair/status")
def pair_status(request: Request, session: SessionDep) -> JSONResponse:
    """`waiting`, `paired` with the address to open (once), or 410 when the code expired."""
    try:
        path = pairing.claim_screen(session=session, claim=request.cookies.get(PAIR_COOKIE))
    except pairing.PairingCodeError:
        return JSONResponse({"status": "expired"}, status_code=410)
    if path is None:
        return JSONResponse({"status": "waiting"})
    response = JSONResponse({"status": "paired", "url": path})
    response.delete_cookie(PAIR_COOKIE, path="/pair")
    return response
