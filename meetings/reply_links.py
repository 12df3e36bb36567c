"""Signed links that let an invitee answer an invitation from an e-mail, without logging in.

A token reads `<invitation>.<person>.<expires>.<signature>`: the signature is an HMAC-SHA256
(key derived from the application's secret key with a label of its own, so a QR check-in code
can never pass for a reply token) over the ids and the expiry time (Unix seconds). The person's
id is signed too, so that a token does not carry over to an invitation that reuses a withdrawn
one's id. Tokens expire when the meeting ends.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session

from core.errors import ConflictError, HopError
from core.signing import Signer
from meetings import lifecycle
from meetings.errors import InvitationNotFoundError
from models import Invitation, Meeting, Person
from models.base import as_utc, utcnow

_LABEL = b"hop/invitation-reply/v1"
SIGNATURE_BYTES = 18
MAX_TOKEN_LENGTH = 120


class ReplyLinkInvalidError(HopError):
    status_code = 400


class ReplyLinkExpiredError(HopError):
    status_code = 410


class RepliesClosedError(ConflictError):
    pass


@dataclass(frozen=True)
class ReplyClaim:
    invitation_id: int
    person_id: int
    expires_at: datetime


class ReplyLinks:
    """Signs and verifies reply tokens with a key derived from the secret key."""

    def __init__(self, secret_key: str) -> None:
        self._signer = Signer(
            secret_key, label=_LABEL, length=SIGNATURE_BYTES, purpose="reply links"
        )

    def sign(self, *, invitation: Invitation, expires_at: datetime) -> str:
        """The token for this invitation, valid until expires_at."""
        payload = f"{invitation.id}.{invitation.person_id}.{int(as_utc(expires_at).timestamp())}"
        return f"{payload}.{self._signer.signature(payload)}"

    def verify(self, token: str, *, now: datetime | None = None) -> ReplyClaim:
        """What a token stands for; a made-up, altered or expired token is an error."""
        parts = token.strip().split(".")
        if len(token) > MAX_TOKEN_LENGTH or len(parts) != 4 or not "".join(parts[:3]).isdigit():
            raise ReplyLinkInvalidError("This reply link is not valid; use the link in the e-mail")
        payload = ".".join(parts[:3])
        if not self._signer.matches(payload, parts[3]):
            raise ReplyLinkInvalidError("This reply link is not valid; use the link in the e-mail")
        expires_at = datetime.fromtimestamp(int(parts[2]), UTC)
        if (now or utcnow()) >= expires_at:
            raise ReplyLinkExpiredError("This reply link has expired")
        return ReplyClaim(int(parts[0]), int(parts[1]), expires_at)


def reply_token(links: ReplyLinks, *, invitation: Invitation, meeting: Meeting) -> str:
    """The token of the link in an invitation or reminder: it expires when the meeting ends."""
    return links.sign(invitation=invitation, expires_at=meeting.end_at)


def invitation_for_token(
    *, session: Session, links: ReplyLinks, token: str, now: datetime | None = None
) -> tuple[Invitation, Meeting, Person]:
    """The invitation a reply link answers, with its meeting and invitee."""
    claim = links.verify(token, now=now)
    invitation = session.get(Invitation, claim.invitation_id)
    if invitation is None or invitation.person_id != claim.person_id:
        raise InvitationNotFoundError("This invitation was withdrawn")
    meeting = session.get(Meeting, invitation.meeting_id)
    person = session.get(Person, invitation.person_id)
    assert meeting is not None
    assert person is not None
    if lifecycle.is_over(meeting):
        raise RepliesClosedError("This meeting is over or cancelled; replies are closed")
    if (now or utcnow()) >= as_utc(meeting.end_at):
        raise ReplyLinkExpiredError("This reply link has expired")
    return invitation, meeting, person
