"""`hop demo`: the People's Council of Hoàn Kiếm ward, about 30 people, two meetings with
agendas, invitations and generated PDF papers, loaded through the domain services."""

import hashlib
import io
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Protocol

import typer
from sqlalchemy import func, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from demo.papers import Paper, Signers, regular_session_papers, thematic_session_papers
from demo.pdfs import render_pdf
from meetings import documents, draft_structure, people, scheduling
from meetings.documents import Uploads, UploadSettings
from meetings.passwords import hash_password
from meetings.storage import BlobStore
from models import (
    AgendaItem,
    AgendaItemCreate,
    Blob,
    CommentRound,
    Document,
    DocumentVersion,
    Invitation,
    InvitationCreate,
    Meeting,
    MeetingCreate,
    MeetingRole,
    MeetingStatus,
    OrgUnit,
    OrgUnitCreate,
    Person,
    PersonCreate,
    Reply,
    Role,
)
from models.db import make_engine
from voting import rounds
from voting.rounds import RoundFields

# Every demo account gets this password unless `--password` / HOP_DEMO_PASSWORD says otherwise.
# It is for trying Hop on one's own machine only, never for a server others can reach.
DEFAULT_PASSWORD = "hop-demo-2026"
DEMO_URL = "http://127.0.0.1:8000"
HANOI = timezone(timedelta(hours=7), "ICT")  # Vietnam keeps UTC+7 all year
SEED = 2026
DEMO_TABLES = tuple(
    model.__tablename__
    for model in (OrgUnit, Person, Meeting, AgendaItem, Invitation, Document, DocumentVersion, Blob)
)


class DemoError(Exception):
    """The demo cannot be loaded (no tables, loaded already, bad password); nothing changed."""


@dataclass(frozen=True)
class DemoSummary:
    """What a demo load created."""

    people: int
    units: int
    meetings: tuple[str, ...]
    documents: int
    published: int

    def describe(self) -> str:
        """One line for the terminal."""
        return (
            f"Demo loaded: {self.people} people in {self.units} units, "
            f"{len(self.meetings)} meetings ({'; '.join(self.meetings)}), "
            f"{self.documents} PDF documents ({self.published} published)."
        )


@dataclass(frozen=True)
class Member:
    """A demo account: who they are and where they sit."""

    username: str
    full_name: str
    title: str
    unit: str  # a key of UNITS
    role: Role = Role.delegate


