"""Poll services: drafting rules, the life cycle, quorum at opening, results at closing."""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, col, select

from models import Event, PollCreate, PollStatus, PollUpdate
from models.base import utcnow
from tests.factories import Room, check_out, make_document
from voting import polls, tally
from voting.errors import InvalidPollError, PollStateError, QuorumNotMetError


def events(session: Session, meeting_id: int | None, prefix: str = "poll.") -> list[Event]:
    rows = session.exec(
        select(Event).where(Event.meeting_id == meeting_id).order_by(col(Event.seq))
    ).all()
    return [row for row in rows if row.type.startswith(prefix)]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "single", "options": ["Only one"]}, "at least two options"),
        ({"kind": "single", "options": ["A", "a"]}, "same label"),
        ({"kind": "yes_no", "options": ["A", "B"]}, "takes no options"),
        ({"kind": "multiple", "options": ["A", "B"], "max_choices": 3}, "min_choices"),
        ({"secret": True, "allow_change": True}, "cannot be changed"),
        ({"quorum_fraction": "3/2"}, "cannot exceed 1"),
        ({"quorum_fraction": "half"}, "1/2 or 2/3"),
        ({"quorum_fraction": "1/2", "quorum_count": 3}, "not both"),
        ({"kind": "opinion", "majority_rule": "simple"}, "no majority rule"),
        ({"majority_rule": "plurality"}, "yes/no poll"),
        ({"kind": "single", "options": ["A", "B"], "majority_rule": "simple"}, "choice poll"),
        ({"opinion_agree": True}, "opinion polls only"),
    ],
)
def test_contradictory_polls_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PollCreate.model_validate({"title": "T", **fields})


def test_defaults_fill_in_the_majority_rule() -> None:
    assert PollCreate(title="T").majority_rule == "simple"
    assert PollCreate(title="T", kind="single", options=["A", "B"]).majority_rule == "plurality"
    assert PollCreate(title="T", kind="opinion").majority_rule is None


def test_a_choice_poll_numbers_its_options(room: Room) -> None:
    poll = room.poll(kind="multiple", options=[" Lan ", "Minh", "Hoa"], max_choices=2)
    assert poll.options == [
        {"id": "1", "label": "Lan"},
        {"id": "2", "label": "Minh"},
        {"id": "3", "label": "Hoa"},
    ]
    assert poll.status == PollStatus.draft
    yes_no = room.poll()
    assert [option["id"] for option in yes_no.options] == ["yes", "no"]


def test_a_poll_keeps_the_hash_of_the_document_version(
    room: Room, client: TestClient, session: Session
) -> None:
    document = make_document(session, client, room.meeting, room.clerk, content=None)
    poll = room.poll(document_id=document.id)
    assert poll.document_version == 1
    assert poll.document_sha256 is not None
    assert len(poll.document_sha256) == 64
    with pytest.raises(InvalidPollError, match="no version 7"):
        room.poll(document_id=document.id, document_version=7)


def test_a_draft_can_change_kind_and_is_checked_as_a_whole(room: Room) -> None:
    poll = room.poll()
    changed = polls.update_poll(
        session=room.session,
        poll=poll,
        data=PollUpdate(kind="single", options=["Lan", "Minh"]),
    )
    assert changed.majority_rule == "plurality"
    assert len(changed.options) == 2
    with pytest.raises(InvalidPollError, match="at least two options"):
        polls.update_poll(session=room.session, poll=poll, data=PollUpdate(options=["Lan"]))


def test_opening_sends_the_ballot_to_everyone(room: Room) -> None:
    poll = room.open(quorum_fraction="1/2")
    assert poll.status == PollStatus.open
    assert poll.present_at_open == 6
    assert poll.quorum_required == 3
    opened = events(room.session, room.meeting.id)[-1]
    assert opened.type == "poll.opened"
    assert opened.audience == "everyone"
    assert opened.data["poll"]["title"] == poll.title
    assert opened.data["poll"]["options"][0]["id"] == "yes"


def test_opening_without_quorum_is_refused_with_the_numbers(room: Room) -> None:
    check_out(room.session, room.meeting, *room.delegates[:4])
    poll = room.poll(quorum_fraction="2/3")
    with pytest.raises(QuorumNotMetError, match="2 of 6 members .* present, 4 needed"):
        polls.open_poll(session=room.session, poll=poll)
    room.session.refresh(poll)
    assert poll.status == PollStatus.draft
    assert events(room.session, room.meeting.id)[-1].type == "poll.created"


