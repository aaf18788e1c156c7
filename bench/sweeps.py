"""Sweep throughput benchmark: N bookings whose reminders are due at once (a city's car parks
all ending at 18:00), N unpaid holds past their time, then the same N bookings ended, swept
as the scheduler sweeps them (jobs/sweeps.py: batch after batch, each claimed in one
statement with its notifications in one INSERT).

    python bench/sweeps.py [--bookings 5000,10000] [--backend sqlite|postgres|both]

Prints reminders/s, expiries/s and completions/s per backend and size, and checks that every
booking got exactly one notification of each kind. Target: >= 2,000/s each.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time

from sqlalchemy import func, insert, select

from bench._common import (
    BackendUnavailable,
    backend_choices,
    insert_drivers,
    postgres_server_version,
    print_machine,
    print_table,
    scratch_database,
)
from core.clock import ManualClock
from core.db import Database
from core.models import Notification, Premise, Reservation, Spot, User
from core.notifications import NotificationKind
from core.pricing import PeriodRate, RatePlan
from core.services.pricing import ensure_plan, store_plan
from jobs import sweeps

TARGET = 2000.0
PREMISES = 20
REMINDER_MINUTES = 30


async def seed(db: Database, n: int, now: datetime) -> None:
    """n drivers on n spots over PREMISES car parks: each has a paid booking that started an
    hour ago and ends in 30 minutes (every fifth spot is booked again right after it: no
    extension offered), and an unpaid hold for later today that lapsed a minute ago."""
    async with db.transaction() as s:
        premises = [
            Premise(
                name=f"Car Park {p}",
                address=f"{p} Main Street",
                lat=50.45 + p / 1000,
                lon=30.52,
                timezone="Europe/Kyiv",
                price_per_hour=200,
                currency="EUR",
                features=[],
                photos=[],
                description="",
                opening_hours="24/7",
                is_active=True,
                created_at=now - timedelta(days=30),
            )
            for p in range(PREMISES)
        ]
        s.add_all(premises)
        await s.flush()
        plans = []
        for p, premise in enumerate(premises):
            if p % 4:
                plans.append((await ensure_plan(s, premise, now)).plan_id)
                continue
            # Every fourth car park has a first-hour price and an evening rate: its prices
            # are walked minute by minute.
            evening = PeriodRate(frozenset(range(7)), clock_time(18, 0), clock_time(8, 0), 100)
            plan = RatePlan(base_per_hour=200, currency="EUR", first_hour=300, periods=(evening,))
            plans.append((await store_plan(s, premise, plan, now - timedelta(days=1))).plan_id)
        await insert_drivers(s, n, now)
        await s.execute(
            insert(Spot),
            [
                {"premise_id": premises[i % PREMISES].id, "label": f"S{i}", "is_active": True}
                for i in range(n)
            ],
        )
        users = list(await s.scalars(select(User.id).order_by(User.id)))
        spots = list(await s.scalars(select(Spot.id).order_by(Spot.id)))
        end = now + timedelta(minutes=REMINDER_MINUTES)
        rows = []
        for i, (user_id, spot_id) in enumerate(zip(users, spots, strict=True)):
            start = end - timedelta(minutes=60 + 15 * (i % 12))  # stays of 1 to 3 3/4 hours
            common = {
                "user_id": user_id,
                "spot_id": spot_id,
                "currency": "EUR",
                "rate_plan_id": plans[i % PREMISES],
                "no_show": False,
                "created_at": now,
                "updated_at": now,
            }
            rows.append({**common, "starts_at": start, "ends_at": end, "status": "confirmed", "price": 300})
            if i % 5 == 0:  # the spot's next booking, by the same driver for simplicity
                after = end + timedelta(hours=1)
                rows.append(
                    {**common, "starts_at": end, "ends_at": after, "status": "confirmed", "price": 200}
                )
            rows.append(
                {
                    **common,
                    "starts_at": end + timedelta(hours=3),
                    "ends_at": end + timedelta(hours=4),
                    "status": "pending_payment",
                    "price": 200,
                    "hold_expires_at": now - timedelta(minutes=1),
                }
            )
        for at in range(0, len(rows), 5000):
            await s.execute(insert(Reservation), rows[at : at + 5000])


async def timed(sweep: Callable[[], Awaitable[int]]) -> tuple[int, float]:
    started = time.perf_counter()
    done = await sweep()
    return done, time.perf_counter() - started


async def queued(db: Database, kind: NotificationKind) -> tuple[int, int]:
    """(notifications of the kind, distinct reservations they are about)."""
    async with db.read() as s:
        total = await s.scalar(select(func.count()).where(Notification.kind == kind.value)) or 0
        keys = await s.scalars(select(Notification.payload).where(Notification.kind == kind.value))
        return total, len({p["reservation_id"] for p in keys})


async def run_one(backend: str, n: int) -> list[object]:
    async with scratch_database(backend, "sweeps") as url:
        db = Database.from_url(url)
        try:
            now = datetime.now(UTC).replace(microsecond=0)
            clock = ManualClock(now)
            await seed(db, n, now)
            reminded, reminding = await timed(lambda: sweeps.send_reminders(db, clock, REMINDER_MINUTES))
            expired, expiring = await timed(lambda: sweeps.expire_holds(db, clock, None))
            clock.set(now + timedelta(minutes=REMINDER_MINUTES))
            completed, completing = await timed(lambda: sweeps.complete_ended(db, clock))
            checks = []
            for kind, want in (
                (NotificationKind.BOOKING_REMINDER, n),
                (NotificationKind.HOLD_EXPIRED, n),
                (NotificationKind.BOOKING_COMPLETED, n),
            ):
                total, distinct = await queued(db, kind)
                if total != want or distinct != want:
                    checks.append(f"{kind.value}: {total} queued for {distinct} of {want}")
        finally:
            await db.dispose()
    rates = (reminded / reminding, expired / expiring, completed / completing)
    ok = not checks and min(rates) >= TARGET and (reminded, expired, completed) == (n, n, n)
    return [backend, n, *rates, "PASS" if ok else "FAIL " + "; ".join(checks)]


async def run(sizes: list[int], backends: list[str]) -> int:
    print_machine("sweep throughput benchmark")
    if "postgres" in backends:
        try:
            print(f"PostgreSQL server {await postgres_server_version()}")
        except OSError as exc:
            print(f"PostgreSQL unavailable ({exc}): skipped")
            backends = [b for b in backends if b != "postgres"]
    rows: list[list[object]] = []
    for backend in backends:
        for n in sizes:
            try:
                rows.append(await run_one(backend, n))
            except BackendUnavailable as exc:
                print(f"[{backend}] skipped: {exc}")
                break
    print_table(["backend", "bookings", "reminders/s", "expiries/s", "completions/s", "result"], rows)
    print(f"TARGET >= {TARGET:,.0f}/s each, every booking notified once of each")
    return 0 if rows and all(r[-1] == "PASS" for r in rows) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--bookings", default="5000,10000")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    sizes = [int(v) for v in args.bookings.split(",")]
    return asyncio.run(run(sizes, backend_choices(args.backend)))


if __name__ == "__main__":
    raise SystemExit(main())
