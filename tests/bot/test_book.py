"""Booking: durations, the quote, the hold, paying from the wallet, releasing, opening hours.

The texts are written for the `clock` fixture's moment: Saturday 21 November 2026, 09:00 UTC,
which is 11:00 in Kyiv (the bot's time zone). What is asserted is what the driver sees: the
texts and button labels of the windows, the plain messages and the callback alerts.
"""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import select

from bot.callbacks import BookingAction
from bot.context import Services
from bot.notifications import TelegramSender
from core.clock import ManualClock
from core.models import (
    Channel,
    Premise,
    Reservation,
    ReservationStatus,
)
from core.services import payments as pay_rules
from jobs.dispatcher import DispatchLimits, OutboxDispatcher
from tests.bot.dialog_support import Driver
from tests.bot.screens import (
    HERE,
    KYIV,
    MENU_EN,
    TG_ID,
    UNKNOWN_EN,
    add_premise,
    add_user,
    balance_of,
    book_and_pay,
    fund,
    hold,
    status_of,
    tap_day,
    tomorrow_at,
    user_id_of,
)

FAST = DispatchLimits(messages_per_second=2000, per_chat_interval=0.0)


async def _delivered(services: Services, driver: Driver) -> list[SendMessage]:
    """Sends what the outbox holds through the Telegram channel (rendered at the clock's time,
    as the running service does) into `driver`'s chat; the messages that chat received."""
    sender = TelegramSender(driver.bot, services.db, clock=services.clock)
    await OutboxDispatcher(services.db, {Channel.TELEGRAM: sender}, services.clock, FAST).run()
    return [
        m for m in driver.bot.calls if isinstance(m, SendMessage) and int(m.chat_id) == driver.telegram_id
    ]


def _buttons(message: SendMessage) -> list[list[tuple[str, str]]]:
    """A message's buttons, row by row: (label, callback data)."""
    markup = message.reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    return [[(b.text, b.callback_data or "") for b in row] for row in markup.inline_keyboard]


async def _durations_of(driver: Driver, name: str) -> None:
    """The car park's card, where the durations are offered with their totals."""
    await driver.send(HERE)
    await driver.tap(driver.label_starting(name))


async def test_duration_presets_and_their_quote(driver: Driver, services: Services) -> None:
    await add_premise(services, "Central Garage", north_m=222, price=250)
    await _durations_of(driver, "Central Garage")
    assert driver.text.endswith("How long will you park?")
    assert driver.layout[:4] == [
        ["1 h · 2.50 EUR", "2 h · 5.00 EUR"],
        ["3 h · 7.50 EUR", "4 h · 10.00 EUR"],
        ["8 h · 20.00 EUR"],
        ["Other…"],
    ]

    await driver.tap("2 h · 5.00 EUR")
    assert driver.text == (
        "<b>Central Garage</b>\n📍 1 Test Street\n🕒 Sat 21 Nov 11:00–13:00\n⏱ 2 h\n\n"
        "Total: <b>5.00 EUR</b> (2.50 EUR/h)\n2 free"
    )
    assert driver.layout == [
        ["✅ Hold the spot (5.00 EUR)"],
        ["🚗 Add a number plate (optional)"],
        ["⬅️ Back"],
    ]
    # Back from the quote leads to the card, where another duration is one tap away.
    await driver.tap("⬅️ Back")
    assert driver.text.startswith(
        "<b>Central Garage</b> · 🔢 Code 1042\n📍 1 Test Street · 222 m\n💶 2.50 EUR per hour"
    )
    await driver.tap("8 h · 20.00 EUR")
    assert "⏱ 8 h" in driver.text and "Total: <b>20.00 EUR</b>" in driver.text


