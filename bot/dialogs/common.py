"""Helpers shared by the dialogs: the caller, the services, translated texts in getters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from aiogram.enums import ContentType
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, KeyboardButton, Message, ReplyKeyboardMarkup
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import (
    Button,
    Calendar,
    CalendarScope,
    CalendarUserConfig,
    Group,
    Row,
    ScrollingGroup,
    Select,
    SwitchTo,
)
from aiogram_dialog.widgets.kbd.calendar_kbd import (
    CalendarDaysView,
    CalendarMonthView,
    CalendarScopeView,
    CalendarYearsView,
)
from aiogram_dialog.widgets.text import Format, Multi, Text

from bot import format as fmt
from bot.context import Caller, Services
from bot.i18n import Raw, tr, tr_label
from core.errors import (
    CannotReview,
    ClosedAtThatTime,
    DomainError,
    InsufficientFunds,
    InvalidInvite,
    InvalidTransition,
    NotFound,
    PriceChanged,
    RefundTooLarge,
    SpotLabelTaken,
    TooManyHolds,
    TooManySpots,
    TooManyVehicles,
)
from core.models import ReservationStatus
from core.permissions import INVITE_HOURS
from core.plates import MAX_VEHICLES
from core.rules import MAX_PENDING_HOLDS_PER_USER
from core.services.reviews import REVIEW_EDIT_DAYS, REVIEW_TEXT_MAX
from core.usecases.spots import MAX_NEW_SPOTS


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


def started_premise(manager: DialogManager) -> int:
    """The premise a console section's dialog was started for (`data={"premise_id": id}`); the
    use cases check the caller's role there on every call."""
    data = manager.start_data
    if not isinstance(data, dict):
        raise NotFound("no premise")
    return int(data["premise_id"])


def priced_duration(manager: DialogManager, minutes: int, price: int, currency: str) -> str:
    """A duration button with its total, as parking apps show it: `2 h · 5.00 EUR`."""
    lang = caller(manager).lang
    return label(
        manager, "btn.duration_price", duration=fmt.duration(lang, minutes), price=fmt.money(price, currency)
    )


# Buttons every window may show; the global getter gives each window these texts.
_COMMON_BUTTONS = ("btn.back", "btn.cancel", "btn.menu", "btn.more", "btn.prev")


async def global_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    """Data every window gets: the language and the common button texts."""
    who: Caller | None = dialog_manager.middleware_data.get("caller")
    lang = who.lang if who else "en"
    return {"lang": lang, **{key.replace(".", "_"): tr(lang, key) for key in _COMMON_BUTTONS}}


def phone_keyboard(lang: str) -> ReplyKeyboardMarkup:
    """The phone request's keyboard: share the contact, or skip (remembered)."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=tr(lang, "btn.share_phone"), request_contact=True)],
            [KeyboardButton(text=tr(lang, "btn.skip"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


# A hint lives in the update's own data, not in dialog_data: it shows in the screen rendered
# in answer to this update and is gone from the next one, whatever that is.
_HINT = "screen_hint"


def show_hint(manager: DialogManager, hint: str) -> None:
    """Answers a message the current screen cannot take (an invalid amount, an address not
    found, stray text) with ONE message: the same screen, the hint as its first lines.

    The driver's message sits below the window, so editing the window in place would answer
    out of sight, above what they typed, and sending a new copy leaves the old one behind.
    The window moves instead: the old copy is deleted and the screen comes again below the
    driver's message (aiogram-dialog's DELETE_AND_SEND; a message Telegram no longer lets us
    delete, after 48 hours, only loses its buttons)."""
    manager.middleware_data[_HINT] = hint
    manager.show_mode = ShowMode.DELETE_AND_SEND


class Hint(Text):
    """The first lines of every window: the hint of show_hint(), when this update set one."""

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        hint = manager.middleware_data.get(_HINT)
        return f"{hint}\n" if hint else ""


def with_hints(dialog: Dialog) -> Dialog:
    """Puts the Hint on top of every window of the dialog: every screen can take one, windows
    added later included, without each window having to remember it."""
    for window in dialog.windows.values():
        if isinstance(window, Window):
            window.text = Multi(Hint(), window.text)
    return dialog


async def _on_unexpected(message: Message, _: MessageInput, manager: DialogManager) -> None:
    show_hint(manager, t(manager, "unknown_input"))


def text_input(handler: Any) -> MessageInput:
    """A window's typed answer (text only; anything else falls to unexpected_input)."""
    return MessageInput(handler, content_types=ContentType.TEXT)


def typed_window(state: State, *, back: State, on_text: Any, getter: Any) -> Window:
    """A screen that asks for one typed answer: its title, a Back button to `back`, the answer
    to `on_text`, anything else answered by unexpected_input."""
    return Window(
        Format("{title}"),
        SwitchTo(Format("{btn_back}"), id="back", state=back),
        text_input(on_text),
        unexpected_input(),
        state=state,
        getter=getter,
    )


def unexpected_input() -> MessageInput:
    """The last input of every window: anything the window does not expect gets an answer,
    never silence: the same screen again, with a short explanation on top."""
    return MessageInput(_on_unexpected, content_types=ContentType.ANY)


# The 15-minute start slots of a day: 4 a row, 6 rows a page.
SLOTS_WIDTH, SLOTS_PER_PAGE = 4, 24


def month_name(lang: str, month: int) -> str:
    """The month's name standing alone, as a calendar heads it: `November` / `Листопад`."""
    return tr_label(lang, "calendar.months").split()[month - 1]


class _CalendarText(Text):
    """A calendar label in the viewer's language, made from the date the calendar gives it
    (`data["date"]`: the month shown, a weekday's sample date, a month of the year). The
    library's own labels are strftime formats, so they speak the process's locale."""

    def __init__(self, render: Callable[[str, date], str]) -> None:
        super().__init__()
        self._render = render

    async def _render_text(self, data: dict[str, Any], manager: DialogManager) -> str:
        return self._render(caller(manager).lang, data["date"])


def _month_year(lang: str, day: date) -> str:
    return f"{month_name(lang, day.month)} {day.year}"


def _weekday(lang: str, day: date) -> str:
    return tr_label(lang, "date.weekdays").split()[day.weekday()]


class BookableCalendar(Calendar):
    """A calendar whose days before today and past the booking horizon are blank, so they
    cannot be tapped. The bounds come from the window's getter (`first_day`, `last_day`):
    they move with the clock and the zone, unlike a config fixed when the process starts.

    Its words follow the viewer's language (bot/locales: `calendar.months`, `date.weekdays`):
    the header `🗓 Листопад 2026`, the weekdays, the pager `<< Жовтень 2026`, the month
    names of the months view. Day and year buttons are digits in every language."""

    def _init_views(self) -> dict[CalendarScope, CalendarScopeView]:
        return {
            CalendarScope.DAYS: CalendarDaysView(
                self._item_callback_data,
                header_text=_CalendarText(lambda lang, d: f"🗓 {_month_year(lang, d)}"),
                weekday_text=_CalendarText(_weekday),
                prev_month_text=_CalendarText(lambda lang, d: f"<< {_month_year(lang, d)}"),
                next_month_text=_CalendarText(lambda lang, d: f"{_month_year(lang, d)} >>"),
            ),
            CalendarScope.MONTHS: CalendarMonthView(
                self._item_callback_data,
                month_text=_CalendarText(lambda lang, d: month_name(lang, d.month)),
                this_month_text=_CalendarText(lambda lang, d: f"[ {month_name(lang, d.month)} ]"),
            ),
            CalendarScope.YEARS: CalendarYearsView(self._item_callback_data),
        }

    async def _get_user_config(self, data: dict[str, Any], manager: DialogManager) -> CalendarUserConfig:
        first: date | None = data.get("first_day")
        last: date | None = data.get("last_day")
        return CalendarUserConfig(min_date=first, max_date=last)


