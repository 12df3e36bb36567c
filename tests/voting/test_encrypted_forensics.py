"""Forensics of an encrypted secret poll: someone holding the database files (hop.db and
hop.db-wal read as raw bytes, frame by frame, in write order; on PostgreSQL every row and its
xmin) and every log line at DEBUG tries to pair each of 20 voters with a choice.

The contrast, honestly. In a plain secret poll (tests/voting/test_secrecy.py) the server writes
the who-voted row and the choice row ("yes") in one transaction: the WAL frames of that
transaction hold both, so an external tester paired 10 and 13 of 22 voters with their choice
from hop.db-wal and 22 of 22 from pg_wal, whatever the tables' layout or the shaking at close.
Here the same pairing by transaction still works (test_linking_by_transaction_pairs_a_voter_
with_a_ciphertext_only does it), but what it gives is a ciphertext: the plain choice never
reaches the server, and opening a ciphertext needs t trustees' secrets, which are in no file
and no log line. pg_waldump is not used: a test cannot count on reading the server's data
folder, and the rows with their xmin already show what a transaction pairs.
"""

import base64
import json
import logging
import re
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import Session, SQLModel, col, select

from models import EncryptedBallot, Person, SecretChoice, SecretVoter
from models.db import make_engine
from tests.api.test_encrypted_polls import board_of, cast, ready_poll, trustee_posts
from tests.factories import PG_URL, REDIS_URL, empty_postgres, login, make_room, nonce
from tests.voting.test_secrecy import identity_values
from voting.encrypted import dkg
from voting.encrypted.devices import Committee, tablet
from voting.encrypted.elgamal import decode_ciphertext
from voting.encrypted.group import GENERATOR, IDENTITY, L, mul, sub
from voting.encrypted.tally import lagrange, small_log
from web.app import create_app
from web.settings import Settings

VOTERS = 20
ANSWERS: list[tuple[list[str], bool]] = [(["yes"], False), (["no"], False), ([], True)]
CHALLENGER = 4  # a delegate who is no trustee checks their tablet before casting
WAL_HEADER, FRAME_HEADER = 32, 24
sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="hop.db-wal exists only on SQLite")


@dataclass
class Cast:
    """What one voter's tablet alone knows: the nonce and the reveal object it kept."""

    nonce: str
    reveal: dict[str, Any]

    @property
    def code(self) -> str:
        return str(self.reveal["ballot"]["tracking_code"])


@dataclass
class Case:
    poll_id: int
    committee: Committee
    casts: dict[int, Cast]
    spoiled: dict[str, Any]
    rows_before_close: set[str]
    transactions: list[list[bytes]]  # the WAL's pages, grouped by committed transaction
    links: dict[int, str]  # voter -> tracking code, paired by the transaction that wrote both
    database: bytes  # hop.db and every WAL frame ever seen, as a thief would copy them
    logs: list[str]
    logged_while_open: int  # how many of the log lines came before the close
    board: dict[str, Any]
    result: dict[str, Any]


class WalWatcher:
    """Copies hop.db-wal after each request, as a thief watching the disk would: frames are
    keyed by their salts and offset, so a checkpoint that restarts the file loses nothing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.frames: dict[tuple[bytes, int], tuple[bool, bytes]] = {}

    def look(self) -> None:
        raw = self.path.read_bytes() if self.path.exists() else b""
        if len(raw) < WAL_HEADER:
            return
        size = int.from_bytes(raw[8:12], "big")
        for offset in range(WAL_HEADER, len(raw) - FRAME_HEADER - size + 1, FRAME_HEADER + size):
            header = raw[offset : offset + FRAME_HEADER]
            commit = int.from_bytes(header[4:8], "big") != 0  # the database size after a commit
            page = raw[offset + FRAME_HEADER : offset + FRAME_HEADER + size]
            self.frames.setdefault((header[8:16], offset), (commit, page))

    def transactions(self) -> list[list[bytes]]:
        """The pages of each committed transaction, in write order."""
        groups: list[list[bytes]] = []
        current: list[bytes] = []
        for commit, page in self.frames.values():
            current.append(page)
            if commit:
                groups.append(current)
                current = []
        return groups


class LogCollector(logging.Handler):
    """Every record of every logger, with all its attributes: whatever a formatter could print."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.on = True  # off while the test itself reads the database, as the attacker

    def emit(self, record: logging.LogRecord) -> None:
        if self.on:
            self.lines.append(f"{record.getMessage()} {vars(record)!r}")


