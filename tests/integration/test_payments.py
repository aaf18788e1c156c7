"""Payments end to end at the edge: the real stripe library against the stateful Stripe fake,
webhooks signed with Stripe's scheme and delivered over HTTP to our web app, on SQLite and
PostgreSQL. After every test the wallet ledger is checked (see `ledger_is_sound`)."""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import InsufficientFunds, NotOwner
from core.models import (
    Notification,
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    ProcessedEvent,
    Reservation,
    ReservationStatus,
    SavedPaymentMethod,
    Spot,
    WalletTransaction,
    WalletTxKind,
)
from core.rules import TOPUP_MAX, TOPUP_MIN
from core.services import booking, wallet
from core.services import payments as rules
from core.services.payments import Settled
from core.usecases.booking import BookingUseCases, Cancelled
from core.usecases.payments import CardOutcome, PaymentUseCases
from demo.stripe import StripeFake
from payments import StripeGateway
from payments.web import add_payment_routes
from tests.factories import make_premise, make_user

SECRET = "whsec_test_secret"
PRICE = 400  # 2 h at 2.00/h


@dataclass
class Stack:
    db: Database
    clock: ManualClock
    fake: StripeFake
    service: PaymentUseCases
    web_url: str
    premise_id: int
    user_id: int
    other_id: int
    admin_id: int

    async def hold(self, user_id: int | None = None, start_h: float = 1) -> Reservation:
        async with self.db.transaction() as s:
            return await booking.hold(
                s,
                user_id=user_id or self.user_id,
                premise_id=self.premise_id,
                starts_at=self.clock.now() + timedelta(hours=start_h),
                minutes=120,
                now=self.clock.now(),
                hold_minutes=10,
            )

    async def cancel(self, reservation_id: int, user_id: int) -> Cancelled:
        """The one cancel entry point, as the bot calls it: card refunds go to Stripe at once."""
        settings = Settings(_env_file=None, bot_token="1:x")
        use_cases = BookingUseCases(self.db, self.clock, settings, refund_cards=self.service.process_refunds)
        return await use_cases.cancel(user_id=user_id, reservation_id=reservation_id)

    async def reservation(self, rid: int) -> Reservation:
        async with self.db.read() as s:
            r = await s.get(Reservation, rid)
            assert r is not None
            return r

    async def payments(self) -> list[Payment]:
        async with self.db.read() as s:
            return list(await s.scalars(select(Payment).order_by(Payment.id)))

    async def kinds(self, user_id: int) -> list[str]:
        async with self.db.read() as s:
            return list(
                await s.scalars(
                    select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id)
                )
            )

    async def cards(self) -> list[SavedPaymentMethod]:
        async with self.db.read() as s:
            return await rules.cards(s, self.user_id)

    async def balance(self, user_id: int | None = None) -> int:
        async with self.db.read() as s:
            return await wallet.balance(s, user_id or self.user_id, "EUR")

    async def fund(self, amount: int, user_id: int | None = None) -> None:
        async with self.db.transaction() as s:
            await wallet.credit(
                s,
                user_id or self.user_id,
                amount,
                "EUR",
                kind=WalletTxKind.ADJUSTMENT,
                reference="test",
                now=self.clock.now(),
            )


async def ledger_is_sound(db: Database) -> None:
    """Balance never negative at any point of each user's history, and every wallet payment
    and wallet refund has exactly its ledger entry."""
    async with db.read() as s:
        txs = list(await s.scalars(select(WalletTransaction).order_by(WalletTransaction.id)))
        running: dict[tuple[int, str], int] = {}
        for tx in txs:
            key = (tx.user_id, tx.currency)
            running[key] = running.get(key, 0) + tx.amount
            assert running[key] >= 0, f"balance went negative at transaction {tx.id}"
        for p in await s.scalars(select(Payment).where(Payment.method == PaymentMethodKind.WALLET)):
            entries = sorted(t.amount for t in txs if t.reference == f"payment:{p.id}")
            expected = {PaymentStatus.SUCCEEDED: [-p.amount], PaymentStatus.REFUNDED: [-p.amount, p.amount]}
            assert entries == expected[p.status], f"payment {p.id} {p.status}: ledger {entries}"
        for p in await s.scalars(select(Payment).where(Payment.method == PaymentMethodKind.CARD)):
            deposits = [t.amount for t in txs if t.reference == f"payment:{p.id}"]
            assert deposits == (
                [p.amount] if p.purpose == "topup" and p.status == PaymentStatus.SUCCEEDED else []
            )


