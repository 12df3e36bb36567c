"""The audit chain through the service: appends verify, tampering of any kind is named, a
rolled-back action leaves no entry, and concurrent appends never fork the chain."""

import threading

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from cli.main import app as hop
from core import audit
from core.audit import AuditFilter
from models import AuditEntry, AuditHead

runner = CliRunner()


def append(session: Session, count: int, *, action: str = "test.action") -> None:
    for n in range(count):
        audit.audit(session, action=action, actor="tester", detail={"n": n, "name": "Đỗ"})
        session.commit()


def entries(session: Session) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.id))))


def assert_broken_at(session: Session, entry_id: int, problem: str = "") -> None:
    """Commit the tampering; verify must name the entry (and the problem, when given)."""
    session.commit()
    broken = audit.verify(session)
    assert broken is not None
    assert broken.entry_id == entry_id
    assert problem in broken.problem


def test_appends_chain_and_verify(session: Session) -> None:
    append(session, 3)
    rows = entries(session)
    assert [row.id for row in rows] == [1, 2, 3]
    assert rows[0].prev_hash == "0" * 64
    assert [row.prev_hash for row in rows[1:]] == [row.hash for row in rows[:-1]]
    report = audit.check_chain(session)
    assert report.intact
    assert report.entries == 3


def test_empty_chain_verifies(session: Session) -> None:
    assert audit.verify(session) is None
    assert audit.check_chain(session).entries == 0


def test_entries_of_one_commit_chain_in_order(session: Session) -> None:
    audit.bind(session, actor="cli", address="10.0.0.9")
    audit.audit(session, action="a.first")
    audit.audit(session, action="a.second", target_type="poll", target_id=7)
    session.commit()
    rows = entries(session)
    assert [(r.action, r.actor, r.address) for r in rows] == [
        ("a.first", "cli", "10.0.0.9"),
        ("a.second", "cli", "10.0.0.9"),
    ]
    assert audit.verify(session) is None


def test_rolled_back_action_leaves_no_entry(session: Session) -> None:
    audit.audit(session, action="never.happened")
    session.rollback()
    session.commit()
    assert entries(session) == []


def test_tampered_detail_is_named(session: Session) -> None:
    append(session, 4)
    session.execute(update(AuditEntry).where(col(AuditEntry.id) == 2).values(detail={"n": 99}))
    assert_broken_at(session, 2, "changed")


def test_rehashed_tampering_breaks_the_next_link(session: Session) -> None:
    append(session, 3)
    row = session.get(AuditEntry, 2)
    assert row is not None
    row.actor = "someone-else"
    row.hash = audit.entry_hash(row)
    session.add(row)
    assert_broken_at(session, 3, "prev_hash")


def test_deleted_row_is_named(session: Session) -> None:
    append(session, 4)
    session.execute(delete(AuditEntry).where(col(AuditEntry.id) == 2))
    assert_broken_at(session, 2, "missing")


def test_deleted_last_row_is_named(session: Session) -> None:
    append(session, 3)
    session.execute(delete(AuditEntry).where(col(AuditEntry.id) == 3))
    assert_broken_at(session, 3, "missing")


def test_reordered_rows_are_named(session: Session) -> None:
    append(session, 4)
    for old, new in ((2, -2), (3, 2), (-2, 3)):
        session.execute(update(AuditEntry).where(col(AuditEntry.id) == old).values(id=new))
    assert_broken_at(session, 2)


def test_missing_head_row_is_recreated(session: Session) -> None:
    session.execute(delete(AuditHead))
    session.commit()
    append(session, 2)
    assert audit.check_chain(session).entries == 2


def test_concurrent_appends_do_not_fork(engine: Engine, session: Session) -> None:
    threads, each = 4, 5
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            start.wait()
            with Session(engine, expire_on_commit=False) as own:
                for n in range(each):
                    audit.audit(own, action="test.concurrent", detail={"worker": k, "n": n})
                    own.commit()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    runners = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    assert errors == []
    rows = entries(session)
    assert [row.id for row in rows] == list(range(1, threads * each + 1))
    assert len({row.prev_hash for row in rows}) == len(rows)  # no two entries share a parent
    assert audit.verify(session) is None


def test_list_filters_newest_first(session: Session) -> None:
    append(session, 2, action="poll.opened")
    append(session, 1, action="poll_x.other")
    append(session, 1, action="auth.login")
    rows, total = audit.list_entries(session, where=AuditFilter(action="poll."))
    assert total == 2
    assert [row.id for row in rows] == [2, 1]
    rows, total = audit.list_entries(session, where=AuditFilter(actor="nobody"))
    assert (rows, total) == ([], 0)


def test_cli_verify_intact(session: Session, cli_env: dict[str, str]) -> None:
    append(session, 3)
    result = runner.invoke(hop, ["audit", "verify"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert "intact, 3 entries" in result.output


def test_cli_verify_names_tampered_entry(session: Session, cli_env: dict[str, str]) -> None:
    append(session, 3)
    session.execute(update(AuditEntry).where(col(AuditEntry.id) == 2).values(actor="mallory"))
    session.commit()
    result = runner.invoke(hop, ["audit", "verify"], env=cli_env)
    assert result.exit_code == 1
    assert "entry 2" in result.output
    assert "changed" in result.output


def test_cli_verify_names_deleted_entry(session: Session, cli_env: dict[str, str]) -> None:
    append(session, 3)
    session.execute(delete(AuditEntry).where(col(AuditEntry.id) == 1))
    session.commit()
    result = runner.invoke(hop, ["audit", "verify"], env=cli_env)
    assert result.exit_code == 1
    assert "entry 1: missing" in result.output


def test_cli_list_filters(session: Session, cli_env: dict[str, str]) -> None:
    append(session, 2, action="poll.opened")
    append(session, 1, action="auth.login")
    result = runner.invoke(
        hop, ["audit", "list", "--action", "poll", "--since", "2000-01-01"], env=cli_env
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("poll.opened") == 2
    assert "auth.login" not in result.output
    assert "2 of 2 entries" in result.output
    result = runner.invoke(hop, ["audit", "list", "--since", "yesterday"], env=cli_env)
    assert result.exit_code == 2
