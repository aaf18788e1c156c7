"""Polling allows one process per bot (DESIGN.md §13): the second one stops, with one line.

Telegram keeps one `getUpdates` per bot: a newer request ends an older one still waiting
with 409 "Conflict: terminated by other getUpdates request; make sure that only one bot
instance is running", and while a webhook is set every `getUpdates` gets 409 "Conflict: can't
use getUpdates method while webhook is active". aiogram logs such a failure and polls again,
forever, so two pollers would take turns ending each other's requests, each getting a share of
the updates.

The first 409 goes to the process that was polling already (the newcomer's request ended its
one); when it polls again, the newcomer's request is ended in turn. So: a process that has
polled for less than `newcomer_seconds` is the newcomer, and refuses to run at its second
conflict (one alone may be the long poll of a predecessor killed a moment ago, which Telegram
still holds); one that has polled longer keeps polling, with one warning, and the newcomer
stops within a few seconds. If conflicts still come after `give_up_seconds` (the other poller
is not one of ours, so it does not give way), the established process stops too. A webhook
set meanwhile (a process in webhook mode) stops a poller at once. Conflicts a process rides
out are retried after `retry_seconds`, quietly (no aiogram error line, no growing back-off).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import cast

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramConflictError
from aiogram.methods import GetUpdates, Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

ANOTHER_POLLER = (
    "another process is polling Telegram with this BOT_TOKEN, and Telegram gives updates to one "
    "poller only: stop the other process, or run every process with BOT_MODE=webhook behind a "
    "reverse proxy (README: Running several processes)"
)
WEBHOOK_SET = (
    "a webhook is set for this bot (a process runs with BOT_MODE=webhook), so Telegram refuses "
    "polling: run this process with BOT_MODE=webhook too (README: Running several processes)"
)

# Conflicts further apart than this are separate episodes (a newcomer that came and went).
QUIET_SECONDS = 30.0


class PollingGuard(BaseRequestMiddleware):
    """Watches `getUpdates` answers; `refused` is set (with `reason`) when this process must
    stop polling. Meanwhile its `getUpdates` waits rather than fail, so aiogram neither logs
    the conflict nor polls again (which would end the other process's request)."""

    def __init__(
        self,
        *,
        newcomer_seconds: float = 10.0,
        give_up_seconds: float = 60.0,
        retry_seconds: float = 1.0,
        time_source: Callable[[], float] = time.monotonic,
    ) -> None:
        self.newcomer_seconds = newcomer_seconds
        self.give_up_seconds = give_up_seconds
        self.retry_seconds = retry_seconds
        self._now = time_source
        self._polling_since: float | None = None
        self._conflicts_since: float | None = None  # start of the current episode of conflicts
        self._last_conflict: float | None = None
        self._newcomer_conflicts = 0
        self.conflicts = 0  # 409s met so far
        self.refused = asyncio.Event()
        self.reason = ""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not isinstance(method, GetUpdates):
            return await make_request(bot, method)
        return await self._get_updates(make_request, bot, method)

    async def _get_updates(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if self.refused.is_set():
            await asyncio.Future()  # polling is being stopped: this task is cancelled
        if self._polling_since is None:
            self._polling_since = self._now()
        try:
            response = await make_request(bot, method)
        except TelegramConflictError as exc:
            reason = self._conflict(exc.message)
            if reason is None:
                # Poll again soon (an established poller thereby ends the newcomer's request),
                # without aiogram's error lines and growing back-off.
                await asyncio.sleep(self.retry_seconds)
                # The session unwraps results before the middlewares: this is getUpdates' result.
                return cast(Response[TelegramType], [])
            self.reason = reason
            self.refused.set()
            await asyncio.Future()  # until polling is stopped (App stops on `refused`)
            raise  # unreachable: the Future never completes
        return response

    def _conflict(self, message: str) -> str | None:
        """Why this process must stop polling, or None to keep polling."""
        self.conflicts += 1
        if "webhook" in message.lower():
            return WEBHOOK_SET
        now = self._now()
        assert self._polling_since is not None
        if now - self._polling_since < self.newcomer_seconds:
            self._newcomer_conflicts += 1
            return ANOTHER_POLLER if self._newcomer_conflicts >= 2 else None
        last, self._last_conflict = self._last_conflict, now
        if self._conflicts_since is None or last is None or now - last > QUIET_SECONDS:
            # A new episode (one line each): a newcomer meets the next conflict within seconds.
            self._conflicts_since = now
            log.warning(
                "another process started polling with this BOT_TOKEN; this one keeps polling "
                "(the newcomer stops by itself)"
            )
            return None
        if now - self._conflicts_since >= self.give_up_seconds:
            return ANOTHER_POLLER
        return None