@pytest.fixture
async def stack(db: Database) -> AsyncIterator[Stack]:
    async for opened in open_stack(db):
        yield opened


async def open_stack(db: Database) -> AsyncIterator[Stack]:
    """The payment stack on `db`; other test modules build their `stack` fixture from it."""
    clock = ManualClock(datetime.now(UTC))  # Stripe checks expires_at against real time
    async with db.transaction() as s:
        premise = await make_premise(s, spots=1, price_per_hour=200, name="Central Garage")
        user, other = await make_user(s, name="Olena"), await make_user(s, name="Petro")
        admin = await make_user(s, name="Admin", is_admin=True)
        ids = premise.id, user.id, other.id, admin.id
    async with StripeFake(webhook_secret=SECRET) as fake:
        gateway = StripeGateway("sk_test_123", api_base=fake.base_url, max_network_retries=0)
        service = PaymentUseCases(db, gateway, clock, public_url="https://parking.example")
        app = web.Application()
        add_payment_routes(app, service, webhook_secret=SECRET, bot_url="https://t.me/parking_bot")
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        web_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        fake.webhook_url = f"{web_url}/stripe/webhook"
        try:
            yield Stack(db, clock, fake, service, web_url, *ids)
            assert fake.unexpected == []
            await ledger_is_sound(db)
        finally:
            await runner.cleanup()
            await gateway.close()


async def test_checkout_link_then_webhook_confirms_the_booking(stack: Stack) -> None:
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id)
    assert link.url.startswith(stack.fake.base_url)
    params = stack.fake.session_params[link.session_id]
    assert params["line_items"][0]["price_data"]["unit_amount"] == str(PRICE)
    assert params["line_items"][0]["price_data"]["currency"] == "eur"
    assert "Central Garage, spot A1" in params["line_items"][0]["price_data"]["product_data"]["name"]
    assert params["client_reference_id"] == f"reservation-{r.id}"
    assert params["success_url"].startswith("https://parking.example/payments/return?session_id=")
    assert int(params["expires_at"]) >= int(time.time()) + 30 * 60
    await stack.fake.complete_checkout(link.session_id)
    assert stack.fake.webhook_responses[-1][1] == 200
    assert (await stack.reservation(r.id)).status == ReservationStatus.CONFIRMED
    (payment,) = await stack.payments()
    assert (payment.status, payment.amount, payment.currency) == (PaymentStatus.SUCCEEDED, PRICE, "EUR")
    assert payment.stripe_payment_intent_id in stack.fake.payment_intents
    assert payment.succeeded_at is not None
    assert await stack.kinds(stack.user_id) == ["booking_confirmed"]


async def test_forged_or_stale_signatures_change_nothing(stack: Stack) -> None:
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id)
    event = await stack.fake.complete_checkout(link.session_id, send_webhook=False)
    assert await stack.fake.send_event(event, secret="whsec_forged") == 400
    assert await stack.fake.send_event(event, timestamp=int(time.time()) - 3600) == 400
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{stack.web_url}/stripe/webhook", data=b"{}") as resp,
    ):
        assert resp.status == 400
    assert (await stack.reservation(r.id)).status == ReservationStatus.PENDING_PAYMENT
    async with stack.db.read() as s:
        assert await s.scalar(select(func.count()).select_from(ProcessedEvent)) == 0
    assert await stack.fake.send_event(event) == 200
    assert (await stack.reservation(r.id)).status == ReservationStatus.CONFIRMED


async def test_replayed_top_up_event_credits_once(stack: Stack) -> None:
    link = await stack.service.topup_checkout(stack.user_id, 2000, "EUR")
    event = await stack.fake.complete_checkout(link.session_id)
    for _ in range(3):
        assert await stack.fake.send_event(event) == 200
    assert await stack.balance() == 2000
    assert await stack.kinds(stack.user_id) == ["wallet_topped_up"]


