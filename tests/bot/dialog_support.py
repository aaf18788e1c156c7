"""Driving the real dispatcher (every dialog and router of bot/runtime.py) with aiogram-dialog's
own test tools: `BotClient` feeds updates, `MockMessageManager` keeps the windows as aiogram
`Message`s, `JsonMemoryStorage` round-trips every dialog's data through JSON like Redis would.

Bot API calls made outside the windows (`message.answer`, alerts, venues) reach a recording bot.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram import Dispatcher
from aiogram.filters import Command, CommandObject
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.methods import (
    AnswerCallbackQuery,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVenue,
    TelegramMethod,
)
from aiogram.types import (
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Location,
    Message,
    PhotoSize,
    Update,
    User,
)
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.api.entities import NewMessage, OldMessage
from aiogram_dialog.test_tools import BotClient, MockMessageManager
from aiogram_dialog.test_tools.bot_client import FakeBot
from aiogram_dialog.test_tools.memory_storage import JsonMemoryStorage

from bot.context import Services
from bot.dialogs.states import FindSG, WalletSG
from bot.middlewares import ThrottleMiddleware
from bot.runtime import create_dispatcher

BOT_ID, BOT_USERNAME = 1, "parking_test_bot"


class RecordingBot(FakeBot):
    """Records every Bot API call; sends return a `Message`, everything else `True`."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._me = None  # Bot.me() caches getMe here
        self.calls: list[TelegramMethod[Any]] = []
        self.message_ids = itertools.count(100_000)

    async def __call__(self, method: TelegramMethod[Any], request_timeout: int | None = None) -> Any:
        self.calls.append(method)
        if isinstance(method, SendMessage | SendVenue | SendDocument | SendPhoto):
            return Message(
                message_id=next(self.message_ids),
                date=datetime.now(UTC),
                chat=Chat(id=int(method.chat_id), type="private"),
                text=method.text if isinstance(method, SendMessage) else None,
                caption=method.caption if isinstance(method, SendDocument | SendPhoto) else None,
            )
        if isinstance(method, GetMe):
            return User(id=BOT_ID, is_bot=True, first_name="Parking Bot", username=BOT_USERNAME)
        return True

    def texts(self) -> list[str]:
        """Texts of the plain messages sent (greetings, "I did not get that", …)."""
        return [m.text for m in self.calls if isinstance(m, SendMessage)]

    def callback_answers(self) -> list[AnswerCallbackQuery]:
        """Callback answers sent by handlers themselves (toasts and alerts)."""
        return [m for m in self.calls if isinstance(m, AnswerCallbackQuery)]

    def alerts(self) -> list[str]:
        return [a.text or "" for a in self.callback_answers() if a.show_alert]

    def venues(self) -> list[SendVenue]:
        return [m for m in self.calls if isinstance(m, SendVenue)]


