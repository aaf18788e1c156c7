"""Payment use cases: Checkout links, top-ups, saving and charging cards, refunds, settling
what the provider reports (webhook, return page, reconciliation), closing lapsed pages.

Each is a short transaction, then the provider call, then a short transaction, so no database
write transaction is ever held across the network. They reach the provider only through the
port (`core/payments.py`); a provider failure reaches the front ends as PaymentUnavailable,
with the payment it was for marked failed."""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import Database
from core.errors import PaymentUnavailable
from core.models import PaymentPurpose, Reservation
from core.payments import (
    CardDetails,
    CheckoutLink,
    CheckoutState,
    PaymentProvider,
    PaymentProviderError,
    ProviderPayment,
)
from core.rules import check_topup, topup_to_cover
from core.services import booking, payment_links, wallet
from core.services import payments as rules
from core.services.payment_links import LinkTarget
from core.services.payments import Settled
from core.services.places import place_of

log = logging.getLogger(__name__)

# Stripe keeps a Checkout Session open for at least 30 minutes; a shorter hold is enforced by
# expiring the session when the hold ends (the hold sweep) and by refusing late payments
# whose spot was taken.
_MIN_CHECKOUT_LIFETIME = timedelta(minutes=31)

# Metadata of a page that keeps the card for later: when it is paid, the card is recorded
# (`payment_methods`), which the webhook's event does not carry, so it is asked for then.
SAVE_CARD = "save_card"


class CardOutcome(enum.Enum):
    PAID = "paid"
    NEEDS_CHECKOUT = "needs_checkout"  # the bank wants authentication or declined: use the link


@dataclass(frozen=True, slots=True)
class CardPayment:
    outcome: CardOutcome
    payment_id: int
    checkout: CheckoutLink | None = None
    reason: str | None = None  # provider's code, e.g. authentication_required, card_declined
    message: str | None = None


@dataclass(frozen=True, slots=True)
class TopUpLink:
    """A top-up page for what a booking's price is missing from the wallet."""

    checkout: CheckoutLink
    amount: int
    currency: str


