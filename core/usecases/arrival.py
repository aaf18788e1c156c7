"""Arrival use cases, the physical side of a booking: lowering the blocker for the driver on
arrival (DESIGN.md §5: only the owner, within the lowering window of `core.rules.can_lower`,
blocker online and healthy, no other lowering under way), raising it to guard a paid spot, and
raising it again once the driver has left. Each method owns its units of work; none is held
open while a device answers.

The raising sweeps run in every process (DESIGN.md §13): each raise is claimed on the blocker's
row first (`blockers.raise_claim_until`), so of several processes running the same sweep at
once exactly one sends it."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, CursorResult, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.blockers import AckConflict, BlockerCommands, CommandResult, CommandStatus, health_problems
from core.clock import Clock
from core.db import Database
from core.errors import DomainError
from core.models import Blocker, BlockerState, Reservation, ReservationStatus
from core.notifications import NotificationKind
from core.rules import TRANSITIONS, lowering_opens_at, why_not_lower
from core.services import blocked_bay, booking, guests, incidents, outbox
from core.services.blocked_bay import Offer
from core.services.places import place_of

log = logging.getLogger(__name__)


class LowerRefused(enum.Enum):
    TOO_EARLY = "too_early"
    ENDED = "ended"
    WRONG_STATE = "wrong_state"
    NO_BLOCKER = "no_blocker"  # nothing to lower: "just park" (in the window, the tap is the arrival)
    BLOCKER_DOWN = "blocker_down"
    IN_PROGRESS = "in_progress"  # another tap's lowering is still waiting for the device
    ALREADY_DOWN = "already_down"  # the driver is parked and the blocker is down
    CAR_PRESENT = "car_present"  # raising only: a car stands on the spot


@dataclass(frozen=True, slots=True)
class Arrival:
    """What lowering came to: refused by the rules, or the device's answer."""

    refused: LowerRefused | None = None
    result: CommandResult | None = None
    opens_at: datetime | None = None  # for TOO_EARLY
    timezone: str = "UTC"  # the premise's, to show times in
    spot: str = ""  # the spot's label, to say where to park
    ends_at: datetime | None = None  # the booking's end, to say until when
    # The bay is blocked (an obstacle, the blocker down): "Move me" / "Refund me" instead of
    # "try again" (core/services/blocked_bay.py).
    offer: Offer | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok

    @property
    def retryable(self) -> bool:
        """Whether trying again may help (not for a lowered blocker or a closed booking)."""
        if self.ok:
            return False
        return self.refused in (None, LowerRefused.TOO_EARLY, LowerRefused.BLOCKER_DOWN)

    @property
    def repeated(self) -> bool:
        """A repeated tap while the blocker is going down, or once it is down: the first tap's
        outcome answers for it."""
        return self.refused in (LowerRefused.IN_PROGRESS, LowerRefused.ALREADY_DOWN)


async def blocker_of(session: AsyncSession, spot_id: int) -> Blocker | None:
    found: Blocker | None = await session.scalar(select(Blocker).where(Blocker.spot_id == spot_id))
    return found


def lowering_refusal(
    reservation: Reservation, blocker: Blocker | None, now: datetime, early_minutes: int
) -> LowerRefused | None:
    """Whether the blocker may go down for this booking now, given its row: the window is
    core.rules' (status and time); then the device and any lowering already under way."""
    outside = why_not_lower(
        reservation.status, reservation.starts_at, reservation.ends_at, now, early_minutes
    )
    if outside is not None:
        return LowerRefused(outside.value)
    if blocker is None:
        return LowerRefused.NO_BLOCKER
    if reservation.status == ReservationStatus.ACTIVE and blocker.state == BlockerState.LOWERED:
        return LowerRefused.ALREADY_DOWN
    if reservation.lowering_until is not None and reservation.lowering_until > now:
        return LowerRefused.IN_PROGRESS
    if health_problems(online=blocker.online, state=blocker.state, battery=None):
        return LowerRefused.BLOCKER_DOWN
    return None