async def test_top_up_limits(stack: Stack) -> None:
    for amount in (TOPUP_MIN - 1, TOPUP_MAX + 1):
        with pytest.raises(Exception, match="top-ups go from"):
            await stack.service.topup_checkout(stack.user_id, amount, "EUR")
    assert await stack.payments() == []


async def test_webhook_and_return_page_racing_confirm_once(stack: Stack) -> None:
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id)
    event = await stack.fake.complete_checkout(link.session_id, send_webhook=False)

    async def open_return_page() -> str:
        async with aiohttp.ClientSession() as http:
            url = f"{stack.web_url}/payments/return?session_id={link.session_id}"
            async with http.get(url) as resp:
                return await resp.text()

    status, page = await asyncio.gather(stack.fake.send_event(event), open_return_page())
    assert status == 200 and "Payment received" in page and "https://t.me/parking_bot" in page
    assert await stack.kinds(stack.user_id) == ["booking_confirmed"]
    assert [p.status for p in await stack.payments()] == [PaymentStatus.SUCCEEDED]


async def test_hold_expired_then_paid_confirms_while_the_spot_is_free(stack: Stack) -> None:
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id)
    stack.clock.advance(timedelta(minutes=11))
    async with stack.db.transaction() as s:
        await booking.expire_holds(s, stack.clock.now())
    await stack.fake.complete_checkout(link.session_id)
    assert (await stack.reservation(r.id)).status == ReservationStatus.CONFIRMED
    assert stack.fake.refunds == {}


async def test_hold_expired_then_paid_after_the_spot_was_taken_is_refunded(stack: Stack) -> None:
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id)
    stack.clock.advance(timedelta(minutes=11))
    taken = await stack.hold(stack.other_id, start_h=1 - 11 / 60)  # same slot, someone else
    assert taken.spot_id == r.spot_id
    await stack.fake.complete_checkout(link.session_id)
    assert (await stack.reservation(r.id)).status == ReservationStatus.EXPIRED
    (payment,) = await stack.payments()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.REFUNDED, PRICE)
    (refund,) = stack.fake.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (payment.stripe_payment_intent_id, PRICE)
    assert payment.stripe_refund_id == refund["id"]
    assert await stack.kinds(stack.user_id) == ["hold_expired", "payment_refunded"]


async def test_two_paid_pages_for_one_booking_refund_the_second(stack: Stack) -> None:
    r = await stack.hold()
    first = await stack.service.booking_checkout(r.id, stack.user_id)
    second = await stack.service.booking_checkout(r.id, stack.user_id)
    await stack.fake.complete_checkout(first.session_id)
    await stack.fake.complete_checkout(second.session_id)
    assert [p.status for p in await stack.payments()] == [PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED]
    assert len(stack.fake.refunds) == 1


async def test_amount_mismatch_is_not_confirmed_and_alerts_admins(stack: Stack) -> None:
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id)
    event = copy.deepcopy(await stack.fake.complete_checkout(link.session_id, send_webhook=False))
    event["data"]["object"]["amount_total"] = PRICE - 100
    assert await stack.fake.send_event(event) == 200
    assert (await stack.reservation(r.id)).status == ReservationStatus.PENDING_PAYMENT
    (payment,) = await stack.payments()
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert "expected 400 EUR" in (payment.failure_reason or "")
    assert await stack.kinds(stack.admin_id) == ["admin_payment_mismatch"]


async def test_expired_checkout_releases_the_hold(stack: Stack) -> None:
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id)
    await stack.fake.expire_checkout(link.session_id)
    assert (await stack.reservation(r.id)).status == ReservationStatus.EXPIRED
    assert [p.status for p in await stack.payments()] == [PaymentStatus.CANCELLED]
    again = await stack.hold(stack.other_id)
    assert again.spot_id == r.spot_id


