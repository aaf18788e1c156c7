"""Self-tests for the Telegram fake, driven through the real aiogram ``Bot`` (and Dispatcher)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandStart
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from demo.botapi import (
    BLOCKED,
    DEFAULT_TOKEN,
    SPEC_ENV,
    TelegramFake,
    Upload,
    parse_html,
    spec_path,
)


def _keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data) for text, data in buttons]]
    )


@pytest.fixture(scope="module")
async def session() -> AsyncIterator[AiohttpSession]:
    """One HTTP session for the module: closing one costs aiogram a fixed 0.25 s sleep."""
    shared = AiohttpSession()
    yield shared
    await shared.close()


@pytest.fixture
async def fake() -> AsyncIterator[TelegramFake]:
    async with TelegramFake() as server:
        yield server
        assert server.violations == []


@pytest.fixture
def bot(fake: TelegramFake, session: AiohttpSession) -> Bot:
    session.api = TelegramAPIServer.from_base(fake.base_url)  # how the bot is pointed at the fake
    return Bot(DEFAULT_TOKEN, session=session)


async def test_send_message_with_inline_keyboard_is_stored_and_returned(fake: TelegramFake, bot: Bot) -> None:
    user = fake.user(1001, "Ann")
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text="Book", callback_data="book:1")],
            [InlineKeyboardButton(text="Map", url="https://example.com/map")],
        ]
    )
    sent = await bot.send_message(user.id, "<b>Spot</b> A1 &amp; B2", parse_mode="HTML", reply_markup=markup)

    assert isinstance(sent, Message)
    assert (sent.message_id, sent.chat.id, sent.text) == (1, 1001, "Spot A1 & B2")
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.entities is not None and (sent.entities[0].type, sent.entities[0].length) == ("bold", 4)
    assert sent.reply_markup is not None
    assert sent.reply_markup.model_dump() == markup.model_dump()  # == also compares the bound bot
    assert user.last_message.buttons() == [("Book", "book:1"), ("Map", "https://example.com/map")]
    method, params = fake.calls[-1]
    assert method == "sendMessage" and params["chat_id"] == 1001
    assert params["reply_markup"]["inline_keyboard"][0][0] == {"text": "Book", "callback_data": "book:1"}
    assert (await bot.send_message(user.id, "second")).message_id == 2
    assert [m.text for m in user.messages] == ["Spot A1 & B2", "second"]
    assert (await bot.get_me()).username == "parking_test_bot"
    assert await bot.set_my_commands([BotCommand(command="start", description="Start")], language_code="en")
    assert fake.commands == {("default", "en"): [{"command": "start", "description": "Start"}]}


async def test_unknown_parameter_is_a_violation(fake: TelegramFake, bot: Bot) -> None:
    user = fake.user()
    with pytest.raises(TelegramBadRequest, match='unknown parameter "colour"'):
        await bot(SendMessage(chat_id=user.id, text="hi", colour="red"))  # extra fields are allowed
    assert fake.violations == ['sendMessage: unknown parameter "colour"']
    assert user.messages == []
    fake.violations.clear()


async def test_missing_required_parameter_is_a_violation(fake: TelegramFake, bot: Bot) -> None:
    user = fake.user()
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(user.id, "")  # aiogram drops empty strings from the form
    with pytest.raises(TelegramBadRequest, match='"callback_query_id" is required'):
        await bot.answer_callback_query("")
    assert fake.violations == [
        "sendMessage: message text is empty",
        'answerCallbackQuery: parameter "callback_query_id" is required',
    ]
    fake.violations.clear()


async def test_unknown_method_and_path_are_recorded(fake: TelegramFake) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{fake.base_url}/bot{DEFAULT_TOKEN}/sendTelepathy"
        async with http.post(url, data={"chat_id": "1"}) as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.post(f"{fake.base_url}/bot{DEFAULT_TOKEN}/getme") as resp:  # case-insensitive
            assert resp.status == 200 and (await resp.json())["result"]["is_bot"] is True
        async with http.get(f"{fake.base_url}/bot1:wrong/getMe") as resp:
            assert resp.status == 401
    assert fake.violations == ["sendTelepathy: unknown method", "getMe: wrong bot token"]
    assert fake.calls[0] == ("sendTelepathy", {"chat_id": "1"})
    fake.violations.clear()


async def test_html_is_checked_and_parsed(fake: TelegramFake, bot: Bot) -> None:
    user = fake.user()
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(user.id, "Price < 5", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "br"'):
        await bot.send_message(user.id, "a<br>b", parse_mode="HTML")
    assert len(fake.violations) == 2 and user.messages == []
    fake.violations.clear()
    await bot.send_message(user.id, "Price < 5 & more")  # no parse_mode: sent verbatim
    assert user.last_message.text == "Price < 5 & more"

    text, entities = parse_html(
        '<a href="https://x.io/?a=1&amp;b=2">go</a> <pre><code class="language-py">1</code></pre>'
    )
    assert text == "go 1"
    assert entities == [
        {"type": "text_link", "offset": 0, "length": 2, "url": "https://x.io/?a=1&b=2"},
        {"type": "pre", "offset": 3, "length": 1, "language": "py"},
    ]
    for bad in ("<b>x</i>", "<b>x", "x</b>", '<span class="x">y</span>', "Park & Ride", "a > b"):
        with pytest.raises(Exception, match="can't parse entities"):
            parse_html(bad)
    assert parse_html("Park & Ride", strict=False) == ("Park & Ride", [])
    assert parse_html("👍 <i>x</i>")[1] == [{"type": "italic", "offset": 3, "length": 1}]  # UTF-16 offsets


async def test_inline_buttons_are_checked(fake: TelegramFake, bot: Bot) -> None:
    user = fake.user()
    await bot.send_message(user.id, "ok", reply_markup=_keyboard(("x", "d" * 64)))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(user.id, "long", reply_markup=_keyboard(("x", "d" * 65)))
    no_action = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="x")]])
    with pytest.raises(TelegramBadRequest, match="exactly one of the action fields"):
        await bot.send_message(user.id, "none", reply_markup=no_action)
    assert len(fake.violations) == 2 and [m.text for m in user.messages] == ["ok"]
    fake.violations.clear()


async def test_edits_and_deletes(fake: TelegramFake, bot: Bot) -> None:
    user = fake.user()
    sent = await bot.send_message(user.id, "Spot A1", reply_markup=_keyboard(("Book", "book")))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Spot A1", chat_id=user.id, message_id=sent.message_id,
                                    reply_markup=_keyboard(("Book", "book")))  # fmt: skip
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=user.id, message_id=99)
    edited = await bot.edit_message_text("Spot A1 <i>booked</i>", chat_id=user.id,
                                         message_id=sent.message_id, parse_mode="HTML")  # fmt: skip
    assert isinstance(edited, Message) and edited.edit_date is not None and edited.text == "Spot A1 booked"
    assert user.last_message.buttons() == []  # an edit without reply_markup removes the keyboard
    await bot.edit_message_reply_markup(chat_id=user.id, message_id=sent.message_id,
                                        reply_markup=_keyboard(("Cancel", "cancel")))  # fmt: skip
    assert user.last_message.buttons() == [("Cancel", "cancel")]
    assert await bot.delete_message(user.id, sent.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(user.id, sent.message_id)
    assert user.messages == [] and fake.violations == []


async def test_rate_limit_gives_retry_after(fake: TelegramFake, bot: Bot) -> None:
    user = fake.user()
    await bot.send_message(user.id, "one")  # off by default
    await bot.send_message(user.id, "two")
    fake.rate_limit(per_chat_per_second=1, global_per_second=30)
    await bot.send_message(user.id, "three")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(user.id, "four")
    assert caught.value.retry_after == 1 and fake.throttled == 1
    await bot.send_chat_action(user.id, "typing")  # not a message: not limited
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(fake.user(1002).id, "five")
    assert caught.value.retry_after == 7 and fake.throttled == 2


async def test_injected_and_chat_errors(fake: TelegramFake, bot: Bot) -> None:
    user = fake.user()
    fake.fail_next("sendMessage", 403, BLOCKED)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await bot.send_message(user.id, "hi")
    fake.fail_next("sendMessage", 500, "Internal Server Error")
    with pytest.raises(TelegramServerError):
        await bot.send_message(user.id, "hi")
    await bot.send_message(user.id, "hi")  # one failure per fail_next
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "hi")
    user.blocked = True
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(user.id, "hi")
    assert [e[1] for e in fake.errors] == [403, 500, 400, 403] and fake.violations == []


async def test_files_locations_and_callback_answers(fake: TelegramFake, bot: Bot) -> None:
    user = fake.user()
    doc = await bot.send_document(user.id, BufferedInputFile(b"%PDF", "receipt.pdf"), caption="Receipt")
    assert doc.document is not None and doc.document.file_name == "receipt.pdf" and doc.caption == "Receipt"
    upload = fake.calls[-1][1]["document"]
    assert isinstance(upload, Upload) and upload.content == b"%PDF"
    photo = await bot.send_photo(user.id, "AgACfileid")
    assert photo.photo is not None and photo.photo[0].file_id == "AgACfileid"
    venue = await bot.send_venue(user.id, 51.5, -0.12, "Car park", "1 High St")
    assert venue.venue is not None and venue.venue.title == "Car park"
    assert (await bot.send_location(user.id, 51.5, -0.12)).location is not None

    callback_id = await user.tap_raw(venue.message_id, "forged")
    assert user.unanswered_callbacks() == [callback_id]
    assert await bot.answer_callback_query(callback_id, text="Nope", show_alert=True)
    assert user.callback_answers[0].text == "Nope" and user.callback_answers[0].show_alert
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(callback_id)
    with pytest.raises(AssertionError, match="no button"):
        await user.tap(venue.message_id, "forged")


async def test_get_updates_offsets_long_poll_and_reply_keyboard(fake: TelegramFake, bot: Bot) -> None:
    user = fake.user(1001, "Ann")
    keyboard = ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text="Share location", request_location=True), KeyboardButton(text="Help")]
        ],
        one_time_keyboard=True,
    )
    await bot.send_message(user.id, "Where are you?", reply_markup=keyboard)
    assert user.last_message.reply_buttons() == ["Share location", "Help"]
    await user.tap_reply_button("Share location", location=(51.5, -0.12))
    assert user.reply_keyboard() == []  # one-time keyboard is hidden after use
    await user.send_contact("+447700900123")
    updates = await bot.get_updates(timeout=0)
    assert updates[0].message is not None and updates[0].message.location is not None
    assert updates[1].message is not None and updates[1].message.contact is not None
    assert updates[1].message.contact.user_id == user.id
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == []

    # A long poll waits for an update and returns as soon as one comes, not at its timeout.
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.05)
    assert not poll.done()
    await user.send_command("/start", payload="deep")
    (update,) = await asyncio.wait_for(poll, 10)
    assert update.message is not None and update.message.text == "/start deep"
    assert update.message.entities is not None and update.message.entities[0].type == "bot_command"


async def test_polling_with_a_dispatcher(fake: TelegramFake, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Welcome", reply_markup=_keyboard(("Find parking", "find")))

    @dp.callback_query(F.data == "find")
    async def find(query: CallbackQuery) -> None:
        await query.answer("Searching…")
        assert isinstance(query.message, Message)
        await query.message.edit_text("Nearest: A1")

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False))
    user = fake.user(1001, "Ann")
    await user.send_command("/start")
    welcome = await user.wait_for_message()
    assert welcome.text == "Welcome"
    await user.tap(welcome, "find")
    edited = await user.wait_for_message(lambda m: m.edited)
    assert edited.text == "Nearest: A1" and edited.message_id == welcome.message_id
    assert [a.text for a in user.callback_answers] == ["Searching…"] and user.unanswered_callbacks() == []
    await dp.stop_polling()
    await polling
    assert fake.calls[0][0] == "getMe" and fake.calls[1][0] == "getUpdates"


async def test_webhook_delivery(fake: TelegramFake, bot: Bot) -> None:
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> SendMessage:
        return message.answer(f"echo: {message.text}")  # answered in the webhook reply

    app = web.Application()
    SimpleRequestHandler(dp, bot, handle_in_background=False, secret_token="s3cret").register(app, path="/tg")
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/tg"
    try:
        assert await bot.set_webhook(url, secret_token="s3cret")
        assert (await bot.get_webhook_info()).url == url
        user = fake.user()
        update = await user.send_text("hi")
        assert fake.webhook_responses == [(update["update_id"], 200)]
        assert user.last_message.text == "echo: hi"
        with pytest.raises(TelegramConflictError):
            await bot.get_updates()

        fake.set_webhook_target(url, "wrong")
        update = await user.send_text("intruder")
        assert fake.webhook_responses[-1] == (update["update_id"], 401)
        assert len(user.messages) == 1
        assert await bot.delete_webhook()
        assert fake.webhook_url is None and fake.violations == []
    finally:
        await runner.cleanup()


def test_spec_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The spec is vendored: a clone with nothing beside it (a user's machine) must still test.
    repo = Path(__file__).resolve().parents[2]
    assert spec_path().is_file() and spec_path().is_relative_to(repo)
    assert (spec_path().parent / "LICENSE").read_text().count("Copyright (c) 2020 Paul Larsen") == 1
    monkeypatch.setenv(SPEC_ENV, str(tmp_path / "spec.json"))
    assert spec_path() == tmp_path / "spec.json"
