"""The bot's command menus: everyone's, per language, and a staff member's own, per chat,
which adds /admin (DESIGN.md §11). Telegram shows a chat's own list before the default one,
so the staff list is the whole menu, in the staff member's language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat

from bot.i18n import CATALOGS, tr

COMMANDS = ("start", "find", "bookings", "wallet", "language", "help", "cancel")
STAFF_COMMANDS = (*COMMANDS[:-1], "admin", COMMANDS[-1])


def menu(lang: str, commands: tuple[str, ...] = COMMANDS) -> list[BotCommand]:
    return [BotCommand(command=c, description=tr(lang, f"cmd.{c}")) for c in commands]


async def register_commands(bot: Bot) -> None:
    for lang in CATALOGS:
        await bot.set_my_commands(menu(lang), language_code=None if lang == "en" else lang)


async def show_admin_command(bot: Bot, telegram_id: int, lang: str) -> None:
    """The chat's own menu, with /admin: an owner's or a staff member's."""
    await bot.set_my_commands(menu(lang, STAFF_COMMANDS), scope=BotCommandScopeChat(chat_id=telegram_id))


async def hide_admin_command(bot: Bot, telegram_id: int) -> None:
    """Back to everyone's menu (access revoked)."""
    await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=telegram_id))
