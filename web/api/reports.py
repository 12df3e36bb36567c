"""Reports (attendance and poll results as CSV or PDF) and the whole-meeting archive."""

import os
import tempfile
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask

from models import Meeting, MeetingPublic
from records import archive, reports
from web.deps import GettextDep, ManagedMeetingDep, MeetingDep, SessionDep, StaffUser, StateDep

router = APIRouter(tags=["reports"])
CSV = "text/csv; charset=utf-8"
PDF = "application/pdf"


def _download(body: bytes, meeting: Meeting, name: str, media_type: str) -> Response:
    disposition = f'attachment; filename="meeting-{meeting.id}-{name}"'
    return Response(body, media_type=media_type, headers={"content-disposition": disposition})


@router.get("/meetings/{meeting_id}/reports/attendance.csv", response_class=Response)
def attendance_csv(meeting: ManagedMeetingDep, session: SessionDep, tr: GettextDep) -> Response:
    """Attendance: each invitee's reply, first arrival and method, departures, absence."""
    body = reports.attendance_csv(session=session, meeting=meeting, tr=tr)
    return _download(body, meeting, "attendance.csv", CSV)


@router.get("/meetings/{meeting_id}/reports/attendance.pdf", response_class=Response)
def attendance_pdf(meeting: ManagedMeetingDep, session: SessionDep, tr: GettextDep) -> Response:
    """The attendance report as PDF."""
    body = reports.attendance_pdf(session=session, meeting=meeting, tr=tr)
    return _download(body, meeting, "attendance.pdf", PDF)


@router.get("/meetings/{meeting_id}/reports/polls.csv", response_class=Response)
def polls_csv(meeting: ManagedMeetingDep, session: SessionDep, tr: GettextDep) -> Response:
    """Every closed or published poll's result as CSV."""
    body = reports.polls_csv(session=session, meeting=meeting, tr=tr)
    return _download(body, meeting, "polls.csv", CSV)


@router.get("/meetings/{meeting_id}/reports/polls.pdf", response_class=Response)
def polls_pdf(meeting: ManagedMeetingDep, session: SessionDep, tr: GettextDep) -> Response:
    """Every closed or published poll's result as PDF, a page each."""
    body = reports.polls_pdf(session=session, meeting=meeting, tr=tr)
    return _download(body, meeting, "polls.pdf", PDF)


@router.get("/meetings/{meeting_id}/archive.zip", response_class=FileResponse)
def export_archive(
    meeting: MeetingDep, session: SessionDep, state: StateDep, staff: StaffUser
) -> FileResponse:
    """The whole meeting as one zip that Hop can import again (secretariat)."""
    handle, path = tempfile.mkstemp(suffix=".zip")
    os.close(handle)
    try:
        archive.export_meeting(
            session=session, store=state.uploads.store, meeting=meeting, target=path
        )
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(
        path,
        media_type="application/zip",
        filename=f"meeting-{meeting.id}-archive.zip",
        background=BackgroundTask(os.unlink, path),
    )


@router.post("/meetings/archive", status_code=201)
def import_archive(
    file: Annotated[UploadFile, File()], session: SessionDep, state: StateDep, staff: StaffUser
) -> MeetingPublic:
    """Create a new meeting from an archive (secretariat); people are matched by username."""
    meeting = archive.import_meeting(session=session, uploads=state.uploads, source=file.file)
    return MeetingPublic.model_validate(meeting)
