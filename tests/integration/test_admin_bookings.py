"""The console's Bookings section: finding a booking (number, phone, a premise's list) only at
the caller's premises, its history, and the support actions (refund in full or in part to the
source, end now, free extension, move, cancel), each audited with its reason and told to the
driver; and the money safety of refunds: concurrent partial refunds never give back more than
was paid, card refunds go to the provider after the commit with the refund row's key. On
SQLite and PostgreSQL (the `db` fixture)."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from bot import receipts as receipts_pdf
from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import (
    InvalidPhone,
    InvalidTransition,
    NoSpotToMoveTo,
    NotFound,
    NotPermitted,
    RefundTooLarge,
    SpotTaken,
)
from core.models import (
    AuditEntry,
    AuditOutcome,
    Notification,
    Payment,
    PaymentMethodKind,
    PaymentPurpose,
    PaymentStatus,
    Refund,
    RefundStatus,
    Reservation,
    ReservationStatus,
    Spot,
    StaffRole,
    WalletTxKind,
)
from core.services import booking, wallet
from core.services import payments as pay_rules
from core.usecases.admin_bookings import BookingAdminUseCases
from core.usecases.receipts import ReceiptDoc, ReceiptUseCases
from tests.factories import make_premise, make_user
from tests.fakes.payments import FakePaymentProvider
from tests.usecases.support import fund


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, bot_token="1:x", hold_minutes=10, early_arrival_minutes=15)


@dataclass
class Site:
    uc: BookingAdminUseCases
    stripe: FakePaymentProvider
    a: int  # "Alpha": spots A1, A2, A3
    b: int  # "Beta": one spot
    owner: int
    manager: int
    attendant: int
    other_manager: int  # manager at Beta only
    driver: int


@pytest.fixture
async def site(db: Database, clock: ManualClock, settings: Settings) -> Site:
    async with db.transaction() as s:
        alpha = await make_premise(s, name="Alpha", spots=3, now=clock.now())
        beta = await make_premise(s, name="Beta", now=clock.now())
        owner = await make_user(s, name="Owner", is_admin=True)
        manager, attendant = await make_user(s, name="Mira"), await make_user(s, name="Andrii")
        other = await make_user(s, name="Bohdan")
        driver = await make_user(s, name="Olena", phone="+380501234567")
        ids = alpha.id, beta.id, owner.id, manager.id, attendant.id, other.id, driver.id
    stripe = FakePaymentProvider()
    uc = BookingAdminUseCases(db, clock, settings, provider=stripe)
    site = Site(uc, stripe, *ids)
    for user, premise, role in (
        (site.manager, site.a, StaffRole.MANAGER),
        (site.attendant, site.a, StaffRole.ATTENDANT),
        (site.other_manager, site.b, StaffRole.MANAGER),
    ):
        invite = await uc.invite(site.owner, premise, role)
        await uc.accept_invite(user, invite.token)
    return site


async def _hold(db: Database, clock: ManualClock, site: Site, start_h: float = 2, minutes: int = 120) -> int:
    async with db.transaction() as s:
        r = await booking.hold(
            s,
            user_id=site.driver,
            premise_id=site.a,
            starts_at=clock.now() + timedelta(hours=start_h),
            minutes=minutes,
            now=clock.now(),
            hold_minutes=10,
        )
        return r.id


async def _wallet_booking(db: Database, clock: ManualClock, site: Site, start_h: float = 2) -> int:
    """A 2-hour booking at Alpha (4.00 EUR) paid from the wallet."""
    rid = await _hold(db, clock, site, start_h)
    await fund(db, clock, site.driver, 400)
    async with db.transaction() as s:
        await pay_rules.pay_booking_with_wallet(s, reservation_id=rid, user_id=site.driver, now=clock.now())
    return rid


async def _card_booking(db: Database, clock: ManualClock, site: Site, start_h: float = 2) -> int:
    """A 2-hour booking at Alpha (4.00 EUR) paid by card, as a settled Checkout leaves it."""
    rid = await _hold(db, clock, site, start_h)
    async with db.transaction() as s:
        s.add(
            Payment(
                user_id=site.driver,
                reservation_id=rid,
                purpose=PaymentPurpose.BOOKING,
                method=PaymentMethodKind.CARD,
                amount=400,
                currency="EUR",
                status=PaymentStatus.SUCCEEDED,
                stripe_payment_intent_id="pi_test_1",
                created_at=clock.now(),
                updated_at=clock.now(),
                succeeded_at=clock.now(),
            )
        )
        await s.flush()
        await booking.confirm(s, rid, clock.now())
    return rid


async def _occupy(db: Database, clock: ManualClock, spot_id: int, start_h: float, minutes: int = 60) -> int:
    """Another driver's paid booking on that very spot."""
    async with db.transaction() as s:
        other = await make_user(s, name="Other")
        starts_at = clock.now() + timedelta(hours=start_h)
        r = Reservation(
            user_id=other.id, spot_id=spot_id, starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes), status=ReservationStatus.CONFIRMED, price=200,
            currency="EUR", created_at=clock.now(),
        )  # fmt: skip
        s.add(r)
        await s.flush()
        return r.id


