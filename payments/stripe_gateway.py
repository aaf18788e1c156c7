"""The only module that talks to Stripe (stripe-python's StripeClient, async methods): the
Stripe implementation of the payments port (`core/payments.py:PaymentProvider`).

It turns Stripe objects into the port's plain values at the boundary; callers never see
`stripe` types.
Every creating call carries a deterministic idempotency key, so a retried request (ours or
the SDK's) can never charge, refund or create twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import stripe
from stripe._base_address import BaseAddresses
from stripe.params.checkout import SessionCreateParams

from core.payments import (
    CardDetails,
    ChargeResult,
    CheckoutLink,
    CheckoutState,
    PaymentProviderError,
    ProviderPayment,
)

log = logging.getLogger(__name__)


def _id(value: Any) -> str | None:
    """A Stripe field that is an id, or an expanded object carrying one."""
    if value is None or isinstance(value, str):
        return value
    return str(value["id"])


def saved_card(payment_intent: Any) -> CardDetails | None:
    """The card a paid Checkout kept for later: its PaymentIntent (expanded, with its
    `payment_method` expanded) asked for `setup_future_usage`, and Stripe attached the card to
    the customer. None otherwise (an unexpanded id, as in webhook events, tells nothing)."""
    if not isinstance(payment_intent, dict) or not payment_intent.get("setup_future_usage"):
        return None
    method = payment_intent.get("payment_method")
    if not isinstance(method, dict) or not method.get("customer"):
        return None
    card = method.get("card")
    if method.get("type") != "card" or not isinstance(card, dict):
        return None
    return CardDetails(
        str(method["id"]),
        str(card.get("brand") or "card"),
        str(card.get("last4") or ""),
        int(card.get("exp_month") or 0),
        int(card.get("exp_year") or 0),
    )


def checkout_state(session: dict[str, Any]) -> CheckoutState:
    """Reads a Checkout Session, from the API or from a webhook event, as plain values."""
    return CheckoutState(
        session_id=str(session["id"]),
        mode=str(session.get("mode") or "payment"),
        status=str(session.get("status") or ""),
        url=session.get("url"),
        payment=ProviderPayment(
            amount=session.get("amount_total"),
            currency=session.get("currency"),
            paid=session.get("payment_status") == "paid",
            payment_intent_id=_id(session.get("payment_intent")),
        ),
        setup_intent_id=_id(session.get("setup_intent")),
        metadata={str(k): str(v) for k, v in (session.get("metadata") or {}).items()},
        saved_card=saved_card(session.get("payment_intent")),
    )


class StripeGateway:
    """Implements core.payments.PaymentProvider; `close()` is for the wiring in main.py."""

    def __init__(self, secret_key: str, *, api_base: str | None = None, max_network_retries: int = 2) -> None:
        self._http = stripe.AIOHTTPClient()
        base: BaseAddresses | None = {"api": api_base} if api_base else None
        self._client = stripe.StripeClient(
            secret_key, base_addresses=base, http_client=self._http, max_network_retries=max_network_retries
        )

    async def close(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def create_customer(self, *, user_id: int, name: str) -> str:
        try:
            customer = await self._client.v1.customers.create_async(
                params={"name": name or f"Driver {user_id}", "metadata": {"user_id": str(user_id)}},
                options={"idempotency_key": f"customer-user-{user_id}"},
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(f"customer create failed: {exc.user_message or exc}") from exc
        return customer.id

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
        params: SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": currency.lower(),
                        "unit_amount": amount,
                        "product_data": {"name": title, "description": description},
                    },
                }
            ],
            "client_reference_id": client_reference_id,
            "metadata": metadata,
            # The SMS channel keeps the card for the next payment (a reply PAY charges it); the
            # card is recorded when the page is paid (PaymentUseCases.checkout_completed).
            "payment_intent_data": (
                {"metadata": metadata, "setup_future_usage": "off_session"}
                if save_card
                else {"metadata": metadata}
            ),
            "expires_at": int(expires_at.timestamp()),
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        if customer:
            params["customer"] = customer
        return await self._create_checkout(params, idempotency_key)

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
        params: SessionCreateParams = {
            "mode": "setup",
            "customer": customer,
            "currency": currency.lower(),
            "metadata": metadata,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        return await self._create_checkout(params, idempotency_key)

    async def _create_checkout(self, params: SessionCreateParams, key: str) -> CheckoutLink:
        try:
            session = await self._client.v1.checkout.sessions.create_async(
                params=params, options={"idempotency_key": key}
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(f"checkout create failed: {exc.user_message or exc}") from exc
        if not session.url:
            raise PaymentProviderError("checkout session has no url")
        return CheckoutLink(session.id, session.url)

    async def retrieve_checkout(self, session_id: str) -> CheckoutState:
        try:
            # One call tells both whether it was paid and which card it kept for later.
            session = await self._client.v1.checkout.sessions.retrieve_async(
                session_id, params={"expand": ["payment_intent.payment_method"]}
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(f"checkout retrieve failed: {exc.user_message or exc}") from exc
        return checkout_state(session.to_dict())

    async def expire_checkout(self, session_id: str) -> None:
        """Closes a payment page so it can no longer be paid; an already closed one is fine."""
        try:
            await self._client.v1.checkout.sessions.expire_async(session_id)
        except stripe.InvalidRequestError as exc:
            log.info("checkout %s not expired: %s", session_id, exc.user_message or exc.code)
        except stripe.StripeError as exc:
            raise PaymentProviderError(f"checkout expire failed: {exc.user_message or exc}") from exc

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
        try:
            intent = await self._client.v1.payment_intents.create_async(
                params={
                    "amount": amount,
                    "currency": currency.lower(),
                    "customer": customer,
                    "payment_method": payment_method,
                    "confirm": True,
                    "off_session": True,
                    "metadata": metadata,
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.CardError as exc:
            pi = exc.error.payment_intent if exc.error else None
            return ChargeResult(
                payment_intent_id=pi.id if pi else None,
                succeeded=False,
                failure_code=exc.code or "card_declined",
                failure_message=str(exc.user_message or ""),
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(f"card charge failed: {exc.user_message or exc}") from exc
        return ChargeResult(
            payment_intent_id=intent.id,
            succeeded=intent.status == "succeeded",
            failure_code=None if intent.status == "succeeded" else intent.status,
        )

    async def refund(self, *, idempotency_key: str, payment_intent_id: str, amount: int) -> str:
        """Returns the refund id; raises PaymentProviderError when Stripe refuses."""
        try:
            refund = await self._client.v1.refunds.create_async(
                params={"payment_intent": payment_intent_id, "amount": amount},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise PaymentProviderError(f"refund refused: {exc.code or ''} {exc.user_message or exc}") from exc
        if refund.status in ("failed", "canceled"):
            raise PaymentProviderError(f"refund {refund.id} {refund.status}")
        return refund.id

    async def card_from_setup(self, setup_intent_id: str) -> CardDetails:
        try:
            intent = await self._client.v1.setup_intents.retrieve_async(setup_intent_id)
            pm_id = _id(intent.payment_method)
            if pm_id is None:
                raise PaymentProviderError(f"setup intent {setup_intent_id} has no payment method")
            method = await self._client.v1.payment_methods.retrieve_async(pm_id)
        except stripe.StripeError as exc:
            raise PaymentProviderError(f"card lookup failed: {exc.user_message or exc}") from exc
        card = method.card
        if card is None:
            raise PaymentProviderError(f"payment method {pm_id} is not a card")
        return CardDetails(pm_id, card.brand, card.last4, card.exp_month, card.exp_year)

    async def detach_card(self, payment_method_id: str) -> None:
        try:
            await self._client.v1.payment_methods.detach_async(payment_method_id)
        except stripe.InvalidRequestError as exc:
            log.info("card %s already detached: %s", payment_method_id, exc.code)
        except stripe.StripeError as exc:
            raise PaymentProviderError(f"card detach failed: {exc.user_message or exc}") from exc
