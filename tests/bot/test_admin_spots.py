"""The console's Spots section as a manager sees it: the list, adding by range (and what is
refused), a spot's screen, renaming, closing with a reason and a reopen time, the bookings on
the closed spot moved or cancelled with a refund, reopening; hidden from an attendant, whose
forged buttons are refused and audited."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.context import Services
from bot.notifications import render
from core.clock import ManualClock
from core.models import AuditEntry, AuditOutcome, Notification, Spot, StaffRole, WalletTxKind
from core.services import booking, wallet
from core.services import payments as pay_rules
from tests.bot.dialog_support import Driver, rows
from tests.factories import make_premise, make_user

OWNER, MANAGER, ATTENDANT = 9001, 9002, 9004


async def _setup(services: Services, clock: ManualClock) -> tuple[int, int]:
    """Alpha Garage (A1, A2), a manager and an attendant there; a driver's paid booking on A1."""
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
    async with services.db.transaction() as s:
        r = await booking.hold(
            s,
            user_id=driver_id,
            premise_id=premise_id,
            starts_at=clock.now() + timedelta(hours=2),
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
    return premise_id, rid


async def _console(services: Services, telegram_id: int, role: str) -> Driver:
    who = Driver(services, telegram_id)
    await who.send("/admin")
    await who.tap(f"Alpha Garage · {role}")
    return who


async def test_a_manager_adds_renames_closes_and_moves_and_cancels_bookings(
    services: Services, clock: ManualClock
) -> None:
    _premise_id, rid = await _setup(services, clock)
    manager = await _console(services, MANAGER, "manager")
    assert manager.layout == [
        ["🏢 Details"], ["🅿️ Spots"], ["🔌 Blockers"], ["👥 Staff"], ["💶 Prices"], ["🧾 Operator & VAT"],
        ["📜 Audit log"], ["⬅️ Back"],
    ]  # fmt: skip
    await manager.tap("🅿️ Spots")
    assert manager.text == "🅿️ <b>Spots of Alpha Garage</b>\n2 spots"
    assert manager.layout == [["A1", "A2"], ["➕ Add spots"], ["⬅️ Back"]]

    await manager.tap("➕ Add spots")
    assert manager.text.startswith("➕ Type the spots to add: one label like <code>B7</code>")
    await manager.send("A2-A4")
    assert manager.text.startswith("⚠️ This car park has these spots already: A2.\n\n➕ Type the spots")
    await manager.send("B1-B600")
    assert manager.text.startswith("⚠️ At most 500 spots at once.\n\n")
    await manager.send("B1-B3, C7")
    assert manager.text == "✅ 4 spots added.\n\n🅿️ <b>Spots of Alpha Garage</b>\n6 spots"
    assert manager.layout == [["A1", "A2", "B1", "B2"], ["B3", "C7"], ["➕ Add spots"], ["⬅️ Back"]]

    await manager.tap("C7")
    assert manager.text == "🅿️ Spot <b>C7</b> at Alpha Garage\n✅ open"
    assert manager.layout == [["✏️ Rename", "⛔ Close"], ["⬅️ Back"]]
    await manager.tap("✏️ Rename")
    assert manager.text == "✏️ Type the spot's new label:"
    await manager.send("C8")
    assert manager.text == "🅿️ Spot <b>C8</b> at Alpha Garage\n✅ open"
    await manager.tap("⬅️ Back")

    # Closing A1, which has a booking: the reason, then the reopen time.
    await manager.tap("A1")
    await manager.tap("⛔ Close")
    assert manager.text.startswith("⛔ Why is the spot closed?")
    await manager.send("Painting the lines")
    assert manager.text.startswith("🕒 Until when?")
    assert manager.layout == [["♾ Until I reopen it"], ["⬅️ Back"]]
    await manager.send("tomorrow")
    assert manager.text.startswith("⚠️ Type the time like 2026-12-01 18:00.\n\n🕒 Until when?")
    await manager.send("2026-11-22 18:00")  # Kyiv time
    assert manager.text == (
        "⛔ Spot A1 is closed. 1 booking is on it: move it or cancel it.\n\n"
        "📋 <b>Bookings on closed spot A1</b>\n1 booking:\n"
        f"• #{rid} Olena, Sat 21 Nov 13:00–15:00 (✅ confirmed)"
    )
    assert manager.layout == [[f"🔀 Move #{rid}", f"✖️ Cancel & refund #{rid}"], ["⬅️ Back"]]
    await manager.tap(f"🔀 Move #{rid}")
    assert manager.bot.alerts()[-1] == f"Booking #{rid} is moved to spot A2. The driver is told."
    assert manager.text == (
        "📋 <b>Bookings on closed spot A1</b>\nNone left: every booking is moved or cancelled."
    )
    assert manager.layout == [["⬅️ Back"]]
    async with services.db.read() as s:
        note = await s.scalar(select(Notification).where(Notification.kind == "booking_moved"))
        assert note is not None
    async with services.db.read() as s:
        rendered = await render(s, note, "en")
    assert rendered.text == (
        f"🔀 Spot A1 at Alpha Garage is closed (Painting the lines). Your booking #{rid} "
        "(Sat 21 Nov 13:00–15:00) is moved to spot <b>A2</b>; nothing else changes."
    )

    await manager.tap("⬅️ Back")
    assert (
        manager.text == "🅿️ Spot <b>A1</b> at Alpha Garage\n⛔ closed (Painting the lines) until 22 Nov 18:00"
    )
    assert manager.layout == [["✏️ Rename", "✅ Reopen"], ["⬅️ Back"]]
    await manager.tap("⬅️ Back")
    assert manager.text == (
        "🅿️ <b>Spots of Alpha Garage</b>\n6 spots, 1 closed:\n"
        "• A1: ⛔ closed (Painting the lines) until 22 Nov 18:00"
    )
    assert manager.layout[0] == ["⛔ A1", "A2", "B1", "B2"]

    # A2 (where the booking is now) closed until reopened: nowhere to move it, so cancel it.
    await manager.tap("A2")
    await manager.tap("⛔ Close")
    await manager.send("Flooded")
    await manager.tap("♾ Until I reopen it")
    assert manager.text.startswith("⛔ Spot A2 is closed. 1 booking is on it")
    await manager.tap(f"✖️ Cancel & refund #{rid}")
    assert manager.bot.alerts()[-1] == f"Booking #{rid} is cancelled, 4.00 EUR refunded. The driver is told."
    async with services.db.read() as s:
        cancelled = await s.scalar(select(Notification).where(Notification.kind == "booking_cancelled"))
        assert cancelled is not None
        told = await render(s, cancelled, "en")
    assert told.text == (
        f"✖️ Spot A2 at Alpha Garage is closed (Flooded), so booking #{rid} (Sat 21 Nov 13:00–15:00) "
        "is cancelled. 4.00 EUR is back in your wallet."
    )
    assert manager.layout == [["⬅️ Back"]]
    await manager.tap("⬅️ Back")
    await manager.tap("✅ Reopen")
    assert manager.bot.callback_answers()[-1].text == "Spot A2 is open again."
    assert manager.text == "🅿️ Spot <b>A2</b> at Alpha Garage\n✅ open"
    await manager.tap("⬅️ Back")
    await manager.tap("⬅️ Back")
    assert manager.text == "🅿️ <b>Alpha Garage</b> · code <code>1042</code>\nYour role: manager"

    async with services.db.read() as s:
        actions = [
            (e.action, e.outcome)
            for e in await s.scalars(
                select(AuditEntry).where(AuditEntry.action.like("spot.%")).order_by(AuditEntry.id)
            )
        ]
    assert actions == [
        ("spot.add", AuditOutcome.REFUSED),
        ("spot.add", AuditOutcome.REFUSED),
        ("spot.add", AuditOutcome.OK),
        ("spot.rename", AuditOutcome.OK),
        ("spot.close", AuditOutcome.OK),
        ("spot.move_booking", AuditOutcome.OK),
        ("spot.close", AuditOutcome.OK),
        ("spot.cancel_booking", AuditOutcome.OK),
        ("spot.reopen", AuditOutcome.OK),
    ]


async def test_an_attendant_has_no_spots_and_forged_buttons_are_refused(
    services: Services, clock: ManualClock
) -> None:
    premise_id, _rid = await _setup(services, clock)
    attendant = await _console(services, ATTENDANT, "attendant")
    assert attendant.layout == [["🔌 Blockers"], ["⬅️ Back"]]
    intent = next(b.callback_data or "" for row in rows(attendant.screen) for b in row).partition("\x1d")[0]
    await attendant.tap_outside_dialogs(f"{intent}\x1dsection:{premise_id}:spots")
    assert attendant.bot.alerts() == ["You do not have access to this."]
    async with services.db.read() as s:
        refused = [
            (e.action, e.detail)
            for e in await s.scalars(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.REFUSED))
        ]
        spots = list(await s.scalars(select(Spot.label).where(Spot.premise_id == premise_id)))
    assert refused == [("spot.list", "not_permitted")]
    assert spots == ["A1", "A2"]
