"""Writes what blockers report into the `blockers` table, and tracks their health.

Messages are coalesced per blocker in memory and written in one transaction per batch: a
batch is what arrived within `flush_delay` (50 ms) of the first unwritten update, plus whatever
came while the previous batch was being written. A burst of reports therefore costs a handful
of transactions instead of one each: the database is the slow part, and on SQLite every write
transaction takes the single write lock that bookings also need. Rows lag the messages by at
most about `flush_delay` plus one write; `flush()` waits for them when it matters (tests).

Only registered blockers are written; unknown ids are logged and otherwise ignored (an operator
registers devices, a stranger on the broker cannot create rows). The first time this process
hears an unknown id it is noted in `unassigned_blockers` (at most MAX_UNASSIGNED of them), which
the console lists so staff can bind the device to a spot.

A `state` report is applied only if its `ts` is not older than the last one applied to the row
(`blockers.state_ts`): a replayed, delayed or forged old report cannot overwrite newer news. An
equal `ts` is accepted because devices stamp whole seconds (a `moving` and the final state often
share one); an identical repeat (a retained report delivered again) is skipped quietly. Within
one second a settled state wins over `moving` whatever the order they are handled in: a move
ends settled, and with a shared subscription the two reports of a quick move may reach two
processes, the `moving` one written last (the row would read "moving" until the next report).

`blockers.car_gone_since` (billing follows the car) is the `ts` of the first report that the bay
is empty after a car: set in SQL from the row's own value (`COALESCE(car_gone_since, ts)`), so
a repeated or re-delivered "empty" report (reconnects, several processes) can never move it
later and restart the leave grace, and reset to NULL by a report of a car. Older reports never
reach it (dropped above).
`shared` (several processes, MQTT shared subscriptions): a blocker's reports reach any process of
the group, so another one may have written its row since this one last did. Each batch then
reads its rows afresh, locked (FOR UPDATE, in id order) until it commits, and health changes are
the row's own: healthy before this write and not after, or the reverse. The process that
writes a change is the one that reports it, once, and a restart does not report an incident the
row showed already.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Update, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.blockers import LOW_BATTERY_PERCENT, health_problems
from core.db import Database
from core.models import Blocker, BlockerState, UnassignedBlocker

log = logging.getLogger("parking.hardware.ingest")

# Called with (blocker_id, healthy, reason) once when a blocker becomes unhealthy and once when
# it recovers; may be a plain function or a coroutine function.
HealthCallback = Callable[[str, bool, str], Awaitable[None] | None]

_SELECT_CHUNK = 500  # ids per IN (...) list, well under SQLite's and asyncpg's parameter limits
_MAX_WARNED_UNKNOWN = 10_000
# At most this many unregistered ids are noted for the console; beyond, they are only logged.
MAX_UNASSIGNED = 100


@dataclass(frozen=True, slots=True)
class RowUpdate:
    """New values for some columns of one blocker row; None = leave the column alone."""

    state: BlockerState | None = None
    online: bool | None = None
    battery: int | None = None
    car_present: bool | None = None
    last_seen: datetime | None = None
    state_ts: datetime | None = None  # the device's `ts`, set with what a `state` report says
    # With car_present False: since when the bay is empty as far as this update knows (the
    # earliest of coalesced "empty" reports); the row keeps an earlier value it already has,
    # unless `car_seen`: a report of a car was coalesced into this one before the bay emptied.
    gone_since: datetime | None = None
    car_seen: bool = False

    def then(self, newer: RowUpdate) -> RowUpdate:
        """This update followed by `newer`: newer values win, older ones fill the gaps."""
        gone_since, car_seen = newer.gone_since, newer.car_seen
        if newer.car_present is None:
            gone_since, car_seen = self.gone_since, self.car_seen
        elif newer.car_present is False and self.car_present is False:
            # Still empty: the bay has been empty since the first of the two.
            gone_since, car_seen = self.gone_since or newer.gone_since, self.car_seen
        elif newer.car_present is False and self.car_present is True:
            car_seen = True  # a car came and went within the batch: the leave is this one
        return RowUpdate(
            state=newer.state if newer.state is not None else self.state,
            online=newer.online if newer.online is not None else self.online,
            battery=newer.battery if newer.battery is not None else self.battery,
            car_present=newer.car_present if newer.car_present is not None else self.car_present,
            last_seen=newer.last_seen if newer.last_seen is not None else self.last_seen,
            state_ts=newer.state_ts if newer.state_ts is not None else self.state_ts,
            gone_since=gone_since,
            car_seen=car_seen,
        )

    def without_report(self) -> RowUpdate:
        """This update less what a stale `state` report brought."""
        return RowUpdate(online=self.online, last_seen=self.last_seen)


@dataclass(slots=True)
class WriterStats:
    flushes: int = 0
    rows_written: int = 0
    unknown_blocker_updates: int = 0
    write_failures: int = 0
    health_changes: int = 0
    stale_states: int = 0  # `state` reports dropped: older than the one already applied


@dataclass(slots=True)
class _Incident:
    healthy: bool
    reason: str = ""


_COLUMNS = ("state", "online", "battery", "car_present", "last_seen", "state_ts")
_REPORTED = ("state", "battery", "car_present")  # what a `state` report sets


@functools.cache
def _update_statement(columns: tuple[str, ...]) -> Update:
    """UPDATE of just these columns, by id, for executemany (parameters named `b_<column>`:
    a bind parameter may not share a column's name in SET). A report of `car_present` also
    keeps `car_gone_since`: NULL while a car is there, else the value the row has, or this
    report's (`b_gone_since`) when it has none or a car came and went within the batch.
    Computed from the row itself, not from what this process last saw: another process may
    have written the row since."""
    values: dict[Any, Any] = {column: bindparam(f"b_{column}") for column in columns}
    if "car_present" in columns:
        gone_since = bindparam("b_gone_since", type_=Blocker.car_gone_since.type)
        values["car_gone_since"] = case(
            (bindparam("b_car_present", type_=Boolean()), None),
            (bindparam("b_car_seen", type_=Boolean()), gone_since),
            else_=func.coalesce(Blocker.car_gone_since, gone_since),
        )
    return update(Blocker).where(Blocker.id == bindparam("b_id")).values(values)


def _superseded(upd: RowUpdate, row: dict[str, Any]) -> bool:
    """A `moving` report stamped in the same second as the settled state the row holds: the
    move it announced has ended already (see the module)."""
    return (
        upd.state == BlockerState.MOVING
        and upd.state_ts is not None
        and upd.state_ts == row.get("state_ts")
        and row.get("state") not in (None, BlockerState.MOVING, BlockerState.UNKNOWN)
    )


def _repeats(upd: RowUpdate, row: dict[str, Any]) -> bool:
    """The update is a `state` report the row holds already (same `ts`, same values)."""
    return (
        upd.state_ts is not None
        and upd.state_ts == row["state_ts"]
        and all(getattr(upd, c) == row[c] for c in _REPORTED)
    )


@dataclass
class BlockerWriter:
    db: Database
    on_health_change: HealthCallback | None = None
    low_battery: int = LOW_BATTERY_PERCENT
    # How long updates may wait to be written together. Reports arrive in small bursts (a move
    # is a `moving` state, a final state and an ack within milliseconds): one transaction for
    # the burst instead of three keeps the write lock free for bookings and the event loop free
    # for acks. `flush()` does not wait for it.
    flush_delay: float = 0.05
    retry_delay: float = 0.5
    max_retry_delay: float = 30.0
    stats: WriterStats = field(default_factory=WriterStats)
    # Where warnings about dropped reports go (the link passes its rate-limited logger).
    warn: Callable[..., None] = log.warning
    # Other processes write these rows too (see the module's docstring).
    shared: bool = False

    def __post_init__(self) -> None:
        self._pending: dict[str, RowUpdate] = {}
        self._dirty = asyncio.Event()
        self._flush_now = asyncio.Event()
        self._put_generation = 0
        self._done_generation = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        # Health as last reported to the callback (in memory: one alert per incident per process).
        self._incidents: dict[str, _Incident] = {}
        self._alerts: asyncio.Queue[tuple[str, bool, str]] = asyncio.Queue()
        self._warned_unknown: set[str] = set()
        # Current values of the registered blockers seen so far, read once and then kept up to
        # date here: health is judged on the whole row, while a flush writes only the columns
        # that news arrived for (nothing an operator changed meanwhile is overwritten with an
        # older value), and a steady-state flush is one statement with no read before it.
        self._rows: dict[str, dict[str, Any]] = {}

    # --- producer side (the MQTT message loop; never blocks) ---------------------------------

    def put(self, blocker_id: str, row_update: RowUpdate) -> bool:
        """Queues the update; False when it was a `state` report older than one already known
        (dropped; rows not read yet are checked again when written)."""
        older = self._pending.get(blocker_id)
        if row_update.state_ts is not None:
            latest = {**self._rows.get(blocker_id, {})}
            if older is not None:
                latest.update({c: getattr(older, c) for c in _COLUMNS if getattr(older, c) is not None})
            known: datetime | None = latest.get("state_ts")
            if known is not None and row_update.state_ts <= known:
                if row_update.state_ts < known:
                    self._stale(blocker_id, row_update.state_ts, known)
                    return False
                if all(latest.get(c) == getattr(row_update, c) for c in _REPORTED):
                    log.debug("repeated state report from blocker %s skipped", repr(blocker_id)[:80])
                    return False
                if _superseded(row_update, latest):
                    log.debug("moving report from blocker %s after its end skipped", repr(blocker_id)[:80])
                    return False
        self._pending[blocker_id] = older.then(row_update) if older else row_update
        self._put_generation += 1
        self._dirty.set()
        return True

    def _stale(self, blocker_id: str, ts: datetime, known: datetime) -> None:
        self.stats.stale_states += 1
        self.warn(
            "dropped a state report from blocker %s stamped %s: older than the one applied (%s)",
            repr(blocker_id)[:80],
            ts.isoformat(),
            known.isoformat(),
        )

    @property
    def backlog(self) -> int:
        """Blockers with updates not yet committed."""
        return len(self._pending)

    async def flush(self) -> None:
        """Returns once everything put before the call is committed."""
        target = self._put_generation
        if self._done_generation >= target:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((target, done))
        self._flush_now.set()
        await done

    # --- the writer task -------------------------------------------------------------------

    async def run(self) -> None:
        alerts = asyncio.create_task(self._alert_loop(), name="blocker-health-alerts")
        try:
            await self._write_loop()
        finally:
            alerts.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await alerts

    async def _write_loop(self) -> None:
        delay = self.retry_delay
        while True:
            await self._dirty.wait()
            if self.flush_delay > 0 and not self._flush_now.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._flush_now.wait(), self.flush_delay)
            self._flush_now.clear()
            self._dirty.clear()
            batch, self._pending = self._pending, {}
            generation = self._put_generation
            try:
                changes = await self._write(batch)
            except Exception:  # any database failure: keep the data and try again later
                self.stats.write_failures += 1
                log.exception("could not write %d blocker updates; retrying in %.1fs", len(batch), delay)
                for blocker_id, older in batch.items():
                    newer = self._pending.get(blocker_id)
                    self._pending[blocker_id] = older.then(newer) if newer else older
                self._dirty.set()
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_retry_delay)
                continue
            delay = self.retry_delay
            self._done_generation = generation
            self._wake_flush_waiters()
            for blocker_id, incident, alert in changes:
                self._incidents[blocker_id] = incident
                if alert:
                    self.stats.health_changes += 1
                    self._alerts.put_nowait((blocker_id, incident.healthy, incident.reason))

    def _wake_flush_waiters(self) -> None:
        still = []
        for target, done in self._waiters:
            if target <= self._done_generation:
                if not done.done():
                    done.set_result(None)
            else:
                still.append((target, done))
        self._waiters = still

    async def _write(self, batch: dict[str, RowUpdate]) -> list[tuple[str, _Incident, bool]]:
        """One transaction for the whole batch; returns the health changes it made (applied by
        the caller only once the transaction has committed)."""
        if not batch:
            return []
        changes: list[tuple[str, _Incident, bool]] = []
        merged: dict[str, dict[str, Any]] = {}
        by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        async with self.db.transaction() as session:
            if self.shared:
                found = await self._read(session, sorted(batch), lock=True)
                cached: dict[str, dict[str, Any]] = {}
            else:
                misses = [blocker_id for blocker_id in batch if blocker_id not in self._rows]
                found = await self._read(session, misses) if misses else {}
                cached = self._rows
            heard: list[str] = []
            for blocker_id, upd in batch.items():
                row = cached.get(blocker_id) or found.get(blocker_id)
                if row is None:
                    if self._unknown(blocker_id):
                        heard.append(blocker_id)
                    continue
                if (
                    upd.state_ts is not None
                    and row["state_ts"] is not None
                    and upd.state_ts < row["state_ts"]
                ):
                    # Not known when it was put: the row was read only now (first report since
                    # start, or written by another process).
                    self._stale(blocker_id, upd.state_ts, row["state_ts"])
                    upd = upd.without_report()
                elif _superseded(upd, row):
                    # Read only now (another process wrote the move's end): the move is over.
                    upd = upd.without_report()
                elif self.shared and _repeats(upd, row):
                    # The report the row has already (a retained one read again at start-up, by
                    # this process or another): old news, not a sign of life.
                    upd = RowUpdate(online=upd.online, last_seen=upd.last_seen if upd.online else None)
                news = {c: getattr(upd, c) for c in _COLUMNS if getattr(upd, c) is not None}
                if not news:
                    continue
                merged[blocker_id] = {**row, **news}
                extra = (
                    {"b_gone_since": upd.gone_since, "b_car_seen": upd.car_seen}
                    if "car_present" in news
                    else {}
                )
                by_columns.setdefault(tuple(news), []).append(
                    {"b_id": blocker_id, **{f"b_{c}": v for c, v in news.items()}, **extra}
                )
                change = (
                    self._row_health_change(row, merged[blocker_id])
                    if self.shared
                    else self._health_change(blocker_id, merged[blocker_id])
                )
                if change is not None:
                    changes.append((blocker_id, *change))
            if heard:
                await self._note_unassigned(session, heard)
            conn = await session.connection()
            for columns, params in by_columns.items():
                # Core executemany: one prepared UPDATE for all rows with the same news.
                await conn.execute(_update_statement(columns), params)
        self._rows.update(merged)
        self.stats.flushes += 1
        self.stats.rows_written += len(merged)
        return changes

    async def _read(
        self, session: AsyncSession, ids: list[str], *, lock: bool = False
    ) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        columns = [getattr(Blocker, c) for c in _COLUMNS]
        for start in range(0, len(ids), _SELECT_CHUNK):
            query = select(Blocker.id, *columns).where(Blocker.id.in_(ids[start : start + _SELECT_CHUNK]))
            if lock:
                # Sorted ids, locked in that order: two processes' batches cannot deadlock.
                query = query.order_by(Blocker.id).with_for_update()
            rows = await session.execute(query)
            for row in rows:
                found[row.id] = {c: getattr(row, c) for c in _COLUMNS}
        return found

    def _health_change(self, blocker_id: str, row: dict[str, Any]) -> tuple[_Incident, bool] | None:
        """The blocker's new health if it changed, and whether to alert about it."""
        problems = health_problems(
            online=bool(row["online"]),
            state=row["state"],
            battery=row["battery"],
            low_battery=self.low_battery,
        )
        healthy = not problems
        previous = self._incidents.get(blocker_id)
        if previous is None:
            # First sight since start: a running incident is reported (it may have begun while
            # the service was down); a healthy blocker has nothing to recover from.
            return (_Incident(False, ", ".join(problems)), True) if problems else (_Incident(True), False)
        if previous.healthy == healthy:
            return None
        return _Incident(healthy, ", ".join(problems) if problems else "recovered"), True

    def _problems(self, row: dict[str, Any]) -> list[str]:
        return health_problems(
            online=bool(row["online"]),
            state=row["state"],
            battery=row["battery"],
            low_battery=self.low_battery,
        )

    def _row_health_change(
        self, before: dict[str, Any], after: dict[str, Any]
    ) -> tuple[_Incident, bool] | None:
        """Shared mode: a change of the row's health made by this write, or None."""
        # A row never heard from (registered, offline by default) has nothing to recover from.
        was = self._problems(before) if before["last_seen"] is not None else []
        problems = self._problems(after)
        if bool(was) == bool(problems):
            return None
        return _Incident(not problems, ", ".join(problems) if problems else "recovered"), True

    async def _note_unassigned(self, session: AsyncSession, heard: list[str]) -> None:
        """Notes ids first heard now for the console (ids come from parse_topic, checked)."""
        noted = set(
            await session.scalars(select(UnassignedBlocker.id).where(UnassignedBlocker.id.in_(heard)))
        )
        room = MAX_UNASSIGNED - int(
            await session.scalar(select(func.count()).select_from(UnassignedBlocker)) or 0
        )
        new = [blocker_id for blocker_id in heard if blocker_id not in noted]
        if len(new) > room:
            self.warn(
                "%d unregistered blockers are not listed in the console: its list is full", len(new) - room
            )
        now = datetime.now(UTC)
        session.add_all(UnassignedBlocker(id=blocker_id, heard_at=now) for blocker_id in new[: max(room, 0)])

    def _unknown(self, blocker_id: str) -> bool:
        """Counts and logs an update for an unregistered id; True the first time it is heard."""
        self.stats.unknown_blocker_updates += 1
        if blocker_id in self._warned_unknown:
            log.debug("message from unregistered blocker %r ignored", blocker_id)
            return False
        if len(self._warned_unknown) >= _MAX_WARNED_UNKNOWN:
            self._warned_unknown.clear()
        self._warned_unknown.add(blocker_id)
        log.warning(
            "messages from unregistered blocker %r are ignored (staff bind it to a spot in "
            "/admin, Blockers, Unassigned)",
            blocker_id,
        )
        return True

    async def _alert_loop(self) -> None:
        # A separate task, so that a slow callback (it may send Telegram messages) never holds
        # up the database writes.
        while True:
            blocker_id, healthy, reason = await self._alerts.get()
            try:
                if self.on_health_change is not None:
                    result = self.on_health_change(blocker_id, healthy, reason)
                    if inspect.isawaitable(result):
                        await result
            except Exception:  # a broken callback must not stop the link
                log.exception("health callback failed for blocker %r", blocker_id)
            finally:
                self._alerts.task_done()

    async def drain_alerts(self) -> None:
        """Returns once queued health callbacks have run; for shutdown."""
        await self._alerts.join()


__all__ = ["BlockerWriter", "HealthCallback", "RowUpdate", "WriterStats"]
