"""Anything unexpected: stray text, buttons of closed dialogs, /cancel.

The texts are written for the `clock` fixture's moment: Saturday 21 November 2026, 09:00 UTC,
which is 11:00 in Kyiv (the bot's time zone). What is asserted is what the driver sees: the
texts and button labels of the windows, the plain messages and the callback alerts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select

from bot.context import Services
from core.models import (
    Premise,
    Reservation,
)
from tests.bot.dialog_support import Driver, Mark
from tests.bot.screens import (
    HERE,
    MENU_EN,
    UNKNOWN_EN,
    add_premise,
)

Opener = Callable[[Driver], Awaitable[object]]


async def _menu(driver: Driver) -> None:
    await driver.send("/start")


async def _card(driver: Driver) -> None:
    await driver.send(HERE)
    await driver.tap(driver.label_starting("Central Garage"))


async def _filters(driver: Driver) -> None:
    await driver.send(HERE)
    await driver.tap("⚙️ Filters")


async def _quote(driver: Driver) -> None:
    await _card(driver)
    await driver.tap("2 h · 5.00 EUR")


async def _wallet(driver: Driver) -> None:
    await driver.send("/wallet")


async def _bookings(driver: Driver) -> None:
    await driver.send("/bookings")


# The results take text as an address to search at instead (tests/bot/test_find.py).
@pytest.mark.parametrize("open_screen", [_menu, _card, _filters, _quote, _wallet, _bookings])
async def test_unexpected_text_gets_one_answer_the_same_screen_with_a_hint(
    driver: Driver, services: Services, open_screen: Opener
) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await open_screen(driver)
    before = driver.screen
    mark = driver.mark()
    await driver.send("where is my car?")
    # One message: the screen moves below the driver's text (the old copy is deleted), the
    # explanation on top; no separate "did not get that".
    assert driver.answers_since(mark) == ["window: delete_and_send"]
    after = driver.screen
    assert after.message_id != before.message_id
    assert (after.text, after.reply_markup) == (f"{UNKNOWN_EN}\n\n{before.text}", before.reply_markup)
    # The hint is for that answer only: the next screen is the plain one.
    await driver.send("/help")
    assert UNKNOWN_EN not in driver.text


async def test_text_outside_any_dialog_leads_to_the_menu(driver: Driver) -> None:
    await driver.send("hello")
    assert driver.answers_since(Mark(0, 0)) == ["window: send"]
    assert driver.text == f"{UNKNOWN_EN}\n\nWhat would you like to do?"
    assert driver.layout == MENU_EN


async def test_a_button_of_a_closed_dialog_is_out_of_date(driver: Driver, services: Services) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await driver.send(HERE)
    old_results = driver.screen
    await driver.send("/wallet")  # a new stack replaces the search
    await driver.tap("⚙️ Filters", on=old_results)
    assert driver.bot.callback_answers()[-1].text == "This button is out of date. Here is the current menu."
    assert driver.layout == MENU_EN


async def test_cancel_command_leaves_the_current_step(driver: Driver, services: Services) -> None:
    await add_premise(services, "Central Garage", north_m=222)
    await _quote(driver)
    await driver.send("/cancel")
    assert driver.bot.texts()[-1] == "Done, nothing was changed. Here is the menu."
    assert driver.layout == MENU_EN
    async with services.db.read() as s:
        assert (await s.scalars(select(Reservation))).all() == []
        assert (await s.scalars(select(Premise))).one().name == "Central Garage"
