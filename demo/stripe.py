"""Stateful in-process fake of the slice of the Stripe v1 HTTP API the parking bot uses.

It is an ``aiohttp.web`` server on ``127.0.0.1`` (free port) meant to be driven by the
*real* ``stripe`` library::

    async with StripeFake(webhook_url=..., webhook_secret="whsec_test") as fake:
        client = stripe.StripeClient(
            "sk_test_x", base_addresses={"api": fake.base_url},
            http_client=stripe.AIOHTTPClient(), max_network_retries=0,
        )

What it fakes: form-encoded request decoding (``a[b]=c``, ``a[0][b]=c``); bearer
``sk_test_`` auth (401 otherwise); ``Idempotency-Key`` replay of the stored response (and
``idempotency_error`` when a key is reused with other parameters); customers; Checkout
Sessions in ``payment`` and ``setup`` mode, plus their completion/expiry on the hosted page
(test controls); SetupIntents; card PaymentMethods (list/detach); confirmed off-session
PaymentIntents that succeed, decline (402 ``card_declined``) or need authentication (402
``authentication_required``); refunds; ``expand``; and webhook delivery signed with Stripe's
``t=<unix>,v1=<hmac-sha256>`` scheme. Errors have Stripe's JSON shape and status codes, so the
library raises its usual ``CardError`` / ``InvalidRequestError`` / ``AuthenticationError`` /
``IdempotencyError``. Unknown URLs give 404 and are recorded in ``unexpected``; unknown
top-level parameters give 400 ``parameter_unknown``.

What it does not fake: live mode, Connect, subscriptions, prices/products by id, charges and
events endpoints, pagination cursors, confirming a PaymentIntent later, 3-D Secure flows,
asynchronous refund failures, disputes, rate limits, retries on 5xx, API-version differences,
validation of nested parameter names, and currency rules beyond a minimum charge amount.
Objects carry the fields the bot reads, not every field Stripe returns.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Self
from urllib.parse import parse_qsl

import aiohttp
import stripe
from aiohttp import web

from demo.local_server import serve_locally, stop_serving

JSON = dict[str, Any]
CardBehaviour = Literal["ok", "decline", "authenticate"]
Handler = Callable[[str, JSON], JSON]
RequestRecord = tuple[str, str, JSON]

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_MIN_AMOUNT = {"gbp": 30}  # minor units; Stripe's minimum charge is 50 for most currencies
_TEST_LAST4: dict[CardBehaviour, str] = {"ok": "4242", "decline": "9995", "authenticate": "3184"}
_SESSION_PARAMS = (
    "mode", "line_items", "customer", "currency", "client_reference_id", "metadata",
    "success_url", "cancel_url", "expires_at", "customer_email", "payment_method_types",
    "locale", "submit_type", "customer_creation", "payment_intent_data", "setup_intent_data",
    "invoice_creation",
)  # fmt: skip
_PI_PARAMS = (
    "amount", "currency", "customer", "payment_method", "confirm", "off_session", "metadata",
    "description", "payment_method_types", "setup_future_usage", "receipt_email",
    "error_on_requires_action", "capture_method", "statement_descriptor_suffix",
)  # fmt: skip

# The hosted Checkout page (test mode, no real card). Self-contained: no scripts, nothing external.
_PAY_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Checkout (test mode)</title>
<style>
body {{ font: 16px/1.4 system-ui, sans-serif; background: #f6f9fc; color: #30313d; margin: 0; }}
main {{ max-width: 420px; margin: 32px auto; background: #fff; border-radius: 12px; padding: 24px;
        box-shadow: 0 2px 12px rgba(0,0,0,.08); }}
.test {{ background: #ffde92; color: #8a5a00; font-size: 12px; font-weight: 600; padding: 2px 8px;
         border-radius: 4px; display: inline-block; }}
h1 {{ font-size: 28px; margin: 12px 0 4px; }} ul {{ padding-left: 18px; color: #6a7383; }}
label {{ display: block; font-size: 14px; margin: 12px 0 4px; color: #6a7383; }}
input {{ width: 100%; box-sizing: border-box; padding: 10px; border: 1px solid #d5dbe1;
         border-radius: 6px; font-size: 16px; }}
.row {{ display: flex; gap: 8px; }} .row > div {{ flex: 1; }}
button {{ width: 100%; margin-top: 20px; padding: 12px; font-size: 16px; font-weight: 600; color: #fff;
          background: #635bff; border: 0; border-radius: 6px; cursor: pointer; }}
button.cancel {{ background: none; color: #6a7383; font-weight: normal; margin-top: 8px; }}
.note {{ font-weight: 600; }}
</style></head>
<body><main>
<span class="test">TEST MODE · no real money</span>
<h1>{what}</h1>
<ul>{items}</ul>
<p class="note">{note}</p>
{form}
</main></body></html>
"""
_PAY_FORM = """<form method="post" action="{action}">
<label for="card">Card number</label><input id="card" name="card" value="4242 4242 4242 4242">
<div class="row"><div><label for="exp">Expiry</label><input id="exp" name="exp" value="12 / 34"></div>
<div><label for="cvc">CVC</label><input id="cvc" name="cvc" value="123"></div></div>
<button type="submit" name="action" value="pay" id="pay">{button}</button>
<button type="submit" name="action" value="cancel" class="cancel">Cancel and go back</button>
</form>"""


