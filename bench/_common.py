"""Shared helpers of the benchmark scripts: scratch databases, bulk inserts, statistics and
printing. Nothing here is used by the service itself."""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import sqlite3
import statistics
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import sqlalchemy
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import DeclarativeBase

from core.db import Database
from core.migrate import upgrade_to_head
from core.models import User
from core.services.audit import overlapping_holds

ROOT = Path(__file__).resolve().parent.parent
# The admin connection used to create and drop scratch databases (never the service's own).
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ("sqlite", "postgres")


class BackendUnavailable(Exception):
    """The backend cannot be used on this machine (the run skips it with a note)."""


def backend_choices(value: str) -> list[str]:
    return list(BACKENDS) if value == "both" else [value]


# --- machine -------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def print_machine(title: str) -> None:
    print(f"== {title} ==")
    print(f"machine   : {usable_cores()} usable cores (os.cpu_count()={os.cpu_count()}), {cpu_model()}")
    print(
        f"software  : Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, "
        f"SQLite {sqlite3.sqlite_version}, asyncpg {asyncpg.__version__}, {platform.system()} "
        f"{platform.release()}"
    )


# --- scratch databases ----------------------------------------------------------------------


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _tcp_open(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), 1):
            return True
    except OSError:
        return False


async def postgres_server_version() -> str:
    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_ADMIN_URL), timeout=5)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(POSTGRES_ADMIN_URL), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def scratch_database(backend: str, purpose: str) -> AsyncIterator[str]:
    """A fresh database migrated to head; yields its URL and removes it at the end.
    SQLite: a file in a temporary directory. PostgreSQL: `bench_<purpose>_<random>` on the
    local server, dropped at the end. Raises BackendUnavailable when it cannot be made."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"bench_{purpose}_") as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            # Alembic's env runs its own event loop, so migrate from a worker thread.
            await asyncio.to_thread(upgrade_to_head, url)
            yield url
        return
    if not _tcp_open(_asyncpg_dsn(POSTGRES_ADMIN_URL), 5432):
        raise BackendUnavailable(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}")
    name = f"bench_{purpose}_{uuid.uuid4().hex[:10]}"
    try:
        await _pg_admin(f'CREATE DATABASE "{name}"')
    except (OSError, asyncpg.PostgresError) as exc:
        raise BackendUnavailable(f"cannot create a scratch database on {POSTGRES_ADMIN_URL}: {exc}") from exc
    try:
        base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
        url = f"{base}/{name}"
        await asyncio.to_thread(upgrade_to_head, url)
        yield url
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- loading ---------------------------------------------------------------------------------


async def bulk_insert(
    conn: AsyncConnection,
    model: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
    batch: int = 10_000,
) -> None:
    """Core executemany in batches (no RETURNING, no ORM identity map)."""
    stmt = insert(model)
    for start in range(0, len(rows), batch):
        await conn.execute(stmt, list(rows[start : start + batch]))


async def after_load(conn: AsyncConnection, tables: Iterable[str]) -> None:
    """Rows were inserted with explicit ids: move PostgreSQL's sequences past them. Then
    refresh the planner's statistics (what autovacuum would do on PostgreSQL soon after)."""
    if conn.dialect.name == "postgresql":
        for table in tables:
            await conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - fixed names
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            )
        await conn.execute(text("ANALYZE"))


# --- checks --------------------------------------------------------------------------------


async def overlapping_pairs(db: Database) -> int:
    """Pairs of holding reservations of one spot whose intervals overlap (must be 0)."""
    async with db.read() as s:
        return await overlapping_holds(s)


# --- statistics and printing ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Summary:
    n: int
    mean: float
    p50: float
    p95: float
    p99: float
    max: float


def summarize(samples: Sequence[float]) -> Summary:
    """Percentiles by linear interpolation between closest ranks (the 'inclusive' method)."""
    if not samples:
        nan = float("nan")
        return Summary(0, nan, nan, nan, nan, nan)
    if len(samples) == 1:
        only = samples[0]
        return Summary(1, only, only, only, only, only)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return Summary(len(samples), statistics.fmean(samples), cuts[49], cuts[94], cuts[98], max(samples))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Numbers right-aligned, text left-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    numeric = [bool(rows) and all(isinstance(r[i], int | float) for r in rows) for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    print(line(list(headers)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


async def insert_drivers(s: AsyncSession, n: int, now: Any) -> None:
    """n drivers (Telegram ids 10,000 on, every third speaking Ukrainian) in one INSERT."""
    await s.execute(
        insert(User),
        [
            {
                "telegram_id": 10_000 + i,
                "name": f"Driver {i}",
                "language": "en" if i % 3 else "uk",
                "is_admin": False,
                "sms_opt_out": False,
                "created_at": now,
            }
            for i in range(n)
        ],
    )
