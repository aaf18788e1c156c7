"""User use cases: register or update the user behind an update, phone, language, admin."""

from __future__ import annotations

from core.clock import Clock
from core.config import Settings
from core.db import Database


class UserUseCases:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings
