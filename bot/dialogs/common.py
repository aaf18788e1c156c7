"""Helpers shared by the dialogs: the caller, the services, translated texts in getters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram.enums import ContentType
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import DialogManager, ShowMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Calendar, ScrollingGroup, Select, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot import format as fmt
from bot.context import Caller, Services
from bot.i18n import Raw, tr, tr_label
from core.errors import (
    ClosedAtThatTime,
    DomainError,
    InsufficientFunds,
    InvalidInvite,
    InvalidTransition,
    NotFound,
    TooManyHolds,
)
from core.models import ReservationStatus
from core.permissions import INVITE_HOURS
from core.rules import MAX_PENDING_HOLDS_PER_USER


def caller(manager: DialogManager) -> Caller:
    found: Caller = manager.middleware_data["caller"]
    return found


def services(manager: DialogManager) -> Services:
    found: Services = manager.middleware_data["services"]
    return found


def t(manager: DialogManager, key: str, /, **values: Any) -> Raw:
    return tr(caller(manager).lang, key, **values)


def label(manager: DialogManager, key: str, /, **values: Any) -> str:
    """A button label with values (names, brands): plain text, not escaped (see tr_label)."""
    return tr_label(caller(manager).lang, key, **values)


# Buttons every window may show; the global getter gives each window these texts.
_COMMON_BUTTONS = ("btn.back", "btn.cancel", "btn.menu", "btn.more", "btn.prev")


async def global_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    """Data every window gets: the language and the common button texts."""
    who: Caller | None = dialog_manager.middleware_data.get("caller")
    lang = who.lang if who else "en"
    return {"lang": lang, **{key.replace(".", "_"): tr(lang, key) for key in _COMMON_BUTTONS}}


async def _on_unexpected(message: Message, _: MessageInput, manager: DialogManager) -> None:
    await message.answer(t(manager, "unknown_input"))
    manager.show_mode = ShowMode.SEND  # the screen again, below the answer


def unexpected_input() -> MessageInput:
    """The last input of every window: anything the window does not expect gets an answer
    and the screen again, never silence."""
    return MessageInput(_on_unexpected, content_types=ContentType.ANY)


# The 15-minute start slots of a day: 4 a row, 6 rows a page.
SLOTS_WIDTH, SLOTS_PER_PAGE = 4, 24


def start_picker(
    *,
    date_state: State,
    slot_state: State,
    back_from_date: State,
    on_date: Any,
    on_slot: Any,
    date_getter: Any,
    slot_getter: Any,
) -> tuple[Window, Window]:
    """A day on a calendar, then its start slots: the search and the booking dialog pick a
    start the same way (the pager shows only when a day has more than one page)."""
    day = Window(
        Format("{title}"),
        Calendar(id="calendar", on_click=on_date),
        SwitchTo(Format("{btn_back}"), id="back", state=back_from_date),
        unexpected_input(),
        state=date_state,
        getter=date_getter,
    )
    slot = Window(
        Format("{title}"),
        ScrollingGroup(
            choice("slot", "slots", on_slot),
            id="slots",
            width=SLOTS_WIDTH,
            height=SLOTS_PER_PAGE // SLOTS_WIDTH,
            hide_on_single_page=True,
        ),
        SwitchTo(Format("{btn_back}"), id="back", state=date_state),
        unexpected_input(),
        state=slot_state,
        getter=slot_getter,
    )
    return day, slot


def choice(id: str, items: str, on_click: Any, *, type_factory: Callable[[str], Any] = str) -> Select[Any]:
    """A list of buttons from (id, label) pairs in the getter's `items`."""
    return Select(
        Format("{item[1]}"),
        id=id,
        item_id_getter=lambda item: item[0],
        items=items,
        type_factory=type_factory,
        on_click=on_click,
    )


# Refusals whose text needs nothing from the error; the others are built in refusal_text().
_REFUSALS = {
    "not_found": "error.not_found",
    "too_late_to_cancel": "cancel.too_late",
    "no_spot_free": "quote.no_spot",
    "spot_taken": "extend.taken",
    "invalid_interval": "error.invalid_interval",
    "not_started": "error.not_started",
    "currency_mismatch": "error.currency",
    "invalid_topup": "error.invalid_topup",
    "payment_unavailable": "pay.unavailable",
    "invalid_phone": "phone.invalid",
    "phone_taken": "phone.taken",
    "not_permitted": "admin.not_permitted",
}
_INVITE_REASONS = ("unknown", "used", "expired")


def refusal_text(lang: str, error: DomainError) -> str:
    """What a user reads when the rules refused their tap: every domain error has its own
    words; "something went wrong" is kept for our bugs. Plain text: it is shown in an alert."""
    if isinstance(error, InvalidTransition) and error.status in {s.value for s in ReservationStatus}:
        return tr_label(
            lang,
            "error.invalid_transition",
            id=error.reservation_id,
            status=tr_label(lang, f"status.{error.status}"),
        )
    if isinstance(error, InsufficientFunds):
        return tr_label(
            lang,
            "error.insufficient_funds",
            balance=fmt.money(error.balance, error.currency),
            price=fmt.money(error.needed, error.currency),
        )
    if isinstance(error, ClosedAtThatTime):
        return tr_label(lang, "closed.at_that_time", hours=error.opening_hours)
    if isinstance(error, TooManyHolds):
        return tr_label(lang, "hold.too_many", limit=MAX_PENDING_HOLDS_PER_USER)
    if isinstance(error, InvalidInvite):
        reason = error.reason if error.reason in _INVITE_REASONS else "unknown"
        return tr_label(lang, f"admin.invite_invalid.{reason}", hours=INVITE_HOURS)
    if isinstance(error, NotFound):
        # NotOwner is a NotFound: someone else's object is "not found" to the caller.
        return tr_label(lang, "error.not_found")
    return tr_label(lang, _REFUSALS.get(error.code, "error.refused"))


async def explain(callback: CallbackQuery, manager: DialogManager, error: DomainError) -> None:
    """Answers a tap that the rules refused, in the user's words."""
    await callback.answer(refusal_text(caller(manager).lang, error), show_alert=True)
