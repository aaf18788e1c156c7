"""Engine and unit of work. One session (one transaction) per update, webhook or job run;
repositories and services never commit, the unit of work does."""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections import namedtuple
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Select, event, text
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DisconnectionError, InvalidRequestError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

# A read-only unit of work on SQLite starts a deferred transaction, so readers do not queue
# behind the single writer (WAL lets them read while it writes).
_SQLITE_BEGIN = "sqlite_begin"
_SQLITE_BUSY_TIMEOUT = 30  # seconds
# A pooled PostgreSQL connection that has sat idle this long is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 10.0


def create_engine(
    url: str, *, ping_after_idle_seconds: float = PING_AFTER_IDLE_SECONDS, **kwargs: Any
) -> AsyncEngine:
    if url.startswith("sqlite"):
        if ":memory:" in url or url.rstrip("/").endswith("sqlite+aiosqlite:"):
            raise ValueError("use a SQLite file, not :memory: (it shares one connection)")
        # The busy timeout lets concurrent writers queue for BEGIN IMMEDIATE instead of failing.
        kwargs.setdefault("connect_args", {"timeout": _SQLITE_BUSY_TIMEOUT})
        engine = create_async_engine(url, **kwargs)
        _install_sqlite_listeners(engine)
        _skip_idle_commit_and_rollback(engine)
        return engine
    engine = create_async_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_idle_connections(engine, ping_after_idle_seconds)
    return engine


def _ping_idle_connections(engine: AsyncEngine, idle_seconds: float) -> None:
    """Pessimistic disconnect handling for connections that were idle, optimistic for busy ones.

    SQLAlchemy's pool_pre_ping pings on every checkout: a round trip to PostgreSQL before each
    unit of work, 0.28 ms of a nearby search's ~1.3 ms. Connections reused within seconds of
    their last use were just seen working; the ones that can be stale (a server restarted or a
    proxy that dropped them while nobody used them) are the idle ones, and only those are
    pinged here. A server lost while connections are busy fails the units of work running on
    them once; SQLAlchemy then invalidates the whole pool, so the next ones reconnect."""
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < idle_seconds:
            return  # a new connection, or one that worked moments ago
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_conn, None):
                # The pool discards this connection and checks out another (SQLAlchemy's
                # documented "custom pessimistic ping" recipe).
                raise DisconnectionError() from exc
            raise


