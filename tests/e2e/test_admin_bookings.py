"""The console's Bookings section through the running stack (Bot API emulator, Stripe fake): an
owner finds a card-paid booking by its number and refunds part of it; the refund reaches the
Stripe fake with an Idempotency-Key derived from the refund row, the driver is told and their
booking screen shows it; a second refund beyond what is left is refused; an attendant sees no
Refund button and a forged one is refused (and audited)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.models import AuditEntry, AuditOutcome, Refund, StaffRole, User
from core.services import booking
from tests.e2e.conftest import E2E, button, tap
from tests.waiting import eventually

OWNER, ATTENDANT, DRIVER = 5101, 5102, 5103


async def _card_booking(e2e: E2E) -> int:
    """The driver's booking tomorrow, 5.00 EUR paid on the Stripe page (the webhook confirms it)."""
    driver = e2e.tg.user(DRIVER, "Olena")
    await driver.send_command("/start")
    await driver.wait_for_message(lambda m: "What would you like to do?" in m.text)
    async with e2e.db.transaction() as s:
        user_id = await s.scalar(select(User.id).where(User.telegram_id == DRIVER))
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
    link = await e2e.app.payments.booking_checkout(held.id, user_id)
    await e2e.stripe.complete_checkout(link.session_id)
    await e2e.app.dispatcher.run()
    await driver.wait_for_message(lambda m: "booking confirmed" in m.text)
    return held.id


async def test_a_partial_card_refund_reaches_stripe_once_and_the_driver_sees_it(e2e: E2E) -> None:
    rid = await _card_booking(e2e)
    await e2e.app.services.admin.add_owner(OWNER)
    owner = e2e.tg.user(OWNER, "Iryna")
    await owner.send_command("/admin")
    console = await owner.wait_for_message(lambda m: "Operator console" in m.text)
    await tap(owner, console, "📋 Bookings", lambda m: "Type a booking number" in m.text)
    await owner.send_text(str(rid))
    card = await owner.wait_for_message(lambda m: f"Booking #{rid} ·" in m.text)
    assert "💶 5.00 EUR · paid 5.00 EUR · refunded 0.00 EUR" in card.text
    await tap(owner, card, "↩️ Refund", lambda m: "can be refunded" in m.text)
    await owner.send_text("2.50")
    reason = await owner.wait_for_message(lambda m: "Why?" in m.text)
    confirm = await tap(
        owner, reason, "🔌 The blocker did not work", lambda m: "Refund 2.50 EUR of" in m.text
    )
    done = await tap(owner, confirm, "✅ Confirm", lambda m: m.text.startswith("✅ Refunded 2.50 EUR"))
    assert "2.50 EUR on its way to the driver's card." in done.text
    assert "refunded 2.50 EUR" in done.text

    # Stripe got one refund of 2.50 against the booking's payment, with the row's key.
    async with e2e.db.read() as s:
        row = await s.scalar(select(Refund))
        assert row is not None
    refunds = list(e2e.stripe.refunds.values())
    assert [(r["amount"], r["status"]) for r in refunds] == [(250, "succeeded")]
    assert ("/v1/refunds", f"refund-row-{row.id}") in e2e.stripe.idempotency_keys
    assert row.stripe_refund_id == refunds[0]["id"]

    # A second refund beyond what is left is refused, and nothing reaches Stripe.
    await tap(owner, done, "↩️ Refund", lambda m: "up to 2.50 EUR" in m.text)
    await owner.send_text("3")
    refused = await owner.wait_for_message(lambda m: "Only 2.50 EUR is left to refund" in m.text)
    assert refused.text.endswith("Type the amount (like 2.50), or refund all of it.")  # asked again
    assert len(e2e.stripe.refunds) == 1

    # The driver is told, and their booking screen shows the refund.
    await e2e.app.dispatcher.run()
    driver = e2e.tg.user(DRIVER, "Olena")
    told = await driver.wait_for_message(lambda m: "is being refunded" in m.text)
    assert told.text == f"↩️ 2.50 EUR is being refunded for booking #{rid}: a refund from the car park."
    await driver.send_command("/bookings")
    listing = await driver.wait_for_message(lambda m: "Your bookings" in m.text and "✅" in str(m.buttons()))
    detail = await tap(driver, listing, "*Central Garage ✅", lambda m: f"Booking #{rid}" in m.text)
    assert "• card: 5.00 EUR — paid, 2.50 EUR refunded" in detail.text


async def test_an_attendant_cannot_refund_not_even_with_a_forged_button(e2e: E2E) -> None:
    rid = await _card_booking(e2e)
    await e2e.app.services.admin.add_owner(OWNER)
    services = e2e.app.services
    owner_id = (await services.users.telegram_caller(OWNER, name="Iryna", language="en")).user_id
    staff_id = (await services.users.telegram_caller(ATTENDANT, name="Taras", language="en")).user_id
    invite = await services.admin.invite(owner_id, e2e.premise_id, StaffRole.ATTENDANT)
    await services.admin.accept_invite(staff_id, invite.token)

    attendant = e2e.tg.user(ATTENDANT, "Taras")
    await attendant.send_command("/admin")
    console = await attendant.wait_for_message(lambda m: "Operator console" in m.text)
    await tap(attendant, console, "📋 Bookings", lambda m: "Type a booking number" in m.text)
    await attendant.send_text(str(rid))
    card = await attendant.wait_for_message(lambda m: f"Booking #{rid} ·" in m.text)
    assert [text for text, _ in card.buttons()] == ["📜 History", "➕ Extend for free", "🔀 Move", "⬅️ Back"]

    forged_data = button(card, "🔀 Move").replace(":move", ":refund")
    forged = await attendant.tap_raw(card.message_id, forged_data)
    await eventually(lambda: any(a.callback_id == forged for a in attendant.callback_answers), what="refusal")
    answer = next(a for a in attendant.callback_answers if a.callback_id == forged)
    assert (answer.text, answer.show_alert) == ("You do not have access to this.", True)
    assert e2e.stripe.refunds == {}
    async with e2e.db.read() as s:
        refused = list(await s.scalars(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.REFUSED)))
    assert [(e.action, e.actor_user_id, e.detail) for e in refused] == [
        ("reservation.refund", staff_id, "not_permitted")
    ]
