"""The console's Blockers section (DESIGN.md §11, MANAGE_BLOCKERS): a premise's blockers by
health, worst first; one blocker's screen (state, battery, last seen in the premise's zone,
its spot) with "Test: lower" / "Test: raise" (a real command; its answer shown), Unbind with
a confirmation and Replace by typing the new device id; Register (type an id, pick a free
spot) and Unassigned (devices with no spot: pick one, pick its spot).

A dialog of its own, started from the premise's console with the premise id; every tap calls
core/usecases/blockers_admin.py, which checks the caller's role again. A device id never
travels in a button (callback data is short, and a button is not to be trusted): a button
carries a digest of the id, looked up again among the ids the caller may see.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Row, SwitchTo
from aiogram_dialog.widgets.text import Format

from bot import format as fmt
from bot.dialogs.common import (
    caller,
    explain,
    label,
    paged_choice,
    refusal_text,
    services,
    show_hint,
    started_premise,
    t,
    typed_window,
    unexpected_input,
)
from bot.i18n import Raw, tr
from core.blockers import LOW_BATTERY_PERCENT, CommandResult, valid_device_id
from core.errors import DomainError, InvalidBlockerId, NotFound
from core.models import BlockerState
from core.usecases.blockers_admin import BlockerView

__all__ = ["BlockersSG", "blockers_dialog"]


class BlockersSG(StatesGroup):
    blockers = State()  # the health list, worst first
    blocker = State()  # one blocker: test, unbind, replace
    unbind = State()  # confirmation
    replace = State()  # typing the new device id
    register = State()  # typing a device id
    pick_spot = State()  # the free spots for the device chosen or typed
    unassigned = State()  # devices heard or unbound, with no spot


def _key(device_id: str) -> str:
    """A button's stand-in for a device id (ids are up to 64 characters; callback data too)."""
    return hashlib.sha256(device_id.encode()).hexdigest()[:16]


def _find(views: list[BlockerView], key: str) -> BlockerView:
    for view in views:
        if _key(view.device_id) == key:
            return view
    raise NotFound(f"button {key[:20]!r}")


def _device(manager: DialogManager) -> str:
    return str(manager.dialog_data["device_id"])


def _hint_refusal(manager: DialogManager, error: DomainError) -> None:
    show_hint(manager, t(manager, "admin.blockers_refused", why=refusal_text(caller(manager).lang, error)))


def _health(manager: DialogManager, view: BlockerView) -> Raw:
    """Its problems in the reader's words (core.blockers.health_problems' order), or ok."""
    problems = []
    if not view.online:
        problems.append(t(manager, "admin.blocker_offline"))
    if view.state is BlockerState.FAULT:
        problems.append(t(manager, "admin.blocker_fault"))
    if view.battery is not None and view.battery < LOW_BATTERY_PERCENT:
        problems.append(t(manager, "admin.blocker_low_battery", battery=view.battery))
    if not problems:
        return t(manager, "admin.blocker_ok")
    return Raw("⚠️ " + ", ".join(problems))


# ---------------------------------------------------------------------- the list
async def blockers_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    uc, who, premise_id = services(m).blockers_admin, caller(m).user_id, started_premise(m)
    try:
        found = await uc.blockers(who, premise_id)
        unassigned = await uc.unassigned(who, premise_id)
    except DomainError:
        return {"title": t(m, "admin.refused"), "blockers": [], "can_register": False}
    lang = caller(m).lang
    lines = [
        tr(lang, "admin.blocker_line", label=v.spot_label or "", device=v.device_id, health=_health(m, v))
        for v in found.blockers
    ]
    return {
        "title": t(
            m,
            "admin.blockers",
            name=found.premise_name,
            count=len(found.blockers),
            lines=Raw("".join("\n" + line for line in lines)),
        ),
        "blockers": [
            (_key(v.device_id), f"{'⚠️' if v.problems else '✅'} {v.spot_label} · {v.device_id}")
            for v in found.blockers
        ],
        "can_register": True,
        "btn_register": label(m, "admin.btn_blocker_register"),
        "btn_unassigned": label(m, "admin.btn_blockers_unassigned", count=len(unassigned)),
    }