@contextmanager
def _unavailable() -> Iterator[None]:
    """The front ends see a provider failure as a domain refusal, never the adapter's error."""
    try:
        yield
    except PaymentProviderError as exc:
        raise PaymentUnavailable(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class _Charge:
    payment_id: int
    amount: int
    currency: str
    title: str
    description: str
    expires_at: datetime
    reference: str
    user_id: int


class PaymentUseCases:
    """Card payments; built only when a provider is configured (the wallet's own use cases,
    core/usecases/wallet.py, work without one). Methods raise PaymentUnavailable when the
    provider fails, besides the domain errors each names."""

    def __init__(self, db: Database, provider: PaymentProvider, clock: Clock, *, public_url: str) -> None:
        self.db = db
        self.provider = provider
        self.clock = clock
        self.public_url = public_url.rstrip("/")
        # Called after a Checkout payment settles (webhook or return page) with the payment id
        # and outcome, so a front end can update what the driver sees at once.
        self.on_settled: list[Callable[[int, Settled], Awaitable[None]]] = []
        # Other refunds that the refunds sweep retries with process_refunds (the console's
        # partial refunds, core/usecases/admin_bookings.py).
        self.retry_refunds: list[Callable[[], Awaitable[object]]] = []

    async def _announce(self, checkout_session_id: str, settled: Settled) -> None:
        if settled not in (Settled.CONFIRMED, Settled.REFUND_OWED) or not self.on_settled:
            return
        async with self.db.read() as s:
            payment_id = await rules.payment_of_checkout(s, checkout_session_id)
        for listener in self.on_settled:
            try:
                await listener(int(payment_id or 0), settled)
            except Exception:  # a display hook must never undo or block a settled payment
                log.exception("on_settled listener failed for %s", checkout_session_id)

    # -- links ----------------------------------------------------------------------------

    def _return_urls(self) -> tuple[str, str]:
        base = f"{self.public_url}/payments/return?session_id={{CHECKOUT_SESSION_ID}}"
        return base, f"{base}&cancelled=1"

    async def _customer(self, user_id: int) -> str:
        """Raises PaymentProviderError (callers decide what it means for their payment)."""
        async with self.db.read() as s:
            known, name = await rules.customer_of(s, user_id)
        if known:
            return known
        customer = await self.provider.create_customer(user_id=user_id, name=name)
        async with self.db.transaction() as s:
            return await rules.remember_customer(s, user_id, customer)

    async def _checkout(self, charge: _Charge, *, save_card: bool = False) -> CheckoutLink:
        success, cancel = self._return_urls()
        metadata = {"payment_id": str(charge.payment_id), "reference": charge.reference}
        if save_card:
            metadata[SAVE_CARD] = "1"
        try:
            customer = await self._customer(charge.user_id)
            link = await self.provider.create_payment_checkout(
                idempotency_key=f"checkout-payment-{charge.payment_id}",
                amount=charge.amount,
                currency=charge.currency,
                title=charge.title,
                description=charge.description,
                customer=customer,
                expires_at=max(charge.expires_at, self.clock.now() + _MIN_CHECKOUT_LIFETIME),
                success_url=success,
                cancel_url=cancel,
                client_reference_id=charge.reference,
                metadata=metadata,
                save_card=save_card,
            )
        except PaymentProviderError as exc:
            await self._fail(charge.payment_id, str(exc))
            raise PaymentUnavailable(str(exc)) from exc
        async with self.db.transaction() as s:
            await rules.attach_checkout(s, charge.payment_id, link.session_id)
        return link

    async def short_link(self, link: CheckoutLink) -> str:
        """`PUBLIC_URL/p/<token>` for a payment page: short enough for an SMS beside the price.
        It leads to the page while its payment is open (`open_short_link`)."""
        async with self.db.transaction() as s:
            token = await payment_links.link_for(s, link.session_id, link.url, self.clock.now())
        return f"{self.public_url}/p/{token}"

    async def open_booking_link(self, reservation_id: int, user_id: int) -> str | None:
        """The short link already sent for the caller's booking, while its page is open."""
        async with self.db.read() as s:
            token = await payment_links.open_booking_link(s, reservation_id, user_id)
        return None if token is None else f"{self.public_url}/p/{token}"

    async def open_short_link(self, token: str) -> LinkTarget:
        async with self.db.read() as s:
            return await payment_links.target(s, token)

    async def payer_has_chat(self, checkout_session_id: str) -> bool:
        """Whether the driver who pays on this page talks to the bot in Telegram (False: by SMS
        only), so the page they return to speaks of the right channel. True when unknown."""
        async with self.db.read() as s:
            return await rules.payer_has_chat(s, checkout_session_id)

    async def _fail(self, payment_id: int, reason: str) -> None:
        async with self.db.transaction() as s:
            await rules.fail_payment(s, payment_id, reason, self.clock.now())

    async def _booking_charge(self, reservation_id: int, user_id: int) -> _Charge:
        now = self.clock.now()
        async with self.db.transaction() as s:
            reservation = await rules.payable_booking(s, reservation_id, user_id, now)
            title, description, _ = await _describe(s, reservation)
            payment = await rules.new_card_payment(
                s,
                user_id=user_id,
                purpose=PaymentPurpose.BOOKING,
                amount=reservation.price,
                currency=reservation.currency,
                reservation_id=reservation.id,
                now=now,
            )
            assert reservation.hold_expires_at is not None
            return _Charge(
                payment.id,
                payment.amount,
                payment.currency,
                title,
                description,
                reservation.hold_expires_at,
                f"reservation-{reservation.id}",
                user_id,
            )

    async def booking_checkout(
        self, reservation_id: int, user_id: int, *, save_card: bool = False
    ) -> CheckoutLink:
        """A Checkout link for the caller's unpaid hold (`save_card`: Stripe keeps the card on
        the customer for later payments). Raises NotFound or InvalidTransition (paid
        meanwhile, or the hold lapsed)."""
        return await self._checkout(await self._booking_charge(reservation_id, user_id), save_card=save_card)

    async def _extension_charge(self, extension_id: int, user_id: int) -> _Charge:
        now = self.clock.now()
        async with self.db.transaction() as s:
            extension, reservation = await rules.payable_extension(s, extension_id, user_id)
            title, _, tz = await _describe(s, reservation)
            payment = await rules.new_card_payment(
                s,
                user_id=user_id,
                purpose=PaymentPurpose.EXTENSION,
                amount=extension.price,
                currency=extension.currency,
                reservation_id=reservation.id,
                extension_id=extension.id,
                now=now,
            )
            return _Charge(
                payment.id,
                payment.amount,
                payment.currency,
                f"Extension: {title}",
                f"Until {_local(extension.new_ends_at, tz)}",
                reservation.ends_at,
                f"extension-{extension.id}",
                user_id,
            )

    async def extension_checkout(self, extension_id: int, user_id: int) -> CheckoutLink:
        return await self._checkout(await self._extension_charge(extension_id, user_id))

    async def topup_checkout(self, user_id: int, amount: int, currency: str) -> CheckoutLink:
        """A Checkout link that credits the wallet; raises InvalidTopUp outside the limits."""
        check_topup(amount)
        now = self.clock.now()
        async with self.db.transaction() as s:
            payment = await rules.new_card_payment(
                s,
                user_id=user_id,
                purpose=PaymentPurpose.TOPUP,
                amount=amount,
                currency=currency,
                now=now,
            )
            charge = _Charge(
                payment.id,
                amount,
                currency,
                "Parking wallet top-up",
                "Credit for parking bookings",
                now,
                f"topup-{payment.id}",
                user_id,
            )
        return await self._checkout(charge)

    async def topup_for_booking(self, reservation_id: int, user_id: int) -> TopUpLink:
        """A top-up page for what the wallet is missing of the caller's booking price (within
        the top-up limits), so the wallet can pay it afterwards."""
        async with self.db.read() as s:
            reservation = await booking.get_owned(s, reservation_id, user_id)
            price, currency = reservation.price, reservation.currency
            balance = await wallet.balance(s, user_id, currency)
        amount = topup_to_cover(price, balance)
        return TopUpLink(await self.topup_checkout(user_id, amount, currency), amount, currency)

    async def topup_for_extension(self, extension_id: int, user_id: int) -> TopUpLink:
        """A top-up page for what the wallet is missing of an extension's price, so the wallet
        can pay it afterwards."""
        async with self.db.read() as s:
            extension, _reservation = await rules.unpaid_extension(s, extension_id, user_id)
            price, currency = extension.price, extension.currency
            balance = await wallet.balance(s, user_id, currency)
        amount = topup_to_cover(price, balance)
        return TopUpLink(await self.topup_checkout(user_id, amount, currency), amount, currency)

    async def add_card_checkout(self, user_id: int, currency: str) -> CheckoutLink:
        """A Checkout page in setup mode: the driver saves a card without paying."""
        success, cancel = self._return_urls()
        stamp = int(self.clock.now().timestamp())
        with _unavailable():
            customer = await self._customer(user_id)
            return await self.provider.create_setup_checkout(
                idempotency_key=f"setup-user-{user_id}-{stamp}",
                customer=customer,
                currency=currency,
                success_url=success,
                cancel_url=cancel,
                metadata={"user_id": str(user_id), "purpose": "card_setup"},
            )

    # -- saved cards ------------------------------------------------------------------------

    async def pay_booking_with_card(self, reservation_id: int, user_id: int, card_id: int) -> CardPayment:
        """Charges a saved card off-session; when the bank asks for authentication or declines,
        the driver gets a Checkout link instead, with the reason."""
        return await self._pay_with_card(
            user_id,
            card_id,
            lambda: self._booking_charge(reservation_id, user_id),
            lambda: self.booking_checkout(reservation_id, user_id),
        )

    async def pay_extension_with_card(self, extension_id: int, user_id: int, card_id: int) -> CardPayment:
        return await self._pay_with_card(
            user_id,
            card_id,
            lambda: self._extension_charge(extension_id, user_id),
            lambda: self.extension_checkout(extension_id, user_id),
        )

    async def _pay_with_card(
        self,
        user_id: int,
        card_id: int,
        new_charge: Callable[[], Awaitable[_Charge]],
        fallback: Callable[[], Awaitable[CheckoutLink]],
    ) -> CardPayment:
        async with self.db.read() as s:
            card = await rules.owned_card(s, card_id, user_id)
            pm_id, brand, last4 = card.stripe_payment_method_id, card.brand, card.last4
        charge = await new_charge()
        try:
            customer = await self._customer(user_id)
            result = await self.provider.charge_saved_card(
                idempotency_key=f"charge-payment-{charge.payment_id}",
                customer=customer,
                payment_method=pm_id,
                amount=charge.amount,
                currency=charge.currency,
                metadata={"payment_id": str(charge.payment_id), "reference": charge.reference},
            )
        except PaymentProviderError as exc:
            await self._fail(charge.payment_id, str(exc))
            raise PaymentUnavailable(str(exc)) from exc
        if result.succeeded:
            async with self.db.transaction() as s:
                settled = await rules.settle_payment(
                    s,
                    charge.payment_id,
                    ProviderPayment(charge.amount, charge.currency, True, result.payment_intent_id),
                    self.clock.now(),
                )
                # The card charged, for the receipt (a copy: the card may be removed later).
                await rules.note_card(s, charge.payment_id, brand, last4)
            if settled == Settled.REFUND_OWED:
                await self.process_refunds()
            return CardPayment(CardOutcome.PAID, charge.payment_id)
        await self._fail(charge.payment_id, f"{result.failure_code}: {result.failure_message}")
        return CardPayment(
            CardOutcome.NEEDS_CHECKOUT,
            charge.payment_id,
            await fallback(),
            result.failure_code,
            result.failure_message,
        )

    async def remove_card(self, user_id: int, card_id: int) -> None:
        async with self.db.read() as s:
            pm_id = (await rules.owned_card(s, card_id, user_id)).stripe_payment_method_id
        with _unavailable():
            await self.provider.detach_card(pm_id)
        async with self.db.transaction() as s:
            await rules.delete_card(s, card_id)

    # -- completion: webhook and return page ------------------------------------------------

    async def checkout_completed(self, state: CheckoutState, *, event_id: str) -> None:
        """A page was completed (the provider's event `event_id`, applied at most once): a
        payment is settled, a card set up is saved."""
        if state.mode == "setup":
            await self._save_card_from(state.setup_intent_id, state.metadata, event_id)
            return
        card = state.saved_card
        if card is None and state.payment.paid and state.metadata.get(SAVE_CARD) == "1":
            # The event's page names its payment intent only: ask which card it kept. Before the
            # transaction, so a provider failure leaves the event for Stripe to send again.
            with _unavailable():
                card = (await self.provider.retrieve_checkout(state.session_id)).saved_card
        async with self.db.transaction() as s:
            if not await rules.mark_event_processed(s, "stripe", event_id):
                return
            settled = await self._settle(s, state, card)
        log.info("checkout %s completed: %s", state.session_id, settled.value)
        if settled in (Settled.REFUND_OWED, Settled.MISMATCH):
            await self.process_refunds()
        await self._announce(state.session_id, settled)

    async def checkout_expired(self, checkout_session_id: str, *, event_id: str) -> None:
        """A page expired unpaid (the provider's event `event_id`, applied at most once): its
        payment is cancelled and a booking hold it was for released."""
        async with self.db.transaction() as s:
            if await rules.mark_event_processed(s, "stripe", event_id):
                await rules.checkout_expired(s, checkout_session_id, self.clock.now())

    async def _save_card_from(
        self, setup_intent_id: str | None, metadata: dict[str, str], event_id: str
    ) -> None:
        user_id = metadata.get("user_id")
        if setup_intent_id is None or user_id is None or not user_id.isdigit():
            log.warning("setup checkout without setup intent or user: event %s", event_id)
            return
        with _unavailable():
            card = await self.provider.card_from_setup(setup_intent_id)
        async with self.db.transaction() as s:
            if await rules.mark_event_processed(s, "stripe", event_id):
                await rules.save_card(s, int(user_id), card, self.clock.now())

    async def verify_return(self, checkout_session_id: str) -> Settled:
        """The driver came back from Checkout: ask Stripe instead of waiting for the webhook.
        Settling is idempotent, so this and the webhook together confirm exactly once. Raises
        PaymentUnavailable when the provider errs or does not know the page."""
        with _unavailable():
            state = await self.provider.retrieve_checkout(checkout_session_id)
        if state.mode == "setup":
            if state.status == "complete":
                await self._save_card_from(
                    state.setup_intent_id, state.metadata, f"return:{state.session_id}"
                )
                return Settled.CONFIRMED
            return Settled.NOT_PAID
        async with self.db.transaction() as s:
            settled = await self._settle(s, state, state.saved_card)
        if settled in (Settled.REFUND_OWED, Settled.MISMATCH):
            await self.process_refunds()
        await self._announce(state.session_id, settled)
        return settled

    async def _settle(self, s: AsyncSession, state: CheckoutState, card: CardDetails | None) -> Settled:
        """Settles a page's payment and records the card it kept for later, in one transaction."""
        now = self.clock.now()
        settled = await rules.settle_checkout(s, state.session_id, state.payment, now)
        if card is not None and state.payment.paid:
            await rules.save_card_of_checkout(s, state.session_id, card, now)
        return settled

    # -- refunds ------------------------------------------------------------------------------

    async def process_refunds(self) -> int:
        """Carries out every refund owed to a card. A refund Stripe refuses is recorded as
        refund_failed and admins are alerted; it is never silently dropped. Returns how many
        were refunded."""
        async with self.db.read() as s:
            due = await rules.refunds_due(s)
        done = 0
        for payment_id in due:
            async with self.db.read() as s:
                intent, owed = await rules.refund_owed(s, payment_id)
            refund_id: str | None = None
            error: str | None = None
            if intent is None:
                error = "no payment intent recorded for this payment"
            else:
                try:
                    refund_id = await self.provider.refund(
                        idempotency_key=f"refund-payment-{payment_id}", payment_intent_id=intent, amount=owed
                    )
                except PaymentProviderError as exc:
                    error = str(exc)
            async with self.db.transaction() as s:
                await rules.record_refund(
                    s, payment_id, refund_id=refund_id, error=error, now=self.clock.now()
                )
            done += error is None
        for retry in self.retry_refunds:
            await retry()
        return done

    async def reconcile_open_checkouts(self, *, older_than: timedelta = timedelta(minutes=2)) -> int:
        """Asks Stripe about payment pages still open on our side, so a webhook that never came
        cannot leave a paid booking unconfirmed (or an abandoned one held). Returns how many
        changed."""
        cutoff = self.clock.now() - older_than
        async with self.db.read() as s:
            open_ids = await rules.open_checkouts(s, created_before=cutoff)
        changed = 0
        for session_id in open_ids:
            try:
                state = await self.provider.retrieve_checkout(session_id)
            except PaymentProviderError:
                log.warning("reconcile: could not retrieve %s", session_id)
                continue
            if state.payment.paid:
                async with self.db.transaction() as s:
                    settled = await self._settle(s, state, state.saved_card)
                changed += settled != Settled.ALREADY_DONE
                await self._announce(session_id, settled)
            elif state.status == "expired":
                async with self.db.transaction() as s:
                    await rules.checkout_expired(s, session_id, self.clock.now())
                changed += 1
        if changed:
            await self.process_refunds()
        return changed

    async def expire_unpaid_checkouts(self) -> int:
        """Closes the Stripe pages of payments whose booking hold is over, so nobody pays for
        a spot that is no longer held (holds are shorter than Stripe's 30-minute minimum)."""
        async with self.db.read() as s:
            stale = await rules.stale_booking_checkouts(s)
        for payment_id, session_id in stale:
            with _unavailable():
                await self.provider.expire_checkout(session_id)
            async with self.db.transaction() as s:
                await rules.checkout_expired(s, session_id, self.clock.now())
            log.info("expired checkout of payment %s", payment_id)
        return len(stale)


def _local(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).strftime("%d %b %H:%M")


async def _describe(session: AsyncSession, reservation: Reservation) -> tuple[str, str, ZoneInfo]:
    """Line item: premise and spot; the time window in the premise's time zone; that zone."""
    spot, premise = await place_of(session, reservation)
    tz = ZoneInfo(premise.timezone)
    end = reservation.ends_at.astimezone(tz).strftime("%H:%M")
    window = f"{_local(reservation.starts_at, tz)}–{end} ({premise.timezone})"
    return f"Parking: {premise.name}, spot {spot.label}", window, tz
