"""The SMS channel through the running stack (service.App) against the Twilio fake, which the
real `twilio` library talks to, the Stripe fake and, for the blocker, the device simulator on
the local Mosquitto: what a phone-only driver texts and receives."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from core.models import (
    Blocker,
    Channel,
    Notification,
    NotificationStatus,
    Payment,
    Premise,
    ProcessedEvent,
    Reservation,
    ReservationStatus,
    SavedPaymentMethod,
    User,
    WalletTxKind,
)
from core.notifications import NotificationKind
from core.services import outbox, wallet
from hardware.simulator import Simulator
from sms.segments import count
from tests.e2e.conftest import E2E, start_stack
from tests.factories import make_user
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, TwilioFake
from tests.services import MQTT_URL, tcp_open, unavailable
from tests.waiting import eventually

BLOCKERS = ("SMS-A1", "SMS-A2")
PHONE = "+447700900123"  # a UK mobile: English


@dataclass
class Stack:
    e2e: E2E
    twilio: TwilioFake
    code: str

    async def sms_out(self) -> None:
        """Sends what the outbox holds for SMS (the 1 s job does the same)."""
        assert self.e2e.app.sms_dispatcher is not None
        await self.e2e.app.sms_dispatcher.run()

    async def open_link(self, text: str) -> tuple[int, str, str]:
        """Opens the short payment link in an SMS as the driver's phone does: HTTP status,
        redirect target, page."""
        match = re.search(r"https://parking\.example/p/[A-Za-z0-9_-]+", text)
        assert match is not None, text
        path = match.group(0).removeprefix(self.e2e.app.settings.public_url.rstrip("/"))
        async with (
            aiohttp.ClientSession() as http,
            http.get(self.e2e.app.web_url + path, allow_redirects=False) as response,
        ):
            return response.status, response.headers.get("Location", ""), await response.text()

    async def follow(self, text: str) -> str:
        """Where the short payment link in an SMS leads (a redirect to Checkout)."""
        status, location, _ = await self.open_link(text)
        assert status == 302, status
        return location

    async def stripe_charged_off_session(self, amount: int) -> None:
        """The last PaymentIntent created charged the driver's recorded card off-session, for
        `amount`, under our payment's idempotency key."""
        stripe = self.e2e.stripe
        async with self.e2e.db.read() as s:
            pm = await s.scalar(select(SavedPaymentMethod.stripe_payment_method_id))
            payment_id = await s.scalar(select(func.max(Payment.id)))
        charge = [p for m, path, p in stripe.requests if (m, path) == ("POST", "/v1/payment_intents")][-1]
        assert (charge["amount"], charge["off_session"], charge["payment_method"]) == (
            str(amount),
            "true",
            pm,
        )
        assert ("/v1/payment_intents", f"charge-payment-{payment_id}") in stripe.idempotency_keys


def _twilio_settings(fake: TwilioFake) -> dict[str, object]:
    return {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": SecretStr(AUTH_TOKEN),
        "twilio_from_number": FROM_NUMBER,
        "twilio_api_base": fake.base_url,
    }


async def _stack(
    tmp_path: Path, sqlite_template: Path, mqtt: tuple[str, str] | None = None
) -> AsyncIterator[Stack]:
    async with TwilioFake() as fake:
        async for e2e in start_stack(
            tmp_path,
            sqlite_template,
            mqtt=mqtt,
            blocker_ids=BLOCKERS if mqtt else (),
            sweep_seconds=0.2,
            extra=_twilio_settings(fake),
        ):
            fake.public_url, fake.service_url = e2e.app.settings.public_url, e2e.app.web_url
            async with e2e.db.read() as s:
                code = await s.scalar(select(Premise.code).where(Premise.id == e2e.premise_id))
            assert code is not None
            yield Stack(e2e, fake, code)


@pytest.fixture
async def stack(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Stack]:
    async for s in _stack(tmp_path, sqlite_template):
        yield s


