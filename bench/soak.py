"""Soak run of "the spot that knows" (issue 16): many simulated blockers, cars arriving and
leaving at random, against the running service.

    python bench/soak.py [--minutes 3] [--blockers 500] [--speed 60] [--backend sqlite|postgres]
                         [--url mqtt://127.0.0.1:1883] [--seed 1]

What runs, in this one process:
- the service as `python main.py run` builds it (`service.App`: the MQTT link on the real broker,
  the ingest writer, the scheduler's sweeps, the outbox dispatcher to the Bot API fake), on a
  scratch database migrated to head (SQLite file or a PostgreSQL database dropped at the end);
- `--blockers` simulated blockers (`hardware.simulator.Simulator`, the simulator's device class)
  on ONE shared MQTT connection (500 devices with a connection each cost 500 keepalive loops
  and sockets; one connection carries them all, and the broker still sees one topic per device);
- one driver per blocker: books a spot of its car park for 30-120 minutes from now and pays
  from the wallet (core.services.booking / payments, as the bot's "Pay from wallet" does), comes
  after a random trip, lowers the blocker through ArrivalUseCases.lower (what "I've arrived"
  calls), drives on (`set_car(True)`), and leaves (`set_car(False)`) at a random time: early in
  half the stays, around the end in a third, and the rest drive off and come back within the
  leave grace first (a car that only moves). Some never come (no-shows).

Time: a real-time accelerated clock (`--speed` simulated seconds per real second, 60 by
default: a 3-minute run covers 3 simulated hours). Everything reads it: the service's sweeps
and rules, the devices' report stamps, the drivers' plans. The service's settings are in
simulated minutes as in production (LEAVE_GRACE_MINUTES 5 = 5 real seconds at 60x); the sweeps
run every real second; ACK_TIMEOUT_SECONDS is 30 so a command's expiry (issued_at + timeout on
the accelerated clock = 0.5 real seconds) is not hit by ordinary broker latency.

Checked at the end (and printed, with the figures):
- every early leave refunded exactly once: each booking the service completed because its car
  left has one refund transaction if whole unused 15-minute steps were left, none otherwise, and
  no other booking has a refund; every leave the bench made that had the leave grace and a sweep
  to spare before the booking's end was completed that way;
- no blocker ever raised while its car was present: each device checks every raise it is asked
  to execute against its own `car_present` (the bench's record of commands against state; such
  a raise is refused `obstacle`, as the real arm's sensor would, and counted);
- the wallet ledger: for every user the sum of transactions equals the balance the payments
  table implies (deposit - wallet payments + refunds + credits) and is >= 0;
- no two holding reservations of a spot overlap.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import contextlib
import logging
import random
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from bench._common import BackendUnavailable, overlapping_pairs, print_machine, print_table, scratch_database
from core.config import Settings
from core.errors import DomainError
from core.models import (
    Blocker,
    Notification,
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    Reservation,
    Spot,
    User,
    WalletTransaction,
    WalletTxKind,
)
from core.rules import start_now
from core.services import booking, wallet
from core.services import payments as pay_rules
from core.services.presence import used_end
from demo.botapi import DEFAULT_TOKEN, TelegramFake
from hardware.protocol import AckError, Action, Command
from hardware.simulator import Simulator
from hardware.simulator.device import SimulatedBlocker
from service import App
from tests.factories import make_premise

SPOTS_PER_PREMISE = 50
FUNDS = 10_000_000  # minor units per driver: never the limit
LEAVE_GRACE_MINUTES = 5
STEP = timedelta(minutes=15)
SETTLE_REAL_SECONDS = 10


class AcceleratedClock:
    """Simulated time: starts at the real now and runs `speed` times faster."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._start = datetime.now(UTC)
        self._t0 = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)

    async def sleep(self, simulated: timedelta) -> None:
        await asyncio.sleep(max(0.0, simulated.total_seconds() / self.speed))


@dataclass
class Leave:
    reservation_id: int
    left_at: datetime  # the device's stamp of the report that the bay was empty for good
    ends_at: datetime


@dataclass
class Record:
    bookings: int = 0
    booking_refused: Counter[str] = field(default_factory=Counter)
    arrivals: int = 0
    lower_failed: Counter[str] = field(default_factory=Counter)
    no_shows_planned: int = 0
    leaves: list[Leave] = field(default_factory=list)
    wobbles: int = 0  # drove off and came back within the grace
    # Raises a device was asked to execute with a car on its bay: (blocker, seconds of simulated
    # time the car had been reported there when the command was issued; < 0: it came after).
    raises_under_car: list[tuple[str, float]] = field(default_factory=list)
    car_since: dict[str, datetime] = field(default_factory=dict)  # the latest car's arrival
    commands: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    db_errors: Counter[str] = field(default_factory=Counter)  # booking transactions the database refused


