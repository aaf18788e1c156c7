"""Telegram channel of the outbox: renders each notification kind in the user's language at
send time (so a language change applies to queued messages too) and classifies failures."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import format as fmt
from bot.arrival import park_now, parked_keyboard
from bot.blocked_bay import offer_keyboard, offer_text
from bot.callbacks import BookingAction, IncidentAction, ReviewStars, WaitlistAction
from bot.extension import extension_rows
from bot.i18n import CATALOGS, Raw, tr
from core.blockers import CommandStatus
from core.clock import Clock, SystemClock
from core.db import Database
from core.errors import NotFound
from core.models import (
    Blocker,
    BlockerIncident,
    Notification,
    Premise,
    Reservation,
    ReservationStatus,
    Review,
    Spot,
    User,
)
from core.notifications import NotificationKind
from core.rules import can_cancel, can_end_now
from core.services import blocked_bay
from core.services.incidents import ALERT_HOURS
from core.services.outbox import Delivery, DeliveryResult
from core.services.places import place_of

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A notification as a chat shows it. `text` is complete on its own (HTML as Telegram
    takes it); the keyboard only adds shortcuts, so a channel without buttons (SMS, §12)
    sends the text alone."""

    text: str
    keyboard: InlineKeyboardMarkup | None = None


@dataclass(frozen=True, slots=True)
class Booked:
    """The booking a notification is about, with its place."""

    reservation: Reservation
    spot: Spot
    premise: Premise

    def common(self, lang: str) -> dict[str, Any]:
        """The values most booking texts name."""
        r, tz = self.reservation, self.premise.timezone
        return {
            "id": r.id,
            "name": self.premise.name,
            "spot": self.spot.label,
            "address": self.premise.address,
            "window": fmt.window(r.starts_at, r.ends_at, tz, lang),
            "price": fmt.money(r.price, r.currency),
        }


@dataclass(frozen=True, slots=True)
class Note:
    """What a renderer gets: the payload (ids and plain values), the reader's language, a
    read-only session for what the payload only names, and when it is rendered (sent)."""

    session: AsyncSession
    lang: str
    payload: dict[str, Any]
    now: datetime


# A renderer says what one kind of notification says; None when it cannot say anything
# specific (the booking it names is gone), and the generic text is sent instead.
Renderer = Callable[[Note], Awaitable[Rendered | None]]
BookingRenderer = Callable[[Note, Booked], Awaitable[Rendered]]


async def _booked(session: AsyncSession, payload: dict[str, Any]) -> Booked | None:
    if "reservation_id" not in payload:
        return None
    reservation = await session.get(Reservation, int(payload.get("reservation_id") or 0))
    if reservation is None:
        return None
    try:
        spot, premise = await place_of(session, reservation)
    except NotFound:
        return None
    return Booked(reservation, spot, premise)


def _about_a_booking(render_booked: BookingRenderer) -> Renderer:
    """A renderer for a kind about one booking: the booking is loaded first."""

    async def render_note(note: Note) -> Rendered | None:
        booked = await _booked(note.session, note.payload)
        return None if booked is None else await render_booked(note, booked)

    return render_note


