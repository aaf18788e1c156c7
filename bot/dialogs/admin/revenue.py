"""The console's Revenue screen (VIEW_REVENUE: owners and managers): pick a car park (owners: or
all of them), a period (today, yesterday, this week, this month, or two days on a calendar),
and read gross, refunds and net per currency, by method and by car park, bookings, average
stay and occupancy; then get the chart (a PNG, sendPhoto) or the CSV (sendDocument).

A dialog of its own, started from the console's first screen. Every render and every file
calls core/usecases/revenue.py, which checks the caller's role again: an attendant has no
Revenue entry, and a forged callback of theirs is refused and audited there.
"""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from aiogram import Bot
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram_dialog import ChatEvent, Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, ManagedCalendar, Row, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot import format as fmt
from bot.charts import ChartTexts, revenue_png
from bot.dialogs.common import BookableCalendar, caller, choice, explain, label, services, t, unexpected_input
from bot.i18n import Raw, tr, tr_label
from core.errors import DomainError, NotFound
from core.permissions import Permission, allowed
from core.usecases.revenue import MAX_DAYS, Period, Revenue

__all__ = ["RevenueSG", "open_revenue", "revenue_dialog"]

ALL = "all"


class RevenueSG(StatesGroup):
    scope = State()  # which car park (owners: or all)
    period = State()
    first_day = State()  # a custom range: its first day, then its last
    last_day = State()
    report = State()


async def revenue_premises(manager: DialogManager) -> list[tuple[int, str]]:
    """The car parks whose revenue the caller may see (every one for an owner)."""
    found = await services(manager).admin.premises_of(caller(manager).user_id)
    return [(p.premise_id, p.name) for p in found if allowed(p.role, Permission.VIEW_REVENUE)]


async def open_revenue(callback: CallbackQuery, manager: DialogManager) -> None:
    """The console's "Revenue" entry: a manager of one car park goes straight to the periods.
    Someone who may see no revenue (an attendant's forged button) is refused by the use case,
    which audits it."""
    mine = await revenue_premises(manager)
    if not mine and not caller(manager).is_admin:
        found = await services(manager).admin.premises_of(caller(manager).user_id)
        try:
            scope = found[0].premise_id if found else None
            await services(manager).revenue.revenue(caller(manager).user_id, scope, Period.TODAY)
        except DomainError as error:
            await explain(callback, manager, error)
        return
    if len(mine) == 1 and not caller(manager).is_admin:
        await manager.start(RevenueSG.period, data={"premise_id": mine[0][0]})
    else:
        await manager.start(RevenueSG.scope)


async def on_start(data: Any, manager: DialogManager) -> None:
    if isinstance(data, dict) and "premise_id" in data:
        manager.dialog_data.update(premise_id=data["premise_id"], single=True)


def _scope(manager: DialogManager) -> int | None:
    value = manager.dialog_data.get("premise_id")
    return None if value is None else int(value)


def _query(manager: DialogManager) -> tuple[int | None, Period, date | None, date | None]:
    data = manager.dialog_data
    first, last = data.get("first"), data.get("last")
    return (
        _scope(manager),
        Period(data.get("period", Period.TODAY.value)),
        date.fromisoformat(first) if first else None,
        date.fromisoformat(last) if last else None,
    )


# ---------------------------------------------------------------------- which car park
async def scope_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    items = [(str(pid), name) for pid, name in await revenue_premises(m)]
    if caller(m).is_admin:
        items.insert(0, (ALL, label(m, "admin.revenue_all")))
    return {"title": t(m, "admin.revenue_scope"), "premises": items}