def guard_device(device: SimulatedBlocker, record: Record) -> None:
    """Records every command the device executes against its own state: a raise with a car on
    the bay is counted and refused `obstacle` (the arm's sensor), never executed."""
    execute = device._execute

    async def guarded(command: Command) -> Any:
        record.commands[command.action.value] += 1
        if command.action is Action.RAISE and device.car_present:
            since = record.car_since.get(device.id)
            ahead = (command.issued_at - since).total_seconds() if since is not None else 0.0
            record.raises_under_car.append((device.id, ahead))
            return device._ack(command, AckError.OBSTACLE)
        return await execute(command)

    setattr(device, "_execute", guarded)  # noqa: B010 - a bench hook on one instance


async def setup(app: App, blockers: int) -> list[tuple[int, int]]:
    """Premises of SPOTS_PER_PREMISE spots, a blocker on each, and one funded driver per blocker;
    returns (user id, premise id) per driver."""
    drivers: list[tuple[int, int]] = []
    now = app.clock.now()
    async with app.db.transaction() as s:
        premises = []
        for n in range((blockers + SPOTS_PER_PREMISE - 1) // SPOTS_PER_PREMISE):
            size = min(SPOTS_PER_PREMISE, blockers - n * SPOTS_PER_PREMISE)
            premise = await make_premise(
                s,
                lat=50.40 + 0.01 * n,
                lon=30.50,
                spots=size,
                price_per_hour=200,
                name=f"Soak {n}",
                timezone="Europe/Kyiv",
            )
            premises.append(premise.id)
        spots = list((await s.execute(select(Spot.id, Spot.premise_id).order_by(Spot.id))).tuples().all())
        s.add_all(Blocker(id=f"SOAK-{i:04d}", spot_id=spot_id) for i, (spot_id, _p) in enumerate(spots))
        users = [User(telegram_id=900_000 + i, name=f"Driver {i}", language="en") for i in range(blockers)]
        s.add_all(users)
        await s.flush()
        for i, user in enumerate(users):
            await wallet.credit(
                s, user.id, FUNDS, "EUR", kind=WalletTxKind.DEPOSIT, reference=f"soak:{i}", now=now
            )
            drivers.append((user.id, spots[i][1]))
    return drivers


async def driver(
    app: App,
    sim: Simulator,
    clock: AcceleratedClock,
    user_id: int,
    premise_id: int,
    until: float,
    rng: random.Random,
    record: Record,
) -> None:
    assert app.arrival is not None
    while time.monotonic() < until:
        await clock.sleep(timedelta(minutes=rng.uniform(0, 20)))
        now = clock.now()
        minutes = rng.choice(range(30, 121, 15))
        try:
            # As the bot does it: the hold in one transaction ("Hold the spot"), the payment in
            # another ("Pay from wallet").
            async with app.db.transaction() as s:
                r = await booking.hold(
                    s,
                    user_id=user_id,
                    premise_id=premise_id,
                    starts_at=start_now(now),
                    minutes=minutes,
                    now=now,
                    hold_minutes=10,
                )
                rid, ends_at, spot_id = r.id, r.ends_at, r.spot_id
            async with app.db.transaction() as s:
                await pay_rules.pay_booking_with_wallet(
                    s, reservation_id=rid, user_id=user_id, now=clock.now()
                )
                blocker_id = await s.scalar(select(Blocker.id).where(Blocker.spot_id == spot_id))
        except DomainError as exc:
            record.booking_refused[type(exc).__name__] += 1
            await clock.sleep(timedelta(minutes=5))
            continue
        except DBAPIError as exc:  # a deadlock or a serialization failure: a finding, counted
            record.db_errors[type(exc.orig).__name__ if exc.orig is not None else "DBAPIError"] += 1
            await clock.sleep(timedelta(minutes=5))
            continue
        assert blocker_id is not None
        record.bookings += 1
        device = sim[blocker_id]
        if rng.random() < 0.05:  # never comes: the no-show release or the end settles it
            record.no_shows_planned += 1
            await _until(clock, ends_at)
            continue
        await clock.sleep(timedelta(minutes=rng.uniform(0, 10)))
        arrived = False
        for _attempt in range(3):
            result = await app.arrival.lower(rid, user_id)
            if result.ok or (result.refused is not None and result.refused.value == "already_down"):
                arrived = True
                break
            reason = (
                result.refused.value
                if result.refused
                else (result.result.status.value if result.result else "?")
            )
            record.lower_failed[reason] += 1
            if result.refused is not None and result.refused.value in ("ended", "wrong_state"):
                break
            await clock.sleep(timedelta(minutes=1))
        if not arrived:
            await _until(clock, ends_at)
            continue
        record.arrivals += 1
        await clock.sleep(timedelta(seconds=rng.uniform(10, 60)))  # drives on
        record.car_since[blocker_id] = clock.now()
        await device.set_car(True)
        span = (ends_at - clock.now()).total_seconds()
        plan = rng.random()
        if plan < 0.15 and span > 20 * 60:  # drives off and comes back within the grace
            await clock.sleep(timedelta(seconds=rng.uniform(0.1, 0.4) * span))
            await device.set_car(False)
            await clock.sleep(timedelta(minutes=rng.uniform(0.5, LEAVE_GRACE_MINUTES - 2)))
            record.car_since[blocker_id] = clock.now()
            await device.set_car(True)
            record.wobbles += 1
            span = (ends_at - clock.now()).total_seconds()
            plan = 0.0  # then leaves early
        if plan < 0.6:  # early
            stay = timedelta(seconds=rng.uniform(0.1, 0.8) * max(span, 0))
        else:  # around the end, a few minutes either side
            stay = (ends_at - clock.now()) + timedelta(minutes=rng.uniform(-4, 4))
        await clock.sleep(stay)
        await device.set_car(False)
        record.leaves.append(Leave(rid, device.clock.now(), ends_at))
        # Settled by then: completed by the leave (grace and a sweep), or at its end.
        await _until(clock, min(ends_at, clock.now() + timedelta(minutes=LEAVE_GRACE_MINUTES + 2)))


async def _until(clock: AcceleratedClock, when: datetime) -> None:
    """Sleeps until the simulated time `when` (no polling: 500 drivers reading the database every
    simulated minute would be load the service never sees from drivers)."""
    await clock.sleep(when - clock.now())


@dataclass
class Checks:
    left_completed: int = 0
    refunds: int = 0
    refunded_amount: int = 0
    wrong_refunds: list[str] = field(default_factory=list)
    missed_leaves: list[str] = field(default_factory=list)
    ledger_bad: list[str] = field(default_factory=list)
    overlapping: int = 0
    # Simulated seconds from the end of a leave's grace to its completion (the sweeps' lag).
    lags: list[float] = field(default_factory=list)


async def check(app: App, record: Record, sweep_slack: timedelta) -> Checks:
    out = Checks()
    async with app.db.read() as s:
        reservations = {r.id: r for r in await s.scalars(select(Reservation))}
        payments = list(await s.scalars(select(Payment)))
        txs = list(await s.scalars(select(WalletTransaction)))
    payment_of = {p.id: p for p in payments}
    refunds_of: Counter[int] = Counter()
    amount_of: Counter[int] = Counter()
    for tx in txs:
        if tx.kind is WalletTxKind.REFUND:
            payment = (
                payment_of.get(int(tx.reference.split(":")[1]))
                if tx.reference.startswith("payment:")
                else None
            )
            if payment is None or payment.reservation_id is None:
                out.wrong_refunds.append(f"refund {tx.id} names no payment ({tx.reference})")
                continue
            refunds_of[payment.reservation_id] += 1
            amount_of[payment.reservation_id] += tx.amount
    out.refunds = sum(refunds_of.values())
    out.refunded_amount = sum(amount_of.values())
    for r in reservations.values():
        if r.left_at is None:
            if refunds_of[r.id] and not r.no_show:
                out.wrong_refunds.append(f"booking {r.id} refunded {refunds_of[r.id]}x without a leave")
            continue
        out.left_completed += 1
        if r.closed_at is not None:
            out.lags.append((r.closed_at - r.left_at).total_seconds() - LEAVE_GRACE_MINUTES * 60)
        # One refund when there was anything to refund (whole unused steps), none otherwise;
        # the bench's own leaves below say whether unused steps were there.
        expected = 1 if amount_of[r.id] > 0 else 0
        if refunds_of[r.id] != expected:
            out.wrong_refunds.append(f"booking {r.id} left: {refunds_of[r.id]} refunds")
    for leave in record.leaves:
        r = reservations[leave.reservation_id]
        planned_end = leave.ends_at
        if leave.left_at + timedelta(minutes=LEAVE_GRACE_MINUTES) + sweep_slack >= planned_end:
            continue  # the booking could end on time first
        if r.left_at is None:
            closed = (r.closed_at - leave.left_at).total_seconds() / 60 if r.closed_at else None
            out.missed_leaves.append(
                f"#{r.id} {r.status.value}, left "
                f"{(planned_end - leave.left_at).total_seconds() / 60:.0f} min "
                f"before its end, closed {closed if closed is None else round(closed)} min after"
            )
            continue
        has_unused = used_end(r.starts_at, planned_end, r.left_at) < planned_end
        if has_unused and refunds_of[r.id] != 1:
            out.wrong_refunds.append(
                f"booking {r.id}: early leave with unused steps, {refunds_of[r.id]} refunds"
            )
    # The ledger: sum = deposit - wallet payments + refunds + credits, and never negative.
    ledger: Counter[int] = Counter()
    for tx in txs:
        ledger[tx.user_id] += tx.amount
    implied: Counter[int] = Counter()
    for tx in txs:
        if tx.kind in (WalletTxKind.DEPOSIT, WalletTxKind.ADJUSTMENT):
            implied[tx.user_id] += tx.amount
    for p in payments:
        # Booking payments from the wallet (all of the bench's); refunds of any go to the wallet.
        if p.reservation_id is None or p.method is not PaymentMethodKind.WALLET:
            continue
        if p.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED) or p.refunded_amount:
            owner = reservations[p.reservation_id].user_id
            implied[owner] += p.refunded_amount - p.amount
    for user_id in set(ledger) | set(implied):
        if ledger[user_id] < 0:
            out.ledger_bad.append(f"user {user_id}: balance {ledger[user_id]} < 0")
        if ledger[user_id] != implied[user_id]:
            out.ledger_bad.append(
                f"user {user_id}: ledger {ledger[user_id]} != payments imply {implied[user_id]}"
            )
    out.overlapping = await overlapping_pairs(app.db)
    return out


