"""What a user can do besides the happy path: pay by link while the screen is open, forge a
button, flood the bot, tap a button from before a restart, type nonsense, speak Ukrainian;
and the webhook mode."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio
from sqlalchemy import select

from bot.callbacks import BookingAction
from core.models import Reservation, ReservationStatus, User
from core.services import booking
from demo.botapi import BotMessage, FakeUser
from tests.e2e.conftest import E2E, LAT, LON, start_stack, tap
from tests.waiting import eventually


async def _hold_via_bot(e2e: E2E, telegram_id: int, lang: str = "en") -> tuple[FakeUser, BotMessage]:
    user = e2e.tg.user(telegram_id, "Taras", language_code=lang)
    await user.send_command("/start")
    menu = await user.wait_for_message(lambda m: bool(m.buttons()))
    await user.tap(menu, menu.buttons()[0][1] or "")
    await user.wait_for_message(lambda m: bool(m.reply_buttons()))
    await user.tap_reply_button(
        "📍 Send my location" if lang == "en" else "📍 Надіслати геолокацію", location=(LAT, LON)
    )
    results = await user.wait_for_message(lambda m: "Central Garage" in str(m.buttons()))
    card = await tap(user, results, "*Central Garage", lambda m: "Central Garage" in m.text)
    # The card offers the durations with their totals; the second is 2 h.
    quote = await tap(user, card, card.buttons()[1][0], lambda m: "⏱" in m.text and "5.00 EUR" in m.text)
    hold = await tap(user, quote, "✅", lambda m: "⏳" in m.text)
    return user, hold


async def test_checkout_link_paid_while_the_screen_is_open_says_it_is_paid(e2e: E2E) -> None:
    user, hold = await _hold_via_bot(e2e, 2001)
    link_screen = await tap(user, hold, "🔗 Pay by card", lambda m: "secure payment page" in m.text)
    url = next(data for text, data in link_screen.buttons() if text.startswith("💳 Pay 5.00 EUR") and data)
    session_id = url.rsplit("/", 1)[-1]
    await e2e.stripe.complete_checkout(session_id)  # the driver pays; Stripe calls our webhook
    assert e2e.stripe.webhook_responses[-1][1] == 200
    confirmed = await user.wait_for_message(lambda m: "Payment received for booking" in m.text)
    assert confirmed.message_id == link_screen.message_id  # the open screen itself changed
    async with e2e.db.read() as s:
        (status,) = (await s.scalars(select(Reservation.status))).all()
    assert status == ReservationStatus.CONFIRMED


async def test_a_forged_button_for_someone_elses_booking_is_refused(e2e: E2E) -> None:
    await _hold_via_bot(e2e, 2002)
    async with e2e.db.read() as s:
        reservation_id = await s.scalar(select(Reservation.id))
    assert reservation_id is not None
    stranger = e2e.tg.user(2003, "Mallory")
    await stranger.send_command("/start")
    menu = await stranger.wait_for_message(lambda m: bool(m.buttons()))
    for action in ("cancel", "navigate", "open"):
        forged = BookingAction(action=action, reservation_id=reservation_id).pack()
        await stranger.tap_raw(menu.message_id, forged)
    await eventually(lambda: len(stranger.callback_answers) == 3, what="three answers")
    answers = [a.text for a in stranger.callback_answers if a.text]
    assert answers == ["There is no such booking among yours."] * 3
    async with e2e.db.read() as s:
        r = await s.get(Reservation, reservation_id)
        assert r is not None and r.status == ReservationStatus.PENDING_PAYMENT
    assert not any(c[0] == "sendVenue" for c in e2e.tg.calls)


@pytest.fixture
async def human_paced(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[E2E]:
    async for stack in start_stack(tmp_path, sqlite_template, human_pace=True):
        yield stack


@pytest.mark.slow
async def test_a_flood_of_100_messages_is_throttled_and_the_bot_stays_responsive(human_paced: E2E) -> None:
    flooder = human_paced.tg.user(2004, "Spam")
    for i in range(100):
        await flooder.send_text(f"spam {i}")
    # The flood guard's clock stands still (human_paced), so exactly the burst is served.
    await flooder.wait_for_message(lambda m: "Too many messages" in m.text)

    def sent(text: str) -> int:
        """Messages the bot sent the flooder with `text` (each answer replaces the screen
        before it, so the chat itself keeps only the last)."""
        return sum(
            1
            for name, params in human_paced.tg.calls
            if name == "sendMessage"
            and params.get("chat_id") == flooder.id
            and text in params.get("text", "")
        )

    for _ in range(100):  # up to 5 s for the burst's replies
        if sent("did not get that") >= 15:
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # nothing more may come
    assert sent("did not get that") == 15
    assert sent("Too many messages") == 1
    # One answer per message served: the screen with the explanation on top, nothing else.
    assert (
        sum(
            name == "sendMessage" and params.get("chat_id") == flooder.id
            for name, params in human_paced.tg.calls
        )
        == 16
    )
    other = human_paced.tg.user(2005, "Calm")
    await other.send_command("/start")  # someone else is served at once
    await other.wait_for_message(lambda m: "What would you like to do?" in m.text, timeout=3)


async def test_unknown_text_gets_one_answer_the_menu_with_an_explanation(e2e: E2E) -> None:
    user = e2e.tg.user(2006, "Olha")
    await user.send_text("hello?")
    menu = await user.wait_for_message(lambda m: "What would you like to do?" in m.text)
    assert menu.text.startswith("I did not get that.")
    await user.send_text("and now?")  # on the menu: the menu moves below, the old copy goes
    again = await user.wait_for_message(lambda m: m.message_id != menu.message_id and "I did not" in m.text)
    assert [m.message_id for m in user.messages] == [again.message_id]


async def test_ukrainian_user_is_answered_in_ukrainian_and_can_switch_language(e2e: E2E) -> None:
    user = e2e.tg.user(2007, "Оксана", language_code="uk")
    await user.send_command("/start")
    menu = await user.wait_for_message(lambda m: "Що бажаєте зробити?" in m.text)
    languages = await tap(user, menu, "🌐 Мова", lambda m: "Оберіть мову" in m.text)
    english_menu = await tap(user, languages, "English", lambda m: "What would you like to do?" in m.text)
    assert any(text == "🅿️ Find parking" for text, _ in english_menu.buttons())
    async with e2e.db.read() as s:
        assert await s.scalar(select(User.language).where(User.telegram_id == 2007)) == "en"


async def test_phone_number_is_saved_from_the_contact_button(e2e: E2E) -> None:
    user = e2e.tg.user(2008, "Ivan")
    await user.send_command("/start")
    await user.wait_for_message(lambda m: "Share your phone number" in m.text)
    await user.tap_reply_button("📱 Share my phone number", phone="+380501234567")
    await user.wait_for_message(lambda m: "+380501234567" in m.text)
    async with e2e.db.read() as s:
        assert await s.scalar(select(User.phone).where(User.telegram_id == 2008)) == "+380501234567"


async def test_a_contact_that_is_not_a_phone_number_or_is_taken_is_refused_clearly(e2e: E2E) -> None:
    user = e2e.tg.user(2010, "Petro")
    await user.send_command("/start")
    await user.wait_for_message(lambda m: "Share your phone number" in m.text)
    for junk in ("abc", "1" * 40):
        await user.send_contact(junk)
        refused = await user.wait_for_message(lambda m: "does not look like a phone number" in m.text)
        assert refused.text == (
            "That does not look like a phone number. Please share your own contact with the button below."
        )
    await user.send_contact("380 50 123 4567")
    await user.wait_for_message(lambda m: m.text == "Thanks, your number +380501234567 is saved.")

    other = e2e.tg.user(2011, "Pavlo")
    await other.send_command("/start")
    await other.wait_for_message(lambda m: "Share your phone number" in m.text)
    await other.send_contact("+380501234567")
    taken = await other.wait_for_message(lambda m: "already" in m.text)
    assert taken.text == "This number is already linked to another account."
    assert not any("Something went wrong" in m.text for m in user.messages + other.messages)
    async with e2e.db.read() as s:
        phones = dict((await s.execute(select(User.telegram_id, User.phone))).tuples().all())
    assert (phones[2010], phones[2011]) == ("+380501234567", None)


async def test_a_stale_button_after_a_restart_leads_back_to_the_menu(
    tmp_path: Path, sqlite_template: Path
) -> None:
    # First process: the driver opens the wallet; then the service restarts (memory storage
    # loses the dialog) and the driver taps a button of the old message.
    stack = start_stack(tmp_path, sqlite_template)
    first = await stack.__anext__()
    user = first.tg.user(2009, "Petro")
    await user.send_command("/wallet")
    old_screen = await user.wait_for_message(lambda m: "Balance:" in m.text)
    await first.app.stop()
    from service import App

    restarted = App(first.app.settings, clock=first.clock)
    await restarted.start()
    try:
        await user.tap(old_screen, next(d for text, d in old_screen.buttons() if "History" in text and d))
        await user.wait_for_message(lambda m: "What would you like to do?" in m.text)
        assert any("out of date" in (a.text or "") for a in user.callback_answers)
        assert user.unanswered_callbacks() == []
    finally:
        await restarted.stop()
        first.app = restarted  # the fixture's own stop() must not stop it twice
        with pytest.raises(StopAsyncIteration):
            await stack.__anext__()


async def test_webhook_mode_checks_the_secret_and_serves_the_driver(
    tmp_path: Path, sqlite_template: Path
) -> None:
    async for e2e in start_stack(tmp_path, sqlite_template, mode="webhook"):
        assert e2e.tg.webhook_url == f"{e2e.app.settings.public_url}/telegram/webhook"
        user = e2e.tg.user(2010, "Web")
        await user.send_command("/start")
        await user.wait_for_message(lambda m: "What would you like to do?" in m.text)
        async with aiohttp.ClientSession() as http:
            forged = await http.post(
                e2e.tg.webhook_url or "",
                json={"update_id": 1},
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            )
            assert forged.status == 401


async def test_an_unpaid_hold_shows_it_expired(e2e: E2E) -> None:
    user, hold = await _hold_via_bot(e2e, 2011)
    e2e.clock.advance(timedelta(minutes=11))
    async with e2e.db.transaction() as s:
        await booking.expire_holds(s, e2e.clock.now())
    await user.tap(hold, next(d for text, d in hold.buttons() if text.startswith("🔗") and d))
    expired = await user.wait_for_message(lambda m: "ran out" in m.text)
    assert [text for text, _ in expired.buttons()] == ["🔁 Book again", "🏠 Menu"]
    assert any("hold ran out" in (a.text or "") for a in user.callback_answers)


async def test_dialogs_work_on_redis_storage(tmp_path: Path, sqlite_template: Path) -> None:
    """REDIS_URL: the dialog state lives in Redis (as several processes need), so a restarted
    process carries on the dialog where the previous one left it."""
    from tests.services import tcp_open, unavailable

    if not tcp_open("redis://127.0.0.1:6379", 6379):
        unavailable("Redis is not reachable at 127.0.0.1:6379")
    stack = start_stack(tmp_path, sqlite_template, redis_url="redis://127.0.0.1:6379/15")
    first = await stack.__anext__()
    # The Redis server is shared (other runs, other checkouts): a user id of this run's own, so
    # no one else's dialog state is ever read, and ours is removed afterwards.
    user_id = 3_000_000 + secrets.randbelow(1_000_000_000)
    user = first.tg.user(user_id, "Redis")
    await user.send_command("/wallet")
    wallet_screen = await user.wait_for_message(lambda m: "Balance:" in m.text)
    await first.app.stop()
    from service import App

    restarted = App(first.app.settings, clock=first.clock)
    await restarted.start()
    try:
        history = next(d for text, d in wallet_screen.buttons() if "History" in text and d)
        await user.tap(wallet_screen, history)  # a button of the previous process's dialog
        await user.wait_for_message(lambda m: "Wallet history" in m.text)
    finally:
        await restarted.stop()
        first.app = restarted
        with pytest.raises(StopAsyncIteration):
            await stack.__anext__()
        client = redis.asyncio.Redis.from_url("redis://127.0.0.1:6379/15")
        try:
            keys = [key async for key in client.scan_iter(f"*:{user_id}:*")]
            if keys:
                await client.delete(*keys)
        finally:
            await client.aclose()
