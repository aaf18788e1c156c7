"""The running service, as `python main.py run` starts it (DESIGN.md §2: the wiring): the
database, payments, the bot (polling or webhook), the web app, the MQTT link, the outbox and
the sweeps. Kept apart from main.py so that the CLI's other commands (migrate, admin,
seed-demo, blockers credentials) start without importing aiogram (about 5 s of a 6-s start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiohttp import web

from bot.commands import register_commands, show_admin_command
from bot.context import Services
from bot.geocoding import Geocoder
from bot.middlewares import ThrottleMiddleware
from bot.notifications import TelegramSender
from bot.polling import PollingGuard
from bot.runtime import (
    SHUTDOWN_GRACE_SECONDS,
    WEBHOOK_PATH,
    InFlightUpdates,
    add_webhook_route,
    create_bot,
    create_dispatcher,
    create_storage,
    payment_screen_refresher,
    refresh_on_payment,
    set_webhook,
)
from core import metrics
from core.blockers import AckConflict
from core.clock import Clock, SystemClock
from core.config import STRIPE_API_BASE_DEFAULT, Settings
from core.db import Database
from core.models import Channel
from core.notifications import NotificationKind
from core.services import outbox
from core.usecases.arrival import ArrivalUseCases
from core.usecases.payments import PaymentUseCases
from core.usecases.sms import SmsUseCases
from hardware.link import BlockerLink
from jobs.dispatcher import DispatchLimits, OutboxDispatcher
from jobs.lease import SenderLease
from jobs.scheduler import build_scheduler
from payments import StripeGateway
from payments.web import add_payment_routes
from sms.inbound import SmsCommands
from sms.sender import SmsSender, Twilio
from sms.web import add_sms_routes

log = logging.getLogger("parking")


def build_web_app(db: Database, metrics_endpoint: metrics.MetricsEndpoint | None = None) -> web.Application:
    app = web.Application()

    last_problem: str | None = None

    async def healthz(_request: web.Request) -> web.Response:
        nonlocal last_problem
        problem = await db.health()
        if problem != last_problem:  # one line per change, not one per probe
            if problem is None:
                log.warning("health check: the database is fine again")
            else:
                log.warning("health check: %s", problem)
            last_problem = problem
        if problem is not None:
            return web.json_response({"status": "error", "database": problem}, status=503)
        return web.json_response({"status": "ok"})

    app.router.add_get("/healthz", healthz)
    if metrics_endpoint is not None:

        async def scrape(request: web.Request) -> web.Response:
            body, content_type = await metrics_endpoint.render(request.headers.get("Accept", ""))
            return web.Response(body=body, headers={"Content-Type": content_type})

        app.router.add_get("/metrics", scrape)
    return app


def build_twilio(settings: Settings) -> Twilio | None:
    """The SMS channel's Twilio client, or None: then nothing is texted (DESIGN.md §12)."""
    if not settings.sms_enabled:
        log.info("SMS disabled: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN or TWILIO_FROM_NUMBER is not set")
        return None
    assert settings.twilio_auth_token is not None
    return Twilio(
        settings.twilio_account_sid,
        settings.twilio_auth_token.get_secret_value(),
        settings.twilio_from_number,
        settings.twilio_api_base,
    )


def build_stripe(settings: Settings) -> StripeGateway | None:
    """The payments port's adapter, or None: then only the wallet pays."""
    if not settings.stripe_enabled:
        log.info("card payments disabled: STRIPE_SECRET_KEY is not set (wallet payments still work)")
        return None
    assert settings.stripe_secret_key is not None
    return StripeGateway(
        settings.stripe_secret_key.get_secret_value(),
        api_base=None if settings.stripe_api_base == STRIPE_API_BASE_DEFAULT else settings.stripe_api_base,
    )


