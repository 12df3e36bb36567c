"""Guided enrolment from a camera: one captured frame of one step (look straight, slightly
left, slightly right) in, accepted or refused with a reason out; an accepted frame is stored
as a template through the same gallery path as an uploaded photo (source camera:STEP).

The secretariat captures for anyone, a person for themself (/my/faces). Consent is checked
before any face work; the frame goes through checkin.quality's rules in the face pool.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request

from checkin.quality import Step
from web import ratelimit
from web.api.checkin import _read_body, _self_or_staff
from web.capture import CapturePublic, Say, capture_frame
from web.deps import CurrentUser, StateDep, get_gettext

router = APIRouter(tags=["check-in"])


# The body is the image itself (read raw, not a form): say so in the OpenAPI schema.
IMAGE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            kind: {"schema": {"type": "string", "format": "binary"}}
            for kind in ("image/jpeg", "image/png")
        },
    }
}


@router.post("/people/{person_id}/faces/capture", openapi_extra=IMAGE_BODY)
async def capture_face(
    person_id: int,
    request: Request,
    state: StateDep,
    person: CurrentUser,
    step: Annotated[Step, Query()],
) -> CapturePublic:
    """One camera frame (JPEG or PNG body) of a guided step: `accepted` with the stored
    template, or a `reason` code and a `message` saying what to change. The secretariat for
    anyone, a person for themself; consent first (409)."""
    _self_or_staff(person_id, person)
    gettext = get_gettext(request)
    await ratelimit.check_kiosk_frame(state, device_key=f"capture:{person.id}", gettext=gettext)
    data = await _read_body(request)
    return await capture_frame(
        state, person_id=person_id, step=step, data=data, by=person.id, say=sayer(request)
    )


def sayer(request: Request) -> Say:
    """A refusal's detail in the request's language: web.errors.say_error, which the app
    hands over on its state (this router cannot import the pages' table of words)."""
    say_error = getattr(request.app.state, "say_error", None)
    gettext = get_gettext(request)
    if say_error is None:
        return lambda detail: detail
    return lambda detail: str(say_error(detail, 422, gettext))
