"""The console's Prices section: a manager changes the rate plan by typed values, sees the
sample stays priced before saving, saves a new version, and the driver's quote follows; an
attendant has no Prices button and a forged one is refused (and audited).

The texts are written for the `clock` fixture's moment: Saturday 21 November 2026, 09:00 UTC,
which is 11:00 in Kyiv."""

from __future__ import annotations

from sqlalchemy import select

from bot.context import Services
from core.models import AuditEntry, AuditOutcome, StaffRole
from tests.bot.dialog_support import Driver, rows
from tests.bot.screens import HERE, add_premise

OWNER, MANAGER, ATTENDANT = 9001, 9002, 9004
DRAFT_BUTTONS = [
    ["💶 Per hour", "1️⃣ First hour", "📅 Daily cap"],
    ["🌙 Add a night rate", "🗓 Add a weekend rate"],
]
SAMPLES_PLAIN = (
    "<b>Sample stays</b>\n"
    "• 1 h from now, Sat 21 Nov 11:00–12:00: <b>2.50 EUR</b> (2.50 EUR/h)\n"
    "• 3 h from now, Sat 21 Nov 11:00–14:00: <b>7.50 EUR</b> (2.50 EUR/h)\n"
    "• a night, Sat 21 Nov 22:00–Sun 22 Nov 07:00: <b>22.50 EUR</b> (2.50 EUR/h)\n"
    "• 24 h from now, Sat 21 Nov 11:00–Sun 22 Nov 11:00: <b>60.00 EUR</b> (2.50 EUR/h)"
)


async def _staff(services: Services, premise_id: int, telegram_id: int, role: StaffRole) -> Driver:
    """A manager or an attendant of the premise, by the owner's invite, in the console."""
    await services.admin.add_owner(OWNER)
    owner_id = (await services.users.telegram_caller(OWNER, name="Owner", language="en")).user_id
    invite = await services.admin.invite(owner_id, premise_id, role)
    member = Driver(services, telegram_id)
    await member.send(f"/start staff_{invite.token}")
    return member


def _data(driver: Driver, label: str) -> str:
    found = [b.callback_data or "" for row in rows(driver.screen) for b in row if b.text == label]
    assert found, f"no {label!r} in {driver.layout}"
    return found[0]


