"""Minutes of a meeting: draft from the meeting, edit the draft, finalise it (locked by the
sha256 of its canonical content), correct a final version by starting the next one."""

import hashlib
import json

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.audit import audit
from core.errors import ConflictError, InvalidInputError, NotFoundError
from models import (
    Audience,
    Meeting,
    Minutes,
    MinutesBody,
    MinutesPublic,
    MinutesStatus,
    MinutesUpdate,
    MinutesVersionPublic,
    Person,
)
from models.base import utcnow
from models.events import record_event
from records.minutes_draft import draft_body

HEADER_FIELDS = ("issuer", "place_date", "title", "subject", "chair_name", "secretary_name")


class MinutesNotFoundError(NotFoundError):
    pass


class MinutesLockedError(ConflictError):
    """A final version never changes: correct it instead."""


class MinutesStateError(ConflictError):
    pass


class UnknownSectionError(InvalidInputError):
    pass


def canonical_content(minutes: Minutes) -> bytes:
    """What the sha256 of a final version covers: meeting, version and body as sorted,
    compact UTF-8 JSON, so that anyone can recompute it from the exported body."""
    content = {
        "meeting_id": minutes.meeting_id,
        "version": minutes.version,
        "body": MinutesBody.model_validate(minutes.body).model_dump(mode="json"),
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8")


def content_sha256(minutes: Minutes) -> str:
    """The sha256 of the canonical content, in hex."""
    return hashlib.sha256(canonical_content(minutes)).hexdigest()


def is_intact(minutes: Minutes) -> bool:
    """Whether a final version still matches the sha256 it was locked with."""
    return minutes.sha256 is not None and minutes.sha256 == content_sha256(minutes)


def describe(minutes: Minutes) -> MinutesPublic:
    """The public view of one version."""
    return MinutesPublic.model_validate(minutes, update={"body": body_of(minutes)})


def body_of(minutes: Minutes) -> MinutesBody:
    return MinutesBody.model_validate(minutes.body)


def list_versions(*, session: Session, meeting: Meeting) -> list[Minutes]:
    """Every version of the meeting's minutes, the first first."""
    query = select(Minutes).where(Minutes.meeting_id == meeting.id)
    return list(session.exec(query.order_by(col(Minutes.version))))


def describe_versions(*, session: Session, meeting: Meeting) -> list[MinutesVersionPublic]:
    """The version history with who finalised each version."""
    rows = list_versions(session=session, meeting=meeting)
    ids = {row.finalised_by for row in rows if row.finalised_by is not None}
    names = {p.id: p.full_name for p in session.exec(select(Person).where(col(Person.id).in_(ids)))}
    return [
        MinutesVersionPublic.model_validate(
            row, update={"finalised_by_name": names.get(row.finalised_by, "")}
        )
        for row in rows
    ]


def latest_minutes(*, session: Session, meeting: Meeting) -> Minutes | None:
    """The newest version, or None before the minutes are first drafted."""
    query = select(Minutes).where(Minutes.meeting_id == meeting.id)
    return session.exec(query.order_by(col(Minutes.version).desc())).first()


def get_minutes(*, session: Session, meeting: Meeting, version: int | None = None) -> Minutes:
    """One version (the newest when none is given), or MinutesNotFoundError."""
    if version is None:
        found = latest_minutes(session=session, meeting=meeting)
    else:
        query = select(Minutes).where(Minutes.meeting_id == meeting.id, Minutes.version == version)
        found = session.exec(query).first()
    if found is None:
        which = "" if version is None else f" version {version}"
        raise MinutesNotFoundError(f"The meeting has no minutes{which} yet")
    return found


def draft_minutes(
    *, session: Session, meeting: Meeting, author: Person, replace: bool = False
) -> Minutes:
    """Write the first version from the meeting; with replace, write the current draft again
    from the meeting (its edits are lost). A final version is corrected, not redrafted."""
    _lock(session, meeting)
    current = latest_minutes(session=session, meeting=meeting)
    if current is not None and current.status == MinutesStatus.final:
        raise MinutesLockedError("The minutes are final: make a correction to change them")
    if current is not None and not replace:
        raise MinutesStateError("The minutes are drafted already: edit the draft or redraft it")
    body = draft_body(session=session, meeting=meeting).model_dump(mode="json")
    if current is None:
        assert meeting.id is not None
        current = Minutes(meeting_id=meeting.id, version=1, body=body, created_by=author.id)
    else:
        current.body, current.updated_at = body, utcnow()
    return _save(session, current)


def update_minutes(*, session: Session, meeting: Meeting, data: MinutesUpdate) -> Minutes:
    """Change the heading fields and section texts of the current draft."""
    _lock(session, meeting)
    minutes = _current_draft(session, meeting)
    body = body_of(minutes)
    for name in HEADER_FIELDS:
        value = getattr(data, name)
        if value is not None:
            setattr(body, name, value)
    sections = {section.key: section for section in body.sections}
    for edit in data.sections:
        if edit.key not in sections:
            raise UnknownSectionError(f"The minutes have no section {edit.key!r}", field="sections")
        sections[edit.key].text = edit.text
        if edit.title is not None:
            sections[edit.key].title = edit.title
    minutes.body, minutes.updated_at = body.model_dump(mode="json"), utcnow()
    return _save(session, minutes)


def finalise_minutes(*, session: Session, meeting: Meeting, person: Person) -> Minutes:
    """Lock the current draft: it gets the sha256 of its content and never changes again."""
    _lock(session, meeting)
    minutes = _current_draft(session, meeting)
    minutes.status, minutes.finalised_by = MinutesStatus.final, person.id
    minutes.finalised_at = minutes.updated_at = utcnow()
    minutes.sha256 = content_sha256(minutes)
    record_event(
        session,
        meeting_id=minutes.meeting_id,
        type="minutes.finalised",
        data={"version": minutes.version, "sha256": minutes.sha256},
        audience=Audience.managers,
    )
    return _save(session, minutes, audited=("minutes.finalised", person))


def correct_minutes(*, session: Session, meeting: Meeting, author: Person) -> Minutes:
    """Start the next version as a draft copy of the final one, to be corrected and finalised."""
    _lock(session, meeting)
    current = get_minutes(session=session, meeting=meeting)
    if current.status != MinutesStatus.final:
        raise MinutesStateError("The current version is still a draft: edit it instead")
    copy = Minutes(
        meeting_id=current.meeting_id,
        version=current.version + 1,
        body=dict(current.body),
        created_by=author.id,
    )
    return _save(session, copy, audited=("minutes.corrected", author))


def _audit(session: Session, minutes: Minutes, action: str, person: Person) -> None:
    audit(
        session,
        action=action,
        actor=person,
        target_type="minutes",
        target_id=minutes.id,
        meeting_id=minutes.meeting_id,
        detail={"version": minutes.version, "sha256": minutes.sha256},
    )


def _current_draft(session: Session, meeting: Meeting) -> Minutes:
    minutes = get_minutes(session=session, meeting=meeting)
    if minutes.status == MinutesStatus.final:
        raise MinutesLockedError(
            f"Version {minutes.version} of the minutes is final: make a correction to change it"
        )
    return minutes


def _lock(session: Session, meeting: Meeting) -> None:
    # One writer of a meeting's minutes at a time (PostgreSQL row lock; SQLite serialises).
    session.exec(select(Meeting.id).where(Meeting.id == meeting.id).with_for_update()).first()


def _save(
    session: Session, minutes: Minutes, *, audited: tuple[str, Person] | None = None
) -> Minutes:
    session.add(minutes)
    try:
        session.flush()  # the new version's id, for the audit entry
        if audited is not None:
            _audit(session, minutes, *audited)
        session.commit()
    except IntegrityError as error:
        session.rollback()
        raise MinutesStateError("The minutes were changed at the same time; try again") from error
    session.refresh(minutes)
    return minutes


def export_name(minutes: Minutes, suffix: str) -> str:
    """The file name of an exported version."""
    return f"bien-ban-hop-{minutes.meeting_id}-v{minutes.version}.{suffix}"