@pytest.mark.mqtt
async def test_a_phone_only_driver_parks_lowers_extends_and_leaves_by_sms(
    tmp_path: Path, sqlite_template: Path
) -> None:
    if not tcp_open(MQTT_URL, 1883):
        unavailable(f"Mosquitto is not reachable at {MQTT_URL}")
    prefix = f"sms{uuid.uuid4().hex[:8]}"
    async for st in _stack(tmp_path, sqlite_template, mqtt=(MQTT_URL, prefix)):
        e2e, tw = st.e2e, st.twilio
        async with Simulator(
            MQTT_URL, prefix, BLOCKERS, move_time=0.02, car_arrival_delay=0.05, clock=e2e.clock,
            clear_retained_on_stop=True,
        ) as _sim:  # fmt: skip
            assert e2e.app.link is not None
            await asyncio.wait_for(e2e.app.link.wait_connected(), 5)
            await _blockers_online(e2e)  # spots are on sale only once their devices are heard

            # PARK: a spot held from now, the price and a short link to Checkout, in one message
            # (the card kept for later).
            reply = await tw.text(PHONE, f"  park {st.code}   2h ")
            assert reply.status == 200
            (quote,) = reply.messages
            assert quote.startswith("Central Garage, spot A1 until ") and ": 5.00 EUR. Held 10 min." in quote
            assert count(quote).parts == 1
            session_id = next(iter(e2e.stripe.sessions))
            assert await st.follow(quote) == e2e.stripe.sessions[session_id]["url"]
            assert e2e.stripe.session_params[session_id]["payment_intent_data"]["setup_future_usage"] == (
                "off_session"
            )
            async with e2e.db.read() as s:
                user = await s.scalar(select(User).where(User.phone == PHONE))
                assert user is not None and user.telegram_id is None and user.language == "en"

            # Paid on Checkout: the confirmation comes by SMS, and Twilio's callbacks are recorded.
            # The card Checkout kept is recorded, for the next payments.
            await e2e.stripe.complete_checkout(session_id)
            await st.sms_out()
            confirmed = await tw.wait_for(PHONE, "Booked #")
            assert (
                "Central Garage, spot A1" in confirmed
                and "paid 5.00 EUR. At the spot reply LOWER" in confirmed
            )
            assert await tw.wait_for(PHONE, "Card Visa *4242 saved") == (
                "Card Visa *4242 saved for your next payments."
            )
            sent = next(m for m in tw.sent if m.body == confirmed)
            assert sent.from_ == FROM_NUMBER and sent.segments <= 2
            assert sent.status_callback is not None and sent.status_callback.startswith(
                "https://parking.example/sms/status?n="
            )
            assert await tw.report(sent, "sent") == 204
            assert await tw.report(sent, "delivered") == 204
            assert await tw.report(sent, "sent") == 204  # late: never moves the status back
            async with e2e.db.read() as s:
                note = await s.scalar(
                    select(Notification).where(Notification.provider_message_id == sent.sid)
                )
                assert (
                    note is not None and note.delivery_status == "delivered" and note.channel == Channel.SMS
                )

            # LOWER at the spot: the simulator lowers the blocker.
            lowered = await tw.text(PHONE, "LOWER")
            assert lowered.messages[0].startswith("Blocker down at spot A1: park now.")

            # The reminder names the extensions with their prices.
            e2e.clock.advance(timedelta(minutes=91))
            await tw.wait_for(PHONE, "Reply EXT 30", within=10)
            reminder = next(b for b in tw.to(PHONE) if "Reply EXT 30" in b)
            assert "EXT 30 (1.25 EUR), EXT 60 (2.50 EUR), EXT 120 (5.00 EUR)" in reminder

            # EXT 30: priced and paid as in Telegram, here with the card kept by the first
            # payment (off-session, under the payment's idempotency key), then confirmed.
            # One text says so: the outbox's (the reply adds nothing, as with PAY).
            ext = await tw.text(PHONE, "ext 30")
            assert ext.messages == []
            await st.stripe_charged_off_session(125)
            extended = await tw.wait_for(PHONE, "now ends at")
            assert extended.startswith("Booking #") and extended.endswith(". Paid 1.25 EUR.")

            # LEAVE: ended now, and a receipt.
            left = await tw.text(PHONE, "LEAVE")
            assert left.messages[0].startswith("Booking #") and "ended at" in left.messages[0]
            receipt = await tw.wait_for(PHONE, "Receipt: booking #")
            assert "5.00 EUR paid" in receipt or "6.25 EUR paid" in receipt
            async with e2e.db.read() as s:
                (status,) = (await s.scalars(select(Reservation.status))).all()
            assert status == ReservationStatus.COMPLETED
            assert all(m.segments <= 2 for m in tw.sent)


