"""Callback data of buttons outside dialogs (notifications). Ids only: every handler
re-checks on the server that the caller owns the object and that its state allows it."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class BookingAction(CallbackData, prefix="bk"):
    action: str  # cancel | confirm_cancel | navigate | open
    reservation_id: int
