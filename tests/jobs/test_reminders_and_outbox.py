"""Sweeps with a controllable clock, through the real bot and Telegram sender against the
fake Bot API: reminders (with and without a following booking), extending from the reminder,
hold expiry, and the outbox dispatcher's promises (once, in time, within Telegram's limits)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from core.models import Notification, NotificationStatus, Premise, Reservation, ReservationStatus, User
from core.notifications import NotificationKind
from core.services import booking
from demo.botapi import FakeUser
from jobs import sweeps
from jobs.dispatcher import DispatchLimits, OutboxDispatcher
from tests.e2e.conftest import E2E, start_stack
from tests.waiting import eventually

MINUTE = timedelta(minutes=1)


@pytest.fixture
async def stack(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[E2E]:
    async for e2e in start_stack(tmp_path, sqlite_template):
        yield e2e


async def _driver(stack: E2E, telegram_id: int) -> tuple[FakeUser, int]:
    user = stack.tg.user(telegram_id, f"Driver{telegram_id}")
    await user.send_command("/start")
    await user.wait_for_message(lambda m: "What would you like to do?" in m.text)
    async with stack.db.read() as s:
        user_id = await s.scalar(select(User.id).where(User.telegram_id == telegram_id))
    assert user_id is not None
    return user, user_id


async def _confirmed(stack: E2E, user_id: int, start: datetime, minutes: int = 120) -> Reservation:
    async with stack.db.transaction() as s:
        r = await booking.hold(
            s,
            user_id=user_id,
            premise_id=stack.premise_id,
            starts_at=start,
            minutes=minutes,
            now=stack.clock.now(),
            hold_minutes=10,
        )
        await booking.confirm(s, r.id, stack.clock.now())
        return r


async def _sweep_reminders(stack: E2E) -> int:
    count = await sweeps.send_reminders(stack.db, stack.clock, reminder_minutes=30)
    await stack.app.dispatcher.run()
    return count


async def _single_spot(stack: E2E) -> None:
    """The stack's premise has two spots; these tests want the spot to be contested."""
    from core.models import Spot

    async with stack.db.transaction() as s:
        spots = list(
            await s.scalars(select(Spot).where(Spot.premise_id == stack.premise_id).order_by(Spot.id))
        )
        spots[-1].is_active = False


async def test_reminder_is_sent_once_at_the_right_minute_with_priced_extend_buttons(stack: E2E) -> None:
    user, user_id = await _driver(stack, 3001)
    start = stack.clock.now().replace(second=0, microsecond=0)
    r = await _confirmed(stack, user_id, start)
    stack.clock.set(r.ends_at - 31 * MINUTE)
    assert await _sweep_reminders(stack) == 0
    stack.clock.set(r.ends_at - 30 * MINUTE)
    assert await _sweep_reminders(stack) == 1
    reminder = await user.wait_for_message(lambda m: "ends at" in m.text)
    assert [text for text, _ in reminder.buttons()] == [
        "➕ 30 min · 1.25 EUR",
        "➕ 1 h · 2.50 EUR",
        "➕ 2 h · 5.00 EUR",
    ]
    stack.clock.advance(5 * MINUTE)
    assert await _sweep_reminders(stack) == 0
    assert len([m for m in user.messages if "ends at" in m.text]) == 1


async def test_a_short_stay_is_reminded_half_way_never_at_its_start(stack: E2E) -> None:
    user, user_id = await _driver(stack, 3010)
    start = stack.clock.now().replace(second=0, microsecond=0)
    r = await _confirmed(stack, user_id, start, minutes=30)  # ends within REMINDER_MINUTES already
    assert await _sweep_reminders(stack) == 0  # at booking time: nothing
    stack.clock.set(start + 14 * MINUTE)
    assert await _sweep_reminders(stack) == 0
    stack.clock.set(start + 15 * MINUTE)  # half of the stay: 15 minutes left
    assert await _sweep_reminders(stack) == 1
    await user.wait_for_message(lambda m: "ends at" in m.text)

    # 45 minutes booked ahead: reminded half-way too, never before its start.
    _, other_id = await _driver(stack, 3011)
    later = r.ends_at + 60 * MINUTE
    ahead = await _confirmed(stack, other_id, later, minutes=45)
    stack.clock.set(later - 5 * MINUTE)
    assert await _sweep_reminders(stack) == 0
    stack.clock.set(later + 22 * MINUTE)
    assert await _sweep_reminders(stack) == 0
    stack.clock.set(later + 23 * MINUTE)
    assert await _sweep_reminders(stack) == 1
    async with stack.db.read() as s:
        reminded = await s.get(Reservation, ahead.id)
        assert reminded is not None and reminded.reminded_at == later + 23 * MINUTE


