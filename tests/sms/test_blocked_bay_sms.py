"""A blocked bay for a driver with only a phone (issue 16 item 2 by SMS): LOWER on a bay with an
obstacle, a car or a blocker that is down answers with the offer, "Reply MOVE for spot A2 or
REFUND"; MOVE and REFUND call the same use cases as the Telegram buttons "Move me" and
"Refund me"; the sweep's text for a car on the bay offers the same verbs; without an offer both
get a reply saying so. Driven as the webhook does: `parse` the body, `SmsCommands.handle`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from core.blockers import CommandStatus
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.models import (
    Blocker,
    BlockerState,
    Notification,
    Reservation,
    ReservationStatus,
    Spot,
    User,
    WalletTransaction,
    WalletTxKind,
)
from core.notifications import NotificationKind
from core.services import blocked_bay, booking
from core.services.blocked_bay import Reason, credit_key
from core.usecases.arrival import ArrivalUseCases
from core.usecases.blocked_bay import BlockedBayUseCases
from core.usecases.booking import BookingUseCases
from core.usecases.sms import SmsUseCases, Texter
from core.usecases.wallet import WalletUseCases
from sms.commands import parse
from sms.inbound import SmsCommands
from sms.render import render
from tests.factories import make_premise
from tests.fakes.blockers import FakeBlockers
from tests.sms.test_sms_stack import PHONE, Stack, stack  # noqa: F401 (the fixture)
from tests.usecases.support import Place, balance, paid_from_wallet, reservation

UA_PHONE = "+380501234567"  # Ukrainian


@dataclass
class Phone:
    """A driver's phone texting the service, and the car park's two spots."""

    db: Database
    commands: SmsCommands
    who: Texter
    place: Place
    other_spot: int

    async def text(self, body: str) -> list[str]:
        return await self.commands.handle(self.who, parse(body))


async def _phone(
    db: Database, clock: ManualClock, blockers: FakeBlockers, *, phone: str = PHONE, spots: int = 2
) -> Phone:
    """A car park of `spots` spots at 2.00 EUR an hour (Kyiv time), an online raised blocker on
    each, and the SMS user of `phone` (made by its first message, as the webhook does)."""
    settings = Settings(_env_file=None, bot_token="1:x", currency="EUR", timezone="Europe/Kyiv")
    sms = SmsUseCases(db, clock)
    who = await sms.receive(f"SM{phone[1:]}", phone)
    assert who is not None and who.told_by_sms
    async with db.transaction() as s:
        premise = await make_premise(s, spots=spots, price_per_hour=200, now=clock.now())
        ids = list(await s.scalars(select(Spot.id).where(Spot.premise_id == premise.id).order_by(Spot.id)))
        s.add_all(
            Blocker(id=f"B{i}", spot_id=spot_id, online=True, state=BlockerState.RAISED, battery=90)
            for i, spot_id in enumerate(ids, 1)
        )
    commands = SmsCommands(
        bookings=BookingUseCases(db, clock, settings),
        wallet=WalletUseCases(db, clock, settings),
        payments=None,
        arrival=ArrivalUseCases(db, blockers, clock, early_minutes=15, ack_timeout=1),
        clock=clock,
        hold_minutes=10,
        sms=sms,
        blocked_bay=BlockedBayUseCases(db, clock, early_minutes=15),
    )
    return Phone(db, commands, who, Place(who.user_id, premise.id, ids[0]), ids[-1])


async def _refunds(db: Database, user_id: int) -> list[tuple[int, str]]:
    async with db.read() as s:
        rows = await s.execute(
            select(WalletTransaction.amount, WalletTransaction.reference).where(
                WalletTransaction.user_id == user_id, WalletTransaction.kind == WalletTxKind.REFUND
            )
        )
        return [(a, ref) for a, ref in rows.tuples()]


async def test_an_obstacle_at_lower_offers_move_and_move_moves_the_booking(
    db: Database, clock: ManualClock
) -> None:
    blockers = FakeBlockers(CommandStatus.OBSTACLE, CommandStatus.OBSTACLE)
    p = await _phone(db, clock, blockers)
    rid = await paid_from_wallet(db, clock, p.place, clock.now(), 120)  # 11:00-13:00 Kyiv, 4.00 EUR
    offer = (
        "Spot A1 is blocked: something is in the way of the blocker. Reply MOVE for spot A2 (same "
        "time and price) or REFUND for a full refund of 4.00 EUR. Staff are alerted."
    )
    assert await p.text("LOWER") == [offer]
    # Texted again (bags still there): the offer again, never "try again" alone.
    assert await p.text("lower") == [offer]

    assert await p.text(" move ") == [
        f"Moved: booking #{rid} is now on spot A2, 11:00-13:00, same price. 2.00 EUR is in your "
        "wallet for the trouble. At the spot reply LOWER."
    ]
    moved = await reservation(db, rid)
    assert (moved.spot_id, moved.status, moved.price) == (p.other_spot, ReservationStatus.CONFIRMED, 400)
    async with db.read() as s:
        credits = list(
            await s.scalars(
                select(WalletTransaction.amount).where(WalletTransaction.reference == credit_key(rid))
            )
        )
    assert credits == [200] and await balance(db, p.place.user_id) == 200
    # Again: the first MOVE's outcome, no second credit; REFUND has nothing to refund now.
    assert await p.text("MOVE") == ["Your booking was moved already: spot A2. At the spot reply LOWER."]
    assert await p.text("REFUND") == [
        "Nothing to move or refund: MOVE and REFUND answer our offer for a blocked spot. Reply STATUS "
        "to see your booking."
    ]
    assert await balance(db, p.place.user_id) == 200
    assert (await reservation(db, rid)).status is ReservationStatus.CONFIRMED
    # At the new spot, LOWER lowers its blocker.
    assert await p.text("LOWER") == ["Blocker down at spot A2: park now. Until 13:00."]
    assert blockers.sent[-1] == ("B2", "lower", rid)


async def test_a_blocker_that_is_down_offers_only_refund_without_a_free_spot_and_refund_refunds_in_full(
    db: Database, clock: ManualClock
) -> None:
    blockers = FakeBlockers()
    p = await _phone(db, clock, blockers, spots=1)
    rid = await paid_from_wallet(db, clock, p.place, clock.now(), 120)
    async with db.transaction() as s:
        await s.execute(update(Blocker).values(online=False))
    offer = (
        "Spot A1 is blocked: its blocker is out of order. No other spot here is free. Reply REFUND "
        "for a full refund of 4.00 EUR. Staff are alerted."
    )
    assert await p.text("LOWER") == [offer]
    assert blockers.sent == []  # the blocker is offline: nothing was sent
    assert await p.text("LOWER") == [offer]  # every time, not once
    assert await p.text("MOVE") == ["No other spot is free now. Reply REFUND for a full refund."]
    assert (await reservation(db, rid)).spot_id == p.place.spot_id

    clock.advance(timedelta(minutes=10))  # started: an ordinary cancel is refused by now
    assert await p.text("Refund") == [
        f"Booking #{rid} is cancelled: the spot was blocked. 4.00 EUR is back in your wallet."
    ]
    refunded = await reservation(db, rid)
    assert refunded.status is ReservationStatus.CANCELLED and refunded.bay_blocked_reason == "blocker_down"
    assert [a for a, _ in await _refunds(db, p.place.user_id)] == [400]
    assert await balance(db, p.place.user_id) == 400
    # Once: a second REFUND finds no offer and gives nothing more.
    assert await p.text("REFUND") == [
        "Nothing to move or refund: MOVE and REFUND answer our offer for a blocked spot. Reply STATUS "
        "to see your booking."
    ]
    assert [a for a, _ in await _refunds(db, p.place.user_id)] == [400]
    assert await balance(db, p.place.user_id) == 400


async def test_a_car_on_the_bay_is_texted_with_move_and_refund_in_ukrainian(
    db: Database, clock: ManualClock
) -> None:
    p = await _phone(db, clock, FakeBlockers(), phone=UA_PHONE)
    assert p.who.lang == "uk"
    rid = await paid_from_wallet(db, clock, p.place, clock.now() + timedelta(minutes=10), 120)
    async with db.transaction() as s:
        await s.execute(update(Blocker).where(Blocker.spot_id == p.place.spot_id).values(car_present=True))
    assert await BlockedBayUseCases(db, clock, early_minutes=15).offer_car_present() == 1
    async with db.read() as s:
        note = (
            await s.scalars(select(Notification).where(Notification.kind == NotificationKind.BAY_BLOCKED))
        ).one()
        text = await render(s, note, "uk")
    assert text == (
        "Місце A1 (Test Garage) заблоковане: там стоїть інше авто. MOVE — перейти на A2, "
        "REFUND — повернути 4.00 EUR."
    )
    async with db.read() as s:
        assert await render(s, note, "en") == (
            f"Spot A1 at Test Garage is blocked (booking #{rid}): another car is parked there. Reply "
            "MOVE for spot A2 (same time and price) or REFUND for a full refund of 4.00 EUR. Staff "
            "are alerted."
        )
    assert await p.text("MOVE") == [
        f"Бронювання №{rid} тепер на місці A2, 11:10–13:10. 2.00 EUR — у гаманці за незручність. "
        "На місці: LOWER."
    ]
    assert (await reservation(db, rid)).spot_id == p.other_spot
    # Sent after the move (the outbox was slow): no stale offer.
    async with db.read() as s:
        assert await render(s, note, "en") == (
            f"Booking #{rid} at Test Garage was moved, refunded or entered already: nothing left to "
            "choose. Reply STATUS to see it."
        )


async def test_lower_on_a_bay_with_a_car_found_by_the_sweep_answers_with_that_offer(
    db: Database, clock: ManualClock
) -> None:
    """The sweep found a car on the bay and texted the offer; the driver texts LOWER anyway and
    the device does not answer: the offer still stands, and is the answer."""
    blockers = FakeBlockers(CommandStatus.TIMEOUT)
    p = await _phone(db, clock, blockers)
    rid = await paid_from_wallet(db, clock, p.place, clock.now(), 120)
    async with db.transaction() as s:
        await s.execute(update(Blocker).where(Blocker.spot_id == p.place.spot_id).values(car_present=True))
    assert await BlockedBayUseCases(db, clock, early_minutes=15).offer_car_present() == 1
    assert await p.text("LOWER") == [
        "Spot A1 is blocked: another car is parked there. Reply MOVE for spot A2 (same time and "
        "price) or REFUND for a full refund of 4.00 EUR. Staff are alerted."
    ]
    assert blockers.sent == [("B1", "lower", rid)]
    assert await p.text("REFUND") == [
        f"Booking #{rid} is cancelled: the spot was blocked. 4.00 EUR is back in your wallet."
    ]
    assert (await reservation(db, rid)).status is ReservationStatus.CANCELLED
    assert [a for a, _ in await _refunds(db, p.place.user_id)] == [400]


async def test_move_and_refund_without_an_offer_are_told_so_and_change_nothing(
    db: Database, clock: ManualClock
) -> None:
    p = await _phone(db, clock, FakeBlockers())
    none = (
        "Nothing to move or refund: MOVE and REFUND answer our offer for a blocked spot. Reply STATUS "
        "to see your booking."
    )
    assert await p.text("MOVE") == [none]  # no booking at all
    rid = await paid_from_wallet(db, clock, p.place, clock.now() + timedelta(hours=1), 60)
    before = await balance(db, p.place.user_id)
    assert await p.text("MOVE") == [none]
    assert await p.text("REFUND") == [none]
    r = await reservation(db, rid)
    assert (r.status, r.spot_id, r.bay_blocked_at) == (ReservationStatus.CONFIRMED, p.place.spot_id, None)
    assert await balance(db, p.place.user_id) == before and await _refunds(db, p.place.user_id) == []
    async with db.read() as s:
        assert (
            await s.scalar(select(Reservation.id).where(Reservation.status != ReservationStatus.CONFIRMED))
            is None
        )


async def test_through_the_webhook_the_offer_is_texted_and_refund_answers_it(stack: Stack) -> None:  # noqa: F811
    """The running service: the offer goes out by SMS through Twilio, and REFUND texted to the
    webhook reaches the blocked bay use case (wired in service.App)."""
    e2e, tw = stack.e2e, stack.twilio
    assert (await tw.text(PHONE, "STATUS")).messages[0].startswith("You have no booking now")
    async with e2e.db.read() as s:
        user_id = (await s.scalars(select(User.id).where(User.phone == PHONE))).one()
    rid = await paid_from_wallet(e2e.db, e2e.clock, Place(user_id, e2e.premise_id, 0), e2e.clock.now(), 120)
    async with e2e.db.transaction() as s:
        r = await booking.lock_owned(s, rid)
        await blocked_bay.mark_blocked(
            s, r, Reason.CAR_PRESENT, e2e.clock.now(), blocker_id=None, notify=True
        )
    await stack.sms_out()
    offer = await tw.wait_for(PHONE, "is blocked")
    assert offer == (
        f"Spot A1 at Central Garage is blocked (booking #{rid}): another car is parked there. Reply "
        "MOVE for spot A2 (same time and price) or REFUND for a full refund of 5.00 EUR. Staff are "
        "alerted."
    )
    reply = await tw.text(PHONE, "REFUND")
    assert reply.messages == [
        f"Booking #{rid} is cancelled: the spot was blocked. 5.00 EUR is back in your wallet."
    ]
    assert (await reservation(e2e.db, rid)).status is ReservationStatus.CANCELLED
    assert [a for a, _ in await _refunds(e2e.db, user_id)] == [500]
    assert (await tw.text(PHONE, "move")).messages == [
        "Nothing to move or refund: MOVE and REFUND answer our offer for a blocked spot. Reply STATUS "
        "to see your booking."
    ]
