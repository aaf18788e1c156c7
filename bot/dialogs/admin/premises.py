"""The console's Premises section (DESIGN.md §11, MANAGE_PREMISE): a premise's details (its
short SMS code, every field), editing any field the wizard asks (typed ones; the location,
with the time zone it suggests; the features; the photos), deactivating (no longer offered)
and reactivating; after a deactivation, its future bookings, each kept (nothing to do) or
cancelled with a full refund.

A dialog of its own, started from the premise's console with the premise id; every tap calls
core/usecases/premises_admin.py, which checks the caller's role again (ids from buttons are
never trusted).
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.enums import ChatAction, ContentType
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.api.entities import MediaAttachment, MediaId
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Group, Row, SwitchTo
from aiogram_dialog.widgets.media import DynamicMedia
from aiogram_dialog.widgets.text import Format

from bot import format as fmt
from bot.dialogs.common import (
    caller,
    choice,
    explain,
    label,
    refusal_text,
    services,
    show_hint,
    started_premise,
    t,
    text_input,
    typed_window,
    unexpected_input,
)
from bot.i18n import tr
from core.errors import DomainError, InvalidPremise, NotFound
from core.features import FEATURES
from core.money import parse_amount
from core.opening_hours import ALWAYS_OPEN
from core.usecases.premises_admin import MAX_PHOTOS, PremiseDraft, clean, parse_coordinates

__all__ = ["PremisesSG", "premises_dialog"]

# The fields typed on the Edit screen, in the order of their buttons; then those with a
# screen of their own.
TYPED_FIELDS = (
    "name",
    "address",
    "timezone",
    "currency",
    "opening_hours",
    "description",
    "blocked_bay_credit",
)
# Typed for the blocked-bay credit: one hour of the booking's rate plan (the column's NULL).
PLAN_HOUR_WORDS = frozenset({"hour", "година", "годину", "-", "—"})
OWN_SCREEN_FIELDS = ("location", "features", "photos")


class PremisesSG(StatesGroup):
    details = State()  # every field, Edit per field, Deactivate / Reactivate
    edit = State()  # typing a field's new value
    edit_location = State()  # sharing or typing the new location
    edit_timezone = State()  # moved: the time zone guessed there differs; change it too?
    edit_features = State()  # the wizard's multiselect, saved at each tap
    edit_photos = State()  # one photo at a time: remove it, remove all; a sent photo is added
    bookings = State()  # a deactivated premise's future bookings: keep or cancel each
    # The new car park wizard (owners), one state a question; the answers in dialog_data.
    new_location = State()
    new_name = State()
    new_address = State()
    new_timezone = State()
    new_currency = State()
    new_price = State()
    new_hours = State()
    new_features = State()
    new_description = State()
    new_photos = State()
    new_summary = State()


# ---------------------------------------------------------------------- details
async def details_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    uc, who, lang = services(m).premises_admin, caller(m).user_id, caller(m).lang
    try:
        p = await uc.details(who, started_premise(m))
        bookings = [] if p.is_active else await uc.future_bookings(who, p.premise_id)
    except DomainError:
        return {"title": t(m, "admin.refused"), "fields": [], "is_active": False, "is_inactive": False}
    features = ", ".join(tr(lang, f"feature.{f}") for f in p.features)
    return {
        "title": t(
            m,
            "admin.premise_details",
            name=p.name,
            code=p.code,
            address=p.address,
            lat=f"{p.lat:.5f}",
            lon=f"{p.lon:.5f}",
            timezone=p.timezone,
            currency=p.currency,
            price=fmt.money(p.price_per_hour, p.currency),
            hours=p.opening_hours,
            features=features or "—",
            description=p.description or "—",
            photos=len(p.photos),
            spots=p.spots,
            active="yes" if p.is_active else "no",  # a Fluent selector
            bay_credit=_bay_credit(m, p.blocked_bay_credit, p.currency),
        ),
        "fields": [
            (name, label(m, f"admin.premise_field.{name}")) for name in (*TYPED_FIELDS, *OWN_SCREEN_FIELDS)
        ],
        "is_active": p.is_active,
        "is_inactive": not p.is_active,
        "has_bookings": bool(bookings),
        "btn_refund_unused": t(m, "admin.btn_refund_unused", on="yes" if p.refund_unused else "no"),
        "btn_refund_no_show": t(m, "admin.btn_refund_no_show", on="yes" if p.refund_no_show else "no"),
        "btn_deactivate": t(m, "admin.btn_premise_deactivate"),
        "btn_reactivate": t(m, "admin.btn_premise_reactivate"),
        "btn_bookings": t(m, "admin.btn_premise_bookings", count=len(bookings)),
    }


def _bay_credit(m: DialogManager, credit: int | None, currency: str) -> str:
    if credit is None:
        return t(m, "admin.bay_credit_plan_hour")
    return t(m, "admin.bay_credit_none") if credit == 0 else fmt.money(credit, currency)


def parse_bay_credit(text: str, currency: str) -> int | None:
    """What the operator typed for the blocked-bay credit: an amount (0: none) or "hour" (one
    hour of the booking's rate plan). InvalidPremise otherwise."""
    typed = text.strip().lower()
    if typed in PLAN_HOUR_WORDS:
        return None
    try:
        return parse_amount(typed, currency)
    except ValueError:
        raise InvalidPremise("blocked_bay_credit", typed[:20]) from None


async def on_field(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    own = {
        "location": PremisesSG.edit_location,
        "features": PremisesSG.edit_features,
        "photos": PremisesSG.edit_photos,
    }
    if item not in TYPED_FIELDS and item not in own:
        await explain(callback, manager, NotFound(f"field {item[:20]!r}"))
        return
    manager.dialog_data["field"] = item
    manager.dialog_data["photo"] = 0
    await manager.switch_to(own.get(item, PremisesSG.edit))


async def on_toggle_refund(callback: CallbackQuery, button: Button, manager: DialogManager) -> None:
    """Refunds of unused time (early leave) or of released no-shows, on or off: the use case
    checks the caller's right and audits the change."""
    uc, who = services(manager).premises_admin, caller(manager).user_id
    name = str(button.widget_id)
    try:
        current = await uc.details(who, started_premise(manager))
        await uc.update_premise(who, started_premise(manager), name, not getattr(current, name))
    except DomainError as error:
        await explain(callback, manager, error)


async def on_deactivate(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    try:
        done = await services(manager).premises_admin.deactivate(
            caller(manager).user_id, started_premise(manager)
        )
    except DomainError as error:
        await explain(callback, manager, error)
        return
    if done.bookings:
        await manager.switch_to(PremisesSG.bookings)
    else:
        await callback.answer(label(manager, "admin.premise_deactivated"))


async def on_reactivate(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    try:
        await services(manager).premises_admin.reactivate(caller(manager).user_id, started_premise(manager))
    except DomainError as error:
        await explain(callback, manager, error)
        return
    await callback.answer(label(manager, "admin.premise_reactivated"))


# ---------------------------------------------------------------------- editing a field
async def edit_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    name = str(m.dialog_data.get("field", "name"))
    try:
        p = await services(m).premises_admin.details(caller(m).user_id, started_premise(m))
    except DomainError:
        return {"title": t(m, "admin.refused")}
    if name == "blocked_bay_credit":
        # An amount, none, or the plan's hour: the prompt says what each means.
        current = _bay_credit(m, p.blocked_bay_credit, p.currency)
        return {"title": t(m, "admin.premise_edit_bay_credit", current=current, currency=p.currency)}
    return {
        "title": t(
            m,
            "admin.premise_edit",
            field=label(m, f"admin.premise_field.{name}"),
            current=str(getattr(p, name)) or "—",
        )
    }


async def on_value(message: Message, _: MessageInput, manager: DialogManager) -> None:
    name = str(manager.dialog_data.get("field", ""))
    uc, who, premise_id = services(manager).premises_admin, caller(manager).user_id, started_premise(manager)
    try:
        value: Any = message.text or ""
        if name == "blocked_bay_credit":
            value = parse_bay_credit(value, (await uc.details(who, premise_id)).currency)
        await uc.update_premise(who, premise_id, name, value)
    except InvalidPremise as error:
        show_hint(manager, t(manager, f"admin.premise_invalid.{error.field}"))
        return
    except DomainError as error:
        show_hint(manager, t(manager, "admin.spots_refused", why=refusal_text(caller(manager).lang, error)))
        return
    await manager.switch_to(PremisesSG.details)


def _refused(manager: DialogManager, error: DomainError) -> None:
    if isinstance(error, InvalidPremise):
        show_hint(manager, t(manager, f"admin.premise_invalid.{error.field}"))
    else:
        show_hint(manager, t(manager, "admin.spots_refused", why=refusal_text(caller(manager).lang, error)))


# ---------------------------------------------------------------------- the location
async def location_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    try:
        p = await services(m).premises_admin.details(caller(m).user_id, started_premise(m))
    except DomainError:
        return {"title": t(m, "admin.refused")}
    moved_to = m.dialog_data.get("guessed_timezone", "")
    return {
        "title": t(
            m,
            "admin.premise_timezone_offer"
            if m.current_context().state == PremisesSG.edit_timezone
            else "admin.premise_location",
            lat=f"{p.lat:.5f}",
            lon=f"{p.lon:.5f}",
            timezone=p.timezone,
            guessed=moved_to,
        ),
        "btn_change_timezone": t(m, "admin.btn_change_timezone", value=moved_to),
        "btn_keep_timezone": t(m, "admin.btn_keep", value=p.timezone),
    }


async def on_new_location(message: Message, _: MessageInput, manager: DialogManager) -> None:
    try:
        if message.location is not None:
            lat, lon = message.location.latitude, message.location.longitude
        else:
            lat, lon = parse_coordinates(message.text or "")
        moved = await services(manager).premises_admin.relocate(
            caller(manager).user_id, started_premise(manager), lat, lon
        )
    except DomainError as error:
        _refused(manager, error)
        return
    if moved.guessed_timezone != moved.details.timezone:
        manager.dialog_data["guessed_timezone"] = moved.guessed_timezone
        await manager.switch_to(PremisesSG.edit_timezone)
    else:
        await manager.switch_to(PremisesSG.details)


async def on_change_timezone(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    zone = str(manager.dialog_data.get("guessed_timezone", ""))
    try:
        await services(manager).premises_admin.update_premise(
            caller(manager).user_id, started_premise(manager), "timezone", zone
        )
    except DomainError as error:
        await explain(callback, manager, error)
        return
    await manager.switch_to(PremisesSG.details)


# ---------------------------------------------------------------------- the features
def _feature_items(manager: DialogManager, chosen: list[str]) -> list[tuple[str, str]]:
    """The features multiselect of the wizard and of Details: every feature, ✅ when chosen."""
    return [(f, ("✅ " if f in chosen else "▫️ ") + label(manager, f"feature.{f}")) for f in FEATURES]


def _features_group(on_click: Any) -> Group:
    return Group(choice("feature", "features", on_click), width=2)


async def features_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    try:
        p = await services(m).premises_admin.details(caller(m).user_id, started_premise(m))
    except DomainError:
        return {"title": t(m, "admin.refused"), "features": []}
    return {"title": t(m, "admin.premise_features", name=p.name), "features": _feature_items(m, p.features)}


async def on_toggle_feature(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    uc, who, premise_id = services(manager).premises_admin, caller(manager).user_id, started_premise(manager)
    try:
        chosen = (await uc.details(who, premise_id)).features
        new = [f for f in chosen if f != item] if item in chosen else [*chosen, item]
        await uc.update_premise(who, premise_id, "features", new)
    except DomainError as error:
        await explain(callback, manager, error)


# ---------------------------------------------------------------------- the photos
async def photos_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    try:
        p = await services(m).premises_admin.details(caller(m).user_id, started_premise(m))
    except DomainError:
        return {"title": t(m, "admin.refused"), "photo": None}
    index = min(max(int(m.dialog_data.get("photo", 0)), 0), max(len(p.photos) - 1, 0))
    m.dialog_data["photo"] = index
    shown = p.photos[index] if p.photos else None
    m.dialog_data["shown_photo"] = shown  # what "Remove" removes: the photo on the screen
    return {
        "title": t(
            m, "admin.premise_photos", name=p.name, photo=index + 1, photos=len(p.photos), most=MAX_PHOTOS
        ),
        "photo": MediaAttachment(ContentType.PHOTO, file_id=MediaId(shown)) if shown else None,
        "has_photos": bool(p.photos),
        "has_many": len(p.photos) > 1,
        "btn_remove_photo": t(m, "admin.btn_remove_photo"),
        "btn_clear_photos": t(m, "admin.btn_clear_photos", count=len(p.photos)),
    }


def _turn(step: int) -> Any:
    async def on_click(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
        try:
            p = await services(manager).premises_admin.details(
                caller(manager).user_id, started_premise(manager)
            )
        except DomainError as error:
            await explain(callback, manager, error)
            return
        manager.dialog_data["photo"] = (int(manager.dialog_data.get("photo", 0)) + step) % max(
            len(p.photos), 1
        )

    return on_click


async def on_add_photo(message: Message, _: MessageInput, manager: DialogManager) -> None:
    if not message.photo:
        return
    try:
        p = await services(manager).premises_admin.add_photo(
            caller(manager).user_id,
            started_premise(manager),
            message.photo[-1].file_id,  # the largest size
        )
    except DomainError as error:
        _refused(manager, error)
        return
    manager.dialog_data["photo"] = len(p.photos) - 1  # the one just sent


async def on_remove_photo(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    uc, who, premise_id = services(manager).premises_admin, caller(manager).user_id, started_premise(manager)
    try:
        await uc.remove_photo(who, premise_id, str(manager.dialog_data.get("shown_photo") or ""))
    except DomainError as error:
        await explain(callback, manager, error)
        return
    await callback.answer(label(manager, "admin.photo_removed"))


async def on_clear_photos(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    try:
        await services(manager).premises_admin.update_premise(
            caller(manager).user_id, started_premise(manager), "photos", []
        )
    except DomainError as error:
        await explain(callback, manager, error)
        return
    await callback.answer(label(manager, "admin.photos_cleared"))


# ---------------------------------------------------------------------- future bookings
async def bookings_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    uc, who, lang = services(m).premises_admin, caller(m).user_id, caller(m).lang
    try:
        p = await uc.details(who, started_premise(m))
        bookings = await uc.future_bookings(who, p.premise_id)
    except DomainError:
        return {"title": t(m, "admin.refused"), "actions": []}
    return {
        "title": t(
            m,
            "admin.premise_bookings",
            name=p.name,
            count=len(bookings),
            lines=fmt.booking_lines(lang, bookings, p.timezone),
        ),
        # Keeping a booking is doing nothing: only "Cancel & refund" has a button.
        "actions": [
            (str(b.reservation_id), label(m, "admin.btn_cancel_refund", id=b.reservation_id))
            for b in bookings
        ],
    }


async def on_cancel(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        if not item.isdigit():
            raise NotFound(f"button {item[:20]!r}")
        done = await services(manager).premises_admin.cancel_booking_as_operator(
            caller(manager).user_id, started_premise(manager), int(item)
        )
    except DomainError as error:
        await explain(callback, manager, error)
        return
    refund = fmt.money(done.refunded_to_wallet + done.refund_to_card, done.currency)
    await callback.answer(
        label(manager, "admin.booking_cancelled", id=done.reservation_id, refund=refund), show_alert=True
    )


# ---------------------------------------------------------------------- a new car park
# Each typed answer: (the draft's key, how the text becomes its value, the next question).
def _draft(manager: DialogManager) -> dict[str, Any]:
    draft: dict[str, Any] = manager.dialog_data.setdefault("draft", {"features": [], "photos": []})
    return draft


async def new_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    d = _draft(m)
    state = (m.current_context().state.state or "").rsplit(":", 1)[-1]
    found = d.get("found_address") or ""
    return {
        "title": t(
            m,
            f"admin.{state}",
            timezone=d.get("timezone", ""),
            currency=d.get("currency", ""),
            # What to type instead: never the guess itself ("keep Europe/Kyiv or type Europe/Kyiv").
            example=_other_than(d.get("timezone", ""), "Europe/Kyiv", "Europe/Warsaw")
            if state == "new_timezone"
            else _other_than(d.get("currency", ""), "UAH", "EUR"),
            photos=len(d.get("photos", [])),
            # new_address: "found" (a button offers it), "none" (the geocoder had nothing, or
            # failed: a short hint), or "" (no geocoder, or not asked).
            lookup=d.get("address_lookup", ""),
        ),
        "found_address": found,
        "btn_use_address": t(m, "admin.btn_use_address", address=_shorten(found)),
        "btn_keep_timezone": t(m, "admin.btn_keep", value=d.get("timezone", "")),
        "btn_keep_currency": t(m, "admin.btn_keep", value=d.get("currency", "")),
        "btn_always": t(m, "admin.btn_always_open"),
        "btn_next": t(m, "admin.btn_next"),
        "btn_skip": t(m, "admin.btn_skip"),
        "btn_create": t(m, "admin.btn_create_premise"),
        "features": _feature_items(m, list(d.get("features", []))),
    }


def _other_than(guess: str, example: str, otherwise: str) -> str:
    return otherwise if guess == example else example


def _shorten(text: str, most: int = 48) -> str:
    """A button shows one line: a long address is cut (the whole of it is what is stored)."""
    return text if len(text) <= most else text[: most - 1].rstrip(" ,") + "…"


async def summary_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    d, lang = _draft(m), caller(m).lang
    return {
        "title": t(
            m,
            "admin.new_summary",
            name=d["name"],
            address=d["address"],
            lat=f"{d['lat']:.5f}",
            lon=f"{d['lon']:.5f}",
            timezone=d["timezone"],
            price=fmt.money(d["price_per_hour"], d["currency"]),
            hours=d["opening_hours"],
            features=", ".join(tr(lang, f"feature.{f}") for f in d["features"]) or "—",
            description=d.get("description") or "—",
            photos=len(d["photos"]),
        ),
        "btn_create": t(m, "admin.btn_create_premise"),
    }


async def _answered(manager: DialogManager, key: str, value: Any, then: State) -> None:
    _draft(manager)[key] = value
    await manager.switch_to(then)


async def _typed_answer(message: Message, manager: DialogManager, key: str, then: State) -> None:
    text = message.text or ""
    try:
        if key == "location":
            lat, lon = parse_coordinates(text)
        elif key == "price_per_hour":
            try:
                value: Any = clean(key, parse_amount(text, _draft(manager)["currency"]))
            except ValueError:
                raise InvalidPremise(key, text[:20]) from None
        else:
            value = clean(key, text)
    except InvalidPremise as error:
        show_hint(manager, t(manager, f"admin.premise_invalid.{error.field}"))
        return
    if key == "location":
        await _located(manager, lat, lon)
        return
    await _answered(manager, key, value, then)


async def _located(manager: DialogManager, lat: float, lon: float) -> None:
    svc, draft = services(manager), _draft(manager)
    draft.update(lat=lat, lon=lon, timezone=svc.premises_admin.guess_timezone(lat, lon))
    draft.setdefault("currency", svc.settings.currency)
    # The address at the location, offered as a one-tap answer on the address step. One
    # lookup per location: going back and sending the same one again does not ask again.
    if svc.geocoder is not None and draft.get("looked_up") != [lat, lon]:
        # Up to a few seconds: "looking…" in the chat's header meanwhile, as find.py does.
        bot: Bot = manager.middleware_data["bot"]
        await bot.send_chat_action(caller(manager).telegram_id, ChatAction.FIND_LOCATION)
        found = await svc.geocoder.address(lat, lon, caller(manager).lang)
        draft.update(
            looked_up=[lat, lon], found_address=found or "", address_lookup="found" if found else "none"
        )
    await manager.switch_to(PremisesSG.new_name)


async def on_use_address(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    draft = _draft(manager)
    if not draft.get("found_address"):
        await manager.switch_to(PremisesSG.new_address)
        return
    draft["address"] = clean("address", draft["found_address"])
    await manager.switch_to(PremisesSG.new_timezone)


async def on_location(message: Message, _: MessageInput, manager: DialogManager) -> None:
    if message.location is not None:
        await _located(manager, message.location.latitude, message.location.longitude)
        return
    await _typed_answer(message, manager, "location", PremisesSG.new_name)


def _step(key: str, then: State) -> MessageInput:
    async def on_text(message: Message, _: MessageInput, manager: DialogManager) -> None:
        await _typed_answer(message, manager, key, then)

    return text_input(on_text)


def _go(then: State, **values: Any) -> Any:
    """A button that answers with a fixed value (None: the draft's current one) and moves on."""

    async def on_click(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
        _draft(manager).update({k: v for k, v in values.items() if v is not None})
        await manager.switch_to(then)

    return on_click


async def on_feature(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    chosen = _draft(manager)["features"]
    if item in FEATURES:
        chosen.remove(item) if item in chosen else chosen.append(item)


async def on_photo(message: Message, _: MessageInput, manager: DialogManager) -> None:
    photos = _draft(manager)["photos"]
    if len(photos) >= MAX_PHOTOS:  # told now, not when Create is refused
        show_hint(manager, t(manager, "admin.premise_invalid.photos"))
    elif message.photo:
        photos.append(message.photo[-1].file_id)  # the largest size


async def on_create(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    d = _draft(manager)
    draft = PremiseDraft(
        name=d["name"],
        lat=d["lat"],
        lon=d["lon"],
        address=d["address"],
        timezone=d["timezone"],
        currency=d["currency"],
        price_per_hour=d["price_per_hour"],
        opening_hours=d["opening_hours"],
        features=list(d["features"]),
        description=d.get("description", ""),
        photos=list(d["photos"]),
    )
    try:
        made = await services(manager).premises_admin.create_premise(caller(manager).user_id, draft)
    except DomainError as error:
        await explain(callback, manager, error)
        return
    await callback.answer(
        label(manager, "admin.premise_created", name=made.name, code=made.code), show_alert=True
    )
    await manager.done()


def _question(state: State, *widgets: Any, back: State | None = None) -> Window:
    return Window(
        Format("{title}"),
        *widgets,
        SwitchTo(Format("{btn_back}"), id="back", state=back)
        if back is not None
        else Cancel(Format("{btn_back}"), id="back"),
        unexpected_input(),
        state=state,
        getter=new_getter,
    )


def _wizard() -> list[Window]:
    s = PremisesSG
    return [
        _question(
            s.new_location,
            MessageInput(on_location, content_types=[ContentType.TEXT, ContentType.LOCATION]),
        ),
        _question(s.new_name, _step("name", s.new_address), back=s.new_location),
        _question(
            s.new_address,
            Button(Format("{btn_use_address}"), id="use_addr", on_click=on_use_address, when="found_address"),
            _step("address", s.new_timezone),
            back=s.new_name,
        ),
        _question(
            s.new_timezone,
            Button(Format("{btn_keep_timezone}"), id="keep_tz", on_click=_go(s.new_currency)),
            _step("timezone", s.new_currency),
            back=s.new_address,
        ),
        _question(
            s.new_currency,
            Button(Format("{btn_keep_currency}"), id="keep_cur", on_click=_go(s.new_price)),
            _step("currency", s.new_price),
            back=s.new_timezone,
        ),
        _question(s.new_price, _step("price_per_hour", s.new_hours), back=s.new_currency),
        _question(
            s.new_hours,
            Button(
                Format("{btn_always}"), id="always", on_click=_go(s.new_features, opening_hours=ALWAYS_OPEN)
            ),
            _step("opening_hours", s.new_features),
            back=s.new_price,
        ),
        _question(
            s.new_features,
            _features_group(on_feature),
            Button(Format("{btn_next}"), id="next", on_click=_go(s.new_description)),
            back=s.new_hours,
        ),
        _question(
            s.new_description,
            Button(Format("{btn_skip}"), id="skip", on_click=_go(s.new_photos, description="")),
            _step("description", s.new_photos),
            back=s.new_features,
        ),
        _question(
            s.new_photos,
            Button(Format("{btn_next}"), id="next", on_click=_go(s.new_summary)),
            MessageInput(on_photo, content_types=ContentType.PHOTO),
            back=s.new_description,
        ),
        Window(
            Format("{title}"),
            Button(Format("{btn_create}"), id="create", on_click=on_create),
            SwitchTo(Format("{btn_back}"), id="back", state=s.new_photos),
            unexpected_input(),
            state=s.new_summary,
            getter=summary_getter,
        ),
    ]


def premises_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{title}"),
            Group(choice("field", "fields", on_field), width=2, when="fields"),
            # Refunds by the bay's sensor (README, Blockers): on or off per car park.
            *(
                Button(Format(f"{{btn_{name}}}"), id=name, on_click=on_toggle_refund, when="fields")
                for name in ("refund_unused", "refund_no_show")
            ),
            SwitchTo(Format("{btn_bookings}"), id="bookings", state=PremisesSG.bookings, when="has_bookings"),
            Button(Format("{btn_deactivate}"), id="deactivate", on_click=on_deactivate, when="is_active"),
            Button(Format("{btn_reactivate}"), id="reactivate", on_click=on_reactivate, when="is_inactive"),
            Cancel(Format("{btn_back}"), id="back"),
            unexpected_input(),
            state=PremisesSG.details,
            getter=details_getter,
        ),
        typed_window(PremisesSG.edit, back=PremisesSG.details, on_text=on_value, getter=edit_getter),
        Window(
            Format("{title}"),
            SwitchTo(Format("{btn_back}"), id="back", state=PremisesSG.details),
            MessageInput(on_new_location, content_types=[ContentType.TEXT, ContentType.LOCATION]),
            unexpected_input(),
            state=PremisesSG.edit_location,
            getter=location_getter,
        ),
        Window(
            Format("{title}"),
            Button(Format("{btn_change_timezone}"), id="change_tz", on_click=on_change_timezone),
            SwitchTo(Format("{btn_keep_timezone}"), id="keep_tz", state=PremisesSG.details),
            unexpected_input(),
            state=PremisesSG.edit_timezone,
            getter=location_getter,
        ),
        Window(
            Format("{title}"),
            _features_group(on_toggle_feature),
            SwitchTo(Format("{btn_back}"), id="back", state=PremisesSG.details),
            unexpected_input(),
            state=PremisesSG.edit_features,
            getter=features_getter,
        ),
        Window(
            DynamicMedia("photo", when="photo"),
            Format("{title}"),
            Row(
                Button(Format("◀️"), id="prev", on_click=_turn(-1)),
                Button(Format("▶️"), id="next", on_click=_turn(1)),
                when="has_many",
            ),
            Button(Format("{btn_remove_photo}"), id="remove", on_click=on_remove_photo, when="has_photos"),
            Button(Format("{btn_clear_photos}"), id="clear", on_click=on_clear_photos, when="has_many"),
            SwitchTo(Format("{btn_back}"), id="back", state=PremisesSG.details),
            MessageInput(on_add_photo, content_types=ContentType.PHOTO),
            unexpected_input(),
            state=PremisesSG.edit_photos,
            getter=photos_getter,
        ),
        Window(
            Format("{title}"),
            Group(choice("booking", "actions", on_cancel), width=1, when="actions"),
            SwitchTo(Format("{btn_back}"), id="back", state=PremisesSG.details),
            unexpected_input(),
            state=PremisesSG.bookings,
            getter=bookings_getter,
        ),
        *_wizard(),
    )
