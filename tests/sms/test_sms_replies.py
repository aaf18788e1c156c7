"""What a driver reads back by SMS, word for word, through the running stack and the Twilio
fake: YES to a quote pays as PAY does, LEAVE says what it truly did (a hold released, paid
meanwhile, a booking cancelled only when it starts soon), times of another day carry the date,
a moved booking says why, HELP says how PAY pays, Ukrainian texts use the bot's words."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from core.blockers import BlockerCommands
from core.models import Premise, Reservation, ReservationStatus, Spot, User, WalletTxKind
from core.notifications import NotificationKind
from core.services import booking, outbox, wallet
from core.services import payments as pay_rules
from core.usecases.arrival import ArrivalUseCases
from core.usecases.booking import BookingUseCases, Released
from core.usecases.sms import SmsUseCases
from sms.commands import parse
from sms.inbound import LEAVE_CANCEL_WITHIN, SmsCommands
from sms.texts import day_hm, hm
from tests.factories import make_user
from tests.sms.test_sms_stack import PHONE, Stack, _stack
from tests.waiting import eventually

TZ = "Europe/Kyiv"  # Central Garage's
UK_PHONE = "+380501234567"


@pytest.fixture
async def stack(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Stack]:
    async for s in _stack(tmp_path, sqlite_template):
        yield s


async def _sms_user(stack: Stack, phone: str = PHONE, language: str = "en", funds: int = 0) -> int:
    async with stack.e2e.db.transaction() as s:
        user = await make_user(s, phone=phone, language=language)
        if funds:
            await wallet.credit(s, user.id, funds, "EUR", kind=WalletTxKind.ADJUSTMENT, reference="test",
                                now=stack.e2e.clock.now())  # fmt: skip
        return user.id


async def _paid_booking(stack: Stack, user_id: int, starts_at: datetime, minutes: int = 60) -> Reservation:
    """A booking of the user's paid from the wallet (as Telegram books ahead)."""
    e2e = stack.e2e
    now = e2e.clock.now()
    async with e2e.db.transaction() as s:
        r = await booking.hold(s, user_id=user_id, premise_id=e2e.premise_id, starts_at=starts_at,
                               minutes=minutes, now=now, hold_minutes=10)  # fmt: skip
        await wallet.credit(s, user_id, r.price, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=now)
        await pay_rules.pay_booking_with_wallet(s, reservation_id=r.id, user_id=user_id, now=now)
        return r


async def _status(stack: Stack, rid: int) -> ReservationStatus:
    async with stack.e2e.db.read() as s:
        return (await s.get_one(Reservation, rid)).status


def _tomorrow(stack: Stack) -> datetime:
    return stack.e2e.clock.now().replace(second=0, microsecond=0) + timedelta(days=1)


# -- YES ------------------------------------------------------------------------------------------


async def test_yes_is_twilios_opt_in_word_not_a_way_to_pay(stack: Stack) -> None:
    """YES is one of Twilio's opt-in words (it arrives with OptOutType START): never a parking
    verb (DESIGN.md §12). It opts in, pays nothing, and the driver is told the verb is PAY."""
    e2e, tw = stack.e2e, stack.twilio
    if e2e.clock.now().astimezone(ZoneInfo(TZ)).hour >= 21:  # 2 hours from now stay on today in Kyiv
        e2e.clock.advance(timedelta(hours=4))
    user_id = await _sms_user(stack, funds=1000)
    (offer,) = (await tw.text(PHONE, f"PARK {stack.code} 2H")).messages
    assert offer.endswith("Reply PAY within 10 min to pay with your wallet (10.00 EUR).")
    assert (await tw.text(PHONE, "Yes")).messages == ["To pay, reply PAY."]
    async with e2e.db.read() as s:
        assert await wallet.balance(s, user_id, "EUR") == 1000  # nothing paid
        assert (await s.get_one(User, user_id)).sms_opt_out is False
    assert (await tw.text(PHONE, "pay")).messages == []  # the confirmation is the outbox's text
    await stack.sms_out()
    booked = await tw.wait_for(PHONE, "Booked #")
    assert "paid 5.00 EUR. At the spot reply LOWER." in booked
    assert e2e.stripe.sessions == {}