class App:
    """The running service: database, payments, bot, web app. `main.py run` starts one; the
    end-to-end tests start one against fake Telegram and Stripe servers."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        throttle: ThrottleMiddleware | None = None,
        polling_guard: PollingGuard | None = None,
    ) -> None:
        assert settings.bot_token is not None
        self.settings = settings
        self.clock = clock or SystemClock()
        self.db = Database.from_url(settings.database_url)
        metrics.track_payments()
        self.metrics = metrics.MetricsEndpoint(
            metrics.process_label(settings.process_name), metrics.DatabaseGauges(self.db, self.clock)
        )
        self.stripe = build_stripe(settings)
        self.payments = (
            PaymentUseCases(self.db, self.stripe, self.clock, public_url=settings.public_url)
            if self.stripe is not None
            else None
        )
        self.geocoder = Geocoder(settings.geocoder_url)
        self.link: BlockerLink | None = None
        self.arrival: ArrivalUseCases | None = None
        if settings.mqtt_url:
            self.link = BlockerLink.from_settings(
                settings,
                self.db,
                clock=self.clock,
                on_health_change=self._blocker_health,
                on_ack_conflict=self._ack_conflict,
            )
            self.arrival = ArrivalUseCases(
                self.db,
                self.link,
                self.clock,
                early_minutes=settings.early_arrival_minutes,
                ack_timeout=settings.ack_timeout_seconds,
            )
            exposure = self.link.address.exposure()
            if exposure is not None:
                log.warning("%s", exposure)
            self.link.late_ack_listeners.append(self.arrival.late_answer)
        else:
            log.info("blockers disabled: MQTT_URL is empty")
        self.services = Services(
            db=self.db,
            clock=self.clock,
            settings=settings,
            payments=self.payments,
            geocoder=self.geocoder,
            arrival=self.arrival,
            presence=self.link,
        )
        self.bot = create_bot(settings.bot_token.get_secret_value(), settings.telegram_api_base)
        # Telegram gives updates to one poller: a second one stops (bot/polling.py).
        self.polling_guard = polling_guard or PollingGuard()
        if settings.bot_mode == "polling":
            self.bot.session.middleware(self.polling_guard)
        self.storage, isolation = create_storage(settings.redis_url)
        self.in_flight = InFlightUpdates()
        self.dp, self.bg_factory = create_dispatcher(
            self.services, self.storage, isolation, throttle=throttle, in_flight=self.in_flight
        )
        refresh_on_payment(self.services, self.bot, self.bg_factory)
        self.twilio = build_twilio(settings)
        self.dispatcher = OutboxDispatcher(
            self.db,
            {
                Channel.TELEGRAM: TelegramSender(
                    self.bot,
                    self.db,
                    payment_screen=payment_screen_refresher(self.bot, self.bg_factory),
                    clock=self.clock,
                )
            },
            self.clock,
            sms_fallback=self.twilio is not None,
            # One process sends each channel at a time: the rate is global (README "One
            # sender at a time").
            lease=SenderLease(self.db, "outbox:telegram"),
        )
        # SMS have a dispatcher of their own: their rate (1 a second on a long code) must never
        # hold up Telegram's 30 a second.
        self.sms_dispatcher: OutboxDispatcher | None = None
        if self.twilio is not None:
            self.sms_dispatcher = OutboxDispatcher(
                self.db,
                {
                    Channel.SMS: SmsSender(
                        self.twilio, self.db, public_url=settings.public_url, clock=self.clock
                    )
                },
                self.clock,
                DispatchLimits(
                    messages_per_second=settings.twilio_rate_per_second,
                    concurrency=max(4, int(settings.twilio_rate_per_second * 4)),
                    confirmed_window=False,  # Twilio queues; its round trip would cost a third
                ),
                lease=SenderLease(self.db, "outbox:sms"),
            )
        self.scheduler = build_scheduler(
            db=self.db,
            clock=self.clock,
            payments=self.payments,
            dispatcher=self.dispatcher,
            reminder_minutes=settings.reminder_minutes,
            sweep_seconds=settings.sweep_interval_seconds,
            arrival=self.arrival,
            incidents=self.services.incidents if self.link is not None else None,
            leave_grace_minutes=settings.leave_grace_minutes,
            no_show_grace_minutes=settings.no_show_grace_minutes,
            waitlist=self.services.waitlist,
            blocked_bay=self.services.blocked_bay,
        )
        if self.sms_dispatcher is not None:
            self.scheduler.add_job(
                self.sms_dispatcher.kick,
                "interval",
                seconds=1,
                id="dispatch_sms",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
            )
        self._runner: web.AppRunner | None = None
        self._polling: asyncio.Task[None] | None = None
        self.web_url = ""

    async def _blocker_health(self, blocker_id: str, healthy: bool, reason: str) -> None:
        """Admins hear of each incident (the link tracks them) once per outage: the blockers a
        burst takes down (or brings back) are listed in one message per admin. Several
        processes each run a link: a blocker already listed is not added twice."""
        async with self.db.transaction() as session:
            await outbox.notify_admins_grouped(
                session,
                NotificationKind.ADMIN_BLOCKERS_RECOVERED
                if healthy
                else NotificationKind.ADMIN_BLOCKERS_UNHEALTHY,
                {"blocker_id": blocker_id, "reason": reason},
                key="blocker_id",
                now=self.clock.now(),
            )
        # The premise's staff: an incident with buttons when bookings are affected, and its end.
        await self.services.incidents.settle(blocker_id)

    async def _ack_conflict(self, conflict: AckConflict) -> None:
        if self.arrival is not None:
            await self.arrival.on_ack_conflict(conflict)

    async def start(self) -> None:
        """Starts serving: MQTT link, web app, updates and the scheduled sweeps, all of them
        (the end-to-end tests start the service through here too)."""
        settings = self.settings
        if self.link is not None:
            await self.link.start()
        me = await self.bot.get_me()
        log.info("bot @%s ready", me.username)
        self.geocoder.identify(me.username)
        app = build_web_app(self.db, self.metrics)
        if self.payments is not None:
            assert settings.stripe_webhook_secret is not None
            add_payment_routes(
                app,
                self.payments,
                webhook_secret=settings.stripe_webhook_secret.get_secret_value(),
                bot_url=f"https://t.me/{me.username}" if me.username else None,
            )
        if self.twilio is not None:
            assert settings.twilio_auth_token is not None
            sms = SmsUseCases(self.db, self.clock)
            add_sms_routes(
                app,
                auth_token=settings.twilio_auth_token.get_secret_value(),
                public_url=settings.public_url,
                sms=sms,
                commands=SmsCommands(
                    bookings=self.services.booking,
                    wallet=self.services.wallet,
                    payments=self.payments,
                    arrival=self.arrival,
                    clock=self.clock,
                    hold_minutes=settings.hold_minutes,
                    sms=sms,
                    guests=self.services.guests,
                    attendance=self.services.attendance,
                    blocked_bay=self.services.blocked_bay,
                ),
            )
        if settings.bot_mode == "webhook":
            add_webhook_route(app, self.dp, self.bot, settings.webhook_secret)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.http_host, settings.http_port)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.web_url = f"http://{host}:{port}"
        log.info("web app listening on %s", self.web_url)
        await register_commands(self.bot)
        await self._owner_menus()
        if settings.bot_mode == "webhook":
            await set_webhook(self.bot, self.dp, settings.public_url, settings.webhook_secret)
            log.info("webhook set to %s%s", settings.public_url, WEBHOOK_PATH)
        else:
            await self.bot.delete_webhook(drop_pending_updates=False)
            self._polling = asyncio.create_task(
                self.dp.start_polling(self.bot, handle_signals=False, close_bot_session=False)
            )
            log.info("polling for updates")
        self.scheduler.start()
        log.info("sweeps every %ss, outbox every 1s", settings.sweep_interval_seconds)

    async def _owner_menus(self) -> None:
        """Owners' command menus show /admin (staff get theirs when they accept an invite)."""
        for telegram_id, lang in await self.services.admin.owner_chats():
            try:
                await show_admin_command(self.bot, telegram_id, lang)
            except TelegramAPIError as exc:  # a chat that is gone must not stop the start-up
                log.warning("command menu of owner %s not set: %s", telegram_id, exc.message)

    async def stop(self) -> None:
        log.info("shutting down")
        await self.scheduler.stop(grace=SHUTDOWN_GRACE_SECONDS)  # runs under way finish
        await self.dispatcher.stop()  # sends under way record their outcome
        if self.sms_dispatcher is not None:
            await self.sms_dispatcher.stop()
        if self._polling is not None:
            with contextlib.suppress(RuntimeError):
                await self.dp.stop_polling()
            await self._polling
        if self._runner is not None:
            await self._runner.cleanup()
        # Updates already taken finish first: they still save dialog state and send answers
        # (polling did this on its shutdown already; webhook requests end here).
        await self.in_flight.drain(timeout=SHUTDOWN_GRACE_SECONDS)
        await self.bot.session.close()
        await self.storage.close()
        if self.link is not None:
            await self.link.stop()
        if self.stripe is not None:
            await self.stripe.close()
        if self.twilio is not None:
            await self.twilio.close()
        await self.geocoder.close()
        await self.db.dispose()


