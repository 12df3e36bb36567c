"""`hop demo`: the council, its two meetings, their papers, the logins, and loading only once."""

import io
import unicodedata
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select
from typer.testing import CliRunner

from cli.main import app as cli
from core.pdf import FONT_DIR, HELVETICA, MOTTO, NATION, ascii_fold, load_fonts
from demo import council as demo_council
from demo.council import (
    DEFAULT_PASSWORD,
    DRAFT_ROUND,
    DemoError,
    DemoSummary,
    load_demo,
    print_logins,
)
from demo.pdfs import OfficialDocument, render_pdf
from meetings.draft_structure import load_structure
from meetings.passwords import verify_password
from meetings.storage import BlobStore
from models import (
    AgendaItem,
    CommentRound,
    Document,
    DocumentStatus,
    DocumentVersion,
    Invitation,
    Meeting,
    MeetingRole,
    MeetingStatus,
    OrgUnit,
    Person,
    Reply,
    Role,
    RoundMember,
    RoundRole,
    RoundStatus,
)
from models.base import as_utc, utcnow
from models.db import make_engine
from web.settings import Settings

PASSWORD = "mat-khau-thu-nghiem"
HAS_DEJAVU = (FONT_DIR / "DejaVuSans.ttf").is_file()


@pytest.fixture
def demo(settings: Settings) -> DemoSummary:
    summary = load_demo(settings, password=PASSWORD, only_if_empty=True)
    assert summary is not None
    return summary


@pytest.fixture
def db(settings: Settings, demo: DemoSummary) -> Iterator[Session]:
    engine = make_engine(settings.resolved_database_url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _person(db: Session, username: str) -> Person:
    return db.exec(select(Person).where(Person.username == username)).one()


def _count(db: Session, model: type[SQLModel]) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def _meetings(db: Session) -> list[Meeting]:
    return list(db.exec(select(Meeting).order_by(col(Meeting.start_at))))


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return unicodedata.normalize("NFC", "\n".join(page.extract_text() for page in reader.pages))


def _stored_pdfs(db: Session, settings: Settings) -> list[tuple[Document, bytes]]:
    store = BlobStore(settings.storage_dir)
    query = select(Document, DocumentVersion).join(
        DocumentVersion, col(DocumentVersion.document_id) == Document.id
    )
    return [
        (document, store.path_for(version.blob_sha256).read_bytes())
        for document, version in db.exec(query)
    ]


def test_demo_is_a_council_of_about_thirty_people(demo: DemoSummary, db: Session) -> None:
    people = list(db.exec(select(Person)))
    assert len(people) == demo.people == 30
    assert _count(db, OrgUnit) == demo.units == 5
    roles = {person.username: person.role for person in people}
    assert roles["admin"] == Role.admin
    assert roles["thuky"] == Role.secretariat
    assert roles["chutri"] == Role.delegate
    assert sum(name.startswith("daibieu") for name in roles) >= 20
    assert all(person.title and person.unit_id and person.email for person in people)
    assert all(verify_password(person.password_hash, PASSWORD) for person in people)
    with_diacritics = [p for p in people if ascii_fold(p.full_name) != p.full_name]
    assert len(with_diacritics) >= 25
    assert _person(db, "chutri").title == "Chủ tịch HĐND phường"


def test_demo_has_two_scheduled_meetings_with_agendas(demo: DemoSummary, db: Session) -> None:
    chair = _person(db, "chutri")
    thematic, regular = _meetings(db)
    assert {regular.title, thematic.title} == set(demo.meetings)
    now = utcnow()
    assert timedelta(0) < as_utc(thematic.start_at) - now < timedelta(days=1)
    assert timedelta(days=3) < as_utc(regular.start_at) - now < timedelta(days=8)
    for meeting in (regular, thematic):
        assert meeting.status == MeetingStatus.scheduled
        assert meeting.chair_id == chair.id
        assert meeting.location
        items = list(db.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)))
        assert 4 <= len(items) <= 6
        assert sorted(item.position for item in items) == list(range(1, len(items) + 1))
        assert all(item.presenter and item.planned_minutes > 0 for item in items)