async def test_custom_duration_hold_and_pay_from_the_wallet(driver: Driver, services: Services) -> None:
    await add_premise(services, "Budget Garage", north_m=300, price=199)
    await _durations_of(driver, "Budget Garage")
    await driver.tap("Other…")
    assert driver.text == (
        "Type the duration in hours and minutes, e.g. 1:30 or 2 (from 0:30 to 24:00, in 15-minute steps)."
    )
    assert driver.layout == [["⬅️ Back"]]
    await driver.tap("⬅️ Back")  # back to the card
    assert driver.text.startswith("<b>Budget Garage</b>")
    await driver.tap("Other…")

    mark = driver.mark()
    await driver.send("7 min")
    # One message: the same screen, moved below the driver's text, the hint on top.
    assert driver.answers_since(mark) == ["window: delete_and_send"]
    assert driver.text == (
        "That does not look like a duration from 0:30 to 24:00 in 15-minute steps. Try e.g. 1:45.\n\n"
        "Type the duration in hours and minutes, e.g. 1:30 or 2 (from 0:30 to 24:00, in 15-minute steps)."
    )
    assert driver.layout == [["⬅️ Back"]]  # still asking
    mark = driver.mark()
    await driver.send("1:20")  # not a 15-minute step
    assert driver.answers_since(mark) == ["window: delete_and_send"]
    assert driver.text.startswith("That does not look like a duration")

    await driver.send("1:30")
    # ceil(1.99 EUR × 90 / 60) = ceil(298.5 cents) = 2.99 EUR
    assert driver.text == (
        "<b>Budget Garage</b>\n📍 1 Test Street\n🕒 Sat 21 Nov 11:00–12:30\n⏱ 1 h 30 min\n\n"
        "Total: <b>2.99 EUR</b> (1.99 EUR/h)\n2 free"
    )
    assert driver.layout == [
        ["✅ Hold the spot (2.99 EUR)"],
        ["🚗 Add a number plate (optional)"],
        ["⬅️ Back"],
    ]

    user_id = await user_id_of(services)
    await fund(services, user_id, 100)
    await driver.tap("✅ Hold the spot (2.99 EUR)")
    assert driver.text == (
        "Spot <b>A1</b> at Budget Garage is held for you.\n🕒 Sat 21 Nov 11:00–12:30\n💶 <b>2.99 EUR</b>\n\n"
        "⏳ Pay within 10 min (until 11:10) or the spot is released."
    )
    # Without Stripe there is neither a saved card nor a payment page to offer.
    assert driver.layout == [["👛 Wallet: 1.00 EUR, not enough"], ["✖️ Release the spot"]]
    async with services.db.read() as s:
        (reservation,) = (await s.scalars(select(Reservation))).all()
    assert reservation.status == ReservationStatus.PENDING_PAYMENT and reservation.price == 299

    await driver.tap("👛 Wallet: 1.00 EUR, not enough")
    answer = driver.bot.callback_answers()[-1]
    assert answer.show_alert is True
    assert answer.text == (
        "Your wallet has 1.00 EUR; this booking costs 2.99 EUR. Card payments are not available here, "
        "so please ask the operator to top up your wallet."
    )
    assert await status_of(services, reservation.id) == ReservationStatus.PENDING_PAYMENT

    # Money arrives meanwhile; any message shows the screen again, now with the balance.
    await fund(services, user_id, 900)
    await driver.send("ok")
    assert driver.text.startswith(UNKNOWN_EN + "\n\n")
    assert driver.layout == [["👛 Wallet (10.00 EUR)"], ["✖️ Release the spot"]]

    await driver.tap("👛 Wallet (10.00 EUR)")
    # The confirmation itself is the outbox's message (one per booking, however it was paid).
    # What was paid for stays on the screen.
    assert driver.text == (
        f"✅ Payment received for booking #{reservation.id}: Budget Garage, spot <b>A1</b>, "
        "Sat 21 Nov 11:00–12:30, 2.99 EUR.\n"
        "The confirmation, with directions and what to do on arrival, comes in a separate message."
    )
    assert driver.layout == [["🏠 Menu"]]
    assert await status_of(services, reservation.id) == ReservationStatus.CONFIRMED
    assert await balance_of(services, user_id) == 701

    await driver.tap("🏠 Menu")
    assert driver.layout == MENU_EN
    await driver.send("/wallet")
    assert driver.text == "👛 <b>Wallet</b>\nBalance: <b>7.01 EUR</b>"


async def test_releasing_the_hold(driver: Driver, services: Services) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await _durations_of(driver, "Central Garage")
    await driver.tap("1 h · 2.50 EUR")
    await driver.tap("✅ Hold the spot (2.50 EUR)")
    await driver.tap("✖️ Release the spot")
    assert driver.bot.callback_answers()[-1].text == "The spot was released. Nothing was charged."
    assert driver.layout == MENU_EN
    async with services.db.read() as s:
        (reservation,) = (await s.scalars(select(Reservation))).all()
    assert reservation.status == ReservationStatus.CANCELLED