def slot_page(manager: DialogManager, slots: list[tuple[str, str]]) -> dict[str, Any]:
    """One page of start slots and the pager's labels, which name the hours they lead to
    ("◀️ Earlier · 00:00–05:45") rather than page numbers."""
    pages = max(1, -(-len(slots) // SLOTS_PER_PAGE))
    page = min(max(int(manager.dialog_data.get("slot_page", 0)), 0), pages - 1)
    manager.dialog_data["slot_page"] = page

    def hours(n: int) -> str:
        chunk = slots[n * SLOTS_PER_PAGE : (n + 1) * SLOTS_PER_PAGE]
        return f"{chunk[0][1]}–{chunk[-1][1]}" if chunk else ""

    return {
        "slots": slots[page * SLOTS_PER_PAGE : (page + 1) * SLOTS_PER_PAGE],
        "has_earlier": page > 0,
        "has_later": page < pages - 1,
        "btn_earlier": label(manager, "btn.earlier_times", range=hours(page - 1)) if page > 0 else "",
        "btn_later": label(manager, "btn.later_times", range=hours(page + 1)) if page < pages - 1 else "",
    }


async def _on_slot_page(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    step = -1 if button.widget_id == "earlier" else 1
    manager.dialog_data["slot_page"] = int(manager.dialog_data.get("slot_page", 0)) + step


def start_picker(
    *,
    date_state: State,
    slot_state: State,
    back_from_date: State,
    on_date: Any,
    on_slot: Any,
    date_getter: Any,
    slot_getter: Any,
    on_slots_back: Any = None,
) -> tuple[Window, Window]:
    """A day on a calendar, then its start slots: the search and the booking dialog pick a
    start the same way. The date getter gives the first and last day that may be picked; the
    slot getter gives the day's slots, shown a page at a time from `dialog_data["slot_page"]`
    (the pager shows only when a day has more than one page). "Back" from the slots leads to
    the calendar, or wherever `on_slots_back` switches to."""

    async def paged(dialog_manager: DialogManager, **kwargs: Any) -> dict[str, Any]:
        data: dict[str, Any] = await slot_getter(dialog_manager=dialog_manager, **kwargs)
        return {**data, **slot_page(dialog_manager, data["slots"])}

    day = Window(
        Format("{title}"),
        BookableCalendar(id="calendar", on_click=on_date),
        SwitchTo(Format("{btn_back}"), id="back", state=back_from_date),
        unexpected_input(),
        state=date_state,
        getter=date_getter,
    )
    slot = Window(
        Format("{title}"),
        Group(choice("slot", "slots", on_slot), width=SLOTS_WIDTH),
        Row(
            Button(Format("{btn_earlier}"), id="earlier", on_click=_on_slot_page, when="has_earlier"),
            Button(Format("{btn_later}"), id="later", on_click=_on_slot_page, when="has_later"),
        ),
        (
            Button(Format("{btn_back}"), id="back", on_click=on_slots_back)
            if on_slots_back is not None
            else SwitchTo(Format("{btn_back}"), id="back", state=date_state)
        ),
        unexpected_input(),
        state=slot_state,
        getter=paged,
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


def paged_choice(
    id: str, items: str, on_click: Any, *, width: int, height: int, when: str | None = None
) -> ScrollingGroup:
    """`choice` buttons in pages of `width` × `height`, the pager shown only when needed."""
    return ScrollingGroup(
        choice(id, items, on_click),
        id=f"{id}_pages",
        width=width,
        height=height,
        hide_on_single_page=True,
        when=when,
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
    "invalid_rate_plan": "price.invalid_plan",
    "rate_plan_bad_amount": "price.bad_amount",
    "rate_plan_cap_too_low": "price.cap_too_low",
    "rate_plan_bad_period": "price.bad_period",
    "not_permitted": "admin.not_permitted",
    "invalid_spot_labels": "admin.invalid_spot_labels",
    "too_many_spots": "admin.too_many_spots",
    "invalid_closing": "admin.invalid_closing",
    "no_spot_to_move_to": "admin.no_spot_to_move_to",
    "invalid_blocker_id": "admin.blocker_invalid_id",
    "blocker_bound": "admin.blocker_bound",
    "spot_has_blocker": "admin.spot_has_blocker",
    "blockers_unavailable": "admin.blockers_unavailable",
    "invalid_premise": "admin.invalid_premise",
    "invalid_refund": "admin.refund_bad_amount",
    "invalid_review": "admin.review_invalid",
    "invalid_plate": "plate.invalid",
    "invalid_operator_field": "admin.operator_invalid",
    "invalid_guest_pass": "guest.invalid",
    "cannot_share": "guest.cannot_share",
    "offer_lapsed": "waitlist.lapsed",
    "too_many_wishes": "waitlist.too_many",
    "wish_over": "waitlist.over",
}
_INVITE_REASONS = ("unknown", "used", "expired")
REVIEW_REFUSALS = ("not_completed", "no_show", "closed", "rating", "too_long")


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
    if isinstance(error, SpotLabelTaken):
        return tr_label(lang, "admin.spot_label_taken", labels=", ".join(error.labels[:10]))
    if isinstance(error, TooManyVehicles):
        return tr_label(lang, "plate.too_many", limit=MAX_VEHICLES)
    if isinstance(error, TooManySpots):
        return tr_label(lang, "admin.too_many_spots", most=MAX_NEW_SPOTS)
    if isinstance(error, CannotReview):
        reason = error.reason if error.reason in REVIEW_REFUSALS else "not_completed"
        return tr_label(lang, f"review.refused.{reason}", days=REVIEW_EDIT_DAYS, max=REVIEW_TEXT_MAX)
    if isinstance(error, PriceChanged):
        return tr_label(lang, "quote.price_changed", price=fmt.money(error.price, error.currency))
    if isinstance(error, RefundTooLarge):
        return tr_label(lang, "admin.refund_too_large", left=fmt.money(error.refundable, error.currency))
    if isinstance(error, NotFound):
        # NotOwner is a NotFound: someone else's object is "not found" to the caller.
        return tr_label(lang, "error.not_found")
    return tr_label(lang, _REFUSALS.get(error.code, "error.refused"))


async def explain(callback: CallbackQuery, manager: DialogManager, error: DomainError) -> None:
    """Answers a tap that the rules refused, in the user's words."""
    await callback.answer(refusal_text(caller(manager).lang, error), show_alert=True)
