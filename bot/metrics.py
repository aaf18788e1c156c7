"""The update loop's metrics and log context (core/metrics.py, core/logs.py).

`observe_update` wraps the dispatcher's one entry point (polling and webhooks both go through
`feed_update`): it puts the update's id and its sender's id into the log context for every
line logged while the update is handled (aiogram's error handlers included), and counts and
times the update. aiogram's own error middleware is the outermost one and swallows what a
handler raised, so `ErrorMarker`, an outer middleware inside it, notes the failure on the way
out. `BotApiMetrics` counts 429s on every Bot API call the bot makes.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiogram import BaseMiddleware, Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update

from core import logs, metrics

T = TypeVar("T")


@dataclass(slots=True)
class _Handling:
    failed: bool = False


# The update being handled, for ErrorMarker (set by observe_update; the middlewares run in
# the same task, so they see it).
_current: contextvars.ContextVar[_Handling | None] = contextvars.ContextVar("handling", default=None)


def _update_type(update: Update) -> str:
    try:
        return update.event_type
    except Exception:  # an update type newer than aiogram: one bounded label for all of them
        return "unknown"


async def observe_update(update: Update, handling: Awaitable[T]) -> T:
    """Awaits `handling` (the dispatcher's handling of `update`) with the update's ids in the
    log context, then counts it by type and outcome (handled, unhandled, error) and records
    how long it took."""
    context = UserContextMiddleware.resolve_event_context(update)
    id_token = logs.update_id.set(update.update_id)
    user_token = logs.user_id.set(context.user.id if context.user is not None else None)
    kind = _update_type(update)
    state = _Handling()
    state_token = _current.set(state)
    started = time.perf_counter()
    outcome = "error"
    try:
        result = await handling
        outcome = "error" if state.failed else ("unhandled" if result is UNHANDLED else "handled")
        return result
    finally:
        metrics.UPDATE_SECONDS.labels(kind).observe(time.perf_counter() - started)
        metrics.UPDATES.labels(kind, outcome).inc()
        _current.reset(state_token)
        logs.user_id.reset(user_token)
        logs.update_id.reset(id_token)


class ErrorMarker(BaseMiddleware):
    """Notes that a handler raised (aiogram's error middleware, outside it, handles the
    exception and the update would otherwise count as handled)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except Exception:
            if (state := _current.get()) is not None:
                state.failed = True
            raise


class BotApiMetrics(BaseRequestMiddleware):
    """Counts the Bot API calls Telegram answered with 429 (Too Many Requests), by method."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter:
            metrics.TELEGRAM_RATE_LIMITED.labels(method.__api_method__).inc()
            raise