async def _balance(db: Database, user_id: int) -> int:
    async with db.read() as s:
        return await wallet.balance(s, user_id, "EUR")


async def _audit(db: Database, action: str) -> list[AuditEntry]:
    async with db.read() as s:
        return list(
            await s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        )


async def _notes(db: Database, user_id: int, kind: str) -> list[Notification]:
    async with db.read() as s:
        return list(
            await s.scalars(
                select(Notification)
                .where(Notification.user_id == user_id, Notification.kind == kind)
                .order_by(Notification.id)
            )
        )


async def test_staff_find_bookings_of_their_premises_only(
    db: Database, clock: ManualClock, site: Site
) -> None:
    rid = await _wallet_booking(db, clock, site)
    for text in (str(rid), f"#{rid}", f" # {rid} "):
        assert [c.reservation_id for c in await site.uc.find(site.attendant, text)] == [rid]
    card = (await site.uc.find(site.manager, "+380 50 123 4567"))[0]
    assert (card.reservation_id, card.premise_name, card.spot_label, card.driver_name) == (
        rid, "Alpha", "A1", "Olena",
    )  # fmt: skip
    assert (card.paid, card.refunded, card.refundable, card.status) == (
        400,
        0,
        400,
        ReservationStatus.CONFIRMED,
    )
    assert [c.reservation_id for c in await site.uc.find(site.owner, "380501234567")] == [rid]
    # Beta's manager: the same number and phone find nothing; the booking is "not found".
    assert await site.uc.find(site.other_manager, str(rid)) == []
    assert await site.uc.find(site.other_manager, "+380501234567") == []
    with pytest.raises(NotFound):
        await site.uc.history(site.other_manager, rid)
    with pytest.raises(NotFound):
        await site.uc.booking(site.owner, 999_999)
    with pytest.raises(InvalidPhone):
        await site.uc.find(site.manager, "Olena")
    refused = [e for e in await _audit(db, "reservation.view") if e.outcome is AuditOutcome.REFUSED]
    assert [(e.actor_user_id, e.detail.split(":")[0]) for e in refused][:1] == [
        (site.other_manager, "not_found")
    ]

    listed = await site.uc.premise_bookings(site.attendant, site.a)
    assert (listed.premise_name, [c.reservation_id for c in listed.bookings], listed.total) == (
        "Alpha",
        [rid],
        1,
    )
    with pytest.raises(NotPermitted):
        await site.uc.premise_bookings(site.other_manager, site.a)


async def test_a_partial_wallet_refund_then_one_beyond_what_is_left_is_refused(
    db: Database, clock: ManualClock, site: Site
) -> None:
    rid = await _wallet_booking(db, clock, site)
    assert await _balance(db, site.driver) == 0
    done = await site.uc.refund(site.manager, rid, 250, "  Blocker  jammed ")
    assert (done.amount, done.to_wallet, done.to_card, done.refundable_left) == (250, 250, 0, 150)
    assert await _balance(db, site.driver) == 250
    with pytest.raises(RefundTooLarge) as refused:
        await site.uc.refund(site.manager, rid, 151, "more")
    assert (refused.value.refundable, refused.value.currency) == (150, "EUR")
    assert await _balance(db, site.driver) == 250
    rest = await site.uc.refund(site.owner, rid, 150, "rest")
    assert rest.refundable_left == 0
    async with db.read() as s:
        payment = await s.scalar(select(Payment).where(Payment.reservation_id == rid))
        assert payment is not None
        assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, 400)
        r = await s.get_one(Reservation, rid)
        assert r.status is ReservationStatus.CONFIRMED  # a refund is not a cancellation
    notes = await _notes(db, site.driver, "payment_refunded")
    assert [(n.payload["amount"], n.payload["reason"]) for n in notes] == [
        (250, "operator"),
        (150, "operator"),
    ]
    entries = await _audit(db, "reservation.refund")
    assert [(e.outcome, e.detail) for e in entries] == [
        (AuditOutcome.OK, "Blocker jammed"),
        (AuditOutcome.REFUSED, "refund_too_large"),
        (AuditOutcome.OK, "rest"),
    ]
    assert entries[0].before == {"reservation_id": rid, "refundable": 400}
    assert entries[0].after is not None and entries[0].after["amount"] == 250


