"""Issue 17's journey: the secretariat opens a comment round on a demo draft resolution, two
members comment on different articles from their tablets, the secretariat follows it live, and
the drafting body answers each comment and exports the consolidated report."""

import io
import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.browser.helpers import DESKTOP, REGULAR, TABLET, NewContext, Secretariat, log_in
from tests.browser.test_screenshots import shoot

pytestmark = pytest.mark.browser

DRAFTER = "khachmoi03"  # Trần Quốc Bảo, the economic and urban department
MEMBERS = ("daibieu03", "daibieu04")
ROUND = "Góp ý dự thảo Nghị quyết dự toán ngân sách"
SAID = (
    ("Điều 1", "disagree", "Tổng chi đầu tư phát triển còn thấp so với nhu cầu chỉnh trang", ""),
    ("Điều 2", "amend", "Nên giao cụ thể cơ quan chủ trì", "Giao Ủy ban nhân dân phường chủ trì"),
)
ANSWERS = (
    ("accepted", "Tăng chi đầu tư phát triển thêm 5% trong dự thảo mới"),
    ("explained", "Cơ quan chủ trì đã được nêu tại tờ trình số 118"),
)


def section(page: Page, label: str):  # type: ignore[no-untyped-def]
    heading = page.locator("h2.round-label", has_text=re.compile(rf"^{label}\b"))
    return page.locator("article.round-section", has=heading)


def comment_from_tablet(new_context: NewContext, username: str, round_id: int, n: int) -> Page:
    label, stance, text, proposed = SAID[n]
    tablet = new_context(viewport=TABLET, locale="vi-VN").new_page()
    log_in(tablet, username, landing="/my")
    tablet.goto(f"/rounds/{round_id}")
    article = section(tablet, label)
    article.locator(f"input[value={stance}]").check()
    article.locator("textarea[name^=text-]").fill(text)
    if proposed:
        article.locator("textarea[name^=proposed-]").fill(proposed)
    tablet.locator("button[name=action][value=submit]").click()
    expect(tablet.locator("body")).to_contain_text("Đã gửi")
    return tablet


def test_a_round_from_the_secretariat_to_the_drafting_bodys_report(
    new_context: NewContext,
) -> None:
    staff = Secretariat(new_context())
    meeting_id = staff.meeting_id(REGULAR)
    clerk = new_context(viewport=DESKTOP, locale="vi-VN").new_page()
    log_in(clerk, "thuky", landing="/meetings")
    clerk.goto(f"/meetings/{meeting_id}/rounds")
    form = clerk.locator("form.round-create")
    document = form.locator("#round-document option", has_text="Dự thảo nghị quyết về dự toán")
    form.locator("#round-document").select_option(value=document.get_attribute("value"))
    form.locator("#round-title").fill(ROUND)
    tomorrow = datetime.now() + timedelta(days=1)
    form.locator("#round-deadline").fill(tomorrow.strftime("%Y-%m-%dT17:00"))
    form.locator("#round-drafters").select_option(label="Trần Quốc Bảo")
    form.locator("button[type=submit]").click()
    clerk.wait_for_url(re.compile(r"/rounds/\d+/overview"))
    round_id = int(re.findall(r"/rounds/(\d+)/overview", clerk.url)[0])
    expect(clerk.locator("input[id^=label-]").first).to_have_value("Điều 1")  # the split
    clerk.locator(f"form[action='/rounds/{round_id}/split']").scroll_into_view_if_needed()
    shoot(clerk, "round-split")
    clerk.locator(f"form[action='/rounds/{round_id}/status/open'] button").click()
    expect(clerk.locator(f"form[action='/rounds/{round_id}/remind']")).to_be_visible()

    tablets = [
        comment_from_tablet(new_context, username, round_id, n)
        for n, username in enumerate(MEMBERS)
    ]
    shoot(tablets[1], "round-member")
    # The overview follows the submissions live.
    expect(clerk.locator("body")).to_contain_text("2 / ", timeout=10_000)
    shoot(clerk, "round-overview")

    drafter = new_context(viewport=DESKTOP, locale="vi-VN").new_page()
    log_in(drafter, DRAFTER, landing="/my")
    drafter.goto(f"/rounds/{round_id}/answers")
    items = drafter.locator("article.answer-item")
    expect(items).to_have_count(2)
    for n, (verdict, text) in enumerate(ANSWERS):
        item = drafter.locator("article.answer-item", has_text=SAID[n][2])
        item.locator(f"input[name=verdict][value={verdict}]").check()
        item.locator("textarea[name=text]").fill(text)
        item.locator("button[type=submit]").click()
        expect(drafter.locator("article.answer-item.answered", has_text=SAID[n][2])).to_be_visible()
    drafter.locator("form[action$='/answers/report#report']:not(.report-final) button").click()
    link = drafter.locator("#report a[href$='.pdf']").first
    expect(link).to_be_visible()
    shoot(drafter, "round-answers")
    pdf = drafter.request.get(link.get_attribute("href") or "")
    assert pdf.ok
    printed = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf.body())).pages
    )
    for words in [said[2] for said in SAID] + [text for _, text in ANSWERS]:
        assert " ".join(words.split())[:30] in printed, words
