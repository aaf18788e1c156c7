"""The booking screens around payment, through the running service: one confirmation per
payment, an expired hold's screen, paying a held booking later from /bookings."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from demo.botapi import BotMessage, FakeUser
from jobs import sweeps
from tests.e2e.conftest import E2E, tap
from tests.e2e.test_edges import _hold_via_bot
from tests.waiting import eventually

CONFIRMATION = "Payment received, booking confirmed"


def confirmations(user: FakeUser) -> list[BotMessage]:
    return [m for m in user.messages if CONFIRMATION in m.text or "Booking confirmed" in m.text]


async def test_a_wallet_payment_gets_one_confirmation_with_the_booking_buttons(e2e: E2E) -> None:
    user, hold = await _hold_via_bot(e2e, 3001)
    await e2e.fund(3001, 1000)
    await user.send_text("ok")  # the screen again, with the balance
    hold = await user.wait_for_message(lambda m: "👛 Wallet (10.00 EUR)" in str(m.buttons()))
    paid = await tap(user, hold, "👛 Wallet", lambda m: "Payment received for booking" in m.text)
    assert paid.message_id == hold.message_id and [t for t, _ in paid.buttons()] == ["🏠 Menu"]
    await e2e.app.dispatcher.run()
    confirmed = await user.wait_for_message(lambda m: CONFIRMATION in m.text)
    # A "Now" booking has started by then: ended, not cancelled, as on its screen.
    assert [t for t, _ in confirmed.buttons()] == ["🧭 Navigate", "🏁 End parking now"]
    await e2e.app.dispatcher.run()  # nothing left to send
    assert len(confirmations(user)) == 1


async def test_a_checkout_paid_while_the_screen_is_open_gets_one_confirmation(e2e: E2E) -> None:
    user, hold = await _hold_via_bot(e2e, 3002)
    link_screen = await tap(user, hold, "🔗 Pay by card", lambda m: "secure payment page" in m.text)
    # What is being paid for stays on the screen above the link.
    assert link_screen.text.startswith("Spot A1 at Central Garage is held for you.\n")
    assert "5.00 EUR" in link_screen.text and "Pay within" in link_screen.text
    assert link_screen.text.endswith(
        "Open the secure payment page. I will confirm here as soon as the payment arrives."
    )
    url = next(data for text, data in link_screen.buttons() if text.startswith("💳 Pay 5.00 EUR") and data)
    check = next(data for text, data in link_screen.buttons() if text == "🔄 I have paid" and data)
    await e2e.stripe.complete_checkout(url.rsplit("/", 1)[-1])  # Stripe calls our webhook
    assert e2e.stripe.webhook_responses[-1][1] == 200
    paid = await user.wait_for_message(lambda m: "Payment received for booking" in m.text)
    assert paid.message_id == link_screen.message_id  # the open screen itself changed
    await e2e.app.dispatcher.run()
    await user.wait_for_message(lambda m: CONFIRMATION in m.text)
    # "I have paid", tapped before the screen changed: the same screen, no second confirmation.
    await user.tap_raw(link_screen.message_id, check)
    for _ in range(100):
        if not user.unanswered_callbacks():
            break
        await asyncio.sleep(0.03)
    assert user.unanswered_callbacks() == []
    await e2e.app.dispatcher.run()
    assert len(confirmations(user)) == 1
    screen = next(m for m in user.messages if m.message_id == link_screen.message_id)
    assert screen.text.startswith("✅ Payment received for booking #")


async def test_an_expired_hold_edits_its_payment_screen_and_offers_to_book_again(e2e: E2E) -> None:
    user, hold = await _hold_via_bot(e2e, 3003)
    e2e.clock.advance(timedelta(minutes=e2e.app.settings.hold_minutes + 1))
    assert await sweeps.expire_holds(e2e.db, e2e.clock, e2e.app.payments) == 1
    await e2e.app.dispatcher.run()
    expired = await user.wait_for_message(lambda m: "ran out" in m.text)
    assert expired.message_id == hold.message_id  # the payment screen itself, not a new message
    assert expired.text == (
        "⌛ The hold on spot A1 at Central Garage ran out and the spot was released. You can book again."
    )
    assert [t for t, _ in expired.buttons()] == ["🔁 Book again", "🏠 Menu"]
    assert not [m for m in user.messages if "was released because the payment" in m.text]
    again = await tap(user, expired, "🔁 Book again", lambda m: "How long will you park?" in m.text)
    await tap(user, again, "2 h", lambda m: "Central Garage" in m.text and "5.00 EUR" in m.text)


async def test_an_expired_hold_away_from_its_screen_is_told_in_a_message(e2e: E2E) -> None:
    user, _hold = await _hold_via_bot(e2e, 3004)
    await user.send_command("/wallet")
    await user.wait_for_message(lambda m: "Balance:" in m.text)
    e2e.clock.advance(timedelta(minutes=e2e.app.settings.hold_minutes + 1))
    await sweeps.expire_holds(e2e.db, e2e.clock, e2e.app.payments)
    await e2e.app.dispatcher.run()
    told = await user.wait_for_message(lambda m: "was released because the payment" in m.text)
    assert "at Central Garage" in told.text
    await tap(user, told, "🔁 Book again", lambda m: "How long will you park?" in m.text)


async def test_a_held_booking_is_paid_later_from_my_bookings(e2e: E2E) -> None:
    user, _hold = await _hold_via_bot(e2e, 3005)
    await user.send_command("/bookings")
    listing = await user.wait_for_message(lambda m: "Your bookings" in m.text)
    # ⏳: awaiting payment
    detail = await tap(user, listing, "*Central Garage ⏳", lambda m: "Booking #" in m.text)
    pay = await tap(user, detail, "💳 Pay 5.00 EUR", lambda m: "is held for you" in m.text)
    labels = [t for t, _ in pay.buttons()]
    assert labels == [
        "👛 Wallet: 0.00 EUR, not enough",
        "➕ Top up 5.00 EUR",
        "🔗 Pay by card (secure Stripe page)",
        "✖️ Release the spot",
    ]
    topup = await tap(user, pay, "➕ Top up", lambda m: "Top up 5.00 EUR" in m.text)
    url = next(data for text, data in topup.buttons() if text.startswith("💳") and data)
    await e2e.stripe.complete_checkout(url.rsplit("/", 1)[-1])
    back = await tap(user, topup, "⬅️ Back to payment", lambda m: "👛 Wallet (5.00 EUR)" in str(m.buttons()))
    await tap(user, back, "👛 Wallet (5.00 EUR)", lambda m: "Payment received for booking" in m.text)
    await e2e.app.dispatcher.run()
    await user.wait_for_message(lambda m: CONFIRMATION in m.text)
    assert len(confirmations(user)) == 1


async def test_an_amount_out_of_range_is_one_answer_the_prompt_with_the_limits(e2e: E2E) -> None:
    user = e2e.tg.user(3007, "Oksana")
    await user.send_command("/wallet")
    wallet = await user.wait_for_message(lambda m: "Balance:" in m.text)
    ask = await tap(user, wallet, "➕ Other amount", lambda m: "How much do you want to add?" in m.text)
    sends = sum(name == "sendMessage" for name, _ in e2e.tg.calls)
    await user.send_text("1000")
    again = await user.wait_for_message(lambda m: m.message_id != ask.message_id and "Please type" in m.text)
    assert again.text.startswith("Please type an amount from 5.00 EUR to 500.00 EUR.\n\nHow much do you")
    # One new message; the prompt it replaces is gone, so the chat shows the prompt once.
    assert sum(name == "sendMessage" for name, _ in e2e.tg.calls) == sends + 1
    await eventually(
        lambda: sum("How much do you want to add?" in m.text for m in user.messages) == 1,
        what="one prompt in the chat",
    )
    await user.send_text("15")
    await user.wait_for_message(lambda m: m.text.startswith("Top up 15.00 EUR"))


async def test_a_card_booking_cancelled_shows_its_refund_on_the_way(e2e: E2E) -> None:
    from sqlalchemy import select

    from core.models import Payment, User
    from core.services import booking

    user = e2e.tg.user(3006, "Card")
    await user.send_command("/start")
    await user.wait_for_message(lambda m: "What would you like to do?" in m.text)
    async with e2e.db.transaction() as s:
        user_id = await s.scalar(select(User.id).where(User.telegram_id == 3006))
        assert user_id is not None
        held = await booking.hold(
            s,
            user_id=user_id,
            premise_id=e2e.premise_id,
            starts_at=e2e.clock.now() + timedelta(days=1),
            minutes=120,
            now=e2e.clock.now(),
            hold_minutes=10,
        )
    assert e2e.app.payments is not None
    await e2e.app.payments.booking_checkout(held.id, user_id)  # a payment page opened and left unused
    link = await e2e.app.payments.booking_checkout(held.id, user_id)
    await e2e.stripe.complete_checkout(link.session_id)
    await e2e.app.dispatcher.run()
    await user.wait_for_message(lambda m: CONFIRMATION in m.text)
    await user.send_command("/bookings")
    listing = await user.wait_for_message(lambda m: "Your bookings" in m.text and "✅" in str(m.buttons()))
    detail = await tap(user, listing, "*Central Garage ✅", lambda m: "Booking #" in m.text)
    question = await tap(user, detail, "❌ Cancel booking", lambda m: m.text.startswith("Cancel booking #"))
    await tap(user, question, "Yes, cancel", lambda m: "✖️ cancelled" in m.text)
    screen = next(m for m in reversed(user.messages) if "✖️ cancelled" in m.text)
    # The money is on its way back to the card (or back already); no "pending" payment.
    assert (
        "• card: 5.00 EUR — refund on its way to your card (5–10 days)" in screen.text
        or "• card: 5.00 EUR — refunded" in screen.text
    ), screen.text
    assert "pending" not in screen.text
    async with e2e.db.read() as s:
        rows = list(await s.scalars(select(Payment.id).where(Payment.reservation_id == held.id)))
    assert len(rows) >= 2, rows  # the unused page's payment is still recorded, just not shown