async def test_pages_of_lapsed_holds_are_closed_at_stripe(stack: Stack) -> None:
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id)
    stack.clock.advance(timedelta(minutes=10))
    async with stack.db.transaction() as s:
        await booking.expire_holds(s, stack.clock.now())
    assert await stack.service.expire_unpaid_checkouts() == 1
    assert stack.fake.sessions[link.session_id]["status"] == "expired"
    assert [p.status for p in await stack.payments()] == [PaymentStatus.CANCELLED]


async def test_wallet_pays_atomically_and_refuses_when_short(stack: Stack) -> None:
    r = await stack.hold()
    await stack.fund(PRICE - 1)
    with pytest.raises(InsufficientFunds):
        async with stack.db.transaction() as s:
            await rules.pay_booking_with_wallet(
                s, reservation_id=r.id, user_id=stack.user_id, now=stack.clock.now()
            )
    assert (await stack.reservation(r.id)).status == ReservationStatus.PENDING_PAYMENT
    assert await stack.payments() == [] and await stack.balance() == PRICE - 1
    await stack.fund(1)
    with pytest.raises(NotOwner):  # someone else's hold
        async with stack.db.transaction() as s:
            await rules.pay_booking_with_wallet(
                s, reservation_id=r.id, user_id=stack.other_id, now=stack.clock.now()
            )
    async with stack.db.transaction() as s:
        await rules.pay_booking_with_wallet(
            s, reservation_id=r.id, user_id=stack.user_id, now=stack.clock.now()
        )
    assert (await stack.reservation(r.id)).status == ReservationStatus.CONFIRMED
    assert await stack.balance() == 0
    result = await stack.cancel(r.id, stack.user_id)
    assert result.refunded_to_wallet == PRICE and await stack.balance() == PRICE
    async with stack.db.read() as s:
        history = await wallet.history(s, stack.user_id)
    assert [t.kind for t in history][:2] == [WalletTxKind.REFUND, WalletTxKind.PAYMENT]


@pytest.mark.slow
async def test_twenty_concurrent_wallet_payments_against_a_balance_for_ten(stack: Stack) -> None:
    # Twenty unpaid holds of one driver on twenty spots (written directly: the per-driver
    # hold limit would otherwise stop at three).
    async with stack.db.transaction() as s:
        big = await make_premise(s, spots=20, price_per_hour=200)
        start = stack.clock.now() + timedelta(hours=1)
        spot_ids = list(await s.scalars(select(Spot.id).where(Spot.premise_id == big.id)))
        rows = [
            Reservation(
                user_id=stack.user_id,
                spot_id=sid,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                status=ReservationStatus.PENDING_PAYMENT,
                price=PRICE,
                currency="EUR",
                hold_expires_at=stack.clock.now() + timedelta(minutes=10),
            )
            for sid in spot_ids
        ]
        s.add_all(rows)
        await s.flush()
        ids = [r.id for r in rows]
    await stack.fund(10 * PRICE)

    async def pay(rid: int) -> bool:
        try:
            async with stack.db.transaction() as s:
                await rules.pay_booking_with_wallet(
                    s, reservation_id=rid, user_id=stack.user_id, now=stack.clock.now()
                )
        except InsufficientFunds:
            return False
        return True

    results = await asyncio.gather(*(pay(rid) for rid in ids))
    assert sum(results) == 10
    assert await stack.balance() == 0
    confirmed = [(await stack.reservation(rid)).status for rid in ids].count(ReservationStatus.CONFIRMED)
    assert confirmed == 10


async def _save_card(stack: Stack, behaviour: str = "ok") -> int:
    link = await stack.service.add_card_checkout(stack.user_id, "EUR")
    await stack.fake.complete_checkout(link.session_id, card_behaviour=behaviour)  # type: ignore[arg-type]
    (card,) = await stack.cards()
    return card.id