async def run(args: argparse.Namespace) -> int:
    print_machine(f"soak: {args.blockers} blockers, {args.minutes} min at {args.speed:g}x ({args.backend})")
    clock = AcceleratedClock(args.speed)
    prefix = f"soak{uuid.uuid4().hex[:8]}"
    record = Record()
    rng = random.Random(args.seed)
    async with scratch_database(args.backend, "soak") as url, TelegramFake() as tg:
        settings = Settings(
            _env_file=None,
            bot_token=SecretStr(DEFAULT_TOKEN),
            telegram_api_base=tg.base_url,
            bot_mode="polling",
            public_url="https://parking.example",
            http_host="127.0.0.1",
            http_port=_free_port(),
            database_url=url,
            mqtt_url=args.url,
            mqtt_topic_prefix=prefix,
            ack_timeout_seconds=30,
            currency="EUR",
            timezone="Europe/Kyiv",
            sweep_interval_seconds=1.0,
            leave_grace_minutes=LEAVE_GRACE_MINUTES,
        )
        app = App(settings, clock=clock)
        drivers = await setup(app, args.blockers)
        for i in range(args.blockers):
            tg.user(900_000 + i, f"Driver {i}")  # their chats, for the notifications
        ids = [f"SOAK-{i:04d}" for i in range(args.blockers)]
        await app.start()
        started = time.perf_counter()
        try:
            assert app.link is not None
            await asyncio.wait_for(app.link.wait_connected(), 10)
            t = time.perf_counter()
            async with Simulator(
                args.url,
                prefix,
                ids,
                move_time=0.05,
                car_arrival_delay=None,
                shared_connection=True,
                clock=clock,
                clear_retained_on_stop=True,
            ) as sim:
                print(
                    f"devices   : {len(ids)} on one shared connection, "
                    f"online in {time.perf_counter() - t:.2f}s"
                )
                for device in sim.blockers.values():
                    guard_device(device, record)
                until = time.monotonic() + args.minutes * 60
                sim_start = clock.now()
                received0 = app.link.stats.received
                tasks = [
                    asyncio.create_task(
                        driver(app, sim, clock, uid, pid, until, random.Random(rng.random()), record)
                    )
                    for uid, pid in drivers
                ]
                await asyncio.sleep(args.minutes * 60)
                for task in tasks:
                    task.cancel()
                results = await asyncio.gather(*tasks, return_exceptions=True)
                for res in results:
                    if isinstance(res, BaseException) and not isinstance(res, asyncio.CancelledError):
                        record.errors.append(repr(res)[:200])
                # Let pending leaves finish their grace and the sweeps settle them.
                await clock.sleep(timedelta(minutes=LEAVE_GRACE_MINUTES + 3))
                elapsed = time.perf_counter() - started
                received = app.link.stats.received - received0
                sim_span = clock.now() - sim_start
                # A leave must be settled by the sweeps within SETTLE_REAL_SECONDS of real time after
                # its grace (at 60x a second of a busy event loop is a simulated minute).
                checks = await check(app, record, timedelta(seconds=SETTLE_REAL_SECONDS * args.speed))
                async with app.db.read() as s:
                    statuses = {
                        status.value: count
                        for status, count in (
                            await s.execute(
                                select(Reservation.status, func.count()).group_by(Reservation.status)
                            )
                        ).tuples()
                    }
                    no_shows = await s.scalar(select(func.count()).where(Reservation.no_show.is_(True)))
                    notes = await s.scalar(select(func.count()).select_from(Notification))
        finally:
            await app.stop()
    # A raise is the server's fault when the car had been reported at least a real second before
    # the command was issued (the ingest writes within ~50 ms); a car that arrived later met a
    # raise already on its way (the arm's sensor refuses it: `obstacle`).
    lag = args.speed
    known = [(b, a) for b, a in record.raises_under_car if a >= lag]
    in_flight = len(record.raises_under_car) - len(known)
    ok = (
        not checks.wrong_refunds
        and not checks.missed_leaves
        and not known
        and not checks.ledger_bad
        and checks.overlapping == 0
        and not record.errors
        and not record.db_errors
    )
    print()
    print_table(
        ["figure", "value"],
        [
            ["real time", f"{elapsed:.0f} s"],
            ["simulated time", f"{sim_span.total_seconds() / 3600:.2f} h"],
            ["MQTT messages received by the service", received],
            ["messages/s (received)", f"{received / elapsed:.0f}"],
            [
                "commands executed by devices (lower / raise)",
                f"{record.commands['lower']} / {record.commands['raise']}",
            ],
            ["bookings paid", record.bookings],
            ["bookings refused (no spot etc.)", dict(record.booking_refused) or 0],
            ["arrivals (blocker lowered for the driver)", record.arrivals],
            ["lowerings refused or failed", dict(record.lower_failed) or 0],
            ["cars that left (bench)", len(record.leaves)],
            ["cars that moved and came back within the grace", record.wobbles],
            ["bookings completed by the car leaving", checks.left_completed],
            ["  grace end -> completed, real s (p50 / p99 / max)", _lags(checks.lags, args.speed)],
            [
                "refunds (wallet transactions) / amount",
                f"{checks.refunds} / {checks.refunded_amount / 100:.2f} EUR",
            ],
            ["no-shows planned / completed as no-show", f"{record.no_shows_planned} / {no_shows}"],
            ["reservations by status", statuses],
            ["notifications queued", notes],
        ],
    )
    print()
    print_table(
        ["check", "result"],
        [
            [
                "every early leave refunded exactly once",
                _verdict(checks.wrong_refunds + [f"missed {m}" for m in checks.missed_leaves]),
            ],
            [
                "no blocker raised while car_present",
                _verdict([f"{b}: car reported {a:.0f} s before" for b, a in known])
                + f" ({in_flight} raise(s) met a car that arrived after the command was issued)",
            ],
            ["wallet ledger: sum = balance >= 0, as payments imply", _verdict(checks.ledger_bad)],
            [
                "no overlapping reservations",
                "ok" if checks.overlapping == 0 else f"FAILED: {checks.overlapping} pairs",
            ],
            ["driver tasks without errors", _verdict(record.errors)],
            [
                "booking transactions without database errors",
                _verdict([f"{n} x {name}" for name, n in record.db_errors.items()]),
            ],
        ],
    )
    print("RESULT: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


def _lags(lags: list[float], speed: float) -> str:
    if not lags:
        return "-"
    ordered = sorted(x / speed for x in lags)
    return f"{ordered[len(ordered) // 2]:.1f} / {ordered[int(len(ordered) * 0.99)]:.1f} / {ordered[-1]:.1f}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _verdict(problems: list[str]) -> str:
    if not problems:
        return "ok"
    return f"FAILED ({len(problems)}): " + "; ".join(problems[:5])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=3.0, help="real minutes of load (default 3)")
    parser.add_argument("--blockers", type=int, default=500, help="simulated blockers (default 500)")
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--url", default="mqtt://127.0.0.1:1883", help="the MQTT broker")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # At 60x a sweep often outlasts its 1-second tick (APScheduler then skips the tick and says
    # so), and the one shared device connection keeps more than aiomqtt's 10 publishes in flight:
    # both expected here, neither a finding.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    logging.getLogger("mqtt").setLevel(logging.ERROR)
    try:
        code = asyncio.run(run(args))
    except BackendUnavailable as exc:
        print(f"cannot run: {exc}")
        code = 2
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    raise SystemExit(code)


if __name__ == "__main__":
    main()
