"""Callback data of buttons outside dialogs (notifications). Ids only: every handler
re-checks on the server that the caller owns the object and that its state allows it."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class BookingAction(CallbackData, prefix="bk"):
    action: (
        str  # cancel | navigate | open | lower | book_again | pay | end | extend | calendar | keep | give_up
    )
    reservation_id: int


class ExtendAction(CallbackData, prefix="ext"):
    """ "Extend by N minutes" under a reminder. `end` is the end the reminder was about (unix
    seconds): a tap after the booking has moved on is recognised as stale, never applied twice."""

    reservation_id: int
    minutes: int
    end: int


class ExtensionPay(CallbackData, prefix="exp"):
    method: str  # card | link | topup | wallet
    extension_id: int
    card_id: int = 0


class ReviewStars(CallbackData, prefix="rv"):
    """ "How was it?" under a completed booking's message: 1-5 stars."""

    reservation_id: int
    stars: int


class IncidentAction(CallbackData, prefix="inc"):
    """A button under a blocker incident's alert (core/usecases/incidents.py): the incident's
    id only; its premise and the caller's rights there are looked up on every tap."""

    action: str  # move | refund | test | ack
    incident_id: int


class GuestAction(CallbackData, prefix="gp"):
    """A guest's button under their guest pass (core/usecases/guests.py): the pass's id only;
    that the caller is its guest, and the window, are checked on every tap."""

    action: str  # lower | raise
    pass_id: int


class WaitlistAction(CallbackData, prefix="wl"):
    """ "Hold it" under a waitlist offer, "Tell me when a spot frees up" under a lapsed one:
    the wish's id; its owner and the offer's (or the wish's) time are checked on the tap."""

    action: str  # hold | again
    wish_id: int
