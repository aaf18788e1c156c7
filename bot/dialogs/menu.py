"""Main menu, help and language."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Button, Row, Start, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot.dialogs.book import book_again
from bot.dialogs.common import caller, choice, label, phone_keyboard, services, t, unexpected_input
from bot.dialogs.states import BookingsSG, FindSG, LanguageSG, MenuSG, WalletSG
from bot.i18n import LANGUAGES


async def menu_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    start = m.start_data if isinstance(m.start_data, dict) else {}
    state = m.current_context().state
    # The menu offers the phone request to a returning driver who left it open (/start says
    # so); help offers it to anyone without a number, including those who skipped it.
    if state == MenuSG.help:
        share = not (await services(m).users.phone_request(caller(m).user_id)).has_phone
    else:
        share = bool(start.get("offer_phone"))
    # The latest stay, one tap from booking it again (main menu only).
    last = await services(m).rebook.last_stay(user_id=caller(m).user_id) if state == MenuSG.main else None
    if last is not None:
        m.dialog_data["again"] = last.reservation_id
    return {
        "can_again": last is not None,
        "btn_again": _again_label(m, last.premise_name) if last is not None else "",
        "share_phone": share,
        "btn_share_phone": t(m, "btn.share_phone"),
        "title": t(m, "menu.title"),
        "btn_find": t(m, "btn.find"),
        "btn_bookings": t(m, "btn.bookings"),
        "btn_wallet": t(m, "btn.wallet"),
        "btn_language": t(m, "btn.language"),
        "btn_help": t(m, "btn.help"),
        "help": t(m, "help.text"),
    }


MAX_LABEL = 40


def _again_label(manager: DialogManager, name: str) -> str:
    """`🔁 Book again: Central Garage`, the name shortened to fit a phone's button."""
    text = label(manager, "btn.book_again_at", name=name)
    if len(text) > MAX_LABEL:
        keep = max(1, len(name) - (len(text) - MAX_LABEL) - 1)
        text = label(manager, "btn.book_again_at", name=name[:keep].rstrip() + "…")
    return text


async def on_again(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    if "again" in manager.dialog_data:
        await book_again(callback, manager, int(manager.dialog_data["again"]))


async def on_share_phone(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """The phone request as a message of its own: only it can carry the reply keyboard with
    the contact button. The screen stays as it is."""
    who = caller(manager)
    bot: Bot = manager.middleware_data["bot"]
    await callback.answer()
    await bot.send_message(
        who.telegram_id, t(manager, "start.share_phone"), reply_markup=phone_keyboard(who.lang)
    )
    manager.show_mode = ShowMode.NO_UPDATE


def _share_phone() -> Button:
    return Button(Format("{btn_share_phone}"), id="share_phone", on_click=on_share_phone, when="share_phone")


def menu_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{title}"),
            Start(Format("{btn_find}"), id="find", state=FindSG.location),
            Button(Format("{btn_again}"), id="again", on_click=on_again, when="can_again"),
            Row(
                Start(Format("{btn_bookings}"), id="bookings", state=BookingsSG.list),
                Start(Format("{btn_wallet}"), id="wallet", state=WalletSG.main),
            ),
            Row(
                Start(Format("{btn_language}"), id="language", state=LanguageSG.choose),
                SwitchTo(Format("{btn_help}"), id="help", state=MenuSG.help),
            ),
            _share_phone(),
            unexpected_input(),
            state=MenuSG.main,
            getter=menu_getter,
        ),
        Window(
            Format("{help}"),
            _share_phone(),
            SwitchTo(Format("{btn_back}"), id="back", state=MenuSG.main),
            unexpected_input(),
            state=MenuSG.help,
            getter=menu_getter,
        ),
    )


async def language_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    current = caller(dialog_manager).lang
    return {
        "title": t(dialog_manager, "language.title"),
        "languages": [(code, ("✅ " if code == current else "") + name) for code, name in LANGUAGES.items()],
    }


async def on_language(callback: CallbackQuery, _: Any, manager: DialogManager, code: str) -> None:
    if code not in LANGUAGES:
        await callback.answer()
        return
    await services(manager).users.set_language(caller(manager).user_id, code)
    # This update's caller still has the old language; what follows is shown in the new one.
    manager.middleware_data["caller"] = replace(caller(manager), lang=code)
    await callback.answer(t(manager, "language.saved"))
    await manager.start(MenuSG.main, mode=StartMode.RESET_STACK)


def language_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{title}"),
            choice("lang", "languages", on_language),
            Start(Format("{btn_back}"), id="back", state=MenuSG.main, mode=StartMode.RESET_STACK),
            unexpected_input(),
            state=LanguageSG.choose,
            getter=language_getter,
        ),
    )