@pytest.fixture(scope="module")
def all_logs() -> Iterator[LogCollector]:
    """Every logger at DEBUG into one collector, SQLAlchemy's rows and Hop's own included.
    They stop propagating meanwhile, so that pytest's capture does not format each record."""
    collector = LogCollector()
    root = logging.getLogger()
    known = logging.root.manager.loggerDict.values()
    loggers = [root] + [logger for logger in known if isinstance(logger, logging.Logger)]
    saved = [(logger, logger.level, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.addHandler(collector)
        logger.propagate = logger is root
    yield collector
    for logger, level, propagate in saved:
        logger.setLevel(level)
        logger.removeHandler(collector)
        logger.propagate = propagate


@pytest.fixture(scope="module")
def database(database_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database for the module, as conftest makes one per test: the poll runs once and
    every test below examines what it left."""
    if PG_URL:
        empty_postgres(PG_URL)
        yield PG_URL
        empty_postgres(PG_URL)
        return
    target = tmp_path_factory.mktemp("forensics") / "hop.db"
    shutil.copyfile(database_template, target)
    yield f"sqlite:///{target}"


@pytest.fixture(scope="module")
def db(database: str) -> Iterator[Session]:
    engine = make_engine(database)
    with Session(engine, expire_on_commit=False) as db_session:
        yield db_session
    engine.dispose()


@pytest.fixture(scope="module")
def case(
    database: str, db: Session, all_logs: LogCollector, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Case]:
    """The poll, run through the app on the module's database."""
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("forensics-var"),
        database_url=database,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        redis_url=REDIS_URL or None,
        redis_channel=f"hop:test:{uuid.uuid4().hex}",
        _env_file=None,
    )
    with TestClient(create_app(settings)) as client:
        yield run_poll(client, db, database, all_logs)


def run_poll(client: TestClient, session: Session, database: str, logs: LogCollector) -> Case:
    """An encrypted yes/no poll: three trustees (2 of 3), 20 voters, one Benaloh challenge,
    closed and decrypted; with hop.db-wal copied after every request."""
    room = make_room(session, delegates=VOTERS)
    wal = WalWatcher(Path(database.removeprefix("sqlite:///") + "-wal"))
    poll_id, committee = ready_poll(client, room)
    wal.look()
    casts, spoiled = {}, {}
    for n, voter in enumerate(room.delegates):
        login(client, voter)
        if n == CHALLENGER:
            spoiled = tablet(board_of(client, poll_id), ["yes"])
            client.post(f"/api/polls/{poll_id}/spoiled", json={"reveal": spoiled})
            wal.look()
        options, abstain = ANSWERS[n % len(ANSWERS)]
        voted = Cast(nonce(), tablet(board_of(client, poll_id), options, abstain=abstain))
        assert cast(client, poll_id, voted.reveal["ballot"], voted.nonce).status_code == 200
        casts[voter.id or 0] = voted
        wal.look()
    logs.on = False
    before = set(session.exec(select(EncryptedBallot.id)).all())
    xmin_pairs = xmin_links(session) if PG_URL else {}
    session.commit()
    logs.on = True
    logged_while_open = len(logs.lines)
    login(client, room.chair)
    assert client.post(f"/api/polls/{poll_id}/close").status_code == 200
    wal.look()
    for index in (1, 3):
        assert trustee_posts(client, room, poll_id, committee, "partial", index).status_code == 201
        wal.look()
    login(client, room.chair)
    result = client.get(f"/api/polls/{poll_id}/result").json()
    board = board_of(client, poll_id)
    logs.on = False
    raw = b"" if PG_URL else Path(database.removeprefix("sqlite:///")).read_bytes()
    frames = b"".join(page for _, page in wal.frames.values())
    voters = session.exec(select(SecretVoter).where(SecretVoter.poll_id == poll_id)).all()
    voter_of = {row.nonce_hash: row.voter_id for row in voters}
    codes = set(session.exec(select(EncryptedBallot.tracking_code)).all())
    session.commit()
    return Case(
        poll_id=poll_id,
        committee=committee,
        casts=casts,
        spoiled=spoiled,
        rows_before_close=before,
        transactions=wal.transactions(),
        links=xmin_pairs or wal_links(wal.transactions(), voter_of, codes),
        database=raw + frames,
        logs=logs.lines,
        logged_while_open=logged_while_open,
        board=board,
        result=result,
    )


def encodings(secret: int) -> list[bytes]:
    """A scalar as a program might write it: raw and hex in both byte orders, base64, decimal."""
    little, big = secret.to_bytes(32, "little"), secret.to_bytes(32, "big")
    return [
        little,
        big,
        little.hex().encode(),
        big.hex().encode(),
        base64.b64encode(little).rstrip(b"="),
        base64.urlsafe_b64encode(little).rstrip(b"="),
        str(secret).encode(),
    ]


def trustee_secrets(committee: Committee) -> list[int]:
    """Every secret the trustees' devices held: transport keys, polynomial coefficients, every
    share s_ij each dealt to each other, each x_j and the joint secret x."""
    dealers = [device.dealer for device in committee.devices]
    assert all(dealers)
    found = [device.share or 0 for device in committee.devices]
    for dealer in dealers:
        assert dealer is not None
        found += [dealer.transport_secret, *dealer.coefficients]
        found += [dkg.share_value(dealer.coefficients, j) for j in range(1, len(dealers) + 1)]
    found.append(sum(dealer.coefficients[0] for dealer in dealers if dealer) % L)
    assert all(found)
    return found


def cast_randomness(case: Case) -> list[int]:
    """The r of each cast ballot: with it anyone opens that ballot; it never leaves the tablet."""
    return [
        int.from_bytes(bytes.fromhex(r), "little")
        for c in case.casts.values()
        for r in c.reveal["randomness"]
    ]


def every_row(session: Session) -> list[str]:
    """Every row of every table, as a database holder reads it."""
    return [
        json.dumps(dict(row), default=str, ensure_ascii=False)
        for table in SQLModel.metadata.sorted_tables
        for row in session.execute(table.select()).mappings()
    ]


def wal_links(
    transactions: list[list[bytes]], voter_of: dict[str, int], codes: set[str]
) -> dict[int, str]:
    """SQLite: a WAL transaction that brings exactly one new who-voted nonce hash (read beside
    its voter in secret_voter) and one new tracking code pairs the two."""
    seen: set[str] = set()
    links = {}
    for pages in transactions:
        frames = b"".join(pages)
        hashes = {h for h in voter_of if h.encode() in frames} - seen
        new_codes = {c for c in codes if c.encode() in frames} - seen
        seen |= hashes | new_codes
        if len(hashes) == 1 and len(new_codes) == 1:
            links[voter_of[hashes.pop()]] = new_codes.pop()
    return links


def xmin_links(session: Session) -> dict[int, str]:
    """PostgreSQL, before close: a ballot row and its voter's mark share their xmin (the data
    files show it, and so does pg_wal); after close only dead tuples keep it."""
    voters = dict(session.exec(text("SELECT xmin::text, voter_id FROM secret_voter")).all())  # type: ignore[call-overload]
    ballots = session.exec(text("SELECT xmin::text, tracking_code FROM encrypted_ballot")).all()  # type: ignore[call-overload]
    return {voters[xmin]: code for xmin, code in ballots if xmin in voters}


def test_no_plain_choice_is_stored(case: Case, db: Session) -> None:
    """(a) The plain choice never reaches the server: no choice row, and a ballot row holds
    only points and scalars in hex beside its four field names."""
    assert db.exec(select(SecretChoice)).all() == []
    rows = db.exec(select(EncryptedBallot)).all()
    assert len(rows) == VOTERS
    for row in rows:
        assert set(row.ballot) == {"ciphertexts", "proofs", "sum_proof", "tracking_code"}
        dump = json.dumps(row.ballot)
        assert re.fullmatch(r'[\[\]{}",: 0-9a-f]*', re.sub(r'"[a-z_]+":', "", dump)), dump


@sqlite_only
def test_no_wal_page_holds_an_option_beside_a_voter_or_a_ballot(case: Case, db: Session) -> None:
    """(a) Frame by frame: a WAL page that carries a voter's mark or a ballot never carries an
    option id, as the choice row of a plain secret poll does ("yes" beside the mark)."""
    hashes = [row.nonce_hash.encode() for row in db.exec(select(SecretVoter))]
    codes = [c.code.encode() for c in case.casts.values()]
    options = re.compile(rb'"(yes|no|abstain)"|yes|abstain')
    examined = 0
    for pages in case.transactions:
        for page in pages:
            if any(marker in page for marker in hashes + codes):
                examined += 1
                assert not options.search(page), "an option id next to a voter or a ballot"
    assert examined >= VOTERS


@sqlite_only
def test_the_benaloh_reveal_is_written_without_a_voter(case: Case, db: Session) -> None:
    """(a) The spoiled ballot's choice is public on purpose; the transaction that stored it
    holds no who-voted mark. Its place in write order does sit just before its voter's cast
    (docs/SECURITY.md says so): a revealed ballot is never cast, and a voter who wants even
    the tested choice kept may test any choice."""
    code = case.spoiled["ballot"]["tracking_code"].encode()
    hashes = [row.nonce_hash.encode() for row in db.exec(select(SecretVoter))]
    first = next(b"".join(pages) for pages in case.transactions if code in b"".join(pages))
    assert not any(marker in first for marker in hashes)


def test_linking_by_transaction_pairs_a_voter_with_a_ciphertext_only(case: Case) -> None:
    """(b) The pairing by transaction works, as the issue accepts; it pairs a ciphertext that
    nobody opens without t trustees: one share leaves a random point, two open it."""
    links = case.links
    assert len(links) == VOTERS  # the attacker pairs every voter with a ciphertext...
    assert all(case.casts[voter].code == code for voter, code in links.items())
    shares = {d.index: d.share or 0 for d in case.committee.devices}
    for voter, code in links.items():
        ballot = next(c.reveal for c in case.casts.values() if c.code == code)
        cts = [
            decode_ciphertext(c, allow_identity=False, check="t")
            for c in ballot["ballot"]["ciphertexts"]
        ]
        for ct, m in zip(cts, ballot["choice"], strict=True):
            for share in shares.values():  # ...but fewer than t shares open nothing
                assert sub(ct.b, mul(share, ct.a)) not in {IDENTITY, GENERATOR}
            pair = [1, 3]  # t = 2 shares (which only the trustees' devices hold) open it
            x = sum(lagrange(j, pair) * shares[j] for j in pair) % L
            assert small_log(sub(ct.b, mul(x, ct.a)), 1) == m, voter


def test_no_trustee_secret_or_ballot_randomness_is_anywhere(case: Case, db: Session) -> None:
    """(b) What would open a ballot is in no database file, WAL frame, row or log line."""
    rows = "\n".join(every_row(db)).encode()
    logs = "\n".join(case.logs).encode()
    assert case.logs
    assert rows
    secrets = trustee_secrets(case.committee) + cast_randomness(case)
    for secret in secrets:
        for encoded in encodings(secret):
            assert encoded not in case.database, "a secret in the database files"
            assert encoded not in rows, "a secret in a row"
            assert encoded not in logs, "a secret in the logs"
    # The spoiled ballot's randomness is public on purpose: the check is able to see a secret.
    spoiled = case.spoiled["randomness"][0].encode()
    assert spoiled in rows


def test_no_log_line_pairs_a_voter_with_a_ballot(case: Case, db: Session) -> None:
    """(b) While the poll is open the logs name the voters (SQLAlchemy's rows at DEBUG show
    who is logged in, request by request) but hold no tracking code, no ciphertext and no
    nonce, so no line or run of lines pairs a voter with a ballot or a Benaloh reveal; after
    the close the ballots they show are the public board's, sorted by tracking code."""
    open_logs = "\n".join(case.logs[: case.logged_while_open])
    people = db.exec(select(Person).where(col(Person.id).in_(list(case.casts)))).all()
    assert all(person.username in open_logs for person in people)
    ballots = [c.reveal["ballot"] for c in case.casts.values()] + [case.spoiled["ballot"]]
    for ballot in ballots:
        assert ballot["tracking_code"] not in open_logs
        for ciphertext in ballot["ciphertexts"]:
            assert ciphertext["a"] not in open_logs
            assert ciphertext["b"] not in open_logs
    for voted in case.casts.values():
        assert voted.nonce not in "\n".join(case.logs)


def test_the_board_and_the_result_name_no_voter_beside_a_ballot(case: Case) -> None:
    """(c) Ballots on the board carry no voter; the who-voted list is sorted ids, no time."""
    entries = case.board["entries"]
    ballots = [e["body"]["tracking_code"] for e in entries if e["kind"] == "ballot"]
    assert ballots == sorted(c.code for c in case.casts.values())
    for entry in entries:  # the parameters name the committee, which is public
        if entry["kind"] != "parameters":
            assert not identity_values(entry["body"]), entry["kind"]
    (close,) = [e["body"] for e in entries if e["kind"] == "close"]
    assert set(close) == {"ballots", "voters", "sums"}
    assert close["voters"] == sorted(case.casts)
    assert not identity_values(case.result)
    assert case.result["receipts"] == []
    assert "voters" not in case.result


def test_the_ballot_rows_were_rewritten_at_close(case: Case, db: Session) -> None:
    """(d) Closing rewrote every ciphertext row with a new random key, in random order: the
    live rows keep no trace of their casts (the WAL and older backups still do, which is why
    test_linking_by_transaction_pairs_a_voter_with_a_ciphertext_only pairs them all)."""
    after = set(db.exec(select(EncryptedBallot.id)).all())
    assert len(after) == VOTERS
    assert not after & case.rows_before_close
    # Stored order (the random key's on SQLite, the shuffled writes' on PostgreSQL) is neither
    # the casting order nor the board's: either by chance has odds of 1 in 20!.
    # (The whole rows: the code alone would be read from its index, sorted.)
    stored = [row.tracking_code for row in db.exec(select(EncryptedBallot))]
    assert stored != [c.code for c in case.casts.values()]
    assert stored != sorted(stored)
    if db.get_bind().dialect.name == "postgresql":
        ballot_xmins = set(db.exec(text("SELECT xmin::text FROM encrypted_ballot")).all())  # type: ignore[call-overload]
        voter_xmins = set(db.exec(text("SELECT xmin::text FROM secret_voter")).all())  # type: ignore[call-overload]
        assert len(ballot_xmins) == 1  # all written by the closing transaction
        assert len(voter_xmins) == VOTERS
        assert not ballot_xmins & voter_xmins
