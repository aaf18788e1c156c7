"""After the stay, through the running service and the Bot API fake: the completion message asks
"How was it?", the stars and the text are stored awaiting moderation, and once approved the
car park's card shows the review and its average; "📅 Add to calendar" sends an .ics file that
parses back; "🔁 Book again" leads to the quote at the next free start."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlalchemy import select, update

from core.models import Reservation, Review, ReviewStatus, User
from core.services import booking
from demo.botapi import BotMessage, FakeUser
from jobs import sweeps
from tests.e2e.conftest import E2E, LAT, LON, tap
from tests.e2e.test_edges import _hold_via_bot
from tests.factories import make_user
from tests.waiting import eventually


async def _paid_stay(e2e: E2E, telegram_id: int) -> tuple[FakeUser, int]:
    """A 2-hour stay from now, held and paid from the wallet in the chat: the driver and its id."""
    user, hold = await _hold_via_bot(e2e, telegram_id)
    await e2e.fund(telegram_id, 1000)
    await user.send_text("ok")  # the payment screen again, with the balance
    hold = await user.wait_for_message(lambda m: "👛 Wallet (10.00 EUR)" in str(m.buttons()))
    await tap(user, hold, "👛 Wallet", lambda m: "Payment received for booking" in m.text)
    await e2e.app.dispatcher.run()
    await user.wait_for_message(lambda m: "booking confirmed" in m.text)
    async with e2e.db.read() as s:
        reservation_id = await s.scalar(select(Reservation.id).order_by(Reservation.id.desc()).limit(1))
    assert reservation_id is not None
    return user, reservation_id


async def _card(e2e: E2E, user: FakeUser) -> BotMessage:
    await user.send_command("/find")
    await user.wait_for_message(lambda m: bool(m.reply_buttons()) or "same place" in m.text)
    await user.send_location(LAT, LON)
    results = await user.wait_for_message(lambda m: "Central Garage" in str(m.buttons()))
    return await tap(user, results, "*Central Garage", lambda m: "How long will you park?" in m.text)


async def test_a_completed_stay_is_reviewed_moderated_and_shown_on_the_card(e2e: E2E) -> None:
    user, reservation_id = await _paid_stay(e2e, 4001)
    async with e2e.db.transaction() as s:  # the blocker went down for the driver (no MQTT here)
        await booking.mark_arrived(s, reservation_id, user_id=await _user_id(e2e, 4001), now=e2e.clock.now())
    e2e.clock.advance(timedelta(hours=2, minutes=1))
    assert await sweeps.complete_ended(e2e.db, e2e.clock) == 1
    await e2e.app.dispatcher.run()
    ended = await user.wait_for_message(lambda m: "has ended" in m.text)
    assert ended.text.endswith("How was it? Rate the car park with the stars below.")
    assert [t for t, _ in ended.buttons()] == ["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]

    # A forged star for this booking from another driver changes nothing.
    stranger = e2e.tg.user(4002, "Petro")
    await stranger.send_command("/start")
    await stranger.wait_for_message(lambda m: "What would you like to do?" in m.text)
    await stranger.tap_raw(ended.message_id, next(d for t, d in ended.buttons() if t == "5 ⭐") or "")
    await eventually(lambda: bool(stranger.callback_answers))
    assert stranger.callback_answers[-1].text == "There is no such booking among yours."

    ask = await tap(user, ended, "4 ⭐", lambda m: "Add a few words" in m.text)
    assert ask.text == (
        "⭐⭐⭐⭐ Thank you! Add a few words for other drivers (up to 500 characters), or skip."
    )
    assert [t for t, _ in ask.buttons()] == ["Skip"]
    await user.send_text("Easy to find & <friendly> guard")
    thanks = await user.wait_for_message(lambda m: "Your review of" in m.text)
    assert thanks.text == (
        "✅ Thank you! Your review of Central Garage: ⭐⭐⭐⭐ “Easy to find & <friendly> guard”\n"
        "⏳ awaiting moderation\n"
        "Reviews appear on the car park's card once our team has checked them."
    )
    async with e2e.db.read() as s:
        (review,) = (await s.scalars(select(Review))).all()
    assert (review.reservation_id, review.rating, review.text, review.is_approved) == (
        reservation_id,
        4,
        "Easy to find & <friendly> guard",
        False,
    )
    card = await _card(e2e, user)
    assert "⭐ no reviews yet" in card.text and "friendly" not in card.text  # not moderated yet

    # Approved (the operator console's moderation queue is another screen): on the card now.
    async with e2e.db.transaction() as s:
        await s.execute(update(Review).values(is_approved=True, status=ReviewStatus.APPROVED))
    card = await _card(e2e, user)
    assert "⭐ 4.0 (1 review)" in card.text
    assert "“Easy to find & <friendly> guard” — ⭐⭐⭐⭐" in card.text

    # The driver's own reviews, with their status.
    await user.send_command("/bookings")
    listing = await user.wait_for_message(lambda m: "Your bookings" in m.text)
    past = await tap(user, listing, "Past", lambda m: "📝 My reviews" in str(m.buttons()))
    mine = await tap(user, past, "📝 My reviews", lambda m: "Your reviews" in m.text)
    assert "⭐⭐⭐⭐ “Easy to find & <friendly> guard”\n✅ published" in mine.text
    assert any(t.startswith("✏️ Central Garage") for t, _ in mine.buttons())
    await eventually(lambda: user.unanswered_callbacks() == [])


async def _user_id(e2e: E2E, telegram_id: int) -> int:
    async with e2e.db.read() as s:
        found = await s.scalar(select(User.id).where(User.telegram_id == telegram_id))
    assert found is not None
    return found


async def test_add_to_calendar_sends_an_ics_file_of_the_booking(e2e: E2E) -> None:
    user, reservation_id = await _paid_stay(e2e, 4011)
    await user.send_command("/bookings")
    listing = await user.wait_for_message(lambda m: "Your bookings" in m.text)
    detail = await tap(user, listing, "*Central Garage", lambda m: "Booking #" in m.text)
    await tap(user, detail, "📅 Add to calendar", lambda m: "document" in m.raw)
    sent = next(m for m in user.messages if "document" in m.raw)
    assert sent.text.startswith(f"📅 Booking #{reservation_id}: open the file")
    assert sent.raw["document"]["file_name"] == f"parking-{reservation_id}.ics"
    (event,) = Calendar.from_ical(e2e.tg.files[sent.raw["document"]["file_id"]].content).walk("VEVENT")
    async with e2e.db.read() as s:
        r = await s.get(Reservation, reservation_id)
    assert r is not None
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (r.starts_at, r.ends_at)
    assert str(event["UID"]) == f"booking-{reservation_id}@parking.example"
    assert str(event["SUMMARY"]) == "🅿️ Central Garage, spot A1"
    # The booking's screen stays the last message, below the file.
    await eventually(lambda: "Booking #" in user.messages[-1].text)


async def test_book_again_from_the_menu_quotes_the_next_free_start(e2e: E2E) -> None:
    user, _reservation_id = await _paid_stay(e2e, 4021)
    e2e.clock.advance(timedelta(hours=2, minutes=1))
    await sweeps.complete_ended(e2e.db, e2e.clock)
    await e2e.app.dispatcher.run()
    # Somebody else holds both spots for the next 2 hours.
    async with e2e.db.transaction() as s:
        someone = (await make_user(s, name="Petro")).id
        holds = [
            await booking.hold(
                s,
                user_id=someone,
                premise_id=e2e.premise_id,
                starts_at=e2e.clock.now(),
                minutes=120,
                now=e2e.clock.now(),
                hold_minutes=600,
            )
            for _ in range(2)
        ]
    other = holds[-1]
    await user.send_command("/start")
    menu = await user.wait_for_message(lambda m: "🔁 Book again: Central Garage" in str(m.buttons()))
    quote = await tap(user, menu, "🔁 Book again", lambda m: "Total:" in m.text)
    # The first free start is when those end (shown in the car park's time zone).
    # (A stay crossing midnight there names both days: "Sun 29 Nov 22:14–Mon 30 Nov 00:14".)
    local = other.ends_at.astimezone(ZoneInfo("Europe/Kyiv"))
    until = local + timedelta(hours=2)
    assert f"{local:%H:%M}–" in quote.text and f"{until:%H:%M}\n" in quote.text, quote.text
    assert "Total: 5.00 EUR" in quote.text
    assert next(t for t, _ in quote.buttons()) == "✅ Hold the spot (5.00 EUR)"
    hold = await tap(user, quote, "✅ Hold the spot", lambda m: "is held for you" in m.text)
    assert "Central Garage" in hold.text
