"""One sender per channel across processes: the lease an outbox dispatcher must hold to send.

Telegram allows about 30 messages a second per bot and the SMS provider its own rate; each
dispatcher paces itself, so two processes sending at once would send twice the rate. So only
the holder of a channel's lease sends; every other process tries to take it on each tick of
its dispatcher job (every second) and sends nothing meanwhile. Its rows stay in the outbox
for the holder.

On PostgreSQL the lease is a session-level advisory lock (`pg_try_advisory_lock`) taken on a
connection of its own, outside the pool, kept open while the process sends. A process that
stops releases it; one that dies (SIGKILL, a crash) loses its session when the kernel closes
its socket, which frees the lock at once, and another process takes it on its next tick. A
machine that vanishes without closing its sockets is noticed by the server's TCP keepalives,
set on that connection to about 25 seconds. The holder checks its connection on every tick
too: if it broke (the server restarted), the lock is gone and it stops sending until it takes
the lock again.

Each holding has a name of its own (`holding`: host, process id and a random part, new at
each acquisition, so a process that lost the lease and took it again is a new holding): the
dispatcher writes it into the rows it claims (`notifications.claimed_by`), and a process that
takes the lease hands back at once what other holdings claimed and left (jobs/dispatcher.py).

On SQLite the lease is always held: one SQLite file serves one process (several processes
need PostgreSQL, README "One sender at a time"); its holding never changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import secrets
import socket

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from core.db import Database

log = logging.getLogger(__name__)

# Seconds a round trip on the lease's connection may take before the lease counts as lost.
CHECK_TIMEOUT = 5.0
# The server drops the session of a holder whose machine vanished after about 10 + 3 × 5 s.
_KEEPALIVES = {"tcp_keepalives_idle": 10, "tcp_keepalives_interval": 5, "tcp_keepalives_count": 3}


def lock_key(name: str) -> int:
    """The advisory lock's 64-bit key for a lease name (stable across processes and versions;
    advisory locks are per database, so two deployments on one server never collide)."""
    digest = hashlib.sha256(f"smart-parking-bot:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def new_holding() -> str:
    """A name for one holding of a lease (or one dispatcher that needs none), as
    `notifications.claimed_by` keeps it: host and process id say whose, the random part tells
    two holdings of one process apart."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


class SenderLease:
    """The right to send on one channel, held by one process at a time (see the module)."""

    def __init__(self, db: Database, name: str, *, check_timeout: float = CHECK_TIMEOUT) -> None:
        self.name = name
        self.key = lock_key(name)
        self.check_timeout = check_timeout
        self._always = db.is_sqlite
        # NullPool: the connection holding the lock is never handed to anybody else, and
        # closing it really ends the session (and so the lock).
        self._engine: AsyncEngine | None = (
            None if db.is_sqlite else create_async_engine(db.engine.url, poolclass=NullPool)
        )
        self._conn: AsyncConnection | None = None
        self._pid: int | None = None
        self._held = db.is_sqlite
        self._holding: str | None = new_holding() if db.is_sqlite else None
        self._lock = asyncio.Lock()

    @property
    def held(self) -> bool:
        """Whether this process held the lease at its last check."""
        return self._held

    @property
    def holding(self) -> str | None:
        """The name of this process's current holding of the lease, new at each acquisition;
        None when not held."""
        return self._holding if self._held else None

    @property
    def shared(self) -> bool:
        """Whether other processes may hold this lease in turn (PostgreSQL), so what another
        holding claimed may be left to take over; on SQLite one process always holds it."""
        return not self._always

    @property
    def backend_pid(self) -> int | None:
        """The PostgreSQL backend of the lease's connection (for operators and tests)."""
        return self._pid if self._conn is not None else None

    async def acquire(self) -> bool:
        """Takes the lease if it is free, or checks that it is still ours: True when this
        process may send now. Never raises: a database it cannot reach means "not ours"."""
        if self._always:
            return True
        async with self._lock:
            try:
                async with asyncio.timeout(self.check_timeout):
                    return await self._acquire()
            except Exception as exc:  # the connection broke or hung: whatever we held is gone
                log.debug("lease %s: %s", self.name, repr(exc)[:200])
                await self._drop(type(exc).__name__)
                return False

    async def _acquire(self) -> bool:
        if self._conn is None:
            assert self._engine is not None
            conn = await self._engine.connect()
            self._conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for setting, value in _KEEPALIVES.items():
                await self._conn.execute(text(f"SET {setting} = {int(value)}"))
            # Shows in pg_stat_activity which session holds which lease.
            await self._conn.execute(
                text("SELECT set_config('application_name', :name, false)"), {"name": f"lease {self.name}"}
            )
            self._pid = await self._conn.scalar(text("SELECT pg_backend_pid()"))
        if self._held:
            await self._conn.execute(text("SELECT 1"))  # the session, and so the lock, is alive
            return True
        # Not re-entered while held: each successful call would stack one more lock level.
        if await self._conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}):
            self._held, self._holding = True, new_holding()
            log.info("this process now sends %s (lease taken, holding %s)", self.name, self._holding)
        return self._held

    async def _drop(self, reason: str) -> None:
        if self._held:
            log.warning("lease %s lost (%s): this process stops sending it", self.name, reason)
        self._held = False
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()

    async def release(self) -> None:
        """Gives the lease up (the service is stopping): another process takes it at its next
        tick instead of waiting for this session to end."""
        if self._always:
            return
        async with self._lock:
            conn, self._conn = self._conn, None
            held, self._held = self._held, False
            if conn is not None:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(self.check_timeout):
                        if held:
                            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                with contextlib.suppress(Exception):
                    await conn.close()
            if held:
                log.info("lease %s released", self.name)
        if self._engine is not None:
            await self._engine.dispose()
