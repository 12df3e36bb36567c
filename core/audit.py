"""The audit trail: append in the caller's transaction, verify the hash chain.

audit() queues an entry on the session; the entries are chained and written when the session
commits (before_commit), so they exist exactly when the audited change does. Taking the chain's
head last, at commit, keeps its lock short and always after any row lock the action took, so
two appenders cannot deadlock over it.

Details hold no secrets: no passwords, tokens, embeddings or ballot choices.
"""

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from models import DeviceToken, Person
from models.audit import GENESIS, AuditEntry, AuditHead, AuditRecord
from models.base import as_utc, utcnow

PENDING = "hop_audit_pending"
ACTOR = "hop_audit_actor"
ADDRESS = "hop_audit_address"
HEAD_ID = 1

Actor = Person | DeviceToken | str | None


@dataclass(frozen=True)
class ChainBreak:
    """The first entry where the chain does not hold, and what is wrong with it."""

    entry_id: int
    problem: str

    def __str__(self) -> str:
        return f"entry {self.entry_id}: {self.problem}"


@dataclass(frozen=True)
class ChainReport:
    entries: int
    broken: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.broken is None


# -- appending -------------------------------------------------------------------------------


def bind(session: Session, *, actor: Actor = None, address: str | None = None) -> None:
    """Say who acts through this session and from where; audit() uses it when not told."""
    if actor is not None:
        session.info[ACTOR] = _actor(actor)
    if address is not None:
        session.info[ADDRESS] = address[:64]


def audit(
    session: Session,
    *,
    action: str,
    actor: Actor = None,
    target_type: str = "",
    target_id: int | None = None,
    meeting_id: int | None = None,
    detail: dict[str, Any] | None = None,
    address: str | None = None,
) -> None:
    """Append an entry to the audit trail in the session's current transaction."""
    actor_id, label = _actor(actor) if actor is not None else session.info.get(ACTOR, (None, ""))
    item = AuditRecord(
        actor_id=actor_id,
        actor=label[:120],
        action=action[:60],
        target_type=target_type[:40],
        target_id=target_id,
        meeting_id=meeting_id,
        # Through JSON once, so that what is hashed is exactly what the database gives back.
        detail=json.loads(json.dumps(detail or {}, default=str)),
        address=(address if address is not None else session.info.get(ADDRESS, ""))[:64],
    )
    if not session.in_transaction():
        session.begin()  # so that a rollback, or a close, ends it and drops the entry
    session.info.setdefault(PENDING, []).append(item)


def _actor(actor: Person | DeviceToken | str) -> tuple[int | None, str]:
    if isinstance(actor, Person):
        return actor.id, actor.username
    if isinstance(actor, DeviceToken):
        return None, f"device:{actor.name}"
    return None, actor


@sa_event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending: list[AuditRecord] = session.info.pop(PENDING, [])
    if pending:
        _append(session, pending)


@sa_event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    # Reached after a commit too, once before_commit has taken the entries; savepoints ending
    # inside the transaction leave them alone.
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def _append(session: Session, pending: list[AuditRecord]) -> None:
    seq, last_hash = _lock_head(session)
    now = utcnow()
    for item in pending:
        seq += 1
        entry = AuditEntry(id=seq, at=now, prev_hash=last_hash, hash="", **item.model_dump())
        entry.hash = entry_hash(entry)
        last_hash = entry.hash
        session.add(entry)
    session.execute(
        update(AuditHead)
        .where(col(AuditHead.id) == HEAD_ID)
        .values(seq=seq, last_hash=last_hash)
        .execution_options(synchronize_session=False)
    )


def _lock_head(session: Session) -> tuple[int, str]:
    """The head, locked until the transaction ends: a row lock on PostgreSQL; on SQLite an
    UPDATE as the first write takes the database write lock before the head is read."""
    for _ in range(2):
        row = session.execute(
            update(AuditHead)
            .where(col(AuditHead.id) == HEAD_ID)
            .values(seq=col(AuditHead.seq))
            .returning(col(AuditHead.seq), col(AuditHead.last_hash))
            .execution_options(synchronize_session=False)
        ).first()
        if row is not None:
            return int(row[0]), str(row[1])
        _create_head(session)
    raise RuntimeError("the audit chain's head row cannot be created")


