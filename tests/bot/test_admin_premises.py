"""The console's Premises section as a manager sees it: the premise's details with its short
code, editing a field (a bad value is a hint on the same screen), deactivating with the
future bookings listed (one kept, one cancelled with a full refund) and reactivating; hidden
from an attendant, whose forged tap is refused."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.context import Services
from core.clock import ManualClock
from core.models import (
    AuditEntry,
    AuditOutcome,
    Premise,
    Reservation,
    ReservationStatus,
    StaffRole,
    WalletTxKind,
)
from core.services import booking, wallet
from core.services import payments as pay_rules
from tests.bot.dialog_support import Driver
from tests.factories import make_premise, make_user

OWNER, MANAGER, ATTENDANT = 9001, 9002, 9004


async def _setup(services: Services, clock: ManualClock) -> tuple[int, list[int]]:
    """Alpha Garage (A1, A2), a manager and an attendant there; two paid bookings."""
    async with services.db.transaction() as s:
        premise = await make_premise(s, name="Alpha Garage", spots=2, now=clock.now())
        driver = await make_user(s, name="Olena")
        premise_id, driver_id = premise.id, driver.id
    await services.admin.add_owner(OWNER)
    owner = (await services.users.telegram_caller(OWNER, name="Owner", language="en")).user_id
    for telegram_id, role in ((MANAGER, StaffRole.MANAGER), (ATTENDANT, StaffRole.ATTENDANT)):
        user = (
            await services.users.telegram_caller(telegram_id, name=f"User_{telegram_id}", language="en")
        ).user_id
        invite = await services.admin.invite(owner, premise_id, role)
        await services.admin.accept_invite(user, invite.token)
    rids = []
    for start_h in (2, 5):
        async with services.db.transaction() as s:
            r = await booking.hold(
                s,
                user_id=driver_id,
                premise_id=premise_id,
                starts_at=clock.now() + timedelta(hours=start_h),
                minutes=120,
                now=clock.now(),
                hold_minutes=10,
            )
            rid = r.id
            await wallet.credit(
                s, driver_id, r.price, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=clock.now()
            )
        async with services.db.transaction() as s:
            await pay_rules.pay_booking_with_wallet(s, reservation_id=rid, user_id=driver_id, now=clock.now())
        rids.append(rid)
    return premise_id, rids


async def test_a_manager_edits_deactivates_and_reactivates_the_car_park(
    services: Services, clock: ManualClock
) -> None:
    premise_id, rids = await _setup(services, clock)
    async with services.db.read() as s:
        code = await s.scalar(select(Premise.code).where(Premise.id == premise_id))
    assert code is not None and len(code) == 4
    manager = Driver(services, MANAGER)
    await manager.send("/admin")
    await manager.tap("Alpha Garage · manager")
    await manager.tap("🏢 Details")
    assert manager.text == (
        f"🏢 <b>Alpha Garage</b> · code <code>{code}</code>\n"
        "📍 1 Test Street (50.45000, 30.52000)\n"
        "🕒 Europe/Kyiv · 💶 2.00 EUR/h\n"
        "🗓 24/7\n✨ —\n📝 —\n🖼 0 photos · 2 spots\n"
        "🅿️ Blocked-bay credit: one hour of the price plan\n✅ Offered to drivers"
    )
    assert manager.layout == [
        ["✏️ Name", "✏️ Address"],
        ["✏️ Time zone", "✏️ Currency"],
        ["✏️ Opening hours", "✏️ Description"],
        ["✏️ Blocked-bay credit", "✏️ Location"],
        ["✏️ Features", "✏️ Photos"],
        ["↩️ Refund unused time on early leave: on"],
        ["🚫 Refund released no-shows: off"],
        ["⛔ Deactivate"],
        ["⬅️ Back"],
    ]
    # Billing follows the car: the refunds are switched per car park, audited.
    await manager.tap("↩️ Refund unused time on early leave: on")
    await manager.tap("🚫 Refund released no-shows: off")
    assert manager.layout[5:7] == [
        ["↩️ Refund unused time on early leave: off"],
        ["🚫 Refund released no-shows: on"],
    ]
    async with services.db.read() as s:
        refunds = (
            await s.execute(
                select(Premise.refund_unused, Premise.refund_no_show).where(Premise.id == premise_id)
            )
        ).one()
        audited = list(await s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert tuple(refunds) == (False, True)
    assert audited[-2:] == ["premises.edit.refund_unused", "premises.edit.refund_no_show"]

    await manager.tap("✏️ Opening hours")
    assert manager.text == "✏️ Opening hours: now <code>24/7</code>\nType the new value:"
    await manager.send("whenever")
    assert manager.text.startswith(
        "⚠️ Type 24/7, or hours like Mo-Fr 07:00-21:00; Sa 08:00-14:00.\n\n✏️ Opening"
    )
    await manager.send("Mo-Su 06:00-23:00")
    assert "🗓 Mo-Su 06:00-23:00\n" in manager.text

    await manager.tap("⛔ Deactivate")
    assert manager.text == (
        "📋 <b>Future bookings at Alpha Garage</b> (deactivated)\n"
        "2 bookings. They stay unless you cancel them:\n"
        f"• #{rids[0]} Olena, Sat 21 Nov 13:00–15:00 (✅ confirmed)\n"
        f"• #{rids[1]} Olena, Sat 21 Nov 16:00–18:00 (✅ confirmed)"
    )
    assert manager.layout == [
        [f"✖️ Cancel & refund #{rids[0]}"],
        [f"✖️ Cancel & refund #{rids[1]}"],
        ["⬅️ Back"],
    ]
    await manager.tap(f"✖️ Cancel & refund #{rids[1]}")
    assert (
        manager.bot.alerts()[-1] == f"Booking #{rids[1]} is cancelled, 4.00 EUR refunded. The driver is told."
    )
    assert manager.layout == [[f"✖️ Cancel & refund #{rids[0]}"], ["⬅️ Back"]]
    await manager.tap("⬅️ Back")
    assert manager.text.endswith("⛔ Deactivated: not offered to drivers")
    assert manager.layout[-3:] == [["📋 Future bookings (1)"], ["✅ Reactivate"], ["⬅️ Back"]]
    async with services.db.read() as s:
        statuses = [(await s.get(Reservation, rid)).status for rid in rids]  # type: ignore[union-attr]
    assert statuses == [ReservationStatus.CONFIRMED, ReservationStatus.CANCELLED]

    await manager.tap("✅ Reactivate")
    assert manager.text.endswith("✅ Offered to drivers")
    await manager.tap("⬅️ Back")
    assert manager.layout[0] == ["🏢 Details"]


async def test_an_attendant_has_no_details_and_a_forged_tap_is_refused(
    services: Services, clock: ManualClock
) -> None:
    premise_id, _ = await _setup(services, clock)
    attendant = Driver(services, ATTENDANT)
    await attendant.send("/admin")
    await attendant.tap("Alpha Garage · attendant")
    assert ["🏢 Details"] not in attendant.layout
    async with services.db.read() as s:
        refused = list(await s.scalars(select(AuditEntry).where(AuditEntry.action == "premises.view")))
    assert refused == []
    # The use case refuses what the screen hides (and audits it).
    services_uc = services.premises_admin
    attendant_id = (await services.users.telegram_caller(ATTENDANT, name="A", language="en")).user_id
    try:
        await services_uc.deactivate(attendant_id, premise_id)
    except Exception as error:
        assert type(error).__name__ == "NotPermitted"
    async with services.db.read() as s:
        outcomes = list(
            await s.scalars(select(AuditEntry.outcome).where(AuditEntry.action == "premises.deactivate"))
        )
    assert outcomes == [AuditOutcome.REFUSED]


async def test_an_owner_creates_a_car_park_with_the_wizard(services: Services, clock: ManualClock) -> None:
    await _setup(services, clock)
    owner = Driver(services, OWNER)
    await owner.send("/admin")
    assert ["➕ New car park"] in owner.layout
    await owner.tap("➕ New car park")
    assert owner.text.startswith("📍 <b>New car park</b>: where is it?")
    await owner.send("somewhere")
    assert owner.text.startswith("⚠️ Send a location, or type coordinates like 50.45, 30.52.\n\n📍")
    await owner.send("48.2082, 16.3738")
    assert owner.text == "🏢 Its name, as drivers see it:"
    await owner.send("Ring Garage")
    await owner.send("Schottenring 1")
    assert owner.text.startswith("🕒 Its time zone, guessed from the location: <b>Europe/Vienna</b>.")
    await owner.tap("✅ Keep Europe/Vienna")
    assert owner.layout[0] == ["✅ Keep EUR"]
    await owner.send("euros")
    assert owner.text.startswith("⚠️ Type a three-letter currency code like EUR.")
    await owner.tap("✅ Keep EUR")
    await owner.send("0")
    assert owner.text.startswith("⚠️ Type a price above zero, like 2.50.")
    await owner.send("2.50")
    await owner.tap("🕛 24/7")
    await owner.tap("▫️ 📹 CCTV")
    await owner.tap("▫️ 🏠 Covered")
    await owner.tap("✅ 📹 CCTV")
    assert owner.layout[0] == ["✅ 🏠 Covered", "▫️ ⚡ EV charging"]
    await owner.tap("➡️ Next")
    await owner.tap("⏭ Skip")
    assert owner.text == "🖼 Send photos of the car park, or go on without."
    await owner.tap("➡️ Next")
    assert owner.text == (
        "🏢 <b>Ring Garage</b>\n📍 Schottenring 1 (48.20820, 16.37380)\n"
        "🕒 Europe/Vienna · 💶 2.50 EUR/h\n🗓 24/7\n✨ 🏠 Covered\n📝 —\n🖼 0 photos\n"
        "Create it? Add its spots in Spots afterwards."
    )
    await owner.tap("✅ Create")
    async with services.db.read() as s:
        made = await s.scalar(select(Premise).where(Premise.name == "Ring Garage"))
    assert made is not None and made.code is not None
    assert (made.timezone, made.currency, made.price_per_hour, made.features, made.is_active) == (
        "Europe/Vienna", "EUR", 250, ["covered"], True,
    )  # fmt: skip
    assert (
        owner.bot.alerts()[-1]
        == f"Ring Garage is created, code {made.code}. Find it in /admin to add its spots."
    )


async def test_a_manager_has_no_new_car_park_button(services: Services, clock: ManualClock) -> None:
    await _setup(services, clock)
    manager = Driver(services, MANAGER)
    await manager.send("/admin")
    assert ["➕ New car park"] not in manager.layout


async def test_the_wizard_s_examples_are_never_the_guess(services: Services, clock: ManualClock) -> None:
    await _setup(services, clock)
    owner = Driver(services, OWNER)
    await owner.send("/admin")
    await owner.tap("➕ New car park")
    await owner.send("50.45, 30.52")  # Kyiv: the time zone guessed is Europe/Kyiv
    await owner.send("Podil Garage")
    await owner.send("Kontraktova 1")
    assert owner.text == (
        "🕒 Its time zone, guessed from the location: <b>Europe/Kyiv</b>. "
        "Keep it or type another, like Europe/Warsaw."
    )
    await owner.tap("✅ Keep Europe/Kyiv")
    assert owner.text == "💶 Its currency: <b>EUR</b>. Keep it or type another three-letter code, like UAH."
    await owner.send("UAH")
    await owner.tap("⬅️ Back")  # the currency question again, now on UAH
    assert owner.text == "💶 Its currency: <b>UAH</b>. Keep it or type another three-letter code, like EUR."


async def test_a_manager_sets_the_blocked_bay_credit(services: Services, clock: ManualClock) -> None:
    """What a driver moved off a blocked bay gets: an amount, none, or one hour of the plan
    again; a typo is explained and changes nothing; each change is audited."""
    premise_id, _ = await _setup(services, clock)
    manager = Driver(services, MANAGER)
    await manager.send("/admin")
    await manager.tap("Alpha Garage · manager")
    await manager.tap("🏢 Details")
    await manager.tap("✏️ Blocked-bay credit")
    assert manager.text == (
        "🅿️ <b>Blocked-bay credit</b>: what a driver gets in the wallet when a car on their booked"
        " bay makes us move them. Now: <b>one hour of the price plan</b>.\n"
        "Type an amount in EUR like <code>5.00</code>, <code>0</code> for none, or <code>hour</code>"
        " for one hour of the booking's price plan:"
    )

    async def credit() -> int | None:
        async with services.db.read() as s:
            return await s.scalar(select(Premise.blocked_bay_credit).where(Premise.id == premise_id))

    await manager.send("five euros")
    assert manager.text.startswith("⚠️ Type an amount like 5.00, 0 for none, or hour.\n\n🅿️")
    assert await credit() is None
    await manager.send("3,50")
    assert "🅿️ Blocked-bay credit: 3.50 EUR\n" in manager.text
    assert await credit() == 350
    await manager.tap("✏️ Blocked-bay credit")
    await manager.send("0")
    assert "🅿️ Blocked-bay credit: none\n" in manager.text
    assert await credit() == 0
    await manager.tap("✏️ Blocked-bay credit")
    await manager.send("Hour")
    assert "🅿️ Blocked-bay credit: one hour of the price plan\n" in manager.text
    assert await credit() is None
    async with services.db.read() as s:
        audited = list(
            await s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.action == "premises.edit.blocked_bay_credit")
                .order_by(AuditEntry.id)
            )
        )
    assert len(audited) == 3
