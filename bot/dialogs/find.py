"""Find parking: a location or a typed address → nearby premises → a premise's card."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot
from aiogram.enums import ChatAction, ContentType
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import ChatEvent, Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.api.entities import MediaAttachment, MediaId
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import (
    Button,
    Column,
    Group,
    ManagedCalendar,
    ManagedMultiselect,
    Multiselect,
    RequestLocation,
    Row,
    Start,
    SwitchTo,
)
from aiogram_dialog.widgets.markup.reply_keyboard import ReplyKeyboardFactory
from aiogram_dialog.widgets.media import DynamicMedia
from aiogram_dialog.widgets.text import Format

from bot import format as fmt
from bot.dialogs.common import (
    SLOTS_PER_PAGE,
    caller,
    choice,
    label,
    priced_duration,
    services,
    show_hint,
    start_picker,
    t,
    unexpected_input,
)
from bot.dialogs.states import BookSG, FindSG, MenuSG
from bot.geocoding import GeocoderUnavailable
from bot.i18n import Raw
from core.errors import NotFound
from core.features import FEATURES
from core.rules import MAX_DAYS_AHEAD, STEP_MINUTES, Interval, start_now
from core.services.nearby import SearchFilters

PAGE = 5
MAX_LABEL = 40  # what a phone shows on a full-width button before cutting it with "…"
# The stays the card offers, each with its total: one tap from the card to the quote.
DURATIONS = (60, 120, 180, 240, 480)
CAPTION_LIMIT = 1024  # Telegram's limit for a photo's caption
RADII = (2_000, 5_000, 10_000)
DEFAULT_MINUTES = 120
PRICE_CAPS = (100, 200, 300, 500)  # minor units per hour


# -- location -------------------------------------------------------------------------------


def _coordinates(lat: float, lon: float) -> str:
    return f"{lat:.5f}, {lon:.5f}"


async def location_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    last = await services(m).users.last_location(caller(m).user_id)
    if last is None:
        return {
            "prompt": t(m, "find.ask_location"),
            "has_last": False,
            "btn_same_place": "",
            "btn_location": t(m, "btn.send_location"),
        }
    return {
        "prompt": t(m, "find.ask_location_again", place=last.place or _coordinates(last.lat, last.lon)),
        "has_last": True,
        "btn_same_place": t(m, "btn.same_place"),
        "btn_location": t(m, "btn.new_location"),
    }


async def _search_at(manager: DialogManager, lat: float, lon: float, place: str, *, remember: str) -> None:
    """Searches around a point and remembers it for the next `/find` (`remember` is the
    address typed, or empty for a shared location)."""
    await services(manager).users.remember_location(caller(manager).user_id, lat, lon, remember)
    manager.dialog_data.update(lat=lat, lon=lon, place=place, offset=0, radius=RADII[0])
    manager.dialog_data.setdefault("minutes", DEFAULT_MINUTES)
    # From the location window, whose reply keyboard must go: deleting that message takes
    # the keyboard with it, where a plain send would first post a stray "..." to remove it.
    leaving_reply_keyboard = manager.current_context().state == FindSG.location
    await manager.switch_to(
        FindSG.results, show_mode=ShowMode.DELETE_AND_SEND if leaving_reply_keyboard else ShowMode.SEND
    )


async def on_location(message: Message, _: MessageInput, manager: DialogManager) -> None:
    assert message.location is not None
    await _search_at(
        manager, message.location.latitude, message.location.longitude, t(manager, "find.here"), remember=""
    )


async def on_same_place(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    last = await services(manager).users.last_location(caller(manager).user_id)
    if last is None:  # an old keyboard: nothing remembered; the window asks again
        return
    await _search_at(
        manager, last.lat, last.lon, last.place or _coordinates(last.lat, last.lon), remember=last.place
    )


async def on_address(message: Message, _: MessageInput, manager: DialogManager) -> None:
    """A typed address, on the location window or on the results (search there instead)."""
    query = (message.text or "").strip()[:200]
    geocoder = services(manager).geocoder
    if not query or geocoder is None:
        show_hint(manager, t(manager, "find.geocoder_down"))
        return
    # A lookup may wait its turn (one a second): "looking…" in the chat's header, where
    # Telegram shows that the other side is busy, rather than a message of its own.
    bot: Bot = manager.middleware_data["bot"]
    await bot.send_chat_action(message.chat.id, ChatAction.FIND_LOCATION)
    try:
        place = await geocoder.find(query, caller(manager).lang)
    except GeocoderUnavailable:
        show_hint(manager, t(manager, "find.geocoder_down"))
        return
    if place is None:
        show_hint(manager, t(manager, "find.address_not_found", query=query))
        return
    await _search_at(manager, place.lat, place.lon, place.label, remember=place.label)


# -- results --------------------------------------------------------------------------------


def search_start(manager: DialogManager) -> datetime:
    """The chosen start, or "now" (this minute) when none was chosen."""
    chosen = manager.dialog_data.get("start")
    now = services(manager).clock.now()
    return datetime.fromisoformat(chosen) if chosen else start_now(now)


def _filters(manager: DialogManager) -> SearchFilters:
    features: ManagedMultiselect[str] = manager.find("features")  # type: ignore[assignment]
    return SearchFilters(
        features=frozenset(features.get_checked()), max_price_per_hour=manager.dialog_data.get("max_price")
    )


def _fitted(manager: DialogManager, key: str, name: str, **values: Any) -> str:
    """A button label of at most MAX_LABEL characters: the name gives way, with "…"."""
    text = label(manager, key, name=name, **values)
    excess = len(text) - MAX_LABEL
    if excess <= 0:
        return text
    return label(manager, key, name=name[: max(1, len(name) - excess - 1)].rstrip() + "…", **values)


async def results_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc, data = dialog_manager, services(dialog_manager), dialog_manager.dialog_data
    lang = caller(m).lang
    start = search_start(m)
    interval = Interval(start, start + timedelta(minutes=data.get("minutes", DEFAULT_MINUTES)))
    page = await svc.search.nearby(
        data["lat"],
        data["lon"],
        interval=interval,
        radius_m=data["radius"],
        limit=PAGE,
        offset=data.get("offset", 0),
        filters=_filters(m),
        user_id=caller(m).user_id,
    )
    # The driver's starred car parks within the radius come first, marked with a star.
    starred = {p.premise_id: "⭐ " if p.premise_id in page.favourites else "" for p in page.items}
    # The buttons stay short (name, distance, price); the free spots, ratings and features
    # go in the text, one line a car park.
    items = [
        (
            p.premise_id,
            _fitted(
                m,
                "find.item",
                starred[p.premise_id] + p.name,
                distance=fmt.distance(lang, p.distance_m),
                price=fmt.money(p.price_per_hour, p.currency),
            ),
        )
        for p in page.items
    ]
    lines = [
        starred[p.premise_id]
        + t(m, "find.item_line", name=p.name, free=t(m, "find.free", count=p.free_spots))
        + (f" · ⭐{p.rating}" if p.rating is not None else "")
        + (f" {fmt.feature_icons(p.features)}" if p.features else "")
        for p in page.items
    ]
    tz = svc.settings.timezone
    radius = data["radius"]
    wider = next((r for r in RADII if r > radius), None)
    title = t(
        m,
        "find.results_title",
        place=data.get("place", ""),
        window=fmt.window(interval.starts_at, interval.ends_at, tz, lang),
        tz=tz,
    )
    body = "\n".join(lines) if items else t(m, "find.no_results", radius=fmt.distance(lang, radius))
    hint = "\n\n" + t(m, "find.type_address") if svc.geocoder is not None else ""
    text = Raw(title + "\n\n" + body + hint)
    return {
        "title": text,
        "items": items,
        "has_prev": data.get("offset", 0) > 0,
        "has_next": page.has_more,
        "wider": wider is not None and not items,
        "btn_wider": t(m, "btn.wider", radius=fmt.distance(lang, wider or radius)),
        "btn_change_time": t(m, "btn.change_time"),
        "btn_filters": t(m, "btn.filters"),
        "lang": lang,
    }


async def on_premise(callback: CallbackQuery, _: Any, manager: DialogManager, premise_id: int) -> None:
    manager.dialog_data["premise_id"] = int(premise_id)
    await manager.switch_to(FindSG.premise)


async def on_page(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    step = PAGE if button.widget_id == "next" else -PAGE
    manager.dialog_data["offset"] = max(0, manager.dialog_data.get("offset", 0) + step)


async def on_wider(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    radius = manager.dialog_data["radius"]
    manager.dialog_data.update(radius=next((r for r in RADII if r > radius), radius), offset=0)


# -- filters --------------------------------------------------------------------------------


async def filters_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    cap = m.dialog_data.get("max_price")
    currency = services(m).settings.currency
    caps = [(0, ("✅ " if cap is None else "") + t(m, "filters.any_price"))] + [
        (c, ("✅ " if cap == c else "") + t(m, "filters.max_price", price=fmt.money(c, currency)))
        for c in PRICE_CAPS
    ]
    return {
        "title": t(m, "filters.title"),
        "features": [(f, t(m, f"feature.{f}")) for f in FEATURES],
        "caps": caps,
        "btn_apply": t(m, "btn.apply"),
    }


async def on_cap(callback: CallbackQuery, _: Any, manager: DialogManager, cap: int) -> None:
    manager.dialog_data["max_price"] = int(cap) or None


async def on_apply(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    manager.dialog_data["offset"] = 0
    await manager.switch_to(FindSG.results)


# -- when -----------------------------------------------------------------------------------


def _today(manager: DialogManager) -> date:
    svc = services(manager)
    return svc.clock.now().astimezone(ZoneInfo(svc.settings.timezone)).date()


async def when_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    today = _today(m)
    return {
        "title": t(m, "when.title"),
        "btn_now": t(m, "btn.now"),
        "btn_later_today": t(m, "btn.later_today"),
        "btn_pick_date": t(m, "btn.pick_date"),
        # The calendar's bounds: earlier days and those past the horizon are blank.
        "first_day": today,
        "last_day": today + timedelta(days=MAX_DAYS_AHEAD),
    }


async def on_now(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    manager.dialog_data.pop("start", None)
    manager.dialog_data["offset"] = 0
    await manager.switch_to(FindSG.results)


async def on_later_today(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """Today's next start times, without the calendar."""
    manager.dialog_data.update(date=_today(manager).isoformat(), slot_page=0, later_today=True)
    await manager.switch_to(FindSG.time)


