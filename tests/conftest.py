"""Shared fixtures: a migrated database per test, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest
from sqlalchemy import text

from core.clock import ManualClock
from core.db import Database
from core.migrate import upgrade_to_head
from tests.services import POSTGRES_URL, tcp_open, unavailable

T = TypeVar("T")

# A fixed, ordinary Saturday morning; tests move this clock explicitly.
T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    _in_thread(lambda: upgrade_to_head(f"sqlite+aiosqlite:///{path}"))
    return path


def _in_thread(fn: Callable[[], T]) -> T:
    """Runs blocking set-up (Alembic starts its own event loop) off the test's running loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _postgres_admin(sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of the test's own, not migrated (a SQLite file, or a scratch database
    on the local PostgreSQL server dropped at the end): for tests that migrate up and down."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    if not tcp_open(_asyncpg_dsn(POSTGRES_URL), 5432):
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL} (set TEST_POSTGRES_URL)")
    name = f"parking_scratch_{uuid.uuid4().hex[:10]}"
    _in_thread(lambda: asyncio.run(_postgres_admin(f'CREATE DATABASE "{name}"')))
    try:
        yield f"{POSTGRES_URL.rpartition('/')[0]}/{name}"
    finally:
        _in_thread(lambda: asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the local server, migrated to head, dropped at the end."""
    if not tcp_open(_asyncpg_dsn(POSTGRES_URL), 5432):
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL} (set TEST_POSTGRES_URL)")
    name = f"parking_test_{uuid.uuid4().hex[:10]}"
    admin_dsn = _asyncpg_dsn(POSTGRES_URL)

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        _in_thread(lambda: asyncio.run(admin(f'CREATE DATABASE "{name}"')))
    except (OSError, asyncpg.PostgresError) as exc:
        unavailable(f"cannot create a test database on {POSTGRES_URL}: {exc}")
    base, _, _ = POSTGRES_URL.rpartition("/")
    url = f"{base}/{name}"
    _in_thread(lambda: upgrade_to_head(url))
    yield url
    _in_thread(lambda: asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')))


_TABLES = (
    "blocker_incidents, audit_log, staff_invites, premise_staff, processed_events, favourites, "
    "reviews, notifications, refunds, "
    "receipts, receipt_counters, vehicles, "
    "payment_methods, wallet_transactions, payments, reservation_extensions, reservations, "
    "rate_plans, unassigned_blockers, blockers, spots, premises, users"
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty database: SQLite (a file) or PostgreSQL (truncated per test)."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copy(template, path)
        database = Database.from_url(f"sqlite+aiosqlite:///{path}")
    else:
        url: str = request.getfixturevalue("postgres_url")
        database = Database.from_url(url, pool_size=10, max_overflow=60)
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {_TABLES} RESTART IDENTITY CASCADE"))
    try:
        yield database
    finally:
        await database.dispose()
