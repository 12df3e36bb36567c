"""Encrypted polls through the services: the ciphertext table's layout, a multiple-choice
poll with a proxy, a poll nobody voted in, and the counts handed to voting.tally."""

from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from models import (
    EncryptedBallot,
    EncryptedBallotCast,
    EncryptedPollCreate,
    Person,
    Poll,
    PollStatus,
    ProxyCreate,
    SecretVoter,
)
from tests.factories import Room, check_out, nonce
from voting import encrypted_committee, polls, proxies
from voting.encrypted.audit import verify_board
from voting.encrypted.devices import SETUP_PHASES, Committee, tablet
from voting.encrypted.shape import derive_shape
from voting.encrypted_polls import casting, results, store, trustees
from voting.errors import NotCheckedInError


def board(session: Session, poll: Poll) -> dict[str, Any]:
    assert poll.id is not None
    return store.document(session, poll.id)


def draft(room: Room, **fields: Any) -> Poll:
    data = EncryptedPollCreate.model_validate(
        {
            "title": "Bầu Ủy viên Thường trực",
            "trustees": [p.id for p in room.delegates[:3]],
            **fields,
        }
    )
    return encrypted_committee.create_encrypted_poll(
        session=room.session, meeting=room.meeting, data=data, creator=room.chair
    )


def post(room: Room, poll: Poll, committee: Committee, kind: str, index: int) -> None:
    body = committee.devices[index - 1].body(kind, board(room.session, poll))
    assert poll.id is not None
    trustees.post_trustee_entry(
        session=room.session,
        poll_id=poll.id,
        person=room.delegates[index - 1],
        kind=kind,
        body=body,
    )


def opened(room: Room, **fields: Any) -> tuple[Poll, Committee]:
    poll = draft(room, **fields)
    committee = Committee.of(3)
    for kind in SETUP_PHASES:
        for device in committee.devices:
            post(room, poll, committee, kind, device.index)
    return polls.open_poll(session=room.session, poll=poll), committee


def cast(room: Room, poll: Poll, voter: Person, options: list[str], **extra: Any) -> str:
    reveal = tablet(board(room.session, poll), options, abstain=not options)
    data = EncryptedBallotCast(ballot=reveal["ballot"], nonce=nonce(), **extra)
    assert poll.id is not None
    assert voter.id is not None
    ack = casting.cast_encrypted_ballot(
        session=room.session, poll_id=poll.id, person_id=voter.id, cast=data
    )
    return ack.tracking_code


def test_the_ciphertext_table_says_nothing_of_who_or_when(room: Room) -> None:
    """No column that names a person, a time or a sequence; a random key; no rowid."""
    bind = room.session.get_bind()
    columns = {c["name"]: c for c in inspect(bind).get_columns("encrypted_ballot")}
    assert set(columns) == {"id", "poll_id", "tracking_code", "ballot"}
    assert all(c.get("default") is None for c in columns.values())
    assert not columns["id"].get("autoincrement") or bind.dialect.name == "sqlite"
    keys = inspect(bind).get_foreign_keys("encrypted_ballot")
    assert [k["referred_table"] for k in keys] == ["poll"]
    model = EncryptedBallot.__table__  # type: ignore[attr-defined]
    assert not any("DATE" in str(c.type).upper() or "TIME" in str(c.type).upper() for c in model.c)
    if bind.dialect.name == "sqlite":
        sql = room.session.exec(  # type: ignore[call-overload]
            text("SELECT sql FROM sqlite_master WHERE name = 'encrypted_ballot'")
        ).scalar_one()
        assert "WITHOUT ROWID" in sql.upper()


def test_a_multiple_choice_poll_with_a_proxy(room: Room) -> None:
    holder, absent = room.delegates[3], room.delegates[4]
    check_out(room.session, room.meeting, absent)
    data = ProxyCreate(holder_id=holder.id or 0, represented_id=absent.id or 0)
    proxies.record_proxy(session=room.session, meeting=room.meeting, data=data, recorder=room.clerk)
    poll, committee = opened(
        room, kind="multiple", options=["Lan", "Minh", "Hoa"], min_choices=1, max_choices=2
    )
    with pytest.raises(NotCheckedInError):
        cast(room, poll, absent, ["1"])
    cast(room, poll, room.delegates[0], ["1", "2"])
    cast(room, poll, room.delegates[1], ["1"])
    cast(room, poll, room.delegates[2], [])  # abstains
    cast(room, poll, holder, ["3"])
    cast(room, poll, holder, ["1", "3"], on_behalf_of=absent.id)
    awaiting = polls.close_poll(session=room.session, poll=poll)
    assert awaiting["ballots"] == 5
    assert polls.close_poll(session=room.session, poll=poll) == awaiting  # closing again
    document = board(room.session, poll)
    close = next(e for e in document["entries"] if e["kind"] == "close")
    assert absent.id in close["body"]["voters"]
    assert holder.id in close["body"]["voters"]
    post(room, poll, committee, "partial", 2)
    post(room, poll, committee, "partial", 3)
    room.session.refresh(poll)
    assert poll.status == PollStatus.closed
    assert poll.result is not None
    assert [o["votes"] for o in poll.result["options"]] == [3, 1, 2]
    assert poll.result["abstentions"] == 1
    assert poll.result["winners"] == ["1", "3"]
    assert verify_board(board(room.session, poll)).counts == [3, 1, 2, 1]


def test_a_poll_nobody_voted_in_has_its_result_at_close(room: Room) -> None:
    poll, _ = opened(room)
    result = polls.close_poll(session=room.session, poll=poll)
    assert result["ballots"] == 0
    assert result["decrypted_by"] == []
    kinds = [e["kind"] for e in board(room.session, poll)["entries"]]
    assert kinds[-2:] == ["close", "result"]
    assert verify_board(board(room.session, poll)).counts == [0, 0, 0]


def test_the_ballot_rows_are_rewritten_at_close(room: Room) -> None:
    poll, _ = opened(room)
    codes = {cast(room, poll, voter, ["yes"]) for voter in room.delegates[:3]}
    before = set(room.session.exec(select(EncryptedBallot.id)))
    polls.close_poll(session=room.session, poll=poll)
    rows = room.session.exec(select(EncryptedBallot)).all()
    assert {row.tracking_code for row in rows} == codes
    assert not before & {row.id for row in rows}  # new random keys
    assert len(room.session.exec(select(SecretVoter)).all()) == 3


def test_standing_choices_give_voting_tally_the_counts() -> None:
    shape = derive_shape("multiple", ["1", "2", "3"], 1, 2)
    choices = results.standing_choices(shape, [3, 1, 2, 1], 5)
    assert len(choices) == 5
    for o, slot in enumerate(shape.slots[:-1]):
        assert sum(slot in c["options"] for c in choices) == [3, 1, 2][o]
    assert sum(c["abstain"] for c in choices) == 1
