"""My bookings: upcoming, now and past (paged), details with receipt (a PDF); pay for a held booking,
cancel before the start (with refund), end parking now after it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Column, Row, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot import format as fmt
from bot import receipts
from bot.arrival import outcome_text
from bot.blocked_bay import offer_keyboard, offer_text
from bot.calendar import send_calendar
from bot.dialogs.book import book_again
from bot.dialogs.common import (
    caller,
    choice,
    explain,
    label,
    refusal_text,
    services,
    show_hint,
    t,
    unexpected_input,
)
from bot.dialogs.find import send_venue
from bot.dialogs.reviews import stars
from bot.dialogs.states import BookingsSG, BookSG, MenuSG, ReviewSG
from bot.extension import offer_extensions
from bot.i18n import Raw, tr
from core.errors import DomainError, InvalidPhone, TooLateToCancel
from core.models import PaymentStatus, ReservationStatus
from core.pricing import PriceLine
from core.services import guests
from core.services.catalog import BookingScope, BookingView
from core.usecases.calendar import IN_CALENDAR

PAGE = 5
# A booking that is over or never happened: "Book again" offers the same stay anew.
_OVER = frozenset({ReservationStatus.COMPLETED, ReservationStatus.CANCELLED, ReservationStatus.EXPIRED})
_MONEY_MOVED = frozenset(
    {
        PaymentStatus.SUCCEEDED,
        PaymentStatus.REFUND_PENDING,
        PaymentStatus.REFUNDED,
        PaymentStatus.REFUND_FAILED,
        PaymentStatus.NEEDS_REVIEW,
    }
)
# Payments with a receipt (core/usecases/receipts.py): money moved and was not held for review.
_RECEIPTED = _MONEY_MOVED - {PaymentStatus.NEEDS_REVIEW}


# A status at a glance on a list button (the booking's screen says it in words).
STATUS_ICONS = {
    ReservationStatus.PENDING_PAYMENT: "⏳",
    ReservationStatus.CONFIRMED: "✅",
    ReservationStatus.ACTIVE: "🚗",
    ReservationStatus.COMPLETED: "✔️",
    ReservationStatus.EXPIRED: "⌛",
    ReservationStatus.CANCELLED: "✖️",
}
MAX_LABEL = 40  # what a phone shows on a full-width button before cutting it


def booking_label(m: DialogManager, v: BookingView) -> str:
    """`Sat 21 Nov 11:00 · Central Gara… ✅`: the start, the car park (shortened to fit) and
    the status icon, within MAX_LABEL characters."""
    r, lang = v.reservation, caller(m).lang
    start = fmt.local(r.starts_at, v.premise.timezone)
    values = {"start": f"{fmt.day(lang, start)} {start:%H:%M}", "icon": STATUS_ICONS[r.status]}
    name = v.premise.name
    text = label(m, "bookings.item", name=name, **values)
    if len(text) > MAX_LABEL:
        keep = max(1, len(name) - (len(text) - MAX_LABEL) - 1)
        text = label(m, "bookings.item", name=name[:keep].rstrip() + "…", **values)
    return text


async def list_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    offset = m.dialog_data.get("offset", 0)
    chosen = m.dialog_data.get("scope")
    page = await svc.booking.bookings(
        user_id=caller(m).user_id,
        scope=BookingScope(chosen) if chosen else None,
        offset=offset,
        limit=PAGE,
    )
    scope = page.scope
    m.dialog_data["scope"] = scope.value
    items = [(v.reservation.id, booking_label(m, v)) for v in page.items]
    tabs = [
        (sc.value, ("• " if sc == scope else "") + t(m, f"bookings.tab.{sc.value}")) for sc in BookingScope
    ]
    empty = t(m, "bookings.empty_tab") if page.any_at_all else t(m, "bookings.empty")
    title = t(m, "bookings.title") if items else Raw(t(m, "bookings.title") + "\n\n" + empty)
    return {
        "title": title,
        "items": items,
        "tabs": tabs,
        "has_prev": offset > 0,
        "has_next": page.has_more,
        # Past stays are where reviews come from: their list is one tap away there.
        "past": scope == BookingScope.PAST,
        "btn_my_reviews": t(m, "btn.my_reviews"),
        "has_wishes": bool(await svc.waitlist.mine(caller(m).user_id)),
        "btn_my_waitlist": t(m, "btn.my_waitlist"),
    }


async def on_tab(callback: CallbackQuery, _: Any, manager: DialogManager, scope: str) -> None:
    manager.dialog_data.update(scope=scope, offset=0)


async def on_page(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    step = PAGE if button.widget_id == "next" else -PAGE
    manager.dialog_data["offset"] = max(0, manager.dialog_data.get("offset", 0) + step)


async def on_booking(callback: CallbackQuery, _: Any, manager: DialogManager, reservation_id: int) -> None:
    manager.dialog_data["reservation_id"] = int(reservation_id)
    await manager.switch_to(BookingsSG.detail)


def _reservation_id(manager: DialogManager) -> int:
    if "reservation_id" not in manager.dialog_data and _opened_for_one_booking(manager):
        assert isinstance(manager.start_data, dict)
        manager.dialog_data["reservation_id"] = int(manager.start_data["reservation_id"])
    return int(manager.dialog_data["reservation_id"])


def _price(lang: str, price: int, currency: str, lines: tuple[PriceLine, ...]) -> str:
    """The total, with its line items when more than one rate made it."""
    total = fmt.money(price, currency)
    return f"{total} ({fmt.price_lines(lang, lines, currency)})" if len(lines) > 1 else total


async def detail_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    v = await svc.booking.details(user_id=caller(m).user_id, reservation_id=_reservation_id(m))
    r = v.reservation
    lines = "\n".join(
        t(
            m,
            "booking.payment_line",
            method=t(m, f"method.{p.method.value}"),
            amount=fmt.money(p.amount, p.currency),
            status=t(m, f"paystatus.{p.status.value}")
            if not (p.status == PaymentStatus.SUCCEEDED and p.refunded_amount)
            # Partly refunded by the car park's staff (the console's Bookings section).
            else t(m, "paystatus.partly_refunded", refunded=fmt.money(p.refunded_amount, p.currency)),
        )
        for p in v.payments
        # Lines where money moved; a payment page still open only while the hold can be paid
        # (after a cancellation an unused page is no "pending" payment of the driver's).
        if p.status in _MONEY_MOVED or (v.can_pay and p.status == PaymentStatus.PENDING)
    )
    notice = m.dialog_data.pop("notice", None)
    completed = r.status == ReservationStatus.COMPLETED
    review = (
        await svc.reviews.of_booking(user_id=caller(m).user_id, reservation_id=r.id) if completed else None
    )
    can_review = completed and await svc.reviews.can_review(user_id=caller(m).user_id, reservation_id=r.id)
    review_line = (
        t(
            m,
            "booking.review_line",
            stars=stars(review.rating),
            status=tr(caller(m).lang, f"review.status.{review.status.value}"),
        )
        if review is not None
        else ""
    )
    text = t(
        m,
        "booking.detail",
        id=r.id,
        status=t(m, f"status.{r.status.value}"),
        name=v.premise.name,
        spot=v.spot.label,
        address=v.premise.address,
        window=fmt.window(r.starts_at, r.ends_at, v.premise.timezone, caller(m).lang),
        price=_price(caller(m).lang, r.price, r.currency, v.price_lines),
    )
    if r.plate:
        # Under the place and time, before the price and payments: the vehicle booked.
        head, sep, tail = text.partition("\n💶")
        text = Raw(head + "\n" + t(m, "booking.plate", plate=r.plate) + sep + tail)
    if lines:
        text = Raw(f"{text}\n{lines}")
    if v.can_pay and r.hold_expires_at is not None:
        # An unpaid hold: until when it can be paid, as on the payment screen.
        until = fmt.clock_time(r.hold_expires_at, v.premise.timezone)
        text = Raw(f"{text}\n{t(m, 'booking.pay_by', until=until)}")
    if review_line:
        text = Raw(f"{text}\n{review_line}")
    shareable = guests.usable(r, svc.clock.now())
    shared = (
        await svc.guests.shared_count(owner_id=caller(m).user_id, reservation_id=r.id) if shareable else 0
    )
    return {
        "can_share": shareable,
        "btn_share": t(m, "btn.share_guest"),
        "is_shared": shared > 0,
        "btn_revoke_guest": t(m, "btn.revoke_guest"),
        "can_lower": svc.arrival is not None and v.can_lower,
        "btn_lower": t(m, "btn.lower"),
        "notice": notice,
        "text": text,
        "can_pay": v.can_pay,
        "btn_pay": t(m, "btn.pay_booking", price=fmt.money(r.price, r.currency)),
        "can_cancel": v.can_cancel,
        "btn_cancel_booking": t(m, "btn.cancel_booking"),
        "can_end": v.can_end_now,
        # Once parked (started), as under "Park now!"; before, the booking is cancelled or kept.
        "can_extend": v.can_extend and v.can_end_now,
        "btn_extend": t(m, "btn.extend_parking"),
        "btn_end": t(m, "btn.end_now"),
        "btn_navigate": t(m, "btn.navigate"),
        "has_receipt": any(p.status in _RECEIPTED for p in v.payments),
        "btn_receipt": t(m, "btn.receipt"),
        "premise_id": v.premise.id,
        "can_calendar": r.status in IN_CALENDAR and svc.clock.now() < r.ends_at,
        "btn_calendar": t(m, "btn.add_to_calendar"),
        "can_review": can_review,
        "btn_review": t(m, "btn.edit_review") if review is not None else t(m, "btn.rate_stay"),
        "can_book_again": r.status in _OVER,
        "btn_book_again": t(m, "btn.book_again"),
    }


async def on_lower(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    svc, who = services(manager), caller(manager)
    if svc.arrival is None:
        await callback.answer(t(manager, "lower.no_blocker"), show_alert=True)
        return

    async def started() -> None:
        await callback.answer()
        if callback.message is not None and hasattr(callback.message, "edit_text"):
            await callback.message.edit_text(t(manager, "lower.progress"))  # while the device moves

    arrival = await svc.arrival.lower(_reservation_id(manager), who.user_id, started=started)
    if arrival.offer is not None:
        # The bay is blocked: "Move me" / "Refund me" in one message of its own below the screen
        # (its buttons work whatever this screen shows next).
        bot: Bot = manager.middleware_data["bot"]
        await bot.send_message(
            who.telegram_id,
            offer_text(who.lang, arrival.offer),
            reply_markup=offer_keyboard(who.lang, arrival.offer),
        )
        manager.dialog_data["notice"] = t(manager, "bay_blocked.see_below")
        return
    if arrival.repeated:
        # A repeated tap: the lowering already under way (or done) answers for it.
        await callback.answer(outcome_text(who.lang, arrival))
        return
    manager.dialog_data["notice"] = outcome_text(who.lang, arrival)


async def on_share(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """A new guest pass for this booking: its link is shown once (only its hash is kept)."""
    svc, who = services(manager), caller(manager)
    try:
        link = await svc.guests.share(owner_id=who.user_id, reservation_id=_reservation_id(manager))
    except DomainError as exc:
        await explain(callback, manager, exc)
        return
    bot: Bot = manager.middleware_data["bot"]
    me = await bot.me()
    manager.dialog_data["guest_link"] = f"https://t.me/{me.username}?start={guests.PREFIX}{link.token}"
    await manager.switch_to(BookingsSG.share)


async def on_revoke_guest(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    svc, who = services(manager), caller(manager)
    reservation_id = _reservation_id(manager)
    try:
        await svc.guests.revoke(owner_id=who.user_id, reservation_id=reservation_id)
    except DomainError as exc:
        await explain(callback, manager, exc)
        return
    manager.dialog_data.pop("guest_link", None)
    manager.dialog_data["notice"] = t(manager, "guest.revoked", id=reservation_id)
    await manager.switch_to(BookingsSG.detail)


async def share_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    v = await svc.booking.details(user_id=caller(m).user_id, reservation_id=_reservation_id(m))
    r = v.reservation
    count = await svc.guests.shared_count(owner_id=caller(m).user_id, reservation_id=r.id)
    opens = r.starts_at - timedelta(minutes=svc.settings.early_arrival_minutes)
    text = t(
        m,
        "guest.share",
        id=r.id,
        spot=v.spot.label,
        opens=fmt.stamp(caller(m).lang, opens, v.premise.timezone),
        link=m.dialog_data.get("guest_link", ""),
    )
    return {
        "text": Raw(f"{text}\n\n{t(m, 'guest.shared_count', count=count)}"),
        "can_sms": svc.settings.sms_enabled,  # a pass by SMS needs Twilio
        "btn_sms": t(m, "btn.share_sms"),
        "btn_revoke_guest": t(m, "btn.revoke_guest"),
        "ask": t(m, "guest.ask_phone"),
    }


async def on_guest_phone(message: Message, _: MessageInput, manager: DialogManager) -> None:
    svc, who = services(manager), caller(manager)
    try:
        phone = await svc.guests.share_by_sms(
            owner_id=who.user_id, reservation_id=_reservation_id(manager), phone=message.text or ""
        )
    except InvalidPhone:
        show_hint(manager, t(manager, "guest.phone_invalid"))
        return
    except DomainError as exc:
        show_hint(manager, refusal_text(who.lang, exc))
        return
    manager.dialog_data["notice"] = t(manager, "guest.sms_sent", phone=phone)
    await manager.switch_to(BookingsSG.detail, show_mode=ShowMode.SEND)


async def waitlist_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    lang = caller(m).lang
    wishes = await svc.waitlist.mine(caller(m).user_id)
    items = []
    for w in wishes:
        start = fmt.local(w.starts_at, w.timezone)
        text = label(m, "waitlist.item", start=f"{fmt.day(lang, start)} {start:%H:%M}", name=w.premise_name)
        items.append((w.id, text[:MAX_LABEL]))
    title = t(m, "waitlist.title")
    notice = m.dialog_data.pop("notice", None)
    body = t(m, "waitlist.intro") if items else t(m, "waitlist.empty")
    return {"text": Raw("\n\n".join(x for x in (notice, title, body) if x)), "wishes": items}


async def on_wish(callback: CallbackQuery, _: Any, manager: DialogManager, wish_id: int) -> None:
    try:
        await services(manager).waitlist.cancel(user_id=caller(manager).user_id, wish_id=int(wish_id))
    except DomainError as exc:
        await explain(callback, manager, exc)
        return
    manager.dialog_data["notice"] = t(manager, "waitlist.withdrawn")


async def on_extend(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """The same choices as the reminder's, in a message of their own (their buttons work
    whatever this screen shows next)."""
    await offer_extensions(callback, caller(manager), services(manager), _reservation_id(manager))


async def on_pay(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """The same payment screen as when booking: wallet, saved cards, the payment page."""
    svc = services(manager)
    v = await svc.booking.details(user_id=caller(manager).user_id, reservation_id=_reservation_id(manager))
    await manager.start(BookSG.pay, data={"reservation_id": v.reservation.id, "premise_id": v.premise.id})


async def on_receipt(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """The booking's receipts as PDF documents (issued at the first tap, the same after)."""
    svc, who = services(manager), caller(manager)
    try:
        docs = await svc.receipts.for_booking(user_id=who.user_id, reservation_id=_reservation_id(manager))
    except DomainError as exc:
        await explain(callback, manager, exc)
        return
    if not docs:
        await callback.answer(t(manager, "receipt.none"), show_alert=True)
        return
    await callback.answer()
    bot: Bot = manager.middleware_data["bot"]
    await receipts.send(bot, who.telegram_id, who.lang, docs, default_tz=svc.settings.timezone)
    manager.show_mode = ShowMode.SEND  # the booking again, below the receipt


