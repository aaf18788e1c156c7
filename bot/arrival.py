"""What the driver reads after asking to lower the blocker."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot import format as fmt
from bot.callbacks import BookingAction
from bot.i18n import Raw, tr
from core.blockers import CommandStatus
from core.usecases.arrival import Arrival


def outcome_text(lang: str, arrival: Arrival, tz: str | None = None) -> Raw:
    """The outcome in the driver's words; times in `tz`, by default the premise's."""
    tz = tz or arrival.timezone
    if arrival.refused is not None:
        if arrival.opens_at is not None:
            return tr(lang, "lower.too_early", time=fmt.clock_time(arrival.opens_at, tz))
        return tr(lang, f"lower.{arrival.refused.value}")
    assert arrival.result is not None
    if arrival.result.status is CommandStatus.OK and arrival.ends_at is not None:
        return park_now(lang, "lower.ok", arrival.spot, arrival.ends_at, tz)
    return tr(lang, f"lower.{arrival.result.status.value}")


def park_now(lang: str, key: str, spot: str, ends_at: datetime, tz: str) -> Raw:
    """ "Park now!": where, and until when (the premise's time)."""
    return tr(lang, key, spot=spot, until=fmt.clock_time(ends_at, tz))


def parked_keyboard(lang: str, reservation_id: int) -> InlineKeyboardMarkup:
    """Under "Park now!": what a parked driver may want next."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=tr(lang, "btn.extend_parking"),
                    callback_data=BookingAction(action="extend", reservation_id=reservation_id).pack(),
                ),
                InlineKeyboardButton(
                    text=tr(lang, "btn.end_now"),
                    callback_data=BookingAction(action="end", reservation_id=reservation_id).pack(),
                ),
            ]
        ]
    )
