"""What each notification kind says by SMS: short plain text in the user's language, within
two SMS parts (a place name is cut short for that). Every kind has a text; operators' alerts
only point at the console (they are read in Telegram)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.models import Notification, Premise, Reservation, ReservationStatus, Spot
from core.notifications import NotificationKind
from core.services import blocked_bay
from core.services.blocked_bay import Offer
from core.services.places import place_of
from core.usecases.blocked_bay import Choice, Outcome

# The budgets and the cut are re-exported (sms/inbound.py and tests/sms import them from here).
from sms.texts import ADDRESS_CHARS as ADDRESS_CHARS
from sms.texts import NAME_CHARS as NAME_CHARS
from sms.texts import SPOT_CHARS as SPOT_CHARS
from sms.texts import day_hm, moment, money, t
from sms.texts import short as short

log = logging.getLogger(__name__)


def extension_options(options: list[tuple[int, int]], currency: str) -> str:
    """`EXT 30 (1.25 EUR), EXT 60 (2.50 EUR)`: the reminder's choices as replies."""
    return ", ".join(f"EXT {minutes} ({money(price, currency)})" for minutes, price in options)


async def _booked(session: AsyncSession, payload: dict[str, Any]) -> tuple[Reservation, Spot, Premise] | None:
    reservation = await session.get(Reservation, int(payload.get("reservation_id") or 0))
    if reservation is None:
        return None
    try:
        spot, premise = await place_of(session, reservation)
    except NotFound:
        return None
    return reservation, spot, premise


def _moment_of(p: dict[str, Any], key: str, tz: str, day: datetime) -> str:
    """A payload's ISO time as every SMS names a moment (`moment`)."""
    return moment(datetime.fromisoformat(str(p[key])), tz, day)


def booking_values(r: Reservation, spot: Spot, premise: Premise, now: datetime) -> dict[str, Any]:
    """The values every booking text names (an SMS reply saying what a notification would).
    `now`: when the text is made; the start names its day when that is not today, the end when
    it is not the start's (`moment`)."""
    tz = premise.timezone
    return {
        "id": r.id,
        "name": short(premise.name, NAME_CHARS),
        "spot": short(spot.label, SPOT_CHARS),
        "start": moment(r.starts_at, tz, now),
        "end": moment(r.ends_at, tz, r.starts_at),
        "price": money(r.price, r.currency),
    }


def bay_offer(lang: str, offer: Offer, booking: dict[str, Any] | None = None) -> str:
    """A blocked bay's offer as SMS verbs: "Reply MOVE for spot B7 or REFUND", or only REFUND
    when no spot of the car park is free. The notification (`booking`: its values) names the car
    park and the booking too; the answer to LOWER need not."""
    values = {
        "spot": short(offer.from_spot, SPOT_CHARS),
        "why": t(lang, f"reply.bay_why_{offer.reason.value}"),
        "to": short(offer.to_spot, SPOT_CHARS),
        "amount": money(offer.refund, offer.currency),
    }
    choice = "move" if offer.to_spot_id is not None else "refund"
    if booking is not None:
        return t(lang, f"notify.bay_blocked_{choice}", **values, id=booking["id"], name=booking["name"])
    return t(lang, f"reply.bay_offer_{choice}", **values)


def bay_choice(lang: str, done: Choice, now: datetime) -> str:
    """What MOVE or REFUND came to (the same outcomes as the Telegram buttons'); times as every
    SMS names them (`moment`: dated when not on `now`'s day)."""
    if done.outcome is Outcome.MOVED:
        assert done.starts_at is not None and done.ends_at is not None
        moved = {
            "id": done.reservation_id,
            "spot": short(done.spot, SPOT_CHARS),
            "start": moment(done.starts_at, done.timezone, now),
            "end": moment(done.ends_at, done.timezone, done.starts_at),
        }
        if done.credit:
            return t(lang, "reply.bay_moved_credit", **moved, credit=money(done.credit, done.currency))
        return t(lang, "reply.bay_moved", **moved)
    if done.outcome is Outcome.REFUNDED:
        where = "card" if done.refund_card else "wallet"
        if done.refund_wallet and done.refund_card:
            where = "both"
        amount = money(done.refund_wallet + done.refund_card, done.currency)
        return t(lang, f"reply.bay_refunded_{where}", id=done.reservation_id, amount=amount)
    if done.outcome is Outcome.NO_SPOT:
        return t(lang, "reply.bay_no_spot")
    if done.outcome is Outcome.MOVED_ALREADY:
        return t(lang, "reply.bay_moved_already", spot=short(done.spot, SPOT_CHARS))
    return t(lang, "reply.bay_no_offer")


