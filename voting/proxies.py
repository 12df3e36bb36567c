"""Proxies recorded by the secretariat: the holder votes for an absent member."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Audience, Invitation, Meeting, Person, Proxy, ProxyCreate, ProxyPublic
from models.events import record_event
from voting.errors import InvalidPollError, ProxyConflictError, ProxyNotFoundError


def record_proxy(
    *, session: Session, meeting: Meeting, data: ProxyCreate, recorder: Person
) -> Proxy:
    """Record that holder_id votes for represented_id in this meeting."""
    assert meeting.id is not None
    _check_invited(session, meeting.id, data.holder_id, field="holder_id", voting=False)
    _check_invited(session, meeting.id, data.represented_id, field="represented_id", voting=True)
    _check_no_chain(session, meeting.id, data)
    proxy = Proxy.model_validate(data, update={"meeting_id": meeting.id, "created_by": recorder.id})
    session.add(proxy)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise ProxyConflictError(
            "Someone already holds this member's proxy", field="represented_id"
        ) from None
    _proxy_event(session, meeting.id)
    session.commit()
    return proxy


def list_proxies(*, session: Session, meeting: Meeting) -> list[ProxyPublic]:
    """The meeting's proxies with both names."""
    rows = session.exec(
        select(Proxy).where(Proxy.meeting_id == meeting.id).order_by(col(Proxy.id))
    ).all()
    return [describe_proxy(session=session, proxy=row) for row in rows]


def describe_proxy(*, session: Session, proxy: Proxy) -> ProxyPublic:
    """The proxy with the names of both members."""
    holder = session.get(Person, proxy.holder_id)
    represented = session.get(Person, proxy.represented_id)
    return ProxyPublic.model_validate(
        proxy,
        update={
            "holder_name": holder.full_name if holder else "",
            "represented_name": represented.full_name if represented else "",
        },
    )


def remove_proxy(*, session: Session, meeting: Meeting, proxy_id: int) -> None:
    """Withdraw a proxy; ballots already cast with it stay."""
    proxy = session.get(Proxy, proxy_id)
    if proxy is None or proxy.meeting_id != meeting.id:
        raise ProxyNotFoundError(f"Proxy {proxy_id} not found")
    session.delete(proxy)
    _proxy_event(session, proxy.meeting_id)
    session.commit()


def _check_invited(
    session: Session, meeting_id: int, person_id: int, *, field: str, voting: bool
) -> None:
    invitation = session.exec(
        select(Invitation).where(
            Invitation.meeting_id == meeting_id, Invitation.person_id == person_id
        )
    ).first()
    if invitation is None:
        raise InvalidPollError(f"Person {person_id} is not invited to this meeting", field=field)
    if voting and not invitation.voting_right:
        raise InvalidPollError(f"Person {person_id} has no voting right to hand over", field=field)


def _check_no_chain(session: Session, meeting_id: int, data: ProxyCreate) -> None:
    """A represented member holds no proxies and a holder is not represented: no chains."""
    rows = session.exec(select(Proxy).where(Proxy.meeting_id == meeting_id)).all()
    if any(row.represented_id == data.holder_id for row in rows):
        raise ProxyConflictError("The holder has given their own proxy away", field="holder_id")
    if any(row.holder_id == data.represented_id for row in rows):
        raise ProxyConflictError(
            "The represented member holds proxies of others", field="represented_id"
        )


def _proxy_event(session: Session, meeting_id: int) -> None:
    record_event(session, meeting_id=meeting_id, type="proxy.changed", audience=Audience.managers)