async def _audit(services: Services) -> list[AuditEntry]:
    async with services.db.read() as s:
        return list(await s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_a_manager_sets_prices_sees_the_samples_saves_and_the_driver_pays_them(
    services: Services, driver: Driver
) -> None:
    premise_id = await add_premise(services, "Central Garage", north_m=222, price=250)
    manager = await _staff(services, premise_id, MANAGER, StaffRole.MANAGER)
    await manager.tap("Central Garage · manager")
    assert manager.layout == [
        ["🏢 Details"], ["🅿️ Spots"], ["🔌 Blockers"], ["👥 Staff"], ["💶 Prices"], ["🧾 Operator & VAT"],
        ["📜 Audit log"], ["⬅️ Back"],
    ]  # fmt: skip
    await manager.tap("💶 Prices")
    assert manager.text == (
        "💶 <b>Prices at Central Garage</b> · version 1\n"
        "Base: 2.50 EUR/h\nFirst hour: none\nDaily cap: none\nNo night or weekend rates.\n\n" + SAMPLES_PLAIN
    )
    assert manager.layout == [["✏️ Change prices"], ["⬅️ Back"]]

    await manager.tap("✏️ Change prices")
    assert manager.text.startswith("✏️ <b>New prices for Central Garage</b> · draft of version 2\n")
    assert manager.text.endswith(SAMPLES_PLAIN + "\nDrivers see nothing of this until you save it.")
    assert manager.layout == [*DRAFT_BUTTONS, ["💾 Save as version 2"], ["🗑 Discard"]]

    # The base price: a typo is a hint on top of the same question.
    await manager.tap("💶 Per hour")
    assert manager.text == "Type the base price per hour in EUR, for example 2.50."
    assert manager.layout == [["⬅️ Back"]]
    await manager.send("two")
    assert manager.text == (
        "⚠️ That is not an amount in EUR. Type it like 2.50.\n\n"
        "Type the base price per hour in EUR, for example 2.50."
    )
    await manager.send("2")
    assert "Base: 2.00 EUR/h\n" in manager.text
    assert "• 3 h from now, Sat 21 Nov 11:00–14:00: <b>6.00 EUR</b> (2.00 EUR/h)" in manager.text

    await manager.tap("1️⃣ First hour")
    assert manager.layout == [["✖️ No first-hour price"], ["⬅️ Back"]]
    await manager.send("3,00")
    assert "First hour: 3.00 EUR\n" in manager.text

    # A night rate, every day.
    await manager.tap("🌙 Add a night rate")
    assert manager.text == (
        "Type the hours and the price per hour in EUR, for example 22:00-07:00 1.00. "
        "The rate applies every day."
    )
    await manager.send("22:00 07:00 1")
    assert manager.text.startswith(
        "⚠️ That is not a time range with a price. Type it like 22:00-07:00 1.00.\n\n"
    )
    await manager.send("22:00-07:00 1.00")
    assert "1 special rate:\n• 22:00–07:00: 1.00 EUR/h\n" in manager.text
    assert manager.layout == [
        *DRAFT_BUTTONS,
        ["✖️ Remove 22:00–07:00"],
        ["💾 Save as version 2"],
        ["🗑 Discard"],
    ]

    # A cap below an hour's price is refused with the rule, then a good one.
    await manager.tap("📅 Daily cap")
    await manager.send("2.50")
    assert manager.text == (
        "⚠️ The daily cap must be at least the price of the dearest hour.\n\n"
        "Type the most a driver pays for each 24 hours of a booking, in EUR, for example 20.00, "
        'or tap "No daily cap".'
    )
    await manager.send("20")
    assert manager.text == (
        "✏️ <b>New prices for Central Garage</b> · draft of version 2\n"
        "Base: 2.00 EUR/h\nFirst hour: 3.00 EUR\nDaily cap: 20.00 EUR per 24 h of a booking\n"
        "1 special rate:\n• 22:00–07:00: 1.00 EUR/h\n\n"
        "<b>Sample stays</b>\n"
        "• 1 h from now, Sat 21 Nov 11:00–12:00: <b>3.00 EUR</b> (3.00 EUR/h)\n"
        "• 3 h from now, Sat 21 Nov 11:00–14:00: <b>7.00 EUR</b> (1st hour 3.00 EUR · 2 h × 2.00 EUR)\n"
        "• a night, Sat 21 Nov 22:00–Sun 22 Nov 07:00: <b>11.00 EUR</b> "
        "(1st hour 3.00 EUR · 22:00–07:00: 8 h × 1.00 EUR)\n"
        "• 24 h from now, Sat 21 Nov 11:00–Sun 22 Nov 11:00: <b>20.00 EUR</b> "
        "(1st hour 3.00 EUR · 14 h × 2.00 EUR · 22:00–07:00: 9 h × 1.00 EUR · daily cap 20.00 EUR applied)\n"
        "Drivers see nothing of this until you save it."
    )
    # Nothing is saved yet: drivers still pay the old price.
    assert (await services.pricing.current_plan(premise_id)).plan.base_per_hour == 250

    await manager.tap("💾 Save as version 2")
    assert manager.bot.callback_answers()[-1].text == "Saved: version 2 is in force from now on."
    assert manager.text.startswith("💶 <b>Prices at Central Garage</b> · version 2\nBase: 2.00 EUR/h\n")
    assert manager.layout == [["✏️ Change prices"], ["⬅️ Back"]]
    await manager.tap("⬅️ Back")
    assert manager.text == "🅿️ <b>Central Garage</b> · code <code>1042</code>\nYour role: manager"

    saved = [e for e in await _audit(services) if e.action == "prices.set"]
    assert len(saved) == 1 and saved[0].outcome is AuditOutcome.OK
    assert saved[0].before == {
        "version": 1,
        "base_per_hour": 250,
        "first_hour": None,
        "daily_cap": None,
        "periods": [],
        "currency": "EUR",
    }
    assert saved[0].after == {
        "version": 2,
        "base_per_hour": 200,
        "first_hour": 300,
        "daily_cap": 2000,
        "periods": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "22:00", "end": "07:00", "per_hour": 100}],
        "currency": "EUR",
    }

    # The driver's quote is the new plan's, line by line.
    await driver.send(HERE)
    await driver.tap(driver.label_starting("Central Garage"))
    assert driver.layout[:2] == [["1 h · 3.00 EUR", "2 h · 5.00 EUR"], ["3 h · 7.00 EUR", "4 h · 9.00 EUR"]]
    await driver.tap("2 h · 5.00 EUR")
    assert "Total: <b>5.00 EUR</b> (1st hour 3.00 EUR · 1 h × 2.00 EUR)" in driver.text


