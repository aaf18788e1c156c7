"""Outer middlewares: who is calling (upserting the user), and flood throttling."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.types import User as TgUser
from cachetools import TTLCache

from bot.context import Caller, Services
from bot.i18n import pick_language, tr

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class CallerMiddleware(BaseMiddleware):
    """Finds or registers the Telegram user and puts a `Caller` into the handler data."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: TgUser | None = data.get("event_from_user") or getattr(event, "from_user", None)
        if tg_user is None or tg_user.is_bot:
            return await handler(event, data)
        data["caller"] = await self._caller(tg_user)
        return await handler(event, data)

    async def _caller(self, tg_user: TgUser) -> Caller:
        return await self.services.users.telegram_caller(
            tg_user.id, name=tg_user.full_name, language=pick_language(tg_user.language_code)
        )


class ThrottleMiddleware(BaseMiddleware):
    """A token bucket per user: a burst of `burst` updates, then `rate` per second. Excess
    updates are dropped and callbacks answered; a flooding user is told at most once per
    `warn_every` seconds, however the bucket refills meanwhile (a long flood gets one note,
    not one each time a token trickles in).

    `time_source` is a monotonic clock in seconds; tests pass their own so that what the user
    sees does not depend on how fast the machine is this minute."""

    def __init__(
        self,
        *,
        rate: float = 3.0,
        burst: int = 15,
        warn_every: float = 30.0,
        max_users: int = 100_000,
        time_source: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate, self.burst, self.warn_every = rate, burst, warn_every
        self._now = time_source
        # Bounded: an idle user's entry is dropped once their bucket would be full again and
        # their warning window has passed, which is exactly when it stops mattering.
        ttl = max(burst / rate, warn_every)
        self._buckets: TTLCache[int, _Bucket] = TTLCache(maxsize=max_users, ttl=ttl, timer=time_source)

    def _allow(self, user_id: int) -> tuple[bool, bool]:
        """(allowed, warn now)."""
        now = self._now()
        bucket = self._buckets.get(user_id) or _Bucket(float(self.burst), now, None)
        tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        if tokens >= 1:
            self._buckets[user_id] = _Bucket(tokens - 1, now, bucket.warned_at)
            return True, False
        warn = bucket.warned_at is None or now - bucket.warned_at >= self.warn_every
        self._buckets[user_id] = _Bucket(tokens, now, now if warn else bucket.warned_at)
        return False, warn

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: TgUser | None = data.get("event_from_user")
        if tg_user is None:
            return await handler(event, data)
        allowed, warn = self._allow(tg_user.id)
        if allowed:
            return await handler(event, data)
        lang = pick_language(tg_user.language_code)
        if isinstance(event, CallbackQuery):
            # Every callback is answered, or the button keeps spinning; the note only when due.
            await event.answer(tr(lang, "throttled") if warn else None)
        elif isinstance(event, Message) and warn:
            await event.answer(tr(lang, "throttled"))
        return None


@dataclass(frozen=True, slots=True)
class _Bucket:
    tokens: float
    updated: float
    warned_at: float | None
