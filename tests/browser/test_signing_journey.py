"""Issue 18's journey: the secretary finalises the minutes of a meeting that has closed, uploads
her certificate, opens signing from the minutes page and signs; the chair uploads his, finds the
record in his documents to sign and signs; then anyone, without an account, checks the signed
PDF on /verify and sees both signatures valid and the record final."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import TABLET, NewContext, Secretariat, log_in
from tests.browser.test_accessibility import serious_violations
from tests.browser.test_screenshots import shoot
from tests.records.pki import PASSPHRASE, issue, pkcs12_bytes

pytestmark = pytest.mark.browser

WIDE = {"width": 1920, "height": 1080}
TITLE = "Họp thống nhất biên bản ký số"


def accept_dialogs(page: Page) -> Page:
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def upload_certificate(page: Page, name: str) -> None:
    page.goto("/my/certificate")
    key_file = {
        "name": "chu-ky-so.p12",
        "mimeType": "application/x-pkcs12",
        "buffer": pkcs12_bytes(issue(name)),
    }
    page.locator("#certificate-file").set_input_files(key_file)
    page.locator("#certificate-passphrase").fill(PASSPHRASE)
    page.locator("form[action='/my/certificate'] button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text("Mật khẩu không được lưu lại")
    expect(page.locator(".cert-facts")).to_contain_text(name)


def sign(page: Page) -> None:
    page.locator("#sign-passphrase").fill(PASSPHRASE)
    page.locator("form[action$='/sign'] button[type=submit]").click()
    expect(page.locator(".flash")).to_contain_text("Chữ ký của bạn đã được thêm")


def test_the_minutes_signed_in_turn_then_verified_by_anyone(
    new_context: NewContext, axe_source: str
) -> None:
    context = new_context(viewport=TABLET)
    staff = Secretariat(context)
    meeting_id = staff.create_meeting(TITLE, invitees=[], chair="chutri")
    for status in ("scheduled", "in_progress", "closed"):
        staff.post(f"/api/meetings/{meeting_id}/status", data={"status": status})
    staff.post(f"/api/meetings/{meeting_id}/minutes")

    clerk = accept_dialogs(context.new_page())
    clerk.goto(f"/meetings/{meeting_id}/minutes")
    clerk.locator("button[data-needs-saved]").click()
    expect(clerk.locator("#signing-title")).to_be_visible()
    upload_certificate(clerk, "Nguyễn Thị Thu Hà")
    shoot(clerk, "signing-certificate")
    found = serious_violations(clerk, axe_source)
    clerk.goto(f"/meetings/{meeting_id}/minutes")
    clerk.locator("form[action$='/minutes/signing'] button").click()
    clerk.wait_for_url(re.compile(r"/signing/\d+\?done=opened"))
    record_id = int(re.findall(r"/signing/(\d+)", clerk.url)[0])
    expect(clerk.locator("#sign-passphrase")).to_be_visible()
    shoot(clerk, "signing-dialog")
    found += serious_violations(clerk, axe_source)
    sign(clerk)
    expect(clerk.locator(".signer.done")).to_have_count(1)

    chair = accept_dialogs(new_context(viewport=WIDE).new_page())
    log_in(chair, "chutri", landing="/my")
    upload_certificate(chair, "Phạm Quang Vinh")
    chair.goto("/my/signatures")
    listed = chair.locator(f"#record-{record_id}")
    expect(listed).to_contain_text("Nguyễn Thị Thu Hà")
    shoot(chair, "signing-to-sign")
    listed.locator("a.button").click()
    sign(chair)
    expect(chair.locator(".badge.published").first).to_contain_text("Đã ký đủ")
    # PDF.js draws the signed record's pages (tablets' browsers show no PDF in an iframe).
    expect(chair.locator("[data-pdf-pages]")).to_have_attribute("data-drawn", re.compile(r"^\d+$"))
    shoot(chair, "signing-signed")

    clerk.goto(f"/meetings/{meeting_id}/minutes")
    status = clerk.locator("section[aria-labelledby=signing-title]")
    expect(status).to_contain_text("Đã ký đủ")
    status.scroll_into_view_if_needed()
    shoot(clerk, "signing-minutes")

    signed = context.request.get(f"/api/signing/{record_id}/pdf")
    assert signed.ok, signed.text()
    visitor = new_context(viewport=TABLET).new_page()
    visitor.goto("/verify")
    pdf = {"name": "bien-ban.pdf", "mimeType": "application/pdf", "buffer": signed.body()}
    visitor.locator("#verify-file").set_input_files(pdf)
    visitor.locator("form[action='/verify'] button[type=submit]").click()
    verdict = visitor.locator("[data-verdict]")
    expect(verdict).to_have_attribute("data-verdict", "final")
    expect(verdict).to_contain_text("Bản cuối cùng")
    signatures = visitor.locator(".signer")
    expect(signatures).to_have_count(2)
    expect(signatures.locator(".badge.published")).to_have_count(2)
    expect(signatures.nth(0)).to_contain_text("Nguyễn Thị Thu Hà")
    expect(signatures.nth(1)).to_contain_text("Phạm Quang Vinh")
    shoot(visitor, "verify-final")
    found += serious_violations(visitor, axe_source)
    assert found == []
    visitor.set_viewport_size(WIDE)
    shoot(visitor, "verify-final-wide")
