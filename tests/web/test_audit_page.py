"""/admin/audit: admins only, filters, pages, newest first, and the chain's state shown."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlmodel import Session, col, select

from core import audit
from models import AuditEntry, Role
from models.base import utcnow
from tests.factories import login, make_user


def add(
    session: Session, action: str, *, actor: str = "thuky", meeting_id: int | None = None
) -> None:
    audit.audit(session, action=action, actor=actor, meeting_id=meeting_id, detail={"n": "Đỗ"})
    session.commit()


def admin_client(client: TestClient, session: Session) -> TestClient:
    return login(client, make_user(session, role=Role.admin, username="quantri"))


def rows(html: str) -> list[str]:
    return [part.split('"', 1)[0] for part in html.split('data-audit-id="')[1:]]


def test_admin_sees_entries_newest_first_and_the_chain_verifies(
    client: TestClient, session: Session
) -> None:
    admin_client(client, session)
    add(session, "poll.opened")
    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert 'data-chain="intact"' in page.text
    ids = [int(n) for n in rows(page.text)]
    assert ids == sorted(ids, reverse=True)
    assert "poll.opened" in page.text
    assert "Đỗ" in page.text
    assert 'href="/admin/audit"' in page.text  # the nav link, for admins


def test_filters(client: TestClient, session: Session) -> None:
    admin_client(client, session)
    add(session, "poll.opened", meeting_id=1)
    add(session, "poll.closed", actor="chutri", meeting_id=2)
    add(session, "document.published", meeting_id=1)
    assert client.get("/admin/audit?action=poll.").text.count("<code>poll.") == 2
    by_actor = client.get("/admin/audit?actor=chutri").text
    assert "poll.closed" in by_actor
    assert "poll.opened" not in by_actor
    by_meeting = client.get("/admin/audit?meeting=1&action=poll").text
    assert "poll.opened" in by_meeting
    assert "poll.closed" not in by_meeting
    today = utcnow().date()
    future = (today + timedelta(days=2)).isoformat()
    assert rows(client.get(f"/admin/audit?since={future}").text) == []
    assert "poll.closed" in client.get(f"/admin/audit?until={today.isoformat()}").text


def test_bad_filters_are_422_not_a_crash(client: TestClient, session: Session) -> None:
    admin_client(client, session)
    add(session, "poll.opened")
    page = client.get("/admin/audit?meeting=abc&since=2024-13-45")
    assert page.status_code == 422
    assert "poll.opened" in page.text
    assert client.get("/admin/audit?page=0").status_code == 422


def test_pages(client: TestClient, session: Session) -> None:
    admin_client(client, session)
    for _ in range(55):
        audit.audit(session, action="test.bulk", actor="x")
    session.commit()
    first = client.get("/admin/audit?action=test.").text
    second = client.get("/admin/audit?action=test.&page=2").text
    assert len(rows(first)) == 50
    assert len(rows(second)) == 5
    assert 'rel="next"' in first


def test_broken_chain_is_shown(client: TestClient, session: Session) -> None:
    admin_client(client, session)
    add(session, "poll.opened")
    session.execute(update(AuditEntry).where(col(AuditEntry.id) == 1).values(actor="mallory"))
    session.commit()
    page = client.get("/admin/audit")
    assert 'data-chain="broken"' in page.text


def test_english_page(client: TestClient, session: Session) -> None:
    admin_client(client, session)
    page = client.get("/admin/audit?lang=en")
    assert "Audit trail" in page.text
    assert "Nhật ký kiểm tra" in client.get("/admin/audit?lang=vi").text


def test_non_admins_are_refused_and_recorded(client: TestClient, session: Session) -> None:
    clerk = make_user(session, role=Role.secretariat, username="thuky")
    login(client, clerk)
    assert client.get("/admin/audit").status_code == 403
    assert 'href="/admin/audit"' not in client.get("/people").text
    denied = session.exec(select(AuditEntry).where(AuditEntry.action == "access.denied")).one()
    assert (denied.actor, denied.detail["path"]) == ("thuky", "/admin/audit")
    client.cookies.clear()
    assert client.get("/admin/audit", follow_redirects=False).status_code == 303  # to log in
