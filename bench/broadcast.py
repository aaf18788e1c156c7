"""Broadcast benchmark: N reminders due at once, sent by the outbox dispatcher through the real
Telegram sender to a fake Bot API server that enforces Telegram's limits (30 messages/s
overall, 1/s per chat, 429 with retry_after beyond them).

    python bench/broadcast.py [--reminders 5000]

Prints messages/second achieved and its ratio to 30/s, 429s received, lost and duplicated
messages. Target: ratio >= 0.95 with 0 lost and 0 duplicated.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import insert, select

from bench._common import insert_drivers, print_machine
from bot.notifications import TelegramSender
from core.clock import ManualClock
from core.db import Database
from core.migrate import upgrade_to_head
from core.models import Channel, Notification, NotificationStatus, Premise, Reservation, Spot, User
from core.services import reminders
from demo.botapi import DEFAULT_TOKEN, TelegramFake
from jobs.dispatcher import OutboxDispatcher

TELEGRAM_RATE = 30.0


async def seed(db: Database, n: int, now: datetime) -> None:
    """n drivers, each with a confirmed booking ending in 30 minutes on its own spot."""
    async with db.transaction() as s:
        premise = Premise(
            name="Stadium Car Park",
            address="1 Arena Way",
            lat=50.45,
            lon=30.52,
            timezone="Europe/Kyiv",
            price_per_hour=200,
            currency="EUR",
            features=[],
            photos=[],
            description="",
            opening_hours="24/7",
            is_active=True,
            created_at=now,
        )
        s.add(premise)
        await s.flush()
        await insert_drivers(s, n, now)
        await s.execute(
            insert(Spot), [{"premise_id": premise.id, "label": f"S{i}", "is_active": True} for i in range(n)]
        )
        users = list(await s.scalars(select(User.id).order_by(User.id)))
        spots = list(await s.scalars(select(Spot.id).where(Spot.premise_id == premise.id).order_by(Spot.id)))
        start, end = now - timedelta(hours=1), now + timedelta(minutes=30)
        await s.execute(
            insert(Reservation),
            [
                {
                    "user_id": u,
                    "spot_id": sp,
                    "starts_at": start,
                    "ends_at": end,
                    "status": "confirmed",
                    "price": 300,
                    "currency": "EUR",
                    "no_show": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for u, sp in zip(users, spots, strict=True)
            ],
        )


async def run(n: int) -> int:
    print_machine("broadcast benchmark")
    now = datetime.now(UTC).replace(microsecond=0)
    clock = ManualClock(now)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/broadcast.db"
        await asyncio.to_thread(upgrade_to_head, url)  # Alembic runs its own event loop
        db = Database.from_url(url)
        await seed(db, n, now)
        async with TelegramFake(strict_html=True) as tg:
            drivers = [tg.user(10_000 + i, f"Driver {i}") for i in range(n)]
            tg.rate_limit(per_chat_per_second=1, global_per_second=int(TELEGRAM_RATE))
            bot = Bot(DEFAULT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
            dispatcher = OutboxDispatcher(db, {Channel.TELEGRAM: TelegramSender(bot, db)}, clock)
            queued_at = time.perf_counter()
            queued = 0
            while True:  # the reminder sweep, as the scheduler runs it
                async with db.transaction() as s:
                    batch = await reminders.send_due_reminders(s, clock.now(), reminder_minutes=30)
                if not batch:
                    break
                queued += len(batch)
            queue_seconds = time.perf_counter() - queued_at
            print(f"reminders : {n:,} bookings ending in 30 min; {queued:,} queued in {queue_seconds:.1f} s")
            started = time.perf_counter()
            while True:  # retried ones become due again as time passes
                await dispatcher.run()
                async with db.read() as s:
                    left = await s.scalar(
                        select(Notification.id)
                        .where(
                            Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.SENDING])
                        )
                        .limit(1)
                    )
                if left is None:
                    break
                clock.set(datetime.now(UTC) + timedelta(hours=1))  # let retries fall due
                await asyncio.sleep(0.5)
            seconds = time.perf_counter() - started
            await bot.session.close()
            received = [len(d.messages) for d in drivers]  # what each driver's chat shows
            throttled = tg.throttled
        async with db.read() as s:
            statuses = Counter((await s.scalars(select(Notification.status))).all())
        await db.dispose()
    successes = sum(received)
    unique = sum(1 for count in received if count)
    rate = successes / seconds
    lost = n - unique
    duplicated = successes - unique
    print(
        f"sent      : {successes:,} messages in {seconds:.1f} s = {rate:.2f} messages/s "
        f"({rate / TELEGRAM_RATE:.3f} of Telegram's {TELEGRAM_RATE:.0f}/s)"
    )
    print(
        f"429s      : {throttled}   lost: {lost}   duplicated: {duplicated}   outbox: "
        + ", ".join(f"{k.value}={v}" for k, v in sorted(statuses.items()))
    )
    ok = rate / TELEGRAM_RATE >= 0.95 and lost == 0 and duplicated == 0
    print(f"TARGET >= 0.95 of 30/s, 0 lost, 0 duplicated: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reminders", type=int, default=5000)
    return asyncio.run(run(parser.parse_args().reminders))


if __name__ == "__main__":
    raise SystemExit(main())