def _buttons(*rows: tuple[str, BookingAction]) -> InlineKeyboardMarkup:
    """One button a row: (label, what it does)."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data.pack())] for text, data in rows]
    )


@_about_a_booking
async def _booking_confirmed(note: Note, b: Booked) -> Rendered:
    lang, r = note.lang, b.reservation
    has_blocker = await note.session.scalar(select(Blocker.id).where(Blocker.spot_id == b.spot.id))
    lower = (tr(lang, "btn.lower"), BookingAction(action="lower", reservation_id=r.id))
    # Cancel only while the start is ahead (a "Now" booking has started by the time this is
    # sent); after it, what the booking's screen offers: ending it.
    cancel = (tr(lang, "btn.cancel_booking"), BookingAction(action="cancel", reservation_id=r.id))
    end = (tr(lang, "btn.end_now"), BookingAction(action="end", reservation_id=r.id))
    keyboard = _buttons(
        *([lower] if has_blocker else []),
        (tr(lang, "btn.navigate"), BookingAction(action="navigate", reservation_id=r.id)),
        *([cancel] if can_cancel(r.status, r.starts_at, note.now) else []),
        *([end] if can_end_now(r.status, r.starts_at, note.now) else []),
    )
    text = tr(lang, "notify.booking_confirmed", **b.common(lang))
    if not has_blocker:  # no arrival button: nothing to lower, the driver just parks
        text = Raw(f"{text}\n\n{tr(lang, 'lower.no_blocker')}")
    return Rendered(text, keyboard)


@_about_a_booking
async def _booking_cancelled(note: Note, b: Booked) -> Rendered:
    lang, p = note.lang, note.payload
    # The wallet part was credited with the cancellation itself; a card's is on its way.
    refund = fmt.refund(
        lang,
        int(p.get("refund_wallet") or 0),
        int(p.get("refund_card") or 0),
        b.reservation.currency,
        done=True,
    )
    if p.get("closed_reason"):  # the operator closed its spot
        closed = str(p["closed_reason"])
        return Rendered(
            tr(lang, "notify.booking_cancelled_spot_closed", **b.common(lang), refund=refund, why=closed)
        )
    return Rendered(tr(lang, "notify.booking_cancelled", **b.common(lang), refund=refund))


@_about_a_booking
async def _booking_completed(note: Note, b: Booked) -> Rendered:
    lang, p = note.lang, note.payload
    ended = _ended_early(lang, p, b.reservation.currency)
    if p.get("no_show"):
        return Rendered(tr(lang, "notify.booking_completed_no_show", **b.common(lang)) + ended)
    # The car park's staff ended it (the console), or it ended on time: a stay that happened.
    key = "notify.booking_completed_by_staff" if p.get("by_staff") else "notify.booking_completed"
    return _asking_for_review(lang, tr(lang, key, **b.common(lang)) + ended, b.reservation.id)


def _ended_early(lang: str, p: Mapping[str, Any], currency: str) -> str:
    """Ended now (by the driver or the staff): what of the time left went back to the wallet,
    or why nothing did. Empty for a booking that ran to its end (no `refund` in the payload)."""
    if "refund" not in p:
        return ""
    if int(p["refund"] or 0):
        amount, minutes = fmt.money(int(p["refund"]), currency), int(p.get("unused_minutes") or 0)
        return "\n" + tr(lang, "notify.ended_refund", amount=amount, minutes=minutes)
    return "\n" + tr(lang, "notify.ended_refunds_off" if p.get("refunds_off") else "notify.ended_no_refund")


def _asking_for_review(lang: str, text: str, reservation_id: int) -> Rendered:
    """A stay that happened has ended (on time, by the staff, or when the car left): its message
    asks "How was it?" with 1-5 stars (the review's text comes after)."""
    stars = [
        InlineKeyboardButton(
            text=f"{n} ⭐", callback_data=ReviewStars(reservation_id=reservation_id, stars=n).pack()
        )
        for n in range(1, 6)
    ]
    return Rendered(text + "\n\n" + tr(lang, "review.ask"), InlineKeyboardMarkup(inline_keyboard=[stars]))


@_about_a_booking
async def _booking_left(note: Note, b: Booked) -> Rendered:
    """Billing followed the car: the booking ended when it left (and what came back)."""
    lang, p, r = note.lang, note.payload, b.reservation
    values = {
        **b.common(lang),
        "left": fmt.clock_time(datetime.fromisoformat(str(p["left_at"])), b.premise.timezone),
    }
    if int(p.get("refund") or 0):
        text = tr(
            lang,
            "notify.booking_left",
            **values,
            amount=fmt.money(int(p["refund"]), r.currency),
            minutes=int(p.get("unused_minutes") or 0),
        )
    else:
        key = "notify.booking_left_refunds_off" if p.get("refunds_off") else "notify.booking_left_no_refund"
        text = tr(lang, key, **values)
    return _asking_for_review(lang, text, r.id)


@_about_a_booking
async def _no_show_check(note: Note, b: Booked) -> Rendered:
    lang, r, tz = note.lang, b.reservation, b.premise.timezone
    return Rendered(
        tr(
            lang,
            "notify.no_show_check",
            **b.common(lang),
            start=fmt.clock_time(r.starts_at, tz),
            at=fmt.clock_time(datetime.fromisoformat(str(note.payload["release_at"])), tz),
        ),
        InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=tr(lang, "btn.keep_booking"),
                        callback_data=BookingAction(action="keep", reservation_id=r.id).pack(),
                    ),
                    InlineKeyboardButton(
                        text=tr(lang, "btn.release_spot"),
                        callback_data=BookingAction(action="give_up", reservation_id=r.id).pack(),
                    ),
                ]
            ]
        ),
    )


