"""Stateful in-process fake of the Telegram Bot API, driven by the *real* aiogram ``Bot``.

It is an ``aiohttp.web`` server on ``127.0.0.1`` (free port)::

    async with TelegramFake() as fake:
        api = TelegramAPIServer.from_base(fake.base_url)
        bot = Bot(DEFAULT_TOKEN, session=AiohttpSession(api=api))
        user = fake.user(1001, "Ann")
        await user.send_command("/start")
        reply = await user.wait_for_message()
        await user.tap(reply, reply.buttons()[0][1] or "")
        assert fake.violations == []

What it fakes: ``POST|GET /bot<token>/<method>`` with form, multipart (file uploads, also via
``attach://``), JSON or query parameters; every call checked against the machine-readable Bot
API spec (``vendor/telegram-bot-api-spec/telegram-bot-api.json``, or
``$TELEGRAM_BOT_API_SPEC``): unknown methods (404), unknown or missing parameters, value types,
nested objects (unknown/missing fields, field types, unions and subtypes), inline buttons
(exactly one action, ``callback_data`` 1-64 bytes), message text (1-4096) and caption (<= 1024)
lengths after HTML parsing, and Telegram's HTML subset (start/end tags, attributes, escaping),
all as 400s recorded in ``violations``.
State: per-chat message ids, sent/edited/deleted messages with HTML entities, callback queries
and their answers, commands, long polling (``offset``/``limit``/``timeout``/
``allowed_updates``, 409 with a webhook or a newer poller) and webhooks (``secret_token``
header, methods returned in the webhook reply are executed). Errors have Telegram's shape and
status, so aiogram raises its usual ``TelegramBadRequest`` / ``TelegramForbiddenError`` /
``TelegramRetryAfter`` etc. Test controls: ``rate_limit``, ``fail_next``, ``user`` (a simulated
private-chat user, see ``FakeUser``), ``set_webhook_target``.

What it does not fake: groups, channels, topics, business and inline mode, payments, file
downloads (``getFile`` gives ``true``), MarkdownV2/Markdown parsing (text is kept verbatim),
media groups, polls, reactions, the 48-hour edit window, callback-query expiry, webhook
retries, ``max_connections`` and setWebhook's ``certificate`` upload (``http://`` is accepted;
an ``https://`` webhook is verified against ``webhook_ssl``, the system's CAs by default),
Telegram trimming whitespace, and UTF-16 lengths for the 4096/1024 limits (code points are
counted). Methods without a handler answer ``{"ok": true, "result": true}``, which aiogram
rejects for methods that return an object. It is *stricter* than Telegram in two ways:
unknown parameters are errors (Telegram ignores them) and, with ``strict_html`` (default), a
bare ``&`` or ``>`` in HTML is too (Telegram tolerates them; ``html.escape`` output is always
fine).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import html
import json
import math
import os
import re
import secrets
import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import aiohttp
from aiohttp import web

from demo.local_server import serve_locally, stop_serving

JSON = dict[str, Any]
DEFAULT_TOKEN = "123456789:AAFakeTelegramTokenForTests_0123456789"
SPEC_ENV = "TELEGRAM_BOT_API_SPEC"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
BLOCKED = "Forbidden: bot was blocked by the user"

_PATH = re.compile(r"/bot([^/]+)/([A-Za-z0-9_]+)/?")
_INT = re.compile(r"-?\d+")
_BOOLS = {"true": True, "1": True, "false": False, "0": False}
_PRIMITIVE: dict[str, Callable[[Any], bool]] = {
    "String": lambda v: isinstance(v, str),
    "Integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
    "True": lambda v: v is True,
    "InputFile": lambda v: isinstance(v, str),
}
_BUTTON_LOOKS = frozenset({"text", "icon_custom_emoji_id", "style"})  # not button actions
_MESSAGE_CONTENT = ("text", "entities", "caption", "caption_entities", "reply_markup")
_RATE_LIMITED = ("send", "copy", "forward")

# Telegram's HTML subset: tag -> entity type.
_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link", "tg-emoji": "custom_emoji",
    "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-time": "date_time",
}  # fmt: skip
_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>\"']+))?)*)\s*>"
)
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>\"']+))?")
_HTML_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class _ApiError(Exception):
    """A Telegram error response."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description = code, description
        self.body: JSON = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            self.body["parameters"] = {"retry_after": retry_after}


class _Invalid(Exception):
    """A call that breaks the spec: a 400 that is also recorded as a violation."""


