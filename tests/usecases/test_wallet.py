"""The wallet use cases: they need no payment provider."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import InsufficientFunds, InvalidTransition, NotOwner
from core.models import PaymentMethodKind, PaymentStatus, ReservationStatus, WalletTxKind
from core.rules import TOPUP_MAX, TOPUP_MIN, TOPUP_PRESETS
from core.usecases.wallet import HistoryPage
from tests.usecases.conftest import PRICE, World


async def test_the_wallet_pays_a_booking_in_one_step(world: World) -> None:
    rid = await world.hold()
    await world.fund(PRICE - 1)
    with pytest.raises(InsufficientFunds) as short:
        await world.wallet.pay_booking(reservation_id=rid, user_id=world.user_id)
    assert (short.value.balance, short.value.needed) == (PRICE - 1, PRICE)
    assert await world.payments_made() == [] and await world.status(rid) == ReservationStatus.PENDING_PAYMENT
    await world.fund(1)
    with pytest.raises(NotOwner):
        await world.wallet.pay_booking(reservation_id=rid, user_id=world.other_id)
    paid = await world.wallet.pay_booking(reservation_id=rid, user_id=world.user_id)
    assert (paid.amount, paid.currency) == (PRICE, "EUR")
    (payment,) = await world.payments_made()
    assert (payment.id, payment.method, payment.status) == (
        paid.payment_id,
        PaymentMethodKind.WALLET,
        PaymentStatus.SUCCEEDED,
    )
    assert await world.status(rid) == ReservationStatus.CONFIRMED
    assert await world.wallet.balance(world.user_id, "EUR") == 0
    assert await world.kinds(world.user_id) == ["booking_confirmed"]
    with pytest.raises(InvalidTransition):  # a second tap
        await world.wallet.pay_booking(reservation_id=rid, user_id=world.user_id)
    assert len(await world.payments_made()) == 1


async def test_a_lapsed_hold_is_not_paid(world: World) -> None:
    rid = await world.hold()
    await world.fund(PRICE)
    world.clock.advance(timedelta(minutes=11))
    with pytest.raises(InvalidTransition):
        await world.wallet.pay_booking(reservation_id=rid, user_id=world.user_id)
    assert await world.wallet.balance(world.user_id, "EUR") == PRICE


async def test_coverage_offers_the_top_up_that_pays(world: World) -> None:
    await world.fund(100)
    short = await world.wallet.coverage(world.user_id, PRICE, "EUR")
    assert (short.balance, short.enough, short.topup) == (100, False, TOPUP_MIN)
    assert (await world.wallet.coverage(world.user_id, 100, "EUR")).enough


async def test_the_wallet_screen_overview_and_history(world: World) -> None:
    view = await world.wallet.overview(world.user_id)
    assert (view.balance, view.currency) == (0, "EUR")
    assert (view.topup_presets, view.topup_min, view.topup_max) == (TOPUP_PRESETS, TOPUP_MIN, TOPUP_MAX)
    assert await world.wallet.history(world.user_id) == HistoryPage([], False)
    for amount in (100, 200, 300):
        await world.fund(amount)
        world.clock.advance(timedelta(minutes=1))
    first = await world.wallet.history(world.user_id, limit=2)
    assert [e.amount for e in first.entries] == [300, 200] and first.has_more
    assert all(e.kind == WalletTxKind.ADJUSTMENT and e.currency == "EUR" for e in first.entries)
    rest = await world.wallet.history(world.user_id, offset=2, limit=2)
    assert [e.amount for e in rest.entries] == [100] and not rest.has_more
    assert (await world.wallet.overview(world.user_id, "EUR")).balance == 600
