"""Fixtures for the hardware tests: the real Mosquitto broker, a topic prefix of its own per
test (tests never see each other's retained messages), and a SQLite database for tests that are
about MQTT rather than about the database (those use `db`, which runs on both backends)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.db import Database
from tests.services import MQTT_URL, tcp_open, unavailable


@pytest.fixture
def mqtt_url() -> str:
    if not tcp_open(MQTT_URL, 1883):
        unavailable(f"Mosquitto is not reachable at {MQTT_URL} (set TEST_MQTT_URL)")
    return MQTT_URL


@pytest.fixture
def prefix() -> str:
    return f"test{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def sqlite_db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    path = tmp_path / "hardware.db"
    shutil.copy(sqlite_template, path)
    database = Database.from_url(f"sqlite+aiosqlite:///{path}")
    try:
        yield database
    finally:
        await database.dispose()
