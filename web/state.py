"""What the lifespan owns, typed: settings, engine, uploads, templates and translations."""

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from meetings.documents import Uploads
from web.i18n import Translator
from web.settings import Settings


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    uploads: Uploads
    translator: Translator
