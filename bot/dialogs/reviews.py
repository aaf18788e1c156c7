"""Reviews, the driver's side: stars → an optional short text → thanks with the review's
status; and "My reviews" with the status of each (awaiting moderation or published)."""

from __future__ import annotations

from typing import Any

from aiogram.types import CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.input import MessageInput
from aiogram_dialog.widgets.kbd import Column, Row, Start, SwitchTo
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
    unexpected_input,
)
from bot.dialogs.states import MenuSG, ReviewSG
from bot.extension import drop_buttons
from bot.i18n import Raw, tr, tr_label
from core.errors import CannotReview, DomainError
from core.services.reviews import RATINGS, REVIEW_TEXT_MAX
from core.usecases.reviews import MyReview

MAX_LABEL = 40


def stars(rating: int) -> str:
    return "⭐" * rating


def star_buttons() -> list[tuple[int, str]]:
    """1 ⭐ … 5 ⭐ in one row: the same under the completion message and on the review screen."""
    return [(n, f"{n} ⭐") for n in RATINGS]


def status_text(lang: str, review: MyReview) -> str:
    return tr(lang, f"review.status.{review.status.value}")


def refusal(lang: str, error: CannotReview) -> str:
    """Plain text (an alert): why this stay cannot be reviewed."""
    return refusal_text(lang, error)


def _reservation_id(manager: DialogManager) -> int:
    if "reservation_id" not in manager.dialog_data and isinstance(manager.start_data, dict):
        manager.dialog_data["reservation_id"] = int(manager.start_data["reservation_id"])
    return int(manager.dialog_data["reservation_id"])


async def _mine(manager: DialogManager) -> MyReview | None:
    return await services(manager).reviews.of_booking(
        user_id=caller(manager).user_id, reservation_id=_reservation_id(manager)
    )


async def stars_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m, svc = dialog_manager, services(dialog_manager)
    v = await svc.booking.details(user_id=caller(m).user_id, reservation_id=_reservation_id(m))
    r = v.reservation
    window = fmt.window(r.starts_at, r.ends_at, v.premise.timezone, caller(m).lang)
    current = await _mine(m)
    text = t(m, "review.ask_stars", name=v.premise.name, window=window)
    if current is not None:
        text = Raw(text + "\n" + t(m, "review.current_stars", stars=stars(current.rating)))
    return {"text": text, "stars": star_buttons()}


async def on_stars(callback: CallbackQuery, _: Any, manager: DialogManager, rating: int) -> None:
    try:
        await services(manager).reviews.rate(
            user_id=caller(manager).user_id, reservation_id=_reservation_id(manager), rating=int(rating)
        )
    except CannotReview as exc:
        await callback.answer(refusal(caller(manager).lang, exc), show_alert=True)
        return
    except DomainError as exc:
        await explain(callback, manager, exc)
        return
    await manager.switch_to(ReviewSG.text)


async def text_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    current = await _mine(m)
    rating = current.rating if current else 0
    text = t(m, "review.ask_text", stars=stars(rating), max=REVIEW_TEXT_MAX)
    if current is not None and current.text:
        text = Raw(text + "\n\n" + t(m, "review.current_text", text=current.text))
    has_text = current is not None and bool(current.text)
    return {
        "text": text,
        "btn_skip_text": t(m, "btn.keep_text") if has_text else t(m, "btn.skip_text"),
    }


async def on_text(message: Message, _: MessageInput, manager: DialogManager) -> None:
    typed = message.text or ""
    if len(typed.strip()) > REVIEW_TEXT_MAX:
        show_hint(manager, t(manager, "review.too_long", length=len(typed.strip()), max=REVIEW_TEXT_MAX))
        return
    try:
        await services(manager).reviews.write(
            user_id=caller(manager).user_id, reservation_id=_reservation_id(manager), text=typed
        )
    except CannotReview as exc:
        show_hint(manager, refusal(caller(manager).lang, exc))
        return
    except DomainError:
        show_hint(manager, t(manager, "error.not_found"))
        return
    await manager.switch_to(ReviewSG.done)


