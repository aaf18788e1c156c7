"""The Telegram front end's runtime: bot, dispatcher, storage, dialogs, polling or webhook."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import OrderedDict
from typing import Any, ClassVar, cast

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiogram_dialog import DIALOG_EVENT_NAME, BgManagerFactory, setup_dialogs
from aiogram_dialog.api.entities import stack as dialog_stack
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState
from aiogram_dialog.api.protocols import MessageManagerProtocol
from aiohttp import web

from bot import extension, handlers
from bot.context import Services
from bot.dialogs.admin import admin_dialog
from bot.dialogs.admin.blockers import blockers_dialog
from bot.dialogs.admin.bookings import bookings_admin_dialog
from bot.dialogs.admin.now import now_dialog
from bot.dialogs.admin.operator import operator_dialog
from bot.dialogs.admin.premises import premises_dialog
from bot.dialogs.admin.prices import prices_dialog
from bot.dialogs.admin.revenue import revenue_dialog
from bot.dialogs.admin.reviews import moderation_dialog
from bot.dialogs.admin.spots import spots_dialog
from bot.dialogs.book import book_dialog
from bot.dialogs.bookings import bookings_dialog
from bot.dialogs.common import global_getter, with_hints
from bot.dialogs.find import find_dialog
from bot.dialogs.menu import language_dialog, menu_dialog
from bot.dialogs.reviews import reviews_dialog
from bot.dialogs.states import BookSG
from bot.dialogs.wallet import wallet_dialog
from bot.metrics import BotApiMetrics, ErrorMarker, observe_update
from bot.middlewares import CallerMiddleware, ThrottleMiddleware
from bot.notifications import ScreenRefresher
from core.logs import demote_info_to_debug
from core.services.payments import Settled

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"


class AnswerCallbackOnce(BaseRequestMiddleware):
    """Telegram takes one answer per callback query and refuses any other ("query is too
    old"). aiogram-dialog answers every tap on its windows itself, after the handler and the
    new screen; a handler that must show a pop-up (a refusal, "released") answers first, with
    its text. The first answer is the one the driver sees, so a later one for the same query
    is not sent: each tap is answered exactly once, whoever handles it."""

    def __init__(self, remember: int = 10_000) -> None:
        self._answered: OrderedDict[str, None] = OrderedDict()
        self._remember = remember  # queries are answered within seconds; a bounded memory

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        query_id = method.callback_query_id if isinstance(method, AnswerCallbackQuery) else None
        if query_id is None:
            return await make_request(bot, method)
        if query_id in self._answered:
            log.debug("callback %s already answered; not answering again", query_id)
            return Response[TelegramType](ok=True, result=cast(TelegramType, True))
        self._answered[query_id] = None
        if len(self._answered) > self._remember:
            self._answered.popitem(last=False)
        try:
            return await make_request(bot, method)
        except Exception:
            self._answered.pop(query_id, None)  # not answered after all: a later answer may be
            raise


class KeepResponseTypes(BaseRequestMiddleware):
    """aiogram reads every Bot API answer as `Response[<the method's result type>]`, and
    pydantic keeps such a parametrised model only in a weak cache: a generic model is freed
    at the garbage collector's next pass, and the next call builds the class again, its
    schema and its validator (some 3 ms, a sixth of a booking step's CPU before this). Each
    method's answer type is held here once it has been used, so it is built once per process."""

    _types: ClassVar[dict[type[TelegramMethod[Any]], type[Response[Any]]]] = {}

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        kind = type(method)
        if kind not in self._types:
            # The same subscript as aiogram's check_response: pydantic's cache key.
            returning: Any = method.__returning__
            self._types[kind] = Response[returning]
        return await make_request(bot, method)


def create_bot(token: str, api_base: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base))
    session.middleware(KeepResponseTypes())
    session.middleware(AnswerCallbackOnce())
    session.middleware(BotApiMetrics())
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def create_storage(redis_url: str) -> tuple[BaseStorage, BaseEventIsolation]:
    if not redis_url:
        return MemoryStorage(), SimpleEventIsolation()
    from aiogram.fsm.storage.redis import RedisStorage
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff

    # with_destiny: aiogram-dialog keeps several stacks per user under one FSM key otherwise.
    # The retry: aiogram builds the pool itself, whose connections then retry nothing, so after
    # Redis restarted every pooled connection failed its next update once ("connection closed
    # by server"); a dead connection is reconnected and the command sent again instead.
    storage = RedisStorage.from_url(
        redis_url,
        key_builder=DefaultKeyBuilder(with_destiny=True),
        connection_kwargs={"retry": Retry(ExponentialBackoff(cap=1.0, base=0.05), 3)},
    )
    # The isolation must share the storage's destiny-aware key builder. A lock Redis lost while
    # its update ran (a restart without persistence) is not an error of that update: it was
    # handled, its answer sent; redis-py logs one WARNING instead of failing it at release.
    from aiogram.fsm.storage.redis import DEFAULT_REDIS_LOCK_KWARGS

    return storage, storage.create_isolation(
        lock_kwargs={**DEFAULT_REDIS_LOCK_KWARGS, "raise_on_release_error": False}
    )


def use_unique_dialog_ids() -> None:
    """aiogram-dialog 2.6 makes a dialog context's id from the current second plus
    random(0..99), so two dialogs one user opens within a second collide one time in a hundred:
    the stack is "broken" and reset, and the driver lands on the menu (upstream PR #501, still
    open). 40 random bits per id make a collision practically impossible; ids stay 7 characters,
    well inside callback data's 64 bytes."""
    dialog_stack.new_int_id = lambda: secrets.randbits(40)


# How long a stopping service waits for the updates it has taken (a handler's Bot API calls
# and dialog saves take well under a second; a stuck one must not hold a restart for long).
SHUTDOWN_GRACE_SECONDS = 10.0


class InFlightUpdates:
    """Counts updates being handled, so that a stopping service lets them finish before it
    closes the dialog storage and the Bot API session. Cut off mid-way, an update loses the
    dialog state it was saving, and on Redis its error handling then waits on the chat's own
    isolation lock until that lock expires (a minute), so the next process does not answer
    that chat's taps meanwhile."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self.count += 1
        self._idle.clear()

    def leave(self) -> None:
        self.count -= 1
        if self.count == 0:
            self._idle.set()

    async def drain(self, timeout: float) -> int:  # noqa: ASYNC109 (a deadline, not a sleep)
        """Waits until no update is being handled, at most `timeout` seconds; returns how many
        were still running then."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), timeout)
        if self.count:
            log.warning("stopping with %d update(s) still being handled", self.count)
        return self.count


class DrainableDispatcher(Dispatcher):
    """aiogram's Dispatcher, counting updates around `feed_update`, the one entry both polling
    and webhooks go through. Outer middlewares cannot do it: aiogram's own FSM middleware (with
    the isolation lock) is registered first and finishes after any middleware of ours."""

    def __init__(self, in_flight: InFlightUpdates, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.in_flight = in_flight

    async def emit_shutdown(self, *args: Any, **kwargs: Any) -> None:
        # aiogram closes the FSM storage (and so the Redis pool) on shutdown, which polling
        # emits as soon as it stops, with updates still running: let them finish first.
        await self.in_flight.drain(timeout=SHUTDOWN_GRACE_SECONDS)
        await super().emit_shutdown(*args, **kwargs)

    async def feed_update(self, bot: Bot, update: Update, **kwargs: Any) -> Any:
        self.in_flight.enter()
        try:
            # Counted, timed and its ids in the log context (bot/metrics.py).
            return await observe_update(update, super().feed_update(bot, update, **kwargs))
        finally:
            self.in_flight.leave()


def create_dispatcher(
    services: Services,
    storage: BaseStorage,
    isolation: BaseEventIsolation,
    *,
    message_manager: MessageManagerProtocol | None = None,
    throttle: ThrottleMiddleware | None = None,
    in_flight: InFlightUpdates | None = None,
) -> tuple[DrainableDispatcher, BgManagerFactory]:
    use_unique_dialog_ids()
    demote_info_to_debug("aiogram.event")  # "Update id=… is handled" for every update
    dp = DrainableDispatcher(
        in_flight or InFlightUpdates(), storage=storage, events_isolation=isolation, services=services
    )
    throttle = throttle or ThrottleMiddleware()
    caller = CallerMiddleware(services)
    # On the update itself, so that error handlers (which get the update's data) know the
    # caller too; throttling answers messages and callbacks, so it sits on those.
    dp.update.outer_middleware(ErrorMarker())  # inside aiogram's error middleware: sees raises
    dp.update.outer_middleware(caller)
    for observer in (dp.message, dp.callback_query):
        observer.outer_middleware(throttle)
    dp.errors.register(
        handlers.stale_dialog, ExceptionTypeFilter(UnknownIntent, UnknownState, OutdatedIntent)
    )
    dp.errors.register(handlers.unexpected)
    commands, fallback = handlers.build_routers()
    dialogs = (
        menu_dialog(),
        find_dialog(),
        book_dialog(),
        bookings_dialog(),
        wallet_dialog(),
        language_dialog(),
        reviews_dialog(),
        admin_dialog(),
        prices_dialog(),
        spots_dialog(),
        moderation_dialog(),
        blockers_dialog(),
        premises_dialog(),
        bookings_admin_dialog(),
        now_dialog(),
        revenue_dialog(),
        operator_dialog(),
    )
    # Every window can answer a message it cannot take with a hint on top (show_hint).
    dp.include_routers(commands, extension.build_router(), *map(with_hints, dialogs), fallback)
    bg_factory = setup_dialogs(
        dp, events_isolation=isolation, getter=global_getter, message_manager=message_manager
    )
    # Background updates (a payment settled by the webhook) render windows too.
    dp.observers[DIALOG_EVENT_NAME].outer_middleware(caller)
    return dp, bg_factory


def refresh_on_payment(services: Services, bot: Bot, bg_factory: BgManagerFactory) -> None:
    """When a payment settles while the driver looks at the payment screen, that screen says
    at once that the payment arrived; the confirmation is the outbox's message (one per
    booking, however it was paid)."""
    if services.payments is None:
        return

    async def refresh(payment_id: int, settled: Settled) -> None:
        chat = await services.users.telegram_chat_of_payment(payment_id)
        if chat is None:
            return
        manager = bg_factory.bg(bot, user_id=chat, chat_id=chat)
        await manager.update({"settled": settled.value})

    services.payments.on_settled.append(refresh)


def payment_screen_refresher(bot: Bot, bg_factory: BgManagerFactory) -> ScreenRefresher:
    """For the outbox: when a hold lapses while its payment screen is what the driver sees,
    that screen itself turns into "expired, book again" (no live-looking buttons are left)."""

    async def refresh(telegram_id: int, reservation_id: int) -> bool:
        manager = bg_factory.bg(bot, user_id=telegram_id, chat_id=telegram_id)
        try:
            # Bounded: a broken dialog stack never answers, and the message is sent instead.
            async with asyncio.timeout(10), manager.fg() as dialog:
                if not dialog.has_context():
                    return False
                context = dialog.current_context()
                if context.state not in (BookSG.pay, BookSG.link):
                    return False
                if context.dialog_data.get("reservation_id") != reservation_id:
                    return False
                await dialog.show()
                return True
        except TimeoutError:
            return False

    return refresh


def add_webhook_route(app: web.Application, dp: Dispatcher, bot: Bot, secret: str) -> None:
    # SimpleRequestHandler answers 401 to a wrong X-Telegram-Bot-Api-Secret-Token.
    SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(app, path=WEBHOOK_PATH)


async def set_webhook(bot: Bot, dp: Dispatcher, public_url: str, secret: str) -> None:
    await bot.set_webhook(
        f"{public_url}{WEBHOOK_PATH}", secret_token=secret, allowed_updates=dp.resolve_used_update_types()
    )
