"""Booking: duration → quote → hold → payment (wallet, saved card or Checkout link) → paid.
The payment screen also opens from /bookings for a booking held earlier. The confirmation
itself is the outbox's message (it survives restarts and covers webhook-settled payments);
a paid screen only says the payment arrived."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from math import ceil
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import ChatEvent, Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import (
    Back,
    Button,
    Cancel,
    Column,
    Group,
    ManagedCalendar,
    Start,
    SwitchTo,
    Url,
)
from aiogram_dialog.widgets.text import Format

from bot import format as fmt
from bot.dialogs.common import (
    caller,
    choice,
    explain,
    label,
    priced_duration,
    refusal_text,
    services,
    show_hint,
    start_picker,
    t,
    unexpected_input,
)
from bot.dialogs.states import BookingsSG, BookSG, MenuSG
from bot.i18n import Raw
from core.errors import (
    ClosedAtThatTime,
    DomainError,
    InsufficientFunds,
    InvalidInterval,
    InvalidPlate,
    InvalidTransition,
    NoSpotFree,
    PaymentUnavailable,
    TooManyHolds,
)
from core.models import Premise, Reservation, ReservationStatus, Spot
from core.rules import (
    MAX_DAYS_AHEAD,
    MAX_PENDING_HOLDS_PER_USER,
    check_duration,
    is_paid,
    is_payable,
    start_now,
)
from core.services.payments import Settled
from core.usecases.booking import Released
from core.usecases.payments import CardOutcome

PRESETS = (60, 120, 180, 240, 480)


def _start(manager: DialogManager) -> datetime:
    # A time picked here, at this premise, before the one the search was for.
    chosen = manager.dialog_data.get("start")
    if not chosen and isinstance(manager.start_data, dict):
        chosen = manager.start_data.get("start")
    return datetime.fromisoformat(chosen) if chosen else start_now(services(manager).clock.now())


def _premise_id(manager: DialogManager) -> int:
    assert isinstance(manager.start_data, dict)
    return int(manager.start_data["premise_id"])


def _from_card(manager: DialogManager) -> bool:
    """Started from a car park's card with the duration chosen there: "Back" returns to it."""
    return isinstance(manager.start_data, dict) and bool(manager.start_data.get("from_card"))


async def duration_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    prices = await services(m).search.durations(_premise_id(m), PRESETS, _start(m))
    return {
        "title": t(m, "duration.title"),
        "presets": [
            (minutes, priced_duration(m, minutes, price, currency)) for minutes, price, currency in prices
        ],
        "btn_custom": t(m, "btn.custom_duration"),
        "ask": t(m, "duration.ask"),
        "from_card": _from_card(m),
    }


async def on_preset(callback: CallbackQuery, _: Any, manager: DialogManager, minutes: int) -> None:
    manager.dialog_data["minutes"] = int(minutes)
    await manager.switch_to(BookSG.quote)


async def on_duration_text(message: Message, _: MessageInput, manager: DialogManager) -> None:
    minutes = fmt.parse_duration(message.text or "")
    try:
        if minutes is None:
            raise InvalidInterval("not a duration")
        check_duration(minutes)
    except InvalidInterval:
        show_hint(manager, t(manager, "duration.invalid"))
        return
    manager.dialog_data["minutes"] = minutes
    await manager.switch_to(BookSG.quote, show_mode=ShowMode.SEND)


async def quote_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    screen = await _quote_screen(m)
    plate = await _plate(m)
    if plate and screen["can_hold"]:
        screen["text"] = Raw(screen["text"] + "\n" + t(m, "quote.plate", plate=plate))
    if plate:
        btn_plate = label(m, "btn.plate", plate=plate)
    else:
        saved = m.dialog_data.get("has_vehicles", False)
        btn_plate = label(m, "btn.plate_choose" if saved else "btn.plate_add")
    return {**screen, "from_card": _from_card(m), "btn_plate": btn_plate}


async def _plate(manager: DialogManager) -> str | None:
    """The plate this booking is for: the one chosen on this screen, else the driver's default
    (None: no plate, which books as well)."""
    if "plate" in manager.dialog_data:
        return manager.dialog_data["plate"]  # type: ignore[no-any-return]
    saved = await services(manager).vehicles.vehicles(caller(manager).user_id)
    manager.dialog_data["has_vehicles"] = bool(saved)
    default = next((v.plate for v in saved if v.is_default), None)
    manager.dialog_data["plate"] = default
    return default