Kind = NotificationKind


async def render(session: AsyncSession, note: Notification, lang: str, *, now: datetime | None = None) -> str:
    """The SMS text of a notification. `now`: when it is sent (the dispatcher's clock), the
    real time when not given: a moment not on that day in the car park's zone names its date."""
    now = now or datetime.now(UTC)
    try:
        kind = Kind(note.kind)
    except ValueError:
        return t(lang, "notify.generic")
    if kind.for_admins:
        return t(lang, "notify.admin")
    p = note.payload
    if kind == Kind.WALLET_TOPPED_UP:
        c = str(p["currency"])
        return t(
            lang,
            "notify.wallet_topped_up",
            amount=money(int(p["amount"]), c),
            balance=money(int(p["balance"]), c),
        )
    if kind == Kind.CARD_SAVED:
        return t(lang, "notify.card_saved", brand=str(p["brand"]).title()[:12], last4=str(p["last4"])[:4])
    if kind == Kind.WAITLIST_OFFER:
        premise = await session.get(Premise, int(p.get("premise_id") or 0))
        if premise is None:
            return t(lang, "notify.generic")
        tz = premise.timezone
        starts_at = datetime.fromisoformat(str(p["starts_at"]))
        return t(
            lang,
            "notify.waitlist_offer",
            name=short(premise.name, NAME_CHARS),
            start=moment(starts_at, tz, now),
            end=_moment_of(p, "ends_at", tz, starts_at),
            until=_moment_of(p, "until", tz, now),
        )
    if kind == Kind.REVIEW_PUBLISHED:
        premise = await session.get(Premise, int(p.get("premise_id") or 0))
        if premise is None:
            return t(lang, "notify.generic")
        return t(lang, "notify.review_published", name=short(premise.name, NAME_CHARS))
    if kind in (Kind.WAITLIST_OFFER_LAPSED, Kind.WAITLIST_WISH_ENDED):
        premise = await session.get(Premise, int(p.get("premise_id") or 0))
        if premise is None:
            return t(lang, "notify.generic")
        tz = premise.timezone
        starts_at = datetime.fromisoformat(str(p["starts_at"]))
        return t(
            lang,
            f"notify.{kind.value}",
            name=short(premise.name, NAME_CHARS),
            start=moment(starts_at, tz, now),
            end=_moment_of(p, "ends_at", tz, starts_at),
            minutes=int(p.get("minutes") or 0),
        )
    booked = await _booked(session, p)
    if booked is None:
        log.warning("notification %s of kind %s: its booking is gone", note.id, note.kind)
        return t(lang, "notify.generic")
    r, spot, premise = booked
    values = booking_values(r, spot, premise, now)
    if kind == Kind.BAY_BLOCKED:
        return await _bay_blocked(session, lang, r, values)
    renderer = _BOOKING_TEXTS.get(kind)
    if renderer is None:
        return t(lang, "notify.generic")
    return renderer(lang, p, values, r, premise, now)


async def _bay_blocked(session: AsyncSession, lang: str, r: Reservation, v: dict[str, Any]) -> str:
    """A car on the bay before the driver came (the sweep): the offer as things stood when it
    was made, with MOVE and REFUND to answer it (as bot/notifications.py's buttons). Settled by
    the time it is sent (moved, refunded, entered): the news, not a stale offer."""
    if (
        r.bay_blocked_at is None
        or r.bay_blocked_spot_id != r.spot_id
        or r.status is not ReservationStatus.CONFIRMED
    ):
        return t(lang, "notify.bay_blocked_gone", **v)
    return bay_offer(lang, await blocked_bay.build_offer(session, r, r.bay_blocked_at), v)