async def test_reminder_offers_no_extension_past_closing_time(stack: E2E) -> None:
    user, user_id = await _driver(stack, 3012)
    start = stack.clock.now().replace(second=0, microsecond=0)
    tz = ZoneInfo("Europe/Kyiv")
    # Open from an hour before the start until an hour after the booking's end.
    opens, closes = (start - 60 * MINUTE).astimezone(tz), (start + 180 * MINUTE).astimezone(tz)
    async with stack.db.transaction() as s:
        premise = await s.get(Premise, stack.premise_id)
        assert premise is not None
        premise.opening_hours = f"{opens:%H:%M}–{closes:%H:%M}"
    r = await _confirmed(stack, user_id, start)
    stack.clock.set(r.ends_at - 30 * MINUTE)
    assert await _sweep_reminders(stack) == 1
    reminder = await user.wait_for_message(lambda m: "ends at" in m.text)
    assert [text for text, _ in reminder.buttons()] == ["➕ 30 min · 1.25 EUR", "➕ 1 h · 2.50 EUR"]


async def test_reminder_without_extension_when_someone_booked_next(stack: E2E) -> None:
    await _single_spot(stack)
    user, user_id = await _driver(stack, 3002)
    _, other_id = await _driver(stack, 3003)
    start = stack.clock.now().replace(second=0, microsecond=0)
    r = await _confirmed(stack, user_id, start)
    await _confirmed(stack, other_id, r.ends_at, 60)  # right after
    stack.clock.set(r.ends_at - 30 * MINUTE)
    assert await _sweep_reminders(stack) == 1
    reminder = await user.wait_for_message(lambda m: "ends at" in m.text)
    assert reminder.buttons() == []
    local_end = r.ends_at.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Kyiv")).strftime("%H:%M")
    assert f"booked by someone else from {local_end}" in reminder.text


async def test_extend_from_the_reminder_pays_from_the_wallet_once_and_rearms_the_reminder(stack: E2E) -> None:
    user, user_id = await _driver(stack, 3004)
    await stack.fund(3004, 1000)
    start = stack.clock.now().replace(second=0, microsecond=0)
    r = await _confirmed(stack, user_id, start)
    stack.clock.set(r.ends_at - 30 * MINUTE)
    await _sweep_reminders(stack)
    reminder = await user.wait_for_message(lambda m: "ends at" in m.text)
    one_hour = next(d for text, d in reminder.buttons() if text.startswith("➕ 1 h") and d)
    await user.tap(reminder, one_hour)
    # The reminder itself now says what was done, in the past tense, with nothing left to tap.
    done = await user.wait_for_message(lambda m: m.message_id == reminder.message_id and not m.buttons())
    local_end = (r.ends_at + timedelta(hours=1)).astimezone(__import__("zoneinfo").ZoneInfo("Europe/Kyiv"))
    assert f"extended to {local_end:%H:%M} · 2.50 EUR paid from your wallet." in done.text
    async with stack.db.read() as s:
        extended = await s.get(Reservation, r.id)
        assert extended is not None and extended.ends_at == r.ends_at + timedelta(hours=1)
        assert extended.reminded_at is None
    await user.tap_raw(reminder.message_id, one_hour)  # the same button again, e.g. a double tap
    await eventually(
        lambda: any("out of date" in (a.text or "") for a in user.callback_answers), what="out of date"
    )
    async with stack.db.read() as s:
        again = await s.get(Reservation, r.id)
        assert again is not None and again.ends_at == r.ends_at + timedelta(hours=1)
    stack.clock.set(r.ends_at + 30 * MINUTE)  # 30 min before the new end
    assert await _sweep_reminders(stack) == 1
    await stack.app.dispatcher.run()
    await user.wait_for_message(lambda m: "Extended:" in m.text)