async def on_navigate(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    data = await detail_getter(manager)
    await send_venue(manager, callback, data["premise_id"])


async def on_calendar(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """The booking as an .ics file, in a message of its own below the screen."""
    refused = await send_calendar(
        manager.middleware_data["bot"], services(manager), caller(manager), _reservation_id(manager)
    )
    await callback.answer(refused, show_alert=refused is not None)
    # The file is a new message below the dialog; keep the dialog as the last message.
    manager.show_mode = ShowMode.DELETE_AND_SEND


async def on_review(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await manager.start(ReviewSG.stars, data={"reservation_id": _reservation_id(manager)})


async def on_book_again(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await book_again(callback, manager, _reservation_id(manager))


async def cancel_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    v = await svc.booking.details(user_id=caller(m).user_id, reservation_id=_reservation_id(m))
    r = v.reservation
    return {
        "text": t(
            m, "cancel.confirm", id=r.id, refund=refund_text(m, v.refund_wallet, v.refund_card, r.currency)
        )
        if v.can_cancel
        else t(m, "cancel.too_late"),
        "can_cancel": v.can_cancel,
        "btn_yes": t(m, "btn.yes_cancel"),
        "btn_no": t(m, "btn.no_keep"),
    }


def refund_text(m: DialogManager, wallet: int, card: int, currency: str, *, done: bool = False) -> Raw:
    return fmt.refund(caller(m).lang, wallet, card, currency, done=done)


async def on_confirm_cancel(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    svc, who = services(manager), caller(manager)
    reservation_id = _reservation_id(manager)
    try:
        cancelled = await svc.booking.cancel(user_id=who.user_id, reservation_id=reservation_id)
    except TooLateToCancel:
        # Started meanwhile: the booking's screen offers to end it instead.
        await callback.answer(t(manager, "cancel.too_late"), show_alert=True)
        await manager.switch_to(BookingsSG.detail)
        return
    except DomainError as exc:
        await explain(callback, manager, exc)
        await manager.switch_to(BookingsSG.detail)
        return
    await callback.answer(
        t(
            manager,
            "cancel.done",
            id=reservation_id,
            refund=refund_text(
                manager, cancelled.refunded_to_wallet, cancelled.refund_to_card, cancelled.currency, done=True
            ),
        ),
        show_alert=True,
    )
    await manager.switch_to(BookingsSG.detail)


async def end_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    svc, who = services(m), caller(m)
    details = await svc.booking.details(user_id=who.user_id, reservation_id=_reservation_id(m))
    # What ending does to the time left, under the car park's setting (as when the car leaves).
    key = "end.confirm" if details.end_refunds else "end.confirm_refunds_off"
    return {
        "text": t(m, key, id=_reservation_id(m)),
        "btn_yes": t(m, "btn.yes_end"),
        "btn_no": t(m, "btn.no_keep_parking"),
    }


async def on_confirm_end(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    svc, who = services(manager), caller(manager)
    reservation_id = _reservation_id(manager)
    try:
        ended = await svc.booking.end_now(user_id=who.user_id, reservation_id=reservation_id)
    except DomainError as exc:
        await explain(callback, manager, exc)
    else:
        if ended.refund:
            amount = fmt.money(ended.refund, ended.currency)
            done = t(manager, "end.done", id=reservation_id, amount=amount, minutes=ended.unused_minutes)
        else:
            key = "end.done_no_refund" if ended.refunds_on else "end.done_refunds_off"
            done = t(manager, key, id=reservation_id)
        await callback.answer(done, show_alert=True)
    await manager.switch_to(BookingsSG.detail)


async def on_keep(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    if _return_on_keep(manager):
        await manager.done()  # back to the screen it was opened from
    else:
        await manager.switch_to(BookingsSG.detail)


def _opened_for_one_booking(manager: DialogManager) -> bool:
    return isinstance(manager.start_data, dict) and "reservation_id" in manager.start_data


def _return_on_keep(manager: DialogManager) -> bool:
    """Opened on top of another screen (the booking confirmation), which "keep" goes back to."""
    return isinstance(manager.start_data, dict) and bool(manager.start_data.get("return_on_keep"))


def bookings_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{title}"),
            Row(choice("tab", "tabs", on_tab)),
            Column(choice("booking", "items", on_booking, type_factory=int)),
            Row(
                Button(Format("{btn_prev}"), id="prev", on_click=on_page, when="has_prev"),
                Button(Format("{btn_more}"), id="next", on_click=on_page, when="has_next"),
            ),
            Start(Format("{btn_my_reviews}"), id="my_reviews", state=ReviewSG.mine, when="past"),
            SwitchTo(
                Format("{btn_my_waitlist}"), id="my_waitlist", state=BookingsSG.waitlist, when="has_wishes"
            ),
            Start(Format("{btn_menu}"), id="menu", state=MenuSG.main, mode=StartMode.RESET_STACK),
            unexpected_input(),
            state=BookingsSG.list,
            getter=list_getter,
        ),
        Window(
            Format("{notice}\n", when="notice"),
            Format("{text}"),
            Button(Format("{btn_lower}"), id="lower", on_click=on_lower, when="can_lower"),
            Button(Format("{btn_pay}"), id="pay", on_click=on_pay, when="can_pay"),
            SwitchTo(Format("{btn_cancel_booking}"), id="cancel", state=BookingsSG.cancel, when="can_cancel"),
            Row(
                SwitchTo(Format("{btn_end}"), id="end", state=BookingsSG.end, when="can_end"),
                Button(Format("{btn_extend}"), id="extend", on_click=on_extend, when="can_extend"),
            ),
            Button(Format("{btn_calendar}"), id="calendar", on_click=on_calendar, when="can_calendar"),
            Button(Format("{btn_review}"), id="review", on_click=on_review, when="can_review"),
            Button(Format("{btn_book_again}"), id="again", on_click=on_book_again, when="can_book_again"),
            Button(Format("{btn_receipt}"), id="receipt", on_click=on_receipt, when="has_receipt"),
            Button(Format("{btn_share}"), id="share", on_click=on_share, when="can_share"),
            Button(
                Format("{btn_revoke_guest}"), id="revoke_guest", on_click=on_revoke_guest, when="is_shared"
            ),
            Button(Format("{btn_navigate}"), id="navigate", on_click=on_navigate),
            SwitchTo(Format("{btn_back}"), id="back", state=BookingsSG.list),
            unexpected_input(),
            state=BookingsSG.detail,
            getter=detail_getter,
        ),
        Window(
            Format("{text}"),
            Row(
                Button(Format("{btn_yes}"), id="yes", on_click=on_confirm_cancel, when="can_cancel"),
                Button(Format("{btn_no}"), id="no", on_click=on_keep),
            ),
            unexpected_input(),
            state=BookingsSG.cancel,
            getter=cancel_getter,
        ),
        Window(
            Format("{text}"),
            Row(
                Button(Format("{btn_yes}"), id="yes_end", on_click=on_confirm_end),
                SwitchTo(Format("{btn_no}"), id="no_end", state=BookingsSG.detail),
            ),
            unexpected_input(),
            state=BookingsSG.end,
            getter=end_getter,
        ),
        Window(
            Format("{text}"),
            SwitchTo(Format("{btn_sms}"), id="share_sms", state=BookingsSG.share_phone, when="can_sms"),
            Button(Format("{btn_revoke_guest}"), id="revoke_share", on_click=on_revoke_guest),
            SwitchTo(Format("{btn_back}"), id="back_share", state=BookingsSG.detail),
            unexpected_input(),
            state=BookingsSG.share,
            getter=share_getter,
        ),
        Window(
            Format("{ask}"),
            MessageInput(on_guest_phone),
            SwitchTo(Format("{btn_back}"), id="back_phone", state=BookingsSG.detail),
            state=BookingsSG.share_phone,
            getter=share_getter,
        ),
        Window(
            Format("{text}"),
            Column(choice("wish", "wishes", on_wish, type_factory=int)),
            SwitchTo(Format("{btn_back}"), id="back_wishes", state=BookingsSG.list),
            unexpected_input(),
            state=BookingsSG.waitlist,
            getter=waitlist_getter,
        ),
    )