async def test_attendants_cannot_refund_nor_cancel_a_paid_booking(
    db: Database, clock: ManualClock, site: Site
) -> None:
    rid = await _wallet_booking(db, clock, site)
    with pytest.raises(NotPermitted):
        await site.uc.refund(site.attendant, rid, 100, "asked")
    with pytest.raises(NotPermitted):
        await site.uc.cancel(site.attendant, rid, "asked")
    with pytest.raises(NotFound):  # Beta's manager: not even there
        await site.uc.refund(site.other_manager, rid, 100, "asked")
    assert await _balance(db, site.driver) == 0
    async with db.read() as s:
        assert (await s.get_one(Reservation, rid)).status is ReservationStatus.CONFIRMED
    refused = await _audit(db, "reservation.refund")
    assert [(e.actor_user_id, e.outcome, e.detail.split(":")[0]) for e in refused] == [
        (site.attendant, AuditOutcome.REFUSED, "not_permitted"),
        (site.other_manager, AuditOutcome.REFUSED, "not_found"),
    ]
    # An unpaid hold has no money to give back: an attendant may release it.
    hold = await _hold(db, clock, site, start_h=5)
    done = await site.uc.cancel(site.attendant, hold, "driver phoned")
    assert done.status is ReservationStatus.CANCELLED


async def test_a_card_refund_reaches_the_provider_after_the_commit_with_the_rows_key(
    db: Database, clock: ManualClock, site: Site
) -> None:
    rid = await _card_booking(db, clock, site)
    done = await site.uc.refund(site.manager, rid, 250, "goodwill", request_key="k1")
    assert (done.to_card, done.failed, done.refundable_left) == (250, 0, 150)
    assert list(site.stripe.refunds.values()) == [("pi_test_1", 250)]
    async with db.read() as s:
        row = await s.scalar(select(Refund))
        assert row is not None
        assert (row.status, row.amount, row.stripe_refund_id) == (
            RefundStatus.SUCCEEDED, 250, next(iter(site.stripe.refunds)),
        )  # fmt: skip
        assert f"refund-row-{row.id}" in site.stripe._keys
        payment = await s.scalar(select(Payment).where(Payment.reservation_id == rid))
        assert payment is not None and (payment.status, payment.refunded_amount) == (
            PaymentStatus.SUCCEEDED,
            250,
        )
    # The same confirmation tapped again refunds nothing more.
    again = await site.uc.refund(site.manager, rid, 250, "goodwill", request_key="k1")
    assert again.repeated and len(site.stripe.refunds) == 1
    assert [n.payload["amount"] for n in await _notes(db, site.driver, "payment_refunded")] == [250]

    # A refund the provider refuses: the money is refundable again, admins alerted.
    site.stripe.fail_refunds = 1
    failed = await site.uc.refund(site.manager, rid, 100, "second")
    assert (failed.failed, failed.refundable_left) == (100, 150)
    async with db.read() as s:
        alerts = list(await s.scalars(select(Notification).where(Notification.kind == "admin_refund_failed")))
        assert [a.payload["amount"] for a in alerts] == [100]
    # A later cancellation refunds what is left, not what the partial refund gave.
    cancelled = await site.uc.cancel(site.owner, rid, "bay flooded")
    assert (cancelled.refund_to_card, cancelled.status) == (150, ReservationStatus.CANCELLED)


