"""The wallet: balance, history, saved cards.

The texts are written for the `clock` fixture's moment: Saturday 21 November 2026, 09:00 UTC,
which is 11:00 in Kyiv (the bot's time zone). What is asserted is what the driver sees: the
texts and button labels of the windows, the plain messages and the callback alerts.
"""

from __future__ import annotations

from datetime import timedelta

from bot.context import Services
from core.clock import ManualClock
from core.models import (
    SavedPaymentMethod,
    WalletTxKind,
)
from core.services import booking
from tests.bot.dialog_support import Driver
from tests.bot.screens import (
    add_premise,
    add_user,
    book_and_pay,
    fund,
    tomorrow_at,
    user_id_of,
)


async def test_wallet_balance_and_history_without_card_payments(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    await driver.send("/wallet")
    assert driver.text == "👛 <b>Wallet</b>\nBalance: <b>0.00 EUR</b>"
    # No top-ups and no saved cards without Stripe.
    assert driver.layout == [["🧾 History"], ["🏠 Menu"]]
    await driver.tap("🧾 History")
    assert driver.text == "🧾 Wallet history\n\nNo wallet transactions yet."
    assert driver.layout == [["🧾 Top-up receipts"], ["⬅️ Back"]]

    user_id = await user_id_of(services)
    premise_id = await add_premise(services, "Central Garage", north_m=222)
    await fund(services, user_id, 2000)
    clock.advance(timedelta(minutes=5))
    reservation_id = await book_and_pay(services, user_id, premise_id, tomorrow_at(clock, 10), 60)
    clock.advance(timedelta(minutes=5))
    async with services.db.transaction() as s:
        await booking.cancel(s, reservation_id, user_id=user_id, now=clock.now())

    await driver.tap("⬅️ Back")
    assert driver.text == "👛 <b>Wallet</b>\nBalance: <b>22.50 EUR</b>"
    await driver.tap("🧾 History")
    assert driver.text == (
        "🧾 Wallet history\n\n"
        f"21 Nov 11:10 · +2.50 EUR · refund · booking #{reservation_id} · Central Garage\n"
        f"21 Nov 11:05 · -2.50 EUR · payment · booking #{reservation_id} · Central Garage\n"
        "21 Nov 11:05 · +2.50 EUR · top-up\n"
        "21 Nov 11:00 · +20.00 EUR · top-up"
    )


async def test_wallet_history_comes_ten_to_a_page(
    driver: Driver, services: Services, clock: ManualClock
) -> None:
    user_id = await add_user(services)
    for n in range(12):
        await fund(services, user_id, 100 * (n + 1), WalletTxKind.ADJUSTMENT)
        clock.advance(timedelta(minutes=1))
    await driver.send("/wallet")
    assert driver.text == "👛 <b>Wallet</b>\nBalance: <b>78.00 EUR</b>"
    await driver.tap("🧾 History")
    lines = driver.text.split("\n")[2:]
    assert len(lines) == 10
    assert lines[0] == "21 Nov 11:11 · +12.00 EUR · adjustment"
    assert driver.layout == [["More ▶️"], ["🧾 Top-up receipts"], ["⬅️ Back"]]
    await driver.tap("More ▶️")
    assert driver.text.split("\n")[2:] == [
        "21 Nov 11:01 · +2.00 EUR · adjustment",
        "21 Nov 11:00 · +1.00 EUR · adjustment",
    ]
    assert driver.layout == [["◀️"], ["🧾 Top-up receipts"], ["⬅️ Back"]]


async def test_saved_cards_screen(driver: Driver, services: Services) -> None:
    await driver.send("/testcards")
    assert driver.text == "💳 Saved cards\n\nNo saved cards. Add one to pay in one tap."
    assert driver.layout == [["⬅️ Back"]]  # adding a card needs Stripe

    user_id = await user_id_of(services)
    async with services.db.transaction() as s:
        s.add(
            SavedPaymentMethod(
                user_id=user_id,
                stripe_payment_method_id="pm_test_visa",
                brand="visa",
                last4="4242",
                exp_month=4,
                exp_year=2030,
            )
        )
    await driver.send("/testcards")
    assert driver.text == "💳 Saved cards\n\nVisa •••• 4242 (exp. 04/2030)"
    assert driver.layout == [["🗑 Visa •••• 4242"], ["⬅️ Back"]]
    await driver.tap("⬅️ Back")
    assert driver.text == "👛 <b>Wallet</b>\nBalance: <b>0.00 EUR</b>"
