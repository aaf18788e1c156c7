"""Two service processes, started as `python main.py run` with BOT_MODE=webhook, behind nginx
configured by deploy/nginx/parking.conf (README "Running several processes"), on one
PostgreSQL database and one Redis: Telegram's webhook POSTs go through the proxy to either
process, and drivers booking at the same time see one conversation each, as with one process."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio
from sqlalchemy import select

from core.db import Database
from core.models import Reservation, ReservationStatus
from core.services.audit import overlapping_holds
from demo.botapi import FakeUser, TelegramFake
from tests.cluster import (
    Walk,
    book_a_spot,
    bot_token,
    free_port,
    nginx,
    nginx_binary,
    service_environment,
    services,
    updates_handled,
    wallet_top_up,
)
from tests.factories import make_premise
from tests.services import tcp_open, unavailable
from tests.waiting import eventually

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

REDIS_URL = "redis://127.0.0.1:6379/14"
LAT, LON = 50.4501, 30.5234
GARAGES = ("North Garage", "South Garage")


# The `db` fixture's PostgreSQL database: migrated once per session (as deploy/'s migrate job
# does before the processes start), emptied for this test.
@pytest.mark.parametrize("db", ["postgres"], indirect=True)
async def test_two_webhook_processes_behind_nginx_answer_every_update_once(
    db: Database, postgres_url: str, tmp_path: Path
) -> None:
    if not tcp_open(REDIS_URL, 6379):
        unavailable("Redis is not reachable at 127.0.0.1:6379")
    if nginx_binary() is None:
        unavailable("nginx or openssl is not installed (Debian: apt-get install nginx-light openssl)")
    token = bot_token()
    try:
        async with db.transaction() as s:
            for i, name in enumerate(GARAGES):
                await make_premise(s, lat=LAT + i * 0.001, lon=LON, spots=4, price_per_hour=250, name=name)
        await _drive(tmp_path, db, token, postgres_url)
    finally:
        client = redis.asyncio.Redis.from_url(REDIS_URL)
        keys = [key async for key in client.scan_iter(f"fsm:{token.split(':')[0]}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def _drive(tmp_path: Path, db: Database, token: str, database_url: str) -> None:
    # The proxy needs the processes' ports and the processes need the proxy's URL (for their
    # setWebhook): ports first, then nginx, then the processes on those ports.
    ports = [free_port(), free_port()]
    async with nginx(tmp_path / "nginx", ports) as proxy, TelegramFake(token, webhook_ssl=proxy.ssl) as tg:
        env = service_environment(
            token=token,
            api_base=tg.base_url,
            database_url=database_url,
            redis_url=REDIS_URL,
            public_url=proxy.url,
        )
        async with services(tmp_path / "web", env, ports) as procs, aiohttp.ClientSession() as http:
            assert tg.webhook_url == f"{proxy.url}/telegram/webhook"  # both processes set it so

            fund = wallet_top_up(db, "test")

            drivers = [tg.user(7001 + i, f"Driver{i}") for i in range(4)]
            walks = [Walk() for _ in drivers]
            await asyncio.gather(
                *(
                    book_a_spot(walk, user, GARAGES[i % 2], (LAT, LON), fund)
                    for i, (walk, user) in enumerate(zip(walks, drivers, strict=True))
                )
            )

            # The confirmation comes from the outbox (either process's dispatcher): once each.
            def confirmed(user: FakeUser) -> Callable[[], bool]:
                return lambda: any("booking confirmed" in m.text for m in user.messages)

            for user in drivers:
                await eventually(confirmed(user), 20, f"{user.first_name} told the booking is confirmed")
            await asyncio.sleep(1.5)  # a second send, if any, would come with the next dispatch

            # Every update was delivered once, through the proxy, and handled by one process.
            delivered = [u["update_id"] for u in tg.updates]
            assert len(delivered) == len(drivers) * 7
            assert sorted(tg.webhook_responses) == sorted((u, 200) for u in delivered)
            routes = proxy.routes()
            assert sorted(u for u, _ in routes) == sorted(delivered)
            # Each to one process, none passed on to the other (a retry shows as "a, b").
            assert {addr for _, addr in routes} == {f"127.0.0.1:{p}" for p in ports}
            handled = [await updates_handled(http, p) for p in procs]
            assert [h.get("error", 0) for h in handled] == [0, 0]
            assert sum(h.get("handled", 0) for h in handled) == len(delivered)
            assert all(h.get("handled", 0) > 0 for h in handled), handled

            # Dialog state lives in Redis: conversations went on from one process to the other.
            process_of = dict(routes)
            crossings = 0
            for user in drivers:
                theirs = [process_of[u["update_id"]] for u in tg.updates if _sender(u) == user.id]
                crossings += sum(a != b for a, b in itertools.pairwise(theirs))
            assert crossings > 0

            # What each driver saw: every screen once, every tap answered once, one booking.
            for user in drivers:
                texts = [m.text for m in user.messages]
                assert sum("booking confirmed" in t for t in texts) == 1, texts
                assert sum("Payment received for booking" in t for t in texts) == 1, texts
                assert set(user.answer_calls().values()) == {1}, user.answer_calls()
            assert tg.violations == [], tg.violations
            async with db.read() as s:
                statuses = (await s.scalars(select(Reservation.status))).all()
                assert statuses == [ReservationStatus.CONFIRMED] * len(drivers)
                assert await overlapping_holds(s) == 0
    for proc in procs:
        output = proc.output()
        assert proc.process.returncode == 0, output
        assert "Traceback" not in output and "ERROR" not in output, output


def _sender(update: dict[str, Any]) -> int | None:
    event = update.get("message") or update.get("callback_query") or {}
    sender: int | None = event.get("from", {}).get("id")
    return sender