async def on_scope(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        if item != ALL and not item.isdigit():
            raise NotFound(f"premise {item[:20]!r}")
        scope = None if item == ALL else int(item)
        await services(manager).revenue.revenue(caller(manager).user_id, scope, Period.TODAY)
    except DomainError as error:
        await explain(callback, manager, error)
        return
    manager.dialog_data["premise_id"] = scope
    await manager.switch_to(RevenueSG.period)


# ---------------------------------------------------------------------- the period
async def _scope_name(manager: DialogManager) -> str:
    scope = _scope(manager)
    if scope is None:
        return label(manager, "admin.revenue_everywhere")
    console = await services(manager).admin.console(caller(manager).user_id, scope)
    return console.name


async def period_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    try:
        name = await _scope_name(m)
    except DomainError:
        return {"title": t(m, "admin.refused"), "periods": []}
    periods = [(p.value, label(m, f"admin.revenue_period.{p.value}")) for p in Period]
    return {"title": t(m, "admin.revenue_pick_period", name=name), "periods": periods}


async def on_period(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    if item not in {p.value for p in Period}:
        await explain(callback, manager, NotFound(f"period {item[:20]!r}"))
        return
    if item == Period.CUSTOM.value:
        manager.dialog_data.pop("first", None)
        await manager.switch_to(RevenueSG.first_day)
        return
    manager.dialog_data.update(period=item, first=None, last=None)
    await _show_report(callback, manager)


async def _show_report(callback: CallbackQuery, manager: DialogManager) -> None:
    scope, period, first, last = _query(manager)
    try:
        await services(manager).revenue.revenue(caller(manager).user_id, scope, period, first, last)
    except DomainError as error:
        await explain(callback, manager, error)
        return
    await manager.switch_to(RevenueSG.report)


async def on_period_back(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    if manager.dialog_data.get("single"):
        await manager.done()
    else:
        await manager.switch_to(RevenueSG.scope)


# ---------------------------------------------------------------------- a custom range
def _today(manager: DialogManager) -> date:
    # The calendar's bounds in the console's zone; the report itself uses the premise's.
    return fmt.local(services(manager).clock.now(), services(manager).settings.timezone).date()


async def first_day_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    today = _today(dialog_manager)
    return {
        "title": t(dialog_manager, "admin.revenue_first_day"),
        "first_day": today - timedelta(days=MAX_DAYS - 1),
        "last_day": today,
    }


async def last_day_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    first = date.fromisoformat(m.dialog_data["first"])
    return {
        "title": t(m, "admin.revenue_last_day", first=fmt.day(caller(m).lang, first)),
        "first_day": first,
        "last_day": min(_today(m), first + timedelta(days=MAX_DAYS - 1)),
    }


async def on_first_day(event: ChatEvent, _: ManagedCalendar, manager: DialogManager, day: date) -> None:
    manager.dialog_data["first"] = day.isoformat()
    await manager.switch_to(RevenueSG.last_day)


async def on_last_day(event: ChatEvent, _: ManagedCalendar, manager: DialogManager, day: date) -> None:
    manager.dialog_data.update(period=Period.CUSTOM.value, last=day.isoformat())
    if isinstance(event, CallbackQuery):
        await _show_report(event, manager)


# ---------------------------------------------------------------------- the report
def _minutes(lang: str, minutes: int | None) -> str:
    return fmt.duration(lang, minutes) if minutes is not None else "–"


def _percent(rate: float | None) -> str:
    return f"{rate * 100:.1f}%" if rate is not None else "–"


def _span(lang: str, report: Revenue) -> str:
    first, last = fmt.day(lang, report.first), fmt.day(lang, report.last)
    return first if report.first == report.last else f"{first} – {last}"


def report_text(lang: str, report: Revenue, name: str) -> Raw:
    lines = [
        tr(
            lang,
            "admin.revenue",
            name=name,
            period=tr(lang, f"admin.revenue_period.{report.period.value}"),
            span=_span(lang, report),
            timezone=report.timezone,
        )
    ]
    if not report.currencies:
        lines.append(tr(lang, "admin.revenue_no_money"))
    for totals in report.currencies:
        c = totals.currency
        methods = " · ".join(
            tr(
                lang,
                f"admin.revenue_method.{method}",
                gross=fmt.money(m.gross, c),
                refunds=fmt.money(m.refunds, c),
            )
            for method, m in sorted(totals.by_method.items())
        )
        lines.append(
            tr(
                lang,
                "admin.revenue_currency",
                net=fmt.money(totals.net, c),
                gross=fmt.money(totals.gross, c),
                refunds=fmt.money(totals.refunds, c),
                payments=totals.payments,
                refund_count=totals.refund_count,
                methods=Raw(methods),
            )
        )
    for currency, owed in sorted(report.refunds_pending.items()):
        lines.append(tr(lang, "admin.revenue_pending", amount=fmt.money(owed, currency)))
    lines.append(
        tr(
            lang,
            "admin.revenue_stays",
            bookings=report.bookings,
            average=_minutes(lang, report.average_stay_minutes),
            occupancy=_percent(report.occupancy),
        )
    )
    if report.premise_id is None and report.premises:
        lines.append(tr(lang, "admin.revenue_by_premise"))
        for p in report.premises:
            money = ", ".join(fmt.money(m.net, c) for c, m in sorted(p.money.items())) or "–"
            lines.append(
                tr(
                    lang,
                    "admin.revenue_premise_line",
                    name=p.name,
                    net=money,
                    bookings=p.bookings,
                    occupancy=_percent(p.occupancy),
                )
            )
    return Raw("\n".join(lines))


async def report_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    scope, period, first, last = _query(m)
    try:
        report = await services(m).revenue.revenue(caller(m).user_id, scope, period, first, last)
        name = await _scope_name(m)
    except DomainError:
        return {"title": t(m, "admin.refused"), "files": []}
    files = [("chart", label(m, "admin.revenue_btn_chart")), ("csv", label(m, "admin.revenue_btn_csv"))]
    return {
        "title": report_text(caller(m).lang, report, name),
        "files": files,
        "btn_other": t(m, "admin.revenue_btn_other_period"),
    }


def chart_texts(lang: str, report: Revenue, name: str) -> ChartTexts:
    return ChartTexts(
        title=tr_label(
            lang, "admin.revenue_chart_title", name=name, span=_span(lang, report), timezone=report.timezone
        ),
        revenue_axis=tr_label(lang, "admin.revenue_chart_axis", currency="{currency}"),
        occupancy_axis=tr_label(lang, "admin.revenue_chart_occupancy"),
        revenue_legend=tr_label(lang, "admin.revenue_chart_net"),
        occupancy_legend=tr_label(lang, "admin.revenue_chart_occupancy"),
        weekdays=tuple(tr_label(lang, "date.weekdays").split()),
        months=tuple(tr_label(lang, "date.months").split()),
    )


async def on_file(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    scope, period, first, last = _query(manager)
    who, lang = caller(manager), caller(manager).lang
    bot: Bot = manager.middleware_data["bot"]
    stamp = f"{scope if scope is not None else ALL}"
    try:
        if item == "csv":
            report, content = await services(manager).revenue.revenue_csv(
                who.user_id, scope, period, first, last
            )
        elif item == "chart":
            report = await services(manager).revenue.revenue(who.user_id, scope, period, first, last)
            name = await _scope_name(manager)
            # Drawing takes a CPU for a moment: off the event loop, so other chats go on.
            content = await asyncio.to_thread(revenue_png, report, chart_texts(lang, report, name))
        else:
            raise NotFound(f"file {item[:20]!r}")
    except DomainError as error:
        await explain(callback, manager, error)
        return
    await callback.answer()
    span = f"{report.first:%Y%m%d}-{report.last:%Y%m%d}"
    if item == "csv":
        await bot.send_document(
            who.telegram_id,
            BufferedInputFile(content, filename=f"revenue-{stamp}-{span}.csv"),
            caption=t(manager, "admin.revenue_csv_caption", span=_span(lang, report)),
        )
    else:
        await bot.send_photo(
            who.telegram_id,
            BufferedInputFile(content, filename=f"revenue-{stamp}-{span}.png"),
            caption=t(manager, "admin.revenue_chart_caption", span=_span(lang, report)),
        )
    manager.show_mode = ShowMode.SEND  # the report again, below the file


def revenue_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{title}"),
            Column(choice("rev_scope", "premises", on_scope)),
            Cancel(Format("{btn_back}"), id="back"),
            unexpected_input(),
            state=RevenueSG.scope,
            getter=scope_getter,
        ),
        Window(
            Format("{title}"),
            Column(choice("rev_period", "periods", on_period), when="periods"),
            Button(Format("{btn_back}"), id="back", on_click=on_period_back),
            unexpected_input(),
            state=RevenueSG.period,
            getter=period_getter,
        ),
        Window(
            Format("{title}"),
            BookableCalendar(id="rev_first", on_click=on_first_day),
            SwitchTo(Format("{btn_back}"), id="back", state=RevenueSG.period),
            unexpected_input(),
            state=RevenueSG.first_day,
            getter=first_day_getter,
        ),
        Window(
            Format("{title}"),
            BookableCalendar(id="rev_last", on_click=on_last_day),
            SwitchTo(Format("{btn_back}"), id="back", state=RevenueSG.first_day),
            unexpected_input(),
            state=RevenueSG.last_day,
            getter=last_day_getter,
        ),
        Window(
            Format("{title}"),
            Row(choice("rev_file", "files", on_file), when="files"),
            SwitchTo(Format("{btn_other}"), id="other", state=RevenueSG.period, when="files"),
            Cancel(Format("{btn_back}"), id="back"),
            unexpected_input(),
            state=RevenueSG.report,
            getter=report_getter,
        ),
        on_start=on_start,
    )
