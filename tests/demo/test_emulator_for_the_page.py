"""What the chat page reads from the Bot API emulator: change notifications per chat, the chat's
history as it is now, and uploaded files."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BufferedInputFile

from demo.botapi import DEFAULT_TOKEN, TelegramFake


async def test_changes_history_and_files() -> None:
    async with TelegramFake() as fake:
        bot = Bot(DEFAULT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))
        try:
            user, other = fake.user(1001, "Ann"), fake.user(1002, "Bob")
            changed: list[int] = []
            unsubscribe = fake.subscribe(changed.append)
            await user.send_text("hi")
            assert changed == []  # the person's own message is not a bot change
            first = await bot.send_message(user.id, "<b>One</b>", parse_mode="HTML")
            await bot.edit_message_text("Two", chat_id=user.id, message_id=first.message_id)
            doc = await bot.send_document(other.id, BufferedInputFile(b"%PDF-1", "receipt.pdf"))
            await bot.delete_message(other.id, doc.message_id)
            assert changed == [user.id, user.id, other.id, other.id]

            history = fake.history(user.id)
            assert [(m.text, from_bot, m.edited) for m, from_bot in history] == [
                ("hi", False, False),
                ("Two", True, True),
            ]
            assert fake.history(other.id) == []  # deleted messages are left out
            assert doc.document is not None
            assert fake.files[doc.document.file_id].content == b"%PDF-1"

            unsubscribe()
            await bot.send_message(user.id, "Three")
            assert len(changed) == 4
            assert fake.violations == []
        finally:
            await bot.session.close()
