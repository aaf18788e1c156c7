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
from aiogram_dialog.api.entities import MediaAttachment
from aiogram_dialog.widgets.common.scroll import ManagedScroll
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import (
    Button,
    Column,
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
from core.services.catalog import premise_card
from core.services.nearby import SearchFilters, find_nearby

PAGE = 5
RADII = (2_000, 5_000, 10_000)
DEFAULT_MINUTES = 120
PRICE_CAPS = (100, 200, 300, 500)  # minor units per hour


# -- location -------------------------------------------------------------------------------


async def location_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {
        "prompt": t(dialog_manager, "find.ask_location"),
        "btn_location": t(dialog_manager, "btn.send_location"),
    }


async def _search_at(manager: DialogManager, lat: float, lon: float, place: str) -> None:
    manager.dialog_data.update(lat=lat, lon=lon, place=place, offset=0, radius=RADII[0])
    manager.dialog_data.setdefault("minutes", DEFAULT_MINUTES)
    await manager.switch_to(FindSG.results, show_mode=ShowMode.SEND)


async def on_location(message: Message, _: MessageInput, manager: DialogManager) -> None:
    assert message.location is not None
    await _search_at(manager, message.location.latitude, message.location.longitude, t(manager, "find.here"))


async def on_address(message: Message, _: MessageInput, manager: DialogManager) -> None:
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
    await _search_at(manager, place.lat, place.lon, place.label)


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


async def results_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc, data = dialog_manager, services(dialog_manager), dialog_manager.dialog_data
    lang = caller(m).lang
    start = search_start(m)
    interval = Interval(start, start + timedelta(minutes=data.get("minutes", DEFAULT_MINUTES)))
    async with svc.db.read(snapshot=False) as s:
        page = await find_nearby(
            s,
            data["lat"],
            data["lon"],
            interval=interval,
            now=svc.clock.now(),
            radius_m=data["radius"],
            limit=PAGE,
            offset=data.get("offset", 0),
            filters=_filters(m),
        )
    items = [
        (
            p.premise_id,
            label(
                m,
                "find.item",
                name=p.name,
                distance=fmt.distance(p.distance_m),
                price=fmt.money(p.price_per_hour, p.currency),
                free=t(m, "find.free", count=p.free_spots),
            )
            + (f" · ⭐{p.rating}" if p.rating is not None else "")
            + (f" {fmt.feature_icons(p.features)}" if p.features else ""),
        )
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
    )
    if not items:
        title = Raw(title + "\n\n" + t(m, "find.no_results", radius=fmt.distance(radius)))
    return {
        "title": title,
        "items": items,
        "has_prev": data.get("offset", 0) > 0,
        "has_next": page.has_more,
        "wider": wider is not None and not items,
        "btn_wider": t(m, "btn.wider", radius=fmt.distance(wider or radius)),
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


async def when_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    return {"title": t(m, "when.title"), "btn_now": t(m, "btn.now"), "btn_pick_date": t(m, "btn.pick_date")}


async def on_now(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    manager.dialog_data.pop("start", None)
    manager.dialog_data["offset"] = 0
    await manager.switch_to(FindSG.results)


async def on_date(event: ChatEvent, _: ManagedCalendar, manager: DialogManager, day: date) -> None:
    # Checked here, not in the calendar's config, which is fixed when the process starts.
    today = services(manager).clock.now().astimezone(ZoneInfo(services(manager).settings.timezone)).date()
    if not today <= day <= today + timedelta(days=MAX_DAYS_AHEAD):
        if isinstance(event, CallbackQuery):
            await event.answer(t(manager, "when.out_of_range", days=MAX_DAYS_AHEAD), show_alert=True)
        return
    manager.dialog_data["date"] = day.isoformat()
    await manager.switch_to(FindSG.time)
    if day != today:
        # Open on the morning (06:00 onwards) rather than at midnight.
        slots: ManagedScroll = manager.find("slots")  # type: ignore[assignment]
        await slots.set_page(6 * 60 // STEP_MINUTES // SLOTS_PER_PAGE)


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
    return {"title": t(m, "when.pick_time", date=fmt.day(caller(m).lang, day), tz=tz_name), "slots": slots}


async def on_time(callback: CallbackQuery, _: Any, manager: DialogManager, slot: str) -> None:
    manager.dialog_data["start"] = slot
    manager.dialog_data["offset"] = 0
    await manager.switch_to(FindSG.results)


# -- premise --------------------------------------------------------------------------------


async def premise_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    lang = caller(m).lang
    async with svc.db.read() as s:
        card = await premise_card(s, m.dialog_data["premise_id"])
    p = card.premise
    rating = (
        t(m, "premise.rating", rating=card.rating, count=card.review_count)
        if card.rating is not None
        else t(m, "premise.no_rating")
    )
    reviews = "\n".join(
        t(m, "premise.review", text=r.text[:200], stars="⭐" * r.rating)
        for r in card.latest_reviews
        if r.text
    )
    text = t(
        m,
        "premise.card",
        name=p.name,
        address=p.address,
        price=fmt.money(p.price_per_hour, p.currency),
        hours=p.opening_hours,
        rating=rating,
        features=fmt.features(lang, p.features),
        description=p.description[:600],
    )
    photo = MediaAttachment(ContentType.PHOTO, url=p.photos[0]) if p.photos else None
    return {
        # Empty parts (no features, no description) must not leave blank lines behind.
        "text": Raw(re.sub(r"\n{3,}", "\n\n", text + ("\n\n" + reviews if reviews else "")).strip()),
        "photo": photo,
        "btn_book": t(m, "btn.book"),
        "btn_navigate": t(m, "btn.navigate"),
    }


async def on_navigate(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await send_venue(manager, callback, manager.dialog_data["premise_id"])


async def send_venue(manager: DialogManager, callback: CallbackQuery, premise_id: int) -> None:
    svc = services(manager)
    async with svc.db.read() as s:
        try:
            p = (await premise_card(s, premise_id)).premise
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


async def on_book(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await manager.start(
        BookSG.duration,
        data={
            "premise_id": manager.dialog_data["premise_id"],
            "start": manager.dialog_data.get("start"),
            "minutes": manager.dialog_data.get("minutes", DEFAULT_MINUTES),
        },
    )


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
                SwitchTo(Format("{btn_pick_date}"), id="pick_date", state=FindSG.date),
            ),
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
        ),
        Window(
            DynamicMedia("photo", when="photo"),
            Format("{text}"),
            Button(Format("{btn_book}"), id="book", on_click=on_book),
            Button(Format("{btn_navigate}"), id="navigate", on_click=on_navigate),
            SwitchTo(Format("{btn_back}"), id="back", state=FindSG.results),
            unexpected_input(),
            state=FindSG.premise,
            getter=premise_getter,
        ),
        on_start=on_find_start,
    )
