"""The operator console's Spots section (DESIGN.md §11): add spots one at a time or as ranges
(`A1-A20`), rename, close with a reason drivers are told and an optional reopen time, reopen;
and for the bookings on a closed spot, move each to a free spot of the premise or cancel it
with a full refund.

Every action follows core/usecases/admin.py's pattern: the caller's role is checked at the
premise in the database, the change and its audit entry (before/after) commit together, and
a refusal is audited on its own. Ids from callbacks are never trusted: a spot or booking of
another premise is NotFound.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import (
    InvalidClosing,
    InvalidSpotLabels,
    InvalidTransition,
    NoSpotToMoveTo,
    NotFound,
    SpotLabelTaken,
    TooManySpots,
)
from core.models import Premise, Reservation, ReservationStatus, Spot, User
from core.notifications import NotificationKind
from core.permissions import Permission
from core.rules import Interval
from core.services import booking, outbox, waitlist
from core.services.availability import free_spot_ids, holds_spot
from core.usecases.admin import AdminUseCases

# At most this many spots in one "Add spots": a typo like A1-A5000 is refused, not obeyed.
MAX_NEW_SPOTS = 500
MAX_LABEL = 32  # spots.label
MAX_REASON = 200  # spots.closed_reason

_RANGE = re.compile(r"^(?P<p1>[^\W\d_]*)(?P<n1>\d+)-(?P<p2>[^\W\d_]*)(?P<n2>\d+)$")
_LABEL = re.compile(r"^[\w.]+$")
# Movable: not started, still holding the spot (an active booking has a car on the spot).
_MOVABLE = (ReservationStatus.PENDING_PAYMENT, ReservationStatus.CONFIRMED)

RefundCards = Callable[[], Awaitable[object]]


def parse_labels(text: str) -> list[str]:
    """`A1-A20`, `A1-20`, `B7`, `A01-A10` (zero padding kept), several separated by commas or
    spaces, into labels in the order given. Raises InvalidSpotLabels, TooManySpots (over
    MAX_NEW_SPOTS), SpotLabelTaken (a label named twice)."""
    labels: list[str] = []
    tokens = [tok for tok in re.split(r"[,\s]+", text.strip()) if tok]
    if not tokens:
        raise InvalidSpotLabels("no labels")
    for token in tokens:
        found = _RANGE.match(token)
        if found:
            prefix, first, last = found["p1"], found["n1"], found["n2"]
            if found["p2"] not in ("", prefix):
                raise InvalidSpotLabels(f"range between different letters: {token[:40]}")
            start, end = int(first), int(last)
            if end < start:
                raise InvalidSpotLabels(f"range backwards: {token[:40]}")
            if len(labels) + end - start + 1 > MAX_NEW_SPOTS:
                raise TooManySpots(f"more than {MAX_NEW_SPOTS} spots at once")
            width = len(first) if first.startswith("0") else 0
            labels.extend(f"{prefix}{n:0{width}d}" for n in range(start, end + 1))
        elif _LABEL.match(token):
            labels.append(token)
        else:
            raise InvalidSpotLabels(f"not a label: {token[:40]}")
        if len(labels) > MAX_NEW_SPOTS:
            raise TooManySpots(f"more than {MAX_NEW_SPOTS} spots at once")
    if too_long := [label for label in labels if len(label) > MAX_LABEL]:
        raise InvalidSpotLabels(f"label over {MAX_LABEL} characters: {too_long[0][:40]}")
    if twice := sorted(label for label, n in Counter(labels).items() if n > 1):
        raise SpotLabelTaken(twice)
    return labels


@dataclass(frozen=True, slots=True)
class SpotView:
    spot_id: int
    label: str
    is_active: bool
    closed_reason: str | None
    closed_until: datetime | None


@dataclass(frozen=True, slots=True)
class SpotList:
    """A premise's spots, with what the screens need to show them (its name and zone)."""

    premise_name: str
    timezone: str
    spots: list[SpotView]


@dataclass(frozen=True, slots=True)
class AffectedBooking:
    """A booking on a closed spot that the closing touches."""

    reservation_id: int
    driver: str
    starts_at: datetime
    ends_at: datetime
    status: ReservationStatus
    plate: str | None = None  # the vehicle booked, when the driver gave one


@dataclass(frozen=True, slots=True)
class Closed:
    spot: SpotView
    bookings: list[AffectedBooking]