def _bad(description: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {description}")


def _true(params: JSON) -> bool:
    return True


def _now() -> int:
    return int(time.time())


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def spec_path() -> Path:
    env = os.environ.get(SPEC_ENV)
    if env:
        return Path(env)
    # Vendored into the project (with its licence) so a clone runs its tests on its own; found
    # from wherever this module lives in the clone.
    vendored = Path("vendor") / "telegram-bot-api-spec" / "telegram-bot-api.json"
    here = Path(__file__).resolve()
    return next((p / vendored for p in here.parents if (p / vendored).is_file()), here.parents[2] / vendored)


@functools.cache
def load_spec(path: Path) -> JSON:
    spec: JSON = json.loads(path.read_text(encoding="utf-8"))
    return spec


def parse_html(source: str, *, strict: bool = True) -> tuple[str, list[JSON]]:
    """Parse Telegram-flavoured HTML into (plain text, entities); raises ``_Invalid``."""
    out: list[str] = []
    pos = 0  # UTF-16 offset in the plain text
    stack: list[tuple[str, JSON]] = []  # (tag, entity being built)
    entities: list[JSON] = []
    i = 0

    def where(index: int) -> str:
        return f"at byte offset {len(source[:index].encode())}"

    while i < len(source):
        ch = source[i]
        if ch == "<":
            match = _TAG.match(source, i)
            if match is None:
                if ">" not in source[i:]:
                    raise _Invalid(f"can't parse entities: Unclosed start tag {where(i)}")
                name = re.match(r"</?([^\s>]*)", source[i:])
                found = name.group(1) if name else ""
                raise _Invalid(f'can\'t parse entities: Unsupported start tag "{found}" {where(i)}')
            closing, tag, attr_text = match.group(1), match.group(2).lower(), match.group(3)
            if tag not in _HTML_TAGS:
                kind = "end" if closing else "start"
                raise _Invalid(f'can\'t parse entities: Unsupported {kind} tag "{tag}" {where(i)}')
            if closing:
                if not stack:
                    raise _Invalid(f'can\'t parse entities: Unexpected end tag "{tag}" {where(i)}')
                open_tag, entity = stack.pop()
                if open_tag != tag:
                    raise _Invalid(
                        f"can't parse entities: Unmatched end tag {where(i)}, "
                        f'expected "</{open_tag}>", found "</{tag}>"'
                    )
                entity["length"] = pos - entity["offset"]
                if entity["length"] > 0 and entity.pop("_emit", True):
                    entities.append(entity)
            else:
                attrs = {k.lower(): (v or "").strip("\"'") for k, v in _ATTR.findall(attr_text)}
                stack.append((tag, _tag_entity(tag, attrs, pos, stack, where(i))))
            i = match.end()
            continue
        if ch == "&":
            ent = _HTML_ENTITY.match(source, i)
            if ent is not None:
                text = html.unescape(ent.group())
                out.append(text)
                pos += _utf16(text)
                i = ent.end()
                continue
        if strict and ch in "&>":
            escaped = "&amp;" if ch == "&" else "&gt;"
            raise _Invalid(f"can't parse entities: unescaped {ch!r} {where(i)} (use {escaped})")
        out.append(ch)
        pos += _utf16(ch)
        i += 1
    if stack:
        raise _Invalid(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1][0]}\""
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _tag_entity(tag: str, attrs: dict[str, str], pos: int, stack: list[tuple[str, JSON]], at: str) -> JSON:
    entity: JSON = {"type": _HTML_TAGS[tag], "offset": pos}
    if tag == "span" and attrs.get("class") != "tg-spoiler":
        raise _Invalid(f'can\'t parse entities: Tag "span" must have class "tg-spoiler" {at}')
    if tag == "a":
        if not attrs.get("href"):
            raise _Invalid(f"can't parse entities: <a> needs an href {at}")
        entity["url"] = html.unescape(attrs["href"])
    elif tag == "tg-emoji":
        if not attrs.get("emoji-id"):
            raise _Invalid(f'can\'t parse entities: Tag "tg-emoji" must have attribute "emoji-id" {at}')
        entity["custom_emoji_id"] = attrs["emoji-id"]
    elif tag == "tg-time":
        if not attrs.get("unix", "").isdigit():
            raise _Invalid(f'can\'t parse entities: Tag "tg-time" must have attribute "unix" {at}')
        entity["unix_time"] = int(attrs["unix"])
    elif tag == "blockquote" and "expandable" in attrs:
        entity["type"] = "expandable_blockquote"
    elif tag == "code" and stack and stack[-1][0] == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1][1]["language"] = language.removeprefix("language-")
        entity["_emit"] = False  # <pre><code class=...> is one pre entity
    return entity


class _Validator:
    """Checks decoded values against the spec's types."""

    def __init__(self, types: dict[str, JSON]) -> None:
        self.types = types

    def union(self, value: Any, types: list[str], path: str) -> list[str]:
        best: list[str] | None = None
        for type_name in types:
            errors = self.check(value, type_name, path)
            if not errors:
                return []
            if best is None or len(errors) < len(best):
                best = errors
        return best or []

    def check(self, value: Any, type_name: str, path: str) -> list[str]:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return [f'field "{path}" must be an Array']
            item_type = type_name.removeprefix("Array of ")
            return [e for i, item in enumerate(value) for e in self.check(item, item_type, f"{path}[{i}]")]
        if type_name in _PRIMITIVE:
            return [] if _PRIMITIVE[type_name](value) else [f'field "{path}" must be of type {type_name}']
        spec = self.types.get(type_name)
        if spec is None:
            return []
        if "subtypes" in spec:
            return self.union(value, spec["subtypes"], path)
        if not isinstance(value, dict):
            return [f'field "{path}" must be an Object of type {type_name}']
        fields = {f["name"]: f for f in spec.get("fields", [])}
        errors = [f'unknown field "{path}.{k}" in {type_name}' for k in value if k not in fields]
        errors += [
            f'field "{path}.{n}" is required in {type_name}'
            for n, f in fields.items()
            if f["required"] and n not in value
        ]
        for key, item in value.items():
            if key in fields:
                errors += self.union(item, fields[key]["types"], f"{path}.{key}")
        if type_name == "InlineKeyboardButton":
            actions = sorted(k for k in value if k not in _BUTTON_LOOKS)
            if len(actions) != 1:
                errors.append(
                    f"can't parse inline keyboard button {path}: exactly one of the action fields "
                    f"must be used, got {actions or 'none'}"
                )
            data = value.get("callback_data")
            if isinstance(data, str) and not 1 <= len(data.encode()) <= 64:
                errors.append(f"BUTTON_DATA_INVALID: {path}.callback_data is {len(data.encode())} bytes")
        return errors


