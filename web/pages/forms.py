"""HTML forms: their fields as posted, turned into schemas or into messages beside each field."""

from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from core.errors import HopError
from meetings.errors import (
    AlreadyInvitedError,
    DuplicateUsernameError,
    FileTooLargeError,
    FileTypeNotAllowedError,
    UnsafeDocumentError,
)
from models import (
    AgendaItemCreate,
    AgendaItemUpdate,
    DeviceTokenCreate,
    InvitationCreate,
    InvitationUpdate,
    MeetingCreate,
    MeetingUpdate,
    PersonCreate,
    PersonUpdate,
)
from models.meeting import InvitationBulk
from models.person import PasswordReset
from web.pages.error_words import Detail
from web.pages.render import N_, VIETNAM

Model = TypeVar("Model", bound=BaseModel)
FieldErrors = dict[str, str]

REQUIRED = N_("This field is required.")
TOO_SHORT = N_("This is too short.")
TOO_LONG = N_("This is too long.")
INVALID = N_("This value is not valid.")
BAD_USERNAME = N_(
    "Use 2 to 64 lower-case letters, digits, dots, dashes or underscores, "
    "starting with a letter or a digit."
)
BAD_EMAIL = N_("This is not a valid e-mail address.")
SHORT_PASSWORD = N_("The password needs at least 8 characters.")
BAD_DATETIME = N_("Enter a date and a time.")
END_BEFORE_START = N_("The end must be after the start.")
YEAR_OUT_OF_RANGE = N_("Enter a date between the years 2000 and 2999.")
NUL_CHARACTER = N_("This text holds a NUL character, which cannot be stored.")
USERNAME_TAKEN = N_("This username is taken.")
ALREADY_INVITED = N_("This person is already invited.")
FILE_TOO_LARGE = N_("The file is larger than the upload limit.")
FILE_TYPE = N_("This type of file is not allowed: upload a PDF, an Office document or an image.")
FILE_INVALID = N_("The file could not be used: choose a non-empty file.")
FILE_UNSAFE = N_(
    "This PDF contains scripts, launch actions or embedded files and was refused: "
    "save it again without them (for instance, print it to a new PDF)."
)
CSV_INVALID = N_("The CSV file could not be read: it must be UTF-8 text with a header line.")
UNKNOWN_MEETING = N_("Choose a meeting from the list.")
NO_OPEN_MEETING = N_("There is no meeting for this screen to open: choose or create one.")
UNKNOWN_PAIRING_CODE = N_(
    "No screen is waiting with this code: check it, or open /pair on the screen again."
)


class FormError(Exception):
    """A form that cannot be used as posted: a message per field."""

    def __init__(self, errors: FieldErrors) -> None:
        super().__init__(", ".join(errors))
        self.errors = errors


class PersonForm(BaseModel):
    full_name: str = ""
    username: str = ""
    title: str = ""
    email: str = ""
    phone: str = ""
    role: str = ""
    unit_id: str = ""
    password: str = ""


class MeetingForm(BaseModel):
    title: str = ""
    description: str = ""
    start_at: str = ""
    end_at: str = ""
    location: str = ""
    chair_id: str = ""
    kind: str = ""  # on the new-meeting form only: session or written
    watermark_downloads: str = ""  # a checkbox on the editor's form only: sent when ticked


class DeviceForm(BaseModel):
    kind: str = ""
    name: str = ""
    meeting_id: str = ""
    code: str = ""


class AgendaForm(BaseModel):
    title: str = ""
    presenter: str = ""
    planned_minutes: str = ""


class InvitationForm(BaseModel):
    person_id: str = ""
    role: str = ""
    voting_right: str = ""
    seat_label: str = ""


def _filled(form: BaseModel) -> dict[str, str]:
    # An empty field means "not given": the schema's default applies.
    return {key: value.strip() for key, value in form.model_dump().items() if value.strip()}


def validate(model: type[Model], data: dict[str, Any]) -> Model:
    """The schema built from form values, or FormError naming each bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise FormError(_messages(error)) from error


def _messages(error: ValidationError) -> FieldErrors:
    errors: FieldErrors = {}
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "form"
        errors.setdefault(name, _message(name, item["type"], item.get("ctx") or {}))
    return errors


def _message(name: str, kind: str, ctx: dict[str, Any]) -> str:
    if kind == "missing" or (kind == "string_too_short" and ctx.get("min_length") == 1):
        return REQUIRED
    if name == "password" and kind == "string_too_short":
        return SHORT_PASSWORD
    if name == "username" and kind == "string_pattern_mismatch":
        return BAD_USERNAME
    if name == "email":
        return BAD_EMAIL
    return _MESSAGES.get(kind, INVALID)


# Messages by the pydantic error type (the custom ones are raised by models.meeting/text).
_MESSAGES = {
    "string_too_short": TOO_SHORT,
    "string_too_long": TOO_LONG,
    "year_out_of_range": YEAR_OUT_OF_RANGE,
    "end_before_start": END_BEFORE_START,
    "nul_character": NUL_CHARACTER,
}


def hop_error_fields(error: HopError) -> FieldErrors:
    """A domain error as a message beside the field it concerns."""
    messages: list[tuple[type[HopError], str]] = [
        (DuplicateUsernameError, USERNAME_TAKEN),
        (AlreadyInvitedError, ALREADY_INVITED),
        (FileTypeNotAllowedError, FILE_TYPE),
    ]
    message = next((text for kind, text in messages if isinstance(error, kind)), None)
    if message is None:
        # The domain's own words (the size limit, what a PDF holds), which the page's _()
        # translates (web.pages.error_words); the fallback where the table lacks them.
        fallbacks = [(FileTooLargeError, FILE_TOO_LARGE), (UnsafeDocumentError, FILE_UNSAFE)]
        general = FILE_INVALID if error.field == "file" else INVALID
        fallback = next((text for kind, text in fallbacks if isinstance(error, kind)), general)
        message = Detail(error.detail, fallback)
    return {error.field or "form": message}


def parse_local_datetime(value: str) -> datetime | None:
    """A datetime-local value, read as Vietnam's time; None when empty or malformed."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM)


