"""Card payments as the domain sees them: the provider port the Stripe adapter fills in
(`payments/stripe_gateway.py`; the tests' in-process fake in `tests/fakes/payments.py`), its
one error, and the plain values that cross it. No provider types appear here: adapters turn
their objects into these at the boundary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class PaymentProviderError(Exception):
    """The provider could not be reached or refused the request; the message is safe to log.
    Use cases turn it into `core.errors.PaymentUnavailable` for the front ends."""


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    """What the provider reports about a payment, in plain values."""

    amount: int | None
    currency: str | None
    paid: bool
    payment_intent_id: str | None


@dataclass(frozen=True, slots=True)
class CheckoutLink:
    """A hosted payment page the driver opens."""

    session_id: str
    url: str


@dataclass(frozen=True, slots=True)
class ChargeResult:
    payment_intent_id: str | None
    succeeded: bool
    # authentication_required | card_declined | ...: why a saved card could not be charged
    failure_code: str | None = None
    failure_message: str | None = None


@dataclass(frozen=True, slots=True)
class CardDetails:
    payment_method_id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True, slots=True)
class CheckoutState:
    """A payment page as the provider knows it (from the API or from a webhook event)."""

    session_id: str
    mode: str  # payment | setup
    status: str  # open | complete | expired
    url: str | None
    payment: ProviderPayment
    setup_intent_id: str | None
    metadata: dict[str, str]
    # The card a paid page kept on the customer for later (asked with `save_card`). Only
    # `retrieve_checkout` reads it: a webhook event's page does not carry the card.
    saved_card: CardDetails | None = None


class PaymentProvider(Protocol):
    """The port. Every creating call takes a deterministic idempotency key, so a retried
    request can never charge, refund or create twice. Failures raise PaymentProviderError,
    except a declined saved card, which is a ChargeResult that did not succeed."""

    async def create_customer(self, *, user_id: int, name: str) -> str: ...

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
    ) -> CheckoutLink: ...

    async def create_setup_checkout(
        self,
        *,
        idempotency_key: str,
        customer: str,
        currency: str,
        success_url: str,
        cancel_url: str,
        metadata: dict[str, str],
    ) -> CheckoutLink: ...

    async def retrieve_checkout(self, session_id: str) -> CheckoutState:
        """The page with, when it was paid and kept the card, that card (`saved_card`)."""
        ...

    async def expire_checkout(self, session_id: str) -> None:
        """Closes a payment page so it can no longer be paid; an already closed one is fine."""
        ...

    async def charge_saved_card(
        self,
        *,
        idempotency_key: str,
        customer: str,
        payment_method: str,
        amount: int,
        currency: str,
        metadata: dict[str, str],
    ) -> ChargeResult: ...

    async def refund(self, *, idempotency_key: str, payment_intent_id: str, amount: int) -> str:
        """Returns the refund id."""
        ...

    async def card_from_setup(self, setup_intent_id: str) -> CardDetails: ...

    async def detach_card(self, payment_method_id: str) -> None:
        """An already detached card is fine."""
        ...
