"""Signed poll results and the public key that checks them.

`router` goes under /api with the other API routers; `well_known` is served at the root, without
login, so that anyone can fetch the key a signed result names.
"""

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel

from records import result_signing
from web.api.polls import PollDep
from web.deps import CurrentUser, SessionDep, StateDep

router = APIRouter(tags=["polls"])
well_known = APIRouter(tags=["result signatures"])


class ResultKey(BaseModel):
    """The public key that signed results verify with."""

    key_id: str
    algorithm: str
    public_key_pem: str


@well_known.get("/.well-known/hop-result-key.pem", response_class=PlainTextResponse)
def result_key_pem(state: StateDep) -> PlainTextResponse:
    """The result-signing public key as PEM."""
    pem = result_signing.public_key_pem(state.settings.resolved_secret_key)
    return PlainTextResponse(pem.decode("ascii"))


@well_known.get("/.well-known/hop-result-key")
def result_key(state: StateDep) -> ResultKey:
    """The result-signing public key, its id and algorithm."""
    private = result_signing.result_key(state.settings.resolved_secret_key)
    return ResultKey(
        key_id=result_signing.key_id(private.public_key()),
        algorithm=result_signing.ALGORITHM,
        public_key_pem=result_signing.public_key_pem(state.settings.resolved_secret_key).decode(),
    )


@router.get("/polls/{poll_id}/result.signed.json", response_class=JSONResponse)
def signed_result(
    poll: PollDep, session: SessionDep, person: CurrentUser, state: StateDep
) -> JSONResponse:
    """The result as a JSON document signed with the server's key (same access as the result)."""
    document = result_signing.sign_poll_result(
        session=session, poll=poll, viewer=person, secret_key=state.settings.resolved_secret_key
    )
    disposition = f'attachment; filename="poll-{poll.id}-result.signed.json"'
    return JSONResponse(document, headers={"content-disposition": disposition})
