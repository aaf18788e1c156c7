"""The Stripe adapter of the payments port (`core/payments.py`): the gateway, the webhook and
return-page edge (`payments/web.py`) and the reading of Stripe's event objects
(`payments/events.py`). Wiring and tests construct the adapter from here."""

from payments.stripe_gateway import StripeGateway

__all__ = ["StripeGateway"]