async def test_a_late_release_tap_does_not_cancel_a_booking_paid_meanwhile(
    driver: Driver, services: Services
) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await _durations_of(driver, "Central Garage")
    await driver.tap("1 h · 2.50 EUR")
    await driver.tap("✅ Hold the spot (2.50 EUR)")
    user_id = await user_id_of(services)
    async with services.db.read() as s:
        (reservation,) = (await s.scalars(select(Reservation))).all()
    # Paid from another device while this payment screen stays open.
    await fund(services, user_id, 250)
    async with services.db.transaction() as s:
        await pay_rules.pay_booking_with_wallet(
            s, reservation_id=reservation.id, user_id=user_id, now=services.clock.now()
        )
    await driver.tap("✖️ Release the spot")
    assert driver.bot.alerts()[-1] == "This booking is already paid, so it stays yours."
    assert driver.text.startswith("✅ Payment received for booking #1: ")
    assert await status_of(services, reservation.id) == ReservationStatus.CONFIRMED
    assert await balance_of(services, user_id) == 0  # nothing refunded


async def test_an_expired_hold_says_so(driver: Driver, services: Services, clock: ManualClock) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await _durations_of(driver, "Central Garage")
    await driver.tap("1 h · 2.50 EUR")
    await driver.tap("✅ Hold the spot (2.50 EUR)")
    clock.advance(timedelta(minutes=11))
    await driver.send("still there?")
    assert driver.text == (
        f"{UNKNOWN_EN}\n\n"
        "⌛ The hold on spot A1 at Central Garage ran out and the spot was released. You can book again."
    )
    assert driver.layout == [["🔁 Book again"], ["🏠 Menu"]]
    await driver.tap("🔁 Book again")
    assert driver.text == "How long will you park?"
    assert driver.layout == [
        ["1 h · 2.50 EUR", "2 h · 5.00 EUR"],
        ["3 h · 7.50 EUR", "4 h · 10.00 EUR"],
        ["8 h · 20.00 EUR"],
        ["Other…"],
        ["⬅️ Back"],
    ]
    await driver.tap("1 h · 2.50 EUR")
    assert "Central Garage" in driver.text and "Total: <b>2.50 EUR</b>" in driver.text


async def test_quote_when_the_last_spot_went_meanwhile(driver: Driver, services: Services) -> None:
    premise_id = await add_premise(services, "Tiny Lot", north_m=222, spots=1)
    await _durations_of(driver, "Tiny Lot")
    other = await add_user(services, telegram_id=2002)
    await hold(services, other, premise_id, services.clock.now(), 180)
    await driver.tap("2 h · 5.00 EUR")
    assert driver.text == "Sorry, every spot is taken for that time. Try another time or car park."
    assert driver.layout == [["🔔 Tell me when a spot frees up"], ["⬅️ Back"]]


