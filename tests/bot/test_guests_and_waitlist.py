"""Guest passes and waitlist offers in the chat (issue 16): the guest's screen after the link
(the place and times, none of the owner's data), Lower through the owner's rules, the same
answer for a forged link as for a revoked one, the guest's own /bookings empty, and "Hold it"
under an offer opening the usual payment screen."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import select

from bot.context import Services
from bot.notifications import TelegramSender
from core.clock import ManualClock
from core.models import Blocker, BlockerState, Channel, Reservation, Spot, WaitlistEntry
from core.usecases.arrival import ArrivalUseCases
from jobs.dispatcher import DispatchLimits, OutboxDispatcher
from tests.bot.dialog_support import Driver
from tests.bot.screens import TG_ID, add_premise, add_user, book_and_pay, hold
from tests.fakes.blockers import FakeBlockers

GUEST_TG = 2002
FAST = DispatchLimits(messages_per_second=2000, per_chat_interval=0.0)


def _with_blockers(services: Services, blockers: FakeBlockers) -> Services:
    return Services(
        db=services.db,
        clock=services.clock,
        settings=services.settings,
        payments=None,
        geocoder=None,
        arrival=ArrivalUseCases(services.db, blockers, services.clock, early_minutes=15, ack_timeout=1),
    )


def _last_message(driver: Driver) -> SendMessage:
    return [m for m in driver.bot.calls if isinstance(m, SendMessage)][-1]


async def test_a_guest_opens_the_link_lowers_and_sees_nothing_of_the_owner(
    services: Services, clock: ManualClock
) -> None:
    blockers = FakeBlockers()
    services = _with_blockers(services, blockers)
    owner = await add_user(services, TG_ID)  # "Olena"
    garage = await add_premise(services, "Central Garage", north_m=200, price=250, spots=1)
    async with services.db.transaction() as s:
        spot_id = (await s.scalars(select(Spot.id).where(Spot.premise_id == garage))).one()
        s.add(Blocker(id="BLK-1", spot_id=spot_id, online=True, state=BlockerState.RAISED, battery=90))
    rid = await book_and_pay(services, owner, garage, clock.now() + timedelta(minutes=10), 60)
    link = await services.guests.share(owner_id=owner, reservation_id=rid)
    await add_user(services, GUEST_TG)
    guest = Driver(services, GUEST_TG)

    await guest.send(f"/start guest_{link.token}")
    shown = _last_message(guest)
    assert "<b>Guest parking</b> · Central Garage" in shown.text and "Spot <b>A1</b>" in shown.text
    assert "Olena" not in shown.text and "EUR" not in shown.text and f"#{rid}" not in shown.text
    assert shown.reply_markup is not None
    buttons = [(b.text, b.callback_data) for row in shown.reply_markup.inline_keyboard for b in row]  # type: ignore[union-attr]
    assert [text for text, _ in buttons] == ["⬇️ Lower the blocker", "⬆️ Raise"]

    lower = buttons[0][1]
    assert lower is not None
    await guest.tap_outside_dialogs(lower)
    assert blockers.sent == [("BLK-1", "lower", rid)]
    assert "The blocker is down. Park now! Spot A1" in _last_message(guest).text

    await guest.send("/bookings")
    assert "You have no bookings yet" in guest.text  # the owner's booking is not theirs

    # Revoked, the link and the buttons open nothing; a forged link reads exactly the same.
    await services.guests.revoke(owner_id=owner, reservation_id=rid)
    await guest.send(f"/start guest_{link.token}")
    revoked = _last_message(guest).text
    await guest.send("/start guest_AAAAAAAAAAAAAAAAAAAAAAAA")
    assert _last_message(guest).text == revoked
    assert revoked.startswith("This guest pass opens nothing")
    await guest.tap_outside_dialogs(lower)
    assert guest.bot.alerts()[-1] == revoked
    assert len(blockers.sent) == 1


async def test_hold_it_under_an_offer_opens_the_payment_screen(
    services: Services, clock: ManualClock
) -> None:
    first = await add_user(services, TG_ID)
    other = await add_user(services, GUEST_TG)
    garage = await add_premise(services, "Central Garage", north_m=200, price=250, spots=1)
    starts = clock.now() + timedelta(hours=3)
    held = await hold(services, other, garage, starts, 60)
    wish = await services.waitlist.join(user_id=first, premise_id=garage, starts_at=starts, minutes=60)
    await services.booking.release_hold(user_id=other, reservation_id=held)
    async with services.db.read() as s:
        assert (await s.get_one(WaitlistEntry, wish.id)).status == "offered"
    driver = Driver(services, TG_ID)
    await driver.tap_outside_dialogs(f"wl:hold:{wish.id}")
    assert "Central Garage" in driver.text and "2.50 EUR" in driver.text  # the payment screen
    first_screen = driver.text
    await driver.tap_outside_dialogs(f"wl:hold:{wish.id}")  # a second tap: the same hold, not another
    assert driver.text == first_screen
    async with services.db.read() as s:
        assert len((await s.scalars(select(Reservation).where(Reservation.user_id == first))).all()) == 1


async def _deliver(services: Services, driver: Driver) -> list[SendMessage]:
    """Sends what the outbox holds through the Telegram channel into `driver`'s fake Bot API;
    returns the messages their chat received."""
    sender = TelegramSender(driver.bot, services.db)
    await OutboxDispatcher(services.db, {Channel.TELEGRAM: sender}, services.clock, FAST).run()
    return [
        m for m in driver.bot.calls if isinstance(m, SendMessage) and int(m.chat_id) == driver.telegram_id
    ]


async def test_a_guest_whose_pass_is_revoked_is_told_once_in_their_chat(
    services: Services, clock: ManualClock
) -> None:
    owner = await add_user(services, TG_ID)
    garage = await add_premise(services, "Central Garage", north_m=200, price=250, spots=1)
    rid = await book_and_pay(services, owner, garage, clock.now() + timedelta(hours=2), 60)
    link = await services.guests.share(owner_id=owner, reservation_id=rid)
    await services.guests.share(owner_id=owner, reservation_id=rid)  # never opened: nobody to tell
    await add_user(services, GUEST_TG)
    guest = Driver(services, GUEST_TG)
    await guest.send(f"/start guest_{link.token}")
    before = len(await _deliver(services, guest))

    assert await services.guests.revoke(owner_id=owner, reservation_id=rid) == 2
    await services.guests.revoke(owner_id=owner, reservation_id=rid)
    told = (await _deliver(services, guest))[before:]
    assert [m.text for m in told] == [
        "🚫 Your guest pass for spot <b>A1</b> at Central Garage (Sat 21 Nov 13:00–14:00) was cancelled "
        "by the driver who shared it. The blocker will no longer lower for you."
    ]


async def test_a_lapsed_offer_is_told_with_a_button_to_wait_again(
    services: Services, clock: ManualClock
) -> None:
    first = await add_user(services, TG_ID)
    other = await add_user(services, GUEST_TG)
    garage = await add_premise(services, "Central Garage", north_m=200, price=250, spots=1)
    starts = clock.now() + timedelta(hours=3)
    held = await hold(services, other, garage, starts, 60)
    wish = await services.waitlist.join(user_id=first, premise_id=garage, starts_at=starts, minutes=60)
    await services.booking.release_hold(user_id=other, reservation_id=held)  # offered to `first`
    clock.advance(timedelta(minutes=services.settings.hold_minutes))
    await services.waitlist.sweep()
    driver = Driver(services, TG_ID)
    offer, lapsed = await _deliver(services, driver)
    assert offer.text is not None and offer.text.startswith("🔔 <b>A spot is free at Central Garage</b>")
    assert lapsed.text == (
        "⌛ The spot at Central Garage for Sat 21 Nov 14:00–15:00 went to the next driver in line: "
        "you did not hold it within 10 min.\n\nStill looking for that time? Join the waitlist again:"
    )
    assert isinstance(lapsed.reply_markup, InlineKeyboardMarkup)
    ((button,),) = lapsed.reply_markup.inline_keyboard
    assert (button.text, button.callback_data) == ("🔔 Tell me when a spot frees up", f"wl:again:{wish.id}")

    # The tap wishes for the same stay again (at the end of the line); a second tap adds nothing.
    await driver.tap_outside_dialogs(f"wl:again:{wish.id}")
    assert _last_message(driver).text.startswith("🔔 You are on the waitlist.")
    await driver.tap_outside_dialogs(f"wl:again:{wish.id}")
    (again,) = await services.waitlist.mine(first)
    assert again.id != wish.id and (again.starts_at, again.ends_at) == (starts, starts + timedelta(hours=1))

    # Once the stay has begun there is nothing to wait for: the tap says so.
    clock.advance(timedelta(hours=3))
    await driver.tap_outside_dialogs(f"wl:again:{wish.id}")
    assert driver.bot.alerts()[-1] == "That time has begun: there is nothing left to wait for."
