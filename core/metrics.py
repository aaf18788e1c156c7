"""Prometheus metrics (`GET /metrics`, DESIGN.md §7).

The counters and histograms live in this process's registry (`REGISTRY`) and are moved by the
edges: the update loop (bot/metrics.py), the outbox dispatcher, the blocker link, the sweeps.
Gauges read from the database (outbox queue, bookings, blockers) come from a `DatabaseGauges`
collector per running service, refreshed at scrape time: at most once every few seconds and
within a short timeout, so a scraper (or several) can never load the database.

Several processes: each serves its own registry, and every sample carries a `process` label
(PROCESS_NAME, or hostname:pid), so that Prometheus sums across processes with `sum by`.
The multiprocess mode of prometheus-client (shared files, for forking servers) is not used:
our processes are independent services, each scraped on its own port.

Labels are bounded sets (update types, outcomes, channels, states, job names, Bot API method
names); never a user, chat, booking or blocker id, and never a secret.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session, UOWTransaction

from core.blockers import blocker_unhealthy
from core.clock import Clock
from core.db import Database
from core.models import (
    Blocker,
    Notification,
    NotificationStatus,
    Payment,
    PaymentStatus,
    Reservation,
    ReservationStatus,
)

log = logging.getLogger(__name__)

# `_created` series double every counter's lines and say only when the process started.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

# Round trips to a blocker: a broker hop each way plus the motor's answer (seconds).
_COMMAND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 30.0)
# Sweeps: milliseconds when idle, seconds for a city's reminders at the top of the hour.
_SWEEP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

UPDATES = Counter(
    "parking_updates_handled",
    "Telegram updates handled by this process, by update type and outcome "
    "(handled, unhandled: no handler took it, error: a handler raised)",
    ["type", "outcome"],
    registry=REGISTRY,
)
UPDATE_SECONDS = Histogram(
    "parking_update_handling_seconds",
    "Time from an update entering the dispatcher to its handling finishing",
    ["type"],
    registry=REGISTRY,
)
SENDS = Counter(
    "parking_notifications_sent",
    "Outbox send attempts by channel and result (sent, retry, failed: failed for good, "
    "fallback: failed for good and re-queued by SMS)",
    ["channel", "result"],
    registry=REGISTRY,
)
TELEGRAM_RATE_LIMITED = Counter(
    "parking_telegram_rate_limited",
    "Bot API calls Telegram answered with 429 Too Many Requests, by method",
    ["method"],
    registry=REGISTRY,
)
PAYMENTS = Counter(
    "parking_payments",
    "Payments reaching a status, by method (card, wallet), purpose and result (the status)",
    ["method", "purpose", "result"],
    registry=REGISTRY,
)
BLOCKER_COMMANDS = Counter(
    "parking_blocker_commands",
    "Blocker commands by action and result (ok, a device's refusal, timeout, offline, not_connected)",
    ["action", "result"],
    registry=REGISTRY,
)
BLOCKER_COMMAND_SECONDS = Histogram(
    "parking_blocker_command_seconds",
    "Round trip of a blocker command that was answered: command sent to ack received",
    ["action"],
    buckets=_COMMAND_BUCKETS,
    registry=REGISTRY,
)
SWEEP_SECONDS = Histogram(
    "parking_sweep_seconds",
    "Duration of a sweep run, by job",
    ["job"],
    buckets=_SWEEP_BUCKETS,
    registry=REGISTRY,
)
SWEEP_FAILURES = Counter(
    "parking_sweep_failures",
    "Sweep runs that raised, by job",
    ["job"],
    registry=REGISTRY,
)


def process_label(name: str = "") -> str:
    """The `process` label: PROCESS_NAME when set, else hostname:pid (unique per process)."""
    return name or f"{socket.gethostname()}:{os.getpid()}"


# --- payments: counted when the transaction that changed them commits ----------------------

_PENDING_KEY = "parking_metrics_payments"


def _payments_flushed(session: Session, _flush: UOWTransaction) -> None:
    # After a flush, `new` and `dirty` and the attribute history still show what it wrote.
    changed: list[tuple[str, str, str]] = session.info.setdefault(_PENDING_KEY, [])
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Payment):
            continue
        added = inspect(obj).attrs.status.history.added
        if added and added[0] != PaymentStatus.PENDING:
            changed.append((str(obj.method), str(obj.purpose), str(added[0])))


def _payments_committed(session: Session) -> None:
    for method, purpose, result in session.info.pop(_PENDING_KEY, ()):
        PAYMENTS.labels(method, purpose, result).inc()


def _payments_rolled_back(session: Session, _previous: Any = None) -> None:
    session.info.pop(_PENDING_KEY, None)


_tracking = False


def track_payments() -> None:
    """Counts payment status changes as their transactions commit (a rolled-back or retried
    transaction counts nothing). Idempotent; main.py calls it once per process."""
    global _tracking
    if _tracking:
        return
    event.listen(Session, "after_flush", _payments_flushed)
    event.listen(Session, "after_commit", _payments_committed)
    event.listen(Session, "after_soft_rollback", _payments_rolled_back)
    _tracking = True


# --- gauges read from the database at scrape time -----------------------------------------

LIVE_BOOKINGS = (ReservationStatus.PENDING_PAYMENT, ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE)


@dataclass(frozen=True, slots=True)
class _Reading:
    due: dict[str, int] = field(default_factory=dict)  # channel -> notifications due now
    oldest_due: dict[str, float] = field(default_factory=dict)  # channel -> seconds overdue
    bookings: dict[str, int] = field(default_factory=dict)  # live state -> bookings
    blockers: int = 0
    blockers_online: int = 0
    blockers_unhealthy: int = 0


class DatabaseGauges:
    """The database's side of the metrics, read at most once every `cache_seconds` (however
    many scrapes come, from however many scrapers) and within `timeout`. A read that fails or
    times out shows as `parking_metrics_database_ok 0` and leaves the database gauges out until
    the next read, rather than serving old figures as if they were current."""

    def __init__(
        self, db: Database, clock: Clock, *, cache_seconds: float = 5.0, timeout: float = 2.0
    ) -> None:
        self.db = db
        self.clock = clock
        self.cache_seconds = cache_seconds
        self.timeout = timeout
        self._reading: _Reading | None = None
        self._read_at: float | None = None  # time.monotonic() of the last attempt
        self._lock = asyncio.Lock()
        self._failure_logged = False

    async def refresh(self) -> None:
        """Reads the database unless a read was attempted within `cache_seconds`; one read at
        a time (concurrent scrapes wait for it and share its result)."""
        async with self._lock:
            now = time.monotonic()
            if self._read_at is not None and now - self._read_at < self.cache_seconds:
                return
            self._read_at = now
            try:
                async with asyncio.timeout(self.timeout):
                    self._reading = await self._read()
            except Exception as exc:  # the scrape still answers: the process's own metrics
                self._reading = None
                if not self._failure_logged:  # one line per outage, not one per scrape
                    log.warning("metrics: database gauges unavailable (%s)", type(exc).__name__)
                    self._failure_logged = True
                return
            if self._failure_logged:
                log.warning("metrics: database gauges available again")
                self._failure_logged = False

    async def _read(self) -> _Reading:
        now = self.clock.now()
        async with self.db.read(snapshot=False) as s:
            due_rows = await s.execute(
                select(Notification.channel, func.count(), func.min(Notification.due_at))
                .where(Notification.status == NotificationStatus.PENDING, Notification.due_at <= now)
                .group_by(Notification.channel)
            )
            due: dict[str, int] = {}
            oldest: dict[str, float] = {}
            for channel, count, first in due_rows:
                due[str(channel)] = int(count)
                oldest[str(channel)] = max(0.0, (now - _aware(first, now)).total_seconds())
            booking_rows = await s.execute(
                select(Reservation.status, func.count())
                .where(Reservation.status.in_(LIVE_BOOKINGS))
                .group_by(Reservation.status)
            )
            bookings = {str(status): int(count) for status, count in booking_rows}
            blockers = (
                await s.execute(
                    select(
                        func.count(),
                        func.count().filter(Blocker.online.is_(True)),
                        func.count().filter(blocker_unhealthy()),
                    ).select_from(Blocker)
                )
            ).one()
        return _Reading(due, oldest, bookings, int(blockers[0]), int(blockers[1]), int(blockers[2]))

    def collect(self) -> Iterator[Metric]:
        reading = self._reading
        ok = GaugeMetricFamily(
            "parking_metrics_database_ok",
            "1 when the last read of the database gauges succeeded within its timeout",
        )
        ok.add_metric([], 0.0 if reading is None else 1.0)
        yield ok
        if reading is None:
            return
        due = GaugeMetricFamily(
            "parking_outbox_due", "Notifications due and not yet sent, by channel", labels=["channel"]
        )
        oldest = GaugeMetricFamily(
            "parking_outbox_oldest_due_age_seconds",
            "How long the oldest due notification has been waiting, by channel (0: none due)",
            labels=["channel"],
        )
        for channel in ("telegram", "sms"):
            due.add_metric([channel], float(reading.due.get(channel, 0)))
            oldest.add_metric([channel], reading.oldest_due.get(channel, 0.0))
        yield due
        yield oldest
        bookings = GaugeMetricFamily(
            "parking_bookings",
            "Bookings in each live state (finished ones are not counted)",
            labels=["state"],
        )
        for state in LIVE_BOOKINGS:
            bookings.add_metric([state.value], float(reading.bookings.get(state.value, 0)))
        yield bookings
        blockers = GaugeMetricFamily("parking_blockers", "Registered blockers, by health", labels=["health"])
        blockers.add_metric(["online"], float(reading.blockers_online))
        blockers.add_metric(["offline"], float(reading.blockers - reading.blockers_online))
        blockers.add_metric(["unhealthy"], float(reading.blockers_unhealthy))
        blockers.add_metric(["total"], float(reading.blockers))
        yield blockers


def _aware(value: datetime, like: datetime) -> datetime:
    # Stored in UTC; a driver that hands an aggregate back naive means UTC too.
    return value if value.tzinfo is not None else value.replace(tzinfo=like.tzinfo)


class _Source(Protocol):
    def collect(self) -> Iterable[Metric]: ...


class _WithProcess:
    """Every sample of its sources, with the `process` label added."""

    def __init__(self, process: str, sources: Iterable[_Source]) -> None:
        self.process = process
        self.sources = tuple(sources)

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            for metric in source.collect():
                metric.samples = [
                    sample._replace(labels={"process": self.process, **sample.labels})
                    for sample in metric.samples
                ]
                yield metric


class MetricsEndpoint:
    """What `GET /metrics` serves for one running service."""

    def __init__(self, process: str, gauges: DatabaseGauges | None) -> None:
        self.process = process
        self.gauges = gauges
        sources: list[_Source] = [REGISTRY]
        if gauges is not None:
            sources.append(gauges)
        self._exposed = _WithProcess(process, sources)

    async def render(self, accept: str = "") -> tuple[bytes, str]:
        """(body, Content-Type) in the format the scraper asked for (Accept header): the
        Prometheus text format 0.0.4 by default, OpenMetrics when asked for."""
        if self.gauges is not None:
            await self.gauges.refresh()
        encoder, content_type = choose_encoder(accept)
        return encoder(self._exposed), content_type