async def test_removing_a_rate_clearing_a_value_and_discarding(services: Services) -> None:
    premise_id = await add_premise(services, "Central Garage", north_m=222, price=250)
    manager = await _staff(services, premise_id, MANAGER, StaffRole.MANAGER)
    await manager.tap("Central Garage · manager")
    await manager.tap("💶 Prices")
    await manager.tap("✏️ Change prices")
    await manager.tap("🗓 Add a weekend rate")
    await manager.send("1.50")
    assert "1 special rate:\n• Sat–Sun: 1.50 EUR/h\n" in manager.text
    # Today is Saturday: the weekend rate prices the samples.
    assert "• 3 h from now, Sat 21 Nov 11:00–14:00: <b>4.50 EUR</b> (1.50 EUR/h)" in manager.text
    # A night overlapping the weekend is refused with the rule's words.
    await manager.tap("🌙 Add a night rate")
    await manager.send("22:00-07:00 1")
    assert manager.text.startswith(
        "⚠️ Each special rate needs at least one weekday, times in whole minutes, and no overlap with another."
    )
    await manager.tap("⬅️ Back")
    await manager.tap("1️⃣ First hour")
    await manager.send("4")
    assert "First hour: 4.00 EUR\n" in manager.text
    await manager.tap("1️⃣ First hour")
    await manager.tap("✖️ No first-hour price")
    assert "First hour: none\n" in manager.text
    await manager.tap("✖️ Remove Sat–Sun")
    assert "No night or weekend rates.\n" in manager.text
    assert manager.layout == [*DRAFT_BUTTONS, ["💾 Save as version 2"], ["🗑 Discard"]]
    await manager.tap("🗓 Add a weekend rate")
    await manager.send("1")
    await manager.tap("🗑 Discard")
    assert manager.text == (
        "💶 <b>Prices at Central Garage</b> · version 1\n"
        "Base: 2.50 EUR/h\nFirst hour: none\nDaily cap: none\nNo night or weekend rates.\n\n" + SAMPLES_PLAIN
    )
    assert not [e for e in await _audit(services) if e.action == "prices.set"]


async def test_an_attendant_has_no_prices_and_a_forged_button_is_refused(services: Services) -> None:
    premise_id = await add_premise(services, "Central Garage", north_m=222, price=250)
    attendant = await _staff(services, premise_id, ATTENDANT, StaffRole.ATTENDANT)
    await attendant.tap("Central Garage · attendant")
    assert attendant.layout == [["🔌 Blockers"], ["⬅️ Back"]]
    intent = _data(attendant, "⬅️ Back").partition("\x1d")[0]
    await attendant.tap_outside_dialogs(f"{intent}\x1dsection:{premise_id}:prices")
    assert attendant.bot.alerts() == ["You do not have access to this."]
    assert attendant.text == "🅿️ <b>Central Garage</b> · code <code>1042</code>\nYour role: attendant"
    refused = [(e.premise_id, e.action) for e in await _audit(services) if e.outcome is AuditOutcome.REFUSED]
    assert refused == [(premise_id, "prices.view")]


async def test_the_owner_has_prices_too(services: Services) -> None:
    await add_premise(services, "Central Garage", north_m=222, price=250)
    await services.admin.add_owner(OWNER)
    owner = Driver(services, OWNER)
    await owner.send("/admin")
    await owner.tap("Central Garage · owner")
    assert owner.layout == [
        ["🏢 Details"],
        ["🅿️ Spots"],
        ["🔌 Blockers"],
        ["👥 Staff"],
        ["💶 Prices"],
        ["🧾 Operator & VAT"],
        ["📜 Audit log"],
        ["⬅️ Back"],
    ]
    await owner.tap("💶 Prices")
    assert owner.text.startswith("💶 <b>Prices at Central Garage</b> · version 1\n")


async def test_the_prices_screen_in_ukrainian(services: Services) -> None:
    premise_id = await add_premise(services, "Central Garage", north_m=222, price=250)
    await services.users.telegram_caller(MANAGER, name="Mira", language="uk")
    manager = await _staff(services, premise_id, MANAGER, StaffRole.MANAGER)
    await manager.tap("Central Garage · менеджер")
    await manager.tap("💶 Ціни")
    await manager.tap("✏️ Змінити ціни")
    for rate in ("22:00-07:00 1", "07:00-09:00 3"):
        await manager.tap("🌙 Додати нічний тариф")
        await manager.send(rate)
    assert manager.text.startswith(
        "✏️ <b>Нові ціни для Central Garage</b> · чернетка версії 2\n"
        "Базова: 2.50 EUR/год\nПерша година: немає\nДобовий ліміт: немає\n"
        "2 особливі тарифи:\n• 22:00–07:00: 1.00 EUR/год\n• 07:00–09:00: 3.00 EUR/год\n\n"
        "<b>Приклади стоянок</b>\n"
        "• 1 год, починаючи зараз, Сб 21 лист 11:00–12:00: <b>2.50 EUR</b> (2.50 EUR/год)\n"
    )
    assert manager.layout[-2:] == [["💾 Зберегти як версію 2"], ["🗑 Скасувати зміни"]]
