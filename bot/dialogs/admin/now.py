"""The console's Now screen (VIEW_OCCUPANCY: every role): a car park at this moment, or every
car park for owners, in one message with a Refresh button: its spots by state, the next
arrivals and departures, and the overstays, each booking by its number (#123) and with a
button that opens it in the console's Bookings section (Back there returns here).

A dialog of its own, started from the console's first screen: owners see all car parks (and
open one), staff of one car park see theirs, staff of several choose. Every render calls
core/usecases/occupancy.py, which checks the caller's role again (a forged premise id is
refused and audited there). Refresh only renders again: aiogram-dialog answers the tap, and
when nothing changed (the same second) it swallows Telegram's "message is not modified".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Group
from aiogram_dialog.widgets.text import Format

from bot import format as fmt
from bot.dialogs.admin.bookings import ConsoleBookingsSG
from bot.dialogs.common import caller, choice, explain, label, services, t, unexpected_input
from bot.i18n import Raw, tr, tr_label
from core.errors import DomainError, NotFound
from core.usecases.occupancy import STATES, Movement, Occupancy, Overstay, SpotCounts

__all__ = ["NowSG", "now_dialog", "open_now"]

# A spot label on a booking's button is cut to this many characters (labels may have 32), so
# "⏰ #123456 <spot> Sun 13:00" stays short: two buttons share a row.
BUTTON_SPOT = 8


class NowSG(StatesGroup):
    scope = State()  # staff of several car parks: which one
    board = State()  # the car park (or all) now


async def open_now(manager: DialogManager) -> None:
    """The console's "Now" entry: all car parks for owners, the caller's one, or a choice."""
    if caller(manager).is_admin:
        await manager.start(NowSG.board, data={"premise_id": None})
        return
    found = await services(manager).admin.premises_of(caller(manager).user_id)
    if len(found) == 1:
        await manager.start(NowSG.board, data={"premise_id": found[0].premise_id})
    else:
        await manager.start(NowSG.scope)


async def on_start(data: Any, manager: DialogManager) -> None:
    if isinstance(data, dict) and "premise_id" in data:
        manager.dialog_data["premise_id"] = data["premise_id"]
        manager.dialog_data["top"] = data["premise_id"]  # where Back leads from a drill-down


# ---------------------------------------------------------------------- which car park
async def scope_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    found = await services(m).admin.premises_of(caller(m).user_id)
    return {
        "title": t(m, "admin.now_scope"),
        "premises": [(str(p.premise_id), p.name) for p in found],
    }


async def _premise(callback: CallbackQuery, manager: DialogManager, item: str) -> int | None:
    """The car park a button names, once the use case lets the caller see it (a forged id is
    refused and audited there, and explained here: None)."""
    try:
        if not item.isdigit():
            raise NotFound(f"premise {item[:20]!r}")
        await services(manager).occupancy.occupancy(caller(manager).user_id, int(item))
    except DomainError as error:
        await explain(callback, manager, error)
        return None
    return int(item)


async def on_scope(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    premise_id = await _premise(callback, manager, item)
    if premise_id is None:
        return
    manager.dialog_data.update(premise_id=premise_id, top=premise_id, chose=True)
    await manager.switch_to(NowSG.board)


# ---------------------------------------------------------------------- the board
def _counts(lang: str, counts: SpotCounts) -> Raw:
    return tr(lang, "admin.now_counts", total=counts.total, **{s: getattr(counts, s) for s in STATES})


def _when(lang: str, at: datetime, tz: str, now: datetime) -> str:
    """`13:00` today in the premise's zone, `Sun 22 Nov 13:00` another day."""
    local, today = fmt.local(at, tz), fmt.local(now, tz)
    return fmt.clock_time(at, tz) if local.date() == today.date() else f"{fmt.day(lang, local)} {local:%H:%M}"


def _movement(lang: str, key: str, item: Movement, board: Occupancy, many: bool) -> Raw:
    return tr(
        lang,
        key,
        id=item.reservation_id,
        when=_when(lang, item.at, item.timezone, board.at),
        spot=item.spot_label,
        premise=f" · {item.premise_name}" if many else "",
        driver=item.driver,
        late="yes" if item.late else "no",
    )


def _overstay(lang: str, item: Overstay, board: Occupancy, many: bool) -> Raw:
    premise = f" · {item.premise_name}" if many else ""
    if item.reservation_id is None or item.ended_at is None:
        return tr(lang, "admin.now_intruder", spot=item.spot_label, premise=premise)
    return tr(
        lang,
        "admin.now_overstay",
        id=item.reservation_id,
        spot=item.spot_label,
        premise=premise,
        driver=item.driver,
        ended=_when(lang, item.ended_at, item.timezone, board.at),
    )


def _short_when(lang: str, at: datetime, tz: str, now: datetime) -> str:
    """A button's `13:00` today, `Sun 13:00` another day (the text above has the date)."""
    local, today = fmt.local(at, tz), fmt.local(now, tz)
    if local.date() == today.date():
        return f"{local:%H:%M}"
    return f"{tr(lang, 'date.weekdays').split()[local.weekday()]} {local:%H:%M}"


