"""All page routers, gathered for the app."""

from fastapi import APIRouter

from web.pages import login

router = APIRouter(include_in_schema=False)
router.include_router(login.router)