async def test_a_reserved_card_refund_interrupted_by_a_crash_is_retried_once(
    db: Database, clock: ManualClock, site: Site
) -> None:
    rid = await _card_booking(db, clock, site)
    site.stripe.down = True  # the call fails: as if the process died before the answer
    done = await site.uc.refund(site.manager, rid, 100, "x")
    assert done.failed == 100
    # Reserve a second one and leave it pending, as a crash between commit and call would.
    async with db.transaction() as s:
        payment = await s.scalar(select(Payment).where(Payment.reservation_id == rid))
        assert payment is not None
        payment.refunded_amount += 120
        s.add(
            Refund(
                payment_id=payment.id, reservation_id=rid, user_id=site.driver, method=PaymentMethodKind.CARD,
                amount=120, currency="EUR", status=RefundStatus.PENDING, reason="x", created_at=clock.now(),
            )
        )  # fmt: skip
    site.stripe.down = False
    assert await site.uc.retry_pending_refunds() == 0  # too fresh: its own call may be under way
    clock.advance(timedelta(minutes=3))
    assert await site.uc.retry_pending_refunds() == 1
    assert await site.uc.retry_pending_refunds() == 0
    assert [amount for _, amount in site.stripe.refunds.values()] == [120]


@pytest.mark.parametrize("method", ["wallet", "card"])
async def test_two_concurrent_partial_refunds_beyond_what_was_paid_one_succeeds(
    db: Database, clock: ManualClock, site: Site, method: str
) -> None:
    rid = await (_wallet_booking if method == "wallet" else _card_booking)(db, clock, site)
    results = await asyncio.gather(
        site.uc.refund(site.manager, rid, 300, "a"),
        site.uc.refund(site.owner, rid, 300, "b"),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["RefundTooLarge", "Refunded"], results
    async with db.read() as s:
        payment = await s.scalar(select(Payment).where(Payment.reservation_id == rid))
        assert payment is not None and payment.refunded_amount == 300
        rows = list(await s.scalars(select(Refund)))
    assert [(r.amount, r.status) for r in rows] == [(300, RefundStatus.SUCCEEDED)]
    if method == "wallet":
        assert await _balance(db, site.driver) == 300
    else:
        assert [amount for _, amount in site.stripe.refunds.values()] == [300]


async def test_end_now_extend_for_free_and_move_tell_the_driver(
    db: Database, clock: ManualClock, site: Site
) -> None:
    rid = await _wallet_booking(db, clock, site, start_h=1)
    with pytest.raises(NotFound):  # Beta's manager
        await site.uc.extend_free(site.other_manager, rid, 30, "x")
    # Move it (before the start) to a spot the operator picks.
    free = await site.uc.free_spots(site.attendant, rid)
    assert [f.label for f in free] == ["A2", "A3"]
    moved = await site.uc.move(site.attendant, rid, free[1].spot_id, "bay blocked")
    assert moved.spot_label == "A3"
    note = (await _notes(db, site.driver, "booking_moved"))[-1]
    assert note.payload == {"reservation_id": rid, "from_spot": "A1", "reason": "", "by_staff": True}
    with pytest.raises(NoSpotToMoveTo):  # the spot it is on is no spot to move to
        await site.uc.move(site.attendant, rid, free[1].spot_id, "again")

    # Someone else has A3 right after: a free extension into their time is refused.
    nxt = await _occupy(db, clock, free[1].spot_id, start_h=3)
    with pytest.raises(SpotTaken):
        await site.uc.extend_free(site.manager, rid, 30, "sorry")
    clock.advance(timedelta(hours=1, minutes=10))  # started; the next driver cancels
    async with db.transaction() as s:
        await booking.cancel(s, nxt, user_id=None, now=clock.now())
    extended = await site.uc.extend_free(site.attendant, rid, 30, "sorry for the wait")
    async with db.read() as s:
        r = await s.get_one(Reservation, rid)
        assert (r.ends_at, r.price) == (extended.ends_at, 400)  # no charge
    note = (await _notes(db, site.driver, "booking_extended"))[-1]
    assert (note.payload["goodwill"], note.payload["added_price"]) == (True, 0)

    ended = await site.uc.end_now(site.attendant, rid, "driver left, car gone")
    assert ended.status is ReservationStatus.COMPLETED
    note = (await _notes(db, site.driver, "booking_completed"))[-1]
    assert note.payload["by_staff"] is True
    with pytest.raises(InvalidTransition):
        await site.uc.end_now(site.attendant, rid, "twice")
    assert [(e.action, e.outcome, e.detail) for e in await _audit(db, "reservation.end")] == [
        ("reservation.end", AuditOutcome.OK, "driver left, car gone"),
        ("reservation.end", AuditOutcome.REFUSED, "invalid_transition"),
    ]


async def test_the_history_shows_payments_refunds_notifications_and_console_actions(
    db: Database, clock: ManualClock, site: Site
) -> None:
    rid = await _wallet_booking(db, clock, site)
    clock.advance(timedelta(minutes=5))
    await site.uc.refund(site.manager, rid, 100, "blocker jammed")
    clock.advance(timedelta(minutes=5))
    free = await site.uc.free_spots(site.manager, rid)
    await site.uc.move(site.manager, rid, free[0].spot_id, "bay blocked")
    async with db.transaction() as s:  # a blocker failure alert for this booking, to the owner
        from core.notifications import NotificationKind
        from core.services import outbox

        await outbox.notify_admins(
            s, NotificationKind.ADMIN_BLOCKER_FAILED,
            {"blocker_id": "b-7", "reservation_id": rid, "status": "jammed"},
            now=clock.now(), dedupe_key=f"lower_failed:{rid}:jammed",
        )  # fmt: skip
    history = await site.uc.history(site.attendant, rid)
    kinds = [e.kind for e in history.events]
    assert kinds[:2] == ["created", "payment"]
    assert "refund" in kinds and "admin_blocker_failed" in kinds
    notified = [e.values["kind"] for e in history.events if e.kind == "notification"]
    assert notified == ["booking_confirmed", "payment_refunded", "booking_moved"]
    audited = [(e.values["action"], e.values["who"]) for e in history.events if e.kind == "audit"]
    assert audited == [("reservation.refund", "Mira"), ("reservation.move", "Mira")]
    refund = next(e for e in history.events if e.kind == "refund")
    assert refund.values == {
        "id": refund.values["id"],
        "method": "wallet",
        "amount": 100,
        "currency": "EUR",
        "status": "succeeded",
    }
    assert history.total == len(history.events) <= history.limit
    assert [e.at for e in history.events] == sorted(e.at for e in history.events)


async def test_a_spot_that_is_not_free_is_no_spot_to_move_to(
    db: Database, clock: ManualClock, site: Site
) -> None:
    first = await _wallet_booking(db, clock, site)
    async with db.read() as s:
        spots = list(await s.scalars(select(Spot.id).where(Spot.premise_id == site.a).order_by(Spot.label)))
    await _occupy(db, clock, spots[1], start_h=2)
    assert [f.label for f in await site.uc.free_spots(site.manager, first)] == ["A3"]
    with pytest.raises(NoSpotToMoveTo):
        await site.uc.move(site.manager, first, spots[1], "x")
    with pytest.raises(NoSpotToMoveTo):  # another premise's spot
        async with db.read() as s:
            beta_spot = await s.scalar(select(Spot.id).where(Spot.premise_id == site.b))
        assert beta_spot is not None
        await site.uc.move(site.manager, first, beta_spot, "x")


async def test_the_refunds_sweep_retries_a_card_refund_a_crash_left_pending(
    db: Database, clock: ManualClock, site: Site, settings: Settings
) -> None:
    from bot.context import Services
    from core.usecases.payments import PaymentUseCases

    payments = PaymentUseCases(db, site.stripe, clock, public_url="https://parking.example")
    services = Services(db=db, clock=clock, settings=settings, payments=payments, geocoder=None)
    rid = await _card_booking(db, clock, site)
    async with db.transaction() as s:  # reserved, then the process died before calling Stripe
        payment = await s.scalar(select(Payment).where(Payment.reservation_id == rid))
        assert payment is not None
        payment.refunded_amount += 150
        s.add(
            Refund(
                payment_id=payment.id, reservation_id=rid, user_id=site.driver, method=PaymentMethodKind.CARD,
                amount=150, currency="EUR", status=RefundStatus.PENDING, reason="x", created_at=clock.now(),
            )
        )  # fmt: skip
    clock.advance(timedelta(minutes=5))
    await payments.process_refunds()  # what the reconcile_payments sweep runs
    assert [amount for _, amount in site.stripe.refunds.values()] == [150]
    card = await services.admin_bookings.booking(site.owner, rid)
    assert (card.refunded, card.refundable) == (150, 250)
    assert [n.payload["amount"] for n in await _notes(db, site.driver, "payment_refunded")] == [150]


def receipt_text(doc: ReceiptDoc, lang: str = "en") -> str:
    reader = PdfReader(io.BytesIO(receipts_pdf.render(doc, lang)))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())  # lines unwrapped


