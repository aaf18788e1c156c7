"""Every tap is answered exactly once: Telegram refuses a second answerCallbackQuery ("query is
too old"), and aiogram-dialog answers the taps on its windows itself."""

from __future__ import annotations

from demo.botapi import BotMessage
from tests.e2e.conftest import E2E, LAT, LON, tap


async def test_each_tap_of_a_booking_and_the_wallet_is_answered_once(e2e: E2E) -> None:
    user = e2e.tg.user(4001, "Iryna")
    await user.send_command("/start")
    menu = await user.wait_for_message(lambda m: "What would you like to do?" in m.text)
    await e2e.fund(4001, 1000)
    taps: dict[str, str] = {}  # callback query id -> the button tapped

    async def step(message: BotMessage, starts: str, expect: str) -> BotMessage:
        shown = await tap(user, message, starts, lambda m: expect in m.text)
        taps[user.callback_ids[-1]] = starts
        return shown

    await step(menu, "🅿️ Find parking", "Send your location")
    await user.tap_reply_button("📍 Send my location", location=(LAT, LON))
    results = await user.wait_for_message(lambda m: "Parking near" in m.text)
    card = await step(results, "Central Garage", "per hour")
    quote = await step(card, "2 h", "Total:")
    hold = await step(quote, "✅ Hold the spot", "is held for you")
    released = await step(hold, "✖️ Release the spot", "What would you like to do?")
    # The place searched a moment ago is offered; a new location is shared instead.
    await step(released, "🅿️ Find parking", "same place as last time")
    await user.tap_reply_button("📍 Share a new one", location=(LAT, LON))
    results = await user.wait_for_message(lambda m: "Parking near" in m.text)
    card = await step(results, "Central Garage", "per hour")
    quote = await step(card, "1 h", "Total:")
    hold = await step(quote, "✅ Hold the spot", "is held for you")
    await step(hold, "👛 Wallet", "Payment received")

    await user.send_command("/bookings")
    listing = await user.wait_for_message(lambda m: "Your bookings" in m.text)
    await step(listing, "*Central Garage", "Booking #")
    await user.send_command("/wallet")
    wallet = await user.wait_for_message(lambda m: "Balance:" in m.text)
    await step(wallet, "*History", "Wallet history")
    # Updates of one chat are handled one after another: once /help is answered, every tap
    # before it has been handled to the end, late answers included.
    await user.send_command("/help")
    await user.wait_for_message(lambda m: "/bookings" in m.text)
    calls = user.answer_calls()
    assert {taps[c]: n for c, n in calls.items() if n != 1} == {}
    assert len(calls) == len(taps) == 12  # the card offers the durations: no "Book here" tap
    assert not [e for e in e2e.tg.errors if e[0] == "answerCallbackQuery"]