async def test_saved_card_added_through_checkout_then_charged_off_session(stack: Stack) -> None:
    card_id = await _save_card(stack)
    (card,) = await stack.cards()
    assert (card.brand, card.last4, card.exp_year) == ("visa", "4242", 2030)
    assert await stack.kinds(stack.user_id) == ["card_saved"]
    r = await stack.hold()
    paid = await stack.service.pay_booking_with_card(r.id, stack.user_id, card_id)
    assert paid.outcome == CardOutcome.PAID
    assert (await stack.reservation(r.id)).status == ReservationStatus.CONFIRMED
    (pi,) = stack.fake.payment_intents.values()
    assert (pi["amount"], pi["status"], pi["payment_method"]) == (
        PRICE,
        "succeeded",
        card.stripe_payment_method_id,
    )
    await stack.service.remove_card(stack.user_id, card_id)
    assert await stack.cards() == []
    assert stack.fake.payment_methods[card.stripe_payment_method_id]["customer"] is None


async def test_a_checkout_that_keeps_the_card_records_it_and_the_next_booking_charges_it(
    stack: Stack,
) -> None:
    """The SMS channel's Checkout (setup_future_usage): Stripe attaches the card to the customer;
    the completed event names the payment intent only, so the session is read again with
    `payment_intent.payment_method` expanded, and the card recorded with the payment."""
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id, save_card=True)
    params = stack.fake.session_params[link.session_id]
    assert params["payment_intent_data"]["setup_future_usage"] == "off_session"
    assert params["metadata"]["save_card"] == "1"
    event = await stack.fake.complete_checkout(link.session_id)
    assert isinstance(event["data"]["object"]["payment_intent"], str)
    assert stack.fake.webhook_responses[-1][1] == 200
    assert (
        "GET",
        f"/v1/checkout/sessions/{link.session_id}",
        {"expand": ["payment_intent.payment_method"]},
    ) in (stack.fake.requests)
    (card,) = await stack.cards()
    pm = stack.fake.payment_methods[card.stripe_payment_method_id]
    assert pm["customer"] is not None
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "4242", 12, 2030)
    assert (await stack.reservation(r.id)).status == ReservationStatus.CONFIRMED
    assert await stack.kinds(stack.user_id) == ["booking_confirmed", "card_saved"]
    # The event again (Stripe retries) and the return page: nothing twice.
    assert await stack.fake.send_event(event) == 200
    assert await stack.service.verify_return(link.session_id) == Settled.ALREADY_DONE
    assert len(await stack.cards()) == 1 and len(await stack.kinds(stack.user_id)) == 2

    later = await stack.hold(start_h=4)
    paid = await stack.service.pay_booking_with_card(later.id, stack.user_id, card.id)
    assert paid.outcome == CardOutcome.PAID
    assert (await stack.reservation(later.id)).status == ReservationStatus.CONFIRMED
    charge = next(p for m, path, p in stack.fake.requests if m == "POST" and path == "/v1/payment_intents")
    assert (charge["off_session"], charge["confirm"], charge["payment_method"]) == (
        "true",
        "true",
        card.stripe_payment_method_id,
    )
    assert charge["customer"] == pm["customer"]
    assert ("/v1/payment_intents", f"charge-payment-{paid.payment_id}") in stack.fake.idempotency_keys


async def test_a_short_payment_link_leads_to_the_open_page_only(stack: Stack) -> None:
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id, save_card=True)
    short = await stack.service.short_link(link)
    assert (
        short.startswith("https://parking.example/p/")
        and len(short) == len("https://parking.example/p/") + 10
    )
    path = short.removeprefix("https://parking.example")
    async with aiohttp.ClientSession() as http:

        async def get(p: str) -> tuple[int, str, str]:
            async with http.get(stack.web_url + p, allow_redirects=False) as response:
                return response.status, response.headers.get("Location", ""), await response.text()

        assert (await get(path))[:2] == (302, link.url)
        await stack.fake.complete_checkout(link.session_id)
        status, _, page = await get(path)
        assert status == 200 and "already paid" in page
        expiring = await stack.hold(start_h=4)
        page_link = await stack.service.booking_checkout(expiring.id, stack.user_id)
        other = (await stack.service.short_link(page_link)).removeprefix("https://parking.example")
        await stack.fake.expire_checkout(page_link.session_id)
        status, _, page = await get(other)
        assert status == 410 and "This payment link has expired" in page
        assert (await get("/p/AAAAAAAAAA"))[0] == 404
        assert (await get("/p/short"))[0] == 404


