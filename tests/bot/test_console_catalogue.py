"""The screen catalogue of the console, in each language: Now and Revenue as a manager sees
them, and a walk through the whole console as an owner and as an attendant (console-owner.*,
console-attendant.*), in tests/bot/test_screen_catalogue.py's format and phone limits,
compared with the files under tests/bot/catalogue/. After an intended change: `UPDATE_CATALOGUE=1 pytest
tests/bot/test_console_catalogue.py`, then read the diff."""

from __future__ import annotations

import os
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from bot.context import Services
from bot.notifications import render
from core.clock import ManualClock
from core.models import Blocker, BlockerState, Notification, Spot, StaffRole, User
from tests.bot.dialog_support import Driver
from tests.bot.test_screen_catalogue import CATALOGUE, Catalogue
from tests.console_scenes import add_blockers, book, cancel, card_refunded, now_scene
from tests.factories import make_premise, make_review, make_user

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


async def _compared(catalogue: Catalogue, name: str, walk: Awaitable[None]) -> None:
    """Walks, writes the catalogue file when asked to (even after a failing step, to show how
    far it got), then checks the phone's limits and compares with the file."""
    path = CATALOGUE / name
    try:
        await walk
    finally:
        if os.environ.get("UPDATE_CATALOGUE") == "1":
            path.write_text(catalogue.text(), encoding="utf-8")
    assert catalogue.problems == []
    assert catalogue.text() == path.read_text(encoding="utf-8"), (
        f"what an operator sees changed: regenerate with UPDATE_CATALOGUE=1 and read the diff of {path.name}"
    )


@pytest.mark.parametrize("lang", ["en", "uk"])
async def test_console_catalogue(services: Services, clock: ManualClock, lang: str) -> None:
    catalogue = Catalogue(Driver(services, MANAGER))
    await _compared(catalogue, f"console-now-revenue.{lang}.txt", _journey(catalogue, services, clock, lang))


# ---------------------------------------------------------------------- the whole console
WALK_OWNER, WALK_MANAGER, WALK_ATTENDANT = 9301, 9302, 9303


async def _console_scene(services: Services, clock: ManualClock, lang: str) -> int:
    """Alpha Garage (6 spots, A6 closed, blockers on A1-A5: A4 offline, A5 low on battery, and
    one device heard on no spot) with a manager and an attendant, an operator's details, a
    driver's booking on A1 in an hour and a pending review; Beta Yard beside it. The walkers'
    language is `lang`. Returns Alpha's id."""
    async with services.db.transaction() as s:
        alpha = (await make_premise(s, name="Alpha Garage", spots=6, now=clock.now())).id
        await make_premise(s, name="Beta Yard", spots=2, currency="UAH", price_per_hour=5000)
        driver = (await make_user(s, name="Olena Shevchenko", phone="+380501234567")).id
    await add_blockers(services.db, alpha)
    async with services.db.transaction() as s:
        spots = {spot.label: spot for spot in await s.scalars(select(Spot).where(Spot.premise_id == alpha))}
        spots["A6"].is_active, spots["A6"].closed_reason = False, "Painting"
        await s.execute(delete(Blocker).where(Blocker.spot_id == spots["A6"].id))
        await s.execute(update(Blocker).where(Blocker.spot_id == spots["A4"].id).values(online=False))
        await s.execute(update(Blocker).where(Blocker.spot_id == spots["A5"].id).values(battery=9))
        s.add(Blocker(id="BLK-NEW-7", spot_id=None, online=True, state=BlockerState.RAISED, battery=100))
    await services.admin.add_owner(WALK_OWNER)
    owner = (await services.users.telegram_caller(WALK_OWNER, name="Oksana", language=lang)).user_id
    for telegram_id, name, role in (
        (WALK_MANAGER, "Mira", StaffRole.MANAGER),
        (WALK_ATTENDANT, "Taras", StaffRole.ATTENDANT),
    ):
        user = (await services.users.telegram_caller(telegram_id, name=name, language=lang)).user_id
        invite = await services.admin.invite(owner, alpha, role)
        await services.admin.accept_invite(user, invite.token)
    for field, value in (
        ("operator_name", "Alpha Parking LLC"),
        ("operator_address", "1 Khreshchatyk St, Kyiv"),
        ("vat_number", "UA123456789012"),
        ("vat_rate", "20"),
    ):
        await services.operator_admin.update_operator(owner, alpha, field, value)
    rid = await book(services.db, clock, driver, alpha, clock.now() + timedelta(hours=1), 120)
    async with services.db.transaction() as s:
        await make_review(
            s,
            user_id=driver,
            premise_id=alpha,
            rating=4,
            text="Easy to find, but the ramp is steep.",
            reservation_id=rid,
            created_at=clock.now(),
        )
    return alpha


