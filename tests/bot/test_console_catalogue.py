"""The screen catalogue of the console's Now and Revenue, in each language, as a manager sees
them (tests/bot/test_screen_catalogue.py's format and phone limits), compared with the files
under tests/bot/catalogue/. After an intended change: `UPDATE_CATALOGUE=1 pytest
tests/bot/test_console_catalogue.py`, then read the diff."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from bot.context import Services
from core.clock import ManualClock
from core.models import StaffRole
from tests.bot.dialog_support import Driver
from tests.bot.test_screen_catalogue import CATALOGUE, Catalogue
from tests.console_scenes import book, cancel, card_refunded, now_scene
from tests.factories import make_premise, make_user

OWNER, MANAGER = 9201, 9202


async def _journey(c: Catalogue, services: Services, clock: ManualClock, lang: str) -> None:
    async with services.db.transaction() as s:
        alpha = (await make_premise(s, name="Alpha Garage", spots=12, now=clock.now())).id
        driver = (await make_user(s, name="Olena")).id
    await services.admin.add_owner(OWNER)
    owner = (await services.users.telegram_caller(OWNER, name="Owner", language="en")).user_id
    manager = (await services.users.telegram_caller(MANAGER, name="Mira", language=lang)).user_id
    invite = await services.admin.invite(owner, alpha, StaffRole.MANAGER)
    await services.admin.accept_invite(manager, invite.token)
    scene = await now_scene(services.db, clock, alpha, driver)
    t0 = clock.now()
    clock.set(t0 - timedelta(days=1))
    refunded = await book(services.db, clock, driver, alpha, t0 + timedelta(hours=30), 120, "card")
    clock.set(t0 + timedelta(minutes=1))
    owed = await cancel(services.db, clock, driver, refunded)
    await card_refunded(services.db, clock, owed[0])
    await cancel(services.db, clock, driver, scene.tomorrow)

    await c.step("/admin: the console's first screen", c.send("/admin"))
    await c.step("Now: the car park at this moment", c.tap(0, 0))
    clock.advance(timedelta(seconds=30))
    await c.step("Refresh, half a minute later", c.tap(0))
    await c.step("Back to the console", c.tap(-1))
    await c.step("Revenue: the periods", c.tap(0, 1))
    await c.step("Today", c.tap(0))
    await c.step("Another period", c.tap(1))
    await c.step("Custom range: the first day", c.tap(4))
    await c.step("Its last day", _tap_label(c, "20"))
    await c.step("The range's figures", _tap_label(c, "21"))
    await c.step("The chart (a photo)", c.tap(0, 0))
    await c.step("The CSV (a document)", c.tap(0, 1))


def _tap_label(c: Catalogue, label: str) -> Callable[[], Awaitable[None]]:
    async def action() -> None:
        await c.driver.tap(label)

    return action


@pytest.mark.parametrize("lang", ["en", "uk"])
async def test_console_catalogue(services: Services, clock: ManualClock, lang: str) -> None:
    catalogue = Catalogue(Driver(services, MANAGER))
    path = CATALOGUE / f"console-now-revenue.{lang}.txt"
    try:
        await _journey(catalogue, services, clock, lang)
    finally:
        if os.environ.get("UPDATE_CATALOGUE") == "1":
            path.write_text(catalogue.text(), encoding="utf-8")
    assert catalogue.problems == []
    assert catalogue.text() == path.read_text(encoding="utf-8"), (
        f"what an operator sees changed: regenerate with UPDATE_CATALOGUE=1 and read the diff of {path.name}"
    )
