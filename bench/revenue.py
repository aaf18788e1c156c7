"""Revenue benchmark: the console's Revenue screen for a month with 10,000 bookings on SQLite.

    python bench/revenue.py [--bookings 10000] [--runs 10] [--backend sqlite|postgres|both]

Loads one car park with 200 spots and a month (November 2026, Europe/Kyiv) of bookings, each
paid by card or wallet, about a tenth extended (a second payment) and a twelfth cancelled with
a refund, then times the use case the screen calls (core/usecases/revenue.py
RevenueUseCases.revenue) for the month, and the CSV export, over several runs after a warm-up.
Prints p50/p95/max per call. Target (issue 13): the screen's use case under 1 s on SQLite.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bench._common import (
    BackendUnavailable,
    after_load,
    backend_choices,
    bulk_insert,
    print_machine,
    print_table,
    scratch_database,
    summarize,
)
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.models import (
    Payment,
    PaymentMethodKind,
    PaymentPurpose,
    PaymentStatus,
    Premise,
    Reservation,
    ReservationStatus,
    Spot,
    User,
)
from core.usecases.revenue import Period, RevenueUseCases

MONTH_START = datetime(2026, 10, 31, 22, 0, tzinfo=UTC)  # 1 Nov, midnight in Kyiv
MONTH = (date(2026, 11, 1), date(2026, 11, 30))
SPOTS = 200
TARGET_SECONDS = 1.0


async def seed(db: Database, bookings: int, rng: random.Random) -> int:
    """One car park, its spots, drivers, `bookings` bookings spread over the month with their
    payments and refunds; returns the owner's user id."""
    users = [{"id": n, "telegram_id": 10_000 + n, "name": f"Driver {n}", "language": "en", "is_admin": n == 1}
             for n in range(1, 501)]  # fmt: skip
    premise = {"id": 1, "name": "Stadium Car Park", "address": "1 Arena Way", "lat": 50.45, "lon": 30.52,
               "timezone": "Europe/Kyiv", "price_per_hour": 250, "currency": "EUR", "features": [],
               "photos": [], "description": "", "opening_hours": "24/7", "is_active": True, "code": "1001",
               "created_at": MONTH_START}  # fmt: skip
    spots = [{"id": n, "premise_id": 1, "label": f"S{n}", "is_active": True} for n in range(1, SPOTS + 1)]
    reservations: list[dict[str, Any]] = []
    payments: list[dict[str, Any]] = []
    per_spot = -(-bookings // SPOTS)
    slot = timedelta(days=30) / per_spot  # each spot's bookings follow one another
    for n in range(bookings):
        spot = n % SPOTS + 1
        starts = MONTH_START + slot * (n // SPOTS) + timedelta(minutes=15 * rng.randint(0, 8))
        minutes = 15 * rng.randint(2, 12)
        ends = starts + timedelta(minutes=minutes)
        price = -(-250 * minutes // 60)
        cancelled = rng.random() < 1 / 12
        rid = n + 1
        reservations.append(
            {
                "id": rid,
                "user_id": rng.randint(2, 500),
                "spot_id": spot,
                "starts_at": starts,
                "ends_at": ends,
                "status": ReservationStatus.CANCELLED if cancelled else ReservationStatus.COMPLETED,
                "price": price,
                "currency": "EUR",
                "created_at": starts - timedelta(hours=2),
                "updated_at": ends,
                "closed_at": ends,
            }
        )
        paid_at = starts - timedelta(minutes=rng.randint(5, 600))
        method = rng.choice((PaymentMethodKind.CARD, PaymentMethodKind.WALLET))
        payments.append(
            {
                "id": len(payments) + 1,
                "user_id": reservations[-1]["user_id"],
                "reservation_id": rid,
                "purpose": PaymentPurpose.BOOKING,
                "method": method,
                "amount": price,
                "currency": "EUR",
                "status": PaymentStatus.REFUNDED if cancelled else PaymentStatus.SUCCEEDED,
                "refunded_amount": price if cancelled else 0,
                "created_at": paid_at,
                "updated_at": paid_at,
                "succeeded_at": paid_at,
                "refunded_at": paid_at + timedelta(minutes=30) if cancelled else None,
            }
        )
        if not cancelled and rng.random() < 0.1:  # an extension's payment, during the stay
            payments.append(
                {
                    "id": len(payments) + 1,
                    "user_id": reservations[-1]["user_id"],
                    "reservation_id": rid,
                    "purpose": PaymentPurpose.EXTENSION,
                    "method": PaymentMethodKind.WALLET,
                    "amount": 125,
                    "currency": "EUR",
                    "status": PaymentStatus.SUCCEEDED,
                    "refunded_amount": 0,
                    "created_at": starts,
                    "updated_at": starts,
                    "succeeded_at": starts + timedelta(minutes=10),
                    "refunded_at": None,
                }
            )
    async with db.engine.begin() as conn:
        await bulk_insert(conn, User, users)
        await bulk_insert(conn, Premise, [premise])
        await bulk_insert(conn, Spot, spots)
        await bulk_insert(conn, Reservation, reservations)
        await bulk_insert(conn, Payment, payments)
        await after_load(conn, ("users", "premises", "spots", "reservations", "payments"))
    return 1


async def _time(runs: int, call: Any) -> list[float]:
    await call()  # warm-up: caches, first statement compiles
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - started)
    return samples


async def run_backend(backend: str, bookings: int, runs: int) -> list[list[object]]:
    async with scratch_database(backend, "revenue") as url:
        db = Database.from_url(url)
        try:
            loading = time.perf_counter()
            owner = await seed(db, bookings, random.Random(13))
            print(f"{backend}: loaded {bookings:,} bookings in {time.perf_counter() - loading:.1f} s")
            clock = ManualClock(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
            uc = RevenueUseCases(db, clock, Settings(_env_file=None, bot_token="1:x", timezone="Europe/Kyiv"))
            report = await uc.revenue(owner, 1, Period.CUSTOM, *MONTH)
            totals = report.currencies[0]
            print(
                f"{backend}: {report.bookings:,} bookings, {totals.payments:,} payments, "
                f"{totals.refund_count:,} refunds, net {totals.net / 100:,.2f} EUR, "
                f"occupancy {100 * (report.occupancy or 0):.1f}%"
            )
            rows: list[list[object]] = []
            calls = (
                ("revenue screen, the car park", lambda: uc.revenue(owner, 1, Period.CUSTOM, *MONTH)),
                ("revenue screen, all car parks", lambda: uc.revenue(owner, None, Period.CUSTOM, *MONTH)),
                ("CSV export", lambda: uc.revenue_csv(owner, 1, Period.CUSTOM, *MONTH)),
            )
            for name, call in calls:
                s = summarize(await _time(runs, call))
                rows.append([backend, name, s.n, s.p50 * 1000, s.p95 * 1000, s.max * 1000])
            return rows
        finally:
            await db.dispose()


async def run(bookings: int, runs: int, backends: list[str]) -> int:
    print_machine("revenue benchmark")
    rows: list[list[object]] = []
    for backend in backends:
        try:
            rows += await run_backend(backend, bookings, runs)
        except BackendUnavailable as exc:
            print(f"{backend}: skipped ({exc})")
    print()
    print_table(["backend", "call", "runs", "p50 ms", "p95 ms", "max ms"], rows)
    screen = [r for r in rows if r[0] == "sqlite" and r[1] == "revenue screen, the car park"]
    if screen:
        p95 = float(screen[0][4]) / 1000  # type: ignore[arg-type]
        verdict = "OK" if p95 < TARGET_SECONDS else "OVER"
        print(
            f"\ntarget: the revenue screen under {TARGET_SECONDS:.0f} s on SQLite: "
            f"p95 {p95:.3f} s ({verdict})"
        )
        return 0 if p95 < TARGET_SECONDS else 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="sqlite")
    args = parser.parse_args()
    return asyncio.run(run(args.bookings, args.runs, backend_choices(args.backend)))


if __name__ == "__main__":
    sys.exit(main())
