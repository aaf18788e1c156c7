"""The console's "🧾 Operator & VAT" section: the legal name, address and VAT number printed on
a premise's receipts and the VAT rate in its prices, each edited by typing it. Its own dialog,
started from a premise's console with the premise's id; every read and change goes through
core/usecases/operator_admin.py, which checks the caller's role there again (MANAGE_PREMISE)."""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Cancel, Group
from aiogram_dialog.widgets.text import Format

from bot.dialogs.common import (
    caller,
    choice,
    explain,
    label,
    refusal_text,
    services,
    show_hint,
    started_premise,
    t,
    typed_window,
    unexpected_input,
)
from bot.receipts import vat_rate
from core.errors import DomainError, InvalidOperatorField, NotFound
from core.usecases.operator_admin import FIELDS, OperatorDetails

__all__ = ["OperatorSG", "operator_dialog"]


class OperatorSG(StatesGroup):
    details = State()
    edit = State()  # one field typed in (dialog_data["field"])


def _value(d: OperatorDetails, field: str) -> str:
    if field == "vat_rate":
        return f"{vat_rate(d.vat_rate_bp)} %"
    return str(getattr(d, field)) or "—"


async def details_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    try:
        d = await services(m).operator_admin.operator(caller(m).user_id, started_premise(m))
    except DomainError:
        return {"title": t(m, "admin.refused"), "fields": []}
    return {
        "title": t(
            m,
            "admin.operator",
            premise=d.premise_name,
            name=_value(d, "operator_name"),
            address=_value(d, "operator_address"),
            vat_number=_value(d, "vat_number"),
            vat_rate=_value(d, "vat_rate"),
        ),
        "fields": [(f, label(m, f"admin.operator_field.{f}")) for f in FIELDS],
    }


async def on_field(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    if item not in FIELDS:
        await explain(callback, manager, NotFound(f"field {item[:20]!r}"))
        return
    manager.dialog_data["field"] = item
    await manager.switch_to(OperatorSG.edit)


async def edit_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    field = str(m.dialog_data.get("field", FIELDS[0]))
    try:
        d = await services(m).operator_admin.operator(caller(m).user_id, started_premise(m))
    except DomainError:
        return {"title": t(m, "admin.refused")}
    return {
        "title": t(
            m,
            "admin.operator_edit",
            field=label(m, f"admin.operator_field.{field}"),
            current=_value(d, field),
            hint=t(m, f"admin.operator_hint.{field}"),
        )
    }


async def on_value(message: Message, _: MessageInput, manager: DialogManager) -> None:
    field = str(manager.dialog_data.get("field", ""))
    try:
        await services(manager).operator_admin.update_operator(
            caller(manager).user_id, started_premise(manager), field, message.text or ""
        )
    except InvalidOperatorField:
        show_hint(manager, t(manager, "admin.operator_invalid"))
        return
    except DomainError as error:
        show_hint(manager, t(manager, "admin.spots_refused", why=refusal_text(caller(manager).lang, error)))
        return
    await manager.switch_to(OperatorSG.details)


def operator_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{title}"),
            Group(choice("field", "fields", on_field), width=2, when="fields"),
            Cancel(Format("{btn_back}"), id="back"),
            unexpected_input(),
            state=OperatorSG.details,
            getter=details_getter,
        ),
        typed_window(OperatorSG.edit, back=OperatorSG.details, on_text=on_value, getter=edit_getter),
    )
