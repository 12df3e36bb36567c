"""What the lifespan owns, typed: settings, engine, uploads, translations, the hub, the rate
limits, the face services, the ballot writer and the revocation watch.

The socket handlers (web.realtime) build on this module, so the two things they run for the
app, the ballot writer and the revocation watch, are described here by what the app asks of
them; web.app makes them at start-up and stops them at shutdown.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.engine import Engine

from checkin.crypto import FaceCipher
from checkin.gallery import GalleryCache
from checkin.pool import FacePool
from checkin.qr import QrSigner
from meetings.documents import Uploads
from models import BallotAck, BallotCast, EncryptedBallotAck, EncryptedBallotCast
from web.drain import Drain
from web.hub import Hub
from web.i18n import Translator
from web.proof_pool import ProofPool
from web.ratelimit import RateLimits
from web.settings import Settings
from web.sockets import Credential, Revocable, Viewer


@dataclass
class FaceServices:
    pool: FacePool
    cipher: FaceCipher
    cache: GalleryCache
    signer: QrSigner
    owns_pool: bool = True

    def close(self) -> None:
        if self.owns_pool:
            self.pool.close()


class BallotQueue(Protocol):
    """Casts written in batches per poll (web.realtime.ballot_writer.BallotWriter)."""

    async def cast(
        self, *, person_id: int, poll_id: int, cast: BallotCast, meeting_id: int | None = None
    ) -> BallotAck: ...

    async def stop(self) -> None: ...


class EncryptedBallotQueue(Protocol):
    """Verified encrypted casts written in batches per poll
    (web.realtime.encrypted_writer.EncryptedBallotWriter)."""

    async def cast(
        self,
        *,
        person_id: int,
        poll_id: int,
        cast: EncryptedBallotCast,
        meeting_id: int | None = None,
    ) -> EncryptedBallotAck: ...

    async def stop(self) -> None: ...


class SocketWatch(Protocol):
    """Closes the open sockets whose credential was revoked (web.realtime.revocation)."""

    def watch(self, credential: Credential, socket: Revocable) -> None: ...

    def forget(self, credential: Credential, socket: Revocable) -> None: ...


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    uploads: Uploads
    translator: Translator
    hub: Hub
    rate_limits: RateLimits
    ws_handlers: "dict[str, MessageHandler]" = field(default_factory=dict)
    # Made by the lifespan once the state exists (they use it); None before.
    faces: FaceServices | None = None  # the face pool, gallery cache and QR signer
    ballots: BallotQueue | None = None
    encrypted_ballots: EncryptedBallotQueue | None = None
    revocation: SocketWatch | None = None
    drain: Drain | None = None  # SIGTERM: readiness off, sockets sent elsewhere (web.drain)
    proofs: ProofPool | None = None  # encrypted ballots' proofs, checked off the loop


MessageHandler = Callable[[AppState, Viewer, int, dict[str, Any]], Awaitable[dict[str, Any]]]
