"""Money paths raced and attacked at the edge (issue 9 items 16-19): the service functions
themselves called concurrently on SQLite and PostgreSQL, Checkout events of the wrong amount,
signed but malformed webhooks, and made-up return-page links; the real stripe library against
the Stripe fake, our web app over HTTP."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from core.db import Database
from core.errors import DomainError
from core.models import (
    Payment,
    PaymentMethodKind,
    PaymentPurpose,
    PaymentStatus,
    ProcessedEvent,
    ReservationStatus,
    WalletTransaction,
    WalletTxKind,
)
from core.services import booking
from core.services import payments as rules
from tests.integration.test_payments import PRICE, Stack, open_stack

RACERS = 10


@pytest.fixture
async def stack(db: Database) -> AsyncIterator[Stack]:
    async for opened in open_stack(db):
        yield opened


async def _debits(stack: Stack) -> list[int]:
    async with stack.db.read() as s:
        return list(
            await s.scalars(
                select(WalletTransaction.amount).where(
                    WalletTransaction.user_id == stack.user_id,
                    WalletTransaction.kind == WalletTxKind.PAYMENT,
                )
            )
        )


async def test_ten_concurrent_wallet_payments_for_one_booking_take_the_money_once(stack: Stack) -> None:
    r = await stack.hold()
    await stack.fund(RACERS * PRICE)

    async def pay() -> bool:
        try:
            async with stack.db.transaction() as s:
                await rules.pay_booking_with_wallet(
                    s, reservation_id=r.id, user_id=stack.user_id, now=stack.clock.now()
                )
        except DomainError:
            return False
        return True

    results = await asyncio.gather(*(pay() for _ in range(RACERS)))
    assert sum(results) == 1
    assert [(p.method, p.status) for p in await stack.payments()] == [
        (PaymentMethodKind.WALLET, PaymentStatus.SUCCEEDED)
    ]
    assert await _debits(stack) == [-PRICE]
    assert await stack.balance() == (RACERS - 1) * PRICE
    assert (await stack.reservation(r.id)).status == ReservationStatus.CONFIRMED
    assert await stack.kinds(stack.user_id) == ["booking_confirmed"]


async def test_ten_concurrent_wallet_payments_for_one_extension_take_the_money_once(stack: Stack) -> None:
    r = await stack.hold()
    await stack.fund(PRICE + RACERS * 100)
    async with stack.db.transaction() as s:
        await rules.pay_booking_with_wallet(
            s, reservation_id=r.id, user_id=stack.user_id, now=stack.clock.now()
        )
    async with stack.db.transaction() as s:
        extension = await booking.request_extension(
            s, r.id, user_id=stack.user_id, minutes=30, now=stack.clock.now()
        )
        extension_id, added = extension.id, extension.price
    assert added == 100

    async def pay() -> bool:
        try:
            async with stack.db.transaction() as s:
                await rules.pay_extension_with_wallet(
                    s, extension_id=extension_id, user_id=stack.user_id, now=stack.clock.now()
                )
        except DomainError:
            return False
        return True

    results = await asyncio.gather(*(pay() for _ in range(RACERS)))
    assert sum(results) == 1
    extension_payments = [p for p in await stack.payments() if p.purpose == PaymentPurpose.EXTENSION]
    assert [p.status for p in extension_payments] == [PaymentStatus.SUCCEEDED]
    assert sorted(await _debits(stack)) == [-PRICE, -added]
    assert await stack.balance() == RACERS * 100 - added
    extended = await stack.reservation(r.id)
    assert extended.ends_at == r.ends_at + timedelta(minutes=30) and extended.price == PRICE + added


async def test_the_database_refuses_a_second_succeeded_payment_for_one_booking(stack: Stack) -> None:
    r = await stack.hold()
    now = stack.clock.now()

    def succeeded() -> Payment:
        return Payment(
            user_id=stack.user_id,
            reservation_id=r.id,
            purpose=PaymentPurpose.BOOKING,
            method=PaymentMethodKind.CARD,
            amount=PRICE,
            currency="EUR",
            status=PaymentStatus.SUCCEEDED,
            created_at=now,
            updated_at=now,
        )

    async with stack.db.transaction() as s:
        s.add(succeeded())
    with pytest.raises(IntegrityError):
        async with stack.db.transaction() as s:
            s.add(succeeded())
    assert [p.status for p in await stack.payments()] == [PaymentStatus.SUCCEEDED]


async def test_a_checkout_of_another_amount_is_refunded_held_for_review_and_never_settled_later(
    stack: Stack,
) -> None:
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id)
    paid = await stack.fake.complete_checkout(link.session_id, send_webhook=False)
    wrong = copy.deepcopy(paid)
    wrong["id"] = "evt_wrong_amount"
    wrong["data"]["object"]["amount_total"] = PRICE - 100
    assert await stack.fake.send_event(wrong) == 200
    (payment,) = await stack.payments()
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert "expected 400 EUR" in (payment.failure_reason or "")
    # What was taken goes back, once, through the refund path and its idempotency key.
    (refund,) = stack.fake.refunds.values()
    assert (refund["payment_intent"], refund["amount"]) == (payment.stripe_payment_intent_id, PRICE - 100)
    assert payment.stripe_refund_id == refund["id"] and payment.refunded_amount == PRICE - 100
    assert f"refund-payment-{payment.id}" in stack.fake._idempotent  # a retry cannot refund twice
    assert await stack.kinds(stack.admin_id) == ["admin_payment_mismatch"]
    assert await stack.kinds(stack.user_id) == ["payment_refunded"]
    # A later event for the same session (the genuine amount this time) settles nothing.
    assert await stack.fake.send_event(paid) == 200
    _status, page = await _return_page(stack, f"session_id={link.session_id}")
    assert "We are checking your payment" in page and "Payment received" not in page
    assert await stack.service.reconcile_open_checkouts() == 0
    (payment,) = await stack.payments()
    assert payment.status == PaymentStatus.NEEDS_REVIEW
    assert (await stack.reservation(r.id)).status == ReservationStatus.PENDING_PAYMENT
    assert len(stack.fake.refunds) == 1
    assert await stack.kinds(stack.user_id) == ["payment_refunded"]


@pytest.mark.parametrize(
    "body",
    [
        [],
        {},
        {"id": "evt_1", "type": "checkout.session.completed"},
        {"id": "evt_2", "type": "checkout.session.completed", "data": {}},
        {"id": "evt_3", "type": "checkout.session.completed", "data": {"object": []}},
        {"id": "evt_4", "type": "checkout.session.completed", "data": {"object": {"amount_total": 1}}},
        "not an object",
    ],
    ids=["list", "empty", "no-data", "no-object", "object-list", "object-no-id", "string"],
)
async def test_signed_but_malformed_events_are_refused_with_400(
    stack: Stack, body: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    status = await _post_signed(stack, json.dumps(body))
    assert status == 400
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    async with stack.db.read() as s:
        assert await s.scalar(select(func.count()).select_from(ProcessedEvent)) == 0


async def test_an_event_signed_a_day_ahead_is_refused_and_one_within_the_tolerance_accepted(
    stack: Stack,
) -> None:
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id)
    event = await stack.fake.complete_checkout(link.session_id, send_webhook=False)
    assert await stack.fake.send_event(event, timestamp=int(time.time()) + 86_400) == 400
    assert await stack.fake.send_event(event, timestamp=int(time.time()) + 400) == 400
    assert (await stack.reservation(r.id)).status == ReservationStatus.PENDING_PAYMENT
    assert await stack.fake.send_event(event, timestamp=int(time.time()) + 60) == 200  # clock skew
    assert (await stack.reservation(r.id)).status == ReservationStatus.CONFIRMED


async def _post_signed(stack: Stack, payload: str) -> int:
    headers = {"Stripe-Signature": stack.fake.sign(payload), "Content-Type": "application/json"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{stack.web_url}/stripe/webhook", data=payload.encode(), headers=headers) as resp,
    ):
        return resp.status


async def _return_page(stack: Stack, query: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"{stack.web_url}/payments/return?{query}") as resp:
        return resp.status, await resp.text()


def _retrievals(stack: Stack) -> int:
    return sum(
        1 for method, path, _ in stack.fake.requests if method == "GET" and "/checkout/sessions/" in path
    )


async def test_the_return_page_believes_nobody_and_logs_nothing_forged(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # Not the shape of a Checkout Session id: refused without asking Stripe.
    for bad in ("cs_made_up", "cs_test_%0AERROR%20forged%20line", "cs_test_" + "a" * 300, "cs_live_a-b", ""):
        status, page = await _return_page(stack, f"session_id={bad}")
        assert status == 400 and "Payment not found" in page, bad
        assert "Payment received" not in page
    assert _retrievals(stack) == 0
    # The right shape, but unknown to Stripe: nobody is told it went through.
    status, page = await _return_page(stack, "session_id=cs_test_a1B2c3D4e5F6g7H8i9J0")
    assert status == 200 and "We are checking your payment" in page and "Payment received" not in page
    assert _retrievals(stack) == 1
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []
    messages = [r.getMessage() for r in caplog.records if r.name.startswith("payments")]
    assert messages and all("\n" not in m and len(m) < 300 for m in messages), messages
    assert not any("forged line" in m and "\\n" not in m for m in messages)
    # A genuine payment still shows as received.
    r = await stack.hold()
    link = await stack.service.booking_checkout(r.id, stack.user_id)
    await stack.fake.complete_checkout(link.session_id, send_webhook=False)
    status, page = await _return_page(stack, f"session_id={link.session_id}")
    assert status == 200 and "Payment received" in page
    assert (await stack.reservation(r.id)).status == ReservationStatus.CONFIRMED


async def test_the_return_page_is_rate_limited_per_client(stack: Stack) -> None:
    statuses = [(await _return_page(stack, f"session_id=cs_test_unknown{i}"))[0] for i in range(30)]
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429 and statuses.count(429) >= 15
    assert _retrievals(stack) <= 12  # limited requests never reach Stripe