@_about_a_booking
async def _no_show_released(note: Note, b: Booked) -> Rendered:
    lang, r = note.lang, b.reservation
    refund = int(note.payload.get("refund") or 0)
    return Rendered(
        tr(
            lang,
            "notify.no_show_released",
            **b.common(lang),
            # The booking's end was cut to the release: the moment the spot was freed.
            at=fmt.clock_time(r.ends_at, b.premise.timezone),
            refund=fmt.refund(lang, refund, 0, r.currency, done=True)
            if refund
            else tr(lang, "no_show.not_refunded"),
        )
    )


@_about_a_booking
async def _booking_extended(note: Note, b: Booked) -> Rendered:
    lang, r = note.lang, b.reservation
    return Rendered(
        tr(
            lang,
            "notify.booking_extended_goodwill"
            if note.payload.get("goodwill")
            else "notify.booking_extended"
            if note.payload.get("added_price")
            else "notify.booking_extended_free",
            **b.common(lang),
            until=fmt.clock_time(r.ends_at, b.premise.timezone),
            added=fmt.money(int(note.payload.get("added_price", 0)), r.currency),
        ),
        # The calendar event, once added, is updated by the new file (same UID, next SEQUENCE).
        _buttons((tr(lang, "btn.update_calendar"), BookingAction(action="calendar", reservation_id=r.id))),
    )


@_about_a_booking
async def _booking_moved(note: Note, b: Booked) -> Rendered:
    """Its spot was closed, or the staff moved it: the same time on another spot (b.spot is
    the new one)."""
    p = note.payload
    if p.get("blocker"):  # off a spot whose blocker is out of order (a blocker incident)
        return Rendered(
            tr(
                note.lang,
                "notify.booking_moved_blocker",
                **b.common(note.lang),
                from_spot=str(p["from_spot"]),
            )
        )
    return Rendered(
        tr(
            note.lang,
            "notify.booking_moved_by_staff" if p.get("by_staff") else "notify.booking_moved",
            **b.common(note.lang),
            from_spot=str(p.get("from_spot", "")),
            reason=str(p.get("reason", "")),
        )
    )


