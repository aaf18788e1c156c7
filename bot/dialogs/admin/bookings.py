"""The console's Bookings section (DESIGN.md §11, MANAGE_BOOKINGS; refunds REFUND): find a
booking by its number or the driver's phone, or in a car park's list of today's and the coming
days' bookings; its screen, its whole history (paged), and the support actions: refund (all or
a typed amount), end now, extend for free, move to a chosen free spot, cancel. Each action
asks for a reason (a preset or typed) and a confirmation; the use case
(core/usecases/admin_bookings.py) checks the caller's role at the booking's premise again on
every tap, so a forged button is refused there (and audited), not merely hidden here.
"""

from __future__ import annotations

import uuid
from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Group, Row, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot import format as fmt
from bot.dialogs.common import (
    caller,
    choice,
    explain,
    label,
    paged_choice,
    refusal_text,
    services,
    show_hint,
    t,
    text_input,
    unexpected_input,
)
from bot.i18n import CATALOGS, DEFAULT_LANGUAGE, Raw, tr
from core.errors import DomainError, InvalidPhone, NotFound, RefundTooLarge
from core.models import PaymentStatus, ReservationStatus
from core.money import parse_amount
from core.permissions import Permission
from core.usecases.admin_bookings import FREE_EXTENSIONS, BookingAdminUseCases, BookingCard, Event

__all__ = ["ConsoleBookingsSG", "bookings_admin_dialog"]

PRESET_REASONS = ("blocker", "bay_blocked", "driver_asked", "billing", "goodwill")
ACTIONS = ("refund", "end", "extend", "move", "cancel")
LIST_LIMIT = 100  # a premise's list, shown 8 a page


class ConsoleBookingsSG(StatesGroup):
    find = State()  # type a number or a phone, or pick a car park
    found = State()  # a search's bookings, or a car park's list
    booking = State()  # one booking: its actions
    history = State()
    refund_amount = State()
    extend_minutes = State()
    move_spot = State()
    reason = State()
    confirm = State()


def _uc(manager: DialogManager) -> BookingAdminUseCases:
    return services(manager).admin_bookings


def _rid(manager: DialogManager) -> int:
    """The booking on screen. Other sections open one directly with
    `manager.start(ConsoleBookingsSG.booking, data={"reservation_id": id})`."""
    if "rid" not in manager.dialog_data and isinstance(manager.start_data, dict):
        manager.dialog_data["rid"] = int(manager.start_data["reservation_id"])
    return int(manager.dialog_data["rid"])


def _id(item: str) -> int:
    if not item.isdigit():
        raise NotFound(f"button {item[:20]!r}")
    return int(item)


def _refused(manager: DialogManager, error: DomainError) -> None:
    show_hint(manager, t(manager, "admin.bookings_refused", why=refusal_text(caller(manager).lang, error)))


def _item(manager: DialogManager, card: BookingCard) -> tuple[str, str]:
    """A booking as a list button: number, start in the premise's zone, spot, status."""
    lang = caller(manager).lang
    start = fmt.local(card.starts_at, card.timezone)
    when = f"{fmt.day(lang, start)} {start:%H:%M}"
    status = tr(lang, f"status.{card.status.value}").split(" ")[0]
    return str(card.reservation_id), f"#{card.reservation_id} · {when} · {card.spot_label} · {status}"


# ---------------------------------------------------------------------- finding
async def find_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    premises = await services(m).admin.premises_of(caller(m).user_id)
    return {
        "title": t(m, "admin.bookings_find"),
        "premises": [(str(p.premise_id), label(m, "admin.bookings_premise", name=p.name)) for p in premises],
    }


async def on_query(message: Message, _: MessageInput, manager: DialogManager) -> None:
    query = (message.text or "").strip()
    try:
        found = await _uc(manager).find(caller(manager).user_id, query)
    except InvalidPhone:
        show_hint(manager, t(manager, "admin.bookings_bad_query"))
        return
    except DomainError as error:
        _refused(manager, error)
        return
    if not found:
        show_hint(manager, t(manager, "admin.bookings_none", query=query[:40]))
        return
    if len(found) == 1:
        manager.dialog_data.update(rid=found[0].reservation_id, back="find")
        await manager.switch_to(ConsoleBookingsSG.booking)
        return
    manager.dialog_data.update(found=[c.reservation_id for c in found], premise=None, query=query[:40])
    await manager.switch_to(ConsoleBookingsSG.found)


