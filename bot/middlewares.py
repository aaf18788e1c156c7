"""Outer middlewares: who is calling (upserting the user), and flood throttling."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.types import User as TgUser
from sqlalchemy import select

from bot.context import Caller, Services
from bot.i18n import pick_language, tr
from core.models import User

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
        admin_ids = self.services.settings.admin_ids
        async with self.services.db.read() as s:
            user = await s.scalar(select(User).where(User.telegram_id == tg_user.id))
            if user is not None and user.is_admin == (tg_user.id in admin_ids):
                return Caller(user.id, tg_user.id, user.language, user.name, user.is_admin)
        async with self.services.db.transaction() as s:
            user = await s.scalar(select(User).where(User.telegram_id == tg_user.id).with_for_update())
            if user is None:
                user = User(
                    telegram_id=tg_user.id,
                    name=tg_user.full_name[:128],
                    language=pick_language(tg_user.language_code),
                    is_admin=tg_user.id in admin_ids,
                    created_at=self.services.clock.now(),
                )
                s.add(user)
            user.is_admin = tg_user.id in admin_ids  # ADMIN_IDS is the source of truth
            await s.flush()
            return Caller(user.id, tg_user.id, user.language, user.name, user.is_admin)


class ThrottleMiddleware(BaseMiddleware):
    """A token bucket per user: a burst of `burst` updates, then `rate` per second. Excess
    updates are dropped; the user is told once per burst, callbacks are answered."""

    def __init__(self, *, rate: float = 3.0, burst: int = 15) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[int, tuple[float, float, bool]] = {}  # tokens, updated, warned

    def _allow(self, user_id: int) -> tuple[bool, bool]:
        now = time.monotonic()
        tokens, updated, warned = self._buckets.get(user_id, (float(self.burst), now, False))
        tokens = min(float(self.burst), tokens + (now - updated) * self.rate)
        if tokens >= 1:
            self._buckets[user_id] = (tokens - 1, now, False)
            return True, False
        self._buckets[user_id] = (tokens, now, True)
        return False, not warned

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        tg_user: TgUser | None = data.get("event_from_user")
        if tg_user is None:
            return await handler(event, data)
        allowed, warn = self._allow(tg_user.id)
        if allowed:
            return await handler(event, data)
        lang = pick_language(tg_user.language_code)
        if isinstance(event, CallbackQuery) or (isinstance(event, Message) and warn):
            await event.answer(tr(lang, "throttled"))
        return None