async def plate_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    chosen = m.dialog_data.get("plate")
    saved = await services(m).vehicles.vehicles(caller(m).user_id)
    mark = "✅ "
    plates: list[tuple[str, str]] = []
    for v in saved:  # a row each: the plate (use it), then 🗑 (forget it)
        plates += [(f"use:{v.vehicle_id}", (mark if v.plate == chosen else "") + v.plate)]
        plates += [(f"del:{v.vehicle_id}", label(m, "btn.forget_plate", plate=v.plate))]
    return {
        "text": t(m, "plate.title"),
        "plates": plates,
        "btn_no_plate": label(m, "btn.no_plate"),
        "btn_add_plate": label(m, "btn.add_plate"),
        "ask": t(m, "plate.ask"),
    }


async def on_plate(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    """`use:<id>` books with that plate; `del:<id>` forgets it (bookings keep theirs)."""
    svc, who = services(manager), caller(manager)
    action, _sep, vehicle_id = item.partition(":")
    saved = {str(v.vehicle_id): v for v in await svc.vehicles.vehicles(who.user_id)}
    vehicle = saved.get(vehicle_id)
    if vehicle is None or action not in ("use", "del"):
        await callback.answer(label(manager, "error.not_found"), show_alert=True)
        return
    if action == "use":
        manager.dialog_data["plate"] = vehicle.plate
        await manager.switch_to(BookSG.quote)
        return
    await svc.vehicles.remove(who.user_id, vehicle.vehicle_id)
    await callback.answer(label(manager, "plate.forgotten", plate=vehicle.plate))
    if manager.dialog_data.get("plate") == vehicle.plate:
        manager.dialog_data.pop("plate")  # the quote offers the (new) default again


async def on_no_plate(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    manager.dialog_data["plate"] = None
    await manager.switch_to(BookSG.quote)


async def on_plate_text(message: Message, _: MessageInput, manager: DialogManager) -> None:
    """A new plate: saved to the driver's vehicles (the same plate typed another way is the
    same vehicle) and chosen for this booking."""
    try:
        vehicle = await services(manager).vehicles.add(caller(manager).user_id, message.text or "")
    except InvalidPlate:
        show_hint(manager, t(manager, "plate.invalid"))
        return
    except DomainError as exc:
        show_hint(manager, refusal_text(caller(manager).lang, exc))
        return
    manager.dialog_data.update(plate=vehicle.plate, has_vehicles=True)
    await manager.switch_to(BookSG.quote, show_mode=ShowMode.SEND)


async def _quote_screen(m: DialogManager) -> dict[str, Any]:
    svc = services(m)
    lang = caller(m).lang
    minutes = m.dialog_data["minutes"]
    try:
        view = await svc.search.quote(_premise_id(m), _start(m), minutes)
    except InvalidInterval:
        return {"text": t(m, "quote.start_passed"), "can_hold": False, "btn_confirm": "", "closed": False}
    except ClosedAtThatTime as exc:
        return {
            "text": t(m, "closed.at_that_time", hours=exc.opening_hours),
            "can_hold": False,
            "btn_confirm": "",
            "closed": True,
            "btn_other_time": t(m, "btn.other_time"),
        }
    q = view.quote
    if q.free_spots == 0:
        # Full: the driver may wait for a spot to free up (the waitlist, issue 16).
        joined = m.dialog_data.get("waitlisted")
        return {
            "text": Raw(f"{t(m, 'quote.no_spot')}\n\n{joined}") if joined else t(m, "quote.no_spot"),
            "can_hold": False,
            "btn_confirm": "",
            "closed": False,
            "can_wait": not joined,
            "waiting": bool(joined),
            "btn_wait": t(m, "btn.waitlist_join"),
            "btn_my_waitlist": t(m, "btn.my_waitlist"),
        }
    price = fmt.money(q.price, q.currency)
    # The total on the Hold button: the hold refuses any other (a rate boundary crossed or a
    # new plan before the tap), so the driver never holds a price they were not shown.
    m.dialog_data["quoted_price"] = q.price
    return {
        "text": t(
            m,
            "quote.title",
            name=view.name,
            address=view.address,
            window=fmt.window(q.interval.starts_at, q.interval.ends_at, view.timezone, lang),
            duration=fmt.duration(lang, minutes),
            price=price,
            rate=fmt.price_rate(lang, q.lines, q.currency),
            free=t(m, "find.free", count=q.free_spots),
        ),
        "can_hold": True,
        "btn_confirm": t(m, "btn.confirm_hold", price=price),
        "closed": False,
    }


async def _today(manager: DialogManager) -> date:
    """Today in the premise's time zone."""
    tz = await services(manager).search.timezone_of(_premise_id(manager))
    return services(manager).clock.now().astimezone(ZoneInfo(tz)).date()


async def date_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    today = await _today(dialog_manager)
    return {
        "title": t(dialog_manager, "when.title"),
        # The calendar's bounds: earlier days and those past the horizon are blank.
        "first_day": today,
        "last_day": today + timedelta(days=MAX_DAYS_AHEAD),
    }


async def on_date(event: ChatEvent, _: ManagedCalendar, manager: DialogManager, day: date) -> None:
    # The calendar shows only the days that may be picked; an old calendar may still offer others.
    today = await _today(manager)
    if not today <= day <= today + timedelta(days=MAX_DAYS_AHEAD):
        if isinstance(event, CallbackQuery):
            await event.answer(t(manager, "when.out_of_range", days=MAX_DAYS_AHEAD), show_alert=True)
        return
    manager.dialog_data.update(date=day.isoformat(), slot_page=0)
    await manager.switch_to(BookSG.time)


async def time_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    """Arrival times at this premise: only those whose whole stay lies within its opening hours."""
    m, svc = dialog_manager, services(dialog_manager)
    lang = caller(m).lang
    day, minutes = date.fromisoformat(m.dialog_data["date"]), m.dialog_data["minutes"]
    starts, tz, opening_hours = await svc.search.open_starts(_premise_id(m), day, minutes)
    title = t(m, "when.pick_time", date=fmt.day(lang, day), tz=tz)
    if not starts:
        hours = t(m, "closed.no_slots", duration=fmt.duration(lang, minutes), hours=opening_hours)
        title = Raw(title + "\n\n" + hours)
    return {"title": title, "slots": [(s.isoformat(), fmt.clock_time(s, tz)) for s in starts]}


async def on_time(callback: CallbackQuery, _: Any, manager: DialogManager, slot: str) -> None:
    manager.dialog_data["start"] = slot
    await manager.switch_to(BookSG.quote)


async def on_wait(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """ "Tell me when a spot frees up": the wish for this very stay."""
    svc, who = services(manager), caller(manager)
    try:
        wish = await svc.waitlist.join(
            user_id=who.user_id,
            premise_id=_premise_id(manager),
            starts_at=_start(manager),
            minutes=manager.dialog_data["minutes"],
        )
    except DomainError as exc:
        await explain(callback, manager, exc)
        return
    until = fmt.local(wish.expires_at, wish.timezone)
    manager.dialog_data["waitlisted"] = t(
        manager,
        "waitlist.joined",
        minutes=svc.settings.hold_minutes,
        until=f"{fmt.day(who.lang, until)} {until:%H:%M}",
    )


async def on_hold(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    svc, who = services(manager), caller(manager)
    try:
        held = await svc.booking.hold(
            user_id=who.user_id,
            premise_id=_premise_id(manager),
            starts_at=_start(manager),
            minutes=manager.dialog_data["minutes"],
            plate=await _plate(manager),
            # PriceChanged (below, DomainError): the alert gives the new total and the quote
            # is drawn again with it.
            expected_price=manager.dialog_data.get("quoted_price"),
        )
    except NoSpotFree:
        await callback.answer(t(manager, "quote.no_spot"), show_alert=True)
        return
    except TooManyHolds:
        await callback.answer(t(manager, "hold.too_many", limit=MAX_PENDING_HOLDS_PER_USER), show_alert=True)
        return
    except InvalidInterval:
        await callback.answer(t(manager, "quote.start_passed"), show_alert=True)
        return
    except ClosedAtThatTime as exc:
        # An alert is plain text, like a button: not escaped.
        await callback.answer(label(manager, "closed.at_that_time", hours=exc.opening_hours), show_alert=True)
        return
    except DomainError as exc:
        await explain(callback, manager, exc)
        return
    manager.dialog_data["reservation_id"] = held.reservation_id
    await callback.answer()
    await manager.switch_to(BookSG.pay)


async def _reservation_view(manager: DialogManager) -> tuple[Reservation, Spot, Premise]:
    v = await services(manager).booking.place(
        user_id=caller(manager).user_id, reservation_id=manager.dialog_data["reservation_id"]
    )
    return v.reservation, v.spot, v.premise


def _held_text(m: DialogManager, r: Reservation, spot: Spot, premise: Premise) -> Raw:
    """What is held, for how much and until when: the top of every payment screen (wallet,
    saved card, the payment page), so the driver always sees what they are paying for."""
    now = services(m).clock.now()
    left = max(0, ceil(((r.hold_expires_at or now) - now).total_seconds() / 60))
    return t(
        m,
        "hold.title",
        spot=spot.label,
        name=premise.name,
        window=fmt.window(r.starts_at, r.ends_at, premise.timezone, caller(m).lang),
        price=fmt.money(r.price, r.currency),
        minutes=left,
        until=fmt.clock_time(r.hold_expires_at or now, premise.timezone),
    )


async def on_start(start_data: Any, manager: DialogManager) -> None:
    if isinstance(start_data, dict) and "reservation_id" in start_data:  # opened from /bookings
        manager.dialog_data["reservation_id"] = int(start_data["reservation_id"])
    if isinstance(start_data, dict) and start_data.get("from_card") and "minutes" in start_data:
        manager.dialog_data["minutes"] = int(start_data["minutes"])  # chosen on the card


async def pay_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    r, spot, premise = await _reservation_view(m)
    if is_paid(r.status):
        # Paid meanwhile (a webhook, another device): the confirmation comes from the outbox.
        return await paid_getter(dialog_manager)
    now = svc.clock.now()
    expired = not is_payable(r.status, r.hold_expires_at, now)
    coverage = await svc.wallet.coverage(r.user_id, r.price, r.currency)
    balance = coverage.balance
    cards = await svc.wallet.cards(r.user_id) if svc.payments else []
    text = (
        t(m, "hold.expired_at", spot=spot.label, name=premise.name)
        if expired
        else _held_text(m, r, spot, premise)
    )
    return {
        "text": text,
        "open": not expired,
        "paid": False,
        "wallet_ok": balance >= r.price,
        "wallet_short": balance < r.price,
        "btn_wallet": t(m, "btn.pay_wallet", balance=fmt.money(balance, r.currency)),
        "btn_wallet_short": t(m, "btn.pay_wallet_short", balance=fmt.money(balance, r.currency)),
        "can_topup": balance < r.price and svc.payments is not None,
        "btn_topup": label(m, "btn.topup_short", amount=fmt.money(coverage.topup, r.currency)),
        "cards": [(c.id, label(m, "btn.pay_card", brand=c.brand.title(), last4=c.last4)) for c in cards],
        "card_payments": svc.payments is not None,
        "btn_link": t(m, "btn.pay_link"),
        "btn_release": t(m, "btn.release_hold"),
        "btn_book_again": t(m, "btn.book_again"),
    }


async def on_topup(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """Tops the wallet up by what is missing, without leaving the payment screen for good."""
    svc, who = services(manager), caller(manager)
    if svc.payments is None:
        await callback.answer(t(manager, "pay.unavailable"), show_alert=True)
        return
    try:
        topup = await svc.payments.topup_for_booking(manager.dialog_data["reservation_id"], who.user_id)
    except DomainError as exc:  # PaymentUnavailable included: its words say to use the wallet
        await explain(callback, manager, exc)
        return
    manager.dialog_data.update(
        topup_url=topup.checkout.url,
        topup_text=t(manager, "pay.topup_link", amount=fmt.money(topup.amount, topup.currency)),
    )
    await manager.switch_to(BookSG.topup)


async def topup_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    return {
        "text": m.dialog_data["topup_text"],
        "url": m.dialog_data["topup_url"],
        "btn_open": t(m, "btn.open_page"),
        "btn_back_to_payment": t(m, "btn.back_to_payment"),
    }


async def on_book_again(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """A fresh booking at the same car park, for the same start if it is still ahead."""
    r, spot, _premise = await _reservation_view(manager)
    start = r.starts_at if r.starts_at > services(manager).clock.now() else None
    await manager.start(
        BookSG.duration,
        data={"premise_id": spot.premise_id, **({"start": start.isoformat()} if start else {})},
        mode=StartMode.RESET_STACK,
    )


async def on_wallet(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    svc, who = services(manager), caller(manager)
    try:
        await svc.wallet.pay_booking(
            reservation_id=manager.dialog_data["reservation_id"], user_id=who.user_id
        )
    except InsufficientFunds as exc:
        await callback.answer(
            t(
                manager,
                _short_key(manager),
                balance=fmt.money(exc.balance, exc.currency),
                price=fmt.money(exc.needed, exc.currency),
            ),
            show_alert=True,
        )
        return
    except InvalidTransition as exc:
        await _not_payable(callback, manager, exc)
        return
    except DomainError as exc:
        await explain(callback, manager, exc)
        return
    await manager.switch_to(BookSG.done)


async def _not_payable(callback: CallbackQuery, manager: DialogManager, exc: InvalidTransition) -> None:
    """Paid meanwhile (another device, the webhook): the paid screen; lapsed: say so."""
    status = ReservationStatus(exc.status)
    if is_paid(status):
        await manager.switch_to(BookSG.done)
    elif status is ReservationStatus.CANCELLED:
        await explain(callback, manager, exc)
    else:  # a hold that ran out (swept or not yet): named, as the driver may hold several
        _r, spot, premise = await _reservation_view(manager)
        await callback.answer(
            label(manager, "hold.expired", spot=spot.label, name=premise.name), show_alert=True
        )


def _short_key(manager: DialogManager) -> str:
    """What the alert for a wallet short of the price says. With card payments on, the payment
    screen (pay_getter) shows "➕ Top up" below the wallet's button and the card buttons, and the
    alert points to them; without card payments there is neither to suggest."""
    return "pay.wallet_short" if services(manager).payments is not None else "pay.wallet_short_no_cards"


async def on_wallet_short(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    r, _spot, _premise = await _reservation_view(manager)
    balance = await services(manager).wallet.balance(r.user_id, r.currency)
    await callback.answer(
        t(
            manager,
            _short_key(manager),
            balance=fmt.money(balance, r.currency),
            price=fmt.money(r.price, r.currency),
        ),
        show_alert=True,
    )


async def on_card(callback: CallbackQuery, _: Any, manager: DialogManager, card_id: int) -> None:
    svc, who = services(manager), caller(manager)
    if svc.payments is None:
        await callback.answer(t(manager, "pay.unavailable"), show_alert=True)
        return
    # Off-session charges take a second or two: the spinner stops, the user sees progress.
    manager.show_mode = ShowMode.EDIT
    try:
        result = await svc.payments.pay_booking_with_card(
            manager.dialog_data["reservation_id"], who.user_id, int(card_id)
        )
    except DomainError as exc:  # PaymentUnavailable included
        await explain(callback, manager, exc)
        return
    if result.outcome == CardOutcome.PAID:
        await manager.switch_to(BookSG.done)
        return
    assert result.checkout is not None
    key = "pay.card_needs_auth" if result.reason == "authentication_required" else "pay.card_declined"
    manager.dialog_data.update(
        url=result.checkout.url,
        session_id=result.checkout.session_id,
        notice=t(manager, key, reason=result.message or result.reason or ""),
    )
    await manager.switch_to(BookSG.link)


async def on_link(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    svc, who = services(manager), caller(manager)
    if svc.payments is None:
        await callback.answer(t(manager, "pay.unavailable"), show_alert=True)
        return
    try:
        link = await svc.payments.booking_checkout(manager.dialog_data["reservation_id"], who.user_id)
    except InvalidTransition as exc:
        await _not_payable(callback, manager, exc)
        return
    except DomainError as exc:  # PaymentUnavailable included
        await explain(callback, manager, exc)
        return
    await callback.answer()
    manager.dialog_data.update(url=link.url, session_id=link.session_id, notice=None)
    await manager.switch_to(BookSG.link)


async def link_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    r, spot, premise = await _reservation_view(m)
    if is_paid(r.status):
        return await paid_getter(dialog_manager)
    open_ = is_payable(r.status, r.hold_expires_at, svc.clock.now())
    notice = m.dialog_data.get("notice")
    text = (
        Raw(_held_text(m, r, spot, premise) + "\n\n" + (notice or t(m, "pay.link")))
        if open_
        else t(m, "hold.expired_at", spot=spot.label, name=premise.name)
    )
    return {
        "text": text,
        "paid": False,
        "open": open_,
        "btn_book_again": t(m, "btn.book_again"),
        "url": m.dialog_data["url"],
        "btn_open": t(m, "btn.open_payment", price=fmt.money(r.price, r.currency)),
        "btn_check": t(m, "btn.check_payment"),
        "btn_release": t(m, "btn.release_hold"),
    }


async def on_check(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    svc = services(manager)
    assert svc.payments is not None
    try:
        settled = await svc.payments.verify_return(manager.dialog_data["session_id"])
    except PaymentUnavailable:
        settled = Settled.NOT_PAID
    if settled in (Settled.CONFIRMED, Settled.ALREADY_DONE):
        await callback.answer()
        await manager.switch_to(BookSG.done)
    else:
        await callback.answer(t(manager, "pay.not_yet"), show_alert=True)


async def on_release(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    svc, who = services(manager), caller(manager)
    try:
        released = await svc.booking.release_hold(
            user_id=who.user_id, reservation_id=manager.dialog_data["reservation_id"]
        )
    except DomainError as exc:
        await explain(callback, manager, exc)
        return
    if released is Released.PAID:
        # Paid meanwhile (another device, a webhook): it stays booked; show it.
        await callback.answer(t(manager, "pay.release_paid"), show_alert=True)
        await manager.switch_to(BookSG.done)
        return
    # Released now, or expired or released already: nothing is held any more, as the answer says.
    await callback.answer(t(manager, "pay.released"))
    await manager.start(MenuSG.main, mode=StartMode.RESET_STACK)


async def paid_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    """Paid: the screen says so and points at the confirmation message (one confirmation per
    booking, whichever way it was paid)."""
    m = dialog_manager
    r, spot, premise = await _reservation_view(m)
    return {
        "text": t(
            m,
            "pay.received",
            id=r.id,
            name=premise.name,
            spot=spot.label,
            window=fmt.window(r.starts_at, r.ends_at, premise.timezone, caller(m).lang),
            price=fmt.money(r.price, r.currency),
        ),
        "paid": True,
        "open": False,
    }


def _closed_buttons() -> Group:
    """Below a payment screen that is no longer open: paid (the way to the menu; the
    confirmation message has the booking's buttons) or lapsed (book again, or the menu)."""
    return Group(
        Button(
            Format("{btn_book_again}"),
            id="book_again",
            on_click=on_book_again,
            when=lambda data, *_: not data["open"] and not data["paid"],
        ),
        Start(
            Format("{btn_menu}"),
            id="menu_closed",
            state=MenuSG.main,
            mode=StartMode.RESET_STACK,
            when=lambda data, *_: not data["open"],
        ),
    )


def book_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{title}"),
            Group(
                choice("preset", "presets", on_preset, type_factory=int),
                width=2,
            ),
            SwitchTo(Format("{btn_custom}"), id="custom", state=BookSG.duration_input),
            Cancel(Format("{btn_back}")),
            unexpected_input(),
            state=BookSG.duration,
            getter=duration_getter,
        ),
        Window(
            Format("{ask}"),
            MessageInput(on_duration_text),
            Cancel(Format("{btn_back}"), id="back_to_card", when="from_card"),
            Back(Format("{btn_back}"), when=lambda data, *_: not data["from_card"]),
            unexpected_input(),
            state=BookSG.duration_input,
            getter=duration_getter,
        ),
        Window(
            Format("{text}"),
            Button(Format("{btn_confirm}"), id="hold", on_click=on_hold, when="can_hold"),
            Button(Format("{btn_wait}"), id="wait", on_click=on_wait, when="can_wait"),
            Start(Format("{btn_my_waitlist}"), id="my_waitlist", state=BookingsSG.waitlist, when="waiting"),
            SwitchTo(Format("{btn_plate}"), id="plate", state=BookSG.plate, when="can_hold"),
            SwitchTo(Format("{btn_other_time}"), id="other_time", state=BookSG.date, when="closed"),
            Cancel(Format("{btn_back}"), id="back_to_card", when="from_card"),
            SwitchTo(
                Format("{btn_back}"),
                id="back",
                state=BookSG.duration,
                when=lambda data, *_: not data["from_card"],
            ),
            unexpected_input(),
            state=BookSG.quote,
            getter=quote_getter,
        ),
        Window(
            Format("{text}"),
            Group(choice("plates", "plates", on_plate), width=2),
            Button(Format("{btn_no_plate}"), id="no_plate", on_click=on_no_plate),
            SwitchTo(Format("{btn_add_plate}"), id="add_plate", state=BookSG.plate_input),
            SwitchTo(Format("{btn_back}"), id="back", state=BookSG.quote),
            unexpected_input(),
            state=BookSG.plate,
            getter=plate_getter,
        ),
        Window(
            Format("{ask}"),
            MessageInput(on_plate_text),
            SwitchTo(Format("{btn_back}"), id="back", state=BookSG.plate),
            unexpected_input(),
            state=BookSG.plate_input,
            getter=plate_getter,
        ),
        *start_picker(
            date_state=BookSG.date,
            slot_state=BookSG.time,
            back_from_date=BookSG.quote,
            on_date=on_date,
            on_slot=on_time,
            date_getter=date_getter,
            slot_getter=time_getter,
        ),
        Window(
            Format("{text}"),
            Group(
                Button(Format("{btn_wallet}"), id="wallet", on_click=on_wallet, when="wallet_ok"),
                Button(
                    Format("{btn_wallet_short}"),
                    id="wallet_short",
                    on_click=on_wallet_short,
                    when="wallet_short",
                ),
                Button(Format("{btn_topup}"), id="topup", on_click=on_topup, when="can_topup"),
                Column(choice("card", "cards", on_card, type_factory=int)),
                Button(Format("{btn_link}"), id="link", on_click=on_link, when="card_payments"),
                Button(Format("{btn_release}"), id="release", on_click=on_release),
                when="open",
            ),
            _closed_buttons(),
            unexpected_input(),
            state=BookSG.pay,
            getter=pay_getter,
        ),
        Window(
            Format("{text}"),
            Group(
                Url(Format("{btn_open}"), Format("{url}")),
                Button(Format("{btn_check}"), id="check", on_click=on_check),
                Button(Format("{btn_release}"), id="release", on_click=on_release),
                when="open",
            ),
            _closed_buttons(),
            unexpected_input(),
            state=BookSG.link,
            getter=link_getter,
        ),
        Window(
            Format("{text}"),
            Url(Format("{btn_open}"), Format("{url}")),
            SwitchTo(Format("{btn_back_to_payment}"), id="back_to_payment", state=BookSG.pay),
            unexpected_input(),
            state=BookSG.topup,
            getter=topup_getter,
        ),
        Window(
            Format("{text}"),
            _closed_buttons(),
            unexpected_input(),
            state=BookSG.done,
            getter=paid_getter,
        ),
        on_start=on_start,
    )


async def book_again(callback: CallbackQuery, manager: DialogManager, reservation_id: int) -> None:
    """ "Book again": the same car park and stay length from the next free start, as a quote
    (Hold the spot, then the usual payment). "Back" returns to where it was tapped."""
    svc, who = services(manager), caller(manager)
    try:
        again = await svc.rebook.again(user_id=who.user_id, reservation_id=reservation_id)
    except NoSpotFree:
        await callback.answer(label(manager, "rebook.no_slot", days=MAX_DAYS_AHEAD), show_alert=True)
        return
    except DomainError as exc:
        await explain(callback, manager, exc)
        return
    await manager.start(
        BookSG.quote,
        data={
            "premise_id": again.premise_id,
            "start": again.starts_at.isoformat(),
            "minutes": again.minutes,
            "from_card": True,
        },
    )
