"""PostgreSQL connections that sat idle are pinged before use; busy ones are not (the ping is a
round trip before every unit of work). A connection the server dropped while idle is replaced
without the caller seeing an error."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import Database

pytestmark = pytest.mark.postgres


async def _backend_pid(db: Database) -> int:
    async with db.read() as s:
        return int(await s.scalar(text("SELECT pg_backend_pid()")) or 0)


async def _terminate(url: str, pid: int) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        assert await conn.fetchval("SELECT pg_terminate_backend($1)", pid)
    finally:
        await conn.close()


async def test_a_connection_dropped_while_idle_is_replaced_unseen(postgres_url: str) -> None:
    db = Database.from_url(postgres_url, pool_size=1, max_overflow=0, ping_after_idle_seconds=0)
    try:
        first = await _backend_pid(db)
        await _terminate(postgres_url, first)
        # Idle (longer than 0 s): pinged at checkout, found dead, replaced; the read succeeds.
        second = await _backend_pid(db)
        assert second != first
    finally:
        await db.dispose()


async def test_a_busy_connection_is_not_pinged(postgres_url: str) -> None:
    db = Database.from_url(postgres_url, pool_size=1, max_overflow=0, ping_after_idle_seconds=3600)
    try:
        first = await _backend_pid(db)
        await _terminate(postgres_url, first)
        # Used moments ago: handed out without a ping, so this unit of work meets the dropped
        # connection once; SQLAlchemy invalidates the pool and the next one reconnects.
        with pytest.raises(DBAPIError):
            await _backend_pid(db)
        assert await _backend_pid(db) != first
    finally:
        await db.dispose()