async def _card_refund_settled(db: Database, clock: ManualClock, rid: int) -> None:
    """The provider's answer to a cancellation's card refund, as the payments adapter records it."""
    async with db.transaction() as s:
        payment_id = await s.scalar(select(Payment.id).where(Payment.reservation_id == rid))
        assert payment_id is not None
        done = await pay_rules.record_refund(s, payment_id, refund_id="re_rest", error=None, now=clock.now())
        assert done.status is PaymentStatus.REFUNDED


async def test_each_part_refunded_gets_a_refund_receipt_of_its_own(
    db: Database, clock: ManualClock, site: Site, settings: Settings
) -> None:
    """A business books what was given back: a partial refund has its own refund receipt (the
    part, not the whole payment), a refund the provider refused has none, and the rest given
    back later gets the next; asking again issues nothing new."""
    rid = await _card_booking(db, clock, site)
    receipts = ReceiptUseCases(db, clock, settings)
    await site.uc.refund(site.manager, rid, 250, "goodwill")
    site.stripe.fail_refunds = 1
    await site.uc.refund(site.manager, rid, 100, "refused by the provider")
    # Asked for four times at once (two chats, SMS, a double tap): each receipt issued once.
    asked = await asyncio.gather(
        *(receipts.for_booking(user_id=site.driver, reservation_id=rid) for _ in range(4))
    )
    first = asked[0]
    assert all([d.receipt_id for d in docs] == [d.receipt_id for d in first] for docs in asked)
    assert [(d.number, d.kind.value, d.amount) for d in first] == [(1, "payment", 400), (2, "refund", 250)]
    again = await receipts.for_booking(user_id=site.driver, reservation_id=rid)
    assert [d.receipt_id for d in again] == [d.receipt_id for d in first]

    clock.advance(timedelta(minutes=10))
    await site.uc.cancel(site.owner, rid, "bay flooded")  # the 1.50 EUR left, to the card
    await _card_refund_settled(db, clock, rid)
    docs = await receipts.for_booking(user_id=site.driver, reservation_id=rid)
    assert [(d.number, d.kind.value, d.amount) for d in docs] == [
        (1, "payment", 400),
        (2, "refund", 250),
        (3, "refund", 150),
    ]
    text = receipt_text(docs[2])
    for field in [
        "Refund receipt No. 000003",
        "Refund of receipt No. 000001",
        "Part of the payment given back",
        "−1.50 EUR",
        "to: card (secure payment page)",
    ]:
        assert field in text, (field, text)
    assert "2 h" not in text  # a part is one line, not the booking's price lines


