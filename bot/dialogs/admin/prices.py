"""The console's Prices section (DESIGN.md §5 "Prices", §11): the rate plan in force with the
price of sample stays, and a draft changed by typed values (base per hour, first hour, daily
cap, a night or a weekend rate, removing a rate) whose sample stays are priced on the same
screen before it is saved as the next version.

Its own dialog, started from a premise's console with the premise's id in its start data;
every read and the save go through core/usecases/admin_prices.py, which checks the caller's
role at that premise again (MANAGE_PRICES) on every call. The draft lives in dialog_data as
JSON and is validated at each change: an input the plan cannot take is a hint on top of the
same screen (show_hint), never a half-valid draft.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Row, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot import format as fmt
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
from bot.i18n import Raw, tr
from core.errors import DomainError, InvalidRatePlan, NotFound
from core.money import parse_amount
from core.pricing import PeriodRate, RatePlan, validate
from core.usecases.admin_prices import PricePlan, SampleStay

__all__ = ["PricesSG", "prices_dialog"]

WEEKEND = frozenset({5, 6})
EVERY_DAY = frozenset(range(7))
FIELDS = ("base", "first", "cap", "night", "weekend")
# `22:00-07:00 1.00` (a dash or an en dash; blanks optional around it).
_NIGHT = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})\s+(\S+)\s*$")


class PricesSG(StatesGroup):
    plan = State()  # the plan in force and its sample stays
    draft = State()  # the plan being changed, priced on the same samples
    ask = State()  # one value typed in (dialog_data["field"])


def _premise_id(manager: DialogManager) -> int:
    data = manager.start_data
    assert isinstance(data, dict)
    return int(data["premise_id"])


def _draft(manager: DialogManager) -> RatePlan:
    d = manager.dialog_data["draft"]
    return RatePlan(
        base_per_hour=int(d["base"]),
        currency=str(d["currency"]),
        first_hour=d["first"],
        daily_cap=d["cap"],
        periods=tuple(PeriodRate.from_json(p) for p in d["periods"]),
    )


def _store(manager: DialogManager, plan: RatePlan) -> None:
    manager.dialog_data["draft"] = {
        "base": plan.base_per_hour,
        "currency": plan.currency,
        "first": plan.first_hour,
        "cap": plan.daily_cap,
        "periods": plan.periods_json(),
    }


def _plan_text(lang: str, plan: RatePlan) -> Raw:
    currency = plan.currency
    none = tr(lang, "admin.prices_none")
    periods = [
        tr(lang, "admin.prices_period_line", when=fmt.period(lang, p), rate=fmt.money(p.per_hour, currency))
        for p in plan.periods
    ]
    return tr(
        lang,
        "admin.prices_plan",
        base=fmt.money(plan.base_per_hour, currency),
        first=fmt.money(plan.first_hour, currency) if plan.first_hour is not None else none,
        cap=(
            tr(lang, "admin.prices_cap", cap=fmt.money(plan.daily_cap, currency))
            if plan.daily_cap is not None
            else none
        ),
        count=len(periods),
        periods=Raw("".join("\n" + line for line in periods)),
    )


def _samples_text(lang: str, samples: list[SampleStay], tz: str) -> Raw:
    lines = [
        tr(
            lang,
            "admin.prices_sample_line",
            what=tr(lang, f"admin.prices_sample.{s.name}"),
            window=fmt.window(s.starts_at, s.ends_at, tz, lang),
            price=fmt.money(s.priced.total, s.priced.currency),
            rate=fmt.price_rate(lang, s.priced.lines, s.priced.currency),
        )
        for s in samples
    ]
    return Raw("".join("\n" + line for line in lines))


async def _shown(manager: DialogManager, plan: RatePlan | None) -> tuple[PricePlan, Raw, Raw]:
    """The plan in force, and the text and sample stays of `plan` (None: the one in force)."""
    prices, who, lang = services(manager).admin_prices, caller(manager).user_id, caller(manager).lang
    current = await prices.price_plan(who, _premise_id(manager))
    shown = plan or current.plan
    samples = await prices.preview_price(who, current.premise_id, shown)
    return current, _plan_text(lang, shown), _samples_text(lang, samples, current.timezone)


# ---------------------------------------------------------------------- the plan in force
async def plan_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    try:
        current, plan, samples = await _shown(m, None)
    except DomainError:
        return {"title": t(m, "admin.refused"), "can_edit": False}
    return {
        "title": t(m, "admin.prices", name=current.name, version=current.version, plan=plan, samples=samples),
        "can_edit": True,
        "btn_edit": t(m, "admin.prices_btn_edit"),
    }


async def on_edit(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    try:
        current = await services(manager).admin_prices.price_plan(
            caller(manager).user_id, _premise_id(manager)
        )
    except DomainError as error:
        await explain(callback, manager, error)
        return
    _store(manager, current.plan)
    await manager.switch_to(PricesSG.draft)


# ---------------------------------------------------------------------- the draft
async def draft_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    draft = _draft(m)
    try:
        current, plan, samples = await _shown(m, draft)
    except DomainError:
        return {"title": t(m, "admin.refused"), "removes": [], "can_save": False}
    lang = caller(m).lang
    return {
        "title": t(
            m,
            "admin.prices_draft",
            name=current.name,
            version=current.next_version,
            plan=plan,
            samples=samples,
        ),
        "removes": [
            (str(i), label(m, "admin.prices_btn_remove", when=fmt.period(lang, p)))
            for i, p in enumerate(draft.periods)
        ],
        "can_save": True,
        "btn_save": label(m, "admin.prices_btn_save", version=current.next_version),
        **{f"btn_{name}": t(m, f"admin.prices_btn.{name}") for name in FIELDS},
        "btn_discard": t(m, "admin.prices_btn_discard"),
    }


async def on_field(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    manager.dialog_data["field"] = button.widget_id
    await manager.switch_to(PricesSG.ask)


async def on_remove(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    draft = _draft(manager)
    if not item.isdigit() or int(item) >= len(draft.periods):
        await explain(callback, manager, NotFound(f"period {item[:20]!r}"))
        return
    periods = tuple(p for i, p in enumerate(draft.periods) if i != int(item))
    _store(manager, RatePlan(draft.base_per_hour, draft.currency, draft.first_hour, draft.daily_cap, periods))


async def on_save(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    try:
        saved = await services(manager).admin_prices.save_price_plan(
            caller(manager).user_id, _premise_id(manager), _draft(manager)
        )
    except DomainError as error:
        await explain(callback, manager, error)
        return
    await callback.answer(label(manager, "admin.prices_saved", version=saved.version))
    manager.dialog_data.pop("draft", None)
    await manager.switch_to(PricesSG.plan)


async def on_discard(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    manager.dialog_data.pop("draft", None)
    await manager.switch_to(PricesSG.plan)


# ---------------------------------------------------------------------- one typed value
async def ask_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    field = str(m.dialog_data.get("field", "base"))
    return {
        "title": t(m, f"admin.prices_ask.{field}", currency=_draft(m).currency),
        "can_clear": field in {"first", "cap"},
        "btn_clear": t(m, f"admin.prices_btn_clear.{'cap' if field == 'cap' else 'first'}"),
    }


def _changed(draft: RatePlan, field: str, text: str) -> RatePlan | str:
    """The draft with the typed value in, or the key of the hint for text that is no value."""
    if field == "night":
        found = _NIGHT.match(text)
        if not found:
            return "admin.prices_bad_night"
        h1, m1, h2, m2, amount = found.groups()
        try:
            start, end = time(int(h1), int(m1)), time(int(h2), int(m2))
            per_hour = parse_amount(amount, draft.currency)
        except ValueError:
            return "admin.prices_bad_night"
        period = PeriodRate(EVERY_DAY, start, end, per_hour)
        return RatePlan(
            draft.base_per_hour, draft.currency, draft.first_hour, draft.daily_cap, (*draft.periods, period)
        )
    try:
        amount_ = parse_amount(text, draft.currency)
    except ValueError:
        return "admin.prices_bad_amount"
    if field == "base":
        return RatePlan(amount_, draft.currency, draft.first_hour, draft.daily_cap, draft.periods)
    if field == "first":
        return RatePlan(draft.base_per_hour, draft.currency, amount_, draft.daily_cap, draft.periods)
    if field == "cap":
        return RatePlan(draft.base_per_hour, draft.currency, draft.first_hour, amount_, draft.periods)
    weekend = PeriodRate(WEEKEND, time(0, 0), time(0, 0), amount_)
    return RatePlan(
        draft.base_per_hour, draft.currency, draft.first_hour, draft.daily_cap, (*draft.periods, weekend)
    )


async def _apply(manager: DialogManager, plan: RatePlan, show_mode: ShowMode) -> bool:
    """The draft becomes `plan` when the rules take it; else the hint says why."""
    try:
        validate(plan)
    except InvalidRatePlan as error:
        show_hint(manager, "⚠️ " + refusal_text(caller(manager).lang, error))
        return False
    _store(manager, plan)
    await manager.switch_to(PricesSG.draft, show_mode=show_mode)
    return True


async def on_value(message: Message, _: MessageInput, manager: DialogManager) -> None:
    draft = _draft(manager)
    changed = _changed(draft, str(manager.dialog_data.get("field", "base")), message.text or "")
    if isinstance(changed, str):
        show_hint(manager, t(manager, changed, currency=draft.currency))
        return
    await _apply(manager, changed, ShowMode.SEND)


async def on_clear(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    d = _draft(manager)
    cap = manager.dialog_data.get("field") == "cap"
    plan = RatePlan(
        d.base_per_hour, d.currency, d.first_hour if cap else None, None if cap else d.daily_cap, d.periods
    )
    if not await _apply(manager, plan, ShowMode.EDIT):
        await callback.answer()


def prices_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{title}"),
            Button(Format("{btn_edit}"), id="edit", on_click=on_edit, when="can_edit"),
            Cancel(Format("{btn_back}"), id="back"),
            unexpected_input(),
            state=PricesSG.plan,
            getter=plan_getter,
        ),
        Window(
            Format("{title}"),
            Row(
                Button(Format("{btn_base}"), id="base", on_click=on_field),
                Button(Format("{btn_first}"), id="first", on_click=on_field),
                Button(Format("{btn_cap}"), id="cap", on_click=on_field),
                when="can_save",
            ),
            Row(
                Button(Format("{btn_night}"), id="night", on_click=on_field),
                Button(Format("{btn_weekend}"), id="weekend", on_click=on_field),
                when="can_save",
            ),
            Column(choice("remove", "removes", on_remove), when="removes"),
            Button(Format("{btn_save}"), id="save", on_click=on_save, when="can_save"),
            Button(Format("{btn_discard}"), id="discard", on_click=on_discard, when="can_save"),
            unexpected_input(),
            state=PricesSG.draft,
            getter=draft_getter,
        ),
        Window(
            Format("{title}"),
            Button(Format("{btn_clear}"), id="clear", on_click=on_clear, when="can_clear"),
            SwitchTo(Format("{btn_back}"), id="back", state=PricesSG.draft),
            MessageInput(on_value),
            unexpected_input(),
            state=PricesSG.ask,
            getter=ask_getter,
        ),
    )
