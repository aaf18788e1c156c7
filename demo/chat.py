"""The chat page (`GET /demo`): a Telegram-like chat in the browser over the Bot API emulator.

The page is static (HTML, CSS, a small script in `demo/static/`); what the bot sends arrives by
server-sent events, what the person does goes back as small JSON posts that become Telegram
updates for the real bot. Bot text is rebuilt from Telegram's entities by `demo.render`
(escaped, Telegram's tags only); the script puts user-typed text in the page as text only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web

from demo.botapi import BotMessage, FakeUser, TelegramFake
from demo.clock import DemoClock
from demo.render import entities_to_html

log = logging.getLogger("parking.demo")
JSON = dict[str, Any]
STATIC = Path(__file__).with_name("static")
_STEPS = {15: timedelta(minutes=15), 60: timedelta(hours=1)}  # what the time-travel buttons offer
_LANGUAGES = ("en", "uk")


@dataclass(frozen=True, slots=True)
class DemoUser:
    id: int
    name: str
    role: str  # "driver" or "admin"
    language: str
    phone: str


def osm_link(lat: float, lon: float) -> str:
    return f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=17/{lat:.6f}/{lon:.6f}"


class ChatPage:
    """Routes of the chat page; one instance per demo."""

    def __init__(
        self,
        tg: TelegramFake,
        clock: DemoClock,
        users: list[DemoUser],
        *,
        point: tuple[float, float],
        timezone: str,
        after_time_travel: Callable[[], None],
    ) -> None:
        self.tg, self.clock, self.point = tg, clock, point
        self.users = {u.id: u for u in users}
        self.tz = ZoneInfo(timezone)
        self._after_time_travel = after_time_travel
        self._wakers: set[asyncio.Event] = set()
        self._closing = False
        # When each message was first seen, on the demo clock: the emulator stamps wall time.
        self._shown_at: dict[tuple[int, int], int] = {}
        for user in users:
            tg.user(user.id, user.name, language_code=user.language)
        tg.subscribe(lambda _chat_id: self._wake())

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._home)
        app.router.add_get("/demo", self._page)
        app.router.add_get("/demo/static/{name}", self._static)
        app.router.add_get("/demo/state", self._state)
        app.router.add_get("/demo/events", self._events)
        app.router.add_get("/demo/file/{file_id}", self._file)
        app.router.add_post("/demo/send", self._action(self._send))
        app.router.add_post("/demo/tap", self._action(self._tap))
        app.router.add_post("/demo/reply", self._action(self._reply))
        app.router.add_post("/demo/language", self._action(self._language))
        app.router.add_post("/demo/clock", self._action(self._time_travel))

    def close(self) -> None:
        """Ends the event streams so the web server can stop at once."""
        self._closing = True
        self._wake()

    # ------------------------------------------------------------------ pages
    async def _home(self, _request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/demo")

    async def _page(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "chat.html", headers={"Cache-Control": "no-store"})

    async def _static(self, request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        if name not in ("chat.css", "chat.js"):
            raise web.HTTPNotFound()
        return web.FileResponse(STATIC / name, headers={"Cache-Control": "no-store"})

    async def _state(self, _request: web.Request) -> web.Response:
        users = [
            {"id": u.id, "name": u.name, "role": u.role, "lang": u.language} for u in self.users.values()
        ]
        return web.json_response({"users": users, "point": {"lat": self.point[0], "lon": self.point[1]}})

    async def _file(self, request: web.Request) -> web.Response:
        upload = self.tg.files.get(request.match_info["file_id"])
        if upload is None:
            raise web.HTTPNotFound()
        name = upload.filename or "file"
        headers = {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"}
        if request.query.get("inline"):
            headers = {}
        return web.Response(body=upload.content, content_type=upload.content_type, headers=headers)

    # ------------------------------------------------------------------ the event stream
    def _wake(self) -> None:
        for waker in self._wakers:
            waker.set()

    async def _events(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request.query.get("user"))
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        wake = asyncio.Event()
        self._wakers.add(wake)
        sent: dict[str, str] = {}  # what the page has: key -> JSON text
        try:
            await self._write(response, "reset", {"user": user.id})
            while not self._closing:
                wake.clear()
                for name, data in self._changes(user, sent):
                    await self._write(response, name, data)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), 15)
                if not wake.is_set():
                    await response.write(b": keep-alive\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._wakers.discard(wake)
        return response

    @staticmethod
    async def _write(response: web.StreamResponse, name: str, data: JSON) -> None:
        await response.write(f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode())

    def _changes(self, user: DemoUser, sent: dict[str, str]) -> list[tuple[str, JSON]]:
        """What changed since the page's last view: messages, deletions, keyboard, menu, clock."""
        fake_user = self.tg.users[user.id]
        current: dict[str, tuple[str, JSON]] = {}
        for message, from_bot in self.tg.history(user.id):
            current[f"m{message.message_id}"] = ("message", self._message(user.id, message, from_bot))
        current["keyboard"] = ("keyboard", {"buttons": _reply_buttons(fake_user)})
        current["commands"] = ("commands", {"commands": self._commands(fake_user)})
        current["clock"] = ("clock", self._clock())
        out: list[tuple[str, JSON]] = []
        for key in [k for k in sent if k not in current]:
            del sent[key]
            out.append(("delete", {"id": int(key[1:])}))
        for key, (name, data) in current.items():
            text = json.dumps(data, sort_keys=True)
            if sent.get(key) != text:
                sent[key] = text
                out.append((name, data))
        return out

    def _clock(self) -> JSON:
        local = self.clock.now().astimezone(self.tz)
        minutes = int(self.clock.offset.total_seconds() // 60)
        return {"now": f"{local:%a %d %b, %H:%M}", "ahead_minutes": minutes}

    def _commands(self, user: FakeUser) -> list[JSON]:
        lang = str(user.obj.get("language_code") or "")
        # Telegram's order: the chat's own menu (an operator's, with /admin), then everyone's.
        chat = f"chat:{user.id}"
        keys = ((chat, lang), (chat, ""), ("default", lang), ("default", ""))
        commands = next((self.tg.commands[key] for key in keys if self.tg.commands.get(key)), [])
        return [{"command": c["command"], "description": c["description"]} for c in commands]

    def _message(self, chat_id: int, message: BotMessage, from_bot: bool) -> JSON:
        raw = message.raw
        key = (chat_id, message.message_id)
        if key not in self._shown_at:
            self._shown_at[key] = int(raw.get("date", 0)) + int(self.clock.offset.total_seconds())
        when = datetime.fromtimestamp(self._shown_at[key], UTC).astimezone(self.tz)
        out: JSON = {"id": message.message_id, "bot": from_bot, "time": f"{when:%H:%M}",
                     "edited": message.edited}  # fmt: skip
        if "text" in raw:
            out["html" if from_bot else "text"] = (
                entities_to_html(str(raw["text"]), raw.get("entities")) if from_bot else str(raw["text"])
            )
        elif "caption" in raw:
            out["html"] = entities_to_html(str(raw["caption"]), raw.get("caption_entities"))
        if "photo" in raw:
            file_id = str(raw["photo"][-1]["file_id"])
            out["photo"] = f"/demo/file/{quote(file_id)}?inline=1" if file_id in self.tg.files else None
        if "document" in raw:
            doc = raw["document"]
            file_id = str(doc["file_id"])
            out["document"] = {
                "name": str(doc.get("file_name") or "document"),
                "url": f"/demo/file/{quote(file_id)}" if file_id in self.tg.files else None,
            }
        if "venue" in raw:
            venue, loc = raw["venue"], raw["venue"]["location"]
            out["venue"] = {"title": str(venue["title"]), "address": str(venue["address"]),
                            "osm": osm_link(loc["latitude"], loc["longitude"])}  # fmt: skip
        elif "location" in raw:
            loc = raw["location"]
            out["location"] = {"lat": loc["latitude"], "lon": loc["longitude"],
                               "osm": osm_link(loc["latitude"], loc["longitude"])}  # fmt: skip
        if "contact" in raw:
            out["contact"] = str(raw["contact"].get("phone_number", ""))
        rows = (message.markup or {}).get("inline_keyboard", []) if from_bot else []
        out["buttons"] = [[_inline_button(b) for b in row] for row in rows]
        return out

    # ------------------------------------------------------------------ actions
    def _action(
        self, handler: Callable[[DemoUser, JSON], Awaitable[None]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def run(request: web.Request) -> web.Response:
            try:
                body = await request.json()
            except ValueError:
                raise web.HTTPBadRequest(text="expected a JSON object") from None
            if not isinstance(body, dict):
                raise web.HTTPBadRequest(text="expected a JSON object")
            user = self._user(body.get("user"))
            await handler(user, body)
            self._wake()
            return web.json_response({"ok": True})

        return run

    def _user(self, raw: object) -> DemoUser:
        try:
            user_id = int(str(raw))
        except ValueError:
            raise web.HTTPBadRequest(text="unknown user") from None
        if user_id not in self.users:
            log.warning("demo: action for an unknown user %s", repr(raw)[:80])
            raise web.HTTPBadRequest(text="unknown user")
        return self.users[user_id]

    async def _send(self, user: DemoUser, body: JSON) -> None:
        text = _text(body, "text", 4096).strip()
        if not text:
            raise web.HTTPBadRequest(text="empty message")
        fake_user = self.tg.users[user.id]
        if text.startswith("/"):
            command, _, payload = text.partition(" ")
            await fake_user.send_command(command, payload or None)
        else:
            await fake_user.send_text(text)

    async def _tap(self, user: DemoUser, body: JSON) -> None:
        message_id, data = body.get("message_id"), _text(body, "data", 64)
        if not isinstance(message_id, int):
            raise web.HTTPBadRequest(text="message_id must be an integer")
        fake_user = self.tg.users[user.id]
        message = next((m for m, _ in self.tg.history(user.id) if m.message_id == message_id), None)
        if message is None or not any(d == data for _, d in message.buttons()):
            raise web.HTTPConflict(text="that button is no longer there")
        await fake_user.tap(message, data)

    async def _reply(self, user: DemoUser, body: JSON) -> None:
        text = _text(body, "text", 4096)
        fake_user = self.tg.users[user.id]
        labels = [b if isinstance(b, str) else b["text"] for b in fake_user.reply_keyboard()]
        if text not in labels:
            raise web.HTTPConflict(text="that button is no longer there")
        lat, lon = body.get("lat", self.point[0]), body.get("lon", self.point[1])
        if not (_number(lat) and _number(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise web.HTTPBadRequest(text="lat must be within ±90 and lon within ±180")
        await fake_user.tap_reply_button(text, location=(float(lat), float(lon)), phone=user.phone)

    async def _language(self, user: DemoUser, body: JSON) -> None:
        lang = _text(body, "lang", 8)
        if lang not in _LANGUAGES:
            raise web.HTTPBadRequest(text="unknown language")
        self.tg.users[user.id].obj["language_code"] = lang

    async def _time_travel(self, _user: DemoUser, body: JSON) -> None:
        step = _STEPS.get(body.get("minutes", 0)) if isinstance(body.get("minutes"), int) else None
        if step is None:
            raise web.HTTPBadRequest(text="minutes must be 15 or 60")
        self.clock.advance(step)
        log.warning("demo clock moved forward by %s", step)
        self._after_time_travel()


def _text(body: JSON, name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or len(value.encode()) > limit:
        raise web.HTTPBadRequest(text=f"{name} must be a string of at most {limit} bytes")
    return value


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _inline_button(button: JSON) -> JSON:
    if "callback_data" in button:
        return {"text": str(button["text"]), "data": str(button["callback_data"])}
    if "url" in button:
        return {"text": str(button["text"]), "url": str(button["url"])}
    return {"text": str(button["text"])}  # kinds the demo does not act on are shown, inert


def _reply_buttons(user: FakeUser) -> list[JSON]:
    out: list[JSON] = []
    for button in user.reply_keyboard():
        if isinstance(button, str):
            out.append({"text": button})
        else:
            kind = "location" if button.get("request_location") else None
            kind = "contact" if button.get("request_contact") else kind
            out.append({"text": str(button["text"]), "kind": kind})
    return out
