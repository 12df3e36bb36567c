"""Casting through the service: eligibility, nonces, changes, secret receipts, proxies."""

from datetime import timedelta

import pytest
from sqlmodel import Session, col, func, select

from models import Ballot, BallotCast, Event, ProxyCreate, SecretChoice, SecretVoter
from models.base import utcnow
from tests.factories import Room, check_out, make_user, nonce, seat
from voting import ballots, polls, proxies
from voting.errors import (
    AlreadyVotedError,
    DeadlinePassedError,
    InvalidBallotError,
    NotCheckedInError,
    NotEligibleError,
    NotInvitedError,
    NotProxyHolderError,
    NoVotingRightError,
    PollClosedError,
    PollNotOpenError,
    ProxyConflictError,
)


def count(session: Session, table: type[Ballot] | type[SecretVoter] | type[SecretChoice]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def test_a_ballot_is_acknowledged_and_stored_once(room: Room) -> None:
    poll = room.open()
    ack = room.cast(poll, room.delegates[0], choice="yes")
    assert ack.poll_id == poll.id
    assert ack.receipt is None
    stored = room.session.exec(select(Ballot)).one()
    assert stored.voter_id == room.delegates[0].id
    assert stored.choice == {"options": ["yes"], "abstain": False}


def test_the_same_nonce_again_gets_the_same_acknowledgement(room: Room) -> None:
    poll = room.open()
    cast = BallotCast(choice="yes", nonce=nonce())
    first = ballots.cast_ballot(session=room.session, poll=poll, voter=room.chair, cast=cast)
    again = ballots.cast_ballot(session=room.session, poll=poll, voter=room.chair, cast=cast)
    assert again == first
    assert count(room.session, Ballot) == 1


def test_a_second_ballot_with_another_nonce_is_refused(room: Room) -> None:
    poll = room.open()
    room.cast(poll, room.chair, choice="yes")
    with pytest.raises(AlreadyVotedError):
        room.cast(poll, room.chair, choice="no")
    assert room.session.exec(select(Ballot)).one().choice["options"] == ["yes"]


def test_a_named_ballot_may_change_while_open_when_allowed(room: Room) -> None:
    poll = room.open(allow_change=True)
    first = BallotCast(choice="yes", nonce=nonce())
    ballots.cast_ballot(session=room.session, poll=poll, voter=room.chair, cast=first)
    room.cast(poll, room.chair, choice="no")
    # A late resend of the first ballot is acknowledged but does not undo the change.
    ballots.cast_ballot(session=room.session, poll=poll, voter=room.chair, cast=first)
    stored = room.session.exec(select(Ballot)).one()
    assert stored.choice["options"] == ["no"]
    assert stored.changed_at is not None
    mine = ballots.my_ballot(session=room.session, poll=poll, viewer=room.chair)
    assert mine.choice == {"options": ["no"], "abstain": False}


def test_a_secret_ballot_is_split_and_gets_a_receipt(room: Room) -> None:
    poll = room.open(secret=True)
    cast = BallotCast(choice="no", nonce=nonce())
    ack = ballots.cast_ballot(session=room.session, poll=poll, voter=room.chair, cast=cast)
    assert ack.receipt is not None
    assert len(ack.receipt) == 11
    assert ballots.cast_ballot(session=room.session, poll=poll, voter=room.chair, cast=cast) == ack
    assert count(room.session, SecretVoter) == 1
    assert room.session.exec(select(SecretChoice)).one().receipt == ack.receipt
    assert count(room.session, Ballot) == 0
    with pytest.raises(AlreadyVotedError, match="cannot be changed"):
        room.cast(poll, room.chair, choice="yes")
    mine = ballots.my_ballot(session=room.session, poll=poll, viewer=room.chair)
    assert mine.voted
    assert mine.choice is None


def test_the_published_result_lists_receipts(room: Room) -> None:
    poll = room.open(secret=True)
    receipts = {room.cast(poll, d, choice="yes").receipt for d in room.delegates[:3]}
    result = polls.close_poll(session=room.session, poll=poll)
    assert {line["receipt"] for line in result["receipts"]} == receipts
    assert all(line["answer"] == "Yes" for line in result["receipts"])
    assert "voters" not in result


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"choice": "maybe"}, "choice"),
        ({}, "choice"),
        ({"choices": ["yes"]}, "choices"),
        ({"text": "hello"}, "text"),
    ],
)
def test_invalid_yes_no_ballots(room: Room, fields: dict[str, object], field: str) -> None:
    poll = room.open()
    with pytest.raises(InvalidBallotError) as refused:
        room.cast(poll, room.chair, **fields)
    assert refused.value.field == field
    assert count(room.session, Ballot) == 0


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        (["1"], "between 2 and 3"),
        (["1", "2", "3", "4"], "between 2 and 3"),
        (["1", "1"], "twice"),
        (["1", "9"], "Unknown options: 9"),
    ],
)
def test_multiple_choice_limits(room: Room, choices: list[str], message: str) -> None:
    poll = room.open(kind="multiple", options=["A", "B", "C", "D"], min_choices=2, max_choices=3)
    with pytest.raises(InvalidBallotError, match=message):
        room.cast(poll, room.chair, choices=choices)
    room.cast(poll, room.chair, choices=["3", "1"])
    stored = room.session.exec(select(Ballot)).one()
    assert stored.choice["options"] == ["1", "3"]


def test_opinions_need_text_or_a_position(room: Room) -> None:
    plain = room.open(kind="opinion")
    with pytest.raises(InvalidBallotError, match="Write an opinion"):
        room.cast(plain, room.chair, text="   ")
    with pytest.raises(InvalidBallotError, match="does not ask"):
        room.cast(plain, room.chair, text="OK", agree=True)
    room.cast(plain, room.chair, text="Đồng ý với dự thảo")


