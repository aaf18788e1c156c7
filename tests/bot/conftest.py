"""Fixtures of the screen tests: a migrated SQLite file, the services a handler gets, a driver."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.context import Services
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from tests.bot.dialog_support import Driver
from tests.bot.screens import TG_ID


@pytest.fixture
async def services(tmp_path: Path, sqlite_template: Path, clock: ManualClock) -> AsyncIterator[Services]:
    assert clock.now() == datetime(2026, 11, 21, 9, 0, tzinfo=UTC), "the texts below are for this moment"
    path = tmp_path / "dialogs.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(
        _env_file=None,
        bot_token="1:x",
        database_url=f"sqlite+aiosqlite:///{path}",
        timezone="Europe/Kyiv",
        currency="EUR",
    )
    db = Database.from_url(settings.database_url)
    try:
        yield Services(db=db, clock=clock, settings=settings, payments=None, geocoder=None)
    finally:
        await db.dispose()


@pytest.fixture
def driver(services: Services) -> Driver:
    return Driver(services, TG_ID)
