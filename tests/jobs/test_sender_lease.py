"""One sender per channel across processes (jobs/lease.py): on PostgreSQL only the holder of
the channel's advisory lock sends, the others send nothing; when the holder's session ends
(the process died), another process takes over within seconds and every message still goes
once. Each dispatcher here sends to a Bot API fake of its own, so what each chat shows says
which process sent it."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select, text

from bot.notifications import TelegramSender
from core.clock import ManualClock
from core.db import Database
from core.models import Channel, Notification, NotificationStatus
from core.notifications import NotificationKind
from core.services import outbox
from demo.botapi import DEFAULT_TOKEN, TelegramFake
from jobs.dispatcher import DispatchLimits, OutboxDispatcher
from jobs.lease import SenderLease
from tests.factories import make_user
from tests.waiting import eventually

CHATS = 60
FAST = DispatchLimits(messages_per_second=2000, per_chat_interval=0.0, batch=25)


async def _queue(db: Database, clock: ManualClock, chats: range) -> None:
    async with db.transaction() as s:
        for i in chats:
            user = await make_user(s, telegram_id=6000 + i, name=f"U{i}")
            await outbox.notify(
                s,
                user.id,
                NotificationKind.CARD_SAVED,
                {"brand": "visa", "last4": f"{i:04d}"},
                now=clock.now(),
            )


@asynccontextmanager
async def _process(
    db: Database, clock: ManualClock, limits: DispatchLimits
) -> AsyncIterator[tuple[OutboxDispatcher, TelegramFake]]:
    """A process's Telegram dispatcher on an engine of its own, with its own lease, sending to
    a Bot API fake of its own."""
    own = Database.from_url(db.engine.url.render_as_string(hide_password=False))
    async with TelegramFake() as tg:
        for i in range(CHATS):
            tg.user(6000 + i, f"U{i}")
        bot = Bot(DEFAULT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
        dispatcher = OutboxDispatcher(
            own,
            {Channel.TELEGRAM: TelegramSender(bot, own)},
            clock,
            limits,
            lease=SenderLease(own, "outbox:telegram"),
        )
        try:
            yield dispatcher, tg
        finally:
            await dispatcher.stop()
            await bot.session.close()
            await own.dispose()


def _sent(tg: TelegramFake) -> Counter[int]:
    return Counter(int(params["chat_id"]) for method, params in tg.calls if method == "sendMessage")


async def _kill_session(db: Database, pid: int | None) -> None:
    """What the server sees of a process that died: its session ends."""
    assert pid is not None
    async with db.engine.connect() as conn:
        assert await conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


async def _all_sent(db: Database) -> bool:
    async with db.read() as s:
        return set(await s.scalars(select(Notification.status))) == {NotificationStatus.SENT}


async def test_only_the_lease_holder_sends_and_another_takes_over_when_it_dies(
    db: Database, clock: ManualClock
) -> None:
    async with _process(db, clock, FAST) as (a, tg_a), _process(db, clock, FAST) as (b, tg_b):
        assert a.lease is not None and b.lease is not None
        if db.is_sqlite:
            # One SQLite file serves one process: its lease is always held, nothing to share.
            assert await a.lease.acquire() and await b.lease.acquire()
            return
        await _queue(db, clock, range(0, 30))
        assert await a.run() == 30  # the first to try takes the lease
        await _queue(db, clock, range(30, 60))
        assert await b.run() == 0  # not the holder: sends nothing, leaves the rows pending
        assert not b.lease.held

        await _kill_session(db, a.lease.backend_pid)
        died = time.monotonic()
        await eventually(b.lease.acquire, within=5, what="the second process taking the lease")
        assert time.monotonic() - died < 3
        assert await b.run() == 30
        assert await a.run() == 0  # its session ended: the lease went with it, b holds it now
        assert not a.lease.held

        assert _sent(tg_a) == Counter({6000 + i: 1 for i in range(30)})
        assert _sent(tg_b) == Counter({6000 + i: 1 for i in range(30, 60)})
        assert await _all_sent(db)


async def test_a_holder_that_dies_mid_drain_hands_over_and_every_message_goes_once(
    db: Database, clock: ManualClock
) -> None:
    """The scheduler's ticks in both processes, the holder's session ended while it sends: it
    stops at its next tick and hands back what it claimed; the other finishes."""
    if db.is_sqlite:
        return  # nothing to hand over: one process per SQLite file (the test above)
    paced = DispatchLimits(messages_per_second=40, per_chat_interval=0.0, batch=25)
    await _queue(db, clock, range(CHATS))
    async with _process(db, clock, paced) as (a, tg_a), _process(db, clock, paced) as (b, tg_b):
        assert a.lease is not None and b.lease is not None
        await a.kick()  # a ticks first: it holds the lease and starts draining
        await b.kick()
        await eventually(lambda: sum(_sent(tg_a).values()) >= 10, what="a few sends by the holder")
        await _kill_session(db, a.lease.backend_pid)

        async def ticks(*dispatchers: OutboxDispatcher) -> None:
            while True:
                for d in dispatchers:
                    await d.kick()
                await asyncio.sleep(0.2)

        ticking = asyncio.create_task(ticks(a, b))
        try:
            await eventually(lambda: _all_sent(db), within=10, what="every message sent")
        finally:
            ticking.cancel()
        assert b.lease.held and not a.lease.held
        by_a, by_b = _sent(tg_a), _sent(tg_b)
        assert by_a + by_b == Counter({6000 + i: 1 for i in range(CHATS)})  # each once
        assert sum(by_a.values()) < CHATS and sum(by_b.values()) > 0


async def test_the_sms_lease_is_its_own(db: Database) -> None:
    """The SMS dispatcher has a lease of its own: one process may send Telegram while another
    sends SMS, and neither channel ever has two senders."""
    other = Database.from_url(db.engine.url.render_as_string(hide_password=False))
    leases = [
        SenderLease(db, "outbox:telegram"),
        SenderLease(other, "outbox:sms"),
        SenderLease(other, "outbox:telegram"),
        SenderLease(db, "outbox:sms"),
    ]
    try:
        held = [await lease.acquire() for lease in leases]
    finally:
        for lease in leases:
            await lease.release()
        await other.dispose()
    # SQLite: one process per file, which sends both.
    assert held == ([True] * 4 if db.is_sqlite else [True, True, False, False])