async def _blockers_online(e2e: E2E, within: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        async with e2e.db.read() as s:
            blockers = (await s.scalars(select(Blocker))).all()
        if blockers and all(b.online and b.battery is not None for b in blockers):
            return
        assert loop.time() < deadline, [(b.id, b.online, b.battery) for b in blockers]
        await asyncio.sleep(0.05)


async def test_ukrainian_number_becomes_an_sms_user_speaking_ukrainian(stack: Stack) -> None:
    reply = await stack.twilio.text("+380501234567", "hello")
    assert reply.messages == [
        "Не зрозуміли. Спробуйте PARK 1042 2H, PAY, LOWER, EXT 30, STATUS, LEAVE або HELP."
    ]
    reply = await stack.twilio.text("+380501234567", "PARK 9 2H")
    assert reply.messages[0].startswith("Паркінгу з кодом 9 немає")


async def _reminder_for(stack: Stack, user_id: int) -> int:
    """A paid booking of the user's and its reminder queued; returns the notification id."""
    e2e = stack.e2e
    from core.services import booking, reminders

    now = e2e.clock.now()
    async with e2e.db.transaction() as s:
        r = await booking.hold(s, user_id=user_id, premise_id=e2e.premise_id, starts_at=now, minutes=60,
                               now=now, hold_minutes=10)  # fmt: skip
        await booking.confirm(s, r.id, now)
        r.reminded_at = now  # the sweep leaves it: the test queues the reminder itself
        note = await outbox.notify(
            s,
            user_id,
            NotificationKind.BOOKING_REMINDER,
            {"reservation_id": r.id, "ends_at": r.ends_at.isoformat(), "currency": "EUR",
             "options": [{"minutes": 30, "price": 125}]},
            now=now,
        )  # fmt: skip
        assert note is not None
        del reminders
        return note.id


async def test_telegram_blocked_the_reminder_arrives_by_sms_exactly_once(stack: Stack) -> None:
    e2e, tw = stack.e2e, stack.twilio
    driver = e2e.tg.user(4242, "Iryna", language_code="en")
    driver.blocked = True
    async with e2e.db.transaction() as s:
        user = await make_user(s, telegram_id=4242, phone="+447700900555", name="Iryna")
        user_id = user.id
    note_id = await _reminder_for(stack, user_id)
    for _ in range(3):
        await e2e.app.dispatcher.run()
        await stack.sms_out()
    # The 1 s job may be the run that took them and is still pacing (1 SMS a second): wait.
    await eventually(lambda: len(tw.to("+447700900555")) >= 2, within=10, what="two SMS")
    await stack.sms_out()
    # The confirmation Telegram could not deliver went by SMS too; each once.
    reminders = [b for b in tw.to("+447700900555") if "Reply EXT 30 (1.25 EUR)" in b]
    assert len(reminders) == 1 and len(tw.to("+447700900555")) == 2
    async with e2e.db.read() as s:
        note = await s.get(Notification, note_id)
        assert note is not None
        assert (note.channel, note.fallback_from, note.status) == (
            Channel.SMS,
            "telegram",
            NotificationStatus.SENT,
        )
        assert note.provider_message_id in {m.sid for m in tw.sent}


async def test_after_stop_nothing_is_texted(stack: Stack) -> None:
    e2e, tw = stack.e2e, stack.twilio
    assert (await tw.text(PHONE, "STOP")).messages == []  # Twilio confirms opt-outs itself
    async with e2e.db.read() as s:
        user = await s.scalar(select(User).where(User.phone == PHONE))
        assert user is not None and user.sms_opt_out
    note_id = await _reminder_for(stack, user.id)
    await stack.sms_out()
    await e2e.app.dispatcher.run()
    assert tw.to(PHONE) == [] and tw.requests == []
    async with e2e.db.read() as s:
        note = await s.get(Notification, note_id)
        assert note is not None and note.status == NotificationStatus.FAILED
        assert note.last_error == "user opted out of SMS"
    # START opts back in.
    await tw.text(PHONE, "start")
    async with e2e.db.read() as s:
        assert await s.scalar(select(User.sms_opt_out).where(User.phone == PHONE)) is False


async def test_a_forged_signature_is_refused_and_changes_nothing(stack: Stack) -> None:
    tw = stack.twilio
    reply = await tw.text(PHONE, f"PARK {stack.code} 2H", signature="bm90IGEgc2lnbmF0dXJl")
    assert reply.status == 403
    unsigned = await tw.post_signed(
        tw.public_url + "/sms/twilio", {"From": PHONE, "Body": "STOP"}, signature=""
    )
    assert unsigned[0] == 403
    status = await tw.post_signed(
        tw.public_url + "/sms/status?n=1", {"MessageStatus": "failed"}, signature="x"
    )
    assert status[0] == 403
    async with stack.e2e.db.read() as s:
        assert await s.scalar(select(func.count()).select_from(User)) == 0
        assert await s.scalar(select(func.count()).select_from(Reservation)) == 0
        assert await s.scalar(select(func.count()).select_from(ProcessedEvent)) == 0


async def test_the_same_message_sid_is_applied_once(stack: Stack) -> None:
    tw = stack.twilio
    first = await tw.text(PHONE, f"PARK {stack.code} 1H", sid="SMdeadbeef")
    again = await tw.text(PHONE, f"PARK {stack.code} 1H", sid="SMdeadbeef")
    assert first.status == again.status == 200
    assert len(first.messages) == 1 and again.messages == []
    async with stack.e2e.db.read() as s:
        assert await s.scalar(select(func.count()).select_from(Reservation)) == 1


async def test_twilio_errors_are_classified(stack: Stack) -> None:
    """Invalid number, STOP at Twilio, not a mobile: for good; 429 and 5xx: tried again."""
    e2e, tw = stack.e2e, stack.twilio
    async with e2e.db.transaction() as s:
        users = [await make_user(s, phone=f"+44770090010{i}") for i in range(5)]
    tw.fail_next(21211, 21610, 21614, 20429, 20500)
    ids = []
    for u in users:
        async with e2e.db.transaction() as s:
            topped_up = {"amount": 500, "balance": 500, "currency": "EUR"}
            note = await outbox.notify(
                s, u.id, NotificationKind.WALLET_TOPPED_UP, topped_up, now=e2e.clock.now()
            )
            assert note is not None
            ids.append(note.id)
    await stack.sms_out()
    async with e2e.db.read() as s:
        statuses = [(await s.get(Notification, i)) for i in ids]
    assert [n.status for n in statuses if n] == [NotificationStatus.FAILED] * 3 + [
        NotificationStatus.PENDING
    ] * 2
    assert [code for _, code in tw.refused] == [21211, 21610, 21614, 20429, 20500]


async def test_the_card_kept_by_the_first_checkout_pays_the_next_park_after_pay(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    e2e, tw = stack.e2e, stack.twilio
    (quote,) = (await tw.text(PHONE, f"PARK {stack.code} 2H")).messages
    token = quote.split("/p/")[1].split(" ")[0]
    assert quote == (
        f"Central Garage, spot A1 until {quote.split('until ')[1][:5]}: 5.00 EUR. Held 10 min. "
        f"Pay at https://parking.example/p/{token} (your card is kept for next time)."
    )
    (session_id,) = e2e.stripe.sessions
    with caplog.at_level("DEBUG"):
        assert await stack.follow(quote) == e2e.stripe.sessions[session_id]["url"]
        await e2e.stripe.complete_checkout(session_id)
        status, _, page = await stack.open_link(quote)  # the link again, once paid
    assert status == 200 and "This payment is already paid." in page
    # Checkout's return page speaks of SMS to a driver without a chat, not of the bot.
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{e2e.app.web_url}/payments/return?session_id={session_id}") as response,
    ):
        back = await response.text()
    assert "The confirmation comes by SMS." in back and "Back to the bot" not in back
    # Our logs name a link by its first characters only (aiosqlite's DEBUG echoes SQL values).
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("aiosqlite")]
    assert any(f"payment link {token[:3]}…" in m for m in ours)
    assert not any(token in m for m in ours)
    async with e2e.db.read() as s:
        (card,) = (await s.scalars(select(SavedPaymentMethod))).all()
    assert (card.brand, card.last4, card.exp_month, card.exp_year) == ("visa", "4242", 12, 2030)

    # The next PARK offers the recorded card; PAY charges it off-session.
    (offer,) = (await tw.text(PHONE, f"PARK {stack.code} 1H")).messages
    assert offer.startswith("Central Garage, spot A2 until ")
    assert offer.endswith(": 2.50 EUR. Reply PAY within 10 min to pay with card *4242.")
    # Paid: one text, the confirmation with what comes next, not "Paid" and then "Booked".
    assert (await tw.text(PHONE, "pay")).messages == []
    async with e2e.db.read() as s:
        second = await s.scalar(select(func.max(Reservation.id)))
        statuses = (await s.scalars(select(Reservation.status).order_by(Reservation.id))).all()
    assert statuses == [ReservationStatus.CONFIRMED, ReservationStatus.CONFIRMED]
    await stack.sms_out()
    booked = await tw.wait_for(PHONE, f"Booked #{second}:")
    assert re.fullmatch(
        # An end after midnight in Kyiv carries its date (30.11 00:10).
        rf"Booked #{second}: Central Garage, spot A2, \d\d:\d\d-(\d\d\.\d\d )?\d\d:\d\d, paid 2\.50 EUR\. "
        r"At the spot reply LOWER\. EXT 30 extends, LEAVE ends, STATUS shows it\.",
        booked,
    ), booked
    await stack.sms_out()
    assert [b for b in tw.to(PHONE) if f"#{second}" in b] == [booked]
    assert not any(b.startswith("Paid") for b in tw.to(PHONE))
    await stack.stripe_charged_off_session(250)
    assert len(e2e.stripe.sessions) == 1  # no second payment page


