"""The payment use cases against the in-process provider (tests/fakes/payments.py): what the
driver gets and what the payments table records. The real Stripe client and the webhook
over HTTP are tested in tests/integration/test_payments.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import InvalidTopUp, InvalidTransition, NotOwner, PaymentUnavailable
from core.models import PaymentStatus, ReservationStatus
from core.rules import TOPUP_MAX, TOPUP_MIN
from core.services import booking
from core.services.payment_links import LinkState
from core.services.payments import Settled
from core.usecases.payments import CardOutcome
from tests.usecases.conftest import PRICE, World


async def _save_card(world: World, behaviour: str = "ok") -> int:
    link = await world.payments.add_card_checkout(world.user_id, "EUR")
    state = world.provider.save_card(link.session_id, behaviour)  # type: ignore[arg-type]
    await world.payments.checkout_completed(state, event_id="evt_setup")
    (card,) = await world.wallet.cards(world.user_id)
    return card.id


async def test_a_checkout_page_for_a_hold_confirms_the_booking_once_paid(world: World) -> None:
    rid = await world.hold()
    link = await world.payments.booking_checkout(rid, world.user_id)
    page = world.provider.checkouts[link.session_id]
    assert (page.amount, page.currency, page.metadata["reference"]) == (PRICE, "EUR", f"reservation-{rid}")
    assert page.customer in world.provider.customers
    (payment,) = await world.payments_made()
    assert (payment.status, payment.stripe_checkout_session_id) == (PaymentStatus.PENDING, link.session_id)

    paid = world.provider.pay(link.session_id)
    await world.payments.checkout_completed(paid, event_id="evt_1")
    await world.payments.checkout_completed(paid, event_id="evt_1")  # the event delivered again
    assert await world.payments.verify_return(link.session_id) == Settled.ALREADY_DONE  # the return page
    assert await world.status(rid) == ReservationStatus.CONFIRMED
    (payment,) = await world.payments_made()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert await world.kinds(world.user_id) == ["booking_confirmed"]


async def test_a_page_expired_unpaid_cancels_the_payment_and_releases_the_hold(world: World) -> None:
    rid = await world.hold()
    link = await world.payments.booking_checkout(rid, world.user_id)
    await world.payments.checkout_expired(link.session_id, event_id="evt_expired")
    assert await world.status(rid) == ReservationStatus.EXPIRED
    assert [p.status for p in await world.payments_made()] == [PaymentStatus.CANCELLED]


async def test_a_saved_card_pays_off_session(world: World) -> None:
    card_id = await _save_card(world)
    assert await world.kinds(world.user_id) == ["card_saved"]
    rid = await world.hold()
    result = await world.payments.pay_booking_with_card(rid, world.user_id, card_id)
    assert result.outcome == CardOutcome.PAID and result.checkout is None
    assert await world.status(rid) == ReservationStatus.CONFIRMED
    assert [p.status for p in await world.payments_made()] == [PaymentStatus.SUCCEEDED]
    # The card charged, as its receipt names it (issue 15).
    (card,) = await world.wallet.cards(world.user_id)
    assert [(p.card_brand, p.card_last4) for p in await world.payments_made()] == [(card.brand, card.last4)]


@pytest.mark.parametrize("behaviour", ["decline", "authenticate"])
async def test_a_declined_card_needs_a_checkout_page(world: World, behaviour: str) -> None:
    card_id = await _save_card(world, behaviour)
    rid = await world.hold()
    result = await world.payments.pay_booking_with_card(rid, world.user_id, card_id)
    assert result.outcome == CardOutcome.NEEDS_CHECKOUT
    assert result.reason == {"decline": "card_declined", "authenticate": "authentication_required"}[behaviour]
    assert result.checkout is not None and result.checkout.session_id in world.provider.checkouts
    declined, fallback = await world.payments_made()
    assert declined.status == PaymentStatus.FAILED and (declined.failure_reason or "").startswith(
        result.reason
    )
    assert fallback.status == PaymentStatus.PENDING
    assert await world.status(rid) == ReservationStatus.PENDING_PAYMENT


async def test_another_drivers_card_is_refused_without_asking_the_provider(world: World) -> None:
    card_id = await _save_card(world)
    rid = await world.hold(world.other_id)
    with pytest.raises(NotOwner):
        await world.payments.pay_booking_with_card(rid, world.other_id, card_id)
    assert "charge_saved_card" not in world.provider.calls


async def test_provider_down_is_payment_unavailable_and_the_payment_failed(world: World) -> None:
    card_id = await _save_card(world)
    rid = await world.hold()
    world.provider.down = True
    with pytest.raises(PaymentUnavailable):
        await world.payments.booking_checkout(rid, world.user_id)
    with pytest.raises(PaymentUnavailable):
        await world.payments.pay_booking_with_card(rid, world.user_id, card_id)
    with pytest.raises(PaymentUnavailable):
        await world.payments.topup_checkout(world.user_id, 1_000, "EUR")
    with pytest.raises(PaymentUnavailable):
        await world.payments.add_card_checkout(world.user_id, "EUR")
    with pytest.raises(PaymentUnavailable):
        await world.payments.remove_card(world.user_id, card_id)
    with pytest.raises(PaymentUnavailable):
        await world.payments.verify_return("cs_test_whatever")
    made = await world.payments_made()
    assert [p.status for p in made] == [PaymentStatus.FAILED] * 3
    assert all("unreachable" in (p.failure_reason or "") for p in made)
    assert len(await world.wallet.cards(world.user_id)) == 1  # kept: the provider still has it
    assert await world.status(rid) == ReservationStatus.PENDING_PAYMENT  # the wallet may still pay
    world.provider.down = False
    link = await world.payments.booking_checkout(rid, world.user_id)
    await world.payments.checkout_completed(world.provider.pay(link.session_id), event_id="evt_later")
    assert await world.status(rid) == ReservationStatus.CONFIRMED


async def test_a_page_the_provider_does_not_know_is_payment_unavailable(world: World) -> None:
    with pytest.raises(PaymentUnavailable):
        await world.payments.verify_return("cs_test_unknown")


async def test_top_ups_out_of_range_are_refused_before_anything_is_recorded(world: World) -> None:
    for amount in (TOPUP_MIN - 1, TOPUP_MAX + 1, 0):
        with pytest.raises(InvalidTopUp):
            await world.payments.topup_checkout(world.user_id, amount, "EUR")
    assert await world.payments_made() == [] and world.provider.calls == []


async def test_a_top_up_credits_the_wallet_once(world: World) -> None:
    link = await world.payments.topup_checkout(world.user_id, 2_000, "EUR")
    paid = world.provider.pay(link.session_id)
    await world.payments.checkout_completed(paid, event_id="evt_topup")
    assert await world.payments.verify_return(link.session_id) == Settled.ALREADY_DONE
    assert await world.wallet.balance(world.user_id, "EUR") == 2_000
    assert await world.kinds(world.user_id) == ["wallet_topped_up"]


async def test_a_top_up_for_a_booking_covers_what_the_wallet_is_missing(world: World) -> None:
    rid = await world.hold()
    await world.fund(100)
    topup = await world.payments.topup_for_booking(rid, world.user_id)
    assert (topup.amount, topup.currency) == (TOPUP_MIN, "EUR")  # 3.00 missing; top-ups start at 5.00
    await world.payments.checkout_completed(
        world.provider.pay(topup.checkout.session_id), event_id="evt_cover"
    )
    await world.wallet.pay_booking(reservation_id=rid, user_id=world.user_id)
    assert await world.status(rid) == ReservationStatus.CONFIRMED
    assert await world.wallet.balance(world.user_id, "EUR") == 100 + TOPUP_MIN - PRICE


async def test_a_wrong_amount_is_held_for_review_and_refunded(world: World) -> None:
    rid = await world.hold()
    link = await world.payments.booking_checkout(rid, world.user_id)
    await world.payments.checkout_completed(
        world.provider.pay(link.session_id, amount=PRICE - 1), event_id="e"
    )
    assert await world.status(rid) == ReservationStatus.PENDING_PAYMENT
    (payment,) = await world.payments_made()
    assert payment.status == PaymentStatus.NEEDS_REVIEW and payment.refunded_amount == PRICE - 1
    assert [amount for _intent, amount in world.provider.refunds.values()] == [PRICE - 1]
    assert await world.kinds(world.admin_id) == ["admin_payment_mismatch"]


async def test_refund_after_cancel_and_a_refused_refund_stays_visible(world: World) -> None:
    card_id = await _save_card(world)
    kept, refused = await world.hold(start_h=1), await world.hold(start_h=4)
    for rid in (kept, refused):
        assert (
            await world.payments.pay_booking_with_card(rid, world.user_id, card_id)
        ).outcome == CardOutcome.PAID
    async with world.db.transaction() as s:
        await booking.cancel(s, kept, user_id=world.user_id, now=world.clock.now())
    assert await world.payments.process_refunds() == 1
    world.provider.fail_refunds = 1
    async with world.db.transaction() as s:
        await booking.cancel(s, refused, user_id=world.user_id, now=world.clock.now())
    assert await world.payments.process_refunds() == 0
    first, second = await world.payments_made()
    assert (first.status, first.refunded_amount) == (PaymentStatus.REFUNDED, PRICE)
    assert first.stripe_refund_id in world.provider.refunds
    assert second.status == PaymentStatus.REFUND_FAILED and "refused" in (second.failure_reason or "")
    assert await world.kinds(world.admin_id) == ["admin_refund_failed"]
    assert len(world.provider.refunds) == 1


async def test_pages_of_lapsed_holds_are_closed(world: World) -> None:
    rid = await world.hold()
    link = await world.payments.booking_checkout(rid, world.user_id)
    world.clock.advance(timedelta(minutes=10))
    async with world.db.transaction() as s:
        await booking.expire_holds(s, world.clock.now())
    assert await world.payments.expire_unpaid_checkouts() == 1
    assert world.provider.checkouts[link.session_id].state.status == "expired"
    assert [p.status for p in await world.payments_made()] == [PaymentStatus.CANCELLED]
    assert await world.payments.expire_unpaid_checkouts() == 0


async def test_closing_lapsed_pages_while_the_provider_is_down_leaves_them_for_the_next_sweep(
    world: World,
) -> None:
    rid = await world.hold()
    await world.payments.booking_checkout(rid, world.user_id)
    world.clock.advance(timedelta(minutes=10))
    async with world.db.transaction() as s:
        await booking.expire_holds(s, world.clock.now())
    world.provider.down = True
    with pytest.raises(PaymentUnavailable):
        await world.payments.expire_unpaid_checkouts()
    assert [p.status for p in await world.payments_made()] == [PaymentStatus.PENDING]
    world.provider.down = False
    assert await world.payments.expire_unpaid_checkouts() == 1


async def test_reconciliation_settles_a_paid_page_whose_event_never_came(world: World) -> None:
    rid = await world.hold()
    link = await world.payments.booking_checkout(rid, world.user_id)
    world.provider.pay(link.session_id)  # the event is lost
    assert await world.payments.reconcile_open_checkouts() == 0  # too fresh to ask about
    world.clock.advance(timedelta(minutes=3))
    world.provider.down = True
    assert await world.payments.reconcile_open_checkouts() == 0  # asked, no answer: next time
    world.provider.down = False
    assert await world.payments.reconcile_open_checkouts() == 1
    assert await world.status(rid) == ReservationStatus.CONFIRMED
    assert await world.payments.reconcile_open_checkouts() == 0


async def test_a_paid_booking_gets_no_second_page(world: World) -> None:
    rid = await world.hold()
    await world.fund(PRICE)
    await world.wallet.pay_booking(reservation_id=rid, user_id=world.user_id)
    with pytest.raises(InvalidTransition):
        await world.payments.booking_checkout(rid, world.user_id)
    assert world.provider.calls == []


async def test_settled_payments_are_announced_to_the_front_end(world: World) -> None:
    heard: list[tuple[int, Settled]] = []

    async def listener(payment_id: int, settled: Settled) -> None:
        heard.append((payment_id, settled))

    async def broken(payment_id: int, settled: Settled) -> None:
        raise RuntimeError("a display hook failed")

    world.payments.on_settled.extend([broken, listener])
    rid = await world.hold()
    link = await world.payments.booking_checkout(rid, world.user_id)
    await world.payments.checkout_completed(world.provider.pay(link.session_id), event_id="evt_1")
    (payment,) = await world.payments_made()
    assert heard == [(payment.id, Settled.CONFIRMED)]
    assert await world.status(rid) == ReservationStatus.CONFIRMED


async def test_a_page_that_keeps_the_card_records_it_once_paid_and_the_card_pays_next_time(
    world: World,
) -> None:
    """The SMS channel's Checkout keeps the card (setup_future_usage): the event does not carry
    the card, so the provider is asked for it before the payment settles, in one transaction."""
    rid = await world.hold()
    link = await world.payments.booking_checkout(rid, world.user_id, save_card=True)
    assert world.provider.checkouts[link.session_id].metadata["save_card"] == "1"
    event = world.provider.pay(link.session_id)
    assert event.saved_card is None  # as Stripe's event: the payment intent is only an id
    await world.payments.checkout_completed(event, event_id="evt_paid")
    await world.payments.checkout_completed(event, event_id="evt_paid")  # delivered again
    assert await world.payments.verify_return(link.session_id) == Settled.ALREADY_DONE
    (card,) = await world.wallet.cards(world.user_id)
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("mastercard", "4444", 8, 2031)
    assert await world.kinds(world.user_id) == ["booking_confirmed", "card_saved"]

    later = await world.hold(start_h=4)
    result = await world.payments.pay_booking_with_card(later, world.user_id, card.id)
    assert result.outcome == CardOutcome.PAID
    assert await world.status(later) == ReservationStatus.CONFIRMED
    (key,) = world.provider.charges
    assert key == f"charge-payment-{(await world.payments_made())[-1].id}"


async def test_the_card_is_not_lost_when_the_provider_cannot_say_which_it_was(world: World) -> None:
    rid = await world.hold()
    link = await world.payments.booking_checkout(rid, world.user_id, save_card=True)
    event = world.provider.pay(link.session_id)
    world.provider.down = True
    with pytest.raises(PaymentUnavailable):  # the webhook answers 503: Stripe sends it again
        await world.payments.checkout_completed(event, event_id="evt_paid")
    assert await world.status(rid) == ReservationStatus.PENDING_PAYMENT
    world.provider.down = False
    await world.payments.checkout_completed(event, event_id="evt_paid")
    assert await world.status(rid) == ReservationStatus.CONFIRMED
    assert len(await world.wallet.cards(world.user_id)) == 1


async def test_a_page_that_does_not_keep_the_card_asks_nothing_more(world: World) -> None:
    rid = await world.hold()
    link = await world.payments.booking_checkout(rid, world.user_id)
    await world.payments.checkout_completed(world.provider.pay(link.session_id), event_id="evt_1")
    assert "retrieve_checkout" not in world.provider.calls
    assert await world.wallet.cards(world.user_id) == []


async def test_a_short_link_leads_to_the_page_while_its_payment_is_open(world: World) -> None:
    rid = await world.hold()
    link = await world.payments.booking_checkout(rid, world.user_id)
    short = await world.payments.short_link(link)
    token = short.removeprefix("https://parking.example/p/")
    assert len(token) == 10 and token.replace("-", "").replace("_", "").isalnum()
    assert await world.payments.short_link(link) == short  # one per payment
    target = await world.payments.open_short_link(token)
    assert (target.state, target.url) == (LinkState.OPEN, link.url)
    await world.payments.checkout_completed(world.provider.pay(link.session_id), event_id="evt_1")
    assert (await world.payments.open_short_link(token)).state == LinkState.PAID

    lapsed = await world.hold(start_h=4)
    page = await world.payments.booking_checkout(lapsed, world.user_id)
    other = (await world.payments.short_link(page)).rsplit("/", 1)[1]
    assert other != token
    await world.payments.checkout_expired(page.session_id, event_id="evt_expired")
    assert (await world.payments.open_short_link(other)).state == LinkState.EXPIRED
    assert (await world.payments.open_short_link("AAAAAAAAAA")).state == LinkState.UNKNOWN