@dataclass(frozen=True, slots=True)
class Moved:
    reservation_id: int
    from_label: str
    to_label: str


@dataclass(frozen=True, slots=True)
class OperatorCancelled:
    reservation_id: int
    currency: str
    refunded_to_wallet: int
    refund_to_card: int


def _view(spot: Spot) -> SpotView:
    return SpotView(spot.id, spot.label, spot.is_active, spot.closed_reason, spot.closed_until)


def _state(spot: Spot) -> dict[str, object]:
    """A spot as the audit log records it."""
    return {
        "spot_id": spot.id,
        "label": spot.label,
        "is_active": spot.is_active,
        "closed_reason": spot.closed_reason,
        "closed_until": spot.closed_until.isoformat() if spot.closed_until else None,
    }


async def move_to_free_spot(
    s: AsyncSession,
    reservation: Reservation,
    premise_id: int,
    now: datetime,
    *,
    to_spot_id: int | None = None,
) -> Spot | None:
    """Moves the (locked) booking to a free spot of the premise for its interval: `to_spot_id`,
    or the first free one; None when none is free. The exclusion constraint on PostgreSQL and
    BEGIN IMMEDIATE on SQLite settle a race: a spot taken meanwhile is skipped. The console's
    Spots and Bookings sections both move this way."""
    interval = Interval(reservation.starts_at, reservation.ends_at)
    candidates = [c for c in await free_spot_ids(s, premise_id, interval, now) if c != reservation.spot_id]
    if to_spot_id is not None:
        candidates = [c for c in candidates if c == to_spot_id]
    for candidate in candidates:
        try:
            async with s.begin_nested():
                reservation.spot_id = candidate
                reservation.updated_at = now
                await s.flush()
        except IntegrityError as exc:
            if getattr(exc.orig, "sqlstate", None) != "23P01":  # not an overlap
                raise
            await s.refresh(reservation)
            continue
        return await s.get(Spot, candidate)
    return None


def movable(reservation: Reservation, now: datetime, *, not_entered: bool = False) -> bool:
    """Whether an operator may move the booking: not started, still holding its spot. With
    `not_entered`, also a paid one under way whose driver has not got in (a blocker that
    failed them at the gate): nobody is on the spot, the rest of the stay moves."""
    if (
        not_entered
        and reservation.status is ReservationStatus.CONFIRMED
        and reservation.arrived_at is None
        and reservation.ends_at > now
    ):
        return True
    if reservation.status not in _MOVABLE or reservation.starts_at <= now:
        return False
    return reservation.status is not ReservationStatus.PENDING_PAYMENT or (
        reservation.hold_expires_at is not None and reservation.hold_expires_at > now
    )