async def check_lowering(
    session: AsyncSession, reservation_id: int, user_id: int, now: datetime, early_minutes: int
) -> tuple[Reservation, Blocker | None, LowerRefused | None]:
    """The rule, checked on the server at the moment of the tap (NotOwner/NotFound raised)."""
    reservation = await booking.get_owned(session, reservation_id, user_id)
    blocker = await blocker_of(session, reservation.spot_id)
    return reservation, blocker, lowering_refusal(reservation, blocker, now, early_minutes)


# As long as a late ack is still reported (hardware.link.LATE_ACK_WINDOW, 300 s).
GUARD_PAUSE_AFTER_ARRIVAL = timedelta(minutes=5)


def _raise_unclaimed(now: datetime) -> ColumnElement[bool]:
    """No sweep of any process is raising the blocker (its claim, if any, has lapsed)."""
    return or_(Blocker.raise_claim_until.is_(None), Blocker.raise_claim_until <= now)


class ArrivalUseCases:
    def __init__(
        self,
        db: Database,
        blockers: BlockerCommands,
        clock: Clock,
        *,
        early_minutes: int,
        ack_timeout: float = 10.0,
    ) -> None:
        self.db = db
        self.blockers = blockers
        self.clock = clock
        self.early_minutes = early_minutes
        # A claim outlives the command's wait a little; a crashed process's claim lapses then.
        # The same span for a booking's lowering claim and a sweep's raising claim.
        self.claim_for = timedelta(seconds=ack_timeout + 5)

    async def lower(
        self,
        reservation_id: int,
        user_id: int,
        *,
        started: Callable[[], Awaitable[None]] | None = None,
    ) -> Arrival:
        """Lowers the blocker for the owner; on success the booking becomes active. A failure
        the driver cannot fix (jammed, obstacle, offline, no answer) alerts the admins. At a
        spot without a blocker nothing is sent: within the window the tap itself makes the
        booking active (refused NO_BLOCKER, "just park").

        The booking is claimed in the database before the command goes out, so repeated taps,
        from any device or process, send one command: the others are refused IN_PROGRESS (and
        ALREADY_DOWN once the driver is parked). `started` runs once the claim is held, before
        the device is asked (the place for a progress message)."""

        async def owned(s: AsyncSession, now: datetime) -> Reservation:
            return await booking.get_owned(s, reservation_id, user_id)

        return await self._lower(owned, started)

    async def lower_for_guest(
        self,
        pass_id: int,
        user_id: int,
        *,
        started: Callable[[], Awaitable[None]] | None = None,
    ) -> Arrival:
        """The same lowering for the guest of a guest pass (core/services/guests.py): the pass
        must be theirs, not revoked, its booking paid and not ended; then the owner's rules
        (window, blocker, one lowering at a time) decide. Raises InvalidGuestPass."""

        async def shared(s: AsyncSession, now: datetime) -> Reservation:
            return (await guests.guest_booking(s, pass_id, user_id, now))[1]

        return await self._lower(shared, started)

    async def raise_for_guest(self, pass_id: int, user_id: int) -> Arrival:
        """A guest raises the blocker again (leaving, or to guard the spot) within the same
        window; never onto a car (`car_present`: CAR_PRESENT, nothing sent). Raises
        InvalidGuestPass."""
        now = self.clock.now()
        async with self.db.read() as s:
            reservation = (await guests.guest_booking(s, pass_id, user_id, now))[1]
            blocker = await blocker_of(s, reservation.spot_id)
            spot, premise = await place_of(s, reservation)
            outside = why_not_lower(
                reservation.status, reservation.starts_at, reservation.ends_at, now, self.early_minutes
            )
        refused: LowerRefused | None = LowerRefused(outside.value) if outside is not None else None
        if refused is None:
            if blocker is None:
                refused = LowerRefused.NO_BLOCKER
            elif blocker.car_present:
                refused = LowerRefused.CAR_PRESENT
            elif health_problems(online=blocker.online, state=blocker.state, battery=None):
                refused = LowerRefused.BLOCKER_DOWN
        tz, label, ends_at = premise.timezone, spot.label, reservation.ends_at
        if refused is not None:
            opens = lowering_opens_at(reservation.starts_at, self.early_minutes)
            too_early = refused == LowerRefused.TOO_EARLY
            return Arrival(
                refused=refused,
                opens_at=opens if too_early else None,
                timezone=tz,
                spot=label,
                ends_at=ends_at,
            )
        assert blocker is not None
        result = await self.blockers.command(blocker.id, "raise", reservation.id)
        return Arrival(result=result, timezone=tz, spot=label, ends_at=ends_at)

    async def _lower(
        self,
        resolve: Callable[[AsyncSession, datetime], Awaitable[Reservation]],
        started: Callable[[], Awaitable[None]] | None,
    ) -> Arrival:
        """The lowering itself, for a booking `resolve` finds (and checks the caller may open)."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            reservation = await resolve(s, now)
            reservation_id, owner_id = reservation.id, reservation.user_id
            blocker = await blocker_of(s, reservation.spot_id)
            refused = lowering_refusal(reservation, blocker, now, self.early_minutes)
            if refused is None and not await self._claim(s, reservation_id, now):
                refused = LowerRefused.IN_PROGRESS
            if refused is LowerRefused.NO_BLOCKER and reservation.status in TRANSITIONS["arrive"][0]:
                # Within the window at a spot without a blocker: the driver is told to just
                # park, and this tap is their arrival (no device will ever report it).
                await booking.mark_arrived(s, reservation_id, user_id=owner_id, now=now)
            opens = lowering_opens_at(reservation.starts_at, self.early_minutes)
            spot, premise = await place_of(s, reservation)
            tz, ends_at = premise.timezone, reservation.ends_at
            offer = (
                await self._blocked(s, reservation_id, blocked_bay.Reason.BLOCKER_DOWN, None)
                if refused is LowerRefused.BLOCKER_DOWN
                else None
            )
        if refused is not None:
            return Arrival(
                refused=refused,
                opens_at=opens if refused == LowerRefused.TOO_EARLY else None,
                timezone=tz,
                spot=spot.label,
                ends_at=ends_at,
                offer=offer,
            )
        assert blocker is not None
        try:
            if started is not None:
                await started()
            # No transaction is open while the device answers (up to ACK_TIMEOUT_SECONDS).
            result = await self.blockers.command(blocker.id, "lower", reservation_id)
        except BaseException:
            with contextlib.suppress(Exception):
                async with self.db.transaction() as s:
                    await self._release(s, reservation_id, self.clock.now())
            raise
        async with self.db.transaction() as s:
            await self._release(s, reservation_id, self.clock.now())
            if result.ok:
                if result.state is not None:
                    # What the ack said, at once: a tap right after this one must see the blocker
                    # down (the link's own write of the same ack may still be buffered).
                    row = await s.get(Blocker, blocker.id)
                    if row is not None:
                        row.state = result.state
                # Already active is fine: the driver lowers again after driving out.
                with contextlib.suppress(DomainError):
                    await booking.mark_arrived(s, reservation_id, user_id=owner_id, now=self.clock.now())
            elif result.status not in (CommandStatus.BUSY, CommandStatus.EXPIRED):
                # The premise's staff and the owners get an incident with buttons, naming this
                # booking (once per blocker and kind); without one (offline: the outage's own
                # incident; or one open already) the owners get the plain alert as before.
                kind = incidents.KIND_OF_FAILURE.get(result.status)
                opened = (
                    await incidents.open_incident(
                        s, blocker.id, kind, self.clock.now(), detail=result.status.value
                    )
                    if kind is not None
                    else None
                )
                if opened is None or not opened.alerted:
                    await outbox.notify_admins(
                        s,
                        NotificationKind.ADMIN_BLOCKER_FAILED,
                        {
                            "blocker_id": blocker.id,
                            "reservation_id": reservation_id,
                            "status": result.status.value,
                        },
                        now=self.clock.now(),
                        dedupe_key=f"lower_failed:{reservation_id}:{result.status.value}",
                    )
                if result.status is CommandStatus.OBSTACLE:
                    offer = await self._blocked(s, reservation_id, blocked_bay.Reason.OBSTACLE, blocker.id)
        return Arrival(result=result, timezone=tz, spot=spot.label, ends_at=ends_at, offer=offer)

    async def _blocked(
        self, s: AsyncSession, reservation_id: int, reason: blocked_bay.Reason, blocker_id: str | None
    ) -> Offer | None:
        """The bay is blocked at the driver's arrival: the offer, recorded once per spot (a
        repeated tap shows it again as it stands now); None when the booking is past that."""
        now = self.clock.now()
        reservation = await booking.lock_owned(s, reservation_id)
        if not blocked_bay.blocked(reservation, now, self.early_minutes):
            return None
        offer = await blocked_bay.mark_blocked(
            s, reservation, reason, now, blocker_id=blocker_id, notify=False
        )
        if offer is None and reservation.bay_blocked_spot_id == reservation.spot_id:
            offer = await blocked_bay.build_offer(s, reservation, now)
        return offer

    async def on_ack_conflict(self, conflict: AckConflict, *, settle: float = 3.0) -> None:
        """A command was answered twice, differently (one answer forged, or a device that
        contradicts itself); the failure is believed. Admins are alerted once per command. If a
        "lowered" was believed first, the driver was told to park: they are told the blocker
        reported a failure after all, and the booking it made active is confirmed again."""
        misled = (
            conflict.action == "lower"
            and conflict.first is CommandStatus.OK
            and conflict.reservation_id is not None
        )
        async with self.db.transaction() as s:
            await outbox.notify_admins(
                s,
                NotificationKind.ADMIN_BLOCKER_ACK_CONFLICT,
                {
                    "blocker_id": conflict.blocker_id,
                    "action": conflict.action,
                    "first": conflict.first.value,
                    "second": conflict.second.value,
                },
                now=self.clock.now(),
                dedupe_key=f"ack_conflict:{conflict.command_id}",
            )
            if not misled:
                return
            assert conflict.reservation_id is not None
            reservation = await s.get(Reservation, conflict.reservation_id)
            if reservation is None:
                return
            await outbox.notify(
                s,
                reservation.user_id,
                NotificationKind.LOWER_FAILED_AFTER_ALL,
                {"reservation_id": reservation.id, "status": conflict.trusted.value},
                now=self.clock.now(),
                dedupe_key=f"lower_disputed:{conflict.command_id}",
            )
            if await booking.undo_arrival(s, reservation.id, now=self.clock.now()) is not None:
                return
        await self._undo_arrival_when_marked(conflict.reservation_id, settle)

    async def _undo_arrival_when_marked(self, reservation_id: int, settle: float) -> None:
        # `lower()` marks the booking active just after the first answer; when the second came
        # that quickly its transaction may not have committed yet: look again for a moment.
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settle
        while loop.time() < deadline:
            await asyncio.sleep(0.2)
            async with self.db.transaction() as s:
                if await booking.undo_arrival(s, reservation_id, now=self.clock.now()) is not None:
                    return
                reservation = await s.get(Reservation, reservation_id)
                if reservation is None or reservation.status is not ReservationStatus.CONFIRMED:
                    return

    async def _claim(self, session: AsyncSession, reservation_id: int, now: datetime) -> bool:
        """One conditional UPDATE: on PostgreSQL a concurrent claim waits for the row and then
        finds it taken; on SQLite the write transaction is already exclusive."""
        claimed = await session.execute(
            update(Reservation)
            .where(
                Reservation.id == reservation_id,
                or_(Reservation.lowering_until.is_(None), Reservation.lowering_until <= now),
            )
            .values(lowering_until=now + self.claim_for)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(claimed, CursorResult)
        return claimed.rowcount == 1

    async def _release(self, session: AsyncSession, reservation_id: int, now: datetime) -> None:
        # The claim ends now (a retry may claim again at once); the time stays, so the guard
        # sweep knows the driver was just at the spot (see guard_paid_spots).
        await session.execute(
            update(Reservation)
            .where(Reservation.id == reservation_id)
            .values(lowering_until=now)
            .execution_options(synchronize_session=False)
        )

    async def late_answer(self, result: CommandResult, action: str, reservation_id: int | None) -> None:
        """A device answered after ACK_TIMEOUT_SECONDS (a slow move). The driver was told it did
        not answer; now they learn how it went, and a lowering that worked starts the stay."""
        if action != "lower" or reservation_id is None:
            return
        now = self.clock.now()
        async with self.db.transaction() as s:
            reservation = await s.get(Reservation, reservation_id)
            # Moved on meanwhile (ended, cancelled; or a retry lowered it and a late failure
            # would only confuse): nothing to tell.
            if reservation is None or reservation.status not in (
                ReservationStatus.CONFIRMED,
                ReservationStatus.ACTIVE if result.ok else ReservationStatus.CONFIRMED,
            ):
                return
            if result.ok:
                with contextlib.suppress(DomainError):
                    await booking.mark_arrived(s, reservation_id, user_id=reservation.user_id, now=now)
            await outbox.notify(
                s,
                reservation.user_id,
                NotificationKind.LOWER_LATE,
                {"reservation_id": reservation_id, "status": result.status.value},
                now=now,
                dedupe_key=f"lower_late:{result.command_id}",
            )
        log.info(
            "late ack for lowering booking %s: %s after %.1fs", reservation_id, result.status, result.elapsed
        )

    async def guard_paid_spots(self, *, horizon: timedelta = timedelta(hours=24)) -> int:
        """Raises the blockers of spots booked (paid) and not yet taken, so nobody parks there
        first. Lowered blockers with a car on them are left alone: that car may be the driver."""
        now = self.clock.now()
        async with self.db.read() as s:
            rows = (
                (
                    await s.execute(
                        select(Blocker.id, Reservation.id)
                        .join(Reservation, Reservation.spot_id == Blocker.spot_id)
                        .where(
                            Reservation.status == ReservationStatus.CONFIRMED,
                            Reservation.ends_at > now,
                            Reservation.starts_at <= now + horizon,
                            # The driver tapped "I've arrived" a moment ago: the blocker may read
                            # "lowered" before the booking turns active (a lowering in flight, or
                            # one whose ack comes late). Raising it now would shut them out.
                            or_(
                                Reservation.lowering_until.is_(None),
                                Reservation.lowering_until <= now - GUARD_PAUSE_AFTER_ARRIVAL,
                            ),
                            Blocker.online.is_(True),
                            Blocker.state == BlockerState.LOWERED,
                            Blocker.car_present.is_not(True),
                            _raise_unclaimed(now),
                        )
                    )
                )
                .tuples()
                .all()
            )
        raised = 0
        for blocker_id, reservation_id in rows:
            claim = await self._claim_raise(blocker_id)
            if claim is None:
                continue  # another process's run is raising it (or has just raised it)
            if await self._car_present_now(blocker_id) or await self._driver_coming(blocker_id):
                # A car came meanwhile, or its driver tapped "I've arrived" (the list was read
                # before earlier commands' waits).
                await self._unclaim_raise(blocker_id, claim)
                continue
            result = await self.blockers.command(blocker_id, "raise", reservation_id)
            if not result.ok:
                await self._unclaim_raise(blocker_id, claim)
            raised += result.ok
        return raised

    async def close_finished(self) -> int:
        """Raises the blockers of spots whose booking has ended and that no live booking uses;
        a car still on the spot is an overstay: admins are told once, and the next run retries."""
        now = self.clock.now()
        async with self.db.read() as s:
            live = select(Reservation.spot_id).where(
                Reservation.status == ReservationStatus.ACTIVE, Reservation.ends_at > now
            )
            rows = (
                (
                    await s.execute(
                        select(Blocker.id, Blocker.car_present, Reservation.id)
                        .join(Reservation, Reservation.spot_id == Blocker.spot_id)
                        .where(
                            Reservation.status == ReservationStatus.COMPLETED,
                            Reservation.arrived_at.is_not(None),
                            Reservation.ends_at > now - timedelta(hours=24),
                            Blocker.online.is_(True),
                            Blocker.state == BlockerState.LOWERED,
                            Blocker.spot_id.not_in(live),
                            _raise_unclaimed(now),
                        )
                        .order_by(Reservation.ends_at.desc())
                    )
                )
                .tuples()
                .all()
            )
        raised, seen = 0, set()
        for blocker_id, car_present, reservation_id in rows:
            if blocker_id in seen:
                continue
            seen.add(blocker_id)
            claim = await self._claim_raise(blocker_id)
            if claim is None:
                continue  # another process's run is raising it (or has just raised it)
            if car_present or await self._car_present_now(blocker_id):
                await self._unclaim_raise(blocker_id, claim)
                await self._overstay(blocker_id, reservation_id)
                continue
            if await self._driver_coming(blocker_id):
                # The next booking's driver has just lowered it (the list was read before their
                # stay began): raising it now would shut them out, and their car is on its way.
                await self._unclaim_raise(blocker_id, claim)
                continue
            result = await self.blockers.command(blocker_id, "raise", reservation_id)
            if not result.ok:
                await self._unclaim_raise(blocker_id, claim)
            if result.ok:
                raised += 1
            elif result.status is CommandStatus.OBSTACLE:
                await self._overstay(blocker_id, reservation_id)
        return raised

    async def _claim_raise(self, blocker_id: str) -> datetime | None:
        """Claims the blocker for one sweep's raise (the claim's end, or None when another
        process holds it): one conditional UPDATE in a transaction of its own, taken before the
        checks right before the command, so those read what any write it waited for left.

        Per blocker, not for the whole list at once: commands go out one at a time and each may
        wait ACK_TIMEOUT_SECONDS, so a claim on the list would lapse before its last blockers
        (or block them for minutes after a crash). A raise that went up keeps its claim until it
        lapses: the row may read "lowered" a moment after the ack (the link writes it in its
        next batch), and another process's run reading it then must not raise it again. One not
        sent, or that failed (the row says "lowered" truly), gives it back: the next run, of any
        process, tries again as before. Commands of drivers and staff never look at it."""
        now = self.clock.now()
        until = now + self.claim_for
        async with self.db.transaction() as s:
            claimed = await s.execute(
                update(Blocker)
                .where(Blocker.id == blocker_id, _raise_unclaimed(now))
                .values(raise_claim_until=until)
                .execution_options(synchronize_session=False)
            )
        assert isinstance(claimed, CursorResult)
        return until if claimed.rowcount == 1 else None

    async def _unclaim_raise(self, blocker_id: str, until: datetime) -> None:
        # Nothing went up: the next run may raise it as soon as the checks allow.
        async with self.db.transaction() as s:
            await s.execute(
                update(Blocker)
                .where(Blocker.id == blocker_id, Blocker.raise_claim_until == until)
                .values(raise_claim_until=None)
                .execution_options(synchronize_session=False)
            )

    async def _driver_coming(self, blocker_id: str) -> bool:
        """Whether a driver is parked on the blocker's spot (an active booking) or lowered it for
        a booking a moment ago (a lowering claimed within GUARD_PAUSE_AFTER_ARRIVAL), read right
        before a raise. Found by bench/soak.py: without it a raise decided from a list read
        seconds earlier went out just after the next driver's lowering, under their car."""
        now = self.clock.now()
        async with self.db.read() as s:
            found = await s.scalar(
                select(Reservation.id)
                .join(Blocker, Blocker.spot_id == Reservation.spot_id)
                .where(
                    Blocker.id == blocker_id,
                    Reservation.ends_at > now,
                    or_(
                        Reservation.status == ReservationStatus.ACTIVE,
                        (Reservation.status == ReservationStatus.CONFIRMED)
                        & (Reservation.lowering_until > now - GUARD_PAUSE_AFTER_ARRIVAL),
                    ),
                )
                .limit(1)
            )
        return found is not None

    async def _car_present_now(self, blocker_id: str) -> bool:
        """The bay as last reported, read right before a raise: the list above was read before
        earlier commands' waits, and a blocker never goes up under a car (a car back in a bay
        an early leave freed, for one)."""
        async with self.db.read() as s:
            present = await s.scalar(select(Blocker.car_present).where(Blocker.id == blocker_id))
        return bool(present)

    async def _overstay(self, blocker_id: str, reservation_id: int) -> None:
        async with self.db.transaction() as s:
            await outbox.notify_admins(
                s,
                NotificationKind.ADMIN_OVERSTAY,
                {"blocker_id": blocker_id, "reservation_id": reservation_id},
                now=self.clock.now(),
                dedupe_key=f"overstay:{reservation_id}",
            )