# -- LEAVE ----------------------------------------------------------------------------------------


async def test_leave_on_an_unpaid_hold_says_nothing_was_charged(stack: Stack) -> None:
    tw = stack.twilio
    await _sms_user(stack)
    (quote,) = (await tw.text(PHONE, f"PARK {stack.code} 2H")).messages
    assert "Pay at https://" in quote
    assert (await tw.text(PHONE, "LEAVE")).messages == [
        "Hold on spot A1 at Central Garage released. Nothing was charged."
    ]
    async with stack.e2e.db.read() as s:
        (r,) = (await s.scalars(select(Reservation))).all()
    assert r.status != ReservationStatus.CONFIRMED


async def test_leave_on_a_hold_paid_meanwhile_says_it_stays_booked(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link paid while LEAVE was on its way: the booking stays paid, and the driver is told
    so, not that it was cancelled."""
    e2e, tw = stack.e2e, stack.twilio
    user_id = await _sms_user(stack)
    await tw.text(PHONE, f"PARK {stack.code} 2H")
    bookings = e2e.app.services.booking
    release = bookings.release_hold

    async def paid_first(*, user_id: int, reservation_id: int) -> Released:
        now = e2e.clock.now()
        async with e2e.db.transaction() as s:
            r = await s.get_one(Reservation, reservation_id)
            await wallet.credit(s, user_id, r.price, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=now)
            await pay_rules.pay_booking_with_wallet(
                s, reservation_id=reservation_id, user_id=user_id, now=now
            )
        return await release(user_id=user_id, reservation_id=reservation_id)

    monkeypatch.setattr(bookings, "release_hold", paid_first)
    (reply,) = (await tw.text(PHONE, "LEAVE")).messages
    async with e2e.db.read() as s:
        (r,) = (await s.scalars(select(Reservation).where(Reservation.user_id == user_id))).all()
    assert r.status == ReservationStatus.CONFIRMED
    assert reply == (
        f"Booking #{r.id} was paid meanwhile, so it stays yours: Central Garage, spot A1, "
        f"{hm(r.starts_at, TZ)}-{hm(r.ends_at, TZ)}."
    )


async def test_leave_on_a_hold_gone_meanwhile_says_nothing_is_held(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    tw = stack.twilio
    await _sms_user(stack)
    await tw.text(PHONE, f"PARK {stack.code} 2H")
    bookings: BookingUseCases = stack.e2e.app.services.booking
    release = bookings.release_hold

    async def released_first(*, user_id: int, reservation_id: int) -> Released:
        assert await release(user_id=user_id, reservation_id=reservation_id) is Released.RELEASED
        return await release(user_id=user_id, reservation_id=reservation_id)

    monkeypatch.setattr(bookings, "release_hold", released_first)
    assert (await tw.text(PHONE, "LEAVE")).messages == [
        "The hold on spot A1 at Central Garage had ended already. Nothing is held now."
    ]


async def test_leave_cancels_a_booking_not_started_only_when_it_starts_soon(stack: Stack) -> None:
    """Nothing in progress: LEAVE alone never cancels a booking a day ahead; it says from when
    it does. Within two hours of the start it cancels it and says what was refunded."""
    e2e, tw = stack.e2e, stack.twilio
    user_id = await _sms_user(stack)
    r = await _paid_booking(stack, user_id, _tomorrow(stack))
    at = r.starts_at - LEAVE_CANCEL_WITHIN
    assert (await tw.text(PHONE, "LEAVE")).messages == [
        f"Booking #{r.id} starts {day_hm(r.starts_at, TZ)}, so LEAVE did not cancel it. Reply LEAVE "
        f"from {day_hm(at, TZ)} to cancel it (refunded), or cancel it in the Telegram bot."
    ]
    assert await _status(stack, r.id) == ReservationStatus.CONFIRMED

    e2e.clock.set(r.starts_at - timedelta(minutes=90))
    assert (await tw.text(PHONE, "LEAVE")).messages == [
        f"Booking #{r.id} cancelled before its start. {r.price // 100}.{r.price % 100:02d} EUR is refunded."
    ]
    assert await _status(stack, r.id) == ReservationStatus.CANCELLED


@pytest.mark.parametrize(
    ("lang", "refunds", "says"),
    [
        (
            "en",
            True,
            "Booking #{id} ended at {end}. 3.75 EUR for 90 unused min is back in your wallet. "
            "Receipt follows.",
        ),
        (
            "uk",
            True,
            "Бронювання №{id} завершено о {end}. 3.75 EUR за 90 хв повернуто в гаманець. "
            "Чек надішлемо окремо.",
        ),
        (
            "en",
            False,
            "Booking #{id} ended at {end}. This car park does not refund unused time. Receipt follows.",
        ),
        (
            "uk",
            False,
            "Бронювання №{id} завершено о {end}. Ця парковка не повертає кошти за невикористаний час. "
            "Чек надішлемо окремо.",
        ),
    ],
    ids=["en", "uk", "en-refunds-off", "uk-refunds-off"],
)
async def test_leave_on_a_booking_in_progress_refunds_the_unused_steps_and_says_so(
    stack: Stack, lang: str, refunds: bool, says: str
) -> None:
    """LEAVE ends the booking as "End parking now" does: the unused whole 15-minute steps go back
    to the wallet where the car park refunds them, as when the car drives off."""
    e2e, tw = stack.e2e, stack.twilio
    phone = PHONE if lang == "en" else UK_PHONE
    user_id = await _sms_user(stack, phone, lang)
    async with e2e.db.transaction() as s:
        await s.execute(update(Premise).values(refund_unused=refunds))
    r = await _paid_booking(stack, user_id, e2e.clock.now().replace(second=0, microsecond=0), 120)
    async with e2e.db.transaction() as s:
        await booking.mark_arrived(s, r.id, user_id=user_id, now=e2e.clock.now())
    e2e.clock.set(r.starts_at + timedelta(minutes=25))  # 30 minutes charged (1.25 of 5.00)
    (reply,) = (await tw.text(phone, "LEAVE")).messages
    assert reply == says.format(id=r.id, end=hm(r.starts_at + timedelta(minutes=25), TZ))
    assert await _status(stack, r.id) == ReservationStatus.COMPLETED
    async with e2e.db.read() as s:
        assert await wallet.balance(s, user_id, "EUR") == (375 if refunds else 0)


async def test_leave_in_the_last_quarter_hour_says_nothing_was_left_unused(stack: Stack) -> None:
    e2e, tw = stack.e2e, stack.twilio
    user_id = await _sms_user(stack)
    r = await _paid_booking(stack, user_id, e2e.clock.now().replace(second=0, microsecond=0), 60)
    async with e2e.db.transaction() as s:
        await booking.mark_arrived(s, r.id, user_id=user_id, now=e2e.clock.now())
    e2e.clock.set(r.starts_at + timedelta(minutes=50))
    assert (await tw.text(PHONE, "LEAVE")).messages == [
        f"Booking #{r.id} ended at {hm(r.starts_at + timedelta(minutes=50), TZ)}. "
        "No unused 15 min to refund. Receipt follows."
    ]


# -- times of another day -------------------------------------------------------------------------


def _local_day(when: datetime) -> object:
    return when.astimezone(ZoneInfo(TZ)).date()


async def test_status_names_the_day_of_a_booking_not_today(stack: Stack) -> None:
    tw = stack.twilio
    user_id = await _sms_user(stack)
    r = await _paid_booking(stack, user_id, _tomorrow(stack))
    start = day_hm(r.starts_at, TZ)
    end = hm(r.ends_at, TZ) if _local_day(r.ends_at) == _local_day(r.starts_at) else day_hm(r.ends_at, TZ)
    assert (await tw.text(PHONE, "STATUS")).messages == [
        f"#{r.id} Central Garage, spot A1, {start}-{end}: booked."
    ]


async def test_too_early_names_the_day_of_a_booking_not_today(stack: Stack) -> None:
    e2e = stack.e2e
    r = await _paid_booking(stack, await _sms_user(stack), _tomorrow(stack))
    # LOWER a day early: the rules refuse it before any device is asked.
    sms = SmsUseCases(e2e.db, e2e.clock)
    commands = SmsCommands(
        bookings=e2e.app.services.booking,
        wallet=e2e.app.services.wallet,
        payments=None,
        arrival=ArrivalUseCases(e2e.db, cast(BlockerCommands, object()), e2e.clock, early_minutes=15),
        clock=e2e.clock,
        hold_minutes=10,
        sms=sms,
    )
    texter = await sms.receive("SMlower1", PHONE)
    assert texter is not None
    opens = day_hm(r.starts_at - timedelta(minutes=15), TZ)
    assert await commands.handle(texter, parse("LOWER")) == [
        f"Too early: the blocker can be lowered from {opens}."
    ]
    uk_id = await _sms_user(stack, UK_PHONE, "uk")
    ruk = await _paid_booking(stack, uk_id, _tomorrow(stack) + timedelta(hours=2))
    uk = await sms.receive("SMlower2", UK_PHONE)
    assert uk is not None
    opens = day_hm(ruk.starts_at - timedelta(minutes=15), TZ)
    assert await commands.handle(uk, parse("LOWER")) == [f"Ще зарано: блокатор можна опустити з {opens}."]


async def test_status_of_a_booking_today_shows_times_only(stack: Stack) -> None:
    e2e, tw = stack.e2e, stack.twilio
    if e2e.clock.now().astimezone(ZoneInfo(TZ)).hour >= 21:  # keep start and end on today in Kyiv
        e2e.clock.advance(timedelta(hours=4))
    user_id = await _sms_user(stack, UK_PHONE, "uk")
    r = await _paid_booking(
        stack, user_id, e2e.clock.now().replace(second=0, microsecond=0) + timedelta(hours=1)
    )
    assert (await tw.text(UK_PHONE, "STATUS")).messages == [
        f"№{r.id} Central Garage, місце A1, {hm(r.starts_at, TZ)}–{hm(r.ends_at, TZ)}: заброньовано."
    ]


# -- a moved booking ------------------------------------------------------------------------------


async def test_a_moved_booking_says_why_and_the_new_spot(stack: Stack) -> None:
    e2e, tw = stack.e2e, stack.twilio
    user_id = await _sms_user(stack)
    r = await _paid_booking(
        stack, user_id, e2e.clock.now().replace(second=0, microsecond=0) + timedelta(hours=1)
    )
    payloads: list[dict[str, Any]] = [
        {"reservation_id": r.id, "from_spot": "B7", "reason": "repairs"},
        {"reservation_id": r.id, "from_spot": "B7", "reason": "", "by_staff": True},
        {"reservation_id": r.id, "from_spot": "B7", "blocker": True},
    ]
    async with e2e.db.transaction() as s:
        for p in payloads:
            await outbox.notify(s, user_id, NotificationKind.BOOKING_MOVED, p, now=e2e.clock.now())
        spot = (await s.scalars(select(Spot.label).where(Spot.id == r.spot_id))).one()

    async def all_three() -> bool:
        # One SMS per phone a second (the dispatcher's per-chat pace, on the real clock).
        await stack.sms_out()
        return sum("B7" in b for b in tw.to(PHONE)) >= 3

    await eventually(all_three, within=10, what="the three moved texts")
    moved = [b for b in tw.to(PHONE) if "B7" in b]
    assert moved == [
        f"Booking #{r.id} moved to spot {spot} at Central Garage: spot B7 was closed. Same time.",
        f"Staff moved booking #{r.id} at Central Garage from spot B7 to spot {spot}. Same time; "
        "LOWER lowers the new spot's blocker.",
        f"The blocker of spot B7 at Central Garage is out of order: booking #{r.id} moved to spot {spot}. "
        "Same time.",
    ]


# -- HELP -----------------------------------------------------------------------------------------


async def test_help_says_pay_uses_the_wallet_first(stack: Stack) -> None:
    assert (await stack.twilio.text(PHONE, "HELP")).messages == [
        "Park by SMS: PARK <code> <time>, like PARK 1042 2H (the code is on the sign). PAY pays from "
        "your wallet or saved card, else sends a link. At the spot: LOWER. EXT 30 adds 30 min. "
        "STATUS shows your booking, LEAVE ends it. Spot blocked: MOVE or REFUND. STOP opts out."
    ]
