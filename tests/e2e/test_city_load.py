"""A city at the top of the hour, scaled down (bench/city.py has the figures): two service
processes started as `python main.py run` on one PostgreSQL database, the shared Redis and
Mosquitto with MQTT_SHARED_GROUP, while a fleet of blockers reports and reminders fall due
at once, with the Bot API fake answering 429 beyond Telegram's limits. Every report is written
once and the last one stays; every driver gets the reminder once, and one process sends them
all (the holder of the outbox lease) without a single 429."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio
from sqlalchemy import func, select

from core.db import Database
from core.migrate import upgrade_to_head
from core.models import Notification, NotificationStatus
from core.notifications import NotificationKind
from demo.botapi import TelegramFake
from tests.city import (
    FIRST_CHAT,
    PREMISE,
    Deliveries,
    Fleet,
    city_environment,
    clear_retained,
    lease_takers,
    links_ready,
    prepare_fleet,
    report_ts,
    seed_due_bookings,
    sent_by_process,
    written,
)
from tests.cluster import bot_token, free_port, service_environment, services
from tests.services import MQTT_URL, tcp_open, unavailable
from tests.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.mqtt]

REDIS_URL = "redis://127.0.0.1:6379/14"
BLOCKERS, ROUNDS, REMINDERS = 1000, 2, 150
REMINDER_MINUTES = 30


@pytest.mark.parametrize("empty_database_url", ["postgres"], indirect=True)
async def test_two_processes_write_each_report_once_and_send_each_reminder_once(
    empty_database_url: str, tmp_path: Path
) -> None:
    if not tcp_open(REDIS_URL, 6379):
        unavailable("Redis is not reachable at 127.0.0.1:6379")
    if not tcp_open(MQTT_URL, 1883):
        unavailable(f"Mosquitto is not reachable at {MQTT_URL}")
    url = empty_database_url
    await asyncio.to_thread(upgrade_to_head, url)  # as deploy/'s migrate job does first
    db = Database.from_url(url)
    token, prefix = bot_token(), f"citytest{uuid.uuid4().hex[:8]}"
    try:
        await prepare_fleet(db, BLOCKERS)
        await _evening(db, url, token, prefix, tmp_path)
    finally:
        await db.dispose()
        await clear_retained(MQTT_URL, prefix, BLOCKERS)
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(f"fsm:{token.split(':')[0]}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def _evening(db: Database, url: str, token: str, prefix: str, tmp_path: Path) -> None:
    ports = [free_port(), free_port()]
    async with TelegramFake(token) as tg:
        tg.rate_limit(per_chat_per_second=1, global_per_second=30)
        chats = {FIRST_CHAT + i for i in range(REMINDERS)}
        drivers = {chat: tg.user(chat, "Driver") for chat in sorted(chats)}
        base = service_environment(
            token=token, api_base=tg.base_url, database_url=url, redis_url=REDIS_URL,
            public_url=f"http://127.0.0.1:{ports[0]}",
        )  # fmt: skip
        env = city_environment(base, mqtt_url=MQTT_URL, prefix=prefix, sweep_seconds=2)
        async with services(tmp_path / "web", env, ports) as procs, aiohttp.ClientSession() as http:
            await links_ready(procs)
            start = datetime.now(UTC)
            async with Fleet.started(
                mqtt_url=MQTT_URL, prefix=prefix, database_url=url, blockers=BLOCKERS, rounds=ROUNDS,
                processes=len(procs), start=start,
            ) as fleet:  # fmt: skip
                deliveries = Deliveries(tg, chats)
                due = await seed_due_bookings(db, REMINDERS, REMINDER_MINUTES, datetime.now(UTC))
                fleet.go()
                published = await fleet.result(within=120)
            assert (published.availability, published.states) == (BLOCKERS, BLOCKERS * ROUNDS)

            async def all_written() -> bool:
                stored = await written(db, report_ts(start, ROUNDS))
                return stored.writes + stored.availability >= published.availability + published.states

            await eventually(all_written, 60, "every blocker message written")
            await eventually(lambda: deliveries.reached == REMINDERS, 60, "every driver reminded")
            await asyncio.sleep(1.5)  # a second copy of any reminder would come with the next dispatch
            sent = await sent_by_process(http, procs)
            deliveries.close()

        # Each message written once (the database's own log), and the last report is what stays.
        stored = await written(db, report_ts(start, ROUNDS))
        assert (stored.availability, stored.writes, stored.rewrites) == (BLOCKERS, BLOCKERS * ROUNDS, 0)
        assert (stored.rows_at_final, stored.online) == (BLOCKERS, BLOCKERS)

        # Each driver got one reminder, as a driver sees it: the booking's spot and its Extend buttons.
        for chat, spot in due.spots.items():
            messages = drivers[chat].messages
            assert len(messages) == 1, [m.text for m in messages]
            reminder = messages[0]
            assert f"Your parking at {PREMISE}, spot {spot}, ends at" in reminder.text, reminder.text
            assert "Need more time? Extend with one tap:" in reminder.text, reminder.text
            assert [label.split(" · ")[0] for label, _ in reminder.buttons()] == [
                "➕ 30 min",
                "➕ 1 h",
                "➕ 2 h",
            ]
        assert deliveries.duplicates == 0
        assert tg.throttled == 0, [e for e in tg.errors if e[1] == 429][:5]
        assert tg.errors == [] and tg.violations == [], (tg.errors[:5], tg.violations[:5])

        # One process sent them all: the one holding the lease.
        assert lease_takers(procs) == [name for name, n in sent.items() if n], sent
        assert sorted(sent.values()) == [0, REMINDERS], sent
        async with db.read() as s:
            reminders = await s.execute(
                select(Notification.status, func.count())
                .where(Notification.kind == NotificationKind.BOOKING_REMINDER.value)
                .group_by(Notification.status)
            )
            assert dict(reminders.tuples().all()) == {NotificationStatus.SENT: REMINDERS}
    for proc in procs:
        output = proc.output()
        assert proc.process.returncode == 0, output[-3000:]
        assert "Traceback" not in output and "ERROR" not in output, output[-3000:]