def person_create(form: PersonForm) -> PersonCreate:
    """The new person from the people form."""
    return validate(PersonCreate, _filled(form))


def _meeting_values(form: MeetingForm) -> dict[str, Any]:
    values: dict[str, Any] = _filled(form)
    errors: FieldErrors = {}
    for name in ("start_at", "end_at"):
        values[name] = parse_local_datetime(getattr(form, name))
        if values[name] is None:
            errors[name] = BAD_DATETIME
    if not errors and values["end_at"] <= values["start_at"]:
        errors["end_at"] = END_BEFORE_START
    values["chair_id"] = values.get("chair_id")  # an empty choice means no chair
    if errors:
        raise FormError(errors)
    return values


def meeting_create(form: MeetingForm) -> MeetingCreate:
    """A new meeting from the meeting form."""
    return validate(MeetingCreate, _meeting_values(form))


def meeting_update(form: MeetingForm) -> MeetingUpdate:
    """Every detail of the meeting form, as a change to the meeting."""
    values = _meeting_values(form)
    values.setdefault("description", "")
    values.setdefault("location", "")
    values.setdefault("title", "")
    values["watermark_downloads"] = bool(values.get("watermark_downloads"))  # unticked: absent
    return validate(MeetingUpdate, values)


def agenda_create(form: AgendaForm) -> AgendaItemCreate:
    """A new agenda item from the agenda form."""
    return validate(AgendaItemCreate, _filled(form))


def invitation_create(form: InvitationForm) -> InvitationCreate:
    """A new invitation; an unticked voting-right box means no vote."""
    values: dict[str, Any] = _filled(form)
    values["voting_right"] = bool(values.get("voting_right"))
    return validate(InvitationCreate, values)


def device_create(form: DeviceForm) -> DeviceTokenCreate:
    """A new kiosk or projector; an empty meeting choice means a hall device."""
    return validate(DeviceTokenCreate, _filled(form.model_copy(update={"code": ""})))


# Editing what was added: agenda items, invitations, people (issue 14.4).

PASSWORDS_DIFFER = N_("The two passwords differ.")


class InvitationEditForm(BaseModel):
    role: str = ""
    voting_right: str = ""
    seat_label: str = ""


class InviteManyForm(BaseModel):
    person_ids: list[str] = []
    unit_id: str = ""
    role: str = ""
    voting_right: str = ""


class PersonEditForm(BaseModel):
    full_name: str = ""
    title: str = ""
    unit_id: str = ""
    email: str = ""
    phone: str = ""
    role: str = ""


class PasswordForm(BaseModel):
    password: str = ""
    password_again: str = ""
    generate: str = ""


def agenda_update(form: AgendaForm) -> AgendaItemUpdate:
    """An agenda item's new title and presenter (both as posted: an empty title is refused,
    an empty presenter clears it) and planned minutes (unchanged when left empty)."""
    values: dict[str, Any] = {"title": form.title.strip(), "presenter": form.presenter.strip()}
    if form.planned_minutes.strip():
        values["planned_minutes"] = form.planned_minutes.strip()
    return validate(AgendaItemUpdate, values)


def invitation_update(form: InvitationEditForm) -> InvitationUpdate:
    """An invitation's role, voting right (an unticked box means no vote) and seat."""
    values: dict[str, Any] = {
        "voting_right": bool(form.voting_right.strip()),
        "seat_label": form.seat_label.strip(),
    }
    if form.role.strip():
        values["role"] = form.role.strip()
    return validate(InvitationUpdate, values)


def invite_many(form: InviteManyForm) -> InvitationBulk:
    """The people ticked and the unit chosen, with one role and voting right."""
    values: dict[str, Any] = {
        "person_ids": [value.strip() for value in form.person_ids if value.strip()],
        "unit_id": form.unit_id.strip() or None,
        "voting_right": bool(form.voting_right.strip()),
    }
    if form.role.strip():
        values["role"] = form.role.strip()
    return validate(InvitationBulk, values)


def person_update(form: PersonEditForm) -> PersonUpdate:
    """Every detail of the person form: an empty unit, e-mail or phone clears it."""
    values: dict[str, Any] = {key: value.strip() for key, value in form.model_dump().items()}
    for name in ("unit_id", "email", "phone", "role"):
        values[name] = values[name] or None
    return validate(PersonUpdate, values)


def password_reset(form: PasswordForm) -> PasswordReset:
    """The password typed twice, or none when a generated one is asked for."""
    if form.generate:
        return PasswordReset()
    if form.password != form.password_again:
        raise FormError({"password_again": PASSWORDS_DIFFER})
    return validate(PasswordReset, {"password": form.password})