@_about_a_booking
async def _booking_reminder(note: Note, b: Booked) -> Rendered:
    lang, p, tz = note.lang, note.payload, b.premise.timezone
    end = datetime.fromisoformat(str(p["ends_at"]))
    lines = [
        tr(
            lang,
            "notify.booking_reminder",
            name=b.premise.name,
            spot=b.spot.label,
            until=fmt.clock_time(end, tz),
        )
    ]
    rows = []
    if p.get("options"):
        lines.append(tr(lang, "reminder.extend"))
        options = [(int(o["minutes"]), int(o["price"])) for o in p["options"]]
        rows = extension_rows(lang, b.reservation.id, end, options, str(p["currency"]))
    if p.get("next_starts_at"):
        at = fmt.clock_time(datetime.fromisoformat(str(p["next_starts_at"])), tz)
        lines.append(tr(lang, "reminder.must_leave", at=at))
    return Rendered("\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None)


@_about_a_booking
async def _hold_expiring(note: Note, b: Booked) -> Rendered:
    lang, r, p = note.lang, b.reservation, note.payload
    expires_at = datetime.fromisoformat(str(p["expires_at"]))
    return Rendered(
        tr(
            lang,
            "notify.hold_expiring",
            name=b.premise.name,
            spot=b.spot.label,
            minutes=int(p["minutes"]),
            until=fmt.clock_time(expires_at, b.premise.timezone),
            price=fmt.money(r.price, r.currency),
        ),
        _buttons((tr(lang, "btn.pay_now"), BookingAction(action="pay", reservation_id=r.id))),
    )


@_about_a_booking
async def _hold_expired(note: Note, b: Booked) -> Rendered:
    lang, r = note.lang, b.reservation
    return Rendered(
        tr(lang, "notify.hold_expired", id=r.id, name=b.premise.name, spot=b.spot.label),
        _buttons((tr(lang, "btn.book_again"), BookingAction(action="book_again", reservation_id=r.id))),
    )


@_about_a_booking
async def _guest_pass(note: Note, b: Booked) -> Rendered:
    """A pass texted to a number (its channel is SMS); in a chat, the same words: the place and
    times, never the owner's name or the price."""
    lang, r = note.lang, b.reservation
    return Rendered(
        tr(
            lang,
            "notify.guest_pass",
            name=b.premise.name,
            address=b.premise.address,
            spot=b.spot.label,
            window=fmt.window(r.starts_at, r.ends_at, b.premise.timezone, lang),
        )
    )


@_about_a_booking
async def _guest_pass_revoked(note: Note, b: Booked) -> Rendered:
    """To the guest: the pass is gone, and who ended it only as "the driver who shared it"
    (a guest never sees the owner's name). A guest who may be parked on it is told the booking
    stays the owner's until its end: revoking evicts nobody."""
    lang, r = note.lang, b.reservation
    values = {
        "name": b.premise.name,
        "spot": b.spot.label,
        "window": fmt.window(r.starts_at, r.ends_at, b.premise.timezone, lang),
        "until": fmt.clock_time(r.ends_at, b.premise.timezone),
    }
    key = "notify.guest_pass_revoked_parked" if note.payload.get("parked") else "notify.guest_pass_revoked"
    return Rendered(tr(lang, key, **values))


async def _waitlist_offer(note: Note) -> Rendered | None:
    p = note.payload
    premise = await note.session.get(Premise, int(p.get("premise_id") or 0))
    if premise is None:
        return None
    starts, ends = datetime.fromisoformat(str(p["starts_at"])), datetime.fromisoformat(str(p["ends_at"]))
    until = datetime.fromisoformat(str(p["until"]))
    hold = WaitlistAction(action="hold", wish_id=int(p["wish_id"]))
    return Rendered(
        tr(
            note.lang,
            "notify.waitlist_offer",
            name=premise.name,
            address=premise.address,
            window=fmt.window(starts, ends, premise.timezone, note.lang),
            until=fmt.clock_time(until, premise.timezone),
        ),
        InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=tr(note.lang, "btn.waitlist_hold"), callback_data=hold.pack())]
            ]
        ),
    )


async def _waitlist_offer_lapsed(note: Note) -> Rendered | None:
    """An offer not held in time: the stay as it was offered and, while the wish would still
    have stood, the waitlist's own button to wait again for it."""
    p = note.payload
    premise = await note.session.get(Premise, int(p.get("premise_id") or 0))
    if premise is None:
        return None
    starts, ends = datetime.fromisoformat(str(p["starts_at"])), datetime.fromisoformat(str(p["ends_at"]))
    text = tr(
        note.lang,
        "notify.waitlist_offer_lapsed",
        name=premise.name,
        window=fmt.window(starts, ends, premise.timezone, note.lang),
        minutes=int(p.get("minutes") or 0),
    )
    if not p.get("again"):
        return Rendered(text)
    again = WaitlistAction(action="again", wish_id=int(p["wish_id"]))
    return Rendered(
        f"{text}\n\n{tr(note.lang, 'waitlist.again')}",
        InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=tr(note.lang, "btn.waitlist_join"), callback_data=again.pack())]
            ]
        ),
    )


async def _waitlist_wish_ended(note: Note) -> Rendered | None:
    p = note.payload
    premise = await note.session.get(Premise, int(p.get("premise_id") or 0))
    if premise is None:
        return None
    starts, ends = datetime.fromisoformat(str(p["starts_at"])), datetime.fromisoformat(str(p["ends_at"]))
    return Rendered(
        tr(
            note.lang,
            "notify.waitlist_wish_ended",
            name=premise.name,
            window=fmt.window(starts, ends, premise.timezone, note.lang),
        )
    )


# Still holding the spot and not entered: the offer stands (a moved, entered or settled booking
# is told so instead, whenever the message goes out).
_OFFERABLE = frozenset({ReservationStatus.CONFIRMED, ReservationStatus.PENDING_PAYMENT})