async def on_premise(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        await _uc(manager).premise_bookings(caller(manager).user_id, _id(item), limit=1)
    except DomainError as error:
        await explain(callback, manager, error)
        return
    manager.dialog_data.update(premise=int(item), found=None)
    await manager.switch_to(ConsoleBookingsSG.found)


async def found_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    uc, who = _uc(m), caller(m).user_id
    try:
        if m.dialog_data.get("premise") is not None:
            listed = await uc.premise_bookings(who, int(m.dialog_data["premise"]), limit=LIST_LIMIT)
            cards = listed.bookings
            title = t(
                m,
                "admin.bookings_list",
                name=listed.premise_name,
                count=listed.total,
                days=7,
                tz=listed.timezone,
            )
        else:
            cards = [await uc.booking(who, rid) for rid in m.dialog_data.get("found") or []]
            title = t(m, "admin.bookings_found", count=len(cards), query=m.dialog_data.get("query", ""))
    except DomainError:
        return {"title": t(m, "admin.refused"), "bookings": []}
    return {"title": title, "bookings": [_item(m, c) for c in cards]}


async def on_booking(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        card = await _uc(manager).booking(caller(manager).user_id, _id(item))
    except DomainError as error:
        await explain(callback, manager, error)
        return
    manager.dialog_data.update(rid=card.reservation_id, back="found")
    await manager.switch_to(ConsoleBookingsSG.booking)


# ---------------------------------------------------------------------- a booking
def _where(manager: DialogManager, wallet: int, card: int, currency: str) -> Raw:
    """Where refunded money went, as the staff read it."""
    parts = []
    if wallet:
        parts.append(t(manager, "admin.refund_to_wallet", amount=fmt.money(wallet, currency)))
    if card:
        parts.append(t(manager, "admin.refund_to_card", amount=fmt.money(card, currency)))
    return Raw(" ".join(parts) or t(manager, "admin.refund_to_nothing"))


def _money_line(manager: DialogManager, card: BookingCard) -> Raw:
    if not card.paid:
        return t(manager, "admin.booking_unpaid", price=fmt.money(card.price, card.currency))
    return t(
        manager,
        "admin.booking_money",
        price=fmt.money(card.price, card.currency),
        paid=fmt.money(card.paid, card.currency),
        refunded=fmt.money(card.refunded, card.currency),
    )


async def booking_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    lang, who = caller(m).lang, caller(m).user_id
    try:
        card = await _uc(m).booking(who, _rid(m))
        console = await services(m).admin.console(who, card.premise_id)
    except DomainError:
        return {"title": t(m, "admin.refused"), "actions": []}
    can = BookingAdminUseCases.can(card, services(m).clock.now())
    can["refund"] = can["refund"] and Permission.REFUND in console.permissions
    paid = card.status is not ReservationStatus.PENDING_PAYMENT
    can["cancel"] = can["cancel"] and (not paid or Permission.REFUND in console.permissions)
    return {
        "title": t(
            m,
            "admin.booking",
            id=card.reservation_id,
            status=t(m, f"status.{card.status.value}"),
            name=card.premise_name,
            spot=card.spot_label,
            window=fmt.window(card.starts_at, card.ends_at, card.timezone, lang),
            tz=card.timezone,
            driver=card.driver_name or "–",
            phone=card.driver_phone or "",
            money=_money_line(m, card),
        ),
        "actions": [(a, label(m, f"admin.btn_booking.{a}")) for a in ACTIONS if can[a]],
        "btn_history": t(m, "admin.btn_booking_history"),
    }


async def on_action(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    """An action's first step; the use case is asked at once, so a refused (or forged) tap is
    answered here."""
    uc, who, rid = _uc(manager), caller(manager).user_id, _rid(manager)
    manager.dialog_data.update(action=item, amount=None, minutes=None, spot=None, reason=None)
    try:
        if item == "refund":
            await uc.refund_quote(who, rid)
            await manager.switch_to(ConsoleBookingsSG.refund_amount)
        elif item == "extend":
            await uc.booking(who, rid)
            await manager.switch_to(ConsoleBookingsSG.extend_minutes)
        elif item == "move":
            await uc.free_spots(who, rid)
            await manager.switch_to(ConsoleBookingsSG.move_spot)
        elif item in ("end", "cancel"):
            await uc.booking(who, rid)
            await manager.switch_to(ConsoleBookingsSG.reason)
        else:
            raise NotFound(f"button {item[:20]!r}")
    except DomainError as error:
        await explain(callback, manager, error)


async def on_booking_back(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    back = manager.dialog_data.get("back")
    if back is None and isinstance(manager.start_data, dict):  # opened from another section
        await manager.done()
        return
    await manager.switch_to(ConsoleBookingsSG.found if back == "found" else ConsoleBookingsSG.find)


# ---------------------------------------------------------------------- history
def _event_text(lang: str, event: Event, tz: str) -> str:
    """One history line in the operator's words. Methods, statuses and codes go through texts
    that choose by value (admin.payment_status and its kin); a value, or a whole kind of
    event, this version has no words for is shown as it is stored, never an error."""
    v = dict(event.values)
    kind = event.kind
    if f"admin.history.{kind}" not in CATALOGS[DEFAULT_LANGUAGE]:
        return tr(lang, "admin.history.other", kind=kind)
    currency = str(v.get("currency", ""))
    if "amount" in v:
        v["amount"] = fmt.money(int(v["amount"]), currency)
    if "price" in v:
        v["price"] = fmt.money(int(v["price"]), currency)
    if kind == "payment":
        refunded = int(v.pop("refunded", 0) or 0)
        status = str(v.get("status", ""))
        if status == PaymentStatus.SUCCEEDED and refunded:
            status = "partly_refunded"
        v["method"] = tr(lang, "admin.payment_method", method=str(v.get("method", "")))
        v["status"] = tr(lang, "admin.payment_status", status=status, refunded=fmt.money(refunded, currency))
    elif "method" in v:  # a refund: back to where the money came from
        v["method"] = tr(lang, "admin.refund_to", method=str(v["method"]))
    if kind == "refund":
        v["status"] = tr(lang, "admin.refund_status", status=str(v.get("status", "")))
    if kind in ("extension", "extension_failed"):
        v["until"] = fmt.clock_time(v["until"], tz)
        v["status"] = tr(lang, "admin.extension_status", status=str(v.get("status", "")))
    if kind == "admin_blocker_failed":
        v["status"] = tr(lang, "admin.lower_failure", status=str(v.get("status", "")))
    if kind == "notification":
        # "✉️ Booking confirmed · SMS: sent at 11:10": a kind or a status this version has no
        # words for shows as it is stored (the texts' default variant), never an error.
        sent = v.get("sent_at")
        v["kind"] = tr(lang, "admin.notification_kind", kind=str(v.get("kind", "")))
        v["status"] = tr(
            lang,
            "admin.notification_status",
            status=str(v.get("status", "")),
            sent=fmt.clock_time(sent, tz) if sent is not None else "–",
        )
    if kind == "closed":
        status = str(v.get("status", ""))
        v["status"] = (
            tr(lang, f"status.{status}") if f"status.{status}" in CATALOGS[DEFAULT_LANGUAGE] else status
        )
        v["no_show"] = "yes" if v.get("no_show") else "no"
    if kind == "audit":
        ok = bool(v.pop("ok"))
        v["mark"] = "✅" if ok else "⛔"
        v["who"] = v.get("who") or tr(lang, "admin.audit_cli")
        v["action"] = fmt.audit_action(lang, str(v.get("action", "")))
        detail = str(v.get("detail") or "")[:60]
        if not ok and detail:  # why it was refused: the rules' code ("refund_too_large")
            words = tr(lang, "admin.audit_refusal", code=detail.split(":")[0], raw=detail)
            v["detail"] = Raw(f" ({words})")
        else:  # the reason typed or chosen
            v["detail"] = f" ({detail})" if detail else ""
    v.pop("currency", None)
    v.pop("sent_at", None)
    return tr(lang, f"admin.history.{kind}", **{k: "" if x is None else x for k, x in v.items()})


async def history_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    lang = caller(m).lang
    try:
        page = await _uc(m).history(caller(m).user_id, _rid(m), int(m.dialog_data.get("offset", 0)))
    except DomainError:
        return {"title": t(m, "admin.refused"), "has_prev": False, "has_next": False}
    tz = page.booking.timezone
    lines = [f"{fmt.stamp(lang, e.at, tz)} {_event_text(lang, e, tz)}" for e in page.events]
    return {
        "title": t(
            m,
            "admin.booking_history",
            id=page.booking.reservation_id,
            tz=tz,
            first=page.offset + 1,
            last=page.offset + len(page.events),
            count=page.total,
            lines=Raw("\n".join(lines)),
        ),
        "has_prev": page.offset > 0,
        "has_next": page.offset + page.limit < page.total,
    }


async def on_history_page(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    step = -1 if button.widget_id == "prev" else 1
    offset = int(manager.dialog_data.get("offset", 0)) + step * 12
    manager.dialog_data["offset"] = max(0, offset)


async def on_history(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    manager.dialog_data["offset"] = 0
    await manager.switch_to(ConsoleBookingsSG.history)


# ---------------------------------------------------------------------- the action's details
async def amount_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    try:
        card = await _uc(m).refund_quote(caller(m).user_id, _rid(m))
    except DomainError:
        return {"title": t(m, "admin.refused"), "btn_all": ""}
    left = fmt.money(card.refundable, card.currency)
    return {
        "title": t(
            m,
            "admin.refund_amount",
            id=card.reservation_id,
            paid=fmt.money(card.paid, card.currency),
            refunded=fmt.money(card.refunded, card.currency),
            left=left,
        ),
        "btn_all": t(m, "admin.btn_refund_all", amount=left) if card.refundable > 0 else "",
    }


async def on_amount(message: Message, _: MessageInput, manager: DialogManager) -> None:
    try:
        card = await _uc(manager).refund_quote(caller(manager).user_id, _rid(manager))
    except DomainError as error:
        _refused(manager, error)
        return
    try:
        amount = parse_amount(message.text or "", card.currency)
    except ValueError:
        amount = 0
    if amount <= 0:
        show_hint(manager, t(manager, "admin.refund_bad_amount"))
        return
    if amount > card.refundable:  # said now; the use case refuses it again under its lock
        _refused(manager, RefundTooLarge(card.refundable, card.currency))
        return
    manager.dialog_data["amount"] = amount
    await manager.switch_to(ConsoleBookingsSG.reason)


async def on_refund_all(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    try:
        card = await _uc(manager).refund_quote(caller(manager).user_id, _rid(manager))
    except DomainError as error:
        await explain(callback, manager, error)
        return
    manager.dialog_data["amount"] = card.refundable
    await manager.switch_to(ConsoleBookingsSG.reason)


async def minutes_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    lang = caller(m).lang
    try:
        card = await _uc(m).booking(caller(m).user_id, _rid(m))
    except DomainError:
        return {"title": t(m, "admin.refused"), "options": []}
    return {
        "title": t(
            m,
            "admin.extend_minutes",
            id=card.reservation_id,
            until=fmt.clock_time(card.ends_at, card.timezone),
        ),
        "options": [
            (str(n), label(m, "admin.btn_extend_by", duration=fmt.duration(lang, n))) for n in FREE_EXTENSIONS
        ],
    }


async def on_minutes(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    if not item.isdigit() or int(item) not in FREE_EXTENSIONS:
        await explain(callback, manager, NotFound(f"button {item[:20]!r}"))
        return
    manager.dialog_data["minutes"] = int(item)
    await manager.switch_to(ConsoleBookingsSG.reason)


async def spots_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    try:
        card = await _uc(m).booking(caller(m).user_id, _rid(m))
        free = await _uc(m).free_spots(caller(m).user_id, _rid(m))
    except DomainError:
        return {"title": t(m, "admin.refused"), "spots": []}
    key = "admin.move_spot" if free else "admin.move_none"
    return {
        "title": t(m, key, id=card.reservation_id, spot=card.spot_label),
        "spots": [(str(f.spot_id), f.label) for f in free],
    }


async def on_spot(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    free = await _uc(manager).free_spots(caller(manager).user_id, _rid(manager))
    chosen = next((f for f in free if str(f.spot_id) == item), None)
    if chosen is None:
        await explain(callback, manager, NotFound(f"spot {item[:20]!r}"))
        return
    manager.dialog_data.update(spot=chosen.spot_id, spot_label=chosen.label)
    await manager.switch_to(ConsoleBookingsSG.reason)


# ---------------------------------------------------------------------- reason and confirmation
async def reason_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    return {
        "title": t(
            m, "admin.booking_reason", what=t(m, f"admin.booking_what.{m.dialog_data.get('action', 'end')}")
        ),
        "reasons": [(r, label(m, f"admin.reason.{r}")) for r in PRESET_REASONS],
    }


async def _reasoned(manager: DialogManager, reason: str) -> None:
    manager.dialog_data.update(reason=reason[:200], key=uuid.uuid4().hex)
    await manager.switch_to(ConsoleBookingsSG.confirm)


async def on_preset(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    if item not in PRESET_REASONS:
        await explain(callback, manager, NotFound(f"button {item[:20]!r}"))
        return
    # The reason as the staff member read it (their language), for the audit log.
    await _reasoned(manager, label(manager, f"admin.reason.{item}").split(" ", 1)[-1])


async def on_typed_reason(message: Message, _: MessageInput, manager: DialogManager) -> None:
    reason = " ".join((message.text or "").split())
    if not reason:
        show_hint(manager, t(manager, "unknown_input"))
        return
    await _reasoned(manager, reason)


async def confirm_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    data, lang = m.dialog_data, caller(m).lang
    try:
        card = await _uc(m).booking(caller(m).user_id, _rid(m))
    except DomainError:
        return {"title": t(m, "admin.refused"), "btn_confirm": ""}
    action = str(data.get("action"))
    values: dict[str, Any] = {"id": card.reservation_id, "reason": str(data.get("reason", ""))}
    if action == "refund":
        values["amount"] = fmt.money(int(data.get("amount") or 0), card.currency)
    elif action == "extend":
        minutes = int(data.get("minutes") or 0)
        values["duration"] = fmt.duration(lang, minutes)
    elif action == "move":
        values.update(spot_from=card.spot_label, spot_to=str(data.get("spot_label", "")))
    return {
        "title": t(m, f"admin.booking_confirm.{action}", **values),
        "btn_confirm": t(m, "admin.btn_booking_confirm"),
    }


async def on_confirm(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    uc, who, rid, data = _uc(manager), caller(manager).user_id, _rid(manager), manager.dialog_data
    action, reason = str(data.get("action")), str(data.get("reason", ""))
    try:
        if action == "refund":
            done = await uc.refund(
                who, rid, int(data.get("amount") or 0), reason, request_key=data.get("key")
            )
            hint = t(
                manager,
                "admin.booking_refunded" if not done.failed else "admin.booking_refund_failed",
                amount=fmt.money(done.amount - done.failed, done.currency),
                failed=fmt.money(done.failed, done.currency),
                where=_where(manager, done.to_wallet, done.to_card - done.failed, done.currency),
            )
        elif action == "end":
            changed = await uc.end_now(who, rid, reason)
            refund = (
                _where(manager, changed.refunded_to_wallet, 0, changed.currency)
                if changed.refunded_to_wallet
                else t(manager, "admin.booking_end_no_refund")
            )
            hint = t(manager, "admin.booking_done.end", id=changed.reservation_id, refund=refund)
        elif action == "extend":
            changed = await uc.extend_free(who, rid, int(data.get("minutes") or 0), reason)
            until = fmt.clock_time(changed.ends_at, changed.timezone)
            hint = t(manager, "admin.booking_done.extend", id=changed.reservation_id, until=until)
        elif action == "move":
            changed = await uc.move(who, rid, int(data.get("spot") or 0), reason)
            hint = t(manager, "admin.booking_done.move", id=changed.reservation_id, spot=changed.spot_label)
        elif action == "cancel":
            changed = await uc.cancel(who, rid, reason)
            refund = _where(manager, changed.refunded_to_wallet, changed.refund_to_card, changed.currency)
            hint = t(manager, "admin.booking_done.cancel", id=changed.reservation_id, refund=refund)
        else:
            raise NotFound(f"action {action[:20]!r}")
    except DomainError as error:
        await callback.answer()
        _refused(manager, error)
        await manager.switch_to(ConsoleBookingsSG.booking)
        return
    await callback.answer()
    show_hint(manager, hint)
    await manager.switch_to(ConsoleBookingsSG.booking)


def bookings_admin_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    to_booking = SwitchTo(Format("{btn_back}"), id="back", state=ConsoleBookingsSG.booking)
    return Dialog(
        Window(
            Format("{title}"),
            Column(choice("premise", "premises", on_premise), when="premises"),
            Cancel(Format("{btn_back}"), id="back"),
            text_input(on_query),
            unexpected_input(),
            state=ConsoleBookingsSG.find,
            getter=find_getter,
        ),
        Window(
            Format("{title}"),
            paged_choice("booking", "bookings", on_booking, width=1, height=8, when="bookings"),
            SwitchTo(Format("{btn_back}"), id="back", state=ConsoleBookingsSG.find),
            text_input(on_query),
            unexpected_input(),
            state=ConsoleBookingsSG.found,
            getter=found_getter,
        ),
        Window(
            Format("{title}"),
            Button(Format("{btn_history}"), id="history", on_click=on_history, when="btn_history"),
            Group(choice("action", "actions", on_action), width=2, when="actions"),
            Button(Format("{btn_back}"), id="back", on_click=on_booking_back),
            unexpected_input(),
            state=ConsoleBookingsSG.booking,
            getter=booking_getter,
        ),
        Window(
            Format("{title}"),
            Row(
                Button(Format("{btn_prev}"), id="prev", on_click=on_history_page, when="has_prev"),
                Button(Format("{btn_more}"), id="next", on_click=on_history_page, when="has_next"),
            ),
            to_booking,
            unexpected_input(),
            state=ConsoleBookingsSG.history,
            getter=history_getter,
        ),
        Window(
            Format("{title}"),
            Button(Format("{btn_all}"), id="all", on_click=on_refund_all, when="btn_all"),
            to_booking,
            text_input(on_amount),
            unexpected_input(),
            state=ConsoleBookingsSG.refund_amount,
            getter=amount_getter,
        ),
        Window(
            Format("{title}"),
            Row(choice("minutes", "options", on_minutes), when="options"),
            to_booking,
            unexpected_input(),
            state=ConsoleBookingsSG.extend_minutes,
            getter=minutes_getter,
        ),
        Window(
            Format("{title}"),
            paged_choice("spot", "spots", on_spot, width=4, height=5, when="spots"),
            to_booking,
            unexpected_input(),
            state=ConsoleBookingsSG.move_spot,
            getter=spots_getter,
        ),
        Window(
            Format("{title}"),
            Column(choice("reason", "reasons", on_preset)),
            to_booking,
            text_input(on_typed_reason),
            unexpected_input(),
            state=ConsoleBookingsSG.reason,
            getter=reason_getter,
        ),
        Window(
            Format("{title}"),
            Button(Format("{btn_confirm}"), id="confirm", on_click=on_confirm, when="btn_confirm"),
            to_booking,
            unexpected_input(),
            state=ConsoleBookingsSG.confirm,
            getter=confirm_getter,
        ),
    )
