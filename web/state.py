"""What the lifespan owns, typed: settings, engine, uploads, translations, the hub."""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from meetings.documents import Uploads
from web.i18n import Translator
from web.realtime.hub import Hub
from web.settings import Settings

if TYPE_CHECKING:
    from web.faces import FaceServices
    from web.realtime.ws import Connection, MessageHandler


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    uploads: Uploads
    translator: Translator
    hub: Hub
    connections: "set[Connection]" = field(default_factory=set)
    ws_handlers: "dict[str, MessageHandler]" = field(default_factory=dict)
    extras: dict[str, Any] = field(default_factory=dict)
    faces: "FaceServices | None" = None  # the face pool, gallery cache and QR signer
