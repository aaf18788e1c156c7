"""The calendar speaks the user's language: its header, weekdays, pager and month names, on
the driver's "📅 Another day" and on the console's custom revenue range. aiogram-dialog's own
labels are strftime formats, so without ours every user read the process's locale (English).

The clock is Saturday 21 November 2026; the calendar opens on the real month and is leafed to
November (`open_month`), so the real date only decides which month is marked "[ … ]"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.context import Services
from core.clock import ManualClock
from core.models import StaffRole
from tests.bot.dialog_support import Driver
from tests.bot.screens import HERE, KYIV, TG_ID, add_premise, add_user, month_label, open_month, tap_day
from tests.factories import make_premise

WEEKDAYS = {
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "uk": ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Нд"],
}
CHANGE_TIME = {"en": ("🕒 Change time", "📅 Another day"), "uk": ("🕒 Змінити час", "📅 Інший день")}


def _unmarked(label: str) -> str:
    return label.removeprefix("[ ").removesuffix(" ]")  # the real month or day is marked


@pytest.mark.parametrize(
    ("lang", "november", "december"),
    [("en", "November", "December"), ("uk", "Листопад", "Грудень")],
)
async def test_the_drivers_calendar_is_in_their_language(
    services: Services, clock: ManualClock, lang: str, november: str, december: str
) -> None:
    await add_user(services, TG_ID, language=lang)
    await add_premise(services, "Central Garage", north_m=222)
    driver = Driver(services, TG_ID)
    await driver.send(HERE)
    change_time, another_day = CHANGE_TIME[lang]
    await driver.tap(change_time)
    await driver.tap(another_day)
    today = clock.now().astimezone(KYIV).date()
    await open_month(driver, today, lang)

    # Days of November: bookable from today, 21 November; the pager leads to December only.
    assert driver.layout[0] == [f"🗓 {november} 2026"]
    assert driver.layout[1] == WEEKDAYS[lang]
    assert driver.layout[-2] == ["", "🔍", f"{december} 2026 >>"]
    await driver.tap(f"{december} 2026 >>")
    assert driver.layout[0] == [f"🗓 {december} 2026"]
    assert driver.layout[1] == WEEKDAYS[lang]
    assert driver.layout[-2] == [f"<< {november} 2026", "🔍", ""]  # 30 days ahead: up to 21 December

    # The months of the year: only those with a bookable day can be tapped.
    await driver.tap(f"🗓 {december} 2026")
    assert driver.layout[0] == ["🗓 2026"]
    months = [_unmarked(label) for row in driver.layout[1:-1] for label in row if label]
    assert months == [november, december]
    await driver.tap(next(label for label in driver.labels if _unmarked(label) == december))
    assert driver.layout[0] == [f"🗓 {december} 2026"]

    # A day picked on it still leads to its start times.
    await tap_day(driver, date(2026, 12, 1), lang)
    assert driver.layout[0] == ["06:00", "06:15", "06:30", "06:45"]


MANAGER = 9102
REVENUE = {"en": ("💶 Revenue", "Custom range"), "uk": ("💶 Виручка", "Свій період")}


@pytest.mark.parametrize(
    ("lang", "header", "previous"),
    [("en", "🗓 November 2026", "<< October 2026"), ("uk", "🗓 Листопад 2026", "<< Жовтень 2026")],
)
async def test_the_consoles_custom_range_calendar_is_in_the_operators_language(
    services: Services, clock: ManualClock, lang: str, header: str, previous: str
) -> None:
    async with services.db.transaction() as s:
        premise_id = (await make_premise(s, name="Alpha Garage", spots=2, now=clock.now())).id
    await services.admin.add_owner(9101)
    owner = (await services.users.telegram_caller(9101, name="Owner", language=lang)).user_id
    manager_id = (await services.users.telegram_caller(MANAGER, name="Maria", language=lang)).user_id
    invite = await services.admin.invite(owner, premise_id, StaffRole.MANAGER)
    await services.admin.accept_invite(manager_id, invite.token)

    manager = Driver(services, MANAGER)
    await manager.send("/admin")
    revenue, custom = REVENUE[lang]
    await manager.tap(revenue)  # their one car park: straight to the periods
    await manager.tap(custom)
    today = clock.now().astimezone(KYIV).date()
    await open_month(manager, today, lang)
    assert manager.layout[0] == [header]
    assert manager.layout[1] == WEEKDAYS[lang]
    # Up to today, 21 November: nothing later can be tapped, earlier months can be leafed to.
    assert manager.layout[-2] == [previous, "🔍", ""]
    await manager.tap(previous)
    assert manager.layout[0] == [f"🗓 {month_label(today.replace(day=1) - timedelta(days=1), lang)}"]
    assert manager.layout[1] == WEEKDAYS[lang]