@_about_a_booking
async def _bay_blocked(note: Note, b: Booked) -> Rendered:
    """A car on the bay before the driver came (the sweep): the same offer a blocked lowering
    answers with (bot/blocked_bay.py), as things stood when it was made."""
    r = b.reservation
    if r.bay_blocked_at is None or r.bay_blocked_spot_id != r.spot_id or r.status not in _OFFERABLE:
        return Rendered(tr(note.lang, "bay_blocked.gone"))
    offer = await blocked_bay.build_offer(note.session, r, r.bay_blocked_at)
    return Rendered(offer_text(note.lang, offer), offer_keyboard(note.lang, offer))


# A lowering failed because the bay was blocked: the alert names the evidence.
_BAY_DETAILS = frozenset({"obstacle", "car_present"})

_LOWER_KEYS = frozenset(f"lower.{s.value}" for s in CommandStatus)


@_about_a_booking
async def _lower_late(note: Note, b: Booked) -> Rendered:
    lang = note.lang
    status = str(note.payload.get("status", "timeout"))
    if status == CommandStatus.OK:
        r = b.reservation
        return Rendered(
            park_now(lang, "lower.late_ok", b.spot.label, r.ends_at, b.premise.timezone),
            parked_keyboard(lang, r.id),
        )
    outcome = tr(lang, f"lower.{status}") if f"lower.{status}" in _LOWER_KEYS else tr(lang, "lower.timeout")
    return Rendered(
        tr(lang, "lower.late_failed", outcome=outcome),
        _buttons(
            (tr(lang, "btn.retry_lower"), BookingAction(action="lower", reservation_id=b.reservation.id))
        ),
    )


@_about_a_booking
async def _lower_failed_after_all(note: Note, b: Booked) -> Rendered:
    lang = note.lang
    status = str(note.payload.get("status", "jammed"))
    reason = tr(lang, f"lower.{status}") if f"lower.{status}" in CATALOGS["en"] else ""
    return Rendered(
        tr(lang, "notify.lower_failed_after_all", **b.common(lang), reason=reason),
        _buttons((tr(lang, "btn.lower"), BookingAction(action="lower", reservation_id=b.reservation.id))),
    )


_REFUND_REASONS = {
    "spot_taken": "refund_reason.spot_taken",
    "duplicate": "refund_reason.duplicate",
    "operator": "refund_reason.operator",
}


@_about_a_booking
async def _payment_refunded(note: Note, b: Booked) -> Rendered:
    lang, p = note.lang, note.payload
    reason = _REFUND_REASONS.get(str(p.get("reason", "other")), "refund_reason.other")
    return Rendered(
        tr(
            lang,
            "notify.payment_refunded",
            id=b.reservation.id,
            amount=fmt.money(int(p["amount"]), str(p["currency"])),
            reason=tr(lang, reason),
        )
    )


async def _wallet_topped_up(note: Note) -> Rendered:
    p = note.payload
    return Rendered(
        tr(
            note.lang,
            "notify.wallet_topped_up",
            amount=fmt.money(int(p["amount"]), str(p["currency"])),
            balance=fmt.money(int(p["balance"]), str(p["currency"])),
        )
    )


async def _card_saved(note: Note) -> Rendered:
    p = note.payload
    return Rendered(tr(note.lang, "notify.card_saved", brand=str(p["brand"]).title(), last4=str(p["last4"])))


async def _admin_payment_mismatch(note: Note) -> Rendered:
    p = note.payload
    return Rendered(
        tr(note.lang, "notify.admin_payment_mismatch", payment_id=p["payment_id"], reason=str(p["reason"]))
    )


async def _admin_refund_failed(note: Note) -> Rendered:
    p = note.payload
    return Rendered(
        tr(
            note.lang,
            "notify.admin_refund_failed",
            payment_id=p["payment_id"],
            amount=fmt.money(int(p["amount"]), str(p["currency"])),
            error=str(p["error"]),
        )
    )


_LISTED_BLOCKERS = 30  # keeps one alert well inside Telegram's 4096 characters