async def on_blocker(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        found = await services(manager).blockers_admin.blockers(
            caller(manager).user_id, started_premise(manager)
        )
        view = _find(found.blockers, item)
    except DomainError as error:
        await explain(callback, manager, error)
        return
    manager.dialog_data["device_id"] = view.device_id
    manager.dialog_data.pop("test", None)
    await manager.switch_to(BlockersSG.blocker)


# ---------------------------------------------------------------------- a blocker
def _outcome(manager: DialogManager, action: str, result: CommandResult) -> Raw:
    state = t(manager, "admin.blocker_state", state=result.state.value) if result.state is not None else ""
    return t(
        manager,
        "admin.blocker_test",
        action=action,
        outcome=t(manager, "admin.blocker_outcome", status=result.status.value, state=state),
    )


async def blocker_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    uc, who, premise_id = services(m).blockers_admin, caller(m).user_id, started_premise(m)
    try:
        found = await uc.blockers(who, premise_id)
        view = await uc.blocker(who, premise_id, _device(m))
    except DomainError:
        return {"title": t(m, "admin.refused"), "found": False}
    lang = caller(m).lang
    never = label(m, "admin.blocker_never")
    seen = fmt.stamp(lang, view.last_seen, found.timezone) if view.last_seen else never
    screen = t(
        m,
        "admin.blocker",
        device=view.device_id,
        label=view.spot_label or "",
        state=t(m, "admin.blocker_state", state=view.state.value),
        battery=f"{view.battery}%" if view.battery is not None else "—",
        seen=seen,
        health=_health(m, view),
    )
    test = m.dialog_data.get("test")
    if isinstance(test, str):  # the last test's answer, on top
        screen = Raw(test + "\n\n" + screen)
    return {
        "title": screen,
        "found": True,
        "btn_lower": label(m, "admin.btn_blocker_lower"),
        "btn_raise": label(m, "admin.btn_blocker_raise"),
        "btn_replace": label(m, "admin.btn_blocker_replace"),
        "btn_unbind": label(m, "admin.btn_blocker_unbind"),
    }


async def _test(callback: CallbackQuery, manager: DialogManager, action: str) -> None:
    # The device may take seconds to answer: the tap is answered at once.
    await callback.answer(label(manager, "admin.blocker_sent"))
    try:
        result = await services(manager).blockers_admin.test_command(
            caller(manager).user_id,
            started_premise(manager),
            _device(manager),
            "lower" if action == "lower" else "raise",
        )
    except DomainError as error:
        manager.dialog_data["test"] = str(
            t(manager, "admin.blockers_refused", why=refusal_text(caller(manager).lang, error))
        )
        return
    manager.dialog_data["test"] = str(_outcome(manager, action, result))


async def on_lower(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await _test(callback, manager, "lower")


async def on_raise(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await _test(callback, manager, "raise")


async def unbind_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    try:
        view = await services(m).blockers_admin.blocker(caller(m).user_id, started_premise(m), _device(m))
    except DomainError:
        return {"title": t(m, "admin.refused"), "found": False}
    return {
        "title": t(m, "admin.blocker_unbind_confirm", device=view.device_id, label=view.spot_label or ""),
        "found": True,
        "btn_yes": label(m, "admin.btn_blocker_unbind_yes"),
    }


async def on_unbind(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    uc, who, premise_id = services(manager).blockers_admin, caller(manager).user_id, started_premise(manager)
    try:
        view = await uc.blocker(who, premise_id, _device(manager))
        await uc.unbind(who, premise_id, view.device_id)
    except DomainError as error:
        await explain(callback, manager, error)
        return
    done = label(manager, "admin.blocker_unbound", device=view.device_id, label=view.spot_label)
    await callback.answer(done)
    await manager.switch_to(BlockersSG.blockers)


async def replace_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    try:
        view = await services(m).blockers_admin.blocker(caller(m).user_id, started_premise(m), _device(m))
    except DomainError:
        return {"title": t(m, "admin.refused")}
    return {"title": t(m, "admin.blocker_replace", device=view.device_id, label=view.spot_label or "")}


async def on_new_device(message: Message, _: MessageInput, manager: DialogManager) -> None:
    try:
        view = await services(manager).blockers_admin.replace(
            caller(manager).user_id, started_premise(manager), _device(manager), (message.text or "").strip()
        )
    except DomainError as error:
        _hint_refusal(manager, error)
        return
    manager.dialog_data["device_id"] = view.device_id
    manager.dialog_data.pop("test", None)
    done = t(manager, "admin.blocker_replaced", device=view.device_id, label=view.spot_label or "")
    show_hint(manager, done)
    await manager.switch_to(BlockersSG.blocker)


# ---------------------------------------------------------------------- registering
async def register_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {"title": t(dialog_manager, "admin.blocker_register")}


async def on_typed_device(message: Message, _: MessageInput, manager: DialogManager) -> None:
    device_id = (message.text or "").strip()
    if not valid_device_id(device_id):  # said now, not after a spot is picked
        _hint_refusal(manager, InvalidBlockerId(device_id[:80]))
        return
    manager.dialog_data["device_id"] = device_id
    await manager.switch_to(BlockersSG.pick_spot)


async def unassigned_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    try:
        found = await services(m).blockers_admin.unassigned(caller(m).user_id, started_premise(m))
    except DomainError:
        return {"title": t(m, "admin.refused"), "devices": []}
    return {
        "title": t(m, "admin.blockers_unassigned", count=len(found)),
        "devices": [(_key(v.device_id), v.device_id) for v in found],
    }


async def on_unassigned(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        found = await services(manager).blockers_admin.unassigned(
            caller(manager).user_id, started_premise(manager)
        )
        view = _find(found, item)
    except DomainError as error:
        await explain(callback, manager, error)
        return
    manager.dialog_data["device_id"] = view.device_id
    await manager.switch_to(BlockersSG.pick_spot)


async def pick_spot_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    try:
        spots = await services(m).blockers_admin.free_spots(caller(m).user_id, started_premise(m))
    except DomainError:
        return {"title": t(m, "admin.refused"), "spots": []}
    return {
        "title": t(m, "admin.blocker_pick_spot", device=_device(m), count=len(spots)),
        "spots": [(str(s.spot_id), s.label) for s in spots],
    }


async def on_spot(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        if not item.isdigit():
            raise NotFound(f"button {item[:20]!r}")
        view = await services(manager).blockers_admin.register(
            caller(manager).user_id, started_premise(manager), _device(manager), int(item)
        )
    except DomainError as error:
        await explain(callback, manager, error)
        return
    done = label(manager, "admin.blocker_registered", device=view.device_id, label=view.spot_label)
    await callback.answer(done)
    await manager.switch_to(BlockersSG.blockers)


def blockers_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{title}"),
            paged_choice("blocker", "blockers", on_blocker, width=1, height=8, when="blockers"),
            Row(
                SwitchTo(Format("{btn_register}"), id="register", state=BlockersSG.register),
                SwitchTo(Format("{btn_unassigned}"), id="unassigned", state=BlockersSG.unassigned),
                when="can_register",
            ),
            Cancel(Format("{btn_back}"), id="back"),
            unexpected_input(),
            state=BlockersSG.blockers,
            getter=blockers_getter,
        ),
        Window(
            Format("{title}"),
            Row(
                Button(Format("{btn_lower}"), id="lower", on_click=on_lower),
                Button(Format("{btn_raise}"), id="raise", on_click=on_raise),
                when="found",
            ),
            Row(
                SwitchTo(Format("{btn_replace}"), id="replace", state=BlockersSG.replace),
                SwitchTo(Format("{btn_unbind}"), id="unbind", state=BlockersSG.unbind),
                when="found",
            ),
            SwitchTo(Format("{btn_back}"), id="back", state=BlockersSG.blockers),
            unexpected_input(),
            state=BlockersSG.blocker,
            getter=blocker_getter,
        ),
        Window(
            Format("{title}"),
            Button(Format("{btn_yes}"), id="yes", on_click=on_unbind, when="found"),
            SwitchTo(Format("{btn_back}"), id="back", state=BlockersSG.blocker),
            unexpected_input(),
            state=BlockersSG.unbind,
            getter=unbind_getter,
        ),
        typed_window(
            BlockersSG.replace, back=BlockersSG.blocker, on_text=on_new_device, getter=replace_getter
        ),
        typed_window(
            BlockersSG.register, back=BlockersSG.blockers, on_text=on_typed_device, getter=register_getter
        ),
        Window(
            Format("{title}"),
            paged_choice("spot", "spots", on_spot, width=4, height=6, when="spots"),
            SwitchTo(Format("{btn_back}"), id="back", state=BlockersSG.blockers),
            unexpected_input(),
            state=BlockersSG.pick_spot,
            getter=pick_spot_getter,
        ),
        Window(
            Format("{title}"),
            paged_choice("device", "devices", on_unassigned, width=1, height=8, when="devices"),
            SwitchTo(Format("{btn_back}"), id="back", state=BlockersSG.blockers),
            unexpected_input(),
            state=BlockersSG.unassigned,
            getter=unassigned_getter,
        ),
    )
