"""An in-process payment provider implementing the port (`core/payments.py:PaymentProvider`),
for testing the payment use cases without HTTP. The real Stripe client is tested against the
Stripe emulator (`demo/stripe.py`, tests/integration/test_payments.py); this fake keeps only
what the use cases can observe: pages, their payment, saved cards, charges and refunds.

Idempotency keys behave as Stripe's do: the same key returns the first answer."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from core.payments import (
    CardDetails,
    ChargeResult,
    CheckoutLink,
    CheckoutState,
    PaymentProvider,
    PaymentProviderError,
    ProviderPayment,
)

CardBehaviour = Literal["ok", "decline", "authenticate"]


@dataclass
class FakeCheckout:
    state: CheckoutState
    amount: int | None
    currency: str | None
    customer: str | None
    expires_at: datetime | None
    metadata: dict[str, str]
    save_card: bool = False
    kept_card: CardDetails | None = None  # the card a paid page kept on the customer


@dataclass
class FakePaymentProvider:
    """`down = True` makes every call fail as an unreachable provider does; `fail_refunds` makes
    that many refunds be refused."""

    down: bool = False
    fail_refunds: int = 0
    checkouts: dict[str, FakeCheckout] = field(default_factory=dict)
    customers: dict[str, int] = field(default_factory=dict)  # customer id -> user id
    cards: dict[str, CardBehaviour] = field(default_factory=dict)  # attached cards
    charges: dict[str, ChargeResult] = field(default_factory=dict)  # by idempotency key
    refunds: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> (intent, amount)
    calls: list[str] = field(default_factory=list)
    _keys: dict[str, object] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if self.down:
            raise PaymentProviderError(f"{name} failed: the provider is unreachable")

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_fake_{next(self._ids)}"

    # -- the port ---------------------------------------------------------------------------

    async def create_customer(self, *, user_id: int, name: str) -> str:
        self._call("create_customer")
        key = f"customer-user-{user_id}"
        if key not in self._keys:
            customer = self._new_id("cus")
            self.customers[customer] = user_id
            self._keys[key] = customer
        found = self._keys[key]
        assert isinstance(found, str)
        return found

    async def create_payment_checkout(
        self,
        *,
        idempotency_key: str,
        amount: int,
        currency: str,
        title: str,
        description: str,
        customer: str | None,
        expires_at: datetime,
        success_url: str,
        cancel_url: str,
        metadata: dict[str, str],
        client_reference_id: str,
        save_card: bool = False,
    ) -> CheckoutLink:
        self._call("create_payment_checkout")
        link = self._checkout(idempotency_key, "payment", amount, currency, customer, expires_at, metadata)
        self.checkouts[link.session_id].save_card = save_card and customer is not None
        return link

    async def create_setup_checkout(
        self,
        *,
        idempotency_key: str,
        customer: str,
        currency: str,
        success_url: str,
        cancel_url: str,
        metadata: dict[str, str],
    ) -> CheckoutLink:
        self._call("create_setup_checkout")
        return self._checkout(idempotency_key, "setup", None, None, customer, None, metadata)

    def _checkout(
        self,
        key: str,
        mode: str,
        amount: int | None,
        currency: str | None,
        customer: str | None,
        expires_at: datetime | None,
        metadata: dict[str, str],
    ) -> CheckoutLink:
        if key not in self._keys:
            session_id = self._new_id("cs_test")
            url = f"https://pay.example/{session_id}"
            state = CheckoutState(
                session_id,
                mode,
                "open",
                url,
                ProviderPayment(amount, currency.lower() if currency else None, False, None),
                None,
                dict(metadata),
            )
            self.checkouts[session_id] = FakeCheckout(state, amount, currency, customer, expires_at, metadata)
            self._keys[key] = CheckoutLink(session_id, url)
        link = self._keys[key]
        assert isinstance(link, CheckoutLink)
        return link

    async def retrieve_checkout(self, session_id: str) -> CheckoutState:
        self._call("retrieve_checkout")
        if session_id not in self.checkouts:
            raise PaymentProviderError(f"checkout retrieve failed: no such session {session_id}")
        page = self.checkouts[session_id]
        return replace(page.state, saved_card=page.kept_card)

    async def expire_checkout(self, session_id: str) -> None:
        self._call("expire_checkout")
        page = self.checkouts.get(session_id)
        if page is not None and page.state.status == "open":
            page.state = replace(page.state, status="expired", url=None)

    async def charge_saved_card(
        self,
        *,
        idempotency_key: str,
        customer: str,
        payment_method: str,
        amount: int,
        currency: str,
        metadata: dict[str, str],
    ) -> ChargeResult:
        self._call("charge_saved_card")
        if idempotency_key not in self.charges:
            intent = self._new_id("pi")
            behaviour = self.cards.get(payment_method)
            if behaviour is None:
                raise PaymentProviderError(f"card charge failed: no such card {payment_method}")
            if behaviour == "ok":
                result = ChargeResult(intent, True)
            elif behaviour == "decline":
                result = ChargeResult(intent, False, "card_declined", "Your card was declined.")
            else:
                result = ChargeResult(
                    intent, False, "authentication_required", "Your bank asks you to confirm this payment."
                )
            self.charges[idempotency_key] = result
        return self.charges[idempotency_key]

    async def refund(self, *, idempotency_key: str, payment_intent_id: str, amount: int) -> str:
        self._call("refund")
        if idempotency_key not in self._keys:
            if self.fail_refunds:
                self.fail_refunds -= 1
                raise PaymentProviderError("refund refused: charge_disputed")
            refund_id = self._new_id("re")
            self.refunds[refund_id] = (payment_intent_id, amount)
            self._keys[idempotency_key] = refund_id
        found = self._keys[idempotency_key]
        assert isinstance(found, str)
        return found

    async def card_from_setup(self, setup_intent_id: str) -> CardDetails:
        self._call("card_from_setup")
        method = f"pm_for_{setup_intent_id}"
        if method not in self.cards:
            raise PaymentProviderError(f"card lookup failed: no such setup intent {setup_intent_id}")
        return CardDetails(method, "visa", "4242", 4, 2030)

    async def detach_card(self, payment_method_id: str) -> None:
        self._call("detach_card")
        self.cards.pop(payment_method_id, None)

    # -- what the driver does on the provider's pages ---------------------------------------

    def pay(
        self, session_id: str, *, amount: int | None = None, behaviour: CardBehaviour = "ok"
    ) -> CheckoutState:
        """The driver pays a payment page (another amount to play a provider's mistake); a page
        that asked to keep the card keeps it (charging later as `behaviour`). Returns the page
        as the webhook's event carries it: without the card."""
        page = self.checkouts[session_id]
        assert page.state.mode == "payment" and page.state.status == "open", page.state
        paid = ProviderPayment(
            page.amount if amount is None else amount,
            page.state.payment.currency,
            True,
            self._new_id("pi"),
        )
        if page.save_card:
            method = self._new_id("pm")
            self.cards[method] = behaviour
            page.kept_card = CardDetails(method, "mastercard", "4444", 8, 2031)
        page.state = replace(page.state, status="complete", url=None, payment=paid)
        return page.state

    def save_card(self, session_id: str, behaviour: CardBehaviour = "ok") -> CheckoutState:
        """The driver completes a setup page with a card that later charges as `behaviour`."""
        page = self.checkouts[session_id]
        assert page.state.mode == "setup" and page.state.status == "open", page.state
        setup_intent = self._new_id("seti")
        self.cards[f"pm_for_{setup_intent}"] = behaviour
        page.state = replace(page.state, status="complete", url=None, setup_intent_id=setup_intent)
        return page.state


def _implements_the_port(fake: FakePaymentProvider) -> PaymentProvider:
    return fake  # mypy checks the fake against the Protocol here
