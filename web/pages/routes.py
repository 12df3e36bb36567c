"""All page routers, gathered for the app."""

from fastapi import APIRouter

from web.pages import (
    audit,
    checkin_desk,
    devices,
    editor,
    editor_agenda,
    editor_documents,
    editor_mail,
    enrol,
    invitation_reply,
    kiosk,
    login,
    meetings,
    minutes,
    my,
    my_faces,
    pair,
    people,
    polls,
    projector,
    room,
    room_search,
    speakers,
)

router = APIRouter(include_in_schema=False)
for module in (
    login,
    people,
    devices,
    meetings,
    editor,
    editor_agenda,
    editor_documents,
    editor_mail,
    my,
    my_faces,
    room,
    room_search,
    polls,
    minutes,
    speakers,
    projector,
    checkin_desk,
    kiosk,
    pair,
    enrol,
    audit,
    invitation_reply,
):
    router.include_router(module.router)