async def test_help_names_every_verb_and_a_mistyped_code_is_told(stack: Stack) -> None:
    tw = stack.twilio
    (help_text,) = (await tw.text(PHONE, "help")).messages
    for verb in ("PARK <code> <time>", "PAY", "LOWER", "EXT 30", "STATUS", "LEAVE", "STOP"):
        assert verb in help_text, verb
    assert "YES" not in help_text
    wrong = (
        "No car park has code 9999. Check the code on the sign at the entrance and text "
        "PARK <code> <time>, like PARK 1042 2H."
    )
    assert (await tw.text(PHONE, "PARK 9999 2H")).messages == [wrong]
    assert (await tw.text(PHONE, "PARK 9999")).messages == [wrong]  # the code first, then the time
    assert (await tw.text(PHONE, f"PARK {stack.code}")).messages == [
        f"How long? Text PARK {stack.code} 2H, or PARK {stack.code} 90 for minutes: 30 min to 24 h, "
        "in 15-min steps."
    ]
    (quote,) = (await tw.text(PHONE, f"park 2 hours #{stack.code}")).messages
    assert quote.startswith("Central Garage, spot A1 until ") and ": 5.00 EUR." in quote


async def test_pay_before_paying_the_link_sends_the_same_link_again(stack: Stack) -> None:
    e2e, tw = stack.e2e, stack.twilio
    (quote,) = (await tw.text(PHONE, f"PARK {stack.code} 2H")).messages
    link = "https://parking.example/p/" + quote.split("/p/")[1].split(" ")[0]
    assert (await tw.text(PHONE, "PAY")).messages == [
        f"Pay 5.00 EUR at {link} (your card is kept for next time)."
    ]
    assert len(e2e.stripe.sessions) == 1


