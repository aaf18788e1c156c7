"""The booking engine: holds, confirmation, cancellation, arrival, end, completion, expiry and
extension, each checked against the state machine of DESIGN.md §5.

Double booking is impossible by construction: on PostgreSQL an exclusion constraint refuses
overlapping holds on one spot (a conflicting insert inside a savepoint is retried on the next
free spot); on SQLite each write transaction begins IMMEDIATE, so check-then-insert is atomic.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, exists, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from core.errors import (
    InvalidTransition,
    NoSpotFree,
    NotFound,
    NotOwner,
    NotStarted,
    SpotTaken,
    TooLateToCancel,
    TooManyHolds,
)
from core.models import (
    Blocker,
    ExtensionStatus,
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    Premise,
    Reservation,
    ReservationExtension,
    ReservationStatus,
    Spot,
)
from core.notifications import NotificationKind
from core.opening_hours import require_open
from core.pricing import RatePlan, marginal_price
from core.rules import (
    ENDABLE,
    EXTENDABLE,
    HOLD_WARNING_MINUTES,
    MAX_PENDING_HOLDS_PER_USER,
    TRANSITIONS,
    Interval,
    booking_interval,
    can_cancel,
    can_end_now,
    check_extension,
    end_early,
    is_paid,
)
from core.services import outbox, presence, refunds, waitlist, wallet
from core.services.availability import free_spot_ids, is_spot_free
from core.services.places import place_of
from core.services.pricing import ensure_plan, plan_by_id, plan_in_force, price_with

_MAX_SPOT_ATTEMPTS = 20
_EXCLUSION_VIOLATION = "23P01"


def _is_overlap_violation(exc: IntegrityError) -> bool:
    return getattr(exc.orig, "sqlstate", None) == _EXCLUSION_VIOLATION


def _require(action: str, reservation: Reservation) -> ReservationStatus:
    allowed, target = TRANSITIONS[action]
    if reservation.status not in allowed:
        raise InvalidTransition(reservation.id, reservation.status.value, action)
    return target


def _close(reservation: Reservation, action: str, now: datetime) -> None:
    """A transition that ends the reservation (cancel, release, expire, complete): the state
    machine's target for `action`, stamped `now`."""
    reservation.status = _require(action, reservation)
    reservation.closed_at = now
    reservation.updated_at = now


