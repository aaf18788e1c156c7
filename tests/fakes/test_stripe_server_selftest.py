"""Self-tests for the Stripe fake, driven through the real ``stripe`` library (AIOHTTPClient)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import aiohttp
import pytest
import stripe
from aiohttp import web

from demo.stripe import StripeFake, decode_form

API_KEY = "sk_test_selftest"
WEBHOOK_SECRET = "whsec_selftest"


@dataclass
class Receiver:
    """A webhook endpoint that verifies signatures with the real ``stripe.Webhook``."""

    url: str = ""
    events: list[stripe.Event] = field(default_factory=list)
    rejected: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        payload = await request.text()
        signature = request.headers.get("Stripe-Signature")
        try:
            event = stripe.Webhook.construct_event(payload, signature, WEBHOOK_SECRET)
        except stripe.SignatureVerificationError:
            self.rejected += 1
            return web.Response(status=400)
        self.events.append(event)
        return web.Response(status=200)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    rec = Receiver()
    app = web.Application()
    app.router.add_post("/webhook", rec.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    rec.url = f"http://127.0.0.1:{runner.addresses[0][1]}/webhook"
    yield rec
    await runner.cleanup()


@pytest.fixture
async def fake(receiver: Receiver) -> AsyncIterator[StripeFake]:
    async with StripeFake(webhook_url=receiver.url, webhook_secret=WEBHOOK_SECRET) as server:
        yield server
        assert server.unexpected == []


@asynccontextmanager
async def stripe_client(fake: StripeFake, api_key: str = API_KEY) -> AsyncIterator[stripe.StripeClient]:
    """How the bot should build its client against the fake (httpx is not installed)."""
    http_client = stripe.AIOHTTPClient()
    try:
        yield stripe.StripeClient(
            api_key,
            base_addresses={"api": fake.base_url},
            http_client=http_client,
            max_network_retries=0,
        )
    finally:
        await http_client.close_async()  # type: ignore[no-untyped-call]


@pytest.fixture
async def client(fake: StripeFake) -> AsyncIterator[stripe.StripeClient]:
    async with stripe_client(fake) as stripe_client_:
        yield stripe_client_


async def new_customer(client: stripe.StripeClient) -> str:
    customer = await client.v1.customers.create_async({"email": "driver@example.com"})
    return customer.id


async def charge(
    client: stripe.StripeClient, customer: str, pm: str, amount: int = 1500
) -> stripe.PaymentIntent:
    return await client.v1.payment_intents.create_async(
        {
            "amount": amount,
            "currency": "eur",
            "customer": customer,
            "payment_method": pm,
            "confirm": True,
            "off_session": True,
            "metadata": {"booking_id": "42"},
        }
    )


def test_decode_form_nests_dicts_and_lists() -> None:
    pairs = [
        ("line_items[0][price_data][product_data][name]", "Parking"),
        ("line_items[0][quantity]", "2"),
        ("line_items[1][quantity]", "1"),
        ("expand[0]", "payment_intent"),
        ("expand[1]", "customer"),
        ("metadata[7]", "kept as a dict key"),
        ("flags[]", "a"),
        ("flags[]", "b"),
        ("mode", "payment"),
    ]
    assert decode_form(pairs) == {
        "line_items": [
            {"price_data": {"product_data": {"name": "Parking"}}, "quantity": "2"},
            {"quantity": "1"},
        ],
        "expand": ["payment_intent", "customer"],
        "metadata": {"7": "kept as a dict key"},
        "flags": ["a", "b"],
        "mode": "payment",
    }


async def test_customer_create_and_retrieve(fake: StripeFake, client: stripe.StripeClient) -> None:
    created = await client.v1.customers.create_async(
        {"email": "a@example.com", "name": "Ann", "phone": "+100", "metadata": {"tg": "7"}}
    )
    assert created.id.startswith("cus_") and created.object == "customer"
    got = await client.v1.customers.retrieve_async(created.id)
    assert (got.email, got.name, got.phone, got.metadata and got.metadata.to_dict()) == (
        "a@example.com",
        "Ann",
        "+100",
        {"tg": "7"},
    )
    assert fake.customers[created.id]["metadata"] == {"tg": "7"}
    assert fake.requests[0] == ("POST", "/v1/customers", {"email": "a@example.com", "name": "Ann",
                                              "phone": "+100", "metadata": {"tg": "7"}})  # fmt: skip


async def test_payment_checkout_flow(
    fake: StripeFake, client: stripe.StripeClient, receiver: Receiver
) -> None:
    customer = await new_customer(client)
    expires_at = int(time.time()) + 3600
    session = await client.v1.checkout.sessions.create_async(
        {
            "mode": "payment",
            "customer": customer,
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 250,
                        "product_data": {"name": "Parking, 1 hour"},
                    },
                    "quantity": 2,
                }
            ],
            "client_reference_id": "booking-42",
            "metadata": {"booking_id": "42"},
            "payment_intent_data": {
                "metadata": {"booking_id": "42"},
                "setup_future_usage": "off_session",
            },
            "success_url": "https://t.me/bot?start=paid",
            "cancel_url": "https://t.me/bot?start=cancel",
            "expires_at": expires_at,
            "locale": "auto",
        }
    )
    assert session.id.startswith("cs_test_") and session.object == "checkout.session"
    assert (session.status, session.payment_status, session.mode) == ("open", "unpaid", "payment")
    assert (session.amount_total, session.currency, session.expires_at) == (500, "eur", expires_at)
    assert session.payment_intent is None and session.client_reference_id == "booking-42"
    assert session.url == f"{fake.base_url}/pay/{session.id}"
    sent = fake.session_params[session.id]
    assert sent["line_items"][0]["price_data"]["product_data"] == {"name": "Parking, 1 hour"}
    assert sent["payment_intent_data"]["setup_future_usage"] == "off_session"
    async with aiohttp.ClientSession() as http, http.get(session.url) as page:
        assert page.status == 200

    event = await fake.complete_checkout(session.id)
    assert event["type"] == "checkout.session.completed" and event["object"] == "event"
    assert fake.webhook_responses == [(event["id"], 200)]
    [delivered] = receiver.events
    assert delivered.id == event["id"] and delivered.type == "checkout.session.completed"
    assert delivered.data.object["id"] == session.id
    assert delivered.data.object["payment_status"] == "paid"

    done = await client.v1.checkout.sessions.retrieve_async(session.id, {"expand": ["payment_intent"]})
    assert (done.status, done.payment_status, done.url) == ("complete", "paid", None)
    pi = done.payment_intent
    assert isinstance(pi, stripe.PaymentIntent)
    assert (pi.status, pi.amount, pi.metadata.to_dict()) == ("succeeded", 500, {"booking_id": "42"})
    assert pi.latest_charge is not None
    # setup_future_usage saved the card on the customer
    methods = await client.v1.customers.payment_methods.list_async(customer)
    assert [m.id for m in methods.data] == [pi.payment_method]


async def test_setup_checkout_flow_and_card_objects(
    fake: StripeFake, client: stripe.StripeClient, receiver: Receiver
) -> None:
    customer = await new_customer(client)
    session = await client.v1.checkout.sessions.create_async(
        {"mode": "setup", "customer": customer, "currency": "eur",
         "success_url": "https://example.com/ok", "setup_intent_data": {"metadata": {"k": "v"}}}
    )  # fmt: skip
    assert (session.status, session.setup_intent, session.amount_total) == ("open", None, None)
    await fake.complete_checkout(session.id, card_behaviour="decline")
    assert receiver.events[0].data.object["setup_intent"] is not None

    done = await client.v1.checkout.sessions.retrieve_async(
        session.id, {"expand": ["setup_intent.payment_method"]}
    )
    assert done.status == "complete" and isinstance(done.setup_intent, stripe.SetupIntent)
    assert isinstance(done.setup_intent.payment_method, stripe.PaymentMethod)
    si = await client.v1.setup_intents.retrieve_async(done.setup_intent.id)
    assert (si.status, si.customer, si.metadata and si.metadata.to_dict()) == (
        "succeeded",
        customer,
        {"k": "v"},
    )
    assert isinstance(si.payment_method, str)
    pm = await client.v1.payment_methods.retrieve_async(si.payment_method)
    assert pm.customer == customer and pm.card is not None
    assert (pm.card.brand, pm.card.last4, pm.card.exp_month, pm.card.exp_year) == (
        "visa", "9995", 12, 2030
    )  # fmt: skip
    listed = await client.v1.customers.payment_methods.list_async(customer, {"type": "card"})
    assert (
        listed.url.endswith("/payment_methods")
        and not listed.has_more
        and [m.id for m in listed.data] == [pm.id]
    )
    with pytest.raises(stripe.CardError):
        await charge(client, customer, pm.id)


async def test_off_session_charges(fake: StripeFake, client: stripe.StripeClient) -> None:
    customer = await new_customer(client)
    good = fake.add_card(customer)
    paid = await charge(client, customer, good)
    assert paid.id.startswith("pi_") and paid.status == "succeeded"
    assert paid.amount == paid.amount_received == 1500 and paid.latest_charge is not None
    assert paid.metadata.to_dict() == {"booking_id": "42"}  # StripeObject is not a dict
    assert (await client.v1.payment_intents.retrieve_async(paid.id)).status == "succeeded"

    declining = fake.add_card(customer, behaviour="decline", last4="0002")
    with pytest.raises(stripe.CardError) as declined:
        await charge(client, customer, declining)
    err = declined.value
    assert (err.http_status, err.code, err.user_message) == (
        402, "card_declined", "Your card has insufficient funds."
    )  # fmt: skip
    assert err.error is not None and err.error.decline_code == "insufficient_funds"
    assert err.error.payment_intent is not None
    assert err.error.payment_intent.status == "requires_payment_method"
    stored = await client.v1.payment_intents.retrieve_async(err.error.payment_intent.id)
    assert stored.status == "requires_payment_method" and stored.last_payment_error is not None
    assert stored.last_payment_error.code == "card_declined"

    needs_3ds = fake.add_card(customer, behaviour="authenticate")
    with pytest.raises(stripe.CardError) as auth:
        await charge(client, customer, needs_3ds)
    assert auth.value.code == "authentication_required" and auth.value.error is not None
    assert auth.value.error.payment_intent is not None
    assert auth.value.error.payment_intent.status == "requires_action"

    with pytest.raises(stripe.InvalidRequestError) as small:
        await charge(client, customer, good, amount=10)
    assert small.value.code == "amount_too_small"


async def test_refunds(fake: StripeFake, client: stripe.StripeClient) -> None:
    customer = await new_customer(client)
    pi = await charge(client, customer, fake.add_card(customer), amount=1000)
    partial = await client.v1.refunds.create_async(
        {"payment_intent": pi.id, "amount": 300, "metadata": {"reason": "left early"}}
    )
    assert partial.id.startswith("re_") and (partial.status, partial.amount) == ("succeeded", 300)
    assert partial.payment_intent == pi.id and partial.metadata is not None
    assert partial.metadata.to_dict() == {"reason": "left early"}
    with pytest.raises(stripe.InvalidRequestError) as too_large:
        await client.v1.refunds.create_async({"payment_intent": pi.id, "amount": 800})
    assert too_large.value.code == "amount_too_large" and too_large.value.http_status == 400

    fake.fail_refunds(1)
    with pytest.raises(stripe.InvalidRequestError) as failed:
        await client.v1.refunds.create_async({"payment_intent": pi.id})
    assert failed.value.code == "charge_disputed"
    rest = await client.v1.refunds.create_async({"payment_intent": pi.id})
    assert rest.amount == 700 and len(fake.refunds) == 2
    with pytest.raises(stripe.InvalidRequestError) as again:
        await client.v1.refunds.create_async({"payment_intent": pi.id})
    assert again.value.code == "charge_already_refunded"


async def test_expire_endpoint_and_control(
    fake: StripeFake, client: stripe.StripeClient, receiver: Receiver
) -> None:
    customer = await new_customer(client)
    params: stripe.params.checkout.SessionCreateParams = {"mode": "setup", "customer": customer}
    first = await client.v1.checkout.sessions.create_async(params)
    expired = await client.v1.checkout.sessions.expire_async(first.id)
    assert (expired.status, expired.url) == ("expired", None)
    with pytest.raises(stripe.InvalidRequestError) as not_open:
        await client.v1.checkout.sessions.expire_async(first.id)
    assert not_open.value.http_status == 400 and "open" in str(not_open.value.user_message)
    with pytest.raises(ValueError):
        await fake.complete_checkout(first.id)

    second = await client.v1.checkout.sessions.create_async(params)
    event = await fake.expire_checkout(second.id)
    assert event["type"] == "checkout.session.expired"
    assert [e.type for e in receiver.events] == ["checkout.session.expired"]
    assert fake.sessions[second.id]["status"] == "expired"


async def test_detach_payment_method(fake: StripeFake, client: stripe.StripeClient) -> None:
    customer = await new_customer(client)
    pm_id = fake.add_card(customer, brand="mastercard", last4="4444")
    detached = await client.v1.payment_methods.detach_async(pm_id)
    assert detached.customer is None
    assert (await client.v1.customers.payment_methods.list_async(customer)).data == []
    with pytest.raises(stripe.InvalidRequestError):
        await client.v1.payment_methods.detach_async(pm_id)


async def test_idempotency_replays(fake: StripeFake, client: stripe.StripeClient) -> None:
    first = await client.v1.customers.create_async({"email": "x@y.z"}, {"idempotency_key": "k1"})
    again = await client.v1.customers.create_async({"email": "x@y.z"}, {"idempotency_key": "k1"})
    assert first.id == again.id and len(fake.customers) == 1 and fake.idempotent_replays == 1
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    with pytest.raises(stripe.IdempotencyError):
        await client.v1.customers.create_async({"email": "other@y.z"}, {"idempotency_key": "k1"})

    pm = fake.add_card(first.id, behaviour="decline")
    card_errors: list[stripe.CardError] = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as exc:
            await client.v1.payment_intents.create_async(
                {"amount": 900, "currency": "eur", "customer": first.id, "payment_method": pm,
                 "confirm": True, "off_session": True}, {"idempotency_key": "charge-7"},
            )  # fmt: skip
        card_errors.append(exc.value)
    ids = [e.error.payment_intent.id for e in card_errors if e.error and e.error.payment_intent]
    assert len(ids) == 2 and ids[0] == ids[1] and len(fake.payment_intents) == 1
    assert fake.idempotent_replays == 2


async def test_auth_unknown_paths_params_and_missing_objects(
    fake: StripeFake, client: stripe.StripeClient
) -> None:
    async with stripe_client(fake, api_key="sk_live_oops") as live:
        with pytest.raises(stripe.AuthenticationError):
            await live.v1.customers.create_async({"email": "a@b.c"})
    assert fake.customers == {}

    with pytest.raises(stripe.InvalidRequestError) as unknown_path:
        await client.v1.charges.list_async()
    assert unknown_path.value.http_status == 404
    assert fake.unexpected == [("GET", "/v1/charges", {})]
    fake.unexpected.clear()

    with pytest.raises(stripe.InvalidRequestError) as unknown_param:
        await client.v1.customers.create_async(cast(Any, {"email": "a@b.c", "bogus": "1"}))
    assert (unknown_param.value.code, unknown_param.value.param) == ("parameter_unknown", "bogus")

    with pytest.raises(stripe.InvalidRequestError) as missing:
        await client.v1.customers.retrieve_async("cus_nope")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")
    with pytest.raises(stripe.InvalidRequestError) as missing_param:
        await client.v1.checkout.sessions.create_async({"mode": "setup", "customer": "cus_nope"})
    assert (missing_param.value.code, missing_param.value.param) == ("resource_missing", "customer")


async def test_webhook_signatures(fake: StripeFake, receiver: Receiver) -> None:
    event = {"id": "evt_manual", "object": "event", "type": "checkout.session.completed",
             "api_version": stripe.api_version, "created": 1, "livemode": False,
             "data": {"object": {"id": "cs_test_x", "object": "checkout.session"}}}  # fmt: skip
    payload = json.dumps(event)
    parsed = stripe.Webhook.construct_event(payload, fake.sign(payload), WEBHOOK_SECRET)
    assert parsed.id == "evt_manual" and parsed.data.object["id"] == "cs_test_x"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, fake.sign(payload), "whsec_wrong")
    forged = fake.sign(payload, secret="whsec_wrong")
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, forged, WEBHOOK_SECRET)
    stale = fake.sign(payload, timestamp=int(time.time()) - 3600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, stale, WEBHOOK_SECRET)

    assert await fake.send_event(event) == 200
    assert await fake.send_event(event, secret="whsec_wrong") == 400
    assert await fake.send_event(event, timestamp=int(time.time()) - 3600) == 400
    assert await fake.send_event(event) == 200  # a replayed delivery
    assert receiver.rejected == 2 and [e.id for e in receiver.events] == ["evt_manual"] * 2
    assert [status for _, status in fake.webhook_responses] == [200, 400, 400, 200]


async def test_the_hosted_page_pays_with_a_signed_webhook_and_returns_to_success_url(
    fake: StripeFake, client: stripe.StripeClient, receiver: Receiver
) -> None:
    session = await client.v1.checkout.sessions.create_async(
        {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 150,
                        "product_data": {"name": "Parking <b>C1</b>"},
                    },
                    "quantity": 1,
                }
            ],
            "success_url": "http://127.0.0.1:9/payments/return?session_id={CHECKOUT_SESSION_ID}",
            "cancel_url": "http://127.0.0.1:9/payments/return?cancelled=1",
        }
    )
    assert session.url is not None
    async with aiohttp.ClientSession() as http:
        async with http.get(session.url) as page:
            text = await page.text()
        assert page.status == 200 and page.content_type == "text/html"
        assert "<h1>1.50 EUR</h1>" in text and "Parking &lt;b&gt;C1&lt;/b&gt;" in text
        assert "Pay 1.50 EUR" in text
        async with http.post(session.url, data={"action": "pay"}, allow_redirects=False) as paid:
            assert paid.status == 303
            assert paid.headers["Location"] == (f"http://127.0.0.1:9/payments/return?session_id={session.id}")
        async with http.post(session.url, data={"action": "pay"}, allow_redirects=False) as again:
            assert again.status == 409  # paid once only
    [delivered] = receiver.events
    assert delivered.type == "checkout.session.completed" and delivered.data.object["id"] == session.id
    assert fake.sessions[session.id]["payment_status"] == "paid"