UNITS: dict[str, tuple[str, str]] = {
    "tt": ("Thường trực Hội đồng nhân dân phường", "TT-HĐND"),
    "ktxh": ("Ban Kinh tế - Xã hội HĐND phường", "BAN-KTXH"),
    "pc": ("Ban Pháp chế HĐND phường", "BAN-PC"),
    "vp": ("Văn phòng HĐND và UBND phường", "VP"),
    "ubnd": ("Ủy ban nhân dân phường", "UBND"),
}
KTXH_MEMBER = "Ủy viên Ban Kinh tế - Xã hội HĐND phường"
PC_MEMBER = "Ủy viên Ban Pháp chế HĐND phường"
STAFF = (
    Member("admin", "Trần Minh Quân", "Quản trị hệ thống", "vp", Role.admin),
    Member(
        "thuky",
        "Nguyễn Thị Thu Hà",
        "Chuyên viên Văn phòng HĐND và UBND phường, thư ký kỳ họp",
        "vp",
        Role.secretariat,
    ),
    Member(
        "vanphong", "Lê Văn Cường", "Chánh Văn phòng HĐND và UBND phường", "vp", Role.secretariat
    ),
    Member("chutri", "Phạm Quang Vinh", "Chủ tịch HĐND phường", "tt"),
)
DELEGATES = tuple(
    Member(f"daibieu{number:02d}", name, title, unit)
    for number, (name, title, unit) in enumerate(
        (
            ("Đỗ Thị Minh Nguyệt", "Phó Chủ tịch HĐND phường", "tt"),
            ("Hoàng Văn Thắng", "Trưởng Ban Kinh tế - Xã hội HĐND phường", "ktxh"),
            ("Vũ Thị Lan Anh", "Phó Trưởng Ban Kinh tế - Xã hội HĐND phường", "ktxh"),
            ("Bùi Đức Mạnh", KTXH_MEMBER, "ktxh"),
            ("Đặng Thị Hồng Nhung", KTXH_MEMBER, "ktxh"),
            ("Ngô Quốc Huy", f"{KTXH_MEMBER}; Giám đốc Hợp tác xã Thương mại Hàng Đào", "ktxh"),
            ("Tạ Minh Khôi", KTXH_MEMBER, "ktxh"),
            ("Lương Thị Ngọc Ánh", f"{KTXH_MEMBER}; Hiệu trưởng Trường Tiểu học Tràng An", "ktxh"),
            ("Mai Xuân Trường", KTXH_MEMBER, "ktxh"),
            ("Cao Thị Phương Thảo", f"{KTXH_MEMBER}; Trạm trưởng Trạm Y tế phường", "ktxh"),
            ("Đoàn Văn Hải", KTXH_MEMBER, "ktxh"),
            ("Kiều Thị Thu Trang", KTXH_MEMBER, "ktxh"),
            ("Trịnh Thị Thanh Hương", "Trưởng Ban Pháp chế HĐND phường", "pc"),
            ("Phan Văn Tùng", "Phó Trưởng Ban Pháp chế HĐND phường", "pc"),
            ("Lý Thị Mai", PC_MEMBER, "pc"),
            ("Đinh Công Sơn", PC_MEMBER, "pc"),
            ("Dương Thị Hải Yến", PC_MEMBER, "pc"),
            ("Hà Minh Tuấn", f"{PC_MEMBER}; Trưởng Công an phường", "pc"),
            ("Chu Thị Diệu Linh", PC_MEMBER, "pc"),
            ("Lại Văn Hùng", f"{PC_MEMBER}; Tổ trưởng Tổ dân phố số 7", "pc"),
            ("Quách Thị Ngân", PC_MEMBER, "pc"),
            ("Tô Hoài Nam", PC_MEMBER, "pc"),
        ),
        start=1,
    )
)
OBSERVERS = (
    Member("khachmoi01", "Nguyễn Đức Trung", "Chủ tịch UBND phường", "ubnd"),
    Member("khachmoi02", "Lê Thị Bích Ngọc", "Phó Chủ tịch UBND phường", "ubnd"),
    Member("khachmoi03", "Trần Quốc Bảo", "Trưởng phòng Kinh tế, Hạ tầng và Đô thị", "ubnd"),
    Member("khachmoi04", "Nguyễn Thị Kim Oanh", "Trưởng phòng Văn hóa - Xã hội", "ubnd"),
)
MEMBERS = (*STAFF, *DELEGATES, *OBSERVERS)
BY_USERNAME = {member.username: member for member in MEMBERS}
SIGNERS = Signers(
    council_chair="Phạm Quang Vinh",
    people_committee_chair="Nguyễn Đức Trung",
    people_committee_vice="Lê Thị Bích Ngọc",
    economy_head="Hoàng Văn Thắng",
    legal_head="Trịnh Thị Thanh Hương",
)
DECLINE_REASONS = (
    "Đi công tác tại Thành phố Hồ Chí Minh theo kế hoạch của cơ quan.",
    "Nghỉ ốm, có giấy xác nhận của cơ sở y tế.",
    "Trùng lịch tiếp công dân định kỳ; đã báo cáo Thường trực HĐND phường.",
    "Tham gia lớp bồi dưỡng lý luận chính trị tại Trường Chính trị Thành phố.",
)
LOGINS = (
    ("thuky", "secretariat (thư ký): people, meetings, documents"),
    ("chutri", "chair (chủ trì) of both demo meetings"),
    ("daibieu01", "delegate (đại biểu): reads papers, votes"),
    ("admin", "administrator"),
)


@dataclass(frozen=True)
class AgendaLine:
    title: str
    presenter: str  # a username
    minutes: int


@dataclass(frozen=True)
class MeetingPlan:
    """A demo meeting: details, agenda, papers, and how many invitees have replied."""

    title: str
    description: str
    location: str
    start: datetime
    end: datetime
    agenda: tuple[AgendaLine, ...]
    papers: tuple[Paper, ...]
    accepted: int  # delegates (besides daibieu01) who accepted
    declined: int  # delegates who declined, with a reason


def presenter_label(username: str) -> str:
    """A demo member as an agenda names the presenter: "name, title"."""
    member = BY_USERNAME[username]
    return f"{member.full_name}, {member.title.split(';')[0]}"


def meeting_plans(now: datetime) -> tuple[MeetingPlan, MeetingPlan]:
    """The regular session a few working days ahead and the thematic session later today."""
    return _regular_session(_working_day_after(now.astimezone(HANOI).date(), 4)), _thematic(now)