def _create_head(session: Session) -> None:
    # The head is missing only in a database emptied by hand (or by the tests' TRUNCATE).
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    statement = insert(AuditHead).values(id=HEAD_ID, seq=0, last_hash=GENESIS)
    session.execute(statement.on_conflict_do_nothing())


# -- hashing and verifying -------------------------------------------------------------------


def canonical_time(value: datetime) -> str:
    return as_utc(value).astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(entry: AuditEntry) -> str:
    """sha256 of the canonical JSON of the entry's fields and the previous entry's hash."""
    fields = {
        "id": entry.id,
        "at": canonical_time(entry.at),
        "actor_id": entry.actor_id,
        "actor": entry.actor,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "meeting_id": entry.meeting_id,
        "detail": entry.detail,
        "address": entry.address,
        "prev_hash": entry.prev_hash,
    }
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def check_chain(session: Session) -> ChainReport:
    """Recompute the whole chain; the number of entries and the first break, if any."""
    count, last_hash, broken = 0, GENESIS, None
    for entry in _entries(session):
        broken = _check_entry(entry, expected_id=count + 1, prev_hash=last_hash)
        if broken is not None:
            break
        count, last_hash = entry.id, entry.hash
    if broken is None:
        broken = _check_head(session, count, last_hash)
    return ChainReport(entries=count if broken is None else _total(session), broken=broken)


def verify(session: Session) -> ChainBreak | None:
    """The first broken entry of the chain, or None when it is intact."""
    return check_chain(session).broken


def _entries(session: Session, batch: int = 1000) -> Iterator[AuditEntry]:
    # Keyset pages rather than a server-side cursor, which a break would leave open.
    after: int | None = None
    while True:
        query = select(AuditEntry).order_by(col(AuditEntry.id)).limit(batch)
        if after is not None:
            query = query.where(col(AuditEntry.id) > after)
        rows = list(session.exec(query.execution_options(populate_existing=True)))
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id


def _check_entry(entry: AuditEntry, *, expected_id: int, prev_hash: str) -> ChainBreak | None:
    if entry.id != expected_id:
        return ChainBreak(expected_id, f"missing (the chain jumps to entry {entry.id})")
    if entry.prev_hash != prev_hash:
        return ChainBreak(entry.id, "does not follow the entry before it (prev_hash differs)")
    if entry_hash(entry) != entry.hash:
        return ChainBreak(entry.id, "was changed after it was written (hash differs)")
    return None


def _check_head(session: Session, count: int, last_hash: str) -> ChainBreak | None:
    head = session.get(AuditHead, HEAD_ID, populate_existing=True)
    seq, head_hash = (head.seq, head.last_hash) if head else (0, GENESIS)
    if seq > count:
        return ChainBreak(count + 1, f"missing (the chain should hold {seq} entries)")
    if seq < count or head_hash != last_hash:
        return ChainBreak(count, "does not match the chain's recorded head")
    return None


def _total(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(AuditEntry)).one())


# -- listing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """What the admin page and `hop audit list` filter on; empty fields match everything."""

    action: str = ""  # a prefix: "poll" matches poll.opened, poll.closed…
    actor: str = ""
    meeting_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def list_entries(
    session: Session, *, where: AuditFilter, limit: int = 50, offset: int = 0
) -> tuple[list[AuditEntry], int]:
    """One page of matching entries, newest first, and how many match in all."""
    query = select(AuditEntry)
    counter = select(func.count()).select_from(AuditEntry)
    for condition in _conditions(where):
        query, counter = query.where(condition), counter.where(condition)
    rows = session.exec(query.order_by(col(AuditEntry.id).desc()).offset(offset).limit(limit))
    return list(rows), int(session.exec(counter).one())


def _conditions(where: AuditFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.action:
        prefix = where.action.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(col(AuditEntry.action).like(f"{prefix}%", escape="\\"))
    if where.actor:
        conditions.append(col(AuditEntry.actor) == where.actor)
    if where.meeting_id is not None:
        conditions.append(col(AuditEntry.meeting_id) == where.meeting_id)
    if where.since is not None:
        conditions.append(col(AuditEntry.at) >= where.since)
    if where.until is not None:
        conditions.append(col(AuditEntry.at) < where.until)
    return conditions