def test_who_may_not_vote_and_why(room: Room, session: Session) -> None:
    poll = room.open()
    stranger = make_user(session)
    observer = make_user(session)
    seat(session, room.meeting, observer, voting_right=False)
    room.present(observer)
    absent = room.delegates[0]
    check_out(session, room.meeting, absent)
    with pytest.raises(NotInvitedError):
        room.cast(poll, stranger, choice="yes")
    with pytest.raises(NoVotingRightError):
        room.cast(poll, observer, choice="yes")
    with pytest.raises(NotCheckedInError, match="Check in first"):
        room.cast(poll, absent, choice="yes")
    assert count(session, Ballot) == 0


def test_a_remote_poll_needs_only_the_voting_right(room: Room, session: Session) -> None:
    check_out(session, room.meeting, room.delegates[0])
    poll = room.open(eligibility="voting_right", kind="opinion")
    room.cast(poll, room.delegates[0], text="Góp ý từ xa")
    assert count(session, Ballot) == 1


def test_no_ballot_outside_the_open_state(room: Room) -> None:
    draft = room.poll()
    with pytest.raises(PollNotOpenError, match="not open yet"):
        room.cast(draft, room.chair, choice="yes")
    poll = room.open()
    polls.close_poll(session=room.session, poll=poll)
    with pytest.raises(PollClosedError, match="closed"):
        room.cast(poll, room.chair, choice="yes")


def test_a_poll_past_its_deadline_takes_no_ballots(room: Room) -> None:
    poll = room.open(deadline=utcnow() + timedelta(minutes=5))
    later = utcnow() + timedelta(minutes=6)
    cast = BallotCast(choice="yes", nonce=nonce())
    with pytest.raises(DeadlinePassedError):
        ballots.cast_ballot(session=room.session, poll=poll, voter=room.chair, cast=cast, now=later)


def test_a_ballot_event_tells_managers_only_that_someone_voted(room: Room) -> None:
    poll = room.open(secret=True)
    room.cast(poll, room.chair, choice="yes")
    event = room.session.exec(select(Event).order_by(col(Event.seq).desc())).first()
    assert event is not None
    assert (event.type, event.audience) == ("poll.ballot", "managers")
    assert event.data == {"poll_id": poll.id}


# Proxies ---------------------------------------------------------------------------------


def give_proxy(room: Room, holder_index: int, represented_index: int) -> None:
    data = ProxyCreate(
        holder_id=room.delegates[holder_index].id or 0,
        represented_id=room.delegates[represented_index].id or 0,
    )
    proxies.record_proxy(session=room.session, meeting=room.meeting, data=data, recorder=room.clerk)


def test_a_proxy_holder_casts_both_ballots_separately(room: Room) -> None:
    holder, absent = room.delegates[0], room.delegates[1]
    check_out(room.session, room.meeting, absent)
    give_proxy(room, 0, 1)
    poll = room.open()
    room.cast(poll, holder, choice="yes")
    ack = room.cast(poll, holder, choice="no", on_behalf_of=absent.id)
    assert ack.on_behalf_of == absent.id
    rows = {row.voter_id: row for row in room.session.exec(select(Ballot))}
    assert rows[absent.id].cast_by_id == holder.id
    assert rows[absent.id].choice["options"] == ["no"]
    assert rows[holder.id].cast_by_id is None
    result = polls.close_poll(session=room.session, poll=poll)
    assert result["represented"] == 1
    assert result["eligible"] == 6  # five present, one represented
    line = next(v for v in result["voters"] if v["person_id"] == absent.id)
    assert line["cast_by_id"] == holder.id


def test_a_proxy_counts_only_while_its_holder_is_present(room: Room) -> None:
    holder, absent = room.delegates[0], room.delegates[1]
    check_out(room.session, room.meeting, absent, holder)
    give_proxy(room, 0, 1)
    poll = room.open()
    with pytest.raises(NotCheckedInError, match="holder is present"):
        room.cast(poll, holder, choice="no", on_behalf_of=absent.id)
    mine = ballots.my_ballot(session=room.session, poll=poll, viewer=holder, on_behalf_of=absent.id)
    assert not mine.eligible
    assert mine.reason is not None


def test_no_proxy_no_ballot_for_another(room: Room) -> None:
    poll = room.open()
    with pytest.raises(NotProxyHolderError):
        room.cast(poll, room.delegates[0], choice="yes", on_behalf_of=room.delegates[1].id)


def test_a_present_member_votes_in_person(room: Room) -> None:
    give_proxy(room, 0, 1)
    poll = room.open()
    with pytest.raises(NotEligibleError, match="votes in person"):
        room.cast(poll, room.delegates[0], choice="yes", on_behalf_of=room.delegates[1].id)


def test_a_proxy_is_given_once_and_never_in_a_chain(room: Room) -> None:
    give_proxy(room, 0, 1)
    with pytest.raises(ProxyConflictError):
        give_proxy(room, 2, 1)
    with pytest.raises(ProxyConflictError):
        give_proxy(room, 1, 3)
    with pytest.raises(ProxyConflictError):
        give_proxy(room, 3, 0)
    listed = proxies.list_proxies(session=room.session, meeting=room.meeting)
    assert [(p.holder_name, p.represented_name) for p in listed] == [
        (room.delegates[0].full_name, room.delegates[1].full_name)
    ]


def test_my_ballot_lists_the_members_i_represent(room: Room) -> None:
    give_proxy(room, 0, 1)
    poll = room.open()
    mine = ballots.my_ballot(session=room.session, poll=poll, viewer=room.delegates[0])
    assert mine.eligible
    assert not mine.voted
    assert mine.represents == [room.delegates[1].id]