def test_demo_invitations_have_roles_seats_and_replies(demo: DemoSummary, db: Session) -> None:
    for meeting in _meetings(db):
        rows = db.exec(
            select(Invitation, Person)
            .join(Person, col(Person.id) == Invitation.person_id)
            .where(Invitation.meeting_id == meeting.id)
        ).all()
        by_user = {person.username: invitation for invitation, person in rows}
        assert by_user["chutri"].role == MeetingRole.chair
        delegates = [inv for inv in by_user.values() if inv.role == MeetingRole.delegate]
        observers = [inv for inv in by_user.values() if inv.role == MeetingRole.observer]
        assert len(delegates) >= 20
        assert all(inv.voting_right and inv.seat_label.startswith("A") for inv in delegates)
        assert observers
        assert not any(inv.voting_right for inv in observers)
        assert len({inv.seat_label for inv in by_user.values()}) == len(by_user)
        declined = [inv for inv in by_user.values() if inv.reply == Reply.declined]
        assert declined
        assert all(inv.reply_reason for inv in declined)
        assert by_user["daibieu01"].reply == Reply.accepted


def test_demo_documents_are_attached_published_and_versioned(
    demo: DemoSummary, db: Session
) -> None:
    documents = list(db.exec(select(Document)))
    assert len(documents) == demo.documents == 10
    drafts = [doc for doc in documents if doc.status == DocumentStatus.draft]
    assert len(drafts) == 1
    assert demo.published == 9
    assert [doc.current_version for doc in documents].count(2) == 1
    for meeting in _meetings(db):
        items = set(db.exec(select(AgendaItem.id).where(AgendaItem.meeting_id == meeting.id)))
        papers = [doc for doc in documents if doc.meeting_id == meeting.id]
        assert 4 <= len(papers) <= 6
        assert all(doc.agenda_item_id in items for doc in papers)


def test_demo_pdfs_are_valid_a4_with_their_titles(
    demo: DemoSummary, db: Session, settings: Settings
) -> None:
    fonts = load_fonts()
    stored = _stored_pdfs(db, settings)
    assert len(stored) == 11  # ten documents, one of them in two versions
    for document, pdf in stored:
        reader = PdfReader(io.BytesIO(pdf))
        assert reader.metadata is not None
        assert reader.metadata.title == fonts.text(document.title)
        width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
        assert (round(width), round(height)) == (595, 842)
        assert fonts.text(NATION) in _text(pdf)


@pytest.mark.skipif(not HAS_DEJAVU, reason="needs fonts-dejavu-core")
def test_demo_pdfs_carry_vietnamese_text(
    demo: DemoSummary, db: Session, settings: Settings
) -> None:
    assert load_fonts().unicode
    for _document, pdf in _stored_pdfs(db, settings):
        text = _text(pdf)
        assert NATION in text
        assert MOTTO in text
        assert "PHƯỜNG HOÀN KIẾM" in text
        assert "Hoàn Kiếm, ngày" in text


def test_without_a_vietnamese_font_pdfs_fall_back_to_plain_letters(tmp_path: Path) -> None:
    assert ascii_fold("Đồng ý, Hội đồng nhân dân") == "Dong y, Hoi dong nhan dan"
    assert load_fonts(tmp_path) == HELVETICA
    paper = OfficialDocument(
        issuer="ỦY BAN NHÂN DÂN\nPHƯỜNG HOÀN KIẾM",
        number="1/TTr-UBND",
        issued_on=utcnow().date(),
        kind="TỜ TRÌNH",
        subject="Về việc thử phông chữ",
        body=("Điều 1. Nội dung có dấu tiếng Việt.",),
        signer_capacity="CHỦ TỊCH",
        signer_name="Nguyễn Văn An",
    )
    text = _text(render_pdf(paper, HELVETICA))
    assert "CONG HOA XA HOI CHU NGHIA VIET NAM" in text
    assert "Ve viec thu phong chu" in text
    assert render_pdf(paper, HELVETICA) == render_pdf(paper, HELVETICA)