class RecordingMessageManager(MockMessageManager):
    """The mock, also noting how each window was shown: SEND (a new message, the old one
    keeps its text), EDIT (in place) or DELETE_AND_SEND (moved below: the old one is gone)."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.show_modes: list[ShowMode] = []

    async def show_message(
        self, bot: Any, new_message: NewMessage, old_message: OldMessage | None
    ) -> OldMessage:
        self.show_modes.append(new_message.show_mode)
        return await super().show_message(bot, new_message, old_message)


@dataclass(frozen=True)
class Mark:
    texts: int
    shows: int


@dataclass
class _Label:
    """Finds an inline button by its label (an `InlineButtonLocator`)."""

    text: str

    def find_button(self, message: Message) -> InlineKeyboardButton | None:
        return next((b for row in rows(message) for b in row if _shown(b) == self.text), None)


def _shown(button: InlineKeyboardButton) -> str:
    """A label as the app shows it: Telegram trims the blanks around it."""
    return button.text.strip()


def rows(message: Message) -> list[list[InlineKeyboardButton]]:
    markup = message.reply_markup
    return markup.inline_keyboard if isinstance(markup, InlineKeyboardMarkup) else []


def labels(message: Message) -> list[str]:
    return [_shown(b) for row in rows(message) for b in row]


def layout(message: Message) -> list[list[str]]:
    return [[_shown(b) for b in row] for row in rows(message)]


async def _test_find(message: Message, command: CommandObject, dialog_manager: DialogManager) -> None:
    """`/testfind <lat> <lon>`: the find dialog at known coordinates, as if a location came in
    (the location window itself has a reply keyboard, which `MockMessageManager` cannot show)."""
    lat, lon = (float(part) for part in (command.args or "").split())
    await dialog_manager.start(
        FindSG.location,
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
        data={"lat": lat, "lon": lon},
    )


async def _test_cards(message: Message, dialog_manager: DialogManager) -> None:
    """`/testcards`: the saved cards window (its button is hidden without card payments)."""
    await dialog_manager.start(WalletSG.cards, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


def build_dispatcher(services: Services, manager: MockMessageManager) -> Dispatcher:
    """The production dispatcher, plus two test-only commands. They are registered on the
    dispatcher itself, whose own handlers run before any included router (so before the
    fallback router that answers every other message)."""
    dp, _bg = create_dispatcher(
        services,
        JsonMemoryStorage(),
        SimpleEventIsolation(),
        message_manager=manager,
        throttle=ThrottleMiddleware(rate=1000, burst=1000),  # tests tap faster than people
    )
    dp.message.register(_test_find, Command("testfind"))
    dp.message.register(_test_cards, Command("testcards"))
    return dp


class Driver:
    """One Telegram user in a private chat with the bot."""

    def __init__(self, services: Services, telegram_id: int) -> None:
        self.services = services
        self.telegram_id = telegram_id
        self.manager = RecordingMessageManager()
        self.bot = RecordingBot()
        self.dp = build_dispatcher(services, self.manager)
        self.client = BotClient(self.dp, user_id=telegram_id, chat_id=telegram_id, bot=self.bot)

    @property
    def screen(self) -> Message:
        """The window shown last (a new message or an edit: the mock makes each a message)."""
        message = self.manager.last_message()
        assert message.text is not None or message.caption is not None, "the last update hid the window"
        return message

    @property
    def text(self) -> str:
        message = self.screen
        return message.text or message.caption or ""

    @property
    def labels(self) -> list[str]:
        return labels(self.screen)

    @property
    def layout(self) -> list[list[str]]:
        return layout(self.screen)

    def mark(self) -> Mark:
        return Mark(len(self.bot.texts()), len(self.manager.show_modes))

    def answers_since(self, mark: Mark) -> list[str]:
        """What the bot did in the chat since `mark`, as the driver sees it: each plain
        message, then each window shown and how."""
        texts = [f"message: {t}" for t in self.bot.texts()[mark.texts :]]
        return texts + [f"window: {m.value}" for m in self.manager.show_modes[mark.shows :]]

    async def send(self, text: str) -> None:
        await self.client.send(text)

    async def _send_message(self, **content: Any) -> None:
        """A message other than text (BotClient sends text only), numbered like its own."""
        self.client.last_message_id += 1
        self.client.last_update_id += 1
        message = Message(
            message_id=self.client.last_message_id,
            date=datetime.now(UTC),
            chat=self.client.chat,
            from_user=self.client.user,
            **content,
        )
        await self.dp.feed_update(self.bot, Update(update_id=self.client.last_update_id, message=message))

    async def send_location(self, lat: float, lon: float) -> None:
        """A shared location (📎 → Location)."""
        await self._send_message(location=Location(latitude=lat, longitude=lon))

    async def send_photo(self, file_id: str) -> None:
        """A photo, as Telegram delivers it: its sizes, the largest last."""
        sizes = [
            PhotoSize(file_id=f"{file_id}-s", file_unique_id=f"{file_id}-s", width=90, height=60),
            PhotoSize(file_id=file_id, file_unique_id=file_id, width=1280, height=853),
        ]
        await self._send_message(photo=sizes)

    async def tap(self, label: str, *, on: Message | None = None) -> None:
        """Taps a button of the current window (or of an older message, `on`)."""
        screen = on or self.screen
        assert label in labels(screen), f"no button {label!r} in {layout(screen)} under {screen.text!r}"
        await self.client.click(screen, _Label(label))

    async def tap_outside_dialogs(self, callback_data: str) -> None:
        """Taps a button of a message sent outside the dialogs (a notification's button)."""
        notification = Message(
            message_id=next(self.bot.message_ids),
            date=datetime.now(UTC),
            chat=Chat(id=self.telegram_id, type="private"),
            text="notification",
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[[InlineKeyboardButton(text="button", callback_data=callback_data)]]
            ),
        )
        await self.client.click(notification, _Label("button"))

    def label_starting(self, prefix: str) -> str:
        found = [text for text in self.labels if text.startswith(prefix)]
        assert len(found) == 1, f"{len(found)} buttons start with {prefix!r}: {self.layout}"
        return found[0]