async def test_a_wallet_refund_and_a_card_refund_in_one_receipt_say_where_each_went(
    db: Database, clock: ManualClock, site: Site, settings: Settings
) -> None:
    """A card payment whose unused time went to the wallet (as billing that follows the car
    does) and whose rest went back to the card before the driver asked: one refund receipt,
    each part where it went."""
    rid = await _card_booking(db, clock, site)
    async with db.transaction() as s:
        payment = await s.scalar(select(Payment).where(Payment.reservation_id == rid))
        assert payment is not None
        await wallet.credit(
            s,
            site.driver,
            100,
            "EUR",
            kind=WalletTxKind.REFUND,
            reference=f"payment:{payment.id}",
            now=clock.now(),
        )
        payment.refunded_amount, payment.refunded_at = 100, clock.now()
    await site.uc.cancel(site.owner, rid, "bay flooded")  # the 3.00 EUR left, to the card
    await _card_refund_settled(db, clock, rid)
    docs = await ReceiptUseCases(db, clock, settings).for_booking(user_id=site.driver, reservation_id=rid)
    assert [(d.kind.value, d.amount) for d in docs] == [("payment", 400), ("refund", 400)]
    text = receipt_text(docs[1], "uk")
    assert "1.00 EUR на гаманець і 3.00 EUR на: картка (захищена сторінка оплати)" in text, text
