"""The chat page's HTTP side: what it streams and what it refuses (anything a browser sends is
checked; a wrong request gets a 4xx and changes nothing)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand, BotCommandScopeChat, InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from demo.botapi import DEFAULT_TOKEN, TelegramFake
from demo.chat import ChatPage, DemoUser
from demo.clock import DemoClock

USER = DemoUser(1001, "Alex", "driver", "en", "+447700900101")


class Page:
    def __init__(
        self, fake: TelegramFake, client: TestClient[web.Request, web.Application], clock: DemoClock
    ):
        self.fake, self.client, self.clock = fake, client, clock
        self.travelled = 0

    async def post(self, path: str, body: object) -> int:
        async with self.client.post(path, data=json.dumps(body)) as response:
            return response.status

    async def events(self, count: int) -> list[tuple[str, dict[str, object]]]:
        """The first `count` events of the stream for the user."""
        out: list[tuple[str, dict[str, object]]] = []
        async with self.client.get("/demo/events", params={"user": str(USER.id)}) as response:
            assert response.headers["Content-Type"] == "text/event-stream"
            name = ""
            async for raw in response.content:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    out.append((name, json.loads(line.removeprefix("data: "))))
                    if len(out) == count:
                        return out
        return out


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    clock = DemoClock()
    async with TelegramFake() as fake:
        holder: list[Page] = []
        chat = ChatPage(
            fake, clock, [USER], point=(50.45, 30.52), timezone="Europe/Kyiv",
            after_time_travel=lambda: setattr(holder[0], "travelled", holder[0].travelled + 1),
        )  # fmt: skip
        app = web.Application()
        chat.add_routes(app)
        async with TestClient(TestServer(app)) as client:
            holder.append(Page(fake, client, clock))
            yield holder[0]
            chat.close()
        assert fake.violations == []


async def test_bot_messages_stream_as_safe_html_with_their_buttons(page: Page) -> None:
    bot = Bot(DEFAULT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(page.fake.base_url)))
    try:
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text="Book", callback_data="book:1")],
                [InlineKeyboardButton(text="Pay", url="http://127.0.0.1:9/pay/cs_1")],
            ]
        )
        text = "<b>Spot &lt;A1&gt;</b> <a href='https://example.org'>map</a>"
        await bot.send_message(USER.id, text, parse_mode="HTML", reply_markup=keyboard)
    finally:
        await bot.session.close()
    events = await page.events(5)
    assert [name for name, _ in events] == ["reset", "message", "keyboard", "commands", "clock"]
    message = events[1][1]
    assert message["html"] == (
        '<b>Spot &lt;A1&gt;</b> <a href="https://example.org" target="_blank" '
        'rel="noopener noreferrer">map</a>'
    )
    assert message["buttons"] == [
        [{"text": "Book", "data": "book:1"}],
        [{"text": "Pay", "url": "http://127.0.0.1:9/pay/cs_1"}],
    ]


async def test_actions_are_checked(page: Page) -> None:
    assert await page.post("/demo/send", {"user": 999, "text": "hi"}) == 400  # not a demo user
    assert await page.post("/demo/send", ["not", "an", "object"]) == 400
    assert await page.post("/demo/send", {"user": USER.id, "text": "x" * 5000}) == 400
    assert await page.post("/demo/tap", {"user": USER.id, "message_id": 1, "data": "forged"}) == 409
    assert await page.post("/demo/reply", {"user": USER.id, "text": "📍 Send my location"}) == 409
    assert await page.post("/demo/language", {"user": USER.id, "lang": "<script>"}) == 400
    assert await page.post("/demo/clock", {"user": USER.id, "minutes": -60}) == 400
    assert page.fake.updates == [] and page.clock.offset == timedelta() and page.travelled == 0

    assert await page.post("/demo/send", {"user": USER.id, "text": "/start deep"}) == 200
    [update] = page.fake.updates
    assert update["message"]["text"] == "/start deep"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert await page.post("/demo/language", {"user": USER.id, "lang": "uk"}) == 200
    assert page.fake.users[USER.id].obj["language_code"] == "uk"
    assert await page.post("/demo/clock", {"user": USER.id, "minutes": 15}) == 200
    assert page.clock.offset == timedelta(minutes=15) and page.travelled == 1


async def test_the_menu_is_the_chats_own_when_it_has_one(page: Page) -> None:
    """An operator's chat has a menu of its own (with /admin); the page shows it, as Telegram
    does, before everyone's."""
    bot = Bot(DEFAULT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(page.fake.base_url)))
    try:
        await bot.set_my_commands([BotCommand(command="start", description="Start")])
        await bot.set_my_commands(
            [BotCommand(command="admin", description="Operator console")],
            scope=BotCommandScopeChat(chat_id=USER.id),
        )
        await bot.set_my_commands(
            [BotCommand(command="other", description="Someone else's")],
            scope=BotCommandScopeChat(chat_id=USER.id + 1),
        )
    finally:
        await bot.session.close()
    events = dict(await page.events(3))
    assert events["commands"]["commands"] == [{"command": "admin", "description": "Operator console"}]
