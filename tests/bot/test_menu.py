"""The menu, help and the language switch.

The texts are written for the `clock` fixture's moment: Saturday 21 November 2026, 09:00 UTC,
which is 11:00 in Kyiv (the bot's time zone). What is asserted is what the driver sees: the
texts and button labels of the windows, the plain messages and the callback alerts.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.context import Services
from core.models import (
    User,
)
from tests.bot.dialog_support import Driver, Mark
from tests.bot.screens import (
    HERE,
    MENU_EN,
    TG_ID,
)
from tests.factories import make_user

WELCOME_EN = (
    "Hi, User_1001! 👋\n\n"
    "I find you a parking spot nearby, book it and take the payment.\n"
    "Once paid, the spot's blocker is raised and waits for you.\n"
    "When you arrive, you lower it from this chat and park.\n\n"
    "Share your phone number to get receipts and SMS updates when Telegram cannot reach you."
)


async def test_start_greets_the_driver_and_shows_the_menu(driver: Driver) -> None:
    await driver.send("/start")
    # The welcome with the phone request (its reply keyboard needs a message of its own), then the menu.
    assert driver.answers_since(Mark(0, 0)) == [f"message: {WELCOME_EN}", "window: send"]
    assert driver.text == "What would you like to do?"
    assert driver.layout == MENU_EN
    async with driver.services.db.read() as s:
        user = await s.scalar(select(User).where(User.telegram_id == TG_ID))
    assert user is not None and user.name == "User_1001" and user.language == "en"


async def test_a_returning_driver_gets_one_message_and_skip_is_remembered(driver: Driver) -> None:
    await driver.send("/start")
    # Back without answering the phone request: no second welcome, the menu with a greeting,
    # the request as a button of it.
    mark = driver.mark()
    await driver.send("/start")
    assert driver.answers_since(mark) == ["window: send"]
    assert driver.text == "Hi, User_1001! 👋\n\nWhat would you like to do?"
    assert driver.layout == [*MENU_EN, ["📱 Share my phone number"]]
    mark = driver.mark()
    await driver.tap("📱 Share my phone number")
    assert driver.answers_since(mark) == [
        "message: Share your phone number to get receipts and SMS updates when Telegram cannot reach you."
    ]  # the menu stays as it is

    await driver.send("Skip")
    assert driver.bot.texts()[-1] == "OK, I will not ask again. You can still share your number from ❓ Help."
    assert driver.layout == MENU_EN
    async with driver.services.db.read() as s:
        skipped = await s.scalar(select(User.phone_skipped_at).where(User.telegram_id == TG_ID))
    assert skipped == driver.services.clock.now()

    mark = driver.mark()
    await driver.send("/start")
    assert driver.answers_since(mark) == ["window: send"]  # not asked again
    assert driver.text == "Hi, User_1001! 👋\n\nWhat would you like to do?"
    assert driver.layout == MENU_EN
    # Help still offers the number to whoever has not shared one.
    await driver.tap("❓ Help")
    assert driver.text.startswith("<b>How it works</b>")  # the greeting was for that screen only
    assert driver.layout == [["📱 Share my phone number"], ["⬅️ Back"]]


async def test_a_driver_with_a_phone_is_not_asked_for_it(services: Services) -> None:
    async with services.db.transaction() as s:
        await make_user(s, telegram_id=TG_ID, phone="+380501234567")
    driver = Driver(services, TG_ID)
    await driver.send("/start")
    # The first contact: who we are, no phone request.
    about_only = WELCOME_EN.partition("\n\nShare your phone number")[0]
    assert driver.answers_since(Mark(0, 0)) == [f"message: {about_only}", "window: send"]
    assert driver.layout == MENU_EN
    mark = driver.mark()
    await driver.send("/start")
    assert driver.answers_since(mark) == ["window: send"]
    assert driver.text == "Hi, User_1001! 👋\n\nWhat would you like to do?"
    assert driver.layout == MENU_EN
    await driver.tap("❓ Help")
    assert driver.layout == [["⬅️ Back"]]


async def test_help_from_the_menu_and_by_command(driver: Driver) -> None:
    await driver.send("/start")
    await driver.tap("❓ Help")
    assert driver.text.startswith("<b>How it works</b>\n1. /find: share your location or type an address.")
    # The arrival button as it is labelled under a booking.
    assert "\n4. On arrival tap <i>🚗 I've arrived — lower the blocker</i> and park.\n" in driver.text
    assert "/language: change language · /cancel: leave the current step" in driver.text
    assert driver.layout == [["📱 Share my phone number"], ["⬅️ Back"]]
    await driver.tap("⬅️ Back")
    assert driver.text == "What would you like to do?"

    await driver.send("/help")
    assert driver.text.startswith("<b>How it works</b>")
    assert driver.layout == [["📱 Share my phone number"], ["⬅️ Back"]]
    await driver.tap("⬅️ Back")
    assert driver.layout == MENU_EN


async def test_help_in_ukrainian_names_the_arrival_button_as_labelled(driver: Driver) -> None:
    await driver.send("/start")
    await driver.tap("🌐 Language")
    await driver.tap("Українська")
    await driver.send("/help")
    assert "\n4. Коли приїдете, натисніть <i>🚗 Я на місці — опустити блокатор</i> і паркуйтеся.\n" in (
        driver.text
    )


async def test_language_switches_to_ukrainian_and_back(driver: Driver) -> None:
    await driver.send("/start")
    await driver.tap("🌐 Language")
    assert driver.text == "Choose your language:"
    assert driver.layout == [["✅ English", "Українська"], ["⬅️ Back"]]

    await driver.tap("Українська")
    assert driver.bot.callback_answers()[-1].text == "Мову змінено на українську."
    assert driver.text == "Що бажаєте зробити?"
    assert driver.layout == [
        ["🅿️ Знайти паркінг"],
        ["📋 Мої бронювання", "👛 Гаманець"],
        ["🌐 Мова", "❓ Довідка"],
    ]
    async with driver.services.db.read() as s:
        assert await s.scalar(select(User.language).where(User.telegram_id == TG_ID)) == "uk"

    await driver.tap("❓ Довідка")
    assert driver.text.startswith("<b>Як це працює</b>")
    assert driver.layout == [["📱 Поділитися номером"], ["⬅️ Назад"]]
    await driver.send("щось")
    assert driver.text.startswith("Вибачте, не розумію.")
    assert driver.layout == [["📱 Поділитися номером"], ["⬅️ Назад"]]

    await driver.send("/language")
    assert driver.text == "Оберіть мову:"
    assert driver.layout == [["English", "✅ Українська"], ["⬅️ Назад"]]
    await driver.tap("English")
    assert driver.bot.callback_answers()[-1].text == "Language set to English."
    assert driver.text == "What would you like to do?"
    assert driver.layout == MENU_EN
    async with driver.services.db.read() as s:
        assert await s.scalar(select(User.language).where(User.telegram_id == TG_ID)) == "en"


async def test_menu_opens_bookings_and_wallet_and_their_menu_button_comes_back(driver: Driver) -> None:
    await driver.send("/start")
    await driver.tap("📋 My bookings")
    assert driver.text.startswith("Your bookings")
    await driver.tap("🏠 Menu")
    assert driver.text == "What would you like to do?"
    await driver.tap("👛 Wallet")
    assert driver.text.startswith("👛 <b>Wallet</b>")
    await driver.tap("🏠 Menu")
    assert driver.layout == MENU_EN


@pytest.mark.parametrize(
    ("command", "label"),
    [("/wallet", "🏠 Menu"), ("/bookings", "🏠 Menu"), (HERE, "🏠 Menu"), ("/language", "⬅️ Back")],
)
async def test_leaving_a_screen_opened_by_command_shows_the_menu(
    driver: Driver, command: str, label: str
) -> None:
    await driver.send(command)
    await driver.tap(label)
    assert driver.text == "What would you like to do?"