def _working_day_after(today: date, days: int) -> date:
    day = today + timedelta(days=days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _regular_session(day: date) -> MeetingPlan:
    year = day.year
    agenda = (
        AgendaLine("Khai mạc kỳ họp; thông qua chương trình kỳ họp", "chutri", 10),
        AgendaLine(
            f"Báo cáo tình hình kinh tế - xã hội năm {year}; phương hướng, nhiệm vụ năm {year + 1}",
            "khachmoi01",
            30,
        ),
        AgendaLine(
            f"Tờ trình và dự thảo Nghị quyết về dự toán ngân sách phường năm {year + 1}",
            "khachmoi02",
            25,
        ),
        AgendaLine("Báo cáo thẩm tra của Ban Kinh tế - Xã hội HĐND phường", "daibieu02", 15),
        AgendaLine("Thảo luận và biểu quyết thông qua các nghị quyết", "chutri", 60),
        AgendaLine("Bế mạc kỳ họp", "chutri", 10),
    )
    programme = [(line.title, presenter_label(line.presenter)) for line in agenda]
    return MeetingPlan(
        title=f"Kỳ họp thường kỳ tháng {day.month} năm {year}",
        description=(
            f"Xem xét báo cáo kinh tế - xã hội năm {year}, quyết định dự toán ngân sách phường "
            f"năm {year + 1} và thông qua các nghị quyết của Hội đồng nhân dân phường Hoàn Kiếm."
        ),
        location="Hội trường tầng 3, trụ sở HĐND - UBND phường Hoàn Kiếm",
        start=datetime.combine(day, time(8, 0), HANOI),
        end=datetime.combine(day, time(11, 30), HANOI),
        agenda=agenda,
        papers=regular_session_papers(day=day, signers=SIGNERS, agenda=programme),
        accepted=12,
        declined=2,
    )


def _thematic(now: datetime) -> MeetingPlan:
    local = now.astimezone(HANOI)
    afternoon = datetime.combine(local.date(), time(14, 0), HANOI)
    # Later today, so the demo can be checked in and voted on; at night, the next full hour.
    start = max(afternoon, local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1))
    agenda = (
        AgendaLine("Khai mạc; thông qua chương trình phiên họp", "chutri", 5),
        AgendaLine(
            "Báo cáo kết quả chỉnh trang đô thị, quản lý trật tự lòng đường, vỉa hè",
            "khachmoi02",
            20,
        ),
        AgendaLine("Tờ trình Đề án quản lý, sử dụng tạm thời một phần hè phố", "khachmoi03", 20),
        AgendaLine("Báo cáo thẩm tra của Ban Pháp chế HĐND phường", "daibieu13", 15),
        AgendaLine("Thảo luận và biểu quyết thông qua Nghị quyết chuyên đề", "chutri", 45),
    )
    return MeetingPlan(
        title="Phiên họp chuyên đề về chỉnh trang đô thị và trật tự hè phố",
        description=(
            "Cho ý kiến và biểu quyết Đề án quản lý, sử dụng tạm thời một phần hè phố trên địa "
            "bàn phường."
        ),
        location="Phòng họp tầng 2, trụ sở HĐND - UBND phường Hoàn Kiếm",
        start=start,
        end=start + timedelta(hours=2),
        agenda=agenda,
        papers=thematic_session_papers(day=start.date(), signers=SIGNERS),
        accepted=17,
        declined=1,
    )


class DemoSettings(UploadSettings, Protocol):
    """Where the demo goes (web.settings.Settings has it)."""

    @property
    def data_dir(self) -> Path: ...
    @property
    def resolved_database_url(self) -> str: ...


def load_demo(settings: DemoSettings, *, password: str, only_if_empty: bool) -> DemoSummary | None:
    """Load the demo council, its meetings and papers in one transaction; None if skipped."""
    _check_password(password)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    try:
        _check_schema(engine)
        with _OneTransaction(engine, expire_on_commit=False) as session:
            if only_if_empty and session.exec(select(func.count(col(Person.id)))).one():
                return None
            _refuse_second_load(session)
            return _load_atomically(session, Uploads.from_settings(settings), password)
    finally:
        engine.dispose()


class _OneTransaction(Session):
    """A session whose commit only flushes: the services commit each step, the demo loads as
    one transaction, so a failure half-way leaves no half-loaded demo behind."""

    def commit(self) -> None:
        self.flush()

    def commit_for_real(self) -> None:
        super().commit()


def _check_password(password: str) -> None:
    if not 8 <= len(password) <= 200:
        raise DemoError("The demo password must be 8 to 200 characters long.")


def _check_schema(engine: Engine) -> None:
    try:
        present = set(inspect(engine).get_table_names())
    except SQLAlchemyError as error:
        raise DemoError(f"Cannot open the database: {error}") from error
    missing = [name for name in DEMO_TABLES if name not in present]
    if missing:
        raise DemoError(
            f"The database has no Hop tables yet (missing: {', '.join(missing)}); "
            "run `hop migrate` first."
        )