class _ApiError(Exception):
    """A Stripe-shaped error response; ``store`` is whether idempotency keys remember it."""

    def __init__(
        self, status: int, message: str, *, type_: str = "invalid_request_error",
        code: str | None = None, param: str | None = None, store: bool = True, **extra: Any,
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.status, self.store = status, store
        error: JSON = {"type": type_, "message": message, **extra}
        if code is not None:
            error["code"] = code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param is not None:
            error["param"] = param
        self.body: JSON = {"error": error}


def _invalid(message: str, param: str | None = None, code: str | None = None) -> _ApiError:
    """A 400 for a malformed request (Stripe keeps no idempotent result for these)."""
    return _ApiError(400, message, code=code, param=param, store=False)


def _refuse(message: str, param: str | None = None, code: str | None = None) -> _ApiError:
    """A 400 for a well-formed request Stripe refuses (remembered under its idempotency key)."""
    return _ApiError(400, message, code=code, param=param)


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    allowed: frozenset[str]


@dataclass(frozen=True)
class _Stored:
    path: str
    params: JSON
    status: int
    body: JSON


def _now() -> int:
    return int(time.time())


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _listify(node: JSON, key: str) -> Any:
    items = {k: _listify(v, k) if isinstance(v, dict) else v for k, v in node.items()}
    if key != "metadata" and items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def decode_form(pairs: list[tuple[str, str]]) -> JSON:
    """Decode Stripe's ``a[b][0][c]=v`` form keys into nested dicts and lists of strings."""
    root: JSON = {}
    for key, value in pairs:
        head, bracket, rest = key.partition("[")
        parts = [head, *_BRACKETS.findall(bracket + rest)]
        node = root
        for part in parts[:-1]:
            child = node.setdefault(part or str(len(node)), {})
            if not isinstance(child, dict):
                raise _invalid(f"Invalid parameter: {key}", key)
            node = child
        node[parts[-1] or str(len(node))] = value
    return {k: _listify(v, k) if isinstance(v, dict) else v for k, v in root.items()}


def _opt(params: JSON, name: str) -> str | None:
    value = params.get(name)
    if value is not None and not isinstance(value, str):
        raise _invalid(f"Invalid string: {name}", name)
    return value


def _req(params: JSON, name: str) -> str:
    value = _opt(params, name)
    if value is None or value == "":
        raise _invalid(f"Missing required param: {name}.", name, "parameter_missing")
    return value


def _to_int(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise _invalid(f"Invalid integer: {raw}", name, "parameter_invalid_integer") from None


def _opt_int(params: JSON, name: str) -> int | None:
    raw = _opt(params, name)
    return None if raw is None else _to_int(raw, name)


def _obj(params: JSON, name: str) -> JSON:
    value = params.get(name, {})
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise _invalid(f"Invalid object: {name}", name)
    return value


def _metadata(params: JSON) -> dict[str, Any]:
    return {k: v for k, v in _obj(params, "metadata").items() if v != ""}


def _find(store: dict[str, JSON], kind: str, obj_id: str, *, param: str = "id") -> JSON:
    """Look up ``obj_id``; a path id gives 404, a parameter reference 400, like Stripe."""
    obj = store.get(obj_id)
    if obj is None:
        status = 404 if param == "id" else 400
        raise _ApiError(status, f"No such {kind}: '{obj_id}'", code="resource_missing", param=param)
    return obj


class StripeFake:
    """The fake server plus in-process test controls (see the module docstring)."""

    def __init__(self, webhook_url: str | None = None, webhook_secret: str = "whsec_test") -> None:
        self.webhook_url, self.webhook_secret = webhook_url, webhook_secret
        self.base_url = ""
        self.customers: dict[str, JSON] = {}
        self.sessions: dict[str, JSON] = {}
        self.session_params: dict[str, JSON] = {}  # decoded create params of each session
        self.setup_intents: dict[str, JSON] = {}
        self.payment_methods: dict[str, JSON] = {}
        self.payment_intents: dict[str, JSON] = {}
        self.refunds: dict[str, JSON] = {}
        self.events: list[JSON] = []
        self.requests: list[RequestRecord] = []
        self.unexpected: list[RequestRecord] = []
        self.webhook_responses: list[tuple[str, int]] = []  # (event id, HTTP status)
        self.idempotent_replays = 0
        self.idempotency_keys: list[tuple[str, str]] = []  # (path, Idempotency-Key) of each POST sent one
        self._idempotent: dict[str, _Stored] = {}
        self._behaviour: dict[str, CardBehaviour] = {}
        self._charges: dict[str, str] = {}  # charge id -> payment intent id
        self._refunded: dict[str, int] = {}  # payment intent id -> amount refunded
        self._refund_failures = 0
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._stores = (self.customers, self.sessions, self.setup_intents, self.payment_methods,
                        self.payment_intents, self.refunds)  # fmt: skip
        anyid = "([^/]+)"
        get_obj = self._getter
        self._routes = [
            self._route("POST", "/v1/customers", self._create_customer,
                        "email", "name", "phone", "metadata", "description"),
            self._route("GET", f"/v1/customers/{anyid}", get_obj(self.customers, "customer")),
            self._route("GET", f"/v1/customers/{anyid}/payment_methods", self._list_methods,
                        "type", "limit"),
            self._route("POST", "/v1/checkout/sessions", self._create_session, *_SESSION_PARAMS),
            self._route("GET", f"/v1/checkout/sessions/{anyid}",
                        get_obj(self.sessions, "checkout.session")),
            self._route("POST", f"/v1/checkout/sessions/{anyid}/expire", self._expire_session),
            self._route("GET", f"/v1/setup_intents/{anyid}",
                        get_obj(self.setup_intents, "setup_intent")),
            self._route("GET", f"/v1/payment_methods/{anyid}",
                        get_obj(self.payment_methods, "PaymentMethod")),
            self._route("POST", f"/v1/payment_methods/{anyid}/detach", self._detach_method),
            self._route("POST", "/v1/payment_intents", self._create_payment_intent, *_PI_PARAMS),
            self._route("GET", f"/v1/payment_intents/{anyid}",
                        get_obj(self.payment_intents, "payment_intent")),
            self._route("POST", "/v1/refunds", self._create_refund,
                        "payment_intent", "charge", "amount", "metadata", "reason"),
        ]  # fmt: skip

    # ----------------------------------------------------------------- lifecycle
    async def __aenter__(self) -> Self:
        self._runner, self.base_url = await serve_locally(self._handle)
        self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await stop_serving(self._runner, self._http)

    # ------------------------------------------------------------ test controls
    def add_customer(self, email: str | None = None, name: str | None = None) -> str:
        customer = self._create_customer("", {"email": email, "name": name})
        return str(customer["id"])

    def add_card(
        self, customer_id: str | None, brand: str = "visa", last4: str = "4242",
        exp_month: int = 12, exp_year: int = 2030, behaviour: CardBehaviour = "ok",
    ) -> str:  # fmt: skip
        """Create a card PaymentMethod attached to ``customer_id``; returns its id."""
        if customer_id is not None and customer_id not in self.customers:
            raise KeyError(customer_id)
        pm_id = _new_id("pm")
        # The fields of Stripe's PaymentMethod object (type card), as the API returns it and as
        # an expanded `payment_intent.payment_method` shows it.
        self.payment_methods[pm_id] = {
            "id": pm_id, "object": "payment_method", "type": "card", "customer": customer_id,
            "allow_redisplay": "unspecified",
            "card": {
                "brand": brand, "display_brand": brand, "last4": last4, "exp_month": exp_month,
                "exp_year": exp_year, "funding": "credit", "country": "US",
                "fingerprint": hashlib.sha256(f"{brand}{last4}".encode()).hexdigest()[:16],
                "checks": {"address_line1_check": None, "address_postal_code_check": None,
                           "cvc_check": "pass"},
                "networks": {"available": [brand], "preferred": None},
                "three_d_secure_usage": {"supported": True}, "wallet": None,
                "generated_from": None, "regulated_status": "unregulated",
            },
            "billing_details": {
                "address": {"city": None, "country": None, "line1": None, "line2": None,
                            "postal_code": None, "state": None},
                "email": None, "name": None, "phone": None,
            },
            "metadata": {}, "created": _now(), "livemode": False,
        }  # fmt: skip
        self._behaviour[pm_id] = behaviour
        return pm_id

    def fail_refunds(self, n: int = 1) -> None:
        """Make the next ``n`` refund creations fail with a 400 ``charge_disputed`` error."""
        self._refund_failures = n

    def sign(self, payload: str, *, timestamp: int | None = None, secret: str | None = None) -> str:
        """The ``Stripe-Signature`` header value for ``payload``."""
        ts = _now() if timestamp is None else timestamp
        key = (self.webhook_secret if secret is None else secret).encode()
        mac = hmac.new(key, f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
        return f"t={ts},v1={mac}"

    async def send_event(
        self, event: JSON, *, timestamp: int | None = None, secret: str | None = None
    ) -> int:
        """POST ``event`` to the webhook URL, signed; returns the endpoint's HTTP status."""
        if self.webhook_url is None or self._http is None:
            raise RuntimeError("StripeFake needs a webhook_url and must be started")
        payload = json.dumps(event, indent=2)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": self.sign(payload, timestamp=timestamp, secret=secret),
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        async with self._http.post(self.webhook_url, data=payload.encode(), headers=headers) as r:
            await r.read()
            status = r.status
        self.webhook_responses.append((str(event["id"]), status))
        return status

    async def complete_checkout(
        self, session_id: str, *, send_webhook: bool = True, card_behaviour: CardBehaviour = "ok"
    ) -> JSON:
        """Simulate the driver finishing the hosted page; returns the completed event.

        ``payment`` mode creates a succeeded PaymentIntent (saving the card on the customer when
        ``payment_intent_data[setup_future_usage]`` was set); ``setup`` mode creates a succeeded
        SetupIntent with a new card attached to the session's customer. ``card_behaviour`` is
        how that new card behaves in later off-session charges.
        """
        session = self._open_session(session_id)
        params = self.session_params[session_id]
        customer = session["customer"]
        if session["mode"] == "payment":
            pi_data = _obj(params, "payment_intent_data")
            saves = customer is not None and pi_data.get("setup_future_usage") is not None
            pm_id = self._new_card(customer if saves else None, card_behaviour)
            pi = self._new_payment_intent(session["amount_total"], session["currency"], pm_id)
            pi.update(customer=customer, metadata=_metadata(pi_data),
                      setup_future_usage=pi_data.get("setup_future_usage"))  # fmt: skip
            self._succeed(pi)
            session.update(status="complete", payment_status="paid", payment_intent=pi["id"])
        else:
            pm_id = self._new_card(customer, card_behaviour)
            si_id = _new_id("seti")
            self.setup_intents[si_id] = {
                "id": si_id, "object": "setup_intent", "customer": customer,
                "payment_method": pm_id, "status": "succeeded", "usage": "off_session",
                "metadata": _metadata(_obj(params, "setup_intent_data")),
                "payment_method_types": ["card"], "created": _now(), "livemode": False,
            }  # fmt: skip
            session.update(status="complete", setup_intent=si_id)
        session["url"] = None
        return await self._emit("checkout.session.completed", session, send_webhook)

    async def expire_checkout(self, session_id: str, send_webhook: bool = True) -> JSON:
        """Expire an open session as Stripe does at ``expires_at``; returns the event."""
        session = self._open_session(session_id)
        session.update(status="expired", url=None)
        return await self._emit("checkout.session.expired", session, send_webhook)

    # ---------------------------------------------------------------- internals
    def _route(self, method: str, path: str, handler: Handler, *allowed: str) -> _Route:
        return _Route(method, re.compile(f"{path}$"), handler, frozenset({"expand", *allowed}))

    def _getter(self, store: dict[str, JSON], kind: str) -> Handler:
        return lambda obj_id, _params: _find(store, kind, obj_id)

    def _open_session(self, session_id: str) -> JSON:
        session = self.sessions[session_id]
        if session["status"] != "open":
            raise ValueError(f"checkout session {session_id} is {session['status']}, not open")
        return session

    async def _emit(self, event_type: str, obj: JSON, send_webhook: bool) -> JSON:
        event: JSON = {
            "id": _new_id("evt"), "object": "event", "type": event_type, "created": _now(),
            "api_version": stripe.api_version, "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": copy.deepcopy(obj)},
        }  # fmt: skip
        self.events.append(event)
        if send_webhook and self.webhook_url is not None:
            await self.send_event(event)
        return event

    def _new_card(self, customer: str | None, behaviour: CardBehaviour) -> str:
        return self.add_card(customer, last4=_TEST_LAST4[behaviour], behaviour=behaviour)

    def _new_payment_intent(self, amount: int, currency: str, pm_id: str | None) -> JSON:
        pi_id = _new_id("pi")
        pi: JSON = {
            "id": pi_id, "object": "payment_intent", "amount": amount, "amount_received": 0,
            "currency": currency, "customer": None, "payment_method": pm_id,
            "metadata": {}, "setup_future_usage": None, "description": None,
            "status": "requires_confirmation" if pm_id else "requires_payment_method",
            "latest_charge": None, "last_payment_error": None, "next_action": None,
            "capture_method": "automatic", "payment_method_types": ["card"],
            "client_secret": f"{pi_id}_secret_{secrets.token_hex(8)}",
            "created": _now(), "livemode": False,
        }  # fmt: skip
        self.payment_intents[pi_id] = pi
        return pi

    def _succeed(self, pi: JSON) -> None:
        charge_id = _new_id("ch")
        self._charges[charge_id] = pi["id"]
        pi.update(status="succeeded", amount_received=pi["amount"], latest_charge=charge_id)

    def _expand(self, node: Any, parts: list[str]) -> None:
        if not parts or not isinstance(node, dict):
            return
        if node.get("object") == "list" and parts[0] == "data":
            for item in node["data"]:
                self._expand(item, parts[1:])
            return
        value = node.get(parts[0])
        if isinstance(value, str):
            target = next((s[value] for s in self._stores if value in s), None)
            if target is not None:
                value = node[parts[0]] = copy.deepcopy(target)
        self._expand(value, parts[1:])

    # ------------------------------------------------------------------- HTTP
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method, path = request.method, request.path
        if path.startswith("/pay/"):
            return await self._payment_page(request, path.removeprefix("/pay/"))
        raw = await request.text() if method == "POST" else request.query_string
        headers = {"Request-Id": _new_id("req")}
        try:
            params = decode_form(parse_qsl(raw, keep_blank_values=True))
        except _ApiError as exc:
            self.requests.append((method, path, {}))
            return web.json_response(exc.body, status=exc.status, headers=headers)
        self.requests.append((method, path, params))
        try:
            status, body = self._process(request, params, headers)
        except _ApiError as exc:
            status, body = exc.status, exc.body
        return web.json_response(body, status=status, headers=headers)

    async def _payment_page(self, request: web.Request, session_id: str) -> web.StreamResponse:
        """The hosted Checkout page: GET shows it, POST pays (``complete_checkout``: the signed
        webhook goes to the service) or cancels, then returns to ``success_url``/``cancel_url``
        as Stripe does. The demo's payment page; tests may drive it with plain HTTP too."""
        session = self.sessions.get(session_id)
        if session is None:
            return web.Response(status=404, text="No such checkout session")
        if request.method == "POST":
            form = await request.post()
            if session["status"] != "open":
                return self._page(session, f"This payment is {session['status']}.", status=409)
            if form.get("action") == "cancel":
                target = session["cancel_url"]
            else:
                await self.complete_checkout(session_id)
                target = session["success_url"]
            if not target:
                return self._page(session, "Done. You can close this page.")
            raise web.HTTPSeeOther(str(target).replace("{CHECKOUT_SESSION_ID}", session_id))
        if request.method != "GET":
            raise web.HTTPMethodNotAllowed(request.method, ["GET", "POST"])
        note = "" if session["status"] == "open" else f"This payment is {session['status']}."
        return self._page(session, note)

    def _page(self, session: JSON, note: str, status: int = 200) -> web.Response:
        params = self.session_params.get(session["id"], {})
        items = params.get("line_items")
        names = [
            str(_obj(_obj(item, "price_data"), "product_data").get("name", ""))
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict)
        ]
        if session["mode"] == "payment":
            amount = int(session["amount_total"] or 0)
            what = f"{amount // 100}.{amount % 100:02d} {str(session['currency']).upper()}"
            button = f"Pay {what}"
        else:
            what, button = "Save a card for later", "Save card"
        rows = "".join(f"<li>{html.escape(n)}</li>" for n in names)
        form = (
            ""
            if note
            else _PAY_FORM.format(action=html.escape(f"/pay/{session['id']}"), button=html.escape(button))
        )
        page = _PAY_PAGE.format(what=html.escape(what), items=rows, note=html.escape(note), form=form)
        return web.Response(text=page, content_type="text/html", status=status)

    def _process(self, request: web.Request, params: JSON, headers: dict[str, str]) -> tuple[int, JSON]:
        method, path = request.method, request.path
        route, match = next(
            ((r, m) for r in self._routes if r.method == method and (m := r.pattern.match(path))),
            (None, None),
        )
        if route is None or match is None:
            self.unexpected.append((method, path, params))
            message = f"Unrecognized request URL ({method}: {path})."
            raise _ApiError(404, message, store=False)
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Bearer" or not token.startswith("sk_test_"):
            message = f"Invalid API Key provided: {token[:12]}****" if token else "No API key."
            raise _ApiError(401, message, store=False)
        key = request.headers.get("Idempotency-Key") if method == "POST" else None
        if key is not None:
            headers["Idempotency-Key"] = key
            self.idempotency_keys.append((path, key))
            stored = self._idempotent.get(key)
            if stored is not None:
                if stored.path != path or stored.params != params:
                    message = (
                        "Keys for idempotent requests can only be used with the same parameters "
                        f"they were first used with. Try using a key other than '{key}' if you "
                        "meant to execute a different request."
                    )
                    raise _ApiError(400, message, type_="idempotency_error", store=False)
                self.idempotent_replays += 1
                headers["Idempotent-Replayed"] = "true"
                return stored.status, copy.deepcopy(stored.body)
        try:
            unknown = sorted(set(params) - route.allowed)
            if unknown:
                message = f"Received unknown parameter: {unknown[0]}"
                raise _invalid(message, unknown[0], "parameter_unknown")
            expand = params.get("expand", [])
            if not isinstance(expand, list) or not all(isinstance(e, str) for e in expand):
                raise _invalid("Invalid array", "expand")
            status, body = 200, copy.deepcopy(route.handler(next(iter(match.groups()), ""), params))
            for item in expand:
                self._expand(body, item.split("."))
        except _ApiError as exc:
            if key is None or not exc.store:
                raise
            status, body = exc.status, exc.body
        if key is not None:
            self._idempotent[key] = _Stored(path, params, status, copy.deepcopy(body))
        return status, body

    # --------------------------------------------------------------- endpoints
    def _create_customer(self, _: str, p: JSON) -> JSON:
        customer: JSON = {
            "id": _new_id("cus"), "object": "customer", "email": _opt(p, "email"),
            "name": _opt(p, "name"), "phone": _opt(p, "phone"),
            "description": _opt(p, "description"), "metadata": _metadata(p),
            "invoice_settings": {"default_payment_method": None},
            "created": _now(), "livemode": False,
        }  # fmt: skip
        self.customers[customer["id"]] = customer
        return customer

    def _list_methods(self, customer_id: str, p: JSON) -> JSON:
        _find(self.customers, "customer", customer_id)
        pm_type, limit = _opt(p, "type"), _opt_int(p, "limit") or 10
        methods = [
            pm
            for pm in reversed(self.payment_methods.values())
            if pm["customer"] == customer_id and pm_type in (None, pm["type"])
        ]
        url = f"/v1/customers/{customer_id}/payment_methods"
        return {"object": "list", "data": methods[:limit], "has_more": len(methods) > limit,
                "url": url}  # fmt: skip

    def _detach_method(self, pm_id: str, _: JSON) -> JSON:
        pm = _find(self.payment_methods, "PaymentMethod", pm_id)
        if pm["customer"] is None:
            message = "The payment method you provided is not attached to a customer so "
            raise _refuse(message + "detachment is impossible.")
        pm["customer"] = None
        return pm

    def _create_session(self, _: str, p: JSON) -> JSON:
        mode = _req(p, "mode")
        if mode not in ("payment", "setup"):
            raise _invalid(f"Invalid mode {mode!r}: the fake supports payment and setup.", "mode")
        customer, currency, amount = _opt(p, "customer"), _opt(p, "currency"), None
        if customer is not None:
            _find(self.customers, "customer", customer, param="customer")
        if mode == "payment":
            items = p.get("line_items")
            if not isinstance(items, list) or not items:
                message = "You must specify `line_items` in `payment` mode."
                raise _invalid(message, "line_items", "parameter_missing")
            amount = 0
            for i, item in enumerate(items):
                price = _obj(item, "price_data") if isinstance(item, dict) else {}
                if not price or "name" not in _obj(price, "product_data"):
                    message = "The fake needs price_data with product_data[name]."
                    raise _invalid(message, f"line_items[{i}]")
                item_currency = _req(price, "currency").lower()
                if currency is not None and item_currency != currency.lower():
                    raise _invalid("All line items must use the same currency.", "line_items")
                currency = item_currency
                unit = _to_int(_req(price, "unit_amount"), "unit_amount")
                amount += unit * _to_int(_req(item, "quantity"), "quantity")
        future_usage = _obj(p, "payment_intent_data").get("setup_future_usage")
        if future_usage not in (None, "on_session", "off_session"):
            message = f"Invalid setup_future_usage: {future_usage}"
            raise _invalid(message, "payment_intent_data[setup_future_usage]")
        now = _now()
        expires_at = _opt_int(p, "expires_at") or now + 86400
        if not now + 1800 - 60 <= expires_at <= now + 86400:
            message = "expires_at must be 30 minutes to 24 hours after creation."
            raise _invalid(message, "expires_at")
        session_id = _new_id("cs_test")
        session: JSON = {
            "id": session_id, "object": "checkout.session", "mode": mode, "status": "open",
            "payment_status": "unpaid" if mode == "payment" else "no_payment_required",
            "amount_subtotal": amount, "amount_total": amount, "currency": currency,
            "customer": customer, "customer_email": _opt(p, "customer_email"),
            "client_reference_id": _opt(p, "client_reference_id"), "metadata": _metadata(p),
            "success_url": _opt(p, "success_url"), "cancel_url": _opt(p, "cancel_url"),
            "locale": _opt(p, "locale"), "payment_method_types": ["card"],
            "payment_intent": None, "setup_intent": None, "expires_at": expires_at,
            "url": f"{self.base_url}/pay/{session_id}", "created": now, "livemode": False,
        }  # fmt: skip
        self.sessions[session_id] = session
        self.session_params[session_id] = copy.deepcopy(p)
        return session

    def _expire_session(self, session_id: str, _: JSON) -> JSON:
        session = _find(self.sessions, "checkout.session", session_id)
        if session["status"] != "open":
            raise _refuse('Only Checkout Sessions with a status in ["open"] can be expired.')
        session.update(status="expired", url=None)
        return session

    def _create_payment_intent(self, _: str, p: JSON) -> JSON:
        amount, currency = _to_int(_req(p, "amount"), "amount"), _req(p, "currency").lower()
        minimum = _MIN_AMOUNT.get(currency, 50)
        if amount < minimum:
            message = f"Amount must be at least {minimum} {currency} (minor units)."
            raise _refuse(message, "amount", "amount_too_small")
        customer, pm_id = _opt(p, "customer"), _opt(p, "payment_method")
        if customer is not None:
            _find(self.customers, "customer", customer, param="customer")
        pm = None
        if pm_id is not None:
            pm = _find(self.payment_methods, "PaymentMethod", pm_id, param="payment_method")
        if pm is not None and pm["customer"] is not None and pm["customer"] != customer:
            message = "The PaymentMethod belongs to another Customer; pass that customer with it."
            raise _refuse(message, "payment_method")
        confirm = _opt(p, "confirm") == "true"
        off_session = _opt(p, "off_session") in ("true", "one_off", "recurring")
        if off_session and not confirm:
            raise _invalid("off_session can only be used with confirm=true.", "off_session")
        if confirm and pm is None:
            raise _invalid("You must provide a payment_method to confirm.", "payment_method")
        pi = self._new_payment_intent(amount, currency, pm_id)
        pi.update(customer=customer, metadata=_metadata(p), description=_opt(p, "description"),
                  setup_future_usage=_opt(p, "setup_future_usage"))  # fmt: skip
        if not confirm or pm is None:
            return pi
        behaviour = self._behaviour.get(pm["id"], "ok")
        if behaviour == "ok":
            self._succeed(pi)
            return pi
        charge_id = _new_id("ch")
        if behaviour == "authenticate":
            pi.update(status="requires_action", next_action={"type": "use_stripe_sdk"})
            if not off_session:
                return pi
            code = decline = "authentication_required"
            message = "Your card was declined. This transaction requires authentication."
        else:
            pi.update(status="requires_payment_method", payment_method=None)
            code, decline = "card_declined", "insufficient_funds"
            message = "Your card has insufficient funds."
        error: JSON = {"type": "card_error", "code": code, "decline_code": decline,
                       "message": message, "charge": charge_id}  # fmt: skip
        pi.update(latest_charge=charge_id, last_payment_error={**error, "payment_method": pm})
        extra: JSON = {"decline_code": decline, "charge": charge_id, "payment_method": pm}
        raise _ApiError(402, message, type_="card_error", code=code, payment_intent=pi, **extra)

    def _create_refund(self, _: str, p: JSON) -> JSON:
        pi_id, charge = _opt(p, "payment_intent"), _opt(p, "charge")
        if pi_id is None and charge is not None:
            pi_id = self._charges.get(charge)
            if pi_id is None:
                raise _refuse(f"No such charge: '{charge}'", "charge", "resource_missing")
        if pi_id is None:
            message = "One of payment_intent or charge is required."
            raise _invalid(message, "payment_intent", "parameter_missing")
        pi = _find(self.payment_intents, "payment_intent", pi_id, param="payment_intent")
        if pi["status"] != "succeeded":
            message = f"This PaymentIntent ({pi_id}) does not have a successful charge to refund."
            raise _refuse(message, "payment_intent")
        if p.get("reason") not in (None, "duplicate", "fraudulent", "requested_by_customer"):
            raise _invalid("Invalid reason.", "reason")
        remaining = pi["amount_received"] - self._refunded.get(pi_id, 0)
        amount = _opt_int(p, "amount")
        if remaining <= 0:
            message = f"Charge {pi['latest_charge']} has already been refunded."
            raise _refuse(message, code="charge_already_refunded")
        amount = remaining if amount is None else amount
        if amount <= 0:
            raise _invalid("Invalid positive integer", "amount", "parameter_invalid_integer")
        if amount > remaining:
            message = f"Refund amount ({amount}) is greater than unrefunded amount ({remaining})."
            raise _refuse(message, "amount", "amount_too_large")
        if self._refund_failures > 0:
            self._refund_failures -= 1
            message = f"Charge {pi['latest_charge']} has been charged back; cannot refund it."
            raise _refuse(message, code="charge_disputed")
        self._refunded[pi_id] = self._refunded.get(pi_id, 0) + amount
        refund: JSON = {
            "id": _new_id("re"), "object": "refund", "amount": amount,
            "currency": pi["currency"], "payment_intent": pi_id, "charge": pi["latest_charge"],
            "status": "succeeded", "reason": _opt(p, "reason"), "metadata": _metadata(p),
            "created": _now(),
        }  # fmt: skip
        self.refunds[refund["id"]] = refund
        return refund
