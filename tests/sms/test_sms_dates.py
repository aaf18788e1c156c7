"""A time in an SMS never reads as today's when it is not: a moment on another day than the car
park's today (Kyiv, by the stack's clock when the text is made) carries its date, word for word
through the running stack and the Twilio fake: a day's PARK quote, an EXT past midnight, the
reminder of a booking ending after midnight; today's times stay bare."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.models import Reservation
from core.notifications import NotificationKind
from core.services import outbox
from tests.sms.test_sms_replies import TZ, UK_PHONE, _paid_booking, _sms_user
from tests.sms.test_sms_stack import PHONE, Stack, _stack

KYIV = ZoneInfo(TZ)


@pytest.fixture
async def stack(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Stack]:
    async for s in _stack(tmp_path, sqlite_template):
        yield s


def at_kyiv(stack: Stack, hour: int, minute: int = 0) -> datetime:
    """Moves the stack's clock on to the next `hour:minute` in Kyiv (Central Garage's zone)."""
    clock = stack.e2e.clock
    local = clock.now().astimezone(KYIV)
    target = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    clock.set(target)
    return clock.now()


def dated(when: datetime) -> str:
    return when.astimezone(KYIV).strftime("%d.%m %H:%M")


def tomorrow(now: datetime) -> str:
    return (now.astimezone(KYIV) + timedelta(days=1)).strftime("%d.%m")


async def test_a_days_park_quote_names_tomorrow(stack: Stack) -> None:
    now = at_kyiv(stack, 21, 45)
    await _sms_user(stack, funds=10000)
    (quote,) = (await stack.twilio.text(PHONE, f"PARK {stack.code} 24H")).messages
    async with stack.e2e.db.read() as s:
        (r,) = (await s.scalars(select(Reservation))).all()
    assert dated(r.ends_at).startswith(tomorrow(now))
    assert quote == (
        f"Central Garage, spot A1 until {dated(r.ends_at)}: 60.00 EUR. "
        "Reply PAY within 10 min to pay with your wallet (100.00 EUR)."
    )


async def test_a_short_park_quote_today_shows_the_time_alone(stack: Stack) -> None:
    at_kyiv(stack, 12)
    await _sms_user(stack, funds=10000)
    (quote,) = (await stack.twilio.text(PHONE, f"PARK {stack.code} 2H")).messages
    assert quote.startswith("Central Garage, spot A1 until 14:00: 5.00 EUR.")


async def test_ext_past_midnight_names_the_day(stack: Stack) -> None:
    now = at_kyiv(stack, 22)
    day = tomorrow(now)
    # Paid from the wallet: the outbox's "now ends at" is the one text.
    user_id = await _sms_user(stack, funds=1000)
    r = await _paid_booking(stack, user_id, now, minutes=90)
    assert (await stack.twilio.text(PHONE, "EXT 60")).messages == []
    await stack.sms_out()
    assert await stack.twilio.wait_for(PHONE, "now ends at") == (
        f"Booking #{r.id} now ends at {day} 00:30. Paid 2.50 EUR."
    )
    # No wallet, no card: the reply is the payment link, its time dated too (in Ukrainian).
    uk_id = await _sms_user(stack, UK_PHONE, "uk")
    ruk = await _paid_booking(stack, uk_id, now, minutes=90)
    (reply,) = (await stack.twilio.text(UK_PHONE, "EXT 60")).messages
    assert ruk.spot_id != r.spot_id
    assert reply.startswith(f"Продовження до {day} 00:30: 2.50 EUR. Оплата: https://"), reply


async def test_a_reminder_of_a_booking_ending_after_midnight_names_the_day(stack: Stack) -> None:
    now = at_kyiv(stack, 23)
    day = tomorrow(now)
    user_id = await _sms_user(stack)
    r = await _paid_booking(stack, user_id, now, minutes=90)
    payloads = [
        {  # as core/services/reminders.py queues it
            "reservation_id": r.id,
            "ends_at": r.ends_at.isoformat(),
            "options": [{"minutes": 30, "price": 125}, {"minutes": 60, "price": 250}],
            "currency": "EUR",
            "next_starts_at": None,
        },
        {
            "reservation_id": r.id,
            "ends_at": r.ends_at.isoformat(),
            "options": [],
            "currency": "EUR",
            "next_starts_at": (r.ends_at + timedelta(minutes=15)).isoformat(),
        },
    ]
    expected = [
        f"Central Garage, spot A1: ends at {day} 00:30. Reply EXT 30 (1.25 EUR), EXT 60 (2.50 EUR)",
        f"Central Garage, spot A1: ends at {day} 00:30. The spot is booked next at {day} 00:45: "
        f"please leave by {day} 00:30.",
    ]
    await stack.sms_out()  # the booking's confirmation: a range ending tomorrow dates its end
    assert await stack.twilio.wait_for(PHONE, "Booked #") == (
        f"Booked #{r.id}: Central Garage, spot A1, 23:00-{day} 00:30, paid 3.75 EUR. "
        "At the spot reply LOWER. EXT 30 extends, LEAVE ends, STATUS shows it."
    )
    for p, text in zip(payloads, expected, strict=True):  # one at a time, each sent before the next is queued
        async with stack.e2e.db.transaction() as s:
            await outbox.notify(s, user_id, NotificationKind.BOOKING_REMINDER, p, now=now)
        await stack.sms_out()
        assert await stack.twilio.wait_for(PHONE, text) == text