async def test_a_telegram_driver_paying_by_sms_gets_the_confirmation_as_the_reply(stack: Stack) -> None:
    """A driver with a chat is confirmed in Telegram (with its buttons); the SMS they sent is
    answered with the same words, once: nothing more is texted."""
    e2e, tw = stack.e2e, stack.twilio
    e2e.tg.user(4343, "Iryna", language_code="en")
    async with e2e.db.transaction() as s:
        user = await make_user(s, telegram_id=4343, phone=PHONE, name="Iryna")
        await wallet.credit(s, user.id, 1000, "EUR", kind=WalletTxKind.ADJUSTMENT, reference="test",
                            now=e2e.clock.now())  # fmt: skip
        user_id = user.id
    await tw.text(PHONE, f"PARK {stack.code} 2H")
    (booked,) = (await tw.text(PHONE, "PAY")).messages
    async with e2e.db.read() as s:
        rid = await s.scalar(select(Reservation.id).where(Reservation.user_id == user_id))
        note = await s.scalar(
            select(Notification).where(Notification.kind == NotificationKind.BOOKING_CONFIRMED)
        )
    assert booked.startswith(f"Booked #{rid}: Central Garage, spot A1, ") and "paid 5.00 EUR" in booked
    assert note is not None and note.channel == Channel.TELEGRAM
    await e2e.app.dispatcher.run()
    await stack.sms_out()
    assert tw.to(PHONE) == []