def telegram_failure(exc: AiogramError, token: str) -> str:
    """One line for an operator about a Bot API call that failed at start-up. Upstream bodies
    are never shown (a proxy's error page may echo the request path, and the path holds the
    token); what is shown is redacted and cut short."""

    def clean(text: str) -> str:
        return " ".join(text.replace(token, "<BOT_TOKEN>").split())[:120]

    if isinstance(exc, TelegramUnauthorizedError):
        return "Telegram rejected BOT_TOKEN; copy the token from @BotFather again"
    if isinstance(exc, TelegramNetworkError):
        return f"cannot reach the Bot API at TELEGRAM_API_BASE ({clean(exc.message)})"
    if isinstance(exc, ClientDecodeError):
        return (
            "the Bot API at TELEGRAM_API_BASE answered with something that is not a Bot API "
            "response (a proxy or gateway error page?); check TELEGRAM_API_BASE and try again"
        )
    if isinstance(exc, TelegramAPIError):
        return f"the Bot API at TELEGRAM_API_BASE refused {exc.method.__api_method__}: {clean(exc.message)}"
    return f"talking to the Bot API at TELEGRAM_API_BASE failed ({type(exc).__name__})"


async def serve(settings: Settings) -> None:
    app = App(settings)
    try:
        await app.start()
    except AiogramError as exc:
        await app.stop()
        assert settings.bot_token is not None
        sys.exit(f"start-up failed: {telegram_failure(exc, settings.bot_token.get_secret_value())}")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    stopping = asyncio.ensure_future(stop.wait())
    refused = asyncio.ensure_future(app.polling_guard.refused.wait())
    try:
        await asyncio.wait((stopping, refused), return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        refused.cancel()
        await app.stop()
    if app.polling_guard.refused.is_set():
        sys.exit(f"stopped: {app.polling_guard.reason}")