# A booking's text: the language, the payload, the booking's values, the booking, its car park,
# and when the text is made (a moment not on that day names its date: `moment`).
Text = Callable[[str, dict[str, Any], dict[str, Any], Reservation, Premise, datetime], str]


def _cancelled(
    lang: str, p: dict[str, Any], v: dict[str, Any], r: Reservation, _pr: Premise, _now: datetime
) -> str:
    refunded = int(p.get("refund_wallet") or 0) + int(p.get("refund_card") or 0)
    if refunded:
        return t(lang, "notify.booking_cancelled", **v, amount=money(refunded, r.currency))
    return t(lang, "notify.booking_cancelled_free", **v)


def _completed(
    lang: str, p: dict[str, Any], v: dict[str, Any], r: Reservation, pr: Premise, now: datetime
) -> str:
    # Ended early (driver or staff): the unused time that went back to the wallet.
    refund = money(int(p["refund"]), r.currency) if int(p.get("refund") or 0) else None
    if p.get("no_show"):  # "ended at": the end alone, named as a moment of its own
        end = moment(r.ends_at, pr.timezone, now)
        if refund is not None:
            return t(lang, "notify.booking_completed_no_show_refund", **{**v, "end": end}, amount=refund)
        return t(lang, "notify.booking_completed_no_show", **{**v, "end": end})
    if refund is not None:
        return t(lang, "notify.booking_completed_refund", **v, amount=refund)
    return t(lang, "notify.booking_completed", **v)


def _left(lang: str, p: dict[str, Any], v: dict[str, Any], r: Reservation, pr: Premise, now: datetime) -> str:
    at = _moment_of(p, "left_at", pr.timezone, now)
    if int(p.get("refund") or 0):
        return t(
            lang,
            "notify.booking_left",
            **v,
            at=at,
            amount=money(int(p["refund"]), r.currency),
            minutes=int(p.get("unused_minutes") or 0),
        )
    return t(lang, "notify.booking_left_none", **v, at=at)


def _no_show_check(
    lang: str, p: dict[str, Any], v: dict[str, Any], _r: Reservation, pr: Premise, now: datetime
) -> str:
    at = _moment_of(p, "release_at", pr.timezone, now)
    return t(lang, "notify.no_show_check", **v, at=at)


def _no_show_released(
    lang: str, p: dict[str, Any], v: dict[str, Any], r: Reservation, pr: Premise, now: datetime
) -> str:
    # The booking's end is cut to the release: that is when the spot was freed.
    at = moment(r.ends_at, pr.timezone, now)
    if int(p.get("refund") or 0):
        amount = money(int(p["refund"]), r.currency)
        return t(lang, "notify.no_show_released_refund", **v, at=at, amount=amount)
    return t(lang, "notify.no_show_released", **v, at=at)


def _extended(
    lang: str, p: dict[str, Any], v: dict[str, Any], r: Reservation, pr: Premise, now: datetime
) -> str:
    until = moment(r.ends_at, pr.timezone, now)
    if p.get("added_price"):
        return t(
            lang, "notify.booking_extended", **v, until=until, added=money(int(p["added_price"]), r.currency)
        )
    return t(lang, "notify.booking_extended_free", **v, until=until)


def _reminder(
    lang: str, p: dict[str, Any], v: dict[str, Any], _r: Reservation, pr: Premise, now: datetime
) -> str:
    until = _moment_of(p, "ends_at", pr.timezone, now)
    if p.get("options"):
        options = [(int(o["minutes"]), int(o["price"])) for o in p["options"]]
        return t(
            lang,
            "notify.booking_reminder",
            **v,
            until=until,
            options=extension_options(options, str(p["currency"])),
        )
    if p.get("next_starts_at"):
        at = _moment_of(p, "next_starts_at", pr.timezone, now)
        return t(lang, "notify.booking_reminder_leave", **v, until=until, at=at)
    return t(lang, "notify.booking_reminder_end", **v, until=until)