def test_a_deadline_in_the_past_cannot_be_opened(room: Room) -> None:
    poll = room.poll(deadline=utcnow() - timedelta(minutes=1))
    with pytest.raises(InvalidPollError, match="deadline"):
        polls.open_poll(session=room.session, poll=poll)


def test_the_life_cycle_and_its_events(room: Room) -> None:
    poll = room.open()
    for voter, choice in zip(room.delegates, ["yes", "yes", "no", "abstain", "yes"], strict=True):
        room.cast(poll, voter, choice=choice)
    result = polls.close_poll(session=room.session, poll=poll)
    assert result["verdict"] == "adopted"
    assert [o["votes"] for o in result["options"]] == [3, 1]
    assert result["abstentions"] == 1
    assert (result["ballots"], result["valid"], result["eligible"]) == (5, 5, 6)
    assert polls.close_poll(session=room.session, poll=poll) == result
    published = polls.publish_poll(session=room.session, poll=poll)
    assert published == result
    assert polls.publish_poll(session=room.session, poll=poll) == result
    kinds = [(e.type, e.audience) for e in events(room.session, room.meeting.id)]
    assert kinds[0] == ("poll.created", "managers")
    assert ("poll.closed", "everyone") in kinds
    assert ("poll.result", "managers") in kinds
    assert kinds[-1] == ("poll.published", "everyone")
    # Every screen is sent the counts and the verdict, not a line per voter (read over HTTP).
    pushed = events(room.session, room.meeting.id)[-1].data["result"]
    assert pushed == tally.summary(result)
    assert "voters" in result
    assert "voters" not in pushed
    assert pushed["verdict"] == "adopted"
    assert pushed["options"] == result["options"]


@pytest.mark.parametrize("step", [polls.close_poll, polls.publish_poll])
def test_a_draft_cannot_be_closed_or_published(room: Room, step: Any) -> None:
    with pytest.raises(PollStateError, match="draft poll cannot be"):
        step(session=room.session, poll=room.poll())


def test_a_closed_poll_cannot_be_cancelled_or_reopened(room: Room) -> None:
    poll = room.open()
    polls.close_poll(session=room.session, poll=poll)
    with pytest.raises(PollStateError):
        polls.cancel_poll(session=room.session, poll=poll)
    with pytest.raises(PollStateError):
        polls.open_poll(session=room.session, poll=poll)


def test_cancelling_an_open_poll_tells_everyone(room: Room) -> None:
    poll = polls.cancel_poll(session=room.session, poll=room.open())
    assert poll.status == PollStatus.cancelled
    last = events(room.session, room.meeting.id)[-1]
    assert (last.type, last.audience) == ("poll.cancelled", "everyone")


def test_a_named_result_lists_who_voted_what(room: Room) -> None:
    poll = room.open(kind="single", options=["Lan", "Minh"])
    room.cast(poll, room.delegates[0], choice="2")
    room.cast(poll, room.delegates[1], choice="abstain")
    result = polls.close_poll(session=room.session, poll=poll)
    voters = {line["person_id"]: line for line in result["voters"]}
    assert voters[room.delegates[0].id]["answer"] == "Minh"
    assert voters[room.delegates[1].id]["answer"] == "Abstain"
    assert result["verdict"] == "elected"
    assert result["winners"] == ["2"]
    assert "receipts" not in result


def test_an_opinion_poll_lists_opinions_and_counts(room: Room) -> None:
    poll = room.open(kind="opinion", opinion_agree=True)
    room.cast(poll, room.delegates[0], text="Nên bổ sung điều 5", agree=True)
    room.cast(poll, room.delegates[1], agree=False)
    room.cast(poll, room.delegates[2], text="Không ý kiến thêm")
    result = polls.close_poll(session=room.session, poll=poll)
    assert (result["agree"], result["disagree"], result["no_position"]) == (1, 1, 1)
    texts = {line["text"] for line in result["opinions"]}
    assert "Nên bổ sung điều 5" in texts
    assert all("full_name" in line for line in result["opinions"])
    assert result["verdict"] is None


def test_quorum_at_closing_is_reported(room: Room) -> None:
    poll = room.open(quorum_count=5)
    check_out(room.session, room.meeting, *room.delegates[:3])
    result = polls.close_poll(session=room.session, poll=poll)
    assert result["present_at_open"] == 6
    assert result["present"] == 3
    assert result["quorum_met"] is False
