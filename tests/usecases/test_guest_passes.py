"""Guest passes (issue 16) with the in-process fake blocker port: a guest lowers within the
booking's window through the owner's rules, is refused outside it and after revocation, sees
nothing of the owner, and a forged token gets the same answer as a lapsed one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.blockers import CommandStatus
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import CannotShare, InvalidGuestPass, NotFound
from core.models import Blocker, Channel, GuestPass, Notification, ReservationStatus, User
from core.usecases.arrival import ArrivalUseCases, LowerRefused
from core.usecases.booking import BookingUseCases
from core.usecases.guests import GuestUseCases
from tests.factories import make_user
from tests.fakes.blockers import FakeBlockers
from tests.usecases.support import BLOCKER, paid_from_wallet, place, reservation


def _arrival(db: Database, clock: ManualClock, blockers: FakeBlockers) -> ArrivalUseCases:
    return ArrivalUseCases(db, blockers, clock, early_minutes=15, ack_timeout=1)


async def _guest(db: Database) -> int:
    async with db.transaction() as s:
        return (await make_user(s, telegram_id=8001, name="Guest")).id


async def test_a_guest_lowers_within_the_window_and_raises_again(db: Database, clock: ManualClock) -> None:
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now() + timedelta(hours=1), 60)
    guest_id = await _guest(db)
    guests = GuestUseCases(db, clock)
    link = await guests.share(owner_id=p.user_id, reservation_id=rid)
    assert len(link.token) >= 24
    async with db.read() as s:
        stored = (await s.scalars(select(GuestPass))).one()
    assert stored.token_hash is not None and link.token not in stored.token_hash  # only the hash

    view = await guests.open(user_id=guest_id, token=link.token)
    assert (view.premise_name, view.spot, view.has_blocker) == ("Test Garage", "A1", True)
    blockers = FakeBlockers()
    uc = _arrival(db, clock, blockers)

    early = await uc.lower_for_guest(view.pass_id, guest_id)
    assert early.refused is LowerRefused.TOO_EARLY and blockers.sent == []

    clock.advance(timedelta(minutes=50))  # 10 minutes before the start: inside the window
    lowered = await uc.lower_for_guest(view.pass_id, guest_id)
    assert lowered.ok and blockers.sent == [(BLOCKER, "lower", rid)]
    assert (await reservation(db, rid)).status == ReservationStatus.ACTIVE  # the stay started

    async with db.transaction() as s:
        (await s.get_one(Blocker, BLOCKER)).car_present = True
    on_car = await uc.raise_for_guest(view.pass_id, guest_id)
    assert on_car.refused is LowerRefused.CAR_PRESENT and len(blockers.sent) == 1  # never onto a car
    async with db.transaction() as s:
        (await s.get_one(Blocker, BLOCKER)).car_present = False
    raised = await uc.raise_for_guest(view.pass_id, guest_id)
    assert raised.ok and blockers.sent[-1] == (BLOCKER, "raise", rid)

    clock.advance(timedelta(hours=2))  # the booking has ended: the pass opens nothing
    with pytest.raises(InvalidGuestPass):
        await uc.lower_for_guest(view.pass_id, guest_id)
    assert len(blockers.sent) == 2


async def test_a_revoked_pass_and_a_pass_bound_to_another_guest_open_nothing(
    db: Database, clock: ManualClock
) -> None:
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now() + timedelta(minutes=5), 60)
    guest_id = await _guest(db)
    async with db.transaction() as s:
        third_id = (await make_user(s, telegram_id=8002)).id
    guests = GuestUseCases(db, clock)
    link = await guests.share(owner_id=p.user_id, reservation_id=rid)
    view = await guests.open(user_id=guest_id, token=link.token)
    # A forwarded link: the first guest has it; a third person gets the one answer.
    with pytest.raises(InvalidGuestPass):
        await guests.open(user_id=third_id, token=link.token)
    with pytest.raises(InvalidGuestPass):
        await _arrival(db, clock, FakeBlockers()).lower_for_guest(view.pass_id, third_id)

    assert await guests.shared_count(owner_id=p.user_id, reservation_id=rid) == 1
    assert await guests.revoke(owner_id=p.user_id, reservation_id=rid) == 1
    blockers = FakeBlockers()
    with pytest.raises(InvalidGuestPass):
        await _arrival(db, clock, blockers).lower_for_guest(view.pass_id, guest_id)
    with pytest.raises(InvalidGuestPass):
        await guests.open(user_id=guest_id, token=link.token)
    assert blockers.sent == []
    # Only the owner shares or revokes.
    with pytest.raises(NotFound):
        await guests.share(owner_id=guest_id, reservation_id=rid)
    with pytest.raises(NotFound):
        await guests.revoke(owner_id=guest_id, reservation_id=rid)


async def test_a_forged_token_gets_the_same_answer_as_an_expired_pass(
    db: Database, clock: ManualClock
) -> None:
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now() + timedelta(minutes=5), 60)
    guest_id = await _guest(db)
    guests = GuestUseCases(db, clock)
    link = await guests.share(owner_id=p.user_id, reservation_id=rid)
    clock.advance(timedelta(hours=2))
    answers = []
    for token in (link.token, "forged" + link.token[6:], "", "x" * 200):
        with pytest.raises(InvalidGuestPass) as refused:
            await guests.open(user_id=guest_id, token=token)
        answers.append((type(refused.value), str(refused.value)))
    assert len(set(answers)) == 1
    with pytest.raises(CannotShare):  # an ended booking cannot be shared any more
        await guests.share(owner_id=p.user_id, reservation_id=rid)


async def test_a_guest_sees_nothing_of_the_owners_bookings(
    db: Database, clock: ManualClock, settings: Settings
) -> None:
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now() + timedelta(minutes=5), 60)
    guest_id = await _guest(db)
    guests = GuestUseCases(db, clock)
    view = await guests.open(
        user_id=guest_id, token=(await guests.share(owner_id=p.user_id, reservation_id=rid)).token
    )
    assert "Driver" not in repr(view)  # the owner's name is not in what the guest is shown
    bookings = BookingUseCases(db, clock, settings)
    with pytest.raises(NotFound):
        await bookings.details(user_id=guest_id, reservation_id=rid)
    page = await bookings.bookings(user_id=guest_id, scope=None)
    assert page.items == [] and not page.any_at_all
    with pytest.raises(NotFound):
        await bookings.cancel(user_id=guest_id, reservation_id=rid)


async def test_a_pass_sent_by_sms_binds_the_numbers_user_and_queues_the_text(
    db: Database, clock: ManualClock
) -> None:
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now() + timedelta(minutes=5), 60)
    guests = GuestUseCases(db, clock)
    number = await guests.share_by_sms(owner_id=p.user_id, reservation_id=rid, phone="+380 50 123 4567")
    assert number == "+380501234567"
    async with db.read() as s:
        guest = (await s.scalars(select(User).where(User.phone == number))).one()
        note = (await s.scalars(select(Notification).where(Notification.user_id == guest.id))).one()
    assert guest.language == "uk" and guest.telegram_id is None
    assert (note.kind, note.channel) == ("guest_pass", Channel.SMS)
    current = await guests.current_pass(guest.id)
    assert current is not None and current.spot == "A1"
    arrival = await _arrival(db, clock, FakeBlockers(CommandStatus.OK)).lower_for_guest(
        current.pass_id, guest.id
    )
    assert arrival.ok


async def _revoked_notes(db: Database) -> list[tuple[int, Channel, dict[str, object]]]:
    async with db.read() as s:
        rows = await s.execute(
            select(Notification.user_id, Notification.channel, Notification.payload)
            .where(Notification.kind == "guest_pass_revoked")
            .order_by(Notification.id)
        )
        return [(uid, channel, payload) for uid, channel, payload in rows.tuples()]


async def test_revoking_tells_each_guest_who_had_a_pass_once_on_the_channel_it_reached_them(
    db: Database, clock: ManualClock
) -> None:
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now() + timedelta(hours=1), 60)
    guest_id = await _guest(db)
    guests = GuestUseCases(db, clock)
    opened = await guests.share(owner_id=p.user_id, reservation_id=rid)
    await guests.open(user_id=guest_id, token=opened.token)
    await guests.share(owner_id=p.user_id, reservation_id=rid)  # a link nobody opened
    number = await guests.share_by_sms(owner_id=p.user_id, reservation_id=rid, phone="+447700900777")
    async with db.read() as s:
        texted = (await s.scalars(select(User.id).where(User.phone == number))).one()

    assert await guests.revoke(owner_id=p.user_id, reservation_id=rid) == 3
    notes = await _revoked_notes(db)
    # The link's guest in their chat, the number by SMS as the pass went; the unopened link: nobody.
    assert [(uid, channel) for uid, channel, _ in notes] == [
        (guest_id, Channel.TELEGRAM),
        (texted, Channel.SMS),
    ]
    assert all(payload["reservation_id"] == rid and payload["parked"] is False for _, _, payload in notes)

    # Revoked again (nothing live) or shared and revoked once the booking is over: nobody more.
    assert await guests.revoke(owner_id=p.user_id, reservation_id=rid) == 0
    late = await guests.share(owner_id=p.user_id, reservation_id=rid)
    await guests.open(user_id=guest_id, token=late.token)
    clock.advance(timedelta(hours=3))
    assert await guests.revoke(owner_id=p.user_id, reservation_id=rid) == 1
    assert len(await _revoked_notes(db)) == 2


async def test_a_guest_parked_on_the_spot_is_told_the_booking_stays_the_owners(
    db: Database, clock: ManualClock
) -> None:
    p = await place(db, clock)
    rid = await paid_from_wallet(db, clock, p, clock.now() + timedelta(minutes=5), 60)
    guest_id = await _guest(db)
    guests = GuestUseCases(db, clock)
    view = await guests.open(
        user_id=guest_id, token=(await guests.share(owner_id=p.user_id, reservation_id=rid)).token
    )
    lowered = await _arrival(db, clock, FakeBlockers(CommandStatus.OK)).lower_for_guest(
        view.pass_id, guest_id
    )
    assert lowered.ok and (await reservation(db, rid)).status == ReservationStatus.ACTIVE

    await guests.revoke(owner_id=p.user_id, reservation_id=rid)
    ((uid, channel, payload),) = await _revoked_notes(db)
    assert (uid, channel, payload["parked"]) == (guest_id, Channel.TELEGRAM, True)
    # Revoking evicts nobody: the booking runs on, the owner's.
    assert (await reservation(db, rid)).status == ReservationStatus.ACTIVE
