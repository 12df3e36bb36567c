"""The chair console's poll templates: a posted form turned into a PollCreate.

Three templates: approval ("Biểu quyết thông qua": yes / no / abstain), election (one or
several candidates) and opinion (free text, optionally agree / disagree)."""

from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from models import MajorityRule, PollCreate, PollKind
from web.pages.forms import INVALID, REQUIRED, FieldErrors, FormError
from web.pages.render import N_

Template = Literal["approval", "election", "opinion"]
APPROVAL_RULES = (MajorityRule.simple, MajorityRule.absolute_members)
BAD_CANDIDATES = N_("List at least two different candidates, one per line.")
BAD_SEATS = N_("Choose how many candidates each delegate may pick (at most the number listed).")
BAD_POLL = N_("These settings do not fit together; check the form.")


class PollForm(BaseModel):
    """A poll as the console's template forms post it (every field a string)."""

    template: Template = "approval"
    title: str = ""
    description: str = ""
    majority_rule: str = ""
    candidates: str = ""
    seats: str = ""
    opinion_agree: str = ""
    secret: str = ""
    allow_change: str = ""
    confirm_face: str = ""
    agenda_item_id: str = ""
    document_id: str = ""
    document_version: str = ""


def poll_create(form: PollForm) -> PollCreate:
    """The draft a template form describes, or FormError with a message per field."""
    values = {**_common(form), **_by_template(form)}
    try:
        return PollCreate.model_validate(values)
    except ValidationError as error:
        raise FormError(_messages(error)) from error


def _common(form: PollForm) -> dict[str, Any]:
    return {
        "title": form.title,
        "description": form.description,
        "secret": bool(form.secret),
        "allow_change": bool(form.allow_change) and not form.secret,
        "confirm_face": bool(form.confirm_face),
        "agenda_item_id": _number(form.agenda_item_id, "agenda_item_id"),
        "document_id": _number(form.document_id, "document_id"),
        "document_version": _number(form.document_version, "document_version"),
    }


def _by_template(form: PollForm) -> dict[str, Any]:
    if form.template == "approval":
        rule = form.majority_rule or MajorityRule.simple
        if rule not in APPROVAL_RULES:
            raise FormError({"majority_rule": INVALID})
        return {"kind": PollKind.yes_no, "majority_rule": rule}
    if form.template == "opinion":
        return {"kind": PollKind.opinion, "opinion_agree": bool(form.opinion_agree)}
    return _election(form)


def _election(form: PollForm) -> dict[str, Any]:
    names = [line.strip() for line in form.candidates.splitlines() if line.strip()]
    if len(names) < 2 or len({name.casefold() for name in names}) != len(names):
        raise FormError({"candidates": BAD_CANDIDATES})
    seats = _number(form.seats or "1", "seats")
    if seats is None or not 1 <= seats <= len(names):
        raise FormError({"seats": BAD_SEATS})
    if seats == 1:
        return {"kind": PollKind.single, "options": names}
    return {"kind": PollKind.multiple, "options": names, "min_choices": 1, "max_choices": seats}


def _number(value: str, name: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise FormError({name: INVALID})
    return int(value)


def _messages(error: ValidationError) -> FieldErrors:
    errors: FieldErrors = {}
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "form"
        if name == "title" and item["type"] in ("missing", "string_too_short"):
            errors.setdefault(name, REQUIRED)
        else:
            errors.setdefault(name, BAD_POLL if name == "form" else INVALID)
    return errors