@dataclass(frozen=True)
class Upload:
    """A file received as a multipart part."""

    filename: str
    content: bytes
    content_type: str


@dataclass
class _Msg:
    data: JSON  # the Message object as Telegram returns it
    markup: JSON | None  # reply_markup as sent (including reply keyboards)
    from_bot: bool
    deleted: bool = False


@dataclass(frozen=True)
class BotMessage:
    """A snapshot of a bot message as the user sees it."""

    raw: JSON
    markup: JSON | None = None
    edited: bool = False

    @property
    def message_id(self) -> int:
        return int(self.raw["message_id"])

    @property
    def text(self) -> str:
        """Plain text (HTML already parsed), or the caption, or ``""``."""
        return str(self.raw.get("text", self.raw.get("caption", "")))

    def buttons(self) -> list[tuple[str, str | None]]:
        """The inline keyboard as (text, callback_data or url), row by row."""
        rows = (self.markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", b.get("url"))) for row in rows for b in row]

    def reply_buttons(self) -> list[str]:
        rows = (self.markup or {}).get("keyboard", [])
        return [b if isinstance(b, str) else b["text"] for row in rows for b in row]


@dataclass(frozen=True)
class CallbackAnswer:
    callback_id: str
    text: str | None
    show_alert: bool
    url: str | None


@dataclass
class _Callback:
    user_id: int
    answered: bool = False
    answer_calls: int = 0  # answerCallbackQuery calls, the refused second ones included


class FakeUser:
    """A Telegram user in a private chat with the bot; actions are updates for the bot."""

    def __init__(self, fake: TelegramFake, user_id: int, first_name: str, language_code: str | None,
                 username: str | None) -> None:  # fmt: skip
        self._fake, self.id, self.first_name = fake, user_id, first_name
        self.blocked = False  # True: bot calls to this chat get 403 "bot was blocked by the user"
        self.callback_answers: list[CallbackAnswer] = []
        self.callback_ids: list[str] = []
        self.obj: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        self.chat: JSON = {"id": user_id, "type": "private", "first_name": first_name}
        if username is not None:
            self.obj["username"] = self.chat["username"] = username
        if language_code is not None:
            self.obj["language_code"] = language_code
        self._cursor = 0  # index in the chat's event log that wait_for_message reads from
        self._used_keyboard: int | None = None  # one-time reply keyboard already used

    # ------------------------------------------------------------------ actions
    async def send_text(self, text: str, entities: list[JSON] | None = None) -> JSON:
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return await self._send_message(content)

    async def send_command(self, command: str, payload: str | None = None) -> JSON:
        command = command if command.startswith("/") else f"/{command}"
        text = command if payload is None else f"{command} {payload}"
        return await self.send_text(text, [{"type": "bot_command", "offset": 0, "length": _utf16(command)}])

    async def send_location(self, latitude: float, longitude: float) -> JSON:
        return await self._send_message({"location": {"latitude": latitude, "longitude": longitude}})

    async def send_contact(self, phone: str, first_name: str | None = None) -> JSON:
        contact = {"phone_number": phone, "first_name": first_name or self.first_name, "user_id": self.id}
        return await self._send_message({"contact": contact})

    async def tap(self, message: BotMessage | int, callback_data: str) -> str:
        """Press the inline button with ``callback_data`` on the message's current keyboard."""
        message_id = message if isinstance(message, int) else message.message_id
        stored = self._fake._chat(self.id).get(message_id)
        assert stored is not None and stored.from_bot and not stored.deleted, (
            f"no bot message {message_id} in chat {self.id}"
        )
        current = BotMessage(stored.data, stored.markup)
        assert any(data == callback_data for _, data in current.buttons()), (
            f"no button with callback_data {callback_data!r} on message {message_id}: {current.buttons()}"
        )
        return await self.tap_raw(message_id, callback_data)

    async def tap_label(self, message: BotMessage | int, text: str) -> str:
        """Press the inline callback button labelled ``text``."""
        message_id = message if isinstance(message, int) else message.message_id
        stored = self._fake._chat(self.id).get(message_id)
        buttons = BotMessage(stored.data, stored.markup).buttons() if stored else []
        data = next((d for label, d in buttons if label == text), None)
        assert data is not None, f"no button {text!r} on message {message_id}: {buttons}"
        return await self.tap(message_id, data)

    async def tap_raw(self, message_id: int, data: str) -> str:
        """A callback query with any data (a forged or stale button); returns the query id."""
        stored = self._fake._chat(self.id).get(message_id)
        message: JSON = {"chat": self.chat, "message_id": message_id, "date": 0}  # InaccessibleMessage
        if stored is not None and not stored.deleted:
            message = copy.deepcopy(stored.data)
        callback_id = str(secrets.randbits(62))
        self._fake._callbacks[callback_id] = _Callback(self.id)
        self.callback_ids.append(callback_id)
        query = {"id": callback_id, "from": self.obj, "message": message,
                 "chat_instance": str(self.id * 7919), "data": data}  # fmt: skip
        await self._deliver({"callback_query": query})
        return callback_id

    async def tap_reply_button(
        self, text: str, *, location: tuple[float, float] = (51.5072, -0.1276), phone: str = "+447700900123"
    ) -> JSON:
        """Press a button of the reply keyboard currently shown (sends its text, location or contact)."""
        keyboard = self.reply_keyboard()
        button = next((b for b in keyboard if (b if isinstance(b, str) else b["text"]) == text), None)
        assert button is not None, f"no reply button {text!r}; keyboard: {keyboard}"
        shown = self._shown_keyboard()
        if shown is not None and shown.markup and shown.markup.get("one_time_keyboard"):
            self._used_keyboard = shown.message_id
        if isinstance(button, dict) and button.get("request_location"):
            return await self.send_location(*location)
        if isinstance(button, dict) and button.get("request_contact"):
            return await self.send_contact(phone)
        return await self.send_text(text)

    # ------------------------------------------------------------------- views
    @property
    def messages(self) -> list[BotMessage]:
        """Bot messages in this chat, oldest first, as they are now (edits applied, deleted left out)."""
        chat = self._fake._chat(self.id)
        return [BotMessage(m.data, m.markup) for m in chat.values() if m.from_bot and not m.deleted]

    @property
    def last_message(self) -> BotMessage:
        messages = self.messages
        assert messages, f"the bot has sent nothing to user {self.id}"
        return messages[-1]

    def reply_keyboard(self) -> list[Any]:
        """Buttons of the reply keyboard currently shown (strings or KeyboardButton objects)."""
        shown = self._shown_keyboard()
        if shown is None or shown.markup is None or shown.message_id == self._used_keyboard:
            return []
        return [b for row in shown.markup["keyboard"] for b in row]

    def _shown_keyboard(self) -> BotMessage | None:
        for stored in reversed(self._fake._chat(self.id).values()):
            if stored.from_bot and stored.markup is not None:
                if "keyboard" in stored.markup:
                    return BotMessage(stored.data, stored.markup)
                if "remove_keyboard" in stored.markup:
                    return None
        return None

    def unanswered_callbacks(self) -> list[str]:
        return [c for c in self.callback_ids if not self._fake._callbacks[c].answered]

    def answer_calls(self) -> dict[str, int]:
        """answerCallbackQuery calls per callback query of this user, in tap order; Telegram
        refuses every call after the first ("query is too old")."""
        return {c: self._fake._callbacks[c].answer_calls for c in self.callback_ids}

    async def wait_for_message(
        self,
        predicate: Callable[[BotMessage], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> BotMessage:
        """The next new or edited bot message (after this user's last action) that matches."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            events = self._fake._events.setdefault(self.id, [])
            while self._cursor < len(events):
                event = events[self._cursor]
                self._cursor += 1
                if predicate is None or predicate(event):
                    return event
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [m.text[:60] for m in events]
                raise AssertionError(
                    f"no matching bot message for user {self.id} in {timeout}s; seen: {seen}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._fake._changed.wait(), remaining)

    # ---------------------------------------------------------------- plumbing
    async def _send_message(self, content: JSON) -> JSON:
        message_id = self._fake._next_message_id(self.id)
        message: JSON = {"message_id": message_id, "from": self.obj, "chat": self.chat, "date": _now(),
                         **content}  # fmt: skip
        self._fake._chat(self.id)[message_id] = _Msg(message, None, from_bot=False)
        return await self._deliver({"message": message})

    async def _deliver(self, payload: JSON) -> JSON:
        self._cursor = len(self._fake._events.setdefault(self.id, []))
        return await self._fake._deliver(payload)


class TelegramFake:
    """The fake Bot API server plus in-process test controls (see the module docstring)."""

    def __init__(
        self, token: str = DEFAULT_TOKEN, *, bot_username: str = "parking_test_bot",
        bot_name: str = "Parking Bot", strict_html: bool = True, poll_cap: float = 1.0,
        spec: Path | None = None, webhook_ssl: ssl.SSLContext | None = None,
    ) -> None:  # fmt: skip
        self.token, self.strict_html, self.poll_cap = token, strict_html, poll_cap
        # Whom webhook POSTs to https:// trust: the system's CAs by default; a context that
        # trusts a self-signed certificate is what setWebhook's `certificate` does for Telegram.
        self.webhook_ssl = webhook_ssl
        loaded = load_spec(spec or spec_path())
        self._methods: dict[str, JSON] = {name.lower(): m for name, m in loaded["methods"].items()}
        self._validator = _Validator(loaded["types"])
        self.base_url = ""
        self.bot_user: JSON = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": bot_name,
                               "username": bot_username}  # fmt: skip
        self.calls: list[tuple[str, JSON]] = []
        self.violations: list[str] = []
        self.errors: list[tuple[str, int, str]] = []  # (method, error_code, description) of failed calls
        self.throttled = 0
        self.updates: list[JSON] = []  # every update produced, in order
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self.webhook_responses: list[tuple[int, int]] = []  # (update_id, HTTP status)
        # (scope type, language) -> commands; a chat's scope is "chat:<chat id>"
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.users: dict[int, FakeUser] = {}
        self._queue: list[JSON] = []
        self._next_update = 100_000
        self._allowed: set[str] = set()
        self._poll_generation = 0
        self._chats: dict[int, dict[int, _Msg]] = {}
        self._last_id: dict[int, int] = {}
        self._events: dict[int, list[BotMessage]] = {}
        self._callbacks: dict[str, _Callback] = {}
        self._failures: dict[str, list[_ApiError]] = {}
        self._limits: tuple[int | None, int | None] = (None, None)
        self._windows: dict[str, deque[float]] = {}
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.files: dict[str, Upload] = {}  # uploaded files by file_id (the demo serves them)
        self._listeners: list[Callable[[int], None]] = []
        self._handlers: dict[str, Callable[[JSON], Any]] = {
            "getMe": lambda p: self.bot_user | {"can_join_groups": True, "can_read_all_group_messages": False,
                                                "supports_inline_queries": False},
            "setMyCommands": self._set_commands, "deleteMyCommands": self._set_commands,
            "getMyCommands": lambda p: self.commands.get(self._commands_key(p), []),
            "setWebhook": self._set_webhook, "deleteWebhook": self._set_webhook,
            "getWebhookInfo": lambda p: {"url": self.webhook_url or "", "has_custom_certificate": False,
                                         "pending_update_count": len(self._queue)},
            "sendMessage": self._send_message, "sendPhoto": self._send_photo,
            "sendDocument": self._send_document, "sendLocation": self._send_location,
            "sendVenue": self._send_venue, "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_text, "editMessageCaption": self._edit_caption,
            "editMessageReplyMarkup": self._edit_markup, "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback,
        }  # fmt: skip

    # ----------------------------------------------------------------- lifecycle
    async def __aenter__(self) -> Self:
        self._runner, self.base_url = await serve_locally(self._handle)
        connector = aiohttp.TCPConnector(ssl=self.webhook_ssl) if self.webhook_ssl else None
        self._http = aiohttp.ClientSession(connector=connector)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._closing = True
        self._notify()  # wake long polls so the server shuts down at once
        await stop_serving(self._runner, self._http)

    # ------------------------------------------------------------ test controls
    def user(self, user_id: int = 1001, first_name: str = "Alex", language_code: str | None = "en",
             username: str | None = None) -> FakeUser:  # fmt: skip
        """The simulated user with this id (created on first use; the chat then exists)."""
        if user_id not in self.users:
            self.users[user_id] = FakeUser(self, user_id, first_name, language_code, username)
        return self.users[user_id]

    def rate_limit(self, per_chat_per_second: int | None = 1, global_per_second: int | None = 30) -> None:
        """Answer 429 beyond these send* rates (sliding 1 s window); ``None`` switches a limit off."""
        self._limits = (per_chat_per_second, global_per_second)
        self._windows.clear()

    def fail_next(
        self, method: str, error_code: int, description: str, retry_after: int | None = None
    ) -> None:
        """Make the next valid call of ``method`` fail like this (queued, one failure per call)."""
        self._failures.setdefault(method, []).append(_ApiError(error_code, description, retry_after))

    def set_webhook_target(self, url: str | None, secret_token: str | None = None) -> None:
        """Deliver updates by POSTing to ``url`` (``None``: queue them for getUpdates)."""
        self.webhook_url, self.webhook_secret = url, secret_token

    def pending_updates(self) -> list[JSON]:
        return list(self._queue)

    def history(self, chat_id: int) -> list[tuple[BotMessage, bool]]:
        """Every message of the chat as it is now, oldest first, with whether the bot sent it
        (deleted ones left out)."""
        return [
            (BotMessage(m.data, m.markup, edited="edit_date" in m.data), m.from_bot)
            for m in self._chat(chat_id).values()
            if not m.deleted
        ]

    def subscribe(self, listener: Callable[[int], None]) -> Callable[[], None]:
        """Call ``listener(chat_id)`` whenever a bot message in that chat is sent, edited or
        deleted (the demo's chat page streams from this); returns the unsubscribe function."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _changed_chat(self, chat_id: int) -> None:
        for listener in list(self._listeners):
            listener(chat_id)

    # ------------------------------------------------------------------ HTTP side
    async def _handle(self, request: web.Request) -> web.Response:
        match = _PATH.fullmatch(request.path)
        if match is None:
            self.violations.append(f"unexpected request: {request.method} {request.path}")
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        params: dict[str, str] = dict(request.query)
        files: dict[str, Upload] = {}
        if request.content_type == "application/json" and request.can_read_body:
            body = await request.json()
            params.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()})
        elif request.method == "POST":
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    files[key] = Upload(value.filename, value.file.read(), value.content_type)
                else:
                    params[key] = value if isinstance(value, str) else value.decode()
        if match.group(1) != self.token:
            self.violations.append(f"{match.group(2)}: wrong bot token")
            unauthorized = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return web.json_response(unauthorized, status=401)
        status, result = await self._call(match.group(2), params, files)
        return web.json_response(result, status=status)

    async def _call(self, method: str, raw: dict[str, str], files: dict[str, Upload]) -> tuple[int, JSON]:
        spec = self._methods.get(method.lower())
        name = spec["name"] if spec else method
        record: JSON = dict(raw)
        self.calls.append((name, record))
        try:
            if spec is None:
                self.violations.append(f"{name}: unknown method")
                raise _ApiError(404, "Not Found: method not found")
            try:
                params = self._decode(spec, raw, files)
            except _Invalid as e:
                self.violations.append(f"{name}: {e}")
                raise _bad(str(e)) from None
            record.clear()
            record.update(params)
            if self._failures.get(name):
                raise self._failures[name].pop(0)
            self._throttle(name, params)
            if name == "getUpdates":
                result: Any = await self._get_updates(params)
            else:
                result = self._handlers.get(name, _true)(params)
        except _ApiError as e:
            self.errors.append((name, e.code, e.description))
            if e.code == 429:
                self.throttled += 1
            return e.code, e.body
        return 200, {"ok": True, "result": result}

    # ------------------------------------------------------------------ validation
    def _decode(self, spec: JSON, raw: dict[str, str], files: dict[str, Upload]) -> JSON:
        fields = {f["name"]: f for f in spec.get("fields", [])}
        for key in raw:
            if key not in fields:
                raise _Invalid(f'unknown parameter "{key}"')
        attached = {
            v.removeprefix("attach://") for v in re.findall(r"attach://[\w-]+", " ".join(raw.values()))
        }
        for key in files:
            if key not in fields and key not in attached:
                raise _Invalid(f'unexpected file part "{key}"')
        params: JSON = {}
        for name, spec_field in fields.items():
            if name in raw:
                params[name] = self._value(name, spec_field["types"], raw[name], files)
            elif name in files:
                params[name] = files[name]
            elif spec_field["required"]:
                raise _Invalid(
                    "message text is empty" if name == "text" else f'parameter "{name}" is required'
                )
        mode = params.get("parse_mode")
        if mode is not None and mode.lower() not in ("html", "markdownv2", "markdown"):
            raise _Invalid(f"unsupported parse_mode {mode!r}")
        if spec["name"] in ("sendMessage", "editMessageText"):
            text, _ = self._render(params, "text")
            if not text.strip():
                raise _Invalid("message text is empty")
            if len(text) > 4096:
                raise _Invalid(f"message is too long ({len(text)} characters, at most 4096)")
        if isinstance(params.get("caption"), str) and "parse_mode" in fields:
            caption, _ = self._render(params, "caption")
            if len(caption) > 1024:
                raise _Invalid(f"message caption is too long ({len(caption)} characters, at most 1024)")
        return params

    def _value(self, name: str, types: list[str], raw: str, files: dict[str, Upload]) -> Any:
        if "InputFile" in types and raw.startswith("attach://"):
            upload = files.get(raw.removeprefix("attach://"))
            if upload is None:
                raise _Invalid(f'"{name}": no file part for {raw}')
            return upload
        if "Integer" in types and _INT.fullmatch(raw):
            return int(raw)
        if "String" in types:
            return raw
        if "Boolean" in types or "True" in types:
            if raw.lower() not in _BOOLS:
                raise _Invalid(f'field "{name}" must be of type Boolean')
            return _BOOLS[raw.lower()]
        if "Float" in types:
            try:
                return float(raw)
            except ValueError:
                raise _Invalid(f'field "{name}" must be of type Float') from None
        if types == ["Integer"]:
            raise _Invalid(f'field "{name}" must be of type Integer')
        try:
            value = json.loads(raw)
        except ValueError:
            raise _Invalid(f'can\'t parse "{name}" JSON: {raw[:80]!r}') from None
        errors = self._validator.union(value, types, name)
        if errors:
            raise _Invalid(errors[0])
        return value

    def _render(self, params: JSON, key: str) -> tuple[str, list[JSON]]:
        """(plain text, entities) of ``text`` or ``caption`` after parse_mode."""
        source = str(params[key])
        if str(params.get("parse_mode", "")).lower() == "html":
            return parse_html(source, strict=self.strict_html)
        return source, list(params.get("entities" if key == "text" else f"{key}_entities", []))

    def _throttle(self, name: str, params: JSON) -> None:
        if not name.startswith(_RATE_LIMITED) or name == "sendChatAction":
            return
        now = time.monotonic()
        keys = (f"chat:{params.get('chat_id')}", "global")
        for key, limit in zip(keys, self._limits, strict=True):
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            if limit is not None and len(window) >= limit:
                retry = max(1, math.ceil(window[0] + 1.0 - now))
                raise _ApiError(429, f"Too Many Requests: retry after {retry}", retry)
        for key in keys:
            self._windows[key].append(now)

    # ------------------------------------------------------------------ updates
    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _deliver(self, payload: JSON) -> JSON:
        update = {"update_id": self._next_update, **payload}
        self._next_update += 1
        self.updates.append(update)
        if self.webhook_url is None:
            self._queue.append(update)
            self._notify()
        else:
            await self._post_webhook(update)
        return update

    async def _post_webhook(self, update: JSON) -> None:
        assert self._http is not None and self.webhook_url is not None, "TelegramFake is not started"
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret} if self.webhook_secret else {}
        async with self._http.post(self.webhook_url, json=update, headers=headers) as resp:
            self.webhook_responses.append((update["update_id"], resp.status))
            params: dict[str, str] = {}
            files: dict[str, Upload] = {}
            if resp.status == 200 and resp.content_type == "multipart/form-data":
                reader = aiohttp.MultipartReader.from_response(resp)
                while (part := await reader.next()) is not None:
                    assert isinstance(part, aiohttp.BodyPartReader)
                    data = await part.read(decode=True)
                    if part.filename:
                        files[part.name or ""] = Upload(
                            part.filename, bytes(data), "application/octet-stream"
                        )
                    else:
                        params[part.name or ""] = data.decode()
            elif resp.status == 200 and resp.content_type == "application/json":
                body = await resp.json()
                if isinstance(body, dict):
                    params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        if "method" in params:  # a method in the webhook reply: Telegram executes it
            method = params.pop("method")
            await self._call(method, params, files)

    async def _get_updates(self, p: JSON) -> list[JSON]:
        if self.webhook_url is not None:
            raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                 "use deleteWebhook to delete the webhook first")  # fmt: skip
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll is terminated
        if p.get("allowed_updates") is not None:
            self._allowed = set(p["allowed_updates"])
        offset = p.get("offset", 0)
        if offset > 0:
            self._queue = [u for u in self._queue if u["update_id"] >= offset]
        elif offset < 0:
            self._queue = self._queue[offset:]
        limit = min(max(p.get("limit", 100), 1), 100)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(max(p.get("timeout", 0), 0), self.poll_cap)
        while True:
            batch = [
                u for u in self._queue if not self._allowed or (u.keys() - {"update_id"}) & self._allowed
            ]
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self._closing:
                return batch[:limit]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)
            if generation != self._poll_generation:
                raise _ApiError(409, "Conflict: terminated by other getUpdates request; "
                                     "make sure that only one bot instance is running")  # fmt: skip

    def _set_webhook(self, p: JSON) -> bool:
        if p.get("drop_pending_updates"):
            self._queue.clear()
        if "url" not in p or p["url"] == "":  # deleteWebhook, or setWebhook with an empty url
            self.set_webhook_target(None)
            return True
        if not re.fullmatch(r"https?://\S+", p["url"]):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad("secret token contains unallowed characters")
        self.set_webhook_target(p["url"], secret)
        if p.get("allowed_updates") is not None:
            self._allowed = set(p["allowed_updates"])
        return True

    def _commands_key(self, p: JSON) -> tuple[str, str]:
        scope = p.get("scope", {})
        kind = str(scope.get("type", "default"))
        # A chat's own menu is that chat's alone: "chat:<id>" (chat_member: "chat_member:<id>:<user>").
        if "chat_id" in scope:
            kind = ":".join(
                str(part) for part in (kind, scope["chat_id"], scope.get("user_id")) if part is not None
            )
        return kind, str(p.get("language_code", ""))

    def _set_commands(self, p: JSON) -> bool:
        if "commands" in p:
            self.commands[self._commands_key(p)] = p["commands"]
        else:
            self.commands.pop(self._commands_key(p), None)
        return True

    # ------------------------------------------------------------------ messages
    def _chat(self, chat_id: int) -> dict[int, _Msg]:
        return self._chats.setdefault(chat_id, {})

    def _next_message_id(self, chat_id: int) -> int:
        self._last_id[chat_id] = self._last_id.get(chat_id, 0) + 1
        return self._last_id[chat_id]

    def _user_for(self, p: JSON) -> FakeUser:
        user = self.users.get(p["chat_id"]) if isinstance(p.get("chat_id"), int) else None
        if user is None:
            raise _bad("chat not found")
        if user.blocked:
            raise _ApiError(403, BLOCKED)
        return user

    def _event(self, chat_id: int, stored: _Msg, edited: bool) -> None:
        snapshot = BotMessage(copy.deepcopy(stored.data), copy.deepcopy(stored.markup), edited)
        self._events.setdefault(chat_id, []).append(snapshot)
        self._notify()
        self._changed_chat(chat_id)

    def _post(self, p: JSON, content: JSON) -> JSON:
        user = self._user_for(p)
        message_id = self._next_message_id(user.id)
        data: JSON = {"message_id": message_id, "from": self.bot_user, "chat": user.chat, "date": _now(),
                      **content}  # fmt: skip
        markup = p.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            data["reply_markup"] = markup  # Telegram returns inline keyboards only
        stored = _Msg(data, markup if isinstance(markup, dict) else None, from_bot=True)
        self._chat(user.id)[message_id] = stored
        self._event(user.id, stored, edited=False)
        return data

    def _formatted(self, p: JSON, key: str) -> JSON:
        text, entities = self._render(p, key)
        content: JSON = {key: text}
        if entities:
            content["entities" if key == "text" else f"{key}_entities"] = entities
        return content

    def _send_message(self, p: JSON) -> JSON:
        return self._post(p, self._formatted(p, "text"))

    def _file(self, upload: Any, prefix: str) -> JSON:
        file_id = upload if isinstance(upload, str) and not upload.startswith("http") else None
        meta: JSON = {"file_id": file_id or f"{prefix}{secrets.token_hex(16)}",
                      "file_unique_id": secrets.token_hex(8)}  # fmt: skip
        if isinstance(upload, Upload):
            self.files[meta["file_id"]] = upload
            meta.update(file_size=len(upload.content), file_name=upload.filename,
                        mime_type=upload.content_type)  # fmt: skip
        return meta

    def _captioned(self, p: JSON, content: JSON) -> JSON:
        if isinstance(p.get("caption"), str):
            content.update(self._formatted(p, "caption"))
        return self._post(p, content)

    def _send_photo(self, p: JSON) -> JSON:
        meta = self._file(p["photo"], "AgAC")
        meta.pop("file_name", None)
        meta.pop("mime_type", None)
        return self._captioned(p, {"photo": [{**meta, "width": 320, "height": 240}]})

    def _send_document(self, p: JSON) -> JSON:
        return self._captioned(p, {"document": self._file(p["document"], "BQAC")})

    def _send_location(self, p: JSON) -> JSON:
        return self._post(p, {"location": {"latitude": p["latitude"], "longitude": p["longitude"]}})

    def _send_venue(self, p: JSON) -> JSON:
        location = {"latitude": p["latitude"], "longitude": p["longitude"]}
        venue = {"location": location, "title": p["title"], "address": p["address"]}
        return self._post(p, {"venue": venue, "location": location})

    def _send_chat_action(self, p: JSON) -> bool:
        self._user_for(p)
        return True

    def _edit(self, p: JSON, change: Callable[[_Msg], JSON]) -> JSON | bool:
        if "inline_message_id" in p:
            return True
        if "chat_id" not in p or "message_id" not in p:
            raise _bad("message identifier is not specified")
        user = self._user_for(p)
        stored = self._chat(user.id).get(p["message_id"])
        if stored is None or stored.deleted:
            raise _bad("message to edit not found")
        if not stored.from_bot:
            raise _bad("message can't be edited")
        merged = {k: v for k, v in stored.data.items() if k != "reply_markup"} | change(stored)
        data = {k: v for k, v in merged.items() if v is not None}
        markup = p.get("reply_markup")  # no reply_markup in an edit removes the inline keyboard
        if markup:
            data["reply_markup"] = markup
        if all(data.get(k) == stored.data.get(k) for k in _MESSAGE_CONTENT):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        stored.data, stored.markup = data | {"edit_date": _now()}, markup
        self._event(user.id, stored, edited=True)
        return stored.data

    def _edit_text(self, p: JSON) -> JSON | bool:
        def change(stored: _Msg) -> JSON:
            if "text" not in stored.data:
                raise _bad("there is no text in the message to edit")
            return {"entities": None} | self._formatted(p, "text")

        return self._edit(p, change)

    def _edit_caption(self, p: JSON) -> JSON | bool:
        def change(stored: _Msg) -> JSON:
            if "text" in stored.data:
                raise _bad("there is no caption in the message to edit")
            removed: JSON = {"caption": None, "caption_entities": None}
            return removed | (self._formatted(p, "caption") if "caption" in p else {})

        return self._edit(p, change)

    def _edit_markup(self, p: JSON) -> JSON | bool:
        return self._edit(p, lambda stored: {})

    def _delete_message(self, p: JSON) -> bool:
        user = self._user_for(p)
        stored = self._chat(user.id).get(p["message_id"])
        if stored is None or stored.deleted:
            raise _bad("message to delete not found")
        stored.deleted = True
        self._changed_chat(user.id)
        return True

    def _answer_callback(self, p: JSON) -> bool:
        callback = self._callbacks.get(p["callback_query_id"])
        if callback is not None:
            callback.answer_calls += 1
        if callback is None or callback.answered:  # Telegram accepts one answer per query
            raise _bad(QUERY_TOO_OLD.removeprefix("Bad Request: "))
        callback.answered = True
        answer = CallbackAnswer(
            p["callback_query_id"], p.get("text"), bool(p.get("show_alert")), p.get("url")
        )
        self.users[callback.user_id].callback_answers.append(answer)
        return True