@pytest.mark.parametrize(
    ("behaviour", "reason"), [("decline", "card_declined"), ("authenticate", "authentication_required")]
)
async def test_card_declined_or_needing_authentication_falls_back_to_a_link(
    stack: Stack, behaviour: str, reason: str
) -> None:
    card_id = await _save_card(stack, behaviour)
    r = await stack.hold()
    result = await stack.service.pay_booking_with_card(r.id, stack.user_id, card_id)
    assert result.outcome == CardOutcome.NEEDS_CHECKOUT and result.reason == reason
    assert result.checkout is not None and result.checkout.session_id in stack.fake.sessions
    assert (await stack.reservation(r.id)).status == ReservationStatus.PENDING_PAYMENT
    assert [p.status for p in await stack.payments()] == [PaymentStatus.FAILED, PaymentStatus.PENDING]
    await stack.fake.complete_checkout(result.checkout.session_id)
    assert (await stack.reservation(r.id)).status == ReservationStatus.CONFIRMED


async def test_another_drivers_card_cannot_be_used(stack: Stack) -> None:
    card_id = await _save_card(stack)
    r = await stack.hold(stack.other_id)
    with pytest.raises(Exception, match="card"):
        await stack.service.pay_booking_with_card(r.id, stack.other_id, card_id)
    assert stack.fake.payment_intents == {}


async def test_cancel_refunds_the_card_and_a_refused_refund_stays_visible(stack: Stack) -> None:
    ok = await stack.hold(start_h=1)
    link = await stack.service.booking_checkout(ok.id, stack.user_id)
    await stack.fake.complete_checkout(link.session_id)
    await stack.cancel(ok.id, stack.user_id)
    (payment,) = await stack.payments()
    assert payment.status == PaymentStatus.REFUNDED and payment.refunded_at is not None
    refused = await stack.hold(start_h=4)
    link = await stack.service.booking_checkout(refused.id, stack.user_id)
    await stack.fake.complete_checkout(link.session_id)
    stack.fake.fail_refunds(1)
    await stack.cancel(refused.id, stack.user_id)
    last = (await stack.payments())[-1]
    assert last.status == PaymentStatus.REFUND_FAILED and last.failure_reason
    assert await stack.kinds(stack.admin_id) == ["admin_refund_failed"]
    assert (await stack.reservation(refused.id)).status == ReservationStatus.CANCELLED
    assert len(stack.fake.refunds) == 1


async def test_reconciliation_confirms_a_paid_booking_whose_webhook_never_came(stack: Stack) -> None:
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id)
    await stack.fake.complete_checkout(link.session_id, send_webhook=False)  # the webhook is lost
    assert await stack.service.reconcile_open_checkouts() == 0  # too fresh to ask about yet
    stack.clock.advance(timedelta(minutes=3))
    assert await stack.service.reconcile_open_checkouts() == 1
    assert (await stack.reservation(r.id)).status == ReservationStatus.CONFIRMED
    assert await stack.kinds(stack.user_id) == ["booking_confirmed"]
    assert await stack.service.reconcile_open_checkouts() == 0


async def test_a_top_up_for_an_extension_covers_what_the_wallet_lacks(stack: Stack) -> None:
    # On PostgreSQL the quote is read in a READ ONLY transaction: no row locks there.
    r = await stack.hold()
    await stack.fund(PRICE)
    async with stack.db.transaction() as s:
        await rules.pay_booking_with_wallet(
            s, reservation_id=r.id, user_id=stack.user_id, now=stack.clock.now()
        )
        extension = await booking.request_extension(
            s, r.id, user_id=stack.user_id, minutes=30, now=stack.clock.now()
        )
        extension_id, price = extension.id, extension.price
    link = await stack.service.topup_for_extension(extension_id, stack.user_id)
    assert (link.amount, link.currency) == (max(price, TOPUP_MIN), "EUR")
    assert link.checkout.session_id in stack.fake.sessions
    with pytest.raises(NotOwner):
        await stack.service.topup_for_extension(extension_id, stack.other_id)
