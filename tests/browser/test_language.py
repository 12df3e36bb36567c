"""Every page in Vietnamese by default and in English after the switch, which it remembers."""

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.helpers import (
    TABLET,
    THEMATIC,
    NewContext,
    Secretariat,
    api_log_in,
    expect_live,
    log_in,
    open_poll,
    voting_meeting,
)

pytestmark = pytest.mark.browser


def expect_language(page: Page, lang: str, heading: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("h1")).to_have_text(heading)


def expect_room_in(page: Page, lang: str, agenda: str, documents: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#agenda-title")).to_have_text(agenda)
    expect(page.locator("#documents-title")).to_have_text(documents)
    expect(page.locator(".langs [aria-current]")).to_have_text(
        {"vi": "Tiếng Việt", "en": "English"}[lang]
    )


def test_login_and_room_in_vietnamese_then_in_english(new_context: NewContext) -> None:
    meeting_id = Secretariat(new_context()).meeting_id(THEMATIC)
    page = new_context(viewport=TABLET).new_page()  # a tablet set to Vietnamese
    page.goto("/login")
    expect_language(page, "vi", "Đăng nhập")
    expect(page.locator("label[for=username]")).to_have_text("Tên đăng nhập")

    page.locator(".langs a[hreflang=en]").click()
    expect_language(page, "en", "Log in")
    expect(page.locator("label[for=username]")).to_have_text("Username")
    page.locator(".langs a[hreflang=vi]").click()
    expect_language(page, "vi", "Đăng nhập")

    log_in(page, "daibieu08", landing="/my")
    page.goto(f"/room/{meeting_id}")
    expect_room_in(page, "vi", "Chương trình họp", "Tài liệu")
    expect(page.locator(".doc-list .badge.new").first).to_have_text("Mới")

    page.locator(".langs a[hreflang=en]").click()
    expect_room_in(page, "en", "Agenda", "Documents")
    expect(page.locator(".doc-list .badge.new").first).to_have_text("New")
    expect_live(page)

    # The choice is kept (a cookie): the next page, and the login page, stay in English.
    page.goto("/my")
    expect_language(page, "en", "My meetings")
    page.locator("form[action='/logout'] button").click()
    expect_language(page, "en", "Log in")


def test_an_english_browser_gets_the_site_language(new_context: NewContext) -> None:
    # HOP_DEFAULT_LANGUAGE (vi); the browser's own only with HOP_USE_BROWSER_LANGUAGE=true.
    page = new_context(locale="en-GB").new_page()
    page.goto("/login")
    expect_language(page, "vi", "Đăng nhập")


def choose_language(context: BrowserContext, lang: str) -> None:
    """The language picked on the login page, before logging in (kept in a cookie)."""
    page = context.new_page()
    page.goto(f"/login?lang={lang}")
    page.close()


# What the check-in and voting pages say, by browser locale and the language picked there.
SAYS = {
    "vi-VN": {
        "lang": "vi",
        "kiosk": "Toàn màn hình",
        "desk": "Bàn điểm danh",
        "console": "Điều hành biểu quyết",
        "choice": "Lựa chọn của bạn",
        "yes": "Tán thành",
        "voting": "Đang biểu quyết",
        "progress": "0 / 1 đã biểu quyết",
    },
    "en-GB": {
        "lang": "en",
        "kiosk": "Full screen",
        "desk": "Check-in desk",
        "console": "Voting console",
        "choice": "Your choice",
        "yes": "In favour",
        "voting": "Voting open",
        "progress": "0 / 1 voted",
    },
}


@pytest.mark.parametrize("locale", list(SAYS))
def test_the_check_in_and_voting_pages_in_the_browser_language(
    new_context: NewContext, locale: str
) -> None:
    says = SAYS[locale]
    staff_context = new_context(locale=locale)
    choose_language(staff_context, says["lang"])
    staff = Secretariat(staff_context)
    meeting_id = voting_meeting(staff, f"Phiên họp thử: ngôn ngữ {locale}", ("daibieu13",))
    open_poll(staff, meeting_id)
    kiosk_token = staff.device_token(meeting_id, "kiosk", "Kiosk")
    projector_token = staff.projector_token(meeting_id)
    tablet = new_context(viewport=TABLET, locale=locale)
    choose_language(tablet, says["lang"])
    api_log_in(tablet, "daibieu13")
    screens_context = new_context(locale=locale)
    choose_language(screens_context, says["lang"])
    screens = screens_context.new_page()

    def lang_of(page: Page) -> None:
        expect(page.locator("html")).to_have_attribute("lang", says["lang"])

    screens.goto(f"/kiosk/{meeting_id}?token={kiosk_token}")
    lang_of(screens)
    expect(screens.locator("#kiosk-fullscreen")).to_have_text(says["kiosk"])
    screens.goto(f"/projector/{meeting_id}?token={projector_token}")
    lang_of(screens)
    expect(screens.locator(".focus-label")).to_contain_text(says["voting"])
    expect(screens.locator(".projector-poll .big-number")).to_have_text(says["progress"])

    staff_page = staff_context.new_page()
    staff_page.goto(f"/meetings/{meeting_id}/checkin")
    lang_of(staff_page)
    expect(staff_page.locator("h1")).to_contain_text(says["desk"])
    staff_page.goto(f"/meetings/{meeting_id}/polls")
    expect(staff_page.locator("h1")).to_have_text(says["console"])

    room = tablet.new_page()
    room.goto(f"/room/{meeting_id}")
    lang_of(room)
    ballot = room.locator("[data-ballot]")
    expect(ballot.locator("legend")).to_have_text(says["choice"])
    expect(ballot.locator(".choice-yes")).to_have_text(says["yes"])
