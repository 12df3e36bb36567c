"""Comment rounds on a draft (issue 17, point 2): open, draft, submit, amend, deadline, the
anonymous round, the overview, answers and reminders (against aiosmtpd)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from core.errors import ConflictError, InvalidInputError, PermissionDeniedError
from models import (
    AnswerVerdict,
    AuditEntry,
    CommentRound,
    DraftSection,
    Person,
    ResponseStatus,
    Role,
    RoundComment,
    RoundResponse,
    RoundStatus,
    SectionKind,
    Stance,
)
from models.base import utcnow
from tests.factories import invite, make_document, make_meeting, make_user
from tests.meetings.smtp_support import Mailbox, body_of, config_for, smtp_server
from voting import round_answers, rounds
from voting.rounds import CommentIn, RoundFields

SECRET = b"a-server-secret-that-is-long-enough-0123456789"
mailbox = smtp_server
SECTIONS = [
    (SectionKind.chapter, "Chương I", "QUY ĐỊNH CHUNG", None),
    (SectionKind.article, "Điều 1", "Phạm vi điều chỉnh", 0),
    (SectionKind.clause, "Khoản 1", "", 1),
    (SectionKind.article, "Điều 2", "Đối tượng áp dụng", 0),
]


@dataclass
class Scene:
    session: Session
    clerk: Person
    drafter: Person
    members: list[Person]
    round: CommentRound

    def say(self, person: Person, *comments: CommentIn, submit: bool = True) -> rounds.ResponseView:
        """Save or submit, and commit (as the web layer does)."""
        view = rounds.save_response(
            self.session,
            round=self.round,
            person=person,
            comments=list(comments),
            submit=submit,
            secret=SECRET,
        )
        self.session.commit()
        return view


def make_scene(session: Session, client: TestClient, *, anonymous: bool = False) -> Scene:
    clerk = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk, title="Kỳ họp thứ 7")
    members = [make_user(session, full_name=f"Trần Thị Góp Ý {n}") for n in range(3)]
    for person in members:
        invite(session, meeting, person)
    drafter = make_user(session, full_name="Phòng Tư pháp")
    document = make_document(session, client, meeting, clerk, title="Dự thảo Nghị quyết")
    found = rounds.create_round(
        session,
        meeting=meeting,
        document=document,
        fields=RoundFields(
            title="Góp ý dự thảo Nghị quyết",
            anonymous=anonymous,
            deadline=utcnow() + timedelta(days=2),
            drafter_ids=[drafter.id or 0],
        ),
        by=clerk,
    )
    for position, (kind, label, title, parent) in enumerate(SECTIONS):
        session.add(
            DraftSection(
                version_id=found.version_id,
                position=position,
                parent_position=parent,
                kind=kind,
                label=label,
                title=title,
                text=f"Nội dung {label}",
            )
        )
    session.commit()
    rounds.open_round(session, round=found, by=clerk)
    session.commit()
    return Scene(session, clerk, drafter, members, found)


@pytest.fixture
def scene(session: Session, client: TestClient) -> Scene:
    return make_scene(session, client)


AGREE_1 = CommentIn(1, Stance.agree)
AMEND_2 = CommentIn(2, Stance.amend, "Nên rõ hơn", "Khoản 1 áp dụng cho mọi phường.")
GENERAL = CommentIn(None, Stance.general, "Dự thảo cần thêm điều khoản chuyển tiếp.")


def test_a_round_opens_only_once_the_draft_is_split(session: Session, client: TestClient) -> None:
    clerk = make_user(session, role=Role.secretariat)
    meeting = make_meeting(session, creator=clerk)
    invite(session, meeting, make_user(session))
    document = make_document(session, client, meeting, clerk)
    found = rounds.create_round(
        session, meeting=meeting, document=document, fields=RoundFields(title="Góp ý"), by=clerk
    )
    with pytest.raises(ConflictError, match="Split the draft"):
        rounds.open_round(session, round=found, by=clerk)
    assert found.status == RoundStatus.draft


def test_a_draft_is_seen_by_its_author_only_then_submitted_and_amended(scene: Scene) -> None:
    member = scene.members[0]
    draft = scene.say(member, AGREE_1, submit=False)
    assert draft.status == ResponseStatus.draft
    assert round_answers.current_comments(scene.session, scene.round) == []  # not shown yet

    first = scene.say(member, AGREE_1, AMEND_2, GENERAL)
    assert (first.status, first.revision, first.submitted_revisions) == ("submitted", 1, 1)
    assert len(round_answers.current_comments(scene.session, scene.round)) == 3
    again = scene.say(member, AGREE_1, AMEND_2, GENERAL)  # sent twice: one revision
    assert again.submitted_revisions == 1

    amended = scene.say(member, CommentIn(1, Stance.disagree, "Phạm vi quá rộng"))
    assert (amended.revision, amended.submitted_revisions) == (2, 2)
    current = round_answers.current_comments(scene.session, scene.round)
    assert [(c.section_position, c.stance) for c in current] == [(1, Stance.disagree)]
    kept = scene.session.exec(select(RoundResponse)).all()
    assert sorted(r.revision for r in kept) == [1, 2]  # every submission kept
    assert len(scene.session.exec(select(RoundComment)).all()) == 4


def test_bad_comments_are_refused_and_nothing_is_stored(scene: Scene) -> None:
    member = scene.members[0]
    bad = [
        [CommentIn(99, Stance.agree)],  # no such section
        [CommentIn(None, Stance.agree)],  # the whole draft takes "general"
        [CommentIn(1, Stance.general, "x")],
        [CommentIn(1, Stance.disagree)],  # disagreeing says why
        [CommentIn(1, Stance.amend)],  # amending gives the wording
        [AGREE_1, AGREE_1],  # one comment per section
        [CommentIn(1, Stance.disagree, "x" * 10_001)],
    ]
    for comments in bad:
        with pytest.raises(InvalidInputError):
            scene.say(member, *comments)
        scene.session.rollback()
    assert scene.session.exec(select(RoundResponse)).all() == []
    with pytest.raises(PermissionDeniedError):
        scene.say(scene.drafter, AGREE_1)  # the drafting body answers, it does not comment
    with pytest.raises(PermissionDeniedError):
        scene.say(make_user(scene.session), AGREE_1)


def test_the_deadline_closes_the_round_by_itself(scene: Scene) -> None:
    scene.say(scene.members[0], AGREE_1)
    deadline = scene.round.deadline
    assert deadline is not None
    assert rounds.close_due_rounds(session=scene.session) == []
    later = deadline + timedelta(seconds=1)
    with pytest.raises(ConflictError, match="not open"):
        rounds.save_response(
            scene.session,
            round=scene.round,
            person=scene.members[1],
            comments=[AGREE_1],
            submit=True,
            secret=SECRET,
            now=later,
        )
    scene.session.rollback()
    assert rounds.close_due_rounds(session=scene.session, now=later) == [scene.round.id]
    assert scene.session.get(CommentRound, scene.round.id).status == RoundStatus.closed  # type: ignore[union-attr]
    actions = scene.session.exec(select(AuditEntry.action)).all()
    assert {"round.created", "round.opened", "round.submitted", "round.closed"} <= set(actions)


def test_an_anonymous_round_names_no_member(session: Session, client: TestClient) -> None:
    scene = make_scene(session, client, anonymous=True)
    scene.say(scene.members[0], AGREE_1, GENERAL)
    scene.say(scene.members[1], AMEND_2)
    responses = session.exec(select(RoundResponse)).all()
    ids = {str(member.id) for member in scene.members}
    assert all(r.person_id is None and r.saved_at is None for r in responses)
    assert all(r.author_key not in ids and not r.author_key.startswith("p:") for r in responses)
    views = round_answers.comment_views(session, scene.round)
    assert len(views) == 3
    assert all(view.author is None for view in views)
    # The member still finds and amends their own response.
    mine = rounds.my_response(session, round=scene.round, person=scene.members[0], secret=SECRET)
    assert len(mine.comments) == 2
    overview = round_answers.overview(session, scene.round)
    assert (overview.invited, overview.answered) == (3, 2)


def test_the_overview_counts_per_article_and_names_who_has_not_answered(scene: Scene) -> None:
    scene.say(scene.members[0], AGREE_1, GENERAL)
    scene.say(scene.members[1], CommentIn(1, Stance.disagree, "Không rõ"), AMEND_2)
    overview = round_answers.overview(scene.session, scene.round)
    assert (overview.invited, overview.answered) == (3, 2)
    assert [m.name for m in overview.missing] == ["Trần Thị Góp Ý 2"]
    by_position = {s.position: s for s in overview.sections}
    assert by_position[None].general == 1
    assert (by_position[1].agree, by_position[1].disagree) == (1, 1)
    assert by_position[2].amend == 1
    named = {view.author for view in round_answers.comment_views(scene.session, scene.round)}
    assert named == {"Trần Thị Góp Ý 0", "Trần Thị Góp Ý 1"}


def test_the_drafting_body_answers_and_merges(scene: Scene) -> None:
    scene.say(scene.members[0], CommentIn(1, Stance.disagree, "Phạm vi quá rộng"))
    scene.say(scene.members[1], CommentIn(1, Stance.disagree, "Nên thu hẹp phạm vi"))
    first, second = (v.comment for v in round_answers.comment_views(scene.session, scene.round))
    assert rounds.sees_all(scene.session, round=scene.round, viewer=scene.drafter)
    assert not rounds.sees_all(scene.session, round=scene.round, viewer=scene.members[0])

    def answer(comment_id: int, verdict: AnswerVerdict, text: str, merged: int | None = None):  # type: ignore[no-untyped-def]
        answered = round_answers.answer_comment(
            scene.session,
            round=scene.round,
            comment_id=comment_id,
            verdict=verdict,
            text=text,
            merged_into=merged,
            by=scene.drafter,
        )
        scene.session.commit()
        return answered

    answer(first.id or 0, AnswerVerdict.accepted, "Đã thu hẹp phạm vi tại Điều 1.")
    answer(second.id or 0, AnswerVerdict.merged, "", merged=first.id)
    for bad in (
        (second.id or 0, AnswerVerdict.merged, "", second.id),  # not with itself
        (second.id or 0, AnswerVerdict.explained, "", None),  # an explanation says why
        (second.id or 0, AnswerVerdict.accepted, "", first.id),  # only a merge names another
        (10_000, AnswerVerdict.accepted, "", None),
    ):
        with pytest.raises(InvalidInputError):
            answer(*bad)
        scene.session.rollback()
    views = {v.comment.id: v for v in round_answers.comment_views(scene.session, scene.round)}
    assert views[first.id].answer.verdict == AnswerVerdict.accepted  # type: ignore[union-attr]
    assert views[second.id].answer.merged_into == first.id  # type: ignore[union-attr]


def test_reminders_reach_those_who_have_not_answered_once(scene: Scene, mailbox: Mailbox) -> None:
    for n, member in enumerate(scene.members):
        member.email = f"gopy{n}@hoidong.example"
        scene.session.add(member)
    scene.session.commit()
    scene.say(scene.members[0], AGREE_1)
    scene.session.commit()
    config = config_for(mailbox.port)
    link_for = round_answers.LinkFor("https://hop.example")
    soon = (scene.round.deadline or utcnow()) - timedelta(hours=2)
    assert round_answers.remind_due(scene.session, config=config, link_for=link_for) == []
    reminded = round_answers.remind_due(scene.session, config=config, link_for=link_for, now=soon)
    assert reminded == [scene.round.id]
    assert sorted(m["To"] for m in mailbox.messages) == [
        "gopy1@hoidong.example",
        "gopy2@hoidong.example",
    ]
    text = body_of(mailbox.messages[0])
    assert "Kính gửi" in text
    assert f"https://hop.example/rounds/{scene.round.id}" in text
    # Once is enough: the automatic round does not remind them again.
    assert round_answers.remind_due(scene.session, config=config, link_for=link_for, now=soon) == []
    assert len(mailbox.messages) == 2
