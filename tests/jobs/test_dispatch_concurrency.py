"""Two dispatchers (two processes, each with its own connection pool) on one database never
send a notification twice: on PostgreSQL they claim with FOR UPDATE SKIP LOCKED."""

from __future__ import annotations

import asyncio
from collections import Counter

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select

from bot.notifications import TelegramSender
from core.clock import ManualClock
from core.db import Database
from core.models import Channel, Notification, NotificationStatus
from core.notifications import NotificationKind
from core.services import outbox
from demo.botapi import DEFAULT_TOKEN, TelegramFake
from jobs.dispatcher import DispatchLimits, OutboxDispatcher
from tests.factories import make_user

FAST = DispatchLimits(messages_per_second=2000, per_chat_interval=0.0, batch=25)


async def test_two_dispatchers_share_the_work_without_duplicates(db: Database, clock: ManualClock) -> None:
    users = []
    async with db.transaction() as s:
        for i in range(60):
            user = await make_user(s, telegram_id=5000 + i, name=f"U{i}")
            users.append(user.id)
            await outbox.notify(
                s,
                user.id,
                NotificationKind.CARD_SAVED,
                {"brand": "visa", "last4": f"{i:04d}"},
                now=clock.now(),
            )

    async with TelegramFake() as tg:
        for i in range(60):
            tg.user(5000 + i, f"U{i}")
        bot = Bot(DEFAULT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url)))
        other_db = Database.from_url(db.engine.url.render_as_string(hide_password=False))
        try:
            a = OutboxDispatcher(db, {Channel.TELEGRAM: TelegramSender(bot, db)}, clock, FAST)
            b = OutboxDispatcher(other_db, {Channel.TELEGRAM: TelegramSender(bot, other_db)}, clock, FAST)
            handled = await asyncio.gather(a.run(), b.run())
        finally:
            await other_db.dispose()
            await bot.session.close()
        sent_to = Counter(int(params["chat_id"]) for method, params in tg.calls if method == "sendMessage")
    assert sum(handled) == 60
    assert all(handled), handled  # both processes did part of the work
    assert sent_to == Counter({5000 + i: 1 for i in range(60)})
    async with db.read() as s:
        statuses = set(await s.scalars(select(Notification.status)))
    assert statuses == {NotificationStatus.SENT}
