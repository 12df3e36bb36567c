"""Every page in Vietnamese by default and in English after the switch, which it remembers."""

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import TABLET, NewContext
from tests.browser.helpers import THEMATIC, Secretariat, expect_live, log_in

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


def test_an_english_browser_gets_english_without_asking(new_context: NewContext) -> None:
    page = new_context(locale="en-GB").new_page()
    page.goto("/login")
    expect_language(page, "en", "Log in")