def _blocker_list(key: str, *, with_reasons: bool) -> Renderer:
    """One operators' alert naming every blocker of an outage (with what is wrong with each)
    or of a recovery."""

    async def render_note(note: Note) -> Rendered:
        items: list[dict[str, Any]] = note.payload.get("items") or []
        lines = []
        for item in items[:_LISTED_BLOCKERS]:
            name = html.escape(str(item.get("blocker_id")), quote=False)
            reason = item.get("reason")
            shown = with_reasons and reason
            lines.append(f"• {name} ({html.escape(str(reason), quote=False)})" if shown else f"• {name}")
        if len(items) > _LISTED_BLOCKERS:
            lines.append(tr(note.lang, "notify.admin_blockers_more", count=len(items) - _LISTED_BLOCKERS))
        return Rendered(tr(note.lang, key, count=len(items), items=Raw("\n".join(lines))))

    return render_note


@dataclass(frozen=True, slots=True)
class _Incident:
    incident: BlockerIncident
    spot: str
    premise: Premise

    def common(self, lang: str) -> dict[str, Any]:
        return {
            "blocker": self.incident.blocker_id,
            "name": self.premise.name,
            "spot": self.spot,
            "kind": tr(lang, f"incident_alert.kind.{self.incident.kind.value}")
            if self.incident.detail not in _BAY_DETAILS
            else tr(lang, f"incident_alert.bay_blocked.{self.incident.detail}"),
        }


async def _incident_of(session: AsyncSession, payload: dict[str, Any]) -> _Incident | None:
    incident = await session.get(BlockerIncident, int(payload.get("incident_id") or 0))
    if incident is None or incident.premise_id is None:
        return None
    premise = await session.get(Premise, incident.premise_id)
    if premise is None:
        return None
    spot = await session.scalar(select(Spot.label).where(Spot.id == incident.spot_id)) or "?"
    return _Incident(incident, spot, premise)


def incident_keyboard(
    lang: str, incident_id: int, *, bookings: bool, may_move: bool = True, may_refund: bool = True
) -> InlineKeyboardMarkup:
    """An incident alert's buttons: move and refund only when it names bookings and its reader
    may do them."""
    actions: list[tuple[str, str]] = []
    if bookings and may_move:
        actions.append(("move", "btn.incident_move"))
    if bookings and may_refund:
        actions.append(("refund", "btn.incident_refund"))
    actions += [("test", "btn.incident_test"), ("ack", "btn.incident_ack")]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=tr(lang, key),
                    callback_data=IncidentAction(action=action, incident_id=incident_id).pack(),
                )
            ]
            for action, key in actions
        ]
    )


async def incident_alert(session: AsyncSession, lang: str, payload: dict[str, Any]) -> Rendered | None:
    """An incident's alert, as it reads now (after an acknowledgement every recipient's copy
    is edited to this, bot/incidents.py)."""
    found = await _incident_of(session, payload)
    if found is None:
        return None
    tz = found.premise.timezone
    ids = [int(i) for i in payload.get("reservations") or []]
    rows = (
        await session.execute(
            select(Reservation, User.name)
            .join(User, User.id == Reservation.user_id)
            .where(Reservation.id.in_(ids))
            .order_by(Reservation.starts_at, Reservation.id)
        )
        if ids
        else None
    )
    lines = [
        tr(
            lang,
            "notify.admin_incident_line",
            id=r.id,
            driver=(name.split() or [""])[0],
            window=fmt.window(r.starts_at, r.ends_at, tz, lang),
        )
        for r, name in (rows.tuples() if rows is not None else [])
    ]
    incident = found.incident
    ack = ""
    if incident.acknowledged_by is not None and incident.acknowledged_at is not None:
        who = await session.scalar(select(User.name).where(User.id == incident.acknowledged_by)) or ""
        ack = "\n" + tr(
            lang, "notify.admin_incident_ack", who=who, at=fmt.clock_time(incident.acknowledged_at, tz)
        )
    text = tr(
        lang,
        "notify.admin_incident",
        **found.common(lang),
        since=fmt.clock_time(incident.opened_at, tz),
        count=len(lines),
        hours=ALERT_HOURS,
        lines=Raw("".join("\n" + line for line in lines)),
        ack=Raw(ack),
    )
    # Alerts queued before the reader's rights were written in them offer both, as they did.
    keyboard = incident_keyboard(
        lang,
        incident.id,
        bookings=bool(lines),
        may_move=bool(payload.get("may_move", True)),
        may_refund=bool(payload.get("may_refund", True)),
    )
    return Rendered(text, keyboard)


