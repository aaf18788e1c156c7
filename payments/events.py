"""Stripe's webhook events, read as plain values and handed to the payment use cases."""

from __future__ import annotations

import logging
from typing import Any

from core.usecases.payments import PaymentUseCases
from payments.stripe_gateway import checkout_state

log = logging.getLogger(__name__)

_COMPLETED = ("checkout.session.completed", "checkout.session.async_payment_succeeded")


async def handle_event(payments: PaymentUseCases, event: dict[str, Any]) -> None:
    """Applies a verified, well-formed Stripe event (payments/web.py checks both) at most once.
    Raises PaymentUnavailable when Stripe must be asked and cannot be reached."""
    event_id, kind = str(event["id"]), str(event["type"])
    obj: dict[str, Any] = event["data"]["object"]
    if kind in _COMPLETED:
        log.debug("stripe %s for %s", kind, obj["id"])
        await payments.checkout_completed(checkout_state(obj), event_id=event_id)
    elif kind == "checkout.session.expired":
        await payments.checkout_expired(str(obj["id"]), event_id=event_id)
    else:
        log.debug("stripe event %s ignored", kind)