def test_demo_accounts_log_in_and_delegates_see_published_papers(
    demo: DemoSummary, client: TestClient
) -> None:
    wrong = client.post("/api/login", json={"username": "thuky", "password": DEFAULT_PASSWORD})
    assert wrong.status_code == 401
    login = client.post("/api/login", json={"username": "thuky", "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["person"]["role"] == "secretariat"
    client.cookies.clear()
    login = client.post("/api/login", json={"username": "daibieu01", "password": PASSWORD})
    assert login.status_code == 200, login.text
    meetings = client.get("/api/meetings", params={"when": "upcoming"}).json()["items"]
    assert len(meetings) == 2
    papers = [client.get(f"/api/meetings/{m['id']}/documents").json() for m in meetings]
    assert sum(len(listed) for listed in papers) == demo.published
    assert all(doc["status"] == "published" for listed in papers for doc in listed)


def _snapshot(db: Session, settings: Settings) -> tuple[int, ...]:
    files = [path for path in settings.storage_dir.rglob("*") if path.is_file()]
    models: list[type[SQLModel]] = [Person, OrgUnit, Meeting, Invitation, Document]
    return (*(_count(db, model) for model in models), _count(db, DocumentVersion), len(files))


def test_loading_again_if_empty_changes_nothing(
    demo: DemoSummary, db: Session, settings: Settings
) -> None:
    before = _snapshot(db, settings)
    assert load_demo(settings, password="another-password", only_if_empty=True) is None
    with pytest.raises(DemoError, match="already there"):
        load_demo(settings, password=PASSWORD, only_if_empty=False)
    assert _snapshot(db, settings) == before
    assert verify_password(_person(db, "thuky").password_hash, PASSWORD)


def test_a_failed_load_leaves_nothing_behind(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish = demo_council.documents.publish_document
    calls: list[int] = []

    def publish_then_fail(*, session: Session, document: Document) -> Document:
        calls.append(1)
        if len(calls) == 4:
            raise OSError("disk full")
        return publish(session=session, document=document)

    monkeypatch.setattr(demo_council.documents, "publish_document", publish_then_fail)
    with pytest.raises(OSError, match="disk full"):
        load_demo(settings, password=PASSWORD, only_if_empty=True)
    engine = make_engine(settings.resolved_database_url)
    with Session(engine) as session:
        assert _snapshot(session, settings) == (0, 0, 0, 0, 0, 0, 0)
    engine.dispose()


def test_missing_tables_and_short_passwords_are_refused(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'empty.db'}",
        _env_file=None,  # type: ignore[call-arg]
    )
    with pytest.raises(DemoError, match="hop migrate"):
        load_demo(settings, password=PASSWORD, only_if_empty=True)
    with pytest.raises(DemoError, match="8 to 200"):
        load_demo(settings, password="short", only_if_empty=True)


def test_print_logins(capsys: pytest.CaptureFixture[str]) -> None:
    print_logins(DEFAULT_PASSWORD)
    shown = capsys.readouterr().out
    assert "http://127.0.0.1:8000" in shown
    for username in ("thuky", "chutri", "daibieu01", "admin", DEFAULT_PASSWORD):
        assert username in shown
    print_logins(None)
    shown = capsys.readouterr().out
    assert "the password you set when the demo was loaded" in shown
    assert DEFAULT_PASSWORD not in shown


def test_hop_demo_command(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOP_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HOP_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("HOP_DEMO_PASSWORD", PASSWORD)
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "--if-empty"])
    assert first.exit_code == 0, first.output
    assert "Demo loaded: 30 people" in first.output
    assert PASSWORD in first.output
    second = runner.invoke(cli, ["demo", "--if-empty"])
    assert second.exit_code == 0, second.output
    assert "was not loaded again" in second.output
    assert PASSWORD not in second.output
    third = runner.invoke(cli, ["demo"])
    assert third.exit_code == 1
    assert "already there" in third.output


def test_demo_has_a_draft_resolution_open_for_comments(demo: DemoSummary, db: Session) -> None:
    """Issue 17: the thematic session's draft, split into its articles, clauses and points,
    open for the delegates' comments until the session starts."""
    found = db.exec(select(CommentRound)).one()
    assert (found.title, found.status) == (DRAFT_ROUND, RoundStatus.open)
    meeting = db.get(Meeting, found.meeting_id)
    assert meeting is not None
    assert found.deadline == meeting.start_at
    sections = load_structure(db, found.version_id)
    labels = [section.label for section in sections]
    assert labels[:3] == ["Điều 1", "Khoản 1", "Khoản 2"]
    assert {"Điểm a", "Điểm b", "Điểm c", "Điều 2", "Điều 3"} <= set(labels)
    members = db.exec(select(RoundMember).where(RoundMember.round_id == found.id)).all()
    roles = {member.role for member in members}
    assert roles == {RoundRole.member, RoundRole.drafter}