async def test_extending_with_a_short_wallet_offers_a_top_up_then_the_wallet_pays(stack: E2E) -> None:
    user, user_id = await _driver(stack, 3009)
    await stack.fund(3009, 100)
    start = stack.clock.now().replace(second=0, microsecond=0)
    r = await _confirmed(stack, user_id, start)
    stack.clock.set(r.ends_at - 30 * MINUTE)
    await _sweep_reminders(stack)
    reminder = await user.wait_for_message(lambda m: "ends at" in m.text)
    one_hour = next(d for text, d in reminder.buttons() if text.startswith("➕ 1 h") and d)
    await user.tap(reminder, one_hour)
    # The reminder itself becomes the extension's payment: no second "Extend" to tap.
    offer = await user.wait_for_message(lambda m: m.message_id == reminder.message_id and "costs" in m.text)
    local_end = (r.ends_at + timedelta(hours=1)).astimezone(ZoneInfo("Europe/Kyiv"))
    assert offer.text == (
        f"Extending Central Garage, spot A1, until {local_end:%H:%M} costs 2.50 EUR. "
        "Your wallet has 1.00 EUR, not enough. How do you want to pay?"
    )
    assert [text for text, _ in offer.buttons()] == [
        "➕ Top up 5.00 EUR",
        "👛 Pay from my wallet",
        "🔗 Pay by card (secure Stripe page)",
    ]
    buttons = dict(offer.buttons())
    await user.tap(offer, buttons["👛 Pay from my wallet"] or "")
    await eventually(
        lambda: any("the extension costs 2.50 EUR" in (a.text or "") for a in user.callback_answers),
        what="wallet short",
    )
    await user.tap(offer, buttons["➕ Top up 5.00 EUR"] or "")
    topup = await user.wait_for_message(lambda m: m.text.startswith("Top up 5.00 EUR"))
    assert [text for text, _ in topup.buttons()] == ["💳 Open the secure page"]
    await stack.fund(3009, 500)  # the top-up arrived
    await user.tap(offer, buttons["👛 Pay from my wallet"] or "")
    paid = await user.wait_for_message(lambda m: m.message_id == reminder.message_id and not m.buttons())
    assert paid.text == "✅ 2.50 EUR paid from your wallet. The extension is confirmed in the next message."
    async with stack.db.read() as s:
        extended = await s.get(Reservation, r.id)
        assert extended is not None and extended.ends_at == r.ends_at + timedelta(hours=1)
    await stack.app.dispatcher.run()
    notice = await user.wait_for_message(lambda m: "Extended:" in m.text)
    assert notice.text.endswith("Paid: 2.50 EUR.")


async def test_extending_while_someone_books_the_same_time_lets_exactly_one_win(stack: E2E) -> None:
    await _single_spot(stack)
    _, user_id = await _driver(stack, 3005)
    _, other_id = await _driver(stack, 3006)
    await stack.fund(3005, 1000)
    start = stack.clock.now().replace(second=0, microsecond=0)
    r = await _confirmed(stack, user_id, start)
    from core.services import payments as pay_rules

    async def extend() -> bool:
        try:
            async with stack.db.transaction() as s:
                ext = await booking.request_extension(
                    s, r.id, user_id=user_id, minutes=60, now=stack.clock.now()
                )
                await pay_rules.pay_extension_with_wallet(
                    s, extension_id=ext.id, user_id=user_id, now=stack.clock.now()
                )
        except Exception:
            return False
        return True

    async def book() -> bool:
        try:
            await _confirmed(stack, other_id, r.ends_at, 60)
        except Exception:
            return False
        return True

    results = await asyncio.gather(extend(), book())
    assert sorted(results) == [False, True]


