"""Who may vote: members with a voting right, present unless the poll says otherwise, and
members represented by a proxy holder who is present."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session, col, select

from meetings.presence import is_present, present_among, present_person_ids
from models import Eligibility, Invitation, Person, Poll, Proxy
from voting.errors import (
    NotCheckedInError,
    NotEligibleError,
    NotInvitedError,
    NotProxyHolderError,
    NoVotingRightError,
)


@dataclass(frozen=True)
class Roll:
    """A meeting's voters at one moment."""

    members: frozenset[int]  # invitees with a voting right
    present: frozenset[int]  # members checked in
    represented: frozenset[int]  # absent members whose proxy holder is present

    def eligible(self, eligibility: Eligibility) -> frozenset[int]:
        if eligibility == Eligibility.voting_right:
            return self.members
        return self.present | self.represented


def take_roll(*, session: Session, meeting_id: int) -> Roll:
    """Members, who of them is present, and who is represented by a present holder."""
    members = frozenset(
        session.exec(
            select(Invitation.person_id).where(
                Invitation.meeting_id == meeting_id,
                Invitation.voting_right == True,  # noqa: E712
            )
        )
    )
    present = members & present_person_ids(session=session, meeting_id=meeting_id)
    holders = proxy_holders(session=session, meeting_id=meeting_id)
    represented = frozenset(
        member
        for member, holder in holders.items()
        if member in members and member not in present and holder in present
    )
    return Roll(members=members, present=present, represented=represented)


def proxy_holders(*, session: Session, meeting_id: int) -> dict[int, int]:
    """Represented member → holder of their proxy."""
    rows = session.exec(
        select(Proxy.represented_id, Proxy.holder_id).where(Proxy.meeting_id == meeting_id)
    )
    return dict(rows.all())


def represented_by(*, session: Session, meeting_id: int, holder_id: int) -> list[int]:
    """The members whose proxy this person holds."""
    query = select(Proxy.represented_id).where(
        Proxy.meeting_id == meeting_id, Proxy.holder_id == holder_id
    )
    return sorted(session.exec(query))


class Facts(Protocol):
    """What the eligibility checks need to know about people in the poll's meeting."""

    def invitation(self, person_id: int) -> Invitation | None: ...
    def present(self, person_id: int) -> bool: ...
    def holds_proxy(self, holder_id: int, represented_id: int) -> bool: ...
    def name(self, person_id: int) -> str: ...


class SessionFacts:
    """Facts read from the database one question at a time (a single cast)."""

    def __init__(self, session: Session, meeting_id: int) -> None:
        self.session, self.meeting_id = session, meeting_id

    def invitation(self, person_id: int) -> Invitation | None:
        return _invitation(self.session, self.meeting_id, person_id)

    def present(self, person_id: int) -> bool:
        return is_present(session=self.session, meeting_id=self.meeting_id, person_id=person_id)

    def holds_proxy(self, holder_id: int, represented_id: int) -> bool:
        query = select(Proxy.id).where(
            Proxy.meeting_id == self.meeting_id,
            Proxy.holder_id == holder_id,
            Proxy.represented_id == represented_id,
        )
        return self.session.exec(query).first() is not None

    def name(self, person_id: int) -> str:
        return _name(self.session, person_id)


class LoadedFacts:
    """Facts about a set of people read once, each kind in one query when first asked
    (a batch of casts): invitations, presence, proxies."""

    def __init__(self, session: Session, meeting_id: int, person_ids: Iterable[int]) -> None:
        self.session, self.meeting_id = session, meeting_id
        self.person_ids = sorted(set(person_ids))
        self._invitations: dict[int, Invitation] | None = None
        self._present: frozenset[int] | None = None
        self._proxies: frozenset[tuple[int, int]] | None = None

    def invitation(self, person_id: int) -> Invitation | None:
        if self._invitations is None:
            rows = self.session.exec(
                select(Invitation).where(
                    Invitation.meeting_id == self.meeting_id,
                    col(Invitation.person_id).in_(self.person_ids),
                )
            )
            self._invitations = {row.person_id: row for row in rows}
        return self._invitations.get(person_id)

    def present(self, person_id: int) -> bool:
        if self._present is None:
            self._present = frozenset(
                present_among(
                    session=self.session, meeting_id=self.meeting_id, person_ids=self.person_ids
                )
            )
        return person_id in self._present

    def holds_proxy(self, holder_id: int, represented_id: int) -> bool:
        if self._proxies is None:
            rows = self.session.exec(
                select(Proxy.holder_id, Proxy.represented_id).where(
                    Proxy.meeting_id == self.meeting_id,
                    col(Proxy.holder_id).in_(self.person_ids),
                )
            )
            self._proxies = frozenset((holder, represented) for holder, represented in rows)
        return (holder_id, represented_id) in self._proxies

    def name(self, person_id: int) -> str:
        return _name(self.session, person_id)


def check_voter(*, session: Session, poll: Poll, voter_id: int, facts: Facts | None = None) -> None:
    """Raise the reason this person may not vote in the poll for themselves."""
    facts = facts or SessionFacts(session, poll.meeting_id)
    invitation = facts.invitation(voter_id)
    if invitation is None:
        raise NotInvitedError("You are not invited to this meeting")
    if not invitation.voting_right:
        raise NoVotingRightError("You have no voting right in this meeting")
    if poll.eligibility == Eligibility.present and not facts.present(voter_id):
        raise NotCheckedInError("Check in first: this poll is for members present in the hall")


def check_proxy(
    *,
    session: Session,
    poll: Poll,
    holder_id: int,
    represented_id: int,
    facts: Facts | None = None,
) -> None:
    """Raise the reason the holder may not vote for the represented member now."""
    facts = facts or SessionFacts(session, poll.meeting_id)
    if not facts.holds_proxy(holder_id, represented_id):
        raise NotProxyHolderError(f"You do not hold the proxy of {facts.name(represented_id)}")
    invitation = facts.invitation(represented_id)
    if invitation is None or not invitation.voting_right:
        name = facts.name(represented_id)
        raise NoVotingRightError(f"{name} has no voting right in this meeting")
    if not facts.present(holder_id):
        raise NotCheckedInError("Check in first: a proxy counts only while its holder is present")
    if facts.present(represented_id):
        raise NotEligibleError(f"{facts.name(represented_id)} is present and votes in person")


def eligibility_reason(
    *, session: Session, poll: Poll, voter_id: int, holder_id: int | None = None
) -> str | None:
    """None when the voter (or the holder for them) may vote now, else the reason."""
    try:
        if holder_id is None or holder_id == voter_id:
            check_voter(session=session, poll=poll, voter_id=voter_id)
        else:
            check_proxy(session=session, poll=poll, holder_id=holder_id, represented_id=voter_id)
    except NotEligibleError as error:
        return error.detail
    return None


def _invitation(session: Session, meeting_id: int, person_id: int) -> Invitation | None:
    query = select(Invitation).where(
        Invitation.meeting_id == meeting_id, Invitation.person_id == person_id
    )
    return session.exec(query).first()


def _name(session: Session, person_id: int) -> str:
    person = session.get(Person, person_id)
    return person.full_name if person is not None else f"person {person_id}"