def _install_sqlite_listeners(engine: AsyncEngine) -> None:
    """SQLAlchemy's recipe for real SQLite transactions (DESIGN.md §10): pysqlite's own
    transaction handling is switched off and every write transaction begins IMMEDIATE, so a
    check-then-insert cannot interleave with another writer."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        try:
            cursor.execute("SELECT cos(0), sin(0), radians(0)")
        except Exception:
            # The nearby search orders by distance with these (core.services.nearby). SQLite has
            # them built in since 3.35 unless compiled without; then Python's do the same.
            for name, function in (("cos", math.cos), ("sin", math.sin), ("radians", math.radians)):
                dbapi_conn.create_function(name, 1, function, deterministic=True)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(_SQLITE_BEGIN, "IMMEDIATE")
        if mode != "NONE":  # NONE: each statement in its own implicit transaction (autocommit)
            conn.exec_driver_sql(f"BEGIN {mode}")


def _skip_idle_commit_and_rollback(engine: AsyncEngine) -> None:
    """A COMMIT or ROLLBACK with no transaction open is a no-op in sqlite3 (it checks the
    connection's autocommit flag first), but through aiosqlite each is still a trip to the
    connection's thread and back: after a read that began no transaction (Database.read with
    snapshot=False) the commit and the pool's rollback on return were two of a nearby search's
    three trips. The flag is read here instead, without the trip."""
    dialect = engine.sync_engine.dialect
    do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

    def commit(dbapi_connection: Any) -> None:
        if _sqlite_in_transaction(dbapi_connection):
            do_commit(dbapi_connection)

    def rollback(dbapi_connection: Any) -> None:
        if _sqlite_in_transaction(dbapi_connection):
            do_rollback(dbapi_connection)

    dialect.do_commit = commit  # type: ignore[method-assign]
    dialect.do_rollback = rollback  # type: ignore[method-assign]


def _sqlite_in_transaction(dbapi_connection: Any) -> bool:
    try:
        return bool(dbapi_connection.driver_connection.in_transaction)
    except Exception:  # closed or unknown: let the driver say so
        return True


def _file_identity(path: str | None) -> tuple[int, int] | None:
    if not path or not os.path.isfile(path):
        return None
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino


class Database:
    """Owns the engine and hands out units of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        reader = (
            engine.execution_options(**{_SQLITE_BEGIN: "DEFERRED"})
            if self.is_sqlite
            else engine.execution_options(postgresql_readonly=True)
        )
        self._read_sessions = async_sessionmaker(reader, expire_on_commit=False)
        # Reads that need no snapshot across statements skip BEGIN/COMMIT on SQLite: two round
        # trips to aiosqlite's thread, a tenth of a nearby search.
        loose = engine.execution_options(**{_SQLITE_BEGIN: "NONE"}) if self.is_sqlite else reader
        self._loose_sessions = async_sessionmaker(loose, expire_on_commit=False)
        # SQLite has one writer at a time. Waiting on its busy timeout is a sleep-and-retry
        # lottery (p99 of 1-2 s with 10 writers); within this process writers queue fairly here.
        self._sqlite_writer = asyncio.Lock() if self.is_sqlite else None
        # (device, inode) of the SQLite file when the engine was made (or at the first probe).
        self._sqlite_file = _file_identity(engine.url.database) if self.is_sqlite else None

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(create_engine(url, **kwargs))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends, rolls back if it raises. Never nest
        one inside another (on SQLite the inner one would wait for the outer forever)."""
        if self._sqlite_writer is None:
            async with self._sessions() as session, session.begin():
                yield session
            return
        async with self._sqlite_writer, self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self, *, snapshot: bool = True) -> AsyncIterator[AsyncSession]:
        """A read-only unit of work. It ends with a commit, not a rollback, so the objects it
        loaded stay usable afterwards; PostgreSQL runs it READ ONLY. `snapshot=False` is for a
        read whose statements need not see one consistent state (a search)."""
        sessions = self._read_sessions if snapshot else self._loose_sessions
        async with sessions() as session, session.begin():
            yield session

    async def health(self, wait: float = 1.0) -> str | None:
        """None when the database takes writes now, else the reason in a few words (never the
        URL: it may hold a password). On SQLite a connection that is already open keeps
        working on a file that was moved away or deleted, and a write lock held by another
        process only shows when a write begins, so the probe checks the file and takes the
        write lock for a moment (BEGIN IMMEDIATE; ROLLBACK); on PostgreSQL it makes a round
        trip."""
        try:
            async with asyncio.timeout(wait * 2):
                return await (self._sqlite_health(wait) if self.is_sqlite else self._pg_health())
        except TimeoutError:
            return f"no answer within {wait * 2:g} s"
        except Exception as exc:  # any failure is a reason, never a crash of the probe
            return f"unreachable ({type(exc).__name__})"

    async def _pg_health(self) -> str | None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None

    async def _sqlite_health(self, wait: float) -> str | None:
        identity = await asyncio.to_thread(_file_identity, self.engine.url.database)
        if identity is None:
            return "database file is missing"
        # A new connection to a moved-away file's path creates an empty database there: the
        # file must still be the one this process started on.
        if self._sqlite_file is None:
            self._sqlite_file = identity
        elif identity != self._sqlite_file:
            return "database file is missing: another file has replaced it since start-up"
        # Not queued behind this process's writers (their lock is held while they wait for a
        # stuck file too); a healthy write takes milliseconds, so the probe gets in between.
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(**{_SQLITE_BEGIN: "NONE"})
            await conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(wait * 1000)}")
            try:
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                await conn.exec_driver_sql("ROLLBACK")
            except Exception as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    return "database is locked by another writer"
                raise
            finally:
                await conn.exec_driver_sql(f"PRAGMA busy_timeout = {_SQLITE_BUSY_TIMEOUT * 1000}")
        return None

    async def dispose(self) -> None:
        await self.engine.dispose()


# --- one-SELECT reads without SQLAlchemy's per-execution work --------------------------------


class _OneTrip:
    """A one-SELECT read compiled once and run on the driver's own connection (one_trip).

    SQLite: executed and fetched in one trip to aiosqlite's thread. SQLAlchemy's adapter makes
    four (cursor, execute, fetch, close), and on a busy machine each trip waits for the thread
    to be scheduled: they were the largest part of a search that reads one page.
    PostgreSQL: asyncpg's prepared-statement cache, without SQLAlchemy's per-execution work
    (cache key, parameters, result) or the round trips of the BEGIN it sends before a unit of
    work's first statement and the COMMIT after: such a read is one SELECT, so it runs inside
    the unit of work's transaction if one has begun, else on its own.

    The rows are named tuples with the statement's column names, their values converted as
    SQLAlchemy would."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        plain = statement.compile(dialect=dialect)
        self._names = {k for k in plain.positiontup or () if plain.binds[k].value is None}
        # Placeholder values for the statement's own parameters, only so that the constants' IN
        # lists can be expanded into the SQL once.
        compiled = statement.params(dict.fromkeys(self._names, 0)).compile(
            dialect=dialect, compile_kwargs={"render_postcompile": True}
        )
        self.sql = compiled.string
        self._sqlite = dialect.driver == "aiosqlite"
        constants = compiled.construct_params()
        self._slots: list[tuple[str | None, Any]] = []
        for key in compiled.positiontup or ():
            bind = compiled.binds.get(key)
            if bind is None:  # one value of an expanded IN list: key_1, key_2, ...
                bind = compiled.binds[key.rpartition("_")[0]]
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if key in self._names:
                self._slots.append((key, process))
            else:
                value = constants[key]
                self._slots.append((None, process(value) if process else value))
        columns = list(statement.selected_columns)
        self._row: Any = namedtuple("_Row", [c.key for c in columns])  # type: ignore[misc]
        self._processors = [
            (i, p) for i, c in enumerate(columns) if (p := _result_processor(c.type, dialect))
        ]

    async def all(self, conn: AsyncConnection, params: dict[str, Any]) -> list[Any]:
        values = [
            (process(params[key]) if process else params[key]) if key is not None else process
            for key, process in self._slots
        ]
        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None  # a connection checked out of the pool
        if self._sqlite:
            rows = await driver.execute_fetchall(self.sql, values)
        else:
            rows = await driver.fetch(self.sql, *values)
        if not self._processors:
            return [self._row._make(r) for r in rows]
        out = []
        for r in rows:
            cells = list(r)
            for i, process in self._processors:
                cells[i] = process(cells[i])
            out.append(self._row._make(cells))
        return out


def _result_processor(type_: Any, dialect: Dialect) -> Any:
    try:
        return type_.dialect_impl(dialect).result_processor(dialect, None)
    except (TypeError, InvalidRequestError):
        # asyncpg's numeric types choose by the column's type in the result (unknown here):
        # double precision, the only one the search reads (lat, lon), arrives as a float.
        return None


_one_trips: dict[tuple[int, str, str], _OneTrip] = {}


async def one_trip(conn: AsyncConnection, statement: Select[Any], params: dict[str, Any]) -> Sequence[Any]:
    """The rows of a one-SELECT read that runs often (the nearby search, the sender of every
    update): from the driver's own connection on aiosqlite and asyncpg (_OneTrip), through
    SQLAlchemy on any other driver. `statement` must be built once (a module constant): its
    compiled form is kept by its id."""
    if conn.dialect.driver not in ("aiosqlite", "asyncpg"):
        return (await conn.execute(statement, params)).all()
    key = (id(statement), conn.dialect.name, conn.dialect.driver)
    if (trip := _one_trips.get(key)) is None:
        trip = _one_trips[key] = _OneTrip(statement, conn.dialect)
    return await trip.all(conn, params)
