"""My bookings: tabs, cancelling, ending, paying a held booking, links and notification buttons.

The texts are written for the `clock` fixture's moment: Saturday 21 November 2026, 09:00 UTC,
which is 11:00 in Kyiv (the bot's time zone). What is asserted is what the driver sees: the
texts and button labels of the windows, the plain messages and the callback alerts.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.callbacks import BookingAction
from bot.context import Services
from core.clock import ManualClock
from core.models import (
    Premise,
    ReservationStatus,
)
from core.services import booking
from tests.bot.dialog_support import Driver
from tests.bot.screens import (
    MENU_EN,
    TG_ID,
    add_premise,
    add_user,
    balance_of,
    book_and_pay,
    fund,
    hold,
    status_of,
    tomorrow_at,
)


async def _three_bookings(services: Services, clock: ManualClock) -> tuple[int, int, int, int]:
    """A booking in progress, one for tomorrow (both paid) and a released hold; then the
    clock moves on half an hour. Returns the user's id and the three reservations' ids."""
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    now_id = await book_and_pay(services, user_id, premise_id, clock.now(), 120)
    upcoming_id = await book_and_pay(services, user_id, premise_id, tomorrow_at(clock, 10), 120)
    past_id = await hold(services, user_id, premise_id, clock.now() + timedelta(hours=3), 60)
    async with services.db.transaction() as s:
        await booking.cancel(s, past_id, user_id=user_id, now=clock.now(), reason="released")
    clock.advance(timedelta(minutes=30))
    return user_id, now_id, upcoming_id, past_id


async def test_bookings_open_on_the_one_in_progress_and_switch_tabs(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    _user, _now, _upcoming, _past = await _three_bookings(services, clock)
    await driver.send("/bookings")
    assert driver.text == "Your bookings"
    assert driver.layout == [
        ["Upcoming", "• Now", "Past", "Cancelled"],
        ["Sat 21 Nov 11:00 · Central Garage ✅"],
        ["🏠 Menu"],
    ]
    await driver.tap("Upcoming")
    assert driver.layout == [
        ["• Upcoming", "Now", "Past", "Cancelled"],
        ["Sun 22 Nov 10:00 · Central Garage ✅"],
        ["🏠 Menu"],
    ]
    # Past is what happened: a released hold for later today never did, so it is not there...
    await driver.tap("Past")
    assert driver.text == "Your bookings\n\nNothing here. Look at the other tabs."
    assert driver.layout == [["Upcoming", "Now", "• Past", "Cancelled"], ["📝 My reviews"], ["🏠 Menu"]]
    # ...but under Cancelled.
    await driver.tap("Cancelled")
    assert driver.layout == [
        ["Upcoming", "Now", "Past", "• Cancelled"],
        ["Sat 21 Nov 14:00 · Central Garage ✖️"],
        ["🏠 Menu"],
    ]


async def test_a_long_car_park_name_is_shortened_so_the_button_fits_a_phone(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage of the Golden Gate Quarter", north_m=222)
    await book_and_pay(services, user_id, premise_id, tomorrow_at(clock, 10), 60)
    await driver.send("/bookings")
    label = driver.layout[1][0]
    assert label == "Sun 22 Nov 10:00 · Central Garage of… ✅"
    assert len(label) <= 40


async def test_a_started_booking_shows_its_payment_and_cannot_be_cancelled(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    _user, now_id, _upcoming, _past = await _three_bookings(services, clock)
    await driver.send("/bookings")
    await driver.tap("Sat 21 Nov 11:00 · Central Garage ✅")
    assert driver.text == (
        f"<b>Booking #{now_id}</b> · ✅ confirmed\nCentral Garage, spot A1\n📍 1 Test Street\n"
        "🕒 Sat 21 Nov 11:00–13:00\n💶 5.00 EUR\n• wallet: 5.00 EUR — paid"
    )
    # Started: no cancel (DESIGN §5), the driver can end it instead.
    assert driver.layout == [
        ["🏁 End parking now", "➕ Extend"],
        ["📅 Add to calendar"],
        ["🧾 Receipt"],
        ["👥 Share with a guest"],
        ["🧭 Navigate"],
        ["⬅️ Back"],
    ]
    # "Extend" sends the reminder's choices, as of now, in a message of their own.
    await driver.tap("➕ Extend")
    assert driver.bot.texts()[-1] == (
        "⏰ Your parking at Central Garage, spot A1, ends at <b>13:00</b>.\n"
        "Need more time? Extend with one tap:"
    )
    await driver.tap("🧭 Navigate")
    assert [v.title for v in driver.bot.venues()] == ["Central Garage"]
    await driver.tap("⬅️ Back")
    assert driver.text == "Your bookings"


async def test_cancelling_an_upcoming_booking_refunds_the_wallet(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id, _now, upcoming_id, _past = await _three_bookings(services, clock)
    assert await balance_of(services, user_id) == 0
    await driver.send("/bookings")
    await driver.tap("Upcoming")
    await driver.tap("Sun 22 Nov 10:00 · Central Garage ✅")
    assert driver.text.endswith("🕒 Sun 22 Nov 10:00–12:00\n💶 5.00 EUR\n• wallet: 5.00 EUR — paid")
    assert driver.layout == [
        ["❌ Cancel booking"],
        ["📅 Add to calendar"],
        ["🧾 Receipt"],
        ["👥 Share with a guest"],
        ["🧭 Navigate"],
        ["⬅️ Back"],
    ]

    await driver.tap("❌ Cancel booking")
    assert driver.text == f"Cancel booking #{upcoming_id}? 5.00 EUR goes back to your wallet at once."
    assert driver.layout == [["Yes, cancel", "No, keep it"]]
    await driver.tap("No, keep it")
    assert driver.text.startswith(f"<b>Booking #{upcoming_id}</b> · ✅ confirmed")
    assert await status_of(services, upcoming_id) == ReservationStatus.CONFIRMED

    await driver.tap("❌ Cancel booking")
    await driver.tap("Yes, cancel")
    assert driver.bot.alerts() == [f"Booking #{upcoming_id} is cancelled. 5.00 EUR is back in your wallet."]
    assert driver.text == (
        f"<b>Booking #{upcoming_id}</b> · ✖️ cancelled\nCentral Garage, spot A1\n📍 1 Test Street\n"
        "🕒 Sun 22 Nov 10:00–12:00\n💶 5.00 EUR\n• wallet: 5.00 EUR — refunded"
    )
    assert driver.layout == [["🔁 Book again"], ["🧾 Receipt"], ["🧭 Navigate"], ["⬅️ Back"]]
    assert await status_of(services, upcoming_id) == ReservationStatus.CANCELLED
    assert await balance_of(services, user_id) == 500

    await driver.tap("⬅️ Back")  # to the tab it was opened from, empty now
    assert driver.text == "Your bookings\n\nNothing here. Look at the other tabs."
    assert driver.layout == [["• Upcoming", "Now", "Past", "Cancelled"], ["🏠 Menu"]]


async def test_cancelling_an_unpaid_hold_refunds_nothing(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await hold(services, user_id, premise_id, tomorrow_at(clock, 9), 60)
    await driver.send("/bookings")
    await driver.tap("Sun 22 Nov 09:00 · Central Garage ⏳")
    # No payment lines yet; until when it can be paid (Kyiv time: held at 11:00 for 10 min).
    assert driver.text == (
        f"<b>Booking #{reservation_id}</b> · ⏳ awaiting payment\nCentral Garage, spot A1\n"
        "📍 1 Test Street\n🕒 Sun 22 Nov 09:00–10:00\n💶 2.50 EUR\n"
        "⏳ Pay by 11:10 or the spot is released."
    )
    await driver.tap("❌ Cancel booking")
    assert driver.text == f"Cancel booking #{reservation_id}? Nothing was paid, so nothing is refunded."
    await driver.tap("Yes, cancel")
    assert driver.bot.alerts() == [
        f"Booking #{reservation_id} is cancelled. Nothing was paid, so nothing is refunded."
    ]


async def test_a_started_booking_is_ended_not_cancelled(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    """After the start there is no cancel (DESIGN §5): the confirmation's Cancel button says so
    and leads to the booking, whose screen offers "End parking now" with a confirmation."""
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, user_id, premise_id, clock.now(), 120)
    clock.advance(timedelta(minutes=10))
    async with services.db.transaction() as s:
        await booking.mark_arrived(s, reservation_id, user_id=user_id, now=clock.now())

    await driver.tap_outside_dialogs(BookingAction(action="cancel", reservation_id=reservation_id).pack())
    assert driver.bot.alerts() == ["The booking has already started, so it can no longer be cancelled."]
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · 🚗 parked")
    assert driver.layout == [
        ["🏁 End parking now", "➕ Extend"],
        ["📅 Add to calendar"],
        ["🧾 Receipt"],
        ["👥 Share with a guest"],
        ["🧭 Navigate"],
        ["⬅️ Back"],
    ]

    await driver.tap("🏁 End parking now")
    assert driver.text == (
        f"End booking #{reservation_id} now? The spot is released for others; the unused whole 15 "
        "minutes of the time left go back to your wallet."
    )
    assert driver.layout == [["Yes, end now", "No, keep parking"]]
    await driver.tap("No, keep parking")
    assert await status_of(services, reservation_id) == ReservationStatus.ACTIVE
    clock.advance(timedelta(minutes=15))  # 25 minutes parked: 30 charged, 90 of the 120 come back
    await driver.tap("🏁 End parking now")
    await driver.tap("Yes, end now")
    assert driver.bot.alerts()[-1] == (
        f"Booking #{reservation_id} has ended. 3.75 EUR for 90 unused min is back in your wallet."
    )
    assert await balance_of(services, user_id) == 375
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✔️ completed")
    assert driver.layout == [
        ["⭐ Rate this stay"],
        ["🔁 Book again"],
        ["🧾 Receipt"],
        ["🧭 Navigate"],
        ["⬅️ Back"],
    ]
    assert await status_of(services, reservation_id) == ReservationStatus.COMPLETED


async def test_a_cancel_confirmed_after_the_start_is_refused_clearly(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    """The cancel screen was open when the booking started and the driver parked: "Yes, cancel"
    says why not (never "something went wrong") and shows the booking with its end button."""
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, user_id, premise_id, clock.now() + timedelta(minutes=5), 60)
    await driver.send(f"/start booking_{reservation_id}")
    await driver.tap("❌ Cancel booking")
    assert driver.text.endswith("2.50 EUR goes back to your wallet at once.")
    clock.advance(timedelta(minutes=6))
    async with services.db.transaction() as s:
        await booking.mark_arrived(s, reservation_id, user_id=user_id, now=clock.now())
    await driver.tap("Yes, cancel")
    assert driver.bot.alerts() == ["The booking has already started, so it can no longer be cancelled."]
    assert driver.layout == [
        ["🏁 End parking now", "➕ Extend"],
        ["📅 Add to calendar"],
        ["🧾 Receipt"],
        ["👥 Share with a guest"],
        ["🧭 Navigate"],
        ["⬅️ Back"],
    ]
    assert await status_of(services, reservation_id) == ReservationStatus.ACTIVE
    assert await balance_of(services, user_id) == 0


def test_every_domain_refusal_has_its_own_words() -> None:
    from bot.dialogs.common import refusal_text
    from core import errors

    refusals: list[errors.DomainError] = [
        errors.NotFound("x"),
        errors.NotOwner("x"),
        errors.InvalidInterval("x"),
        errors.NoSpotFree("x"),
        errors.SpotTaken("x"),
        errors.PriceChanged(600, "EUR"),
        errors.WishOver("x"),
        errors.InvalidTransition(7, "active", "cancel"),
        errors.TooLateToCancel("x"),
        errors.NotStarted("x"),
        errors.InsufficientFunds(100, 250, "EUR"),
        errors.CurrencyMismatch("x"),
        errors.TooManyHolds("x"),
        errors.ClosedAtThatTime(1, "Mon-Sat 07:00-21:00"),
        errors.InvalidPhone("x"),
        errors.PhoneTaken("x"),
        errors.InvalidTopUp("x"),
        errors.PaymentUnavailable("x"),
        errors.InvalidRatePlan("x"),
        errors.RatePlanBadAmount("x"),
        errors.RatePlanCapTooLow("x"),
        errors.RatePlanBadPeriod("x"),
        errors.NotPermitted("x"),
        errors.InvalidInvite("expired"),
        errors.InvalidSpotLabels("x"),
        errors.TooManySpots("x"),
        errors.SpotLabelTaken(["A1", "A2"]),
        errors.InvalidClosing("x"),
        errors.NoSpotToMoveTo("x"),
        errors.InvalidBlockerId("x"),
        errors.BlockerBound("x"),
        errors.SpotHasBlocker("x"),
        errors.BlockersUnavailable("x"),
        errors.InvalidPremise("currency", "x"),
        errors.CannotReview("closed"),
        errors.InvalidRefund("x"),
        errors.RefundTooLarge(150, "EUR"),
        errors.InvalidReview("x"),
        errors.InvalidPlate("x"),
        errors.TooManyVehicles("x"),
        errors.InvalidOperatorField("vat_rate", "x"),
        errors.InvalidGuestPass("x"),
        errors.CannotShare("x"),
        errors.OfferLapsed("x"),
        errors.TooManyWishes("x"),
        errors.DomainError("x"),
    ]
    # Every subclass of DomainError in core.errors is in the list above.
    defined = {c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.DomainError)}
    assert defined <= {type(e) for e in refusals}
    for lang in ("en", "uk"):
        texts = [refusal_text(lang, e) for e in refusals]
        generic = ("Something went wrong", "Щось пішло не так")
        assert all(text and not text.startswith(generic) for text in texts)
    assert refusal_text("en", errors.InvalidTransition(7, "active", "cancel")) == (
        "Booking #7 is 🚗 parked now, so this is no longer possible."
    )
    # The limit comes from core.rules, not from the text.
    assert refusal_text("en", errors.TooManyHolds("x")) == (
        "You already have 3 unpaid bookings. Pay for one or release it in /bookings first."
    )


async def test_a_held_booking_is_paid_from_my_bookings(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await hold(services, user_id, premise_id, tomorrow_at(clock, 9), 60)
    await driver.send("/bookings")
    await driver.tap("Sun 22 Nov 09:00 · Central Garage ⏳")
    assert driver.layout == [["💳 Pay 2.50 EUR"], ["❌ Cancel booking"], ["🧭 Navigate"], ["⬅️ Back"]]
    await driver.tap("💳 Pay 2.50 EUR")
    assert driver.text.startswith("Spot <b>A1</b> at Central Garage is held for you.")
    assert driver.layout == [["👛 Wallet: 0.00 EUR, not enough"], ["✖️ Release the spot"]]
    await fund(services, user_id, 300)
    await driver.send("paid in")  # any message shows the screen again, with the balance
    assert driver.layout == [["👛 Wallet (3.00 EUR)"], ["✖️ Release the spot"]]
    await driver.tap("👛 Wallet (3.00 EUR)")
    assert driver.text.startswith(
        f"✅ Payment received for booking #{reservation_id}: Central Garage, spot <b>A1</b>"
    )
    assert await status_of(services, reservation_id) == ReservationStatus.CONFIRMED
    assert await balance_of(services, user_id) == 50


async def test_a_short_wallet_offers_a_top_up_on_the_payment_screen(
    services: Services, clock: ManualClock
) -> None:
    """With card payments on, a wallet short of the price gets "Top up" right there (not only a
    pop-up), for what is missing; back on the payment screen the wallet pays."""
    from dataclasses import replace

    from core.clock import SystemClock
    from core.usecases.payments import PaymentUseCases
    from demo.stripe import StripeFake
    from payments import StripeGateway

    async with StripeFake() as stripe:
        gateway = StripeGateway("sk_test_dialogs", api_base=stripe.base_url, max_network_retries=0)
        # Stripe refuses pages that expire in its past: the payments run on the real clock.
        payments = PaymentUseCases(services.db, gateway, SystemClock(), public_url="https://parking.example")
        try:
            with_cards = replace(services, payments=payments)
            driver = Driver(with_cards, TG_ID)
            user_id = await add_user(services)
            premise_id = await add_premise(services, "Central Garage", north_m=222)
            await hold(services, user_id, premise_id, tomorrow_at(clock, 9), 60)
            await fund(services, user_id, 100)
            await driver.send("/bookings")
            await driver.tap("Sun 22 Nov 09:00 · Central Garage ⏳")
            await driver.tap("💳 Pay 2.50 EUR")
            assert driver.layout == [
                ["👛 Wallet: 1.00 EUR, not enough"],
                ["➕ Top up 5.00 EUR"],  # 1.50 EUR is missing; top-ups start at 5.00 EUR
                ["🔗 Pay by card (secure Stripe page)"],
                ["✖️ Release the spot"],
            ]
            # The wallet's button points to the top-up right below, not away to /wallet.
            await driver.tap("👛 Wallet: 1.00 EUR, not enough")
            assert driver.bot.alerts() == [
                "Your wallet has 1.00 EUR; this booking costs 2.50 EUR. Tap ➕ Top up below, or pay by card."
            ]
            assert driver.layout[1] == ["➕ Top up 5.00 EUR"]
            await driver.tap("➕ Top up 5.00 EUR")
            assert len(driver.bot.alerts()) == 1  # none more
            assert driver.text == (
                "Top up 5.00 EUR: open the secure payment page, then come back here and pay from your wallet."
            )
            assert driver.layout == [["💳 Open the secure page"], ["⬅️ Back to payment"]]
            (session,) = [s for s in stripe.sessions.values() if s["mode"] == "payment"]
            assert session["amount_total"] == 500
            await stripe.complete_checkout(session["id"], send_webhook=False)
            await payments.verify_return(session["id"])  # what the webhook would do
            await driver.tap("⬅️ Back to payment")
            assert driver.layout[0] == ["👛 Wallet (6.00 EUR)"]
            await driver.tap("👛 Wallet (6.00 EUR)")
            assert driver.text.startswith("✅ Payment received for booking #")
        finally:
            await gateway.close()


async def test_no_bookings_yet(driver: Driver) -> None:
    await driver.send("/bookings")
    assert driver.text == "Your bookings\n\nYou have no bookings yet. Use /find to book a spot."
    assert driver.layout == [["• Upcoming", "Now", "Past", "Cancelled"], ["🏠 Menu"]]


async def test_bookings_come_five_to_a_page(driver: Driver, services: Services, clock: ManualClock) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222, spots=1)
    for day in range(1, 8):
        await book_and_pay(
            services, user_id, premise_id, tomorrow_at(clock, 10) + timedelta(days=day - 1), 60
        )
    await driver.send("/bookings")
    assert len(driver.layout) == 1 + 5 + 2
    assert driver.layout[1] == ["Sun 22 Nov 10:00 · Central Garage ✅"]
    assert driver.layout[-2] == ["More ▶️"]
    await driver.tap("More ▶️")
    assert driver.layout[1:] == [
        ["Fri 27 Nov 10:00 · Central Garage ✅"],
        ["Sat 28 Nov 10:00 · Central Garage ✅"],
        ["◀️"],
        ["🏠 Menu"],
    ]
    await driver.tap("◀️")
    assert driver.layout[1] == ["Sun 22 Nov 10:00 · Central Garage ✅"]


async def test_a_link_to_a_booking_opens_it(driver: Driver, services: Services, clock: ManualClock) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, user_id, premise_id, tomorrow_at(clock, 10), 60)
    for payload in (f"booking_{reservation_id}", f"paid_{reservation_id}"):
        await driver.send(f"/start {payload}")
        assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✅ confirmed\nCentral Garage")
        assert driver.layout == [
            ["❌ Cancel booking"],
            ["📅 Add to calendar"],
            ["🧾 Receipt"],
            ["👥 Share with a guest"],
            ["🧭 Navigate"],
            ["⬅️ Back"],
        ]
    await driver.tap("⬅️ Back")
    assert driver.layout == [
        ["• Upcoming", "Now", "Past", "Cancelled"],
        ["Sun 22 Nov 10:00 · Central Garage ✅"],
        ["🏠 Menu"],
    ]


async def test_notification_buttons_open_navigate_and_cancel(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, user_id, premise_id, tomorrow_at(clock, 10), 60)

    await driver.tap_outside_dialogs(BookingAction(action="open", reservation_id=reservation_id).pack())
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✅ confirmed")
    await driver.tap_outside_dialogs(BookingAction(action="navigate", reservation_id=reservation_id).pack())
    assert [(v.title, v.address) for v in driver.bot.venues()] == [("Central Garage", "1 Test Street")]
    await driver.tap_outside_dialogs(BookingAction(action="cancel", reservation_id=reservation_id).pack())
    assert driver.text == f"Cancel booking #{reservation_id}? 2.50 EUR goes back to your wallet at once."
    await driver.tap("Yes, cancel")
    assert driver.bot.alerts() == [
        f"Booking #{reservation_id} is cancelled. 2.50 EUR is back in your wallet."
    ]
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✖️ cancelled")
    assert await balance_of(services, user_id) == 250


async def test_a_notification_button_for_someone_elses_booking_is_refused(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    other = await add_user(services, telegram_id=2002)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, other, premise_id, tomorrow_at(clock, 10), 60)
    await driver.tap_outside_dialogs(BookingAction(action="cancel", reservation_id=reservation_id).pack())
    assert driver.bot.alerts() == ["There is no such booking among yours."]
    assert await status_of(services, reservation_id) == ReservationStatus.CONFIRMED


@pytest.mark.parametrize("opened_by", ["link", "notification"])
async def test_keeping_a_booking_opened_from_a_link_or_notification_shows_it_again(
    driver: Driver, services: Services, clock: ManualClock, opened_by: str
) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, user_id, premise_id, tomorrow_at(clock, 10), 60)
    if opened_by == "link":
        await driver.send(f"/start booking_{reservation_id}")
        await driver.tap("❌ Cancel booking")
    else:
        await driver.tap_outside_dialogs(BookingAction(action="cancel", reservation_id=reservation_id).pack())
    await driver.tap("No, keep it")
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✅ confirmed")


async def test_links_and_buttons_do_not_tell_someone_elses_booking_from_a_missing_one(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    other = await add_user(services, telegram_id=2002)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, other, premise_id, tomorrow_at(clock, 10), 60)
    missing = reservation_id + 1000
    for prefix in ("booking_", "paid_"):
        answers = []
        for target in (reservation_id, missing):
            await driver.send(f"/start {prefix}{target}")
            answers.append((driver.bot.texts()[-1], driver.layout))
        assert answers[0] == answers[1]
        assert answers[0] == ("There is no such booking among yours.", MENU_EN)
    for action in ("open", "cancel", "navigate"):
        for target in (reservation_id, missing):
            await driver.tap_outside_dialogs(BookingAction(action=action, reservation_id=target).pack())
    assert driver.bot.alerts() == ["There is no such booking among yours."] * 6
    assert await status_of(services, reservation_id) == ReservationStatus.CONFIRMED


async def test_a_cancelled_bookings_old_cancel_button_says_so_and_goes(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    _user, _now, upcoming_id, _past = await _three_bookings(services, clock)
    await driver.send("/bookings")
    await driver.tap("Upcoming")
    await driver.tap("Sun 22 Nov 10:00 · Central Garage ✅")
    await driver.tap("❌ Cancel booking")
    await driver.tap("Yes, cancel")
    # The confirmation message's "Cancel booking", tapped again later.
    await driver.tap_outside_dialogs(BookingAction(action="cancel", reservation_id=upcoming_id).pack())
    assert driver.bot.alerts()[-1] == f"Booking #{upcoming_id} is ✖️ cancelled: nothing left to do here."


@pytest.mark.parametrize(
    ("lang", "refunds", "confirm", "done"),
    [
        (
            "uk",
            True,
            "Завершити бронювання №{id} зараз? Місце звільниться для інших; кошти за невикористані "
            "повні 15 хвилин решти часу повернуться на ваш гаманець.",
            "Бронювання №{id} завершено. 3.75 EUR за 90 невикористаних хв повернуто на ваш гаманець.",
        ),
        (
            "en",
            False,
            "End booking #{id} now? The spot is released for others; this car park does not refund "
            "the time left.",
            "Booking #{id} has ended. This car park does not refund unused time.",
        ),
        (
            "uk",
            False,
            "Завершити бронювання №{id} зараз? Місце звільниться для інших; ця парковка не повертає "
            "кошти за решту часу.",
            "Бронювання №{id} завершено. Ця парковка не повертає кошти за невикористаний час.",
        ),
    ],
    ids=["uk", "en-refunds-off", "uk-refunds-off"],
)
async def test_end_now_says_truthfully_what_goes_back_before_and_after(
    driver: Driver, services: Services, clock: ManualClock, lang: str, refunds: bool, confirm: str, done: str
) -> None:
    """The confirmation says what the car park's setting will do with the time left, and the
    answer what went back: the same refund as a car that drives off, never less."""
    user_id = await add_user(services, language=lang)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    async with services.db.transaction() as s:
        await s.execute(update(Premise).where(Premise.id == premise_id).values(refund_unused=refunds))
    reservation_id = await book_and_pay(services, user_id, premise_id, clock.now(), 120)
    clock.advance(timedelta(minutes=25))
    await driver.tap_outside_dialogs(BookingAction(action="end", reservation_id=reservation_id).pack())
    assert driver.text == confirm.format(id=reservation_id)
    await driver.tap(driver.layout[0][0])
    assert driver.bot.alerts()[-1] == done.format(id=reservation_id)
    assert await status_of(services, reservation_id) == ReservationStatus.COMPLETED
    assert await balance_of(services, user_id) == (375 if refunds else 0)


async def test_end_now_in_the_last_quarter_hour_says_nothing_was_left_unused(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, user_id, premise_id, clock.now(), 60)
    clock.advance(timedelta(minutes=50))
    await driver.tap_outside_dialogs(BookingAction(action="end", reservation_id=reservation_id).pack())
    await driver.tap("Yes, end now")
    assert driver.bot.alerts()[-1] == (
        f"Booking #{reservation_id} has ended. No whole 15 minutes were left unused, so nothing is refunded."
    )
    assert await balance_of(services, user_id) == 0
