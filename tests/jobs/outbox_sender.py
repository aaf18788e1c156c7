"""A process that only sends the Telegram outbox, holding the channel's lease as `main.py run`
does, for tests that kill it (SIGKILL) in the middle of a batch:

    python -m tests.jobs.outbox_sender DATABASE_URL BOT_API_BASE_URL

It ticks like the scheduler's outbox job (`kick` five times a second) and prints `ticking`
once it has started. Sends are paced slowly enough to be caught in the middle of a batch."""

from __future__ import annotations

import asyncio
import sys

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.notifications import TelegramSender
from core.clock import SystemClock
from core.db import Database
from core.models import Channel
from demo.botapi import DEFAULT_TOKEN
from jobs.dispatcher import DispatchLimits, OutboxDispatcher
from jobs.lease import SenderLease

# One claim takes the whole test batch (one row per chat); 20 sends a second.
LIMITS = DispatchLimits(messages_per_second=20, per_chat_interval=0.0, batch=100)


async def main(database_url: str, bot_api: str) -> None:
    db = Database.from_url(database_url)
    bot = Bot(DEFAULT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(bot_api)))
    dispatcher = OutboxDispatcher(
        db,
        {Channel.TELEGRAM: TelegramSender(bot, db)},
        SystemClock(),
        LIMITS,
        lease=SenderLease(db, "outbox:telegram"),
    )
    print("ticking", flush=True)
    while True:  # until killed
        await dispatcher.kick()
        await asyncio.sleep(0.2)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