async def _incident_alert(c: Catalogue, services: Services, alpha: int, lang: str, user_tg: int) -> None:
    """A1's blocker jams: the alert the walker receives (as rendered for the outbox), then their
    tap on Acknowledge."""
    blocker = f"P{alpha}-A1"  # tests/console_scenes.py add_blockers's ids
    async with services.db.transaction() as s:
        await s.execute(update(Blocker).where(Blocker.id == blocker).values(state=BlockerState.FAULT))
    await services.incidents.settle(blocker)
    async with services.db.read() as s:
        note = await s.scalar(
            select(Notification)
            .join(User, User.id == Notification.user_id)
            .where(Notification.kind == "admin_incident", User.telegram_id == user_tg)
        )
        assert note is not None
        alert = await render(s, note, lang)
    rows = alert.keyboard.inline_keyboard if alert.keyboard else []
    c.record("A blocker jams: the alert", alert.text, [[b.text for b in row] for row in rows])
    ack = rows[-1][-1].callback_data
    assert ack is not None
    await c.step("Acknowledge, tapped under the alert", lambda: c.driver.tap_outside_dialogs(ack))


async def _owner_walk(c: Catalogue, services: Services, alpha: int, lang: str) -> None:
    await c.step("/admin: the console's first screen", c.send("/admin"))
    await c.step("What I can do", _tap_label(c, c.driver.layout[-1][0]))
    await c.step("Back", c.tap(-1))
    await c.step("A car park: its sections", c.tap(2))
    await c.step("Details", c.tap(0))
    await c.step("Back to the sections", c.tap(-1))
    await c.step("Spots", c.tap(1))
    await c.step("Back to the sections", c.tap(-1))
    await c.step("Blockers", c.tap(2))
    await c.step("Unassigned blockers", c.tap(-2, 1))
    await c.step("Back to the blockers", c.tap(-1))
    await c.step("Back to the sections", c.tap(-1))
    await c.step("Staff", c.tap(3))
    await c.step("Invite an attendant: the link", c.tap(0, 1))
    c.entries[-1] = re.sub(r"staff_[\w-]+", "staff_<token>", c.entries[-1])  # random, once
    await c.step("Back to the staff", c.tap(-1))
    await c.step("Back to the sections", c.tap(-1))
    await c.step("Prices", c.tap(4))
    await c.step("Back to the sections", c.tap(-1))
    await c.step("Operator & VAT", c.tap(5))
    await c.step("Back to the sections", c.tap(-1))
    await c.step("Audit log", c.tap(6))
    await c.step("Back to the sections", c.tap(-1))
    await c.step("Back to the console", c.tap(-1))
    await c.step("Reviews: the queue", c.tap(1, 1))
    await c.step("Back to the console", c.tap(-1))
    await c.step("Audit log of all car parks", _tap_label(c, c.driver.layout[-3][0]))
    await c.step("Back to the console", c.tap(-1))
    await _incident_alert(c, services, alpha, lang, WALK_OWNER)


async def _attendant_walk(c: Catalogue, services: Services, alpha: int, lang: str) -> None:
    await c.step("/admin: the console's first screen", c.send("/admin"))
    await c.step("What I can do", _tap_label(c, c.driver.layout[-1][0]))
    await c.step("Back", c.tap(-1))
    await c.step("Their car park: its sections", c.tap(-2))
    await c.step("Blockers", c.tap(0))
    await c.step("A blocker", c.tap(0))
    await c.step("Back to the blockers", c.tap(-1))
    await c.step("Back to the sections", c.tap(-1))
    await c.step("Back to the console", c.tap(-1))
    await c.step("Now", c.tap(0))
    await c.step("A booking from Now", c.tap(1))
    await c.step("Back to Now", c.tap(-1))
    await _incident_alert(c, services, alpha, lang, WALK_ATTENDANT)


@pytest.mark.parametrize("lang", ["en", "uk"])
@pytest.mark.parametrize("role", ["owner", "attendant"])
async def test_console_walk(services: Services, clock: ManualClock, role: str, lang: str) -> None:
    """The console as an owner and as an attendant of one car park see it, screen by screen."""
    alpha = await _console_scene(services, clock, lang)
    walker = WALK_OWNER if role == "owner" else WALK_ATTENDANT
    catalogue = Catalogue(Driver(services, walker))
    walk = (_owner_walk if role == "owner" else _attendant_walk)(catalogue, services, alpha, lang)
    await _compared(catalogue, f"console-{role}.{lang}.txt", walk)
