"""The console's "⭐ Reviews" as a manager sees it: the entry on the first screen with how many
wait, one review at a time (stars, text, car park, booking, date), approve (published, the
driver told), reject with a preset or a typed reason; none of it for an attendant. And the
buttons under a blocker incident's alert, tapped in the chat: answered with what happened, a
forged one refused."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from bot.context import Services
from core.clock import ManualClock
from core.models import (
    AuditEntry,
    AuditOutcome,
    Blocker,
    BlockerIncident,
    BlockerState,
    Notification,
    Reservation,
    Review,
    ReviewStatus,
    Spot,
    StaffRole,
)
from core.services import booking
from tests.bot.dialog_support import Driver
from tests.factories import make_premise, make_review, make_user

OWNER, MANAGER, ATTENDANT, STRANGER = 9001, 9002, 9004, 9005


async def _setup(services: Services, clock: ManualClock) -> tuple[int, int, list[int]]:
    """Alpha Garage (A1, A2) with a manager and an attendant, a driver's booking on A1, and two
    pending reviews of Alpha (plus one of Beta, which Alpha's manager does not moderate)."""
    async with services.db.transaction() as s:
        alpha = await make_premise(s, name="Alpha Garage", spots=2, now=clock.now())
        beta = await make_premise(s, name="Beta")
        driver = await make_user(s, name="Olena Shevchenko")
        r = await booking.hold(
            s,
            user_id=driver.id,
            premise_id=alpha.id,
            starts_at=clock.now() + timedelta(hours=2),
            minutes=120,
            now=clock.now(),
            hold_minutes=60,
        )
        reviews = [
            await make_review(
                s,
                user_id=driver.id,
                premise_id=alpha.id,
                rating=4,
                text="Easy to find",
                reservation_id=r.id,
                created_at=clock.now(),
            ),
            await make_review(
                s,
                user_id=driver.id,
                premise_id=alpha.id,
                rating=1,
                text="Buy cheap watches",
                created_at=clock.now(),
            ),
        ]
        await make_review(s, user_id=driver.id, premise_id=beta.id, rating=5)
        ids = alpha.id, r.id, [x.id for x in reviews]
    await services.admin.add_owner(OWNER)
    owner = (await services.users.telegram_caller(OWNER, name="Owner", language="en")).user_id
    for telegram_id, role in ((MANAGER, StaffRole.MANAGER), (ATTENDANT, StaffRole.ATTENDANT)):
        user = (
            await services.users.telegram_caller(telegram_id, name=f"User_{telegram_id}", language="en")
        ).user_id
        invite = await services.admin.invite(owner, ids[0], role)
        await services.admin.accept_invite(user, invite.token)
    return ids


async def test_a_manager_approves_and_rejects_reviews(services: Services, clock: ManualClock) -> None:
    _premise, rid, reviews = await _setup(services, clock)
    manager = Driver(services, MANAGER)
    await manager.send("/admin")
    assert manager.layout == [
        ["📊 Now", "💶 Revenue"],
        ["📋 Bookings", "⭐ Reviews (2 waiting)"],
        ["Alpha Garage · manager"],
        ["ℹ️ What I can do", "🏠 Menu"],
    ]
    await manager.tap("⭐ Reviews (2 waiting)")
    assert manager.text == (
        "⭐ <b>Review 1 of 2</b> waiting for moderation\n"
        f"⭐⭐⭐⭐☆ (4/5) · Alpha Garage · booking #{rid} · 21 Nov 11:00\n"
        "«Easy to find»\n"
        "— Olena Shevchenko"
    )
    assert manager.layout == [["✅ Approve", "❌ Reject"], ["⏭ Next review"], ["⬅️ Back"]]
    await manager.tap("⏭ Next review")
    assert manager.text.startswith("⭐ <b>Review 2 of 2</b>")
    assert "«Buy cheap watches»" in manager.text
    await manager.tap("❌ Reject")
    assert manager.text == (
        f"❌ Why is review #{reviews[1]} rejected? Pick a reason or type one (the driver is not told):"
    )
    presets = ["Spam or advertising", "Offensive language", "Not about this car park", "Personal data"]
    assert manager.layout == [[preset] for preset in presets] + [["⬅️ Back"]]
    await manager.tap("Spam or advertising")
    assert manager.text.startswith("❌ Review rejected.\n\n⭐ <b>Review 1 of 1</b>")
    await manager.tap("✅ Approve")
    assert manager.text == "⭐ <b>Reviews</b>\nNo reviews are waiting for moderation."
    assert manager.layout == [["⬅️ Back"]]
    async with services.db.read() as s:
        decided = {r.id: (r.status, r.is_approved, r.reject_reason) for r in await s.scalars(select(Review))}
        published = list(
            await s.scalars(select(Notification.payload).where(Notification.kind == "review_published"))
        )
    assert decided[reviews[0]] == (ReviewStatus.APPROVED, True, None)
    assert decided[reviews[1]] == (ReviewStatus.REJECTED, False, "Spam or advertising")
    assert [p["review_id"] for p in published] == [reviews[0]]


async def test_a_typed_reason_and_an_attendant_who_sees_no_reviews(
    services: Services, clock: ManualClock
) -> None:
    _premise, _rid, reviews = await _setup(services, clock)
    manager = Driver(services, MANAGER)
    await manager.send("/admin")
    await manager.tap("⭐ Reviews (2 waiting)")
    await manager.tap("❌ Reject")
    await manager.send("   ")
    assert manager.text.startswith("⚠️ This review cannot be decided")
    await manager.send("Names a member of staff")
    assert manager.text.startswith("❌ Review rejected.\n\n⭐ <b>Review 1 of 1</b>")
    attendant = Driver(services, ATTENDANT)
    await attendant.send("/admin")
    # No Reviews (nor Revenue) for an attendant.
    assert attendant.layout == [
        ["📊 Now"],
        ["📋 Bookings"],
        ["Alpha Garage · attendant"],
        ["ℹ️ What I can do", "🏠 Menu"],
    ]
    async with services.db.read() as s:
        statuses = {r.id: (r.status, r.reject_reason) for r in await s.scalars(select(Review))}
    assert statuses[reviews[0]] == (ReviewStatus.REJECTED, "Names a member of staff")
    assert statuses[reviews[1]] == (ReviewStatus.PENDING, None)


async def test_incident_buttons_in_the_chat(services: Services, clock: ManualClock) -> None:
    premise, rid, _ = await _setup(services, clock)
    async with services.db.transaction() as s:
        a1 = await s.scalar(select(Reservation.spot_id).where(Reservation.id == rid))
        s.add(Blocker(id="BLK-A1", spot_id=a1, online=True, state=BlockerState.RAISED, state_ts=clock.now()))
    async with services.db.transaction() as s:
        await s.execute(update(Blocker).values(state=BlockerState.FAULT))
    await services.incidents.settle("BLK-A1")
    async with services.db.read() as s:
        incident = await s.scalar(select(BlockerIncident.id))
        a2 = await s.scalar(select(Spot.id).where(Spot.premise_id == premise, Spot.label == "A2"))
    attendant = Driver(services, ATTENDANT)
    await attendant.tap_outside_dialogs(f"inc:refund:{incident}")
    assert attendant.bot.alerts()[-1] == "You do not have access to this."
    await attendant.tap_outside_dialogs(f"inc:move:{incident}")
    assert attendant.bot.alerts()[-1] == f"1 booking moved: #{rid} → A2."
    await attendant.tap_outside_dialogs(f"inc:ack:{incident}")
    assert attendant.bot.alerts()[-1] == "✔️ Acknowledged. The others see it on the alert."
    manager = Driver(services, MANAGER)
    await manager.tap_outside_dialogs(f"inc:ack:{incident}")
    assert manager.bot.alerts()[-1] == "Already acknowledged by User_9004 at 11:00."
    # Test blocker: this chat's service runs without MQTT, which the answer says.
    await attendant.tap_outside_dialogs(f"inc:test:{incident}")
    assert attendant.bot.texts()[-1] == "Blockers are not connected (MQTT is off), so no command can be sent."
    stranger = Driver(services, STRANGER)
    await services.users.telegram_caller(STRANGER, name="Stranger", language="en")
    await stranger.tap_outside_dialogs(f"inc:move:{incident}")
    assert stranger.bot.alerts()[-1] == "You do not have access to this."
    async with services.db.read() as s:
        assert await s.scalar(select(Reservation.spot_id).where(Reservation.id == rid)) == a2
        refused = list(
            await s.scalars(
                select(AuditEntry.action)
                .where(AuditEntry.outcome == AuditOutcome.REFUSED)
                .order_by(AuditEntry.id)
            )
        )
    assert refused == ["incident.refund", "blocker.test", "incident.move"]