def _booking_buttons(lang: str, board: Occupancy) -> list[tuple[str, str]]:
    """A button per listed booking (arrivals, departures, overstays), `🅿️ #123 A1 20:30`."""
    listed: list[tuple[str, int, str, str]] = [
        ("arrival", a.reservation_id, a.spot_label, _short_when(lang, a.at, a.timezone, board.at))
        for a in board.arrivals
    ]
    listed += [
        ("departure", d.reservation_id, d.spot_label, _short_when(lang, d.at, d.timezone, board.at))
        for d in board.departures
    ]
    listed += [
        ("overstay", o.reservation_id, o.spot_label, _short_when(lang, o.ended_at, o.timezone, board.at))
        for o in board.overstays
        if o.reservation_id is not None and o.ended_at is not None
    ]
    return [
        (
            str(rid),
            tr_label(
                lang,
                "admin.btn_now_booking",
                kind=kind,
                id=rid,
                spot=spot if len(spot) <= BUTTON_SPOT else spot[: BUTTON_SPOT - 1] + "…",
                when=when,
            ),
        )
        for kind, rid, spot, when in listed
    ]


def _section(lang: str, key: str, lines: list[Raw], more: int) -> Raw:
    body = "".join("\n" + line for line in lines) if lines else "\n" + tr(lang, "admin.now_none")
    tail = "\n" + tr(lang, "admin.now_more", count=more) if more else ""
    return Raw(f"\n\n{tr(lang, key)}{body}{tail}")


async def board_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    lang = caller(m).lang
    premise_id = m.dialog_data.get("premise_id")
    try:
        board = await services(m).occupancy.occupancy(caller(m).user_id, premise_id)
    except DomainError:
        return {
            "title": t(m, "admin.refused"),
            "premises": [],
            "bookings": [],
            "btn_refresh": t(m, "admin.btn_refresh"),
        }
    many = board.premise_id is None
    per_premise = (
        "".join(
            "\n" + tr(lang, "admin.now_premise_line", name=p.name, counts=_counts(lang, p.counts))
            for p in board.premises
        )
        if many
        else ""
    )
    text = Raw(
        tr(
            lang,
            "admin.now",
            scope=board.name if not many else tr(lang, "admin.now_everywhere"),
            time=fmt.local(board.at, board.timezone).strftime("%H:%M:%S"),
            counts=_counts(lang, board.counts),
        )
        + per_premise
        + _section(
            lang,
            "admin.now_arrivals",
            [_movement(lang, "admin.now_arrival", a, board, many) for a in board.arrivals],
            board.more.get("arrivals", 0),
        )
        + _section(
            lang,
            "admin.now_departures",
            [_movement(lang, "admin.now_departure", d, board, many) for d in board.departures],
            board.more.get("departures", 0),
        )
        + _section(
            lang,
            "admin.now_overstays",
            [_overstay(lang, o, board, many) for o in board.overstays],
            board.more.get("overstays", 0),
        )
    )
    return {
        "title": text,
        "premises": [(str(p.premise_id), label(m, "admin.now_open", name=p.name)) for p in board.premises]
        if many and len(board.premises) > 1
        else [],
        "bookings": _booking_buttons(lang, board),
        "btn_refresh": t(m, "admin.btn_refresh"),
    }


async def on_open_premise(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    premise_id = await _premise(callback, manager, item)
    if premise_id is not None:
        manager.dialog_data["premise_id"] = premise_id


async def on_booking(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    """Opens the booking in the Bookings section, whose own use case checks the caller's role
    at the booking's premise (a forged number is refused there); its Back returns here."""
    if not item.isdigit():
        await explain(callback, manager, NotFound(f"booking {item[:20]!r}"))
        return
    try:
        await services(manager).admin_bookings.booking(caller(manager).user_id, int(item))
    except DomainError as error:
        await explain(callback, manager, error)
        return
    await manager.start(ConsoleBookingsSG.booking, data={"reservation_id": int(item)})


async def on_back(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    data = manager.dialog_data
    if data.get("premise_id") != data.get("top"):  # an owner's drill-down: back to all
        data["premise_id"] = data.get("top")
    elif data.get("chose"):
        await manager.switch_to(NowSG.scope)
    else:
        await manager.done()


def now_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{title}"),
            Column(choice("now_premise", "premises", on_scope)),
            Cancel(Format("{btn_back}"), id="back"),
            unexpected_input(),
            state=NowSG.scope,
            getter=scope_getter,
        ),
        Window(
            Format("{title}"),
            Button(Format("{btn_refresh}"), id="refresh"),
            Group(choice("now_booking", "bookings", on_booking), width=2, when="bookings"),
            Column(choice("now_open", "premises", on_open_premise), when="premises"),
            Button(Format("{btn_back}"), id="back", on_click=on_back),
            unexpected_input(),
            state=NowSG.board,
            getter=board_getter,
        ),
        on_start=on_start,
    )
