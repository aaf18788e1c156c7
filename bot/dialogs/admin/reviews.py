"""The console's "⭐ Reviews" (issue 13, Permission.MODERATE_REVIEWS): the pending reviews of
the car parks the caller moderates, one at a time (rating as stars, text, car park, booking
number, date), to approve (published, the driver is told) or reject with a reason picked
from presets or typed.

A dialog of its own, started from the console's first screen. Its buttons carry the review's
id; core/usecases/reviews.py checks the caller's role at that review's premise on every tap.
"""

from __future__ import annotations

from typing import Any

from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Button, Cancel, Column, Row, SwitchTo
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
    t,
    text_input,
    unexpected_input,
)
from bot.i18n import tr_label
from core.errors import DomainError, NotFound

__all__ = ["REJECT_PRESETS", "ReviewsSG", "moderation_dialog"]

# Reasons offered on a tap (their words, in the moderator's language, become the reason).
REJECT_PRESETS = ("spam", "offensive", "off_topic", "personal_data")


class ReviewsSG(StatesGroup):
    queue = State()  # one pending review at a time
    reject = State()  # the reason


def _id(item: str) -> int:
    if not item.isdigit():
        raise NotFound(f"button {item[:20]!r}")
    return int(item)


def stars(rating: int) -> str:
    return "⭐" * rating + "☆" * (5 - rating)


async def queue_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    lang = caller(m).lang
    try:
        pending, total = await services(m).review_moderation.queue(caller(m).user_id)
    except DomainError:
        return {"title": t(m, "admin.refused"), "decide": [], "has_next": False}
    if not pending:
        return {"title": t(m, "admin.reviews_empty"), "decide": [], "has_next": False}
    pos = int(m.dialog_data.get("pos", 0)) % len(pending)
    m.dialog_data["pos"] = pos
    r = pending[pos]
    booking = tr_label(lang, "admin.review_booking", id=r.reservation_id) if r.reservation_id else ""
    return {
        "title": t(
            m,
            "admin.review",
            n=pos + 1,
            total=total,
            stars=stars(r.rating),
            rating=r.rating,
            premise=r.premise_name,
            booking=booking,
            when=fmt.stamp(lang, r.created_at, r.timezone),
            text=r.text or tr_label(lang, "admin.review_no_text"),
            driver=r.driver,
        ),
        "decide": [
            (f"a{r.review_id}", label(m, "admin.btn_review_approve")),
            (f"r{r.review_id}", label(m, "admin.btn_review_reject")),
        ],
        "has_next": len(pending) > 1,
        "btn_skip": t(m, "admin.btn_review_next"),
    }


async def on_decide(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    verb, review_id = item[:1], item[1:]
    try:
        rid = _id(review_id)
        if verb == "a":
            await services(manager).review_moderation.approve(caller(manager).user_id, rid)
        elif verb != "r":
            raise NotFound(f"button {item[:20]!r}")
    except DomainError as error:
        await explain(callback, manager, error)
        return
    if verb == "a":
        await callback.answer(label(manager, "admin.review_approved"))
        return
    manager.dialog_data["review_id"] = rid
    await manager.switch_to(ReviewsSG.reject)


async def on_skip(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    manager.dialog_data["pos"] = int(manager.dialog_data.get("pos", 0)) + 1


async def reject_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    return {
        "title": t(m, "admin.review_reject", id=m.dialog_data.get("review_id", "")),
        "presets": [(key, label(m, f"admin.review_reason.{key}")) for key in REJECT_PRESETS],
    }


async def _reject(manager: DialogManager, reason: str) -> DomainError | None:
    try:
        await services(manager).review_moderation.reject(
            caller(manager).user_id, int(manager.dialog_data["review_id"]), reason
        )
    except DomainError as error:
        return error
    show_hint(manager, t(manager, "admin.review_rejected"))
    await manager.switch_to(ReviewsSG.queue)
    return None


async def on_preset(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    if item not in REJECT_PRESETS:
        await explain(callback, manager, NotFound(f"reason {item[:20]!r}"))
        return
    error = await _reject(manager, label(manager, f"admin.review_reason.{item}"))
    if error is not None:
        await explain(callback, manager, error)


async def on_typed_reason(message: Message, _: MessageInput, manager: DialogManager) -> None:
    error = await _reject(manager, message.text or "")
    if error is not None:
        show_hint(manager, t(manager, "admin.reviews_refused", why=refusal_text(caller(manager).lang, error)))


def moderation_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{title}"),
            Row(choice("decide", "decide", on_decide), when="decide"),
            Button(Format("{btn_skip}"), id="skip", on_click=on_skip, when="has_next"),
            Cancel(Format("{btn_back}"), id="back"),
            unexpected_input(),
            state=ReviewsSG.queue,
            getter=queue_getter,
        ),
        Window(
            Format("{title}"),
            Column(choice("reason", "presets", on_preset)),
            text_input(on_typed_reason),
            SwitchTo(Format("{btn_back}"), id="back", state=ReviewsSG.queue),
            unexpected_input(),
            state=ReviewsSG.reject,
            getter=reject_getter,
        ),
    )