async def test_hold_expiry_frees_the_spot_closes_the_payment_page_and_tells_the_driver(stack: E2E) -> None:
    user, user_id = await _driver(stack, 3007)
    async with stack.db.transaction() as s:
        r = await booking.hold(
            s,
            user_id=user_id,
            premise_id=stack.premise_id,
            starts_at=stack.clock.now() + timedelta(hours=1),
            minutes=60,
            now=stack.clock.now(),
            hold_minutes=10,
        )
    assert stack.app.payments is not None
    link = await stack.app.payments.booking_checkout(r.id, user_id)
    stack.clock.advance(10 * MINUTE)
    assert await sweeps.expire_holds(stack.db, stack.clock, stack.app.payments) == 1
    assert stack.stripe.sessions[link.session_id]["status"] == "expired"
    await stack.app.dispatcher.run()
    await user.wait_for_message(lambda m: "was released" in m.text)


async def test_two_minutes_before_a_hold_lapses_the_driver_is_warned_once_and_pay_now_opens_the_payment(
    stack: E2E,
) -> None:
    user, user_id = await _driver(stack, 3008)
    async with stack.db.transaction() as s:
        await booking.hold(
            s,
            user_id=user_id,
            premise_id=stack.premise_id,
            starts_at=stack.clock.now() + timedelta(hours=1),
            minutes=60,
            now=stack.clock.now(),
            hold_minutes=10,
        )
    stack.clock.advance(7 * MINUTE)  # three minutes left: too early
    assert await sweeps.warn_expiring_holds(stack.db, stack.clock) == 0
    stack.clock.advance(MINUTE + 30 * timedelta(seconds=1))  # 90 seconds left
    assert await sweeps.warn_expiring_holds(stack.db, stack.clock) == 1
    stack.clock.advance(30 * timedelta(seconds=1))  # the next sweep: no second warning
    assert await sweeps.warn_expiring_holds(stack.db, stack.clock) == 0
    await stack.app.dispatcher.run()
    warning = await user.wait_for_message(lambda m: "left to pay" in m.text)
    assert warning.text.startswith("⏳ 2 minutes left to pay for spot A1 at ")
    assert "the hold ends and the spot is released" in warning.text
    assert [text for text, _ in warning.buttons()] == ["💳 Pay now"]
    async with stack.db.read() as s:
        kinds = list(await s.scalars(select(Notification.kind).where(Notification.user_id == user_id)))
    assert kinds.count(NotificationKind.HOLD_EXPIRING) == 1
    # "Pay now" opens the payment screen of that booking.
    pay_now = warning.buttons()[0][1]
    assert pay_now is not None
    await user.tap(warning, pay_now)
    screen = await user.wait_for_message(lambda m: "is held for you" in m.text)
    assert "Pay within 1 min" in screen.text
    stack.clock.advance(MINUTE)
    assert await sweeps.expire_holds(stack.db, stack.clock, stack.app.payments) == 1
    assert await sweeps.warn_expiring_holds(stack.db, stack.clock) == 0  # lapsed: nothing to warn of


async def _queue(
    stack: E2E, user_ids: list[int], kind: NotificationKind = NotificationKind.CARD_SAVED
) -> None:
    from core.services import outbox

    async with stack.db.transaction() as s:
        for uid in user_ids:
            await outbox.notify(
                s, uid, kind, {"brand": "visa", "last4": f"{uid % 10000:04d}"}, now=stack.clock.now()
            )


async def test_a_crash_between_claim_and_send_loses_nothing_and_doubles_nothing(stack: E2E) -> None:
    user, user_id = await _driver(stack, 3008)
    await _queue(stack, [user_id])
    crashed = OutboxDispatcher(stack.db, stack.app.dispatcher.senders, stack.clock)
    assert len((await crashed.claim()).notes) == 1  # ...and the process dies here
    assert await stack.app.dispatcher.run() == 0  # leased: nobody else sends it yet
    stack.clock.advance(DispatchLimits().lease + MINUTE)
    assert await stack.app.dispatcher.run() == 1
    assert await stack.app.dispatcher.run() == 0
    assert len([m for m in user.messages if "is saved for one-tap payments" in m.text]) == 1