async def on_slots_back(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """Back to where the day was chosen: "When do you arrive?" for later today, else the calendar."""
    later_today = manager.dialog_data.pop("later_today", False)
    await manager.switch_to(FindSG.when if later_today else FindSG.date)


async def on_date(event: ChatEvent, _: ManagedCalendar, manager: DialogManager, day: date) -> None:
    # The calendar shows only the days that may be picked; an old calendar may still offer others.
    today = _today(manager)
    if not today <= day <= today + timedelta(days=MAX_DAYS_AHEAD):
        if isinstance(event, CallbackQuery):
            await event.answer(t(manager, "when.out_of_range", days=MAX_DAYS_AHEAD), show_alert=True)
        return
    # Another day opens on the morning (06:00 onwards) rather than at midnight.
    morning = 6 * 60 // STEP_MINUTES // SLOTS_PER_PAGE
    manager.dialog_data.update(
        date=day.isoformat(), slot_page=0 if day == today else morning, later_today=False
    )
    await manager.switch_to(FindSG.time)


async def time_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    tz_name = svc.settings.timezone
    tz = ZoneInfo(tz_name)
    day = date.fromisoformat(m.dialog_data["date"])
    now = svc.clock.now()
    slots = []
    moment = datetime.combine(day, time(0, 0), tzinfo=tz)
    while moment.date() == day:
        if moment > now:
            slots.append((moment.astimezone(ZoneInfo("UTC")).isoformat(), moment.strftime("%H:%M")))
        moment += timedelta(minutes=STEP_MINUTES)
    title = t(m, "when.pick_time", date=fmt.day(caller(m).lang, day), tz=tz_name)
    if not slots:
        title = Raw(title + "\n\n" + t(m, "when.no_times_today"))
    return {"title": title, "slots": slots}


async def on_time(callback: CallbackQuery, _: Any, manager: DialogManager, slot: str) -> None:
    manager.dialog_data["start"] = slot
    manager.dialog_data["offset"] = 0
    await manager.switch_to(FindSG.results)


# -- premise --------------------------------------------------------------------------------


async def premise_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc, data = dialog_manager, services(dialog_manager), dialog_manager.dialog_data
    lang = caller(m).lang
    card = await svc.search.card(
        data["premise_id"],
        starts_at=datetime.fromisoformat(data["start"]) if data.get("start") else None,
        minutes=data.get("minutes", DEFAULT_MINUTES),
        durations=DURATIONS,
        near=(data["lat"], data["lon"]) if "lat" in data else None,
    )
    rating = (
        t(m, "premise.rating", rating=card.rating, count=card.review_count)
        if card.rating is not None
        else t(m, "premise.no_rating")
    )
    reviews = "\n".join(
        t(m, "premise.review", text=r.text[:200], stars="⭐" * r.rating) for r in card.reviews if r.text
    )
    stay = card.stay
    stay_text = ""
    if stay is not None:
        window = fmt.window(stay.interval.starts_at, stay.interval.ends_at, card.timezone, lang)
        if stay.closed:
            stay_text = t(m, "premise.stay_closed", window=window, hours=card.opening_hours)
        elif stay.passed or stay.free_spots == 0:
            stay_text = t(m, "premise.stay_full", window=window)
        else:
            stay_text = t(
                m,
                "premise.stay",
                window=window,
                free=t(m, "find.free", count=stay.free_spots),
                price=fmt.money(stay.price, stay.currency),
                duration=fmt.duration(lang, stay.minutes),
            )
    distance = f" · {fmt.distance(lang, card.distance_m)}" if card.distance_m is not None else ""
    photo = MediaAttachment(ContentType.PHOTO, file_id=MediaId(card.photo)) if card.photo else None

    def body(description: str, reviews: str) -> str:
        text = t(
            m,
            "premise.card",
            name=card.name,
            code=Raw(" " + t(m, "premise.code", code=card.code)) if card.code else "",
            address=card.address,
            distance=Raw(distance),
            price=fmt.money(card.price_per_hour, card.currency),
            hours=card.opening_hours,
            rating=rating,
            features=fmt.features(lang, card.features),
            stay=stay_text,
            description=description,
        )
        parts = [text, reviews, t(m, "duration.title")]
        # Empty parts (no features, no description) must not leave blank lines behind.
        return re.sub(r"\n{3,}", "\n\n", "\n\n".join(p for p in parts if p)).strip()

    text = body(card.description[:600], reviews)
    if photo is not None and len(text) > CAPTION_LIMIT:
        # A photo's caption holds less than a message: the reviews give way, then the description.
        text = body(card.description[:600], "")
        if len(text) > CAPTION_LIMIT:
            text = body(card.description[: max(0, 600 - (len(text) - CAPTION_LIMIT) - 1)] + "…", "")
    starred = await svc.rebook.is_favourite(user_id=caller(m).user_id, premise_id=card.premise_id)
    return {
        "text": Raw(text),
        "photo": photo,
        "btn_favourite": t(m, "btn.favourite_remove") if starred else t(m, "btn.favourite_add"),
        "durations": [
            (minutes, priced_duration(m, minutes, price, card.currency)) for minutes, price in card.durations
        ],
        "btn_custom": t(m, "btn.custom_duration"),
        "btn_navigate": t(m, "btn.navigate"),
    }


async def on_navigate(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await send_venue(manager, callback, manager.dialog_data["premise_id"])


async def on_favourite(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    """☆/⭐ on the card: stars the car park (listed first by /find when near) or unstars it."""
    svc, who, premise_id = services(manager), caller(manager), manager.dialog_data["premise_id"]
    starred = not await svc.rebook.is_favourite(user_id=who.user_id, premise_id=premise_id)
    try:
        starred = await svc.rebook.set_favourite(user_id=who.user_id, premise_id=premise_id, starred=starred)
    except NotFound:
        await callback.answer(t(manager, "error.not_found"), show_alert=True)
        return
    await callback.answer(label(manager, "favourite.added" if starred else "favourite.removed"))


async def send_venue(manager: DialogManager, callback: CallbackQuery, premise_id: int) -> None:
    svc = services(manager)
    try:
        p = await svc.search.card(premise_id, starts_at=None, minutes=DEFAULT_MINUTES)
    except NotFound:
        await callback.answer(t(manager, "error.not_found"), show_alert=True)
        return
    bot: Bot = manager.middleware_data["bot"]
    await bot.send_venue(
        caller(manager).telegram_id, latitude=p.lat, longitude=p.lon, title=p.name, address=p.address
    )
    await callback.answer()
    # The venue is a new message below the dialog; keep the dialog as the last message.
    manager.show_mode = ShowMode.DELETE_AND_SEND


def _booking_data(manager: DialogManager) -> dict[str, Any]:
    return {
        "premise_id": manager.dialog_data["premise_id"],
        "start": manager.dialog_data.get("start"),
        "from_card": True,
    }


async def on_duration(callback: CallbackQuery, _: Any, manager: DialogManager, minutes: int) -> None:
    """A duration with its total, straight from the card to the quote (which holds the spot)."""
    await manager.start(BookSG.quote, data={**_booking_data(manager), "minutes": int(minutes)})


async def on_custom_duration(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await manager.start(BookSG.duration_input, data=_booking_data(manager))


async def on_find_start(start_data: Any, manager: DialogManager) -> None:
    """Started with known coordinates (search again, tests): straight to the results."""
    if isinstance(start_data, dict) and "lat" in start_data and "lon" in start_data:
        manager.dialog_data.update(
            lat=float(start_data["lat"]),
            lon=float(start_data["lon"]),
            place=str(start_data.get("place") or t(manager, "find.here")),
            offset=0,
            radius=RADII[0],
            minutes=DEFAULT_MINUTES,
        )
        await manager.switch_to(FindSG.results)


def find_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{prompt}"),
            Button(Format("{btn_same_place}"), id="same_place", on_click=on_same_place, when="has_last"),
            RequestLocation(Format("{btn_location}")),
            MessageInput(on_location, content_types=[ContentType.LOCATION]),
            MessageInput(on_address, content_types=[ContentType.TEXT]),
            unexpected_input(),
            markup_factory=ReplyKeyboardFactory(resize_keyboard=True, one_time_keyboard=True),
            state=FindSG.location,
            getter=location_getter,
        ),
        Window(
            Format("{title}"),
            Column(choice("premise", "items", on_premise, type_factory=int)),
            Row(
                Button(Format("{btn_prev}"), id="prev", on_click=on_page, when="has_prev"),
                Button(Format("{btn_more}"), id="next", on_click=on_page, when="has_next"),
            ),
            Button(Format("{btn_wider}"), id="wider", on_click=on_wider, when="wider"),
            Row(
                SwitchTo(Format("{btn_change_time}"), id="when", state=FindSG.when),
                SwitchTo(Format("{btn_filters}"), id="filters", state=FindSG.filters),
            ),
            Start(Format("{btn_menu}"), id="menu", state=MenuSG.main, mode=StartMode.RESET_STACK),
            MessageInput(on_address, content_types=[ContentType.TEXT]),
            unexpected_input(),
            state=FindSG.results,
            getter=results_getter,
        ),
        Window(
            Format("{title}"),
            Column(
                Multiselect(
                    Format("✅ {item[1]}"),
                    Format("{item[1]}"),
                    id="features",
                    item_id_getter=lambda item: item[0],
                    items="features",
                )
            ),
            Column(choice("cap", "caps", on_cap, type_factory=int)),
            Button(Format("{btn_apply}"), id="apply", on_click=on_apply),
            unexpected_input(),
            state=FindSG.filters,
            getter=filters_getter,
        ),
        Window(
            Format("{title}"),
            Row(
                Button(Format("{btn_now}"), id="now", on_click=on_now),
                Button(Format("{btn_later_today}"), id="later_today", on_click=on_later_today),
            ),
            SwitchTo(Format("{btn_pick_date}"), id="pick_date", state=FindSG.date),
            SwitchTo(Format("{btn_back}"), id="back", state=FindSG.results),
            unexpected_input(),
            state=FindSG.when,
            getter=when_getter,
        ),
        *start_picker(
            date_state=FindSG.date,
            slot_state=FindSG.time,
            back_from_date=FindSG.when,
            on_date=on_date,
            on_slot=on_time,
            date_getter=when_getter,
            slot_getter=time_getter,
            on_slots_back=on_slots_back,
        ),
        Window(
            DynamicMedia("photo", when="photo"),
            Format("{text}"),
            Group(choice("duration", "durations", on_duration, type_factory=int), width=2),
            Button(Format("{btn_custom}"), id="custom", on_click=on_custom_duration),
            Row(
                Button(Format("{btn_navigate}"), id="navigate", on_click=on_navigate),
                Button(Format("{btn_favourite}"), id="favourite", on_click=on_favourite),
            ),
            SwitchTo(Format("{btn_back}"), id="back", state=FindSG.results),
            unexpected_input(),
            state=FindSG.premise,
            getter=premise_getter,
        ),
        on_start=on_find_start,
    )
