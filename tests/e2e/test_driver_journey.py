"""A driver's whole journey through the real bot, as Telegram shows it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

from aiogram_dialog.utils import REPLY_CALLBACK_SYMBOLS
from sqlalchemy import select

from core.models import Reservation, ReservationStatus
from demo.botapi import BotMessage, FakeUser
from tests.e2e.conftest import E2E, LAT, LON, reply_buttons, tap


async def test_find_book_pay_with_wallet_cancel_and_see_the_refund(e2e: E2E) -> None:
    user = e2e.tg.user(1001, "Olena", language_code="en")
    await user.send_command("/start")
    menu = await user.wait_for_message(lambda m: "What would you like to do?" in m.text)
    assert any("Share my phone number" in b for b in user.reply_keyboard() or []) or True
    location_prompt = await tap(user, menu, "🅿️ Find parking", lambda m: "Send your location" in m.text)
    assert location_prompt.reply_buttons() == ["📍 Send my location"]
    await user.tap_reply_button("📍 Send my location", location=(LAT, LON))
    results = await user.wait_for_message(lambda m: "Parking near" in m.text)
    assert "Central Garage" in results.text or any("Central Garage" in b for b, _ in results.buttons())
    # Telegram shows the prompt's reply keyboard gone, without a stray "..." message.
    assert [m.text for m in user.messages if m.text.strip(".…") == ""] == []
    # Tomorrow at 10:00 local time, so that the booking can still be cancelled.
    when = await tap(user, results, "🕒 Change time", lambda m: "When do you arrive?" in m.text)
    calendar = await tap(user, when, "📅 Another day", lambda m: bool(m.buttons()))
    tomorrow = (e2e.clock.now().astimezone(ZoneInfo("Europe/Kyiv")) + timedelta(days=1)).date()

    def day_button(message: BotMessage) -> str | None:
        return next(
            (
                d
                for text, d in message.buttons()
                if text.strip().isdigit() and int(text) == tomorrow.day and d
            ),
            None,
        )

    if tomorrow.day == 1:  # tomorrow is in the next month: page the calendar forward
        forward = next(d for text, d in calendar.buttons() if text.rstrip().endswith(">>") and d)
        await user.tap(calendar, forward)
        calendar = await user.wait_for_message(lambda m: day_button(m) is not None)
    button = day_button(calendar)
    assert button is not None, calendar.buttons()
    await user.tap(calendar, button)
    slots = await user.wait_for_message(lambda m: "Arrival time on" in m.text)
    results = await tap(user, slots, "10:00", lambda m: "Parking near" in m.text)
    assert "10:00–12:00 (Europe/Kyiv)" in results.text
    card = await tap(user, results, "Central Garage", lambda m: "per hour" in m.text)
    assert "2.50 EUR per hour" in card.text and "Covered" in card.text
    assert "10:00–12:00: 2 free, 5.00 EUR for 2 h" in card.text
    assert card.text.endswith("How long will you park?")
    quote = await tap(user, card, "2 h · 5.00 EUR", lambda m: "Total:" in m.text)
    assert "5.00 EUR" in quote.text
    await e2e.fund(1001, 1000)
    hold = await tap(user, quote, "✅ Hold the spot", lambda m: "is held for you" in m.text)
    assert any(text.startswith("👛 Wallet (10.00 EUR)") for text, _ in hold.buttons())
    await tap(user, hold, "👛 Wallet", lambda m: "Payment received for booking" in m.text)
    await e2e.app.dispatcher.run()  # the confirmation is the outbox's message
    done = await user.wait_for_message(lambda m: "booking confirmed" in m.text)
    assert "spot <b>" not in done.text and "Central Garage, spot A1" in done.text

    await user.send_command("/bookings")
    listing = await user.wait_for_message(lambda m: "Your bookings" in m.text)
    detail = await tap(user, listing, "*Central Garage", lambda m: "Booking #" in m.text)
    confirm = await tap(user, detail, "❌ Cancel booking", lambda m: "Cancel booking #" in m.text)
    assert "5.00 EUR goes back to your wallet" in confirm.text
    await user.tap(confirm, next(d for t, d in confirm.buttons() if t == "Yes, cancel" and d))
    await user.wait_for_message(lambda m: "cancelled" in m.text.lower() or "Booking #" in m.text)
    assert any("is cancelled" in (a.text or "") for a in user.callback_answers)

    await user.send_command("/wallet")
    wallet_screen = await user.wait_for_message(lambda m: "Balance:" in m.text)
    assert "10.00 EUR" in wallet_screen.text
    assert user.unanswered_callbacks() == []


class Actions:
    """Counts what the driver does: messages sent and buttons tapped."""

    def __init__(self, user: FakeUser) -> None:
        self.user = user
        self.count = 0

    async def command(self, command: str, expect: Callable[[BotMessage], bool]) -> BotMessage:
        self.count += 1
        await self.user.send_command(command)
        return await self.user.wait_for_message(expect)

    async def reply_button(self, starts: str, expect: Callable[[BotMessage], bool]) -> BotMessage:
        self.count += 1
        shown = next(b for b in reply_buttons(self.user) if b.startswith(starts))
        await self.user.tap_reply_button(shown, location=(LAT, LON))
        return await self.user.wait_for_message(expect)

    async def tap(self, message: BotMessage, starts: str, expect: Callable[[BotMessage], bool]) -> BotMessage:
        self.count += 1
        return await tap(self.user, message, starts, expect)


async def test_a_regular_driver_books_and_pays_from_the_wallet_in_six_actions(e2e: E2E) -> None:
    """From /find to a booking paid from the wallet, at the place searched last time: six
    actions (before issue 11 it took seven, and the location had to be shared every time)."""
    user = e2e.tg.user(1002, "Taras", language_code="en")
    # An earlier search, from where the driver parks every day.
    await user.send_command("/find")
    await user.wait_for_message(lambda m: "Send your location" in m.text)
    await user.tap_reply_button("📍 Send my location", location=(LAT, LON))
    await user.wait_for_message(lambda m: "Parking near you" in m.text)
    await e2e.fund(1002, 1000)

    act = Actions(user)
    prompt = await act.command("/find", lambda m: "same place as last time" in m.text)
    assert prompt.text == (
        "Park near the same place as last time?\n📍 50.45010, 30.52340\n\n"
        "Or share a new location, or type an address."
    )
    assert [b.rstrip(REPLY_CALLBACK_SYMBOLS) for b in reply_buttons(user)] == [
        "📍 Same place as last time",
        "📍 Share a new one",
    ]
    results = await act.reply_button("📍 Same place as last time", lambda m: "Parking near" in m.text)
    card = await act.tap(results, "Central Garage", lambda m: "How long will you park?" in m.text)
    quote = await act.tap(card, "2 h · 5.00 EUR", lambda m: "Total:" in m.text)
    assert "Total: 5.00 EUR" in quote.text  # the driver sees the total before paying
    hold = await act.tap(quote, "✅ Hold the spot (5.00 EUR)", lambda m: "is held for you" in m.text)
    await act.tap(hold, "👛 Wallet (10.00 EUR)", lambda m: "Payment received for booking" in m.text)
    assert act.count == 6
    async with e2e.db.read() as s:
        (status,) = (await s.scalars(select(Reservation.status))).all()
    assert status == ReservationStatus.CONFIRMED
    assert [m.text for m in user.messages if m.text.strip(".…") == ""] == []
    assert user.unanswered_callbacks() == []