async def test_429_is_honoured_and_the_message_is_sent_once_later(stack: E2E) -> None:
    user, user_id = await _driver(stack, 3009)
    await _queue(stack, [user_id])
    stack.tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    await stack.app.dispatcher.run()

    async def the_note() -> Notification | None:
        async with stack.db.read() as s:
            note: Notification | None = await s.scalar(
                select(Notification).where(Notification.user_id == user_id)
            )
            return note

    async def pending_again() -> bool:
        note = await the_note()
        return note is not None and note.status == NotificationStatus.PENDING

    # On a loaded machine the service's own scheduled drain may have claimed it first, and be
    # the one Telegram answers 429: either way it ends pending again, due after the pause.
    await eventually(pending_again, what="the message pending again after the 429")
    note = await the_note()
    assert note is not None and note.attempts == 1
    assert note.due_at >= stack.clock.now() + timedelta(seconds=3)
    stack.clock.advance(timedelta(seconds=3))
    await stack.app.dispatcher.run()

    # On a slow machine the scheduled drain (every 15 real seconds) may be the run that takes it
    # and is still waiting out Telegram's 3 s pause: the message arrives, once, either way.
    def saved() -> int:
        return len([m for m in user.messages if "is saved for one-tap payments" in m.text])

    await eventually(lambda: saved() >= 1, within=10, what="the message after the 429")
    await stack.app.dispatcher.run()
    assert saved() == 1


async def test_a_driver_who_blocked_the_bot_is_marked_failed_and_not_retried(stack: E2E) -> None:
    user, user_id = await _driver(stack, 3010)
    user.blocked = True
    await _queue(stack, [user_id])
    await stack.app.dispatcher.run()
    stack.clock.advance(timedelta(hours=1))
    await stack.app.dispatcher.run()
    async with stack.db.read() as s:
        note = await s.scalar(select(Notification).where(Notification.user_id == user_id))
    assert note is not None and note.status == NotificationStatus.FAILED and note.attempts == 1
    assert "blocked" in (note.last_error or "")


async def test_notifications_to_one_chat_are_a_second_apart(stack: E2E) -> None:
    user, user_id = await _driver(stack, 3011)
    await _queue(stack, [user_id, user_id, user_id])
    # The running service drains the outbox; note when each message reaches the chat. Only a
    # lower bound on the gaps is asserted: a slow machine can make them longer, never shorter.
    loop = asyncio.get_running_loop()
    seen: list[float] = []
    deadline = loop.time() + 15
    while len(seen) < 3 and loop.time() < deadline:
        count = len([m for m in user.messages if "is saved" in m.text])
        seen.extend([loop.time()] * (count - len(seen)))
        await asyncio.sleep(0.01)
    assert len(seen) == 3
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(seen)), seen  # 1 a second


async def test_completion_sweep_sends_the_receipt(stack: E2E) -> None:
    """The stack's spots have no blocker: the driver just parks and may never tap anything, so a
    booking nobody marked arrived is a stay that happened (a no-show needs a blocker to see it:
    tests/e2e/test_service_process.py), and its receipt asks for a review."""
    user, user_id = await _driver(stack, 3012)
    r = await _confirmed(stack, user_id, stack.clock.now().replace(second=0, microsecond=0), 60)
    stack.clock.set(r.ends_at)
    assert await sweeps.complete_ended(stack.db, stack.clock) == 1
    await stack.app.dispatcher.run()
    receipt = await user.wait_for_message(lambda m: f"Booking #{r.id} at" in m.text)
    assert "has ended" in receipt.text and "without arrival" not in receipt.text
    assert receipt.text.endswith("How was it? Rate the car park with the stars below.")
    assert [label for label, _ in receipt.buttons()] == ["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]
    async with stack.db.read() as s:
        done = await s.get(Reservation, r.id)
        assert done is not None and done.status == ReservationStatus.COMPLETED and not done.no_show
        assert (
            await s.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.status == NotificationStatus.PENDING)
            )
            == 0
        )
