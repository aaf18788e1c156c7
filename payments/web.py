"""HTTP endpoints of the payments edge: Stripe's webhook and the page Checkout returns to."""

from __future__ import annotations

import html
import json
import logging
import re
import time
from collections import OrderedDict
from typing import Any

import stripe
from aiohttp import web

from core.errors import PaymentUnavailable
from core.services.payment_links import TOKEN_CHARS, LinkState, shown
from core.services.payments import Settled
from core.usecases.payments import PaymentUseCases
from payments.events import handle_event

log = logging.getLogger(__name__)

SIGNATURE_TOLERANCE_SECONDS = 300  # both ways: older events are replays, newer ones forged clocks

# Stripe's Checkout Session ids: cs_test_/cs_live_ and letters and digits (about 60 today).
_SESSION_ID = re.compile(r"cs_(?:test|live)_[A-Za-z0-9]{1,200}")
_CHECKING = "checking"
# A short payment link's token (core/services/payment_links.py): URL-safe base64.
_TOKEN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_CHARS}}}")

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;
text-align:center}}a.button{{display:inline-block;margin-top:1rem;padding:.8rem 1.4rem;
border-radius:.6rem;background:#2481cc;color:#fff;text-decoration:none}}</style></head>
<body><h1>{title}</h1><p>{text}</p>{link}</body></html>"""

_MESSAGES: dict[Settled | str, tuple[str, str]] = {
    Settled.CONFIRMED: ("Payment received", "Your payment went through. The bot has the details."),
    Settled.ALREADY_DONE: ("Payment received", "Your payment went through. The bot has the details."),
    Settled.REFUND_OWED: (
        "Payment refunded",
        "The spot was taken before your payment arrived, so the full amount is on its way back.",
    ),
    Settled.NOT_PAID: ("Payment not completed", "Nothing was charged. You can try again from the bot."),
    Settled.MISMATCH: ("We are checking your payment", "Our team has been alerted and will contact you."),
    Settled.UNKNOWN: ("Payment not found", "This payment link is unknown. Please open the bot."),
    _CHECKING: (
        "We are checking your payment",
        "We could not confirm it yet. The bot will message you as soon as it is settled.",
    ),
    "slow_down": ("Too many requests", "Please wait a minute and open the link again."),
}
# The same pages for a driver who pays by SMS (no chat with the bot): "the bot" means nothing.
_SMS_MESSAGES: dict[Settled | str, tuple[str, str]] = {
    Settled.CONFIRMED: ("Payment received", "Your payment went through. The confirmation comes by SMS."),
    Settled.ALREADY_DONE: ("Payment received", "Your payment went through. The confirmation comes by SMS."),
    Settled.NOT_PAID: (
        "Payment not completed",
        "Nothing was charged. Open the link in your SMS to try again.",
    ),
    _CHECKING: (
        "We are checking your payment",
        "We could not confirm it yet. We will text you as soon as it is settled.",
    ),
}

# What a short payment link (`GET /p/<token>`) shows when it no longer leads to a page.
_LINK_PAGES: dict[LinkState, tuple[int, str, str]] = {
    LinkState.PAID: (
        200,
        "Already paid",
        "This payment is already paid. Your confirmation comes by message.",
    ),
    LinkState.EXPIRED: (
        410,
        "This payment link has expired",
        "Nothing was charged. Book again to get a new link (by SMS: PARK and the car park's code).",
    ),
    LinkState.UNKNOWN: (404, "Payment link not found", "Check the link in your message."),
}


def _safe(value: object) -> str:
    """For logs: a bounded repr, so nobody can write lines of their own into them."""
    return repr(value)[:80]


def _signed_at(header: str | None) -> int | None:
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            return int(value)
    return None


def _well_formed(event: Any) -> bool:
    """The fields `payments.events.handle_event` reads, with their types."""
    if not isinstance(event, dict):
        return False
    data = event.get("data")
    if not (isinstance(event.get("id"), str) and isinstance(event.get("type"), str)):
        return False
    if not isinstance(data, dict):
        return False
    obj = data.get("object")
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        return False
    amount, metadata = obj.get("amount_total"), obj.get("metadata")
    return (
        (amount is None or (isinstance(amount, int) and not isinstance(amount, bool)))
        and (obj.get("currency") is None or isinstance(obj.get("currency"), str))
        and (metadata is None or isinstance(metadata, dict))
    )


class RateLimiter:
    """A token bucket per client address, in memory and bounded: past `max_clients` the
    longest-idle addresses are forgotten (they start again with a full bucket)."""

    def __init__(self, *, burst: int = 10, per_minute: float = 10, max_clients: int = 10_000) -> None:
        self.burst, self.rate, self.max_clients = burst, per_minute / 60, max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.pop(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        self._buckets[client] = (tokens - 1 if allowed else tokens, now)
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return allowed


def add_payment_routes(
    app: web.Application,
    service: PaymentUseCases,
    *,
    webhook_secret: str,
    bot_url: str | None = None,
    return_limiter: RateLimiter | None = None,
) -> None:
    limiter = return_limiter or RateLimiter()

    async def stripe_webhook(request: web.Request) -> web.Response:
        payload = await request.text()
        header = request.headers.get("Stripe-Signature")
        signed_at = _signed_at(header)
        try:
            stripe.WebhookSignature.verify_header(
                payload, header, webhook_secret, tolerance=SIGNATURE_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError:
            log.warning("stripe webhook refused: bad or stale signature")
            return web.json_response({"error": "invalid signature"}, status=400)
        # The library only refuses old timestamps; one from the future is no more genuine.
        if signed_at is None or signed_at > time.time() + SIGNATURE_TOLERANCE_SECONDS:
            log.warning("stripe webhook refused: signature timestamp %s is in the future", _safe(signed_at))
            return web.json_response({"error": "invalid signature"}, status=400)
        try:
            event = json.loads(payload)
        except ValueError:
            event = None
        if not _well_formed(event):
            log.warning("stripe webhook refused: malformed event %s", _safe(payload))
            return web.json_response({"error": "malformed event"}, status=400)
        try:
            await handle_event(service, event)
        except PaymentUnavailable as exc:
            log.warning("stripe webhook %s: %s; Stripe will retry", _safe(event["id"]), exc)
            return web.json_response({"error": "retry later"}, status=503)
        return web.json_response({"received": True})

    async def payment_return(request: web.Request) -> web.Response:
        session_id = request.query.get("session_id", "")
        status = 200
        settled: Settled | str
        if not limiter.allow(request.remote or ""):
            settled, status = "slow_down", 429
        elif not _SESSION_ID.fullmatch(session_id):
            log.warning("payment return: malformed session id %s", _safe(session_id))
            settled, status = Settled.UNKNOWN, 400
        elif request.query.get("cancelled"):
            settled = Settled.NOT_PAID
        else:
            try:
                settled = await service.verify_return(session_id)
            except PaymentUnavailable as exc:
                # Unknown to Stripe, or Stripe unreachable: we cannot say it was paid.
                log.warning("payment return: could not verify %s: %s", _safe(session_id), exc)
                settled = _CHECKING
        by_sms = status == 200 and not await service.payer_has_chat(session_id)
        title, text = (_SMS_MESSAGES if by_sms else {}).get(settled) or _MESSAGES[settled]
        if by_sms:
            link = "<p>You can close this page.</p>"
        elif bot_url:
            link = f'<a class="button" href="{html.escape(bot_url)}">Back to the bot</a>'
        else:
            link = "<p>You can close this page and go back to Telegram.</p>"
        return web.Response(
            text=_PAGE.format(title=html.escape(title), text=html.escape(text), link=link),
            content_type="text/html",
            status=status,
        )

    async def short_link(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not _TOKEN.fullmatch(token):
            target_state = LinkState.UNKNOWN
            url = None
        else:
            target = await service.open_short_link(token)
            target_state, url = target.state, target.url
        if target_state == LinkState.OPEN and url:
            log.debug("payment link %s: to the payment page", shown(token))
            # Not cached: once paid, the same link must say so instead of opening the page.
            raise web.HTTPFound(url, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
        log.info("payment link %s: %s", shown(token), target_state.value)
        status, title, text = _LINK_PAGES[target_state]
        return web.Response(
            text=_PAGE.format(title=html.escape(title), text=html.escape(text), link=""),
            content_type="text/html",
            status=status,
            headers={"Cache-Control": "no-store"},
        )

    app.router.add_post("/stripe/webhook", stripe_webhook)
    app.router.add_get("/payments/return", payment_return)
    app.router.add_get("/p/{token}", short_link)