async def done_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    review = await _mine(m)
    if review is None:  # cannot happen after the stars; an old screen says what there is
        return {"text": t(m, "reviews.empty"), "btn_my_reviews": t(m, "btn.my_reviews")}
    # The words after the stars, one space apart (none without words).
    words = Raw(" " + t(m, "review.quote", text=review.text)) if review.text else ""
    return {
        "text": t(
            m,
            "review.saved",
            name=review.premise_name,
            stars=stars(review.rating),
            words=words,
            status=status_text(caller(m).lang, review),
        ),
        "btn_my_reviews": t(m, "btn.my_reviews"),
    }


def _when(lang: str, review: MyReview) -> str:
    return fmt.day(lang, fmt.local(review.starts_at, review.timezone))


async def mine_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    lang = caller(m).lang
    reviews = await services(m).reviews.mine(user_id=caller(m).user_id)
    lines = [
        t(
            m,
            "reviews.item",
            name=r.premise_name,
            date=_when(lang, r),
            stars=stars(r.rating),
            words=Raw(" " + t(m, "review.quote", text=r.text[:120])) if r.text else "",
            status=status_text(lang, r),
        )
        for r in reviews
    ]
    editable = []
    for r in reviews:
        if r.editable:
            name, date = r.premise_name, _when(lang, r)
            text = label(m, "btn.edit_review_item", name=name, date=date)
            if len(text) > MAX_LABEL:
                keep = max(1, len(name) - (len(text) - MAX_LABEL) - 1)
                text = label(m, "btn.edit_review_item", name=name[:keep].rstrip() + "…", date=date)
            editable.append((r.reservation_id, text))
    body = "\n\n".join(lines) if lines else t(m, "reviews.empty")
    return {"text": Raw(t(m, "reviews.title") + "\n\n" + body), "editable": editable}


async def on_edit(callback: CallbackQuery, _: Any, manager: DialogManager, reservation_id: int) -> None:
    manager.dialog_data["reservation_id"] = int(reservation_id)
    await manager.switch_to(ReviewSG.stars)


async def on_review_start(start_data: Any, manager: DialogManager) -> None:
    if isinstance(start_data, dict) and "reservation_id" in start_data:
        manager.dialog_data["reservation_id"] = int(start_data["reservation_id"])


def reviews_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{text}"),
            Row(choice("stars", "stars", on_stars, type_factory=int)),
            Start(Format("{btn_menu}"), id="menu", state=MenuSG.main, mode=StartMode.RESET_STACK),
            unexpected_input(),
            state=ReviewSG.stars,
            getter=stars_getter,
        ),
        Window(
            Format("{text}"),
            SwitchTo(Format("{btn_skip_text}"), id="skip", state=ReviewSG.done),
            MessageInput(on_text, content_types=["text"]),
            unexpected_input(),
            state=ReviewSG.text,
            getter=text_getter,
        ),
        Window(
            Format("{text}"),
            SwitchTo(Format("{btn_my_reviews}"), id="mine", state=ReviewSG.mine),
            Start(Format("{btn_menu}"), id="menu", state=MenuSG.main, mode=StartMode.RESET_STACK),
            unexpected_input(),
            state=ReviewSG.done,
            getter=done_getter,
        ),
        Window(
            Format("{text}"),
            Column(choice("edit", "editable", on_edit, type_factory=int)),
            Start(Format("{btn_menu}"), id="menu", state=MenuSG.main, mode=StartMode.RESET_STACK),
            unexpected_input(),
            state=ReviewSG.mine,
            getter=mine_getter,
        ),
        on_start=on_review_start,
    )


# The star buttons under the completion message (outside any dialog).
async def rate_from_message(
    callback: CallbackQuery, reservation_id: int, rating: int, manager: DialogManager
) -> None:
    """A star under "How was it?": the review is stored (the use case checks the booking is the
    caller's and completed), then the text screen follows in a message of its own."""
    who = caller(manager)
    try:
        await services(manager).reviews.rate(
            user_id=who.user_id, reservation_id=reservation_id, rating=rating
        )
    except CannotReview as exc:
        await callback.answer(refusal(who.lang, exc), show_alert=True)
        return
    except DomainError:
        await callback.answer(tr_label(who.lang, "error.no_such_booking"), show_alert=True)
        return
    await callback.answer(tr_label(who.lang, "review.thanks_stars", stars=stars(rating)))
    await drop_buttons(callback)
    await manager.start(
        ReviewSG.text,
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
        data={"reservation_id": reservation_id},
    )
