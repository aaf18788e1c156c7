"""End-to-end: the real service (service.App: aiogram, aiogram-dialog, Stripe client) over HTTP
against the fake Telegram Bot API and the fake Stripe server, on a migrated SQLite file."""

from __future__ import annotations

import shutil
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.middlewares import ThrottleMiddleware
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.models import Blocker, Spot, WalletTxKind
from core.services import wallet
from demo.botapi import DEFAULT_TOKEN, BotMessage, FakeUser, TelegramFake
from demo.stripe import StripeFake
from service import App
from tests.factories import make_premise

STRIPE_SECRET = "whsec_e2e"
LAT, LON = 50.4501, 30.5234


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class E2E:
    app: App
    tg: TelegramFake
    stripe: StripeFake
    clock: ManualClock
    premise_id: int  # "Central Garage"; 0 when the stack started with no premise

    @property
    def db(self) -> Database:
        return self.app.db

    async def fund(self, telegram_id: int, amount: int) -> None:
        from sqlalchemy import select

        from core.models import User

        async with self.db.transaction() as s:
            user_id = await s.scalar(select(User.id).where(User.telegram_id == telegram_id))
            assert user_id is not None
            await wallet.credit(
                s,
                user_id,
                amount,
                "EUR",
                kind=WalletTxKind.ADJUSTMENT,
                reference="test",
                now=self.clock.now(),
            )


def button(message: BotMessage, starts: str) -> str:
    """The callback data (or url) of the button whose label starts with `starts` (or, with a
    leading `*`, contains the rest)."""
    for text, data in message.buttons():
        found = starts[1:] in text if starts.startswith("*") else text.startswith(starts)
        if found and data:
            return data
    raise AssertionError(f"no button starting {starts!r} in {message.buttons()} of {message.text!r}")


def reply_buttons(user: FakeUser) -> list[str]:
    """The labels of the reply keyboard shown (as sent: aiogram-dialog ends some with hidden
    callback data)."""
    return [b if isinstance(b, str) else str(b["text"]) for b in user.reply_keyboard()]


async def tap(
    user: FakeUser, message: BotMessage, starts: str, expect: Callable[[BotMessage], bool] | None = None
) -> BotMessage:
    await user.tap(message, button(message, starts))
    return await user.wait_for_message(expect)


def settings_for(
    tg: TelegramFake,
    stripe: StripeFake,
    db_path: Path,
    mode: str = "polling",
    geocoder_url: str = "",
    mqtt: tuple[str, str] | None = None,
    redis_url: str = "",
    sweep_seconds: float = 15,
    admin_ids: frozenset[int] = frozenset(),
) -> Settings:
    port = free_port()
    return Settings(
        _env_file=None,
        bot_token=DEFAULT_TOKEN,
        telegram_api_base=tg.base_url,
        bot_mode=mode,
        public_url="https://parking.example" if mode == "polling" else f"http://127.0.0.1:{port}",
        http_host="127.0.0.1",
        http_port=port,
        database_url=f"sqlite+aiosqlite:///{db_path}",
        redis_url=redis_url,
        mqtt_url=mqtt[0] if mqtt else "",
        mqtt_topic_prefix=mqtt[1] if mqtt else "parking",
        ack_timeout_seconds=3,
        stripe_secret_key="sk_test_e2e",
        stripe_webhook_secret=STRIPE_SECRET,
        stripe_api_base=stripe.base_url,
        currency="EUR",
        timezone="Europe/Kyiv",
        geocoder_url=geocoder_url,
        sweep_interval_seconds=sweep_seconds,
        admin_ids=admin_ids,
    )


async def start_stack(
    tmp_path: Path,
    sqlite_template: Path,
    mode: str = "polling",
    *,
    human_pace: bool = False,
    geocoder_url: str = "",
    mqtt: tuple[str, str] | None = None,
    blocker_ids: tuple[str, ...] = (),
    redis_url: str = "",
    sweep_seconds: float = 15,
    extra: dict[str, object] | None = None,
    with_premise: bool = True,
    admin_ids: frozenset[int] = frozenset(),
) -> AsyncIterator[E2E]:
    """The service against the fakes, started as `python main.py run` starts it (scheduler
    included; the sweeps read the test's ManualClock, so moving it makes work due). Tests tap
    far faster than people, so the flood guard is widened unless `human_pace` asks for the
    production setting (on a frozen clock). `with_premise=False` starts from a database with
    no premise at all (premise_id 0), as a new operator's does."""
    db_path = tmp_path / "e2e.db"
    if not db_path.exists():
        shutil.copy(sqlite_template, db_path)
    clock = ManualClock(datetime.now(UTC))
    async with TelegramFake() as tg, StripeFake(webhook_secret=STRIPE_SECRET) as stripe:
        settings = settings_for(
            tg, stripe, db_path, mode, geocoder_url, mqtt, redis_url, sweep_seconds, admin_ids
        )
        if extra:  # more settings (the SMS channel's Twilio fake)
            settings = settings.model_copy(update=extra)
        # The production setting on a clock that stands still (what the flood test sees must not
        # depend on the machine's speed), or a guard wide enough for tests that tap fast.
        throttle = (
            ThrottleMiddleware(time_source=lambda: 0.0)
            if human_pace
            else ThrottleMiddleware(rate=50, burst=200)
        )
        app = App(settings, clock=clock, throttle=throttle)
        premise_id = await _central_garage(app, blocker_ids) if with_premise else 0
        await app.start()
        stripe.webhook_url = f"{app.web_url}/stripe/webhook"
        try:
            yield E2E(app, tg, stripe, clock, premise_id)
            assert tg.violations == [], tg.violations
        finally:
            await app.stop()


async def _central_garage(app: App, blocker_ids: tuple[str, ...]) -> int:
    """The premise most tests drive: two spots, the first ones with `blocker_ids`."""
    async with app.db.transaction() as s:
        premise = await make_premise(
            s,
            lat=LAT + 0.002,
            lon=LON,
            spots=2,
            price_per_hour=250,
            name="Central Garage",
            features=["covered", "cctv"],
            timezone="Europe/Kyiv",
        )
        premise_id = premise.id
        spots = list(await s.scalars(select(Spot.id).where(Spot.premise_id == premise_id).order_by(Spot.id)))
        s.add_all(
            Blocker(id=blocker_id, spot_id=spot_id)
            for blocker_id, spot_id in zip(blocker_ids, spots, strict=False)
        )
    return premise_id


@pytest.fixture
async def e2e(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[E2E]:
    async for stack in start_stack(tmp_path, sqlite_template):
        yield stack
