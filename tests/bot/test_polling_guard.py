"""The polling guard's decisions against the Bot API fake, which answers 409 as Telegram does:
an older long poll ended by a newer getUpdates, and getUpdates refused while a webhook is set.
(The whole story, a second `python main.py run` refusing, is tests/e2e/test_one_poller.py.)"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramConflictError
from aiogram.methods import GetUpdates

from bot.polling import ANOTHER_POLLER, WEBHOOK_SET, PollingGuard
from bot.runtime import create_bot
from demo.botapi import DEFAULT_TOKEN, TelegramFake
from tests.waiting import eventually


@pytest.fixture
async def tg() -> AsyncIterator[TelegramFake]:
    async with TelegramFake() as fake:
        yield fake


@contextlib.asynccontextmanager
async def polling(bot: Bot) -> AsyncIterator[list[int]]:
    """Polls as aiogram does, collecting the update ids it receives; on a conflict it retries
    after 50 ms (a poller that is not ours: it never gives way)."""
    received: list[int] = []

    async def loop() -> None:
        while True:
            offset = received[-1] + 1 if received else None
            try:
                updates = await bot(GetUpdates(offset=offset, timeout=1))
            except TelegramConflictError:
                await asyncio.sleep(0.05)
                continue
            received.extend(u.update_id for u in updates)

    task = asyncio.create_task(loop())
    try:
        yield received
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await bot.session.close()


def guarded(tg: TelegramFake, guard: PollingGuard) -> Bot:
    bot = create_bot(DEFAULT_TOKEN, tg.base_url)
    bot.session.middleware(guard)
    return bot


async def test_a_webhook_set_by_another_process_stops_polling_at_once(tg: TelegramFake) -> None:
    guard = PollingGuard()
    tg.set_webhook_target("http://127.0.0.1:9/telegram/webhook")
    async with polling(guarded(tg, guard)):
        await asyncio.wait_for(guard.refused.wait(), 5)
    assert guard.reason == WEBHOOK_SET


async def test_a_newcomer_rides_out_one_conflict_from_a_predecessors_last_poll(tg: TelegramFake) -> None:
    predecessor = create_bot(DEFAULT_TOKEN, tg.base_url)
    waiting = asyncio.create_task(predecessor(GetUpdates(timeout=1)))
    await asyncio.sleep(0.1)
    guard = PollingGuard(retry_seconds=0.05)
    async with polling(guarded(tg, guard)) as received:
        with pytest.raises(TelegramConflictError):
            await waiting  # ended by the newcomer's request, as Telegram does
        # The predecessor's last request (it is being killed) ends the newcomer's once.
        with contextlib.suppress(TelegramConflictError):
            await predecessor(GetUpdates(timeout=1))
        await predecessor.session.close()
        await eventually(lambda: guard.conflicts == 1, what="the newcomer's conflict")
        await tg.user(7401).send_command("/start")
        await eventually(lambda: len(received) == 1, what="the newcomer got the update")
    assert not guard.refused.is_set()


async def test_an_established_poller_stops_when_the_other_never_gives_way(tg: TelegramFake) -> None:
    guard = PollingGuard(newcomer_seconds=0.1, give_up_seconds=0.5, retry_seconds=0.05)
    async with polling(guarded(tg, guard)):
        await asyncio.sleep(0.2)  # established
        assert not guard.refused.is_set()
        async with polling(create_bot(DEFAULT_TOKEN, tg.base_url)):  # a poller that is not ours
            await asyncio.wait_for(guard.refused.wait(), 5)
    assert guard.reason == ANOTHER_POLLER