def _refuse_second_load(session: Session) -> None:
    usernames = [member.username for member in MEMBERS]
    taken = session.exec(select(Person.username).where(col(Person.username).in_(usernames)))
    found = sorted(taken)
    if found:
        raise DemoError(
            f"The demo accounts are already there ({', '.join(found[:3])}, …); the demo loads "
            "once. Use `hop demo --if-empty`, or an empty database (HOP_DATA_DIR)."
        )


def _load_atomically(session: _OneTransaction, uploads: Uploads, password: str) -> DemoSummary:
    new_files = _NewFiles(uploads.store)
    try:
        summary = _load(session, uploads, new_files, password)
        session.commit_for_real()
    except BaseException:
        session.rollback()
        new_files.remove()
        raise
    return summary


class _NewFiles:
    """Files this load adds to the store, removed again when the load fails."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        self.paths: list[Path] = []

    def note(self, content: bytes) -> None:
        path = self.store.path_for(hashlib.sha256(content).hexdigest())
        if not path.exists() and path not in self.paths:
            self.paths.append(path)

    def remove(self) -> None:
        for path in self.paths:
            path.unlink(missing_ok=True)


def _load(session: Session, uploads: Uploads, files: _NewFiles, password: str) -> DemoSummary:
    units = _ensure_units(session)
    members = _create_people(session, units, password)
    rng = random.Random(SEED)
    plans = meeting_plans(datetime.now(UTC))
    meetings = [_create_meeting(session, uploads, files, plan, members, rng) for plan in plans]
    _open_draft_round(session, uploads, meetings[1], members)
    papers = [paper for plan in plans for paper in plan.papers]
    return DemoSummary(
        people=len(members),
        units=len(units),
        meetings=tuple(meeting.title for meeting in meetings),
        documents=len(papers),
        published=sum(paper.published for paper in papers),
    )


def _ensure_units(session: Session) -> dict[str, OrgUnit]:
    existing = {unit.name: unit for unit in people.list_units(session=session)}
    return {
        key: existing.get(name)
        or people.create_unit(session=session, data=OrgUnitCreate(name=name, code=code))
        for key, (name, code) in UNITS.items()
    }


def _create_people(session: Session, units: dict[str, OrgUnit], password: str) -> dict[str, Person]:
    # One argon2 hash for every account (they share the password anyway): hashing 30 times
    # would take seconds, on every `make run` of a fresh clone and in every test.
    password_hash = hash_password(password)
    rng = random.Random(SEED)
    members: dict[str, Person] = {}
    for member in MEMBERS:
        data = PersonCreate(
            username=member.username,
            full_name=member.full_name,
            title=member.title,
            unit_id=units[member.unit].id,
            email=f"{member.username}@hoankiem.hanoi.example",
            phone=f"09{rng.randrange(10)}{rng.randrange(10**7):07d}",
            role=member.role,
        )
        person = people.build_person(session=session, data=data)
        person.password_hash = password_hash
        session.add(person)
        session.flush()
        members[member.username] = person
    return members


def _create_meeting(
    session: Session,
    uploads: Uploads,
    files: _NewFiles,
    plan: MeetingPlan,
    members: dict[str, Person],
    rng: random.Random,
) -> Meeting:
    clerk, chair = members["thuky"], members["chutri"]
    data = MeetingCreate(
        title=plan.title,
        description=plan.description,
        start_at=plan.start.astimezone(UTC),  # stored as UTC (SQLite keeps no offset)
        end_at=plan.end.astimezone(UTC),
        location=plan.location,
        chair_id=chair.id,
    )
    meeting = scheduling.create_meeting(session=session, data=data, creator=clerk)
    items = [_add_item(session, meeting, line) for line in plan.agenda]
    _invite_everyone(session, meeting, plan, members, rng)
    scheduling.change_status(session=session, meeting=meeting, status=MeetingStatus.scheduled)
    for paper in plan.papers:
        _add_paper(session, uploads, files, meeting, items[paper.item - 1], paper, clerk)
    return meeting


DRAFT_ROUND = "Góp ý dự thảo Nghị quyết về sử dụng tạm thời một phần hè phố"


def _open_draft_round(
    session: Session, uploads: Uploads, meeting: Meeting, members: dict[str, Person]
) -> CommentRound:
    """The thematic session's draft resolution, open for the delegates' comments until the
    session starts; the economic and urban department (khachmoi03) answers them."""
    draft = session.exec(
        select(Document).where(
            Document.meeting_id == meeting.id, col(Document.title).startswith("Dự thảo")
        )
    ).one()
    fields = RoundFields(
        title=DRAFT_ROUND,
        instructions="Đề nghị các đại biểu góp ý theo từng điều, khoản trước phiên họp.",
        deadline=meeting.start_at,
        drafter_ids=[members["khachmoi03"].id or 0],
    )
    clerk = members["thuky"]
    round = rounds.create_round(session, meeting=meeting, document=draft, fields=fields, by=clerk)
    version = session.get(DocumentVersion, round.version_id)
    assert version is not None
    sections = draft_structure.propose_structure(session, version, store=uploads.store)
    draft_structure.save_structure(session, round.version_id, sections)
    return rounds.open_round(session, round=round, by=clerk)


def _add_item(session: Session, meeting: Meeting, line: AgendaLine) -> AgendaItem:
    data = AgendaItemCreate(
        title=line.title, presenter=presenter_label(line.presenter), planned_minutes=line.minutes
    )
    return scheduling.add_agenda_item(session=session, meeting=meeting, data=data)


def _invite_everyone(
    session: Session,
    meeting: Meeting,
    plan: MeetingPlan,
    members: dict[str, Person],
    rng: random.Random,
) -> None:
    replies = _replies(plan, rng)
    for member in (BY_USERNAME["chutri"], *DELEGATES, *OBSERVERS):
        invitation = scheduling.invite(
            session=session, meeting=meeting, data=_invitation(member, members)
        )
        reply, reason = replies.get(member.username, (Reply.invited, ""))
        if reply != Reply.invited:
            scheduling.reply_to_invitation(
                session=session, invitation=invitation, reply=reply, reason=reason
            )


def _invitation(member: Member, members: dict[str, Person]) -> InvitationCreate:
    person_id = members[member.username].id
    assert person_id is not None
    if member.username == "chutri":
        return InvitationCreate(person_id=person_id, role=MeetingRole.chair, seat_label="CT")
    if member in OBSERVERS:
        number = member.username.removeprefix("khachmoi")
        return InvitationCreate(
            person_id=person_id,
            role=MeetingRole.observer,
            voting_right=False,
            seat_label=f"K{number}",
        )
    seat = f"A{member.username.removeprefix('daibieu')}"
    return InvitationCreate(person_id=person_id, role=MeetingRole.delegate, seat_label=seat)


def _replies(plan: MeetingPlan, rng: random.Random) -> dict[str, tuple[Reply, str]]:
    """Who has answered: the chair, daibieu01 and the UBND leaders accept; a seeded draw of
    the other delegates accepts or declines with a reason; the rest have not answered yet."""
    sure = ("chutri", "daibieu01", "khachmoi01", "khachmoi02")
    replies: dict[str, tuple[Reply, str]] = dict.fromkeys(sure, (Reply.accepted, ""))
    others = [member.username for member in DELEGATES[1:]]
    drawn = rng.sample(others, plan.accepted + plan.declined)
    for username in drawn[: plan.declined]:
        replies[username] = (Reply.declined, rng.choice(DECLINE_REASONS))
    for username in drawn[plan.declined :]:
        replies[username] = (Reply.accepted, "")
    return replies


def _add_paper(
    session: Session,
    uploads: Uploads,
    files: _NewFiles,
    meeting: Meeting,
    item: AgendaItem,
    paper: Paper,
    clerk: Person,
) -> Document:
    content = render_pdf(paper.document)
    files.note(content)
    document = documents.add_document(
        session=session,
        uploads=uploads,
        meeting=meeting,
        title=paper.document.title,
        source=io.BytesIO(content),
        filename=paper.filename,
        uploader=clerk,
        agenda_item_id=item.id,
    )
    if paper.published:
        documents.publish_document(session=session, document=document)
    if paper.revision is not None:
        revised = render_pdf(paper.revision)
        files.note(revised)
        documents.add_version(
            session=session,
            uploads=uploads,
            document=document,
            source=io.BytesIO(revised),
            filename=paper.revision_filename,
            uploader=clerk,
        )
    return document


def print_logins(password: str | None, *, url: str = DEMO_URL) -> None:
    """Print where Hop runs (`url`) and the demo accounts to log in with."""
    typer.echo(f"\nHop demo: open {url} and log in as")
    for username, role in LOGINS:
        typer.echo(f"  {username:<10} {role}")
    if password is None:
        typer.echo("  password   the password you set when the demo was loaded")
    elif password == DEFAULT_PASSWORD:
        typer.echo(f"  password   {password}  (the demo password: for trying Hop locally only)")
    else:
        typer.echo(f"  password   {password}")
