"""The console's Spots section (DESIGN.md §11, MANAGE_SPOTS): a premise's spots with their
status, adding spots by typed label or range (`A1-A20`), and one spot's screen: rename, close
with a reason (drivers are told it) and an optional reopen time, reopen; after a closing, the
bookings on the spot, each to move to a free spot or to cancel with a full refund.

A dialog of its own, started from the premise's console with the premise id; every tap calls
core/usecases/spots.py, which checks the caller's role again and refuses a spot or booking of
another premise (ids from buttons are never trusted).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Group, Row, SwitchTo
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
    started_premise,
    t,
    text_input,
    typed_window,
    unexpected_input,
)
from bot.i18n import Raw, tr
from core.errors import DomainError, NotFound
from core.usecases.spots import MAX_NEW_SPOTS, SpotList, SpotView

__all__ = ["SpotsSG", "spots_dialog"]

# How a typed reopen time is written (in the premise's zone).
REOPEN_FORMAT, REOPEN_EXAMPLE = "%Y-%m-%d %H:%M", "2026-12-01 18:00"


class SpotsSG(StatesGroup):
    spots = State()  # the list, with "Add spots"
    add = State()  # typing labels or a range
    spot = State()  # one spot: rename, close, reopen
    rename = State()
    close_reason = State()
    close_until = State()
    bookings = State()  # a closed spot's bookings: move or cancel each


def _spot_id(manager: DialogManager) -> int:
    return int(manager.dialog_data["spot_id"])


def _id(item: str) -> int:
    if not item.isdigit():
        raise NotFound(f"button {item[:20]!r}")
    return int(item)


def _hint_refusal(manager: DialogManager, error: DomainError) -> None:
    show_hint(manager, t(manager, "admin.spots_refused", why=refusal_text(caller(manager).lang, error)))


def _status(manager: DialogManager, spot: SpotView, tz: str) -> Raw:
    if spot.is_active:
        return t(manager, "admin.spot_open")
    until = fmt.stamp(caller(manager).lang, spot.closed_until, tz) if spot.closed_until else ""
    return t(manager, "admin.spot_closed", reason=spot.closed_reason or "", until=until or "none")


# ---------------------------------------------------------------------- the list
async def spots_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    try:
        found: SpotList = await services(m).spots.spots(caller(m).user_id, started_premise(m))
    except DomainError:
        return {"title": t(m, "admin.refused"), "spots": [], "btn_add": ""}
    closed = [s for s in found.spots if not s.is_active]
    lines = [
        tr(caller(m).lang, "admin.spot_line", label=s.label, status=_status(m, s, found.timezone))
        for s in closed
    ]
    return {
        "title": t(
            m,
            "admin.spots",
            name=found.premise_name,
            count=len(found.spots),
            closed=len(closed),
            lines=Raw("".join("\n" + line for line in lines)),
        ),
        "spots": [(str(s.spot_id), s.label if s.is_active else f"⛔ {s.label}") for s in found.spots],
        "btn_add": t(m, "admin.btn_add_spots"),
    }


async def on_spot(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        spot = await services(manager).spots.spot(
            caller(manager).user_id, started_premise(manager), _id(item)
        )
    except DomainError as error:
        await explain(callback, manager, error)
        return
    manager.dialog_data["spot_id"] = spot.spot_id
    await manager.switch_to(SpotsSG.spot)


# ---------------------------------------------------------------------- adding
async def add_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {"title": t(dialog_manager, "admin.spots_add", most=MAX_NEW_SPOTS)}


async def on_labels(message: Message, _: MessageInput, manager: DialogManager) -> None:
    try:
        added = await services(manager).spots.add_spots(
            caller(manager).user_id, started_premise(manager), message.text or ""
        )
    except DomainError as error:
        _hint_refusal(manager, error)
        return
    show_hint(manager, t(manager, "admin.spots_added", count=len(added)))
    await manager.switch_to(SpotsSG.spots)


# ---------------------------------------------------------------------- a spot
async def spot_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    uc, who, premise_id = services(m).spots, caller(m).user_id, started_premise(m)
    try:
        found = await uc.spots(who, premise_id)
        spot = await uc.spot(who, premise_id, _spot_id(m))
        bookings = await uc.affected_bookings(who, premise_id, spot.spot_id)
    except DomainError:
        return {"title": t(m, "admin.refused"), "is_open": False, "is_closed": False, "has_bookings": False}
    return {
        "title": t(
            m,
            "admin.spot",
            label=spot.label,
            name=found.premise_name,
            status=_status(m, spot, found.timezone),
        ),
        "is_open": spot.is_active,
        "is_closed": not spot.is_active,
        "has_bookings": bool(bookings),
        "btn_rename": t(m, "admin.btn_spot_rename"),
        "btn_close": t(m, "admin.btn_spot_close"),
        "btn_reopen": t(m, "admin.btn_spot_reopen"),
        "btn_bookings": t(m, "admin.btn_spot_bookings", count=len(bookings)),
    }


async def on_reopen(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    try:
        spot = await services(manager).spots.reopen_spot(
            caller(manager).user_id, started_premise(manager), _spot_id(manager)
        )
    except DomainError as error:
        await explain(callback, manager, error)
        return
    await callback.answer(label(manager, "admin.spot_reopened", label=spot.label))


async def rename_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {"title": t(dialog_manager, "admin.spot_rename")}


async def on_new_label(message: Message, _: MessageInput, manager: DialogManager) -> None:
    try:
        await services(manager).spots.rename_spot(
            caller(manager).user_id, started_premise(manager), _spot_id(manager), message.text or ""
        )
    except DomainError as error:
        _hint_refusal(manager, error)
        return
    await manager.switch_to(SpotsSG.spot)


# ---------------------------------------------------------------------- closing
async def reason_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {"title": t(dialog_manager, "admin.spot_close_reason")}


async def on_reason(message: Message, _: MessageInput, manager: DialogManager) -> None:
    reason = " ".join((message.text or "").split())
    if not reason:
        show_hint(manager, t(manager, "unknown_input"))
        return
    manager.dialog_data["reason"] = reason[:200]
    await manager.switch_to(SpotsSG.close_until)


async def until_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    return {
        "title": t(m, "admin.spot_close_until", example=REOPEN_EXAMPLE),
        "btn_no_until": t(m, "admin.btn_spot_no_until"),
    }


async def _close(manager: DialogManager, reopen_at: datetime | None) -> DomainError | None:
    try:
        closed = await services(manager).spots.close_spot(
            caller(manager).user_id,
            started_premise(manager),
            _spot_id(manager),
            str(manager.dialog_data.get("reason", "")),
            reopen_at,
        )
    except DomainError as error:
        return error
    count = len(closed.bookings)
    show_hint(manager, t(manager, "admin.spot_closed_now", label=closed.spot.label, count=count))
    await manager.switch_to(SpotsSG.bookings if closed.bookings else SpotsSG.spot)
    return None


async def on_until(message: Message, _: MessageInput, manager: DialogManager) -> None:
    try:
        found = await services(manager).spots.spots(caller(manager).user_id, started_premise(manager))
        # The premise's wall-clock time, made aware right below.
        local = datetime.strptime((message.text or "").strip(), REOPEN_FORMAT)  # noqa: DTZ007
    except DomainError as error:
        _hint_refusal(manager, error)
        return
    except ValueError:
        show_hint(manager, t(manager, "admin.spot_bad_time", example=REOPEN_EXAMPLE))
        return
    refused = await _close(manager, local.replace(tzinfo=ZoneInfo(found.timezone)))
    if refused is not None:
        _hint_refusal(manager, refused)


async def on_no_until(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    refused = await _close(manager, None)
    if refused is not None:
        await explain(callback, manager, refused)


# ---------------------------------------------------------------------- the bookings
async def bookings_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    uc, who, premise_id, lang = services(m).spots, caller(m).user_id, started_premise(m), caller(m).lang
    try:
        found = await uc.spots(who, premise_id)
        spot = await uc.spot(who, premise_id, _spot_id(m))
        bookings = await uc.affected_bookings(who, premise_id, spot.spot_id)
    except DomainError:
        return {"title": t(m, "admin.refused"), "actions": []}
    return {
        "title": t(
            m,
            "admin.spot_bookings",
            label=spot.label,
            count=len(bookings),
            lines=fmt.booking_lines(lang, bookings, found.timezone),
        ),
        # A row a booking: "Move" and "Cancel & refund" (the item says which, then the id).
        "actions": [
            item
            for b in bookings
            for item in (
                (f"move:{b.reservation_id}", label(m, "admin.btn_move", id=b.reservation_id)),
                (f"cancel:{b.reservation_id}", label(m, "admin.btn_cancel_refund", id=b.reservation_id)),
            )
        ],
    }


async def on_booking_action(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    uc, who, premise_id = services(manager).spots, caller(manager).user_id, started_premise(manager)
    action, _sep, rest = item.partition(":")
    try:
        if action == "move":
            moved = await uc.move_booking(who, premise_id, _id(rest))
            answer = label(manager, "admin.booking_moved", id=moved.reservation_id, spot=moved.to_label)
        elif action == "cancel":
            done = await uc.cancel_booking_as_operator(who, premise_id, _id(rest))
            refund = fmt.money(done.refunded_to_wallet + done.refund_to_card, done.currency)
            answer = label(manager, "admin.booking_cancelled", id=done.reservation_id, refund=refund)
        else:
            raise NotFound(f"button {item[:20]!r}")
    except DomainError as error:
        await explain(callback, manager, error)
        return
    await callback.answer(answer, show_alert=True)


def spots_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{title}"),
            paged_choice("spot", "spots", on_spot, width=4, height=6, when="spots"),
            SwitchTo(Format("{btn_add}"), id="add", state=SpotsSG.add, when="btn_add"),
            Cancel(Format("{btn_back}"), id="back"),
            unexpected_input(),
            state=SpotsSG.spots,
            getter=spots_getter,
        ),
        typed_window(SpotsSG.add, back=SpotsSG.spots, on_text=on_labels, getter=add_getter),
        Window(
            Format("{title}"),
            SwitchTo(Format("{btn_bookings}"), id="bookings", state=SpotsSG.bookings, when="has_bookings"),
            Row(
                SwitchTo(Format("{btn_rename}"), id="rename", state=SpotsSG.rename, when="is_open"),
                SwitchTo(Format("{btn_close}"), id="close", state=SpotsSG.close_reason, when="is_open"),
            ),
            Row(
                SwitchTo(Format("{btn_rename}"), id="rename_closed", state=SpotsSG.rename, when="is_closed"),
                Button(Format("{btn_reopen}"), id="reopen", on_click=on_reopen, when="is_closed"),
            ),
            SwitchTo(Format("{btn_back}"), id="back", state=SpotsSG.spots),
            unexpected_input(),
            state=SpotsSG.spot,
            getter=spot_getter,
        ),
        typed_window(SpotsSG.rename, back=SpotsSG.spot, on_text=on_new_label, getter=rename_getter),
        typed_window(SpotsSG.close_reason, back=SpotsSG.spot, on_text=on_reason, getter=reason_getter),
        Window(
            Format("{title}"),
            Button(Format("{btn_no_until}"), id="no_until", on_click=on_no_until),
            SwitchTo(Format("{btn_back}"), id="back", state=SpotsSG.close_reason),
            text_input(on_until),
            unexpected_input(),
            state=SpotsSG.close_until,
            getter=until_getter,
        ),
        Window(
            Format("{title}"),
            Group(choice("booking", "actions", on_booking_action), width=2, when="actions"),
            SwitchTo(Format("{btn_back}"), id="back", state=SpotsSG.spot),
            unexpected_input(),
            state=SpotsSG.bookings,
            getter=bookings_getter,
        ),
    )