async def _admin_incident(note: Note) -> Rendered | None:
    return await incident_alert(note.session, note.lang, note.payload)


async def _admin_incident_ended(note: Note) -> Rendered | None:
    found = await _incident_of(note.session, note.payload)
    if found is None or found.incident.closed_at is None:
        return None
    minutes = max(1, round((found.incident.closed_at - found.incident.opened_at).total_seconds() / 60))
    return Rendered(
        tr(
            note.lang,
            "notify.admin_incident_ended",
            **found.common(note.lang),
            duration=fmt.duration(note.lang, minutes),
        )
    )


async def _review_published(note: Note) -> Rendered | None:
    review = await note.session.get(Review, int(note.payload.get("review_id") or 0))
    if review is None:
        return None
    premise = await note.session.get(Premise, review.premise_id)
    return Rendered(tr(note.lang, "notify.review_published", name=premise.name if premise else ""))


def _payload_as_is(key: str) -> Renderer:
    """An operators' alert whose payload values go into its text as they are."""

    async def render_note(note: Note) -> Rendered:
        return Rendered(tr(note.lang, key, **{k: str(v) for k, v in note.payload.items()}))

    return render_note


Kind = NotificationKind

# Every kind's renderer: the one place that says what each notification says.
RENDERERS: dict[NotificationKind, Renderer] = {
    Kind.BOOKING_CONFIRMED: _booking_confirmed,
    Kind.BOOKING_CANCELLED: _booking_cancelled,
    Kind.BOOKING_COMPLETED: _booking_completed,
    Kind.BOOKING_EXTENDED: _booking_extended,
    Kind.BOOKING_MOVED: _booking_moved,
    Kind.BOOKING_REMINDER: _booking_reminder,
    Kind.BOOKING_LEFT: _booking_left,
    Kind.NO_SHOW_CHECK: _no_show_check,
    Kind.NO_SHOW_RELEASED: _no_show_released,
    Kind.BAY_BLOCKED: _bay_blocked,
    Kind.HOLD_EXPIRING: _hold_expiring,
    Kind.HOLD_EXPIRED: _hold_expired,
    Kind.LOWER_LATE: _lower_late,
    Kind.LOWER_FAILED_AFTER_ALL: _lower_failed_after_all,
    Kind.GUEST_PASS: _guest_pass,
    Kind.GUEST_PASS_REVOKED: _guest_pass_revoked,
    Kind.WAITLIST_OFFER: _waitlist_offer,
    Kind.WAITLIST_OFFER_LAPSED: _waitlist_offer_lapsed,
    Kind.WAITLIST_WISH_ENDED: _waitlist_wish_ended,
    Kind.PAYMENT_REFUNDED: _payment_refunded,
    Kind.WALLET_TOPPED_UP: _wallet_topped_up,
    Kind.CARD_SAVED: _card_saved,
    Kind.ADMIN_PAYMENT_MISMATCH: _admin_payment_mismatch,
    Kind.ADMIN_REFUND_FAILED: _admin_refund_failed,
    Kind.ADMIN_BLOCKERS_UNHEALTHY: _blocker_list("notify.admin_blockers_unhealthy", with_reasons=True),
    Kind.ADMIN_BLOCKERS_RECOVERED: _blocker_list("notify.admin_blockers_recovered", with_reasons=False),
    Kind.ADMIN_BLOCKER_FAILED: _payload_as_is("notify.admin_blocker_failed"),
    Kind.ADMIN_BLOCKER_ACK_CONFLICT: _payload_as_is("notify.admin_blocker_ack_conflict"),
    Kind.ADMIN_OVERSTAY: _payload_as_is("notify.admin_overstay"),
    Kind.ADMIN_INCIDENT: _admin_incident,
    Kind.ADMIN_INCIDENT_ENDED: _admin_incident_ended,
    Kind.REVIEW_PUBLISHED: _review_published,
    Kind.ADMIN_BLOCKER_UNHEALTHY: _payload_as_is("notify.admin_blocker_unhealthy"),
    Kind.ADMIN_BLOCKER_RECOVERED: _payload_as_is("notify.admin_blocker_recovered"),
}

