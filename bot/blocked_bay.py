"""What the driver reads when their bay is blocked (core/services/blocked_bay.py): the offer,
"Move me to spot B7 (free now)" and "Refund me" in one message, and what their choice came to."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import format as fmt
from bot.callbacks import BookingAction
from bot.i18n import Raw, tr, tr_label
from core.services.blocked_bay import Offer, Reason
from core.usecases.blocked_bay import Choice, Outcome


def offer_text(lang: str, offer: Offer) -> Raw:
    refund = fmt.money(offer.refund, offer.currency)
    if offer.to_spot_id is not None:
        credit = fmt.money(offer.credit, offer.currency) if offer.credit else "none"
        choice = tr(lang, "bay_blocked.move", to_spot=offer.to_spot, credit=credit, refund=refund)
    else:
        lines = [tr(lang, "bay_blocked.no_spot", refund=refund)]
        if offer.nearby:
            lines.append(tr(lang, "bay_blocked.nearby"))
            lines.extend(
                tr(
                    lang,
                    "bay_blocked.nearby_line",
                    name=p.name,
                    distance=fmt.distance(lang, p.distance_m),
                    free=p.free_spots,
                )
                for p in offer.nearby
            )
        choice = Raw("\n".join(lines))
    text = tr(
        lang,
        "bay_blocked.text",
        from_spot=offer.from_spot,
        name=offer.premise_name,
        why=tr(lang, f"bay_blocked.why.{offer.reason.value}"),
        id=offer.reservation_id,
        choice=choice,
    )
    return Raw(f"{text}\n{tr(lang, 'bay_blocked.staff')}")


def offer_keyboard(lang: str, offer: Offer) -> InlineKeyboardMarkup:
    rows = []
    if offer.to_spot_id is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    text=tr_label(lang, "btn.bay_move", spot=offer.to_spot),
                    callback_data=BookingAction(
                        action="bay_move", reservation_id=offer.reservation_id
                    ).pack(),
                )
            ]
        )
    rows.append(
        [
            InlineKeyboardButton(
                text=tr(lang, "btn.bay_refund"),
                callback_data=BookingAction(action="bay_refund", reservation_id=offer.reservation_id).pack(),
            )
        ]
    )
    if offer.reason is not Reason.CAR_PRESENT:
        # Bags moved, the blocker back: the driver may still take their own spot.
        rows.append(
            [
                InlineKeyboardButton(
                    text=tr(lang, "btn.retry_lower"),
                    callback_data=BookingAction(action="lower", reservation_id=offer.reservation_id).pack(),
                )
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def choice_text(lang: str, done: Choice) -> Raw:
    if done.outcome is Outcome.MOVED:
        assert done.starts_at is not None and done.ends_at is not None
        credit = fmt.money(done.credit, done.currency) if done.credit else "none"
        return tr(
            lang,
            "bay_blocked.moved",
            id=done.reservation_id,
            spot=done.spot,
            name=done.premise_name,
            window=fmt.window(done.starts_at, done.ends_at, done.timezone, lang),
            credit=credit,
        )
    if done.outcome is Outcome.REFUNDED:
        refund = fmt.refund(lang, done.refund_wallet, done.refund_card, done.currency, done=True)
        return tr(lang, "bay_blocked.refunded", id=done.reservation_id, name=done.premise_name, refund=refund)
    if done.outcome is Outcome.NO_SPOT:
        return tr(lang, "bay_blocked.taken")
    if done.outcome is Outcome.MOVED_ALREADY:
        return tr(lang, "bay_blocked.moved_already", spot=done.spot)
    return tr(lang, "bay_blocked.gone")


def after_choice_keyboard(lang: str, done: Choice) -> InlineKeyboardMarkup | None:
    """After a move, the new spot's "I've arrived"; after a spot taken meanwhile, the refund."""
    if done.outcome is Outcome.MOVED:
        action, key = "lower", "btn.lower"
    elif done.outcome is Outcome.NO_SPOT:
        action, key = "bay_refund", "btn.bay_refund"
    else:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=tr(lang, key),
                    callback_data=BookingAction(action=action, reservation_id=done.reservation_id).pack(),
                )
            ]
        ]
    )
