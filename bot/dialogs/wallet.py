"""Wallet: balance, top-ups (presets and custom), history with the top-ups' receipts, saved
cards."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Column, Group, Row, Start, SwitchTo, Url
from aiogram_dialog.widgets.text import Format

from bot import format as fmt
from bot import receipts
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
from bot.dialogs.states import MenuSG, WalletSG
from bot.i18n import Raw
from core.errors import DomainError, InvalidTopUp
from core.money import parse_amount

HISTORY_PAGE = 10


def _currency(manager: DialogManager) -> str:
    return services(manager).settings.currency


async def main_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    view = await svc.wallet.overview(caller(m).user_id, _currency(m))
    currency = view.currency
    return {
        "text": t(m, "wallet.title", balance=fmt.money(view.balance, currency)),
        "presets": [(a, t(m, "btn.topup", amount=fmt.money(a, currency))) for a in view.topup_presets],
        "card_payments": svc.payments is not None,
        "btn_custom": t(m, "btn.topup_custom"),
        "btn_history": t(m, "btn.history"),
        "btn_cards": t(m, "btn.cards"),
        "ask": t(
            m,
            "topup.ask",
            min=fmt.money(view.topup_min, currency),
            max=fmt.money(view.topup_max, currency),
        ),
    }


async def _topup(manager: DialogManager, amount: int) -> str | None:
    """Creates the top-up page; returns an error text for the user, or None."""
    svc = services(manager)
    if svc.payments is None:
        return t(manager, "pay.unavailable")
    currency = _currency(manager)
    try:
        link = await svc.payments.topup_checkout(caller(manager).user_id, amount, currency)
    except InvalidTopUp:
        view = await svc.wallet.overview(caller(manager).user_id, currency)
        return t(
            manager,
            "topup.invalid",
            min=fmt.money(view.topup_min, currency),
            max=fmt.money(view.topup_max, currency),
        )
    except DomainError as exc:  # PaymentUnavailable
        return refusal_text(caller(manager).lang, exc)
    manager.dialog_data.update(
        url=link.url, notice=t(manager, "topup.link", amount=fmt.money(amount, _currency(manager)))
    )
    return None


async def on_preset(callback: CallbackQuery, _: Any, manager: DialogManager, amount: int) -> None:
    error = await _topup(manager, int(amount))
    if error:
        await callback.answer(error, show_alert=True)
        return
    await manager.switch_to(WalletSG.link)


async def on_amount(message: Message, _: MessageInput, manager: DialogManager) -> None:
    try:
        amount = parse_amount(message.text or "", _currency(manager))
    except ValueError:
        amount = 0  # not an amount: refused as out of range, with the limits
    error = await _topup(manager, amount)
    if error:
        show_hint(manager, error)
        return
    await manager.switch_to(WalletSG.link, show_mode=ShowMode.SEND)


async def link_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    return {
        "text": m.dialog_data["notice"],
        "url": m.dialog_data["url"],
        "btn_open": t(m, "btn.open_page"),
    }


async def history_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    offset = m.dialog_data.get("offset", 0)
    page = await svc.wallet.history(caller(m).user_id, offset=offset, limit=HISTORY_PAGE)
    lines = [
        t(
            m,
            "history.item",
            date=fmt.stamp(caller(m).lang, tx.created_at, svc.settings.timezone),
            amount=("+" if tx.amount > 0 else "") + fmt.money(tx.amount, tx.currency),
            kind=t(m, f"txkind.{tx.kind.value}")
            if tx.reservation_id is None
            else t(
                m,
                "history.for_booking",
                kind=t(m, f"txkind.{tx.kind.value}"),
                id=tx.reservation_id,
                name=tx.premise,
            ),
        )
        for tx in page.entries
    ]
    body = "\n".join(lines) or t(m, "history.empty")
    return {
        "text": Raw(t(m, "history.title") + "\n\n" + body),
        "has_prev": offset > 0,
        "has_next": page.has_more,
        "btn_receipts": t(m, "btn.topup_receipts"),
    }


async def receipts_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    topups = await svc.receipts.topups(user_id=caller(m).user_id)
    lang, tz = caller(m).lang, svc.settings.timezone
    items = [
        (
            p.id,
            label(
                m,
                "btn.topup_receipt",
                date=fmt.stamp(lang, p.succeeded_at or p.created_at, tz),
                amount=fmt.money(p.amount, p.currency),
            ),
        )
        for p in topups
    ]
    return {"text": t(m, "topup_receipts.title" if items else "topup_receipts.empty"), "topups": items}


async def on_topup_receipt(callback: CallbackQuery, _: Any, manager: DialogManager, payment_id: int) -> None:
    svc, who = services(manager), caller(manager)
    try:
        docs = await svc.receipts.for_payment(user_id=who.user_id, payment_id=int(payment_id))
    except DomainError as exc:
        await explain(callback, manager, exc)
        return
    await callback.answer()
    bot: Bot = manager.middleware_data["bot"]
    await receipts.send(bot, who.telegram_id, who.lang, docs, default_tz=svc.settings.timezone)
    manager.show_mode = ShowMode.SEND  # the list again, below the receipt


async def on_history_page(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    step = HISTORY_PAGE if button.widget_id == "next" else -HISTORY_PAGE
    manager.dialog_data["offset"] = max(0, manager.dialog_data.get("offset", 0) + step)


async def cards_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    cards = await svc.wallet.cards(caller(m).user_id)
    lines = "\n".join(
        t(m, "cards.item", brand=c.brand.title(), last4=c.last4, month=c.exp_month, year=c.exp_year)
        for c in cards
    )
    return {
        "text": Raw(t(m, "cards.title") + "\n\n" + (lines or t(m, "cards.empty"))),
        "cards": [(c.id, label(m, "btn.remove_card", brand=c.brand.title(), last4=c.last4)) for c in cards],
        "btn_add": t(m, "btn.add_card"),
        "card_payments": svc.payments is not None,
    }


async def on_remove_card(callback: CallbackQuery, _: Any, manager: DialogManager, card_id: int) -> None:
    svc = services(manager)
    assert svc.payments is not None
    try:
        await svc.payments.remove_card(caller(manager).user_id, int(card_id))
    except DomainError as exc:  # PaymentUnavailable included
        await explain(callback, manager, exc)
        return
    await callback.answer(t(manager, "cards.removed"))


async def on_add_card(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    svc = services(manager)
    assert svc.payments is not None
    try:
        link = await svc.payments.add_card_checkout(caller(manager).user_id, _currency(manager))
    except DomainError as exc:  # PaymentUnavailable
        await explain(callback, manager, exc)
        return
    manager.dialog_data.update(url=link.url, notice=t(manager, "cards.add_link"))
    await manager.switch_to(WalletSG.link)


def wallet_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{text}"),
            Group(
                Group(
                    choice("preset", "presets", on_preset, type_factory=int),
                    width=3,
                ),
                SwitchTo(Format("{btn_custom}"), id="custom", state=WalletSG.topup_input),
                when="card_payments",
            ),
            Row(
                SwitchTo(Format("{btn_history}"), id="history", state=WalletSG.history),
                SwitchTo(Format("{btn_cards}"), id="cards", state=WalletSG.cards, when="card_payments"),
            ),
            Start(Format("{btn_menu}"), id="menu", state=MenuSG.main, mode=StartMode.RESET_STACK),
            unexpected_input(),
            state=WalletSG.main,
            getter=main_getter,
        ),
        Window(
            Format("{ask}"),
            MessageInput(on_amount),
            SwitchTo(Format("{btn_back}"), id="back", state=WalletSG.main),
            unexpected_input(),
            state=WalletSG.topup_input,
            getter=main_getter,
        ),
        Window(
            Format("{text}"),
            Url(Format("{btn_open}"), Format("{url}")),
            SwitchTo(Format("{btn_back}"), id="back", state=WalletSG.main),
            unexpected_input(),
            state=WalletSG.link,
            getter=link_getter,
        ),
        Window(
            Format("{text}"),
            Row(
                Button(Format("{btn_prev}"), id="prev", on_click=on_history_page, when="has_prev"),
                Button(Format("{btn_more}"), id="next", on_click=on_history_page, when="has_next"),
            ),
            SwitchTo(Format("{btn_receipts}"), id="receipts", state=WalletSG.receipts),
            SwitchTo(Format("{btn_back}"), id="back", state=WalletSG.main),
            unexpected_input(),
            state=WalletSG.history,
            getter=history_getter,
        ),
        Window(
            Format("{text}"),
            Column(choice("topup", "topups", on_topup_receipt, type_factory=int)),
            SwitchTo(Format("{btn_back}"), id="back", state=WalletSG.history),
            unexpected_input(),
            state=WalletSG.receipts,
            getter=receipts_getter,
        ),
        Window(
            Format("{text}"),
            Column(choice("remove", "cards", on_remove_card, type_factory=int)),
            Button(Format("{btn_add}"), id="add", on_click=on_add_card, when="card_payments"),
            SwitchTo(Format("{btn_back}"), id="back", state=WalletSG.main),
            unexpected_input(),
            state=WalletSG.cards,
            getter=cards_getter,
        ),
    )
