"""Minutes of a meeting (secretariat and the meeting's chair): draft, edit, finalise, correct,
and export as PDF or DOCX."""

from fastapi import APIRouter
from fastapi.responses import Response

from models import Minutes, MinutesPublic, MinutesRedraft, MinutesUpdate, MinutesVersionPublic
from records import minutes as service
from records.minutes_export import minutes_docx, minutes_pdf
from web.deps import CurrentUser, ManagedMeetingDep, SessionDep

router = APIRouter(tags=["minutes"])
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@router.get("/meetings/{meeting_id}/minutes")
def get_minutes(
    meeting: ManagedMeetingDep, session: SessionDep, version: int | None = None
) -> MinutesPublic:
    """One version of the minutes, the newest unless a version is asked for."""
    return service.describe(service.get_minutes(session=session, meeting=meeting, version=version))


@router.get("/meetings/{meeting_id}/minutes/versions")
def list_versions(meeting: ManagedMeetingDep, session: SessionDep) -> list[MinutesVersionPublic]:
    """Every version, the first first, with its status and sha256."""
    return service.describe_versions(session=session, meeting=meeting)


@router.post("/meetings/{meeting_id}/minutes", status_code=201)
def draft_minutes(
    meeting: ManagedMeetingDep,
    session: SessionDep,
    person: CurrentUser,
    data: MinutesRedraft | None = None,
) -> MinutesPublic:
    """Draft the minutes from the meeting; {"replace": true} drafts the current draft again."""
    replace = data.replace if data else False
    drafted = service.draft_minutes(
        session=session, meeting=meeting, author=person, replace=replace
    )
    return service.describe(drafted)


@router.patch("/meetings/{meeting_id}/minutes")
def update_minutes(
    data: MinutesUpdate, meeting: ManagedMeetingDep, session: SessionDep
) -> MinutesPublic:
    """Change the draft's heading fields or section texts (409 once final)."""
    return service.describe(service.update_minutes(session=session, meeting=meeting, data=data))


@router.post("/meetings/{meeting_id}/minutes/finalise")
def finalise_minutes(
    meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> MinutesPublic:
    """Lock the draft with the sha256 of its content."""
    final = service.finalise_minutes(session=session, meeting=meeting, person=person)
    return service.describe(final)


@router.post("/meetings/{meeting_id}/minutes/correct", status_code=201)
def correct_minutes(
    meeting: ManagedMeetingDep, session: SessionDep, person: CurrentUser
) -> MinutesPublic:
    """Start the next version as a draft copy of the final one."""
    return service.describe(
        service.correct_minutes(session=session, meeting=meeting, author=person)
    )


@router.get("/meetings/{meeting_id}/minutes.pdf", response_class=Response)
def minutes_as_pdf(
    meeting: ManagedMeetingDep, session: SessionDep, version: int | None = None
) -> Response:
    """A version as PDF."""
    found = service.get_minutes(session=session, meeting=meeting, version=version)
    return _download(minutes_pdf(found), found, "pdf", "application/pdf")


@router.get("/meetings/{meeting_id}/minutes.docx", response_class=Response)
def minutes_as_docx(
    meeting: ManagedMeetingDep, session: SessionDep, version: int | None = None
) -> Response:
    """A version as a Word document."""
    found = service.get_minutes(session=session, meeting=meeting, version=version)
    return _download(minutes_docx(found), found, "docx", DOCX_TYPE)


def _download(body: bytes, minutes: Minutes, suffix: str, media_type: str) -> Response:
    disposition = f'attachment; filename="{service.export_name(minutes, suffix)}"'
    return Response(body, media_type=media_type, headers={"content-disposition": disposition})