# Every payment and change of a booking locks it (a wallet payment twice): built once.
_LOCK_RESERVATION = (
    select(Reservation)
    .where(Reservation.id == bindparam("reservation_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


async def lock_owned(session: AsyncSession, reservation_id: int, user_id: int | None = None) -> Reservation:
    """Loads and row-locks a reservation (FOR UPDATE on PostgreSQL; on SQLite BEGIN IMMEDIATE
    already made us the only writer). With `user_id`, refuses anybody but the owner: callback
    data is never trusted."""
    reservation = await session.scalar(_LOCK_RESERVATION, {"reservation_id": reservation_id})
    if reservation is None:
        raise NotFound(f"reservation {reservation_id}")
    if user_id is not None and reservation.user_id != user_id:
        raise NotOwner(f"reservation {reservation_id}")
    return reservation


async def get_owned(session: AsyncSession, reservation_id: int, user_id: int) -> Reservation:
    reservation = await session.get(Reservation, reservation_id)
    if reservation is None:
        raise NotFound(f"reservation {reservation_id}")
    if reservation.user_id != user_id:
        raise NotOwner(f"reservation {reservation_id}")
    return reservation


class _Booked(Protocol):
    """A reservation, or a row of its columns returned by a sweep's claim."""

    @property
    def id(self) -> int: ...
    @property
    def spot_id(self) -> int: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def price(self) -> int: ...
    @property
    def currency(self) -> str: ...


def _booking_payload(reservation: _Booked) -> dict[str, object]:
    return {
        "reservation_id": reservation.id,
        "spot_id": reservation.spot_id,
        "starts_at": reservation.starts_at.isoformat(),
        "ends_at": reservation.ends_at.isoformat(),
        "price": reservation.price,
        "currency": reservation.currency,
    }


async def hold(
    session: AsyncSession,
    *,
    user_id: int,
    premise_id: int,
    starts_at: datetime,
    minutes: int,
    now: datetime,
    hold_minutes: int,
    plate: str | None = None,
) -> Reservation:
    """Picks a free spot of the premise and holds it unpaid for `hold_minutes`, for the
    vehicle with `plate` (normalised; None: no plate).
    Raises InvalidInterval, ClosedAtThatTime, NotFound, TooManyHolds or NoSpotFree."""
    premise = await session.get(Premise, premise_id)
    if premise is None or not premise.is_active:
        raise NotFound(f"premise {premise_id}")
    interval = booking_interval(starts_at, minutes, now)
    require_open(premise, interval.starts_at, interval.ends_at)
    await expire_holds(session, now, premise_id=premise_id)
    pending = await session.scalar(
        select(func.count()).where(
            Reservation.user_id == user_id,
            Reservation.status == ReservationStatus.PENDING_PAYMENT,
        )
    )
    if (pending or 0) >= MAX_PENDING_HOLDS_PER_USER:
        raise TooManyHolds(f"at most {MAX_PENDING_HOLDS_PER_USER} unpaid bookings at a time")
    # Priced once, with the plan in force now; the booking keeps that version.
    current = await ensure_plan(session, premise, now)
    price = price_with(current, premise, interval.starts_at, interval.ends_at).total
    lost: set[int] = set()
    for _ in range(_MAX_SPOT_ATTEMPTS):
        candidates = await free_spot_ids(session, premise_id, interval, now, excluding=lost, limit=1)
        if not candidates:
            break
        reservation = Reservation(
            user_id=user_id,
            spot_id=candidates[0],
            starts_at=interval.starts_at,
            ends_at=interval.ends_at,
            status=ReservationStatus.PENDING_PAYMENT,
            price=price,
            currency=current.plan.currency,
            rate_plan_id=current.plan_id,
            hold_expires_at=now + timedelta(minutes=hold_minutes),
            plate=plate,
            created_at=now,
            updated_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(reservation)
                await session.flush()
        except IntegrityError as exc:
            if not _is_overlap_violation(exc):
                raise
            lost.add(candidates[0])  # another transaction took this spot meanwhile
            continue
        return reservation
    raise NoSpotFree(f"no spot free at premise {premise_id} for that time")


class ConfirmOutcome(enum.Enum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already_confirmed"
    NEEDS_REFUND = "needs_refund"  # paid, but the booking cannot be honoured


async def confirm(session: AsyncSession, reservation_id: int, now: datetime) -> ConfirmOutcome:
    """Marks a paid booking confirmed, once. A payment that arrives after the hold lapsed
    confirms while the spot (or another spot of the premise) is still free for the interval;
    otherwise the caller refunds. The confirmation notification is queued here."""
    reservation = await lock_owned(session, reservation_id)
    status = reservation.status
    if is_paid(status):
        return ConfirmOutcome.ALREADY_CONFIRMED
    if status in TRANSITIONS["confirm"][0]:
        reservation.status = _require("confirm", reservation)
        reservation.hold_expires_at = None
    elif status in TRANSITIONS["confirm_late"][0] and now < reservation.ends_at:
        if not await _reopen_on_free_spot(session, reservation, now):
            return ConfirmOutcome.NEEDS_REFUND
    else:
        return ConfirmOutcome.NEEDS_REFUND
    reservation.updated_at = now
    await session.flush()
    await outbox.notify(
        session,
        reservation.user_id,
        NotificationKind.BOOKING_CONFIRMED,
        _booking_payload(reservation),
        now=now,
        dedupe_key=f"booking_confirmed:{reservation.id}",
    )
    return ConfirmOutcome.CONFIRMED


async def _reopen_on_free_spot(session: AsyncSession, reservation: Reservation, now: datetime) -> bool:
    spot, _premise = await place_of(session, reservation)
    interval = Interval(reservation.starts_at, reservation.ends_at)
    free = await free_spot_ids(session, spot.premise_id, interval, now)
    for spot_id in sorted(free, key=lambda s: s != reservation.spot_id):
        try:
            async with session.begin_nested():
                reservation.spot_id = spot_id
                reservation.status = _require("confirm_late", reservation)
                reservation.closed_at = None
                reservation.hold_expires_at = None
                await session.flush()
        except IntegrityError as exc:
            if not _is_overlap_violation(exc):
                raise
            await session.refresh(reservation)
            continue
        return True
    return False


@dataclass
class CancelResult:
    reservation: Reservation
    refunded_to_wallet: int = 0
    card_refunds: list[Payment] = field(default_factory=list)  # now REFUND_PENDING


async def cancel(
    session: AsyncSession,
    reservation_id: int,
    *,
    user_id: int | None,
    now: datetime,
    reason: str = "user",
    closed_reason: str | None = None,
) -> CancelResult:
    """Cancels an unpaid hold, or a paid booking before its start, refunding in full to
    where the money came from: wallet payments are credited back here; card payments are
    marked refund_pending for the payments adapter. `user_id=None` acts as the operator;
    `closed_reason` is why the operator closed its spot (the driver is told)."""
    reservation = await lock_owned(session, reservation_id, user_id)
    if not can_cancel(reservation.status, reservation.starts_at, now):
        if can_end_now(reservation.status, reservation.starts_at, now):
            raise TooLateToCancel("the booking has started: end it instead")
        raise InvalidTransition(reservation.id, reservation.status.value, "cancel")
    _close(reservation, "cancel", now)
    result = CancelResult(reservation)
    await refund_payments(session, reservation, now, result)
    await waitlist.spot_freed(session, reservation.spot_id, reservation.starts_at, reservation.ends_at, now)
    await outbox.notify(
        session,
        reservation.user_id,
        NotificationKind.BOOKING_CANCELLED,
        {
            **_booking_payload(reservation),
            "reason": reason,
            "refund_wallet": result.refunded_to_wallet,
            "refund_card": sum(p.amount - p.refunded_amount for p in result.card_refunds),
            **({"closed_reason": closed_reason} if closed_reason else {}),
        },
        now=now,
        dedupe_key=f"booking_cancelled:{reservation.id}",
    )
    return result


async def cancel_blocked(session: AsyncSession, reservation: Reservation, *, now: datetime) -> CancelResult:
    """Cancels a (locked) booking whose bay was blocked when the driver came, although it has
    started: the one exception to "no cancel after the start" (DESIGN.md §5), since the driver
    could not park through no fault of theirs. Refunded in full to where the money came from;
    the caller checked the booking is offered the refund (core/services/blocked_bay.py). The
    reason stays on the row (`bay_blocked_reason`) and in the notification's payload."""
    if reservation.status is not ReservationStatus.CONFIRMED or reservation.arrived_at is not None:
        raise InvalidTransition(reservation.id, reservation.status.value, "cancel")
    _close(reservation, "cancel", now)
    result = CancelResult(reservation)
    await refund_payments(session, reservation, now, result)
    return result


async def refund_payments(
    session: AsyncSession, reservation: Reservation, now: datetime, result: CancelResult
) -> None:
    """Refunds every succeeded payment of the reservation to its source."""
    payments = await session.scalars(
        select(Payment)
        .where(Payment.reservation_id == reservation.id, Payment.status == PaymentStatus.SUCCEEDED)
        .with_for_update()
    )
    for payment in payments.all():
        owed = await refunds.refund_to_source(session, payment, now)
        if payment.method == PaymentMethodKind.WALLET:
            result.refunded_to_wallet += owed
        elif owed:
            result.card_refunds.append(payment)
    await session.flush()


async def mark_arrived(
    session: AsyncSession, reservation_id: int, *, user_id: int, now: datetime
) -> Reservation:
    """The driver got in: the blocker went down for them, or they tapped "I've arrived" at a
    spot without a blocker (told to just park). The booking becomes active."""
    reservation = await lock_owned(session, reservation_id, user_id)
    reservation.status = _require("arrive", reservation)
    reservation.arrived_at = now
    reservation.updated_at = now
    await session.flush()
    return reservation


async def undo_arrival(session: AsyncSession, reservation_id: int, *, now: datetime) -> Reservation | None:
    """The lowering that made the booking active turned out to have failed: it is confirmed
    again (arrival undone). None when it is not active (nothing to undo)."""
    reservation = await lock_owned(session, reservation_id)
    if reservation.status not in TRANSITIONS["unarrive"][0]:
        return None
    reservation.status = _require("unarrive", reservation)
    reservation.arrived_at = None
    reservation.updated_at = now
    await session.flush()
    return reservation


@dataclass(frozen=True, slots=True)
class EndedNow:
    """A booking ended now, and what of it went back to the wallet."""

    reservation: Reservation
    refund: presence.Refund
    refunds_on: bool  # the car park refunds unused time on such an end


def end_refunds(premise: Premise, *, no_show: bool) -> bool:
    """Whether ending a started booking early gives its unused whole steps back: the premise's
    `refund_unused`, as when the car leaves early; a booking nobody arrived for at a spot with a
    blocker ends as a no-show, refunded as the driver's "Release the spot" is
    (`refund_no_show`)."""
    return premise.refund_no_show if no_show else premise.refund_unused


async def end_now(
    session: AsyncSession, reservation_id: int, *, user_id: int | None, now: datetime, by_staff: bool = False
) -> EndedNow:
    """The driver leaves early: the booking completes and the rest of the slot is freed; the
    unused whole 15-minute steps go back to the wallet as when the car leaves early
    (presence.refund_unused, used until now), where the premise refunds them (end_refunds).
    `user_id=None` with `by_staff` is the operator's "end now" (the driver is told who ended
    it). The driver's ledger is locked before the booking, as on every money path; the
    completion is what makes a later car-left sweep find nothing (no second refund)."""
    owner = user_id
    if owner is None:  # the staff's end: whose ledger, read unlocked (a booking's owner never changes)
        owner = await session.scalar(select(Reservation.user_id).where(Reservation.id == reservation_id))
        if owner is None:
            raise NotFound(f"reservation {reservation_id}")
    await wallet.lock_ledger(session, owner)
    reservation = await lock_owned(session, reservation_id, user_id)
    if not can_end_now(reservation.status, reservation.starts_at, now):
        if reservation.status in ENDABLE:
            raise NotStarted(f"reservation {reservation.id} has not started: cancel it instead")
        raise InvalidTransition(reservation.id, reservation.status.value, "end")
    _spot, premise = await place_of(session, reservation)
    no_show = await _ends_as_no_show(session, reservation)
    refunds_on = end_refunds(premise, no_show=no_show)
    refund = presence.Refund(0, 0)
    if refunds_on:  # priced on the booking as it was bought, before its end moves
        refund = await presence.refund_unused(session, reservation, premise, now, now)
    booked_until = reservation.ends_at
    end_early(reservation, now)
    _close(reservation, "complete", now)
    reservation.no_show = no_show
    await session.flush()
    await outbox.notify(
        session,
        reservation.user_id,
        NotificationKind.BOOKING_COMPLETED,
        {
            **_booking_payload(reservation),
            "no_show": no_show,
            **({"by_staff": True} if by_staff else {}),
            # What went back, or why nothing did (refunds off here), for the driver's message.
            "refund": refund.amount,
            "unused_minutes": refund.unused_minutes,
            "refunds_off": not refunds_on,
        },
        now=now,
        dedupe_key=f"booking_completed:{reservation.id}",
    )
    await waitlist.spot_freed(session, reservation.spot_id, reservation.ends_at, booked_until, now)
    return EndedNow(reservation, refund, refunds_on)


def _watched(spot_id: int | QueryableAttribute[int]) -> ColumnElement[bool]:
    """The spot has a blocker: only there does the service see whether the driver arrived."""
    return exists().where(Blocker.spot_id == spot_id)


def _no_show() -> ColumnElement[bool]:
    """A booking completing now is a no-show: still confirmed (nobody arrived) on a spot whose
    blocker would have seen the arrival. On a spot without a blocker the driver just parks and
    may never tap anything: never a no-show there."""
    return and_(Reservation.status == ReservationStatus.CONFIRMED, _watched(Reservation.spot_id))


@dataclass(frozen=True, slots=True)
class Completed:
    """A booking the completion sweep closed: a no-show when nobody arrived (`_no_show`)."""

    id: int
    user_id: int
    no_show: bool


async def complete_due(session: AsyncSession, now: datetime, *, limit: int = 500) -> list[Completed]:
    """Completes confirmed/active bookings whose end has come; a confirmed one nobody arrived
    for, on a spot with a blocker, is a no-show (no refund). One batch of at most `limit`,
    claimed in one statement (rows locked by another worker are skipped), and its
    notifications in one INSERT."""
    allowed, target = TRANSITIONS["complete"]
    due = (
        select(Reservation.id)
        .where(Reservation.status.in_(allowed), Reservation.ends_at <= now)
        .order_by(Reservation.ends_at)
        .limit(limit)
    )
    rows = await _claim(
        session,
        due,
        allowed,
        # Evaluated on the row as it was: confirmed (never arrived) at a blocker is a no-show.
        {"status": target, "closed_at": now, "updated_at": now, "no_show": _no_show()},
        (*_BOOKED_COLUMNS, Reservation.no_show),
    )
    await outbox.notify_many(
        session,
        NotificationKind.BOOKING_COMPLETED,
        [
            outbox.Queued(
                r.user_id,
                {**_booking_payload(r), "no_show": r.no_show},
                f"booking_completed:{r.id}",
            )
            for r in rows
        ],
        now=now,
    )
    return [Completed(r.id, r.user_id, r.no_show) for r in rows]


# What the sweeps' claims return of each row: the notifications' payloads are made of these.
_BOOKED_COLUMNS = (
    Reservation.id,
    Reservation.user_id,
    Reservation.spot_id,
    Reservation.starts_at,
    Reservation.ends_at,
    Reservation.price,
    Reservation.currency,
)


async def _claim(
    session: AsyncSession,
    due: Select[tuple[int]],
    allowed: Iterable[ReservationStatus],
    values: Mapping[str, Any],
    returning: Sequence[QueryableAttribute[Any]],
) -> list[Row[Any]]:
    """A sweep's batch, claimed and changed in one statement: UPDATE … WHERE id IN (the `due`
    ids, FOR UPDATE SKIP LOCKED on PostgreSQL, so concurrent sweeps in other processes take
    other rows; SQLite's BEGIN IMMEDIATE already made this the only writer) RETURNING ….
    The status is checked again in the UPDATE: a row changed since it was read is left alone."""
    result = await session.execute(
        update(Reservation)
        .where(
            Reservation.id.in_(due.with_for_update(skip_locked=True)),
            Reservation.status.in_(list(allowed)),
        )
        .values(**values)
        .returning(*returning)
        .execution_options(synchronize_session=False)
    )
    rows = list(result.all())
    await _refresh_loaded(session, {r.id for r in rows})
    return rows


async def _refresh_loaded(session: AsyncSession, ids: set[int]) -> None:
    """Objects already loaded in this session must not keep their old state (others are not
    loaded at all: a bulk UPDATE bypasses the identity map)."""
    for loaded in [o for o in session.identity_map.values() if isinstance(o, Reservation) and o.id in ids]:
        await session.refresh(loaded)


async def _ends_as_no_show(session: AsyncSession, reservation: Reservation) -> bool:
    """`_no_show` on the loaded row: confirmed (nobody arrived) on a spot with a blocker."""
    return reservation.status == ReservationStatus.CONFIRMED and bool(
        await session.scalar(select(_watched(reservation.spot_id)))
    )


async def warn_expiring_holds(session: AsyncSession, now: datetime, *, limit: int = 500) -> list[int]:
    """Queues one "your hold lapses soon" message per unpaid hold that lapses within
    HOLD_WARNING_MINUTES (the outbox's dedupe key keeps it to one per hold, whichever process
    or sweep gets there first). Returns the reservation ids warned now."""
    due = (
        await session.execute(
            select(Reservation.id, Reservation.user_id, Reservation.hold_expires_at)
            .where(
                Reservation.status == ReservationStatus.PENDING_PAYMENT,
                Reservation.hold_expires_at > now,
                Reservation.hold_expires_at <= now + timedelta(minutes=HOLD_WARNING_MINUTES),
            )
            .order_by(Reservation.hold_expires_at)
            .limit(limit)
        )
    ).tuples()
    warned = []
    for reservation_id, user_id, expires_at in due:
        assert expires_at is not None
        left = max(1, math.ceil((expires_at - now).total_seconds() / 60))
        note = await outbox.notify(
            session,
            user_id,
            NotificationKind.HOLD_EXPIRING,
            {"reservation_id": reservation_id, "minutes": left, "expires_at": expires_at.isoformat()},
            now=now,
            dedupe_key=f"hold_expiring:{reservation_id}",
        )
        if note is not None:
            warned.append(reservation_id)
    return warned


async def expire_holds(
    session: AsyncSession, now: datetime, *, premise_id: int | None = None, limit: int = 500
) -> list[int]:
    """Unpaid holds past their time become expired and free their spot; each driver is told.
    One batch of at most `limit`, claimed in one statement, and its notifications in one
    INSERT. Returns the expired reservation ids."""
    allowed, target = TRANSITIONS["expire"]
    stale = (
        select(Reservation.id)
        .where(
            Reservation.status.in_(allowed),
            Reservation.hold_expires_at <= now,
        )
        .order_by(Reservation.hold_expires_at)
        .limit(limit)
    )
    if premise_id is not None:
        stale = stale.where(Reservation.spot_id.in_(select(Spot.id).where(Spot.premise_id == premise_id)))
    # The status is checked again in the UPDATE: a concurrent confirmation is never undone.
    expired = await _claim(
        session,
        stale,
        allowed,
        {"status": target, "closed_at": now, "updated_at": now},
        (Reservation.id, Reservation.user_id, Reservation.spot_id),
    )
    if expired:
        # Each car park once, in id order: two processes expiring holds at the same car parks
        # then lock them in the same order (no deadlock).
        premise_of = dict(
            (
                await session.execute(
                    select(Spot.id, Spot.premise_id).where(Spot.id.in_({r.spot_id for r in expired}))
                )
            )
            .tuples()
            .all()
        )
        for freed_at in sorted({premise_of[r.spot_id] for r in expired if r.spot_id in premise_of}):
            await waitlist.capacity_freed(session, freed_at, None, None, now)
    await outbox.notify_many(
        session,
        NotificationKind.HOLD_EXPIRED,
        [outbox.Queued(r.user_id, {"reservation_id": r.id}, f"hold_expired:{r.id}") for r in expired],
        now=now,
    )
    return [r.id for r in expired]


async def request_extension(
    session: AsyncSession, reservation_id: int, *, user_id: int, minutes: int, now: datetime
) -> ReservationExtension:
    """Quotes an extension if the spot is free and the premise open for the added time. `ends_at`
    moves only when it is paid (apply_extension). Raises InvalidTransition, InvalidInterval,
    ClosedAtThatTime or SpotTaken."""
    reservation = await lock_owned(session, reservation_id, user_id)
    if reservation.status not in EXTENDABLE or now >= reservation.ends_at:
        raise InvalidTransition(reservation.id, reservation.status.value, "extend")
    added = check_extension(Interval(reservation.starts_at, reservation.ends_at), minutes)
    _spot, premise = await place_of(session, reservation)
    require_open(premise, added.starts_at, added.ends_at)
    if not await is_spot_free(session, reservation.spot_id, added, now, ignore_reservation_id=reservation.id):
        raise SpotTaken("the spot is booked right after yours")
    plan_id, price = await extension_price(session, reservation, premise, added.ends_at, now)
    extension = ReservationExtension(
        reservation_id=reservation.id,
        old_ends_at=reservation.ends_at,
        new_ends_at=added.ends_at,
        price=price,
        currency=premise.currency,
        rate_plan_id=plan_id,
        created_at=now,
    )
    session.add(extension)
    await session.flush()
    return extension


async def extension_price(
    session: AsyncSession,
    reservation: Reservation,
    premise: Premise,
    new_ends_at: datetime,
    now: datetime,
    *,
    store: bool = True,
) -> tuple[int | None, int]:
    """(plan id, price) of moving the booking's end to `new_ends_at`: the marginal cost under the
    plan the booking was priced with (core/pricing.py), so its first hour is not charged again
    and its daily cap holds (the plan: extension_plan)."""
    plan = await extension_plan(session, reservation, premise, now, store=store)
    starts_at, ends_at = reservation.starts_at, reservation.ends_at
    return plan.plan_id, marginal_price(plan.plan, starts_at, ends_at, new_ends_at, premise.timezone)


@dataclass(frozen=True, slots=True)
class ExtensionPlan:
    plan: RatePlan
    plan_id: int | None


async def extension_plan(
    session: AsyncSession, reservation: Reservation, premise: Premise, now: datetime, *, store: bool = True
) -> ExtensionPlan:
    """The plan an extension is priced with: the one the booking was priced with; a booking
    priced before plans takes the plan in force now (stored as version 1 if none is, unless
    `store` is False: a quote read in a read-only transaction)."""
    plan = await plan_by_id(session, reservation.rate_plan_id) if reservation.rate_plan_id else None
    if plan is not None:
        return ExtensionPlan(plan, reservation.rate_plan_id)
    current = await (ensure_plan if store else plan_in_force)(session, premise, now)
    return ExtensionPlan(current.plan, current.plan_id)


class ExtensionOutcome(enum.Enum):
    APPLIED = "applied"
    ALREADY_APPLIED = "already_applied"
    NOT_POSSIBLE = "not_possible"  # paid, but the spot was taken or the booking moved on


async def apply_extension(
    session: AsyncSession, extension_id: int, now: datetime, *, goodwill: bool = False
) -> ExtensionOutcome:
    """Moves the booking's end once the extension is paid, if the added time is still free;
    NOT_POSSIBLE tells the caller to refund. `goodwill`: the operator gave it for free (the
    driver is told so)."""
    extension = await session.get(ReservationExtension, extension_id, with_for_update=True)
    if extension is None:
        raise NotFound(f"extension {extension_id}")
    if extension.status == ExtensionStatus.APPLIED:
        return ExtensionOutcome.ALREADY_APPLIED
    if extension.status == ExtensionStatus.FAILED:
        return ExtensionOutcome.NOT_POSSIBLE
    reservation = await lock_owned(session, extension.reservation_id)
    added = Interval(extension.old_ends_at, extension.new_ends_at)
    possible = (
        reservation.status in EXTENDABLE
        and reservation.ends_at == extension.old_ends_at
        and now < reservation.ends_at
        and await is_spot_free(session, reservation.spot_id, added, now, ignore_reservation_id=reservation.id)
    )
    if possible:
        try:
            async with session.begin_nested():
                reservation.ends_at = extension.new_ends_at
                reservation.price += extension.price
                reservation.reminded_at = None  # re-arms the reminder for the new end
                reservation.updated_at = now
                await session.flush()
        except IntegrityError as exc:
            if not _is_overlap_violation(exc):
                raise
            await session.refresh(reservation)
            possible = False
    if not possible:
        extension.status = ExtensionStatus.FAILED
        await session.flush()
        return ExtensionOutcome.NOT_POSSIBLE
    extension.status = ExtensionStatus.APPLIED
    await session.flush()
    await outbox.notify(
        session,
        reservation.user_id,
        NotificationKind.BOOKING_EXTENDED,
        {
            **_booking_payload(reservation),
            "extension_id": extension.id,
            "added_price": extension.price,
            **({"goodwill": True} if goodwill else {}),
        },
        now=now,
        dedupe_key=f"booking_extended:{extension.id}",
    )
    return ExtensionOutcome.APPLIED


async def expire_hold(session: AsyncSession, reservation_id: int, now: datetime) -> bool:
    """The payment page closed unpaid: the hold ends now instead of at its timeout."""
    reservation = await lock_owned(session, reservation_id)
    if reservation.status not in TRANSITIONS["expire"][0]:
        return False
    _close(reservation, "expire", now)
    await session.flush()
    await waitlist.spot_freed(session, reservation.spot_id, reservation.starts_at, reservation.ends_at, now)
    await outbox.notify(
        session,
        reservation.user_id,
        NotificationKind.HOLD_EXPIRED,
        {"reservation_id": reservation.id},
        now=now,
        dedupe_key=f"hold_expired:{reservation.id}",
    )
    return True


async def release_hold(
    session: AsyncSession, reservation_id: int, *, user_id: int, now: datetime
) -> Reservation:
    """The driver lets an unpaid hold go. Only `pending_payment` is accepted: a "Release" tapped
    on an old payment screen after the booking was paid must not cancel (and refund) it, so
    anything else raises InvalidTransition. Nothing was paid, so nothing is refunded."""
    reservation = await lock_owned(session, reservation_id, user_id)
    _close(reservation, "release", now)
    reservation.hold_expires_at = None
    await session.flush()
    await waitlist.spot_freed(session, reservation.spot_id, reservation.starts_at, reservation.ends_at, now)
    await outbox.notify(
        session,
        reservation.user_id,
        NotificationKind.BOOKING_CANCELLED,
        {**_booking_payload(reservation), "reason": "released", "refund_wallet": 0, "refund_card": 0},
        now=now,
        dedupe_key=f"booking_cancelled:{reservation.id}",
    )
    return reservation


__all__ = [
    "CancelResult",
    "Completed",
    "ConfirmOutcome",
    "ExtensionOutcome",
    "SpotTaken",
    "apply_extension",
    "cancel",
    "complete_due",
    "confirm",
    "end_now",
    "expire_hold",
    "expire_holds",
    "get_owned",
    "hold",
    "lock_owned",
    "mark_arrived",
    "release_hold",
    "request_extension",
    "undo_arrival",
]