async def test_a_closed_time_is_refused_with_the_hours_and_the_picker_offers_only_open_slots(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    premise_id = await add_premise(services, "University Deck", north_m=222)
    async with services.db.transaction() as s:
        premise = await s.get(Premise, premise_id)
        assert premise is not None
        premise.opening_hours = "Mon–Sat 07:00–21:00"
    await _durations_of(driver, "University Deck")  # it is Saturday 11:00
    await driver.tap("Other…")
    await driver.send("11")  # until 22:00: past closing
    assert driver.text == "🚫 Closed at that time: open Mon–Sat 07:00–21:00."
    assert driver.layout == [["🕒 Choose another time"], ["⬅️ Back"]]

    await driver.tap("🕒 Choose another time")
    sunday = clock.now().astimezone(KYIV).date() + timedelta(days=1)
    await tap_day(driver, sunday)
    assert driver.text == (
        "Arrival time on Sun 22 Nov (Europe/Kyiv):\n\n"
        "No arrival time that day fits a stay of 11 h within the opening hours: Mon–Sat 07:00–21:00."
    )
    assert driver.layout == [["⬅️ Back"]]
    await driver.tap("⬅️ Back")
    await tap_day(driver, sunday + timedelta(days=1))
    assert driver.text == "Arrival time on Mon 23 Nov (Europe/Kyiv):"
    # Starts from opening time to 10:00, the last that ends by closing time; nothing else.
    assert driver.layout == [
        ["07:00", "07:15", "07:30", "07:45"],
        ["08:00", "08:15", "08:30", "08:45"],
        ["09:00", "09:15", "09:30", "09:45"],
        ["10:00"],
        ["⬅️ Back"],
    ]
    await driver.tap("10:00")
    assert driver.text.startswith(
        "<b>University Deck</b>\n📍 1 Test Street\n🕒 Mon 23 Nov 10:00–21:00\n⏱ 11 h"
    )
    assert driver.layout == [
        ["✅ Hold the spot (27.50 EUR)"],
        ["🚗 Add a number plate (optional)"],
        ["⬅️ Back"],
    ]
    await driver.tap("✅ Hold the spot (27.50 EUR)")
    assert driver.text.startswith(
        "Spot <b>A1</b> at University Deck is held for you.\n🕒 Mon 23 Nov 10:00–21:00"
    )


async def test_a_search_for_a_closed_time_does_not_list_the_car_park(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    premise_id = await add_premise(services, "University Deck", north_m=222)
    await add_premise(services, "Central Garage", north_m=500)
    async with services.db.transaction() as s:
        premise = await s.get(Premise, premise_id)
        assert premise is not None
        premise.opening_hours = "Mon–Sat 07:00–21:00"
    await driver.send(HERE)
    assert [label.split(" · ")[0] for label in driver.labels[:2]] == ["University Deck", "Central Garage"]
    await driver.tap("🕒 Change time")
    await driver.tap("📅 Another day")
    await tap_day(driver, tomorrow_at(clock, 10).astimezone(KYIV).date())  # Sunday
    await driver.tap("10:00")
    assert [label.split(" · ")[0] for label in driver.labels[:1]] == ["Central Garage"]
    assert not any(label.startswith("University Deck") for label in driver.labels)


async def test_a_booking_for_tomorrow_can_be_cancelled_from_its_confirmation(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await driver.send(HERE)
    await driver.tap("🕒 Change time")
    await driver.tap("📅 Another day")
    await tap_day(driver, tomorrow_at(clock, 10).astimezone(KYIV).date())
    await driver.tap("10:00")
    await driver.tap(driver.label_starting("Central Garage"))
    await driver.tap("2 h · 5.00 EUR")
    assert "🕒 Sun 22 Nov 10:00–12:00" in driver.text
    user_id = await user_id_of(services)
    await fund(services, user_id, 1000)
    await driver.tap("✅ Hold the spot (5.00 EUR)")
    await driver.tap("👛 Wallet (10.00 EUR)")
    assert driver.text.startswith("✅ Payment received for booking #")
    async with services.db.read() as s:
        reservation_id = await s.scalar(select(Reservation.id))
    assert reservation_id is not None

    # The confirmation message, with its "Cancel booking" button: the start is ahead.
    *_, confirmation = await _delivered(services, driver)
    assert confirmation.text.startswith("✅ <b>Payment received, booking confirmed</b>")
    cancel = BookingAction(action="cancel", reservation_id=reservation_id).pack()
    navigate = BookingAction(action="navigate", reservation_id=reservation_id).pack()
    assert _buttons(confirmation) == [[("🧭 Navigate", navigate)], [("❌ Cancel booking", cancel)]]
    await driver.tap_outside_dialogs(cancel)
    assert driver.text == f"Cancel booking #{reservation_id}? 5.00 EUR goes back to your wallet at once."
    assert driver.layout == [["Yes, cancel", "No, keep it"]]
    await driver.tap("No, keep it")
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✅ confirmed")

    await driver.tap_outside_dialogs(cancel)
    await driver.tap("Yes, cancel")
    assert driver.bot.alerts()[-1] == (
        f"Booking #{reservation_id} is cancelled. 5.00 EUR is back in your wallet."
    )
    assert driver.text.startswith(f"<b>Booking #{reservation_id}</b> · ✖️ cancelled")
    assert await balance_of(services, user_id) == 1000
    # The message that follows says what the alert said: the money is back already.
    *_, cancelled = await _delivered(services, driver)
    assert cancelled.text == (
        f"✖️ Booking #{reservation_id} (Central Garage, Sun 22 Nov 10:00–12:00) is cancelled. "
        "5.00 EUR is back in your wallet."
    )


async def test_a_booking_for_now_offers_to_end_it_not_to_cancel_it_on_its_confirmation(
    driver: Driver, services: Services
) -> None:
    """A "Now" booking starts this minute, so it can no longer be cancelled when its
    confirmation arrives: the message offers what the booking's screen offers, ending it."""
    await add_premise(services, "Central Garage", north_m=222)
    await _durations_of(driver, "Central Garage")
    await driver.tap("2 h · 5.00 EUR")
    await fund(services, await user_id_of(services), 500)
    await driver.tap("✅ Hold the spot (5.00 EUR)")
    await driver.tap("👛 Wallet (5.00 EUR)")
    async with services.db.read() as s:
        reservation_id = await s.scalar(select(Reservation.id))
    assert reservation_id is not None

    *_, confirmation = await _delivered(services, driver)
    assert "🕒 Sat 21 Nov 11:00–13:00" in confirmation.text
    end = BookingAction(action="end", reservation_id=reservation_id).pack()
    navigate = BookingAction(action="navigate", reservation_id=reservation_id).pack()
    assert _buttons(confirmation) == [[("🧭 Navigate", navigate)], [("🏁 End parking now", end)]]
    await driver.tap_outside_dialogs(end)
    assert driver.bot.alerts() == []
    assert driver.text.startswith(f"End booking #{reservation_id} now?")
    assert driver.layout[0][0] == "Yes, end now"


async def test_a_confirmation_sent_after_the_start_no_longer_offers_cancel(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    """What the confirmation's buttons can do is judged when it is sent: paid before the
    start, sent (the outbox late) after it, it offers to end the booking."""
    user_id = await add_user(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    reservation_id = await book_and_pay(services, user_id, premise_id, clock.now() + timedelta(minutes=5), 60)
    clock.advance(timedelta(minutes=5))
    *_, confirmation = await _delivered(services, driver)
    end = BookingAction(action="end", reservation_id=reservation_id).pack()
    navigate = BookingAction(action="navigate", reservation_id=reservation_id).pack()
    assert _buttons(confirmation) == [[("🧭 Navigate", navigate)], [("🏁 End parking now", end)]]


async def test_booking_screens_in_ukrainian(services: Services) -> None:
    await add_premise(services, "Central Garage", north_m=222, features=["covered", "cctv"])
    await add_user(services, language="uk")
    driver = Driver(services, TG_ID)
    await driver.send(HERE)
    assert driver.text.startswith("🅿️ Паркінги біля вас\n🕒 ")
    assert driver.text.endswith("(Europe/Kyiv)\n\nCentral Garage: 2 вільні місця 🏠📹")
    assert driver.layout == [
        ["Central Garage · 222 м · 2.50 EUR/год"],
        ["🕒 Змінити час", "⚙️ Фільтри"],
        ["🏠 Меню"],
    ]
    await driver.tap(driver.labels[0])
    assert driver.text == (
        "<b>Central Garage</b> · 🔢 Код 1042\n📍 1 Test Street · 222 м\n💶 2.50 EUR за годину\n🕐 24/7\n"
        "⭐ відгуків ще немає\n🏠 Дах · 📹 Відеонагляд\n\n"
        "🅿️ Сб 21 лист 11:00–13:00: 2 вільні місця, <b>5.00 EUR</b> за 2 год\n\n"
        "Як довго ви паркуватиметеся?"
    )
    assert driver.layout == [
        ["1 год · 2.50 EUR", "2 год · 5.00 EUR"],
        ["3 год · 7.50 EUR", "4 год · 10.00 EUR"],
        ["8 год · 20.00 EUR"],
        ["Інше…"],
        ["🧭 Маршрут", "☆ До обраних"],
        ["⬅️ Назад"],
    ]
    await driver.tap("Інше…")
    await driver.send("1,5")
    assert "⏱ 1 год 30 хв" in driver.text
    assert "Разом: <b>3.75 EUR</b> (2.50 EUR/год)\n2 вільні місця" in driver.text
    assert driver.layout == [
        ["✅ Забронювати місце (3.75 EUR)"],
        ["🚗 Додати номер авто (необовʼязково)"],
        ["⬅️ Назад"],
    ]
    await driver.tap("✅ Забронювати місце (3.75 EUR)")
    assert driver.text.startswith("Місце <b>A1</b> у Central Garage заброньовано для вас.")
    assert driver.layout == [["👛 Гаманець: 0.00 EUR, недостатньо"], ["✖️ Звільнити місце"]]
    await driver.tap("👛 Гаманець: 0.00 EUR, недостатньо")
    assert driver.bot.alerts() == [
        "У гаманці 0.00 EUR, а бронювання коштує 3.75 EUR. Оплата карткою тут недоступна, "
        "тож попросіть оператора поповнити ваш гаманець."
    ]
