"""`python main.py run` as an operator starts it: a separate process, configured by the
environment only, against the Bot API emulator, the Stripe emulator, the local Mosquitto and
a SQLite file. Every scheduled job (DESIGN.md §5, README) is seen doing its work on real time:
hold expiry, reminders, completing ended bookings, the outbox, Stripe reconciliation and
refunds, and both blocker sweeps."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.models import (
    Blocker,
    BlockerState,
    Payment,
    PaymentStatus,
    PremiseStaff,
    Reservation,
    ReservationStatus,
    Spot,
    StaffRole,
)
from core.services import booking
from core.services import payments as payment_rules
from core.services.payments import Settled
from core.usecases.payments import PaymentUseCases
from demo.botapi import DEFAULT_TOKEN, FakeUser, TelegramFake
from demo.stripe import StripeFake
from hardware import protocol
from hardware.protocol import Action, WireState
from hardware.simulator import Simulator
from service import build_stripe
from tests.e2e.conftest import STRIPE_SECRET, free_port
from tests.factories import make_premise, make_user
from tests.services import MQTT_URL, tcp_open, unavailable
from tests.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.mqtt]

ROOT = Path(__file__).resolve().parents[2]
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)
GUARDED, CLOSED = "PROC-G1", "PROC-F1"  # blockers: a paid spot not entered yet; a finished stay
WAIT = 60.0  # seconds; a loaded machine starts Python, aiogram and Alembic slowly


@dataclass
class World:
    """What the test prepared before the service starts, and where to watch."""

    tg: TelegramFake
    stripe: StripeFake
    sim: Simulator
    db: Database
    drivers: dict[str, FakeUser]
    reservations: dict[str, int]
    refund_payment_id: int


def _environment(tg: TelegramFake, stripe: StripeFake, db_url: str, port: int, prefix: str) -> dict[str, str]:
    # Nothing of the machine's own configuration may leak in: only what is set here counts.
    ours = {name.upper() for name in Settings.model_fields}
    inherited = {k: v for k, v in os.environ.items() if k.upper() not in ours}
    return {
        **inherited,
        "BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_BASE": tg.base_url,
        "DATABASE_URL": db_url,
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "PUBLIC_URL": "https://parking.example",
        "STRIPE_SECRET_KEY": "sk_test_e2e",
        "STRIPE_WEBHOOK_SECRET": STRIPE_SECRET,
        "STRIPE_API_BASE": stripe.base_url,
        "MQTT_URL": MQTT_URL,
        "MQTT_TOPIC_PREFIX": prefix,
        "TIMEZONE": "Europe/Kyiv",
        "SWEEP_INTERVAL_SECONDS": "1",
    }


async def _lowered(sim: Simulator, blocker_id: str) -> None:
    """The device lowers itself, as if for a driver earlier (it reports that when connected)."""
    now = datetime.now(UTC)
    command = protocol.Command(
        id=str(uuid.uuid4()), action=Action.LOWER, reservation_id=None, issued_at=now, expires_at=now + MINUTE
    )
    await sim[blocker_id].handle_command(command.to_json())
    await eventually(lambda: sim[blocker_id].state == WireState.LOWERED, what=f"{blocker_id} lowered")


async def _prepare(
    db: Database, tg: TelegramFake, stripe: StripeFake
) -> tuple[dict[str, FakeUser], dict[str, int], int]:
    """Bookings in every state a job acts on, written through the services at the times they
    would have happened (the service runs on the wall clock)."""
    t = datetime.now(UTC).replace(microsecond=0)
    names = ("expiring", "reminded", "no_show", "finished", "paid_late", "refunded", "warned")
    drivers = {name: tg.user(9100 + i, name.title()) for i, name in enumerate(names)}
    async with db.transaction() as s:
        premise = await make_premise(s, spots=4, price_per_hour=250, name="Process Garage")
        user_ids = {
            name: (await make_user(s, telegram_id=d.id, name=d.first_name)).id for name, d in drivers.items()
        }

    async def hold(name: str, at: datetime, starts: datetime, minutes: int) -> Reservation:
        async with db.transaction() as s:
            return await booking.hold(
                s,
                user_id=user_ids[name],
                premise_id=premise.id,
                starts_at=starts,
                minutes=minutes,
                now=at,
                hold_minutes=10,
            )

    async def confirmed(name: str, at: datetime, minutes: int) -> Reservation:
        r = await hold(name, at, at, minutes)
        async with db.transaction() as s:
            await booking.confirm(s, r.id, at)
        return r

    ids: dict[str, int] = {}
    reminded = await confirmed("reminded", t - 90 * MINUTE, 120)  # 30 minutes left: reminder due
    ids["reminded"] = reminded.id
    no_show = await confirmed("no_show", t - 180 * MINUTE, 60)  # ended, nobody came
    ids["no_show"] = no_show.id
    finished = await confirmed("finished", t - 120 * MINUTE, 60)  # ended, the driver had come
    ids["finished"] = finished.id
    async with db.transaction() as s:
        await booking.mark_arrived(s, finished.id, user_id=user_ids["finished"], now=t - 110 * MINUTE)
        s.add_all(
            [Blocker(id=GUARDED, spot_id=reminded.spot_id), Blocker(id=CLOSED, spot_id=finished.spot_id)]
        )
    assert reminded.spot_id != finished.spot_id  # their stays overlap
    # Before the reminded one, on its spot: a blocker would have seen the driver come.
    assert no_show.spot_id == reminded.spot_id

    # Paid by card and cancelled before its start; the process died before refunding the card.
    settings = Settings(
        _env_file=None,
        bot_token=DEFAULT_TOKEN,
        public_url="https://parking.example",
        stripe_secret_key="sk_test_e2e",
        stripe_webhook_secret=STRIPE_SECRET,
        stripe_api_base=stripe.base_url,
    )
    gateway = build_stripe(settings)
    assert gateway is not None
    payments = PaymentUseCases(db, gateway, ManualClock(t), public_url=settings.public_url)
    try:
        refunded = await hold("refunded", t, t + 180 * MINUTE, 60)
        link = await payments.booking_checkout(refunded.id, user_ids["refunded"])
        await stripe.complete_checkout(link.session_id, send_webhook=False)
        state = await gateway.retrieve_checkout(link.session_id)
        async with db.transaction() as s:
            assert (
                await payment_rules.settle_checkout(s, link.session_id, state.payment, t) == Settled.CONFIRMED
            )
        async with db.transaction() as s:
            await booking.cancel(s, refunded.id, user_id=user_ids["refunded"], now=t)
            refund_payment_id = await s.scalar(
                select(Payment.id).where(Payment.reservation_id == refunded.id)
            )
            assert refund_payment_id is not None
        # Paid on Stripe's page; the webhook never came. Stripe is asked about pages open for
        # two minutes or more, so this one was opened three minutes ago.
        paid_late = await hold("paid_late", t, t + 60 * MINUTE, 60)
        ids["paid_late"] = paid_late.id
        link = await payments.booking_checkout(paid_late.id, user_ids["paid_late"])
        await stripe.complete_checkout(link.session_id, send_webhook=False)
        async with db.transaction() as s:
            payment = await s.scalar(select(Payment).where(Payment.reservation_id == paid_late.id))
            assert payment is not None
            payment.created_at = t - 3 * MINUTE
    finally:
        await gateway.close()
    # An unpaid hold with a minute and a half left: its driver is warned.
    ids["warned"] = (await hold("warned", t - 510 * SECOND, t - 510 * SECOND, 60)).id
    # Last: a new hold at the premise would expire a lapsed one itself, before the sweep.
    ids["expiring"] = (await hold("expiring", t - 11 * MINUTE, t - 11 * MINUTE, 60)).id  # lapsed a minute ago
    return drivers, ids, refund_payment_id


@contextlib.asynccontextmanager
async def _world(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[tuple[World, dict[str, str]]]:
    if not tcp_open(MQTT_URL, 1883):
        unavailable(f"Mosquitto is not reachable at {MQTT_URL} (set TEST_MQTT_URL)")
    prefix = f"proc{uuid.uuid4().hex[:8]}"
    db_path = tmp_path / "service.db"
    shutil.copy(sqlite_template, db_path)
    db_url = f"sqlite+aiosqlite:///{db_path}"
    db = Database.from_url(db_url)
    port = free_port()
    try:
        async with (
            TelegramFake() as tg,
            StripeFake(webhook_secret=STRIPE_SECRET) as stripe,
            Simulator(
                MQTT_URL,
                prefix,
                (GUARDED, CLOSED),
                move_time=0.02,
                car_arrival_delay=None,
                clear_retained_on_stop=True,
            ) as sim,
        ):
            stripe.webhook_url = f"http://127.0.0.1:{port}/stripe/webhook"
            drivers, ids, refund_payment_id = await _prepare(db, tg, stripe)
            for blocker_id in (GUARDED, CLOSED):
                await _lowered(sim, blocker_id)
            world = World(tg, stripe, sim, db, drivers, ids, refund_payment_id)
            yield world, _environment(tg, stripe, db_url, port, prefix)
            assert tg.violations == [], tg.violations
    finally:
        await db.dispose()


async def test_the_service_process_runs_every_scheduled_job(tmp_path: Path, sqlite_template: Path) -> None:
    async with _world(tmp_path, sqlite_template) as (world, env):
        log_path = tmp_path / "service.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "main.py"), "run", cwd=tmp_path, env=env, stdout=log, stderr=log
            )
        try:
            await _observe(world, process)
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), WAIT)
                except TimeoutError:
                    process.kill()
                    await process.wait()
        output = log_path.read_text()
        assert process.returncode == 0, output
        assert "Traceback" not in output, output
        # A job run that did something logs one line (DESIGN.md §10): every sweep did its part
        # (the outbox's part is every message above).
        for line in (
            "expired 1 unpaid hold",
            "warned 1 driver of a hold about to lapse",
            "queued 1 reminder",
            "completed 2 ended bookings",
            "settled 1 checkout page with Stripe",
            "raised 1 blocker to guard paid spots",
            "raised 1 blocker after bookings ended",
        ):
            assert line in output, f"{line!r} not logged:\n{output}"


async def _observe(world: World, process: asyncio.subprocess.Process) -> None:
    def told(name: str, text: str) -> Callable[[], bool]:
        def check() -> bool:
            assert process.returncode is None, "the service stopped"
            return any(text in m.text for m in world.drivers[name].messages)

        return check

    # Through the outbox dispatcher, each driver hears what the jobs did to their booking.
    expected = {
        "expiring": "was released because the payment did not arrive in time",  # expire_holds
        "warned": "left to pay for spot",  # warn_expiring_holds
        "reminded": "ends at",  # send_reminders
        "no_show": "ended without arrival",  # complete_ended
        "finished": "has ended",  # complete_ended
        "paid_late": "Payment received, booking confirmed",  # reconcile_payments
        "refunded": "is cancelled",  # queued before the service started, sent now
    }
    for name, text in expected.items():
        await eventually(told(name, text), WAIT, f"{name!r} told {text!r}")
    async with world.db.read() as s:
        paid_late = await s.get(Reservation, world.reservations["paid_late"])
        assert paid_late is not None and paid_late.status == ReservationStatus.CONFIRMED

    # reconcile_payments also carries out the refunds a crash left owed.
    async def refunded() -> bool:
        async with world.db.read() as s:
            status = await s.scalar(select(Payment.status).where(Payment.id == world.refund_payment_id))
        return status == PaymentStatus.REFUNDED

    await eventually(refunded, WAIT, "the owed card refund made")
    assert len(world.stripe.refunds) == 1

    # The blocker sweeps: the paid spot not entered yet is guarded, the finished one closed; the
    # devices move and the service records what they report.
    for blocker_id in (GUARDED, CLOSED):
        await eventually(
            lambda b=blocker_id: world.sim[b].state == WireState.RAISED, WAIT, f"{blocker_id} up"
        )

    async def recorded() -> bool:
        async with world.db.read() as s:
            rows = (await s.execute(select(Blocker.id, Blocker.state))).tuples().all()
        return dict(rows) == {GUARDED: BlockerState.RAISED, CLOSED: BlockerState.RAISED}

    await eventually(recorded, WAIT, "both blockers recorded raised")

    # The same process answers drivers: a new one is registered and greeted.
    newcomer = world.tg.user(9300, "Newcomer")
    await newcomer.send_command("/start")
    await newcomer.wait_for_message(lambda m: "What would you like to do?" in m.text, timeout=WAIT)
    assert process.returncode is None

    # Alerts that act: the guarded blocker jams (its device reports `fault` over MQTT) while
    # its spot's booking runs; the premise's attendant is alerted, naming the booking.
    attendant = world.tg.user(9301, "Andrii")
    async with world.db.transaction() as s:
        staff = await make_user(s, telegram_id=attendant.id, name="Andrii")
        premise_id = await s.scalar(
            select(Spot.premise_id)
            .join(Reservation, Reservation.spot_id == Spot.id)
            .where(Reservation.id == world.reservations["reminded"])
        )
        assert premise_id is not None
        s.add(
            PremiseStaff(
                premise_id=premise_id,
                user_id=staff.id,
                role=StaffRole.ATTENDANT,
                created_at=datetime.now(UTC),
            )
        )
    world.sim[GUARDED].state = WireState.FAULT
    await world.sim[GUARDED].publish_state()
    alert = await attendant.wait_for_message(lambda m: m.text.startswith("🚨"), timeout=WAIT)
    assert f"Blocker {GUARDED} at Process Garage" in alert.text
    assert f"#{world.reservations['reminded']} Reminded, " in alert.text
    assert process.returncode is None
