"""`python main.py demo`: everything in one process, no accounts (DESIGN.md §14).

The real service (`service.App`: the same dispatcher, dialogs, jobs and outbox as `run`) on a
SQLite file, talking to the Bot API emulator; Checkout is the emulator's payment page, which
settles through the signed `/stripe/webhook`; blockers are simulated over MQTT when a broker
answers at MQTT_URL, in the process otherwise. The chat page is served on `--port`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_SUBMITTED, JobEvent
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select

from core.config import Settings
from core.demo import seed_demo
from core.migrate import upgrade_to_head
from core.models import Blocker, Spot
from core.usecases.arrival import ArrivalUseCases
from demo.blockers import LocalBlockers
from demo.botapi import TelegramFake
from demo.chat import ChatPage, DemoUser
from demo.clock import DemoClock
from demo.safety import DEMO_BOT_TOKEN, DEMO_STRIPE_KEY, DEMO_WEBHOOK_SECRET
from demo.stripe import StripeFake
from hardware.simulator import Simulator
from service import App  # main imports this module only when the `demo` sub-command runs

log = logging.getLogger("parking.demo")

ADMIN_ID = 9001
USERS = [
    DemoUser(1001, "Alex", "driver", "en", "+447700900101"),
    DemoUser(1002, "Олена", "driver", "uk", "+380501234567"),
    DemoUser(ADMIN_ID, "Demo admin", "admin", "en", "+447700900199"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _broker_answers(mqtt_url: str) -> bool:
    if not mqtt_url:
        return False
    parts = urlsplit(mqtt_url)
    port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class _LoggedViolations(list[str]):
    """The emulator's record of calls that break the Bot API spec: the demo logs them (tests
    fail on them)."""

    def append(self, violation: str) -> None:
        log.warning("Bot API violation: %s", violation[:300])
        super().append(violation)


def cmd_demo(
    env: Settings, *, port: int, lat: float, lon: float, fresh: bool, db_path: Path = Path("demo.db")
) -> None:
    """The demo, once `demo.safety.demo_settings` accepted the environment (main.py checks it
    before importing this module, so a refusal comes at once)."""
    # The demo prints one line, the URL; what it logs are problems.
    logging.getLogger().setLevel(logging.WARNING)
    if fresh:
        for suffix in ("", "-wal", "-shm", "-journal"):
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    database_url = f"sqlite+aiosqlite:///{db_path}"
    upgrade_to_head(database_url)
    asyncio.run(_serve(env, database_url, port, (lat, lon)))


async def _serve(env: Settings, database_url: str, port: int, point: tuple[float, float]) -> None:
    clock = DemoClock()
    mqtt_url = env.mqtt_url if _broker_answers(env.mqtt_url) else ""
    prefix = f"demo{uuid.uuid4().hex[:8]}"  # the demo's blockers never meet real ones on a broker
    async with (
        TelegramFake(DEMO_BOT_TOKEN, bot_username="parking_demo_bot", bot_name="Parking (demo)") as tg,
        StripeFake(webhook_secret=DEMO_WEBHOOK_SECRET) as stripe,
    ):
        tg.violations = _LoggedViolations()
        app_port = _free_port()
        settings = Settings(
            _env_file=None,
            bot_token=DEMO_BOT_TOKEN,
            telegram_api_base=tg.base_url,
            public_url=f"http://127.0.0.1:{app_port}",
            http_host="127.0.0.1",
            http_port=app_port,
            database_url=database_url,
            mqtt_url=mqtt_url,
            mqtt_topic_prefix=prefix,
            stripe_secret_key=DEMO_STRIPE_KEY,
            stripe_webhook_secret=DEMO_WEBHOOK_SECRET,
            stripe_api_base=stripe.base_url,
            admin_ids=frozenset({ADMIN_ID}),
            currency=env.currency,
            timezone=env.timezone,
            hold_minutes=env.hold_minutes,
            reminder_minutes=env.reminder_minutes,
            early_arrival_minutes=env.early_arrival_minutes,
            sweep_interval_seconds=5,
            # Everything else the demo needs is local: SMS stays off and dialogs in memory even
            # when the shell has a real Twilio account or a Redis URL in its environment.
            twilio_account_sid="",
            twilio_auth_token=None,
            twilio_from_number="",
            redis_url="",
        )
        assert not settings.sms_enabled
        app = App(settings, clock=clock)
        blocker_ids = await _seed(app, settings, point, clock)
        simulator: Simulator | None = None
        if mqtt_url:
            simulator = Simulator(
                mqtt_url, prefix, blocker_ids, move_time=0.6, car_arrival_delay=2.0, clock=clock,
                clear_retained_on_stop=True,
            )  # fmt: skip
            await simulator.start()
        else:
            local = LocalBlockers(app.db, clock)
            await local.power_on(blocker_ids)
            arrival = ArrivalUseCases(app.db, local, clock, early_minutes=settings.early_arrival_minutes)
            # App wires the blocker port only to an MQTT link; without a broker the demo fills
            # the same port in-process (Services is shared by the dispatcher and middlewares).
            app.arrival = arrival
            object.__setattr__(app.services, "arrival", arrival)

        def run_jobs_now() -> None:
            for job in app.scheduler.get_jobs():
                job.modify(next_run_time=datetime.now(UTC))

        page = ChatPage(tg, clock, USERS, point=point, timezone=settings.timezone,
                        after_time_travel=run_jobs_now)  # fmt: skip
        web_app = web.Application()
        page.add_routes(web_app)
        runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=1)
        jobs = _JobsInFlight(app.scheduler)
        try:
            await runner.setup()
            try:
                await web.TCPSite(runner, "127.0.0.1", port).start()
            except OSError as exc:
                sys.exit(f"demo: cannot listen on 127.0.0.1:{port} ({exc.strerror}); try another --port")
            await app.start()
            stripe.webhook_url = f"{app.web_url}/stripe/webhook"
            print(f"http://127.0.0.1:{runner.addresses[0][1]}/demo", flush=True)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, stop.set)
            await stop.wait()
        finally:
            page.close()
            await runner.cleanup()
            await jobs.drain()
            await app.stop()
            if simulator is not None:
                await simulator.stop()


class _JobsInFlight:
    """Lets the sweeps that are running finish before App.stop(): APScheduler cancels them at
    shutdown and logs each cancellation as a failure with a traceback (the outbox job runs every
    second, so Ctrl-C nearly always meets one)."""

    def __init__(self, scheduler: AsyncIOScheduler) -> None:
        self._scheduler = scheduler
        self._running = 0
        self._idle = asyncio.Event()
        self._idle.set()
        scheduler.add_listener(self._on_event, EVENT_JOB_SUBMITTED | EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def _on_event(self, event: JobEvent) -> None:
        self._running += 1 if event.code == EVENT_JOB_SUBMITTED else -1
        if self._running > 0:
            self._idle.clear()
        else:
            self._idle.set()

    async def drain(self, within: float = 5.0) -> None:
        if not self._scheduler.running:
            return
        self._scheduler.pause()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), within)


async def _seed(app: App, settings: Settings, point: tuple[float, float], clock: DemoClock) -> list[str]:
    async with app.db.transaction() as session:
        await seed_demo(
            session,
            lat=point[0],
            lon=point[1],
            currency=settings.currency,
            timezone=settings.timezone,
            now=clock.now(),
        )
    async with app.db.read() as session:
        ids = await session.scalars(
            select(Blocker.id).join(Spot, Spot.id == Blocker.spot_id).where(Spot.is_active.is_(True))
        )
        return list(ids)