# Kinds that, when the driver's payment screen for the booking is open, are shown by turning
# that screen (not by a new message).
_SHOWN_ON_PAYMENT_SCREEN = frozenset({Kind.HOLD_EXPIRED})


def kind_of(note: Notification) -> NotificationKind | None:
    """The row's kind; None for a kind this version does not know."""
    try:
        return NotificationKind(note.kind)
    except ValueError:
        return None


async def render(
    session: AsyncSession, note: Notification, lang: str, *, now: datetime | None = None
) -> Rendered:
    """`now`: when it is sent (what its buttons can still do depends on it); the real time
    when not given."""
    kind = kind_of(note)
    renderer = RENDERERS.get(kind) if kind is not None else None
    when = now or datetime.now(UTC)
    rendered = await renderer(Note(session, lang, note.payload, when)) if renderer is not None else None
    if rendered is None:
        log.warning("notification %s of kind %s has no specific text", note.id, note.kind)
        return Rendered(tr(lang, "notify.generic"))
    return rendered


# Re-renders the driver's open payment screen of a booking (telegram id, reservation id); says
# whether that screen was the one open. Filled in by the runtime (aiogram-dialog background manager).
ScreenRefresher = Callable[[int, int], Awaitable[bool]]


# Telegram's wording for chats a bot can never write to again.
_PERMANENT_BAD_REQUESTS = ("chat not found", "user is deactivated", "peer_id_invalid", "bot was kicked")


class TelegramSender:
    """The outbox dispatcher's Telegram channel."""

    def __init__(
        self,
        bot: Bot,
        db: Database,
        *,
        payment_screen: ScreenRefresher | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.bot = bot
        self.db = db
        self.payment_screen = payment_screen
        self.clock: Clock = clock or SystemClock()

    async def prepare(self, notification: Notification, user: User) -> object:
        if user.telegram_id is None:
            return DeliveryResult(Delivery.PERMANENT, error="user has no Telegram chat")
        async with self.db.read() as session:
            rendered = await render(session, notification, user.language, now=self.clock.now())
        # A lapsed hold whose payment screen is open is told on that screen, not in a new message.
        edits_screen = kind_of(notification) in _SHOWN_ON_PAYMENT_SCREEN and self.payment_screen is not None
        reservation_id = int(notification.payload.get("reservation_id") or 0) if edits_screen else None
        return _Outgoing(notification.id, user.telegram_id, rendered, reservation_id)

    async def send(self, prepared: object) -> DeliveryResult:
        if isinstance(prepared, DeliveryResult):
            return prepared
        assert isinstance(prepared, _Outgoing)
        if prepared.screen_of is not None and self.payment_screen is not None:
            try:
                if await self.payment_screen(prepared.chat_id, prepared.screen_of):
                    return DeliveryResult(Delivery.SENT)
            except Exception:  # the message below tells the driver all the same
                log.exception("notification %s: payment screen not refreshed", prepared.note_id)
        try:
            sent = await self.bot.send_message(
                prepared.chat_id, prepared.rendered.text, reply_markup=prepared.rendered.keyboard
            )
        except TelegramRetryAfter as exc:
            return DeliveryResult(Delivery.RETRY, retry_after=float(exc.retry_after), error="rate limited")
        except TelegramForbiddenError as exc:
            return DeliveryResult(Delivery.PERMANENT, error=exc.message)
        except TelegramBadRequest as exc:
            permanent = any(p in exc.message.lower() for p in _PERMANENT_BAD_REQUESTS)
            # Any other 400 is our bug (bad markup); retrying cannot help either.
            log.log(
                logging.INFO if permanent else logging.ERROR,
                "notification %s: %s",
                prepared.note_id,
                exc.message,
            )
            return DeliveryResult(Delivery.PERMANENT, error=exc.message)
        except (TelegramServerError, TelegramNetworkError) as exc:
            return DeliveryResult(Delivery.RETRY, error=str(exc)[:200])
        return DeliveryResult(Delivery.SENT, message_id=sent.message_id)


@dataclass(frozen=True, slots=True)
class _Outgoing:
    note_id: int
    chat_id: int
    rendered: Rendered
    screen_of: int | None = None  # a reservation whose open payment screen shows this instead