class SpotUseCases(AdminUseCases):
    """The Spots section; the pattern's helpers (`_action`, `_view`) come from AdminUseCases."""

    def __init__(
        self, db: Database, clock: Clock, settings: Settings, *, refund_cards: RefundCards | None = None
    ) -> None:
        super().__init__(db, clock, settings)
        self.refund_cards = refund_cards

    @staticmethod
    async def _spot(s: AsyncSession, premise_id: int, spot_id: int, *, lock: bool = True) -> Spot:
        query = select(Spot).where(Spot.id == spot_id, Spot.premise_id == premise_id)
        spot = await s.scalar(query.with_for_update() if lock else query)
        if spot is None:
            raise NotFound(f"spot {spot_id} at premise {premise_id}")
        return spot

    # ------------------------------------------------------------------ reads
    async def spots(self, actor_id: int, premise_id: int) -> SpotList:
        async with self._view(actor_id, premise_id, Permission.MANAGE_SPOTS, "spot.list") as (s, _):
            premise = await s.get(Premise, premise_id)
            assert premise is not None  # _view checked it
            rows = await s.scalars(select(Spot).where(Spot.premise_id == premise_id).order_by(Spot.id))
            return SpotList(premise.name, premise.timezone, [_view(spot) for spot in rows])

    async def spot(self, actor_id: int, premise_id: int, spot_id: int) -> SpotView:
        async with self._view(actor_id, premise_id, Permission.MANAGE_SPOTS, "spot.list") as (s, _):
            return _view(await self._spot(s, premise_id, spot_id, lock=False))

    async def affected_bookings(self, actor_id: int, premise_id: int, spot_id: int) -> list[AffectedBooking]:
        """The bookings a closed spot cannot honour: holding it, not over yet, and starting
        before the reopen time (if any). Empty for an open spot."""
        async with self._view(actor_id, premise_id, Permission.MANAGE_SPOTS, "spot.list") as (s, _):
            spot = await self._spot(s, premise_id, spot_id, lock=False)
            return await self._affected(s, spot)

    async def _affected(self, s: AsyncSession, spot: Spot) -> list[AffectedBooking]:
        if spot.is_active:
            return []
        now = self.clock.now()
        conditions = [Reservation.spot_id == spot.id, Reservation.ends_at > now, holds_spot(now)]
        if spot.closed_until is not None:
            conditions.append(Reservation.starts_at < spot.closed_until)
        rows = await s.execute(
            select(Reservation, User.name)
            .join(User, User.id == Reservation.user_id)
            .where(*conditions)
            .order_by(Reservation.starts_at, Reservation.id)
        )
        return [
            AffectedBooking(r.id, name, r.starts_at, r.ends_at, r.status, r.plate)
            for r, name in rows.tuples()
        ]

    # ------------------------------------------------------------------ actions
    async def add_spots(self, actor_id: int, premise_id: int, text: str) -> list[SpotView]:
        """New open spots from `A1-A20`-style text (parse_labels). Raises InvalidSpotLabels,
        TooManySpots, SpotLabelTaken (naming the labels the premise has already)."""
        async with self._action(actor_id, premise_id, Permission.MANAGE_SPOTS, "spot.add") as (s, audit):
            audit.detail = text[:100]
            labels = parse_labels(text)
            taken = await s.scalars(
                select(Spot.label).where(Spot.premise_id == premise_id, Spot.label.in_(labels))
            )
            if found := sorted(taken):
                raise SpotLabelTaken(found)
            spots = [Spot(premise_id=premise_id, label=label, is_active=True) for label in labels]
            s.add_all(spots)
            await s.flush()
            audit.after = {"count": len(spots), "labels": labels[:50], "first_id": spots[0].id}
            return [_view(spot) for spot in spots]

    async def rename_spot(self, actor_id: int, premise_id: int, spot_id: int, label: str) -> SpotView:
        label = label.strip()
        async with self._action(actor_id, premise_id, Permission.MANAGE_SPOTS, "spot.rename") as (s, audit):
            if not _LABEL.match(label) or len(label) > MAX_LABEL:
                raise InvalidSpotLabels(f"not a label: {label[:40]}")
            spot = await self._spot(s, premise_id, spot_id)
            audit.before = {"spot_id": spot.id, "label": spot.label}
            if label != spot.label:
                other = await s.scalar(
                    select(Spot.id).where(Spot.premise_id == premise_id, Spot.label == label)
                )
                if other is not None:
                    raise SpotLabelTaken([label])
                spot.label = label
            audit.after = {"spot_id": spot.id, "label": spot.label}
            return _view(spot)

    async def close_spot(
        self, actor_id: int, premise_id: int, spot_id: int, reason: str, reopen_at: datetime | None
    ) -> Closed:
        """Takes the spot off sale (until `reopen_at`, or until reopened) with the reason
        drivers are told; closing a closed spot updates both. Returns the bookings the
        closing touches: the operator moves or cancels each."""
        reason = " ".join(reason.split())[:MAX_REASON]
        async with self._action(actor_id, premise_id, Permission.MANAGE_SPOTS, "spot.close") as (s, audit):
            if not reason:
                raise InvalidClosing("a closing needs a reason")  # the screen asks for one
            if reopen_at is not None and reopen_at <= self.clock.now():
                raise InvalidClosing("reopen time in the past")
            spot = await self._spot(s, premise_id, spot_id)
            audit.before = _state(spot)
            spot.is_active, spot.closed_reason, spot.closed_until = False, reason, reopen_at
            await s.flush()
            affected = await self._affected(s, spot)
            audit.after = {**_state(spot), "bookings": [b.reservation_id for b in affected]}
            return Closed(_view(spot), affected)

    async def reopen_spot(self, actor_id: int, premise_id: int, spot_id: int) -> SpotView:
        async with self._action(actor_id, premise_id, Permission.MANAGE_SPOTS, "spot.reopen") as (s, audit):
            spot = await self._spot(s, premise_id, spot_id)
            audit.before = _state(spot)
            spot.is_active, spot.closed_reason, spot.closed_until = True, None, None
            audit.after = _state(spot)
            await s.flush()
            # A spot back on sale is capacity freed: drivers waiting for this car park hear.
            await waitlist.capacity_freed(s, premise_id, None, None, self.clock.now())
            return _view(spot)

    async def _premise_booking(
        self, s: AsyncSession, premise_id: int, reservation_id: int
    ) -> tuple[Reservation, Spot]:
        """The booking, row-locked, when it is on a spot of this premise (NotFound otherwise:
        callback data is never trusted)."""
        reservation = await booking.lock_owned(s, reservation_id)
        spot = await s.get(Spot, reservation.spot_id)
        if spot is None or spot.premise_id != premise_id:
            raise NotFound(f"reservation {reservation_id} at premise {premise_id}")
        return reservation, spot

    async def move_booking(self, actor_id: int, premise_id: int, reservation_id: int) -> Moved:
        """Moves a booking that has not started to a free spot of the same premise for the
        same interval (the exclusion constraint on PostgreSQL, BEGIN IMMEDIATE on SQLite: a
        spot taken meanwhile is skipped); the driver is told in the same transaction.
        Raises NoSpotToMoveTo, InvalidTransition, NotFound."""
        now = self.clock.now()
        action = self._action(actor_id, premise_id, Permission.MANAGE_SPOTS, "spot.move_booking")
        async with action as (s, audit):
            reservation, spot = await self._premise_booking(s, premise_id, reservation_id)
            if reservation.status not in _MOVABLE or reservation.starts_at <= now:
                raise InvalidTransition(reservation.id, reservation.status.value, "move")
            if reservation.status is ReservationStatus.PENDING_PAYMENT and (
                reservation.hold_expires_at is None or reservation.hold_expires_at <= now
            ):
                raise InvalidTransition(reservation.id, ReservationStatus.EXPIRED.value, "move")
            audit.before = {"reservation_id": reservation.id, "spot_id": spot.id, "label": spot.label}
            moved_to = await move_to_free_spot(s, reservation, premise_id, now)
            if moved_to is None:
                raise NoSpotToMoveTo(f"no spot free at premise {premise_id} for reservation {reservation.id}")
            audit.after = {"reservation_id": reservation.id, "spot_id": moved_to.id, "label": moved_to.label}
            await outbox.notify(
                s,
                reservation.user_id,
                NotificationKind.BOOKING_MOVED,
                {
                    "reservation_id": reservation.id,
                    "from_spot": spot.label,
                    "reason": spot.closed_reason or "",
                },
                now=now,
            )
            return Moved(reservation.id, spot.label, moved_to.label)

    async def cancel_booking_as_operator(
        self, actor_id: int, premise_id: int, reservation_id: int
    ) -> OperatorCancelled:
        """Cancels a booking of the premise that has not started, refunding it in full to
        where the money came from (the wallet now, cards right after the commit); the driver
        is told. Needs REFUND. Raises TooLateToCancel, InvalidTransition, NotFound."""
        now = self.clock.now()
        action = self._action(actor_id, premise_id, Permission.REFUND, "spot.cancel_booking")
        async with action as (s, audit):
            reservation, spot = await self._premise_booking(s, premise_id, reservation_id)
            audit.before = {
                "reservation_id": reservation.id,
                "spot_id": spot.id,
                "status": reservation.status.value,
            }
            result = await booking.cancel(
                s,
                reservation.id,
                user_id=None,
                now=now,
                reason="operator",
                closed_reason=None if spot.is_active else (spot.closed_reason or None),
            )
            cancelled = OperatorCancelled(
                reservation.id,
                reservation.currency,
                result.refunded_to_wallet,
                sum(p.amount - p.refunded_amount for p in result.card_refunds),
            )
            audit.after = {
                "reservation_id": reservation.id,
                "status": reservation.status.value,
                "refund_wallet": cancelled.refunded_to_wallet,
                "refund_card": cancelled.refund_to_card,
            }
        if result.card_refunds and self.refund_cards is not None:
            await self.refund_cards()
        return cancelled


__all__ = [
    "MAX_NEW_SPOTS",
    "AffectedBooking",
    "Closed",
    "Moved",
    "OperatorCancelled",
    "SpotList",
    "SpotUseCases",
    "SpotView",
    "movable",
    "move_to_free_spot",
    "parse_labels",
]
