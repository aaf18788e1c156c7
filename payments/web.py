"""HTTP endpoints of the payments edge: Stripe's webhook and the page Checkout returns to."""

from __future__ import annotations

import html
import json
import logging

import stripe
from aiohttp import web

from core.services.payments import Settled
from payments.service import PaymentService
from payments.stripe_gateway import PaymentProviderError

log = logging.getLogger(__name__)

SIGNATURE_TOLERANCE_SECONDS = 300

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;
text-align:center}}a.button{{display:inline-block;margin-top:1rem;padding:.8rem 1.4rem;
border-radius:.6rem;background:#2481cc;color:#fff;text-decoration:none}}</style></head>
<body><h1>{title}</h1><p>{text}</p>{link}</body></html>"""

_MESSAGES = {
    Settled.CONFIRMED: ("Payment received", "Your payment went through. The bot has the details."),
    Settled.ALREADY_DONE: ("Payment received", "Your payment went through. The bot has the details."),
    Settled.REFUND_OWED: (
        "Payment refunded",
        "The spot was taken before your payment arrived, so the full amount is on its way back.",
    ),
    Settled.NOT_PAID: ("Payment not completed", "Nothing was charged. You can try again from the bot."),
    Settled.MISMATCH: ("We are checking your payment", "Our team has been alerted and will contact you."),
    Settled.UNKNOWN: ("Payment not found", "This payment link is unknown. Please open the bot."),
}


def add_payment_routes(
    app: web.Application, service: PaymentService, *, webhook_secret: str, bot_url: str | None = None
) -> None:
    async def stripe_webhook(request: web.Request) -> web.Response:
        payload = await request.text()
        try:
            stripe.WebhookSignature.verify_header(
                payload,
                request.headers.get("Stripe-Signature"),
                webhook_secret,
                tolerance=SIGNATURE_TOLERANCE_SECONDS,
            )
            event = json.loads(payload)
        except (stripe.SignatureVerificationError, ValueError):
            log.warning("stripe webhook refused: bad signature or body")
            return web.json_response({"error": "invalid signature"}, status=400)
        try:
            await service.handle_event(event)
        except PaymentProviderError:
            log.exception("stripe webhook %s: provider call failed; Stripe will retry", event.get("id"))
            return web.json_response({"error": "retry later"}, status=503)
        return web.json_response({"received": True})

    async def payment_return(request: web.Request) -> web.Response:
        session_id = request.query.get("session_id", "")
        if not session_id.startswith("cs_"):
            settled = Settled.UNKNOWN
        elif request.query.get("cancelled"):
            settled = Settled.NOT_PAID
        else:
            try:
                settled = await service.verify_return(session_id)
            except PaymentProviderError:
                log.exception("payment return: could not verify %s", session_id)
                settled = Settled.ALREADY_DONE  # the webhook will settle it; do not alarm the driver
        title, text = _MESSAGES[settled]
        link = (
            f'<a class="button" href="{html.escape(bot_url)}">Back to the bot</a>'
            if bot_url
            else "<p>You can close this page and go back to Telegram.</p>"
        )
        return web.Response(
            text=_PAGE.format(title=html.escape(title), text=html.escape(text), link=link),
            content_type="text/html",
        )

    app.router.add_post("/stripe/webhook", stripe_webhook)
    app.router.add_get("/payments/return", payment_return)