def _moved(
    lang: str, p: dict[str, Any], v: dict[str, Any], _r: Reservation, _pr: Premise, _now: datetime
) -> str:
    # Why it moved, as in Telegram: a blocker out of order, the staff, or the spot closed. Each
    # names the new spot (v["spot"]: the booking's spot now) and the one it left.
    key = (
        "notify.booking_moved_blocker"
        if p.get("blocker")
        else "notify.booking_moved_by_staff"
        if p.get("by_staff")
        else "notify.booking_moved"
    )
    return t(lang, key, **v, from_spot=short(str(p.get("from_spot") or "?"), SPOT_CHARS))


def _hold_expiring(
    lang: str, p: dict[str, Any], v: dict[str, Any], _r: Reservation, pr: Premise, now: datetime
) -> str:
    until = _moment_of(p, "expires_at", pr.timezone, now)
    return t(lang, "notify.hold_expiring", **v, until=until)


def _lower_late(
    lang: str, p: dict[str, Any], v: dict[str, Any], r: Reservation, pr: Premise, now: datetime
) -> str:
    if str(p.get("status")) == "ok":
        return t(lang, "notify.lower_late_ok", **v, until=moment(r.ends_at, pr.timezone, now))
    return t(lang, "notify.lower_late_failed", **v)


def _guest_pass(
    lang: str, _p: dict[str, Any], v: dict[str, Any], r: Reservation, pr: Premise, _now: datetime
) -> str:
    # The place and times only: nothing of the owner (name, number, price).
    return t(
        lang,
        "notify.guest_pass",
        name=v["name"],
        address=short(pr.address, ADDRESS_CHARS),
        spot=v["spot"],
        start=day_hm(r.starts_at, pr.timezone),
        end=v["end"],
    )


def _guest_pass_revoked(
    lang: str, p: dict[str, Any], v: dict[str, Any], r: Reservation, pr: Premise, now: datetime
) -> str:
    # As the pass: nothing of the owner. Parked, the booking's end (it stays the owner's), alone.
    place = {"name": v["name"], "spot": v["spot"]}
    if p.get("parked"):
        return t(lang, "notify.guest_pass_revoked_parked", **place, end=moment(r.ends_at, pr.timezone, now))
    return t(lang, "notify.guest_pass_revoked", **place, start=day_hm(r.starts_at, pr.timezone), end=v["end"])


def _refunded(
    lang: str, p: dict[str, Any], v: dict[str, Any], _r: Reservation, _pr: Premise, _now: datetime
) -> str:
    return t(lang, "notify.payment_refunded", **v, amount=money(int(p["amount"]), str(p["currency"])))


def _plain(key: str) -> Text:
    def text(
        lang: str, _p: dict[str, Any], v: dict[str, Any], _r: Reservation, _pr: Premise, _now: datetime
    ) -> str:
        return t(lang, key, **v)

    return text


_BOOKING_TEXTS: dict[NotificationKind, Text] = {
    Kind.BOOKING_CONFIRMED: _plain("notify.booking_confirmed"),
    Kind.BOOKING_CANCELLED: _cancelled,
    Kind.BOOKING_COMPLETED: _completed,
    Kind.BOOKING_EXTENDED: _extended,
    Kind.BOOKING_MOVED: _moved,
    Kind.BOOKING_REMINDER: _reminder,
    Kind.BOOKING_LEFT: _left,
    Kind.NO_SHOW_CHECK: _no_show_check,
    Kind.NO_SHOW_RELEASED: _no_show_released,
    # Kind.BAY_BLOCKED: the offer with MOVE and REFUND, read from the booking (_bay_blocked).
    Kind.HOLD_EXPIRING: _hold_expiring,
    Kind.HOLD_EXPIRED: _plain("notify.hold_expired"),
    Kind.LOWER_LATE: _lower_late,
    Kind.LOWER_FAILED_AFTER_ALL: _plain("notify.lower_failed_after_all"),
    Kind.GUEST_PASS: _guest_pass,
    Kind.GUEST_PASS_REVOKED: _guest_pass_revoked,
    Kind.PAYMENT_REFUNDED: _refunded,
}

# Every drivers' kind has a text (operators' alerts share one): checked by tests/sms.
DRIVER_KINDS = frozenset(k for k in Kind if not k.for_admins)
