"""The console's Now screen (DESIGN.md §11, VIEW_OCCUPANCY: owners, managers, attendants): what
a car park looks like at this moment, for one premise or (owners) for all of them.

Every spot is in exactly one state, the first that applies, so the counts add up to the spots:

    closed     closed by the operator (and not past its reopen time)
    unhealthy  its blocker is offline, faulty or low on battery (off sale: core/blockers.py)
    occupied   its blocker reports a car on it
    booked     a paid booking (confirmed or active) holds it now or later today
    held       an unpaid hold still running holds it now or later today
    free       none of these

"Today" ends at midnight in each premise's own time zone. The counts are one SQL query
(a CASE per spot, grouped by premise and state), never a loop over rows in Python; the lists
beside them (next arrivals and departures, overstays) are small LIMIT queries. Booking numbers
are on every line: the console's Bookings section opens a booking by its number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.blockers import blocker_unhealthy
from core.models import Blocker, Premise, Reservation, ReservationStatus, Spot, User, UtcDateTime
from core.permissions import Permission
from core.usecases.admin import AdminUseCases

# The states of a spot, in the order the screen shows them.
STATES = ("free", "held", "booked", "occupied", "closed", "unhealthy")
# How many arrivals, departures and overstays the screen lists (it says how many more there are).
LIST_LIMIT = 5
# Arrivals listed are those starting within this horizon (or started, car not in yet).
ARRIVALS_HORIZON = timedelta(hours=24)
# A car still on a spot this long after its last booking ended is listed with that booking.
OVERSTAY_LOOKBACK = timedelta(hours=24)
# Overstays are counted up to this many (the screen lists LIST_LIMIT of them).
OVERSTAY_COUNT_LIMIT = 50


@dataclass(frozen=True, slots=True)
class SpotCounts:
    free: int = 0
    held: int = 0
    booked: int = 0
    occupied: int = 0
    closed: int = 0
    unhealthy: int = 0

    @property
    def total(self) -> int:
        return self.free + self.held + self.booked + self.occupied + self.closed + self.unhealthy

    def __add__(self, other: SpotCounts) -> SpotCounts:
        return SpotCounts(*(getattr(self, s) + getattr(other, s) for s in STATES))


@dataclass(frozen=True, slots=True)
class PremiseNow:
    premise_id: int
    name: str
    timezone: str
    counts: SpotCounts


@dataclass(frozen=True, slots=True)
class Movement:
    """A booking about to arrive or leave (`at`: its start or end)."""

    reservation_id: int
    premise_name: str
    timezone: str  # the premise's: the screen shows `at` in it
    spot_label: str
    driver: str
    at: datetime
    late: bool = False  # an arrival whose start has passed, car not in yet


@dataclass(frozen=True, slots=True)
class Overstay:
    """A car past its booking's end: an active booking whose end has passed (the completion
    sweep has not run yet), or a car still reported on the spot after its last booking ended
    (`reservation_id` None: a car on a spot with no booking in the last day)."""

    reservation_id: int | None
    premise_name: str
    timezone: str
    spot_label: str
    driver: str
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class Occupancy:
    premise_id: int | None  # None: every premise (owners)
    name: str  # the premise's name ("" for all)
    timezone: str  # the premise's; for all premises, the console's (settings.timezone)
    at: datetime
    premises: list[PremiseNow]
    arrivals: list[Movement]
    departures: list[Movement]
    overstays: list[Overstay]
    more: dict[str, int] = field(default_factory=dict)  # list name -> how many more not listed

    @property
    def counts(self) -> SpotCounts:
        total = SpotCounts()
        for premise in self.premises:
            total = total + premise.counts
        return total


def _today_ends(now: datetime, zones: set[str]) -> ColumnElement[datetime]:
    """The end of today in each premise's zone, as an expression on premises.timezone."""
    ends = {}
    for zone in zones:
        tz = ZoneInfo(zone)
        tomorrow = now.astimezone(tz).date() + timedelta(days=1)
        ends[zone] = datetime.combine(tomorrow, time(), tz).astimezone(UTC)
    # An unknown zone cannot happen (the console validates it); a day from now is a safe bound.
    fallback = now + timedelta(days=1)
    if not ends:  # no premises at all
        return literal(fallback, UtcDateTime())
    return case(ends, value=Premise.timezone, else_=fallback)


class OccupancyUseCases(AdminUseCases):
    """The Now screen; the pattern's helpers (`_view`) come from AdminUseCases."""

    async def occupancy(self, actor_id: int, premise_id: int | None) -> Occupancy:
        """The premise now (None: every premise, owners only); refused and audited otherwise."""
        async with self._view(actor_id, premise_id, Permission.VIEW_OCCUPANCY, "occupancy.view") as (s, _):
            now = self.clock.now()
            premise = await s.get(Premise, premise_id) if premise_id is not None else None
            zones = (
                {premise.timezone}
                if premise is not None
                else set(await s.scalars(select(Premise.timezone).distinct()))
            )
            in_scope = Premise.id == premise_id if premise_id is not None else Premise.id.is_not(None)
            premises = await self._counts(s, in_scope, now, zones)
            arrivals, more_arrivals = await self._arrivals(s, in_scope, now)
            departures, more_departures = await self._departures(s, in_scope, now)
            overstays = await self._overstays(s, in_scope, now)
        return Occupancy(
            premise_id=premise_id,
            name=premise.name if premise is not None else "",
            timezone=premise.timezone if premise is not None else self.settings.timezone,
            at=now,
            premises=premises,
            arrivals=arrivals,
            departures=departures,
            overstays=overstays[:LIST_LIMIT],
            more={
                "arrivals": more_arrivals,
                "departures": more_departures,
                "overstays": max(0, len(overstays) - LIST_LIMIT),
            },
        )

    async def _counts(
        self, s: AsyncSession, in_scope: ColumnElement[bool], now: datetime, zones: set[str]
    ) -> list[PremiseNow]:
        today_ends = _today_ends(now, zones)
        later_today = and_(
            Reservation.spot_id == Spot.id, Reservation.ends_at > now, Reservation.starts_at < today_ends
        )
        booked = exists().where(
            later_today, Reservation.status.in_((ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE))
        )
        held = exists().where(
            later_today,
            Reservation.status == ReservationStatus.PENDING_PAYMENT,
            Reservation.hold_expires_at > now,
        )
        closed = and_(Spot.is_active.is_(False), or_(Spot.closed_until.is_(None), Spot.closed_until > now))
        state = case(
            (closed, "closed"),
            (blocker_unhealthy(), "unhealthy"),  # NULL (no blocker) is not unhealthy
            (Blocker.car_present.is_(True), "occupied"),
            (booked, "booked"),
            (held, "held"),
            else_="free",
        ).label("state")
        per_spot = (
            select(Spot.premise_id.label("premise_id"), state)
            .join(Premise, Premise.id == Spot.premise_id)
            .outerjoin(Blocker, Blocker.spot_id == Spot.id)
            .where(in_scope)
            .subquery()
        )
        rows = await s.execute(
            select(per_spot.c.premise_id, per_spot.c.state, func.count()).group_by(
                per_spot.c.premise_id, per_spot.c.state
            )
        )
        counted: dict[int, dict[str, int]] = {}
        for pid, name, count in rows.tuples():
            counted.setdefault(pid, {})[name] = count
        listed = await s.execute(
            select(Premise.id, Premise.name, Premise.timezone)
            .where(in_scope)
            .order_by(Premise.name, Premise.id)
        )
        return [
            PremiseNow(pid, name, tz, SpotCounts(**counted.get(pid, {}))) for pid, name, tz in listed.tuples()
        ]

    @staticmethod
    def _movements_query(
        in_scope: ColumnElement[bool],
    ) -> Select[tuple[int, str, str, str, str, datetime, datetime]]:
        return (
            select(
                Reservation.id,
                Premise.name,
                Premise.timezone,
                Spot.label,
                User.name,
                Reservation.starts_at,
                Reservation.ends_at,
            )
            .join(Spot, Spot.id == Reservation.spot_id)
            .join(Premise, Premise.id == Spot.premise_id)
            .join(User, User.id == Reservation.user_id)
            .where(in_scope)
        )

    async def _arrivals(
        self, s: AsyncSession, in_scope: ColumnElement[bool], now: datetime
    ) -> tuple[list[Movement], int]:
        """Paid bookings whose car is not in yet and whose time has not ended: late ones (start
        passed) first, then by start, within ARRIVALS_HORIZON."""
        where = and_(
            Reservation.status == ReservationStatus.CONFIRMED,
            Reservation.ends_at > now,
            Reservation.starts_at < now + ARRIVALS_HORIZON,
        )
        return await self._movements(s, in_scope, where, now, arriving=True)

    async def _departures(
        self, s: AsyncSession, in_scope: ColumnElement[bool], now: datetime
    ) -> tuple[list[Movement], int]:
        """Cars in (active bookings) by their end, soonest first."""
        where = and_(Reservation.status == ReservationStatus.ACTIVE, Reservation.ends_at > now)
        return await self._movements(s, in_scope, where, now, arriving=False)

    async def _movements(
        self,
        s: AsyncSession,
        in_scope: ColumnElement[bool],
        where: ColumnElement[bool],
        now: datetime,
        *,
        arriving: bool,
    ) -> tuple[list[Movement], int]:
        """The first LIST_LIMIT bookings `where` by their start (arriving) or end, and how many
        more there are."""
        moment = Reservation.starts_at if arriving else Reservation.ends_at
        rows = await s.execute(
            self._movements_query(in_scope).where(where).order_by(moment, Reservation.id).limit(LIST_LIMIT)
        )
        found = [
            Movement(rid, name, tz, label, driver, starts, late=starts <= now)
            if arriving
            else Movement(rid, name, tz, label, driver, ends)
            for rid, name, tz, label, driver, starts, ends in rows.tuples()
        ]
        return found, await self._more(s, in_scope, where, len(found))

    @staticmethod
    async def _more(
        s: AsyncSession, in_scope: ColumnElement[bool], where: ColumnElement[bool], shown: int
    ) -> int:
        if shown < LIST_LIMIT:
            return 0
        total = await s.scalar(
            select(func.count(Reservation.id))
            .join(Spot, Spot.id == Reservation.spot_id)
            .join(Premise, Premise.id == Spot.premise_id)
            .where(in_scope, where)
        )
        return int(total or 0) - shown

    async def _overstays(
        self, s: AsyncSession, in_scope: ColumnElement[bool], now: datetime
    ) -> list[Overstay]:
        """Active bookings past their end, then cars on spots that no booking holds now (with
        the spot's booking that ended last, within OVERSTAY_LOOKBACK): longest over first."""
        past_end = await s.execute(
            self._movements_query(in_scope)
            .where(Reservation.status == ReservationStatus.ACTIVE, Reservation.ends_at <= now)
            .order_by(Reservation.ends_at, Reservation.id)
            .limit(OVERSTAY_COUNT_LIMIT)
        )
        found = [
            Overstay(rid, name, tz, label, driver, ends)
            for rid, name, tz, label, driver, _starts, ends in past_end.tuples()
        ]
        # A car is allowed on a spot whose booking runs now (or lets it in early: active).
        allowed = exists().where(
            Reservation.spot_id == Spot.id,
            Reservation.ends_at > now,
            or_(
                Reservation.status == ReservationStatus.ACTIVE,
                and_(
                    Reservation.status == ReservationStatus.CONFIRMED,
                    Reservation.starts_at <= now + timedelta(minutes=self.settings.early_arrival_minutes),
                ),
            ),
        )
        last = (
            select(Reservation.id)
            .where(
                Reservation.spot_id == Spot.id,
                Reservation.ends_at <= now,
                Reservation.ends_at > now - OVERSTAY_LOOKBACK,
                Reservation.status.in_((ReservationStatus.ACTIVE, ReservationStatus.COMPLETED)),
            )
            .order_by(Reservation.ends_at.desc(), Reservation.id.desc())
            .limit(1)
            .correlate(Spot)
            .scalar_subquery()
        )
        cars = await s.execute(
            select(Spot.label, Premise.name, Premise.timezone, last)
            .join(Premise, Premise.id == Spot.premise_id)
            .join(Blocker, Blocker.spot_id == Spot.id)
            .where(in_scope, Blocker.car_present.is_(True), ~allowed)
            .order_by(Premise.name, Spot.label)
            .limit(OVERSTAY_COUNT_LIMIT)
        )
        listed = {o.reservation_id for o in found}
        unbooked: list[Overstay] = []
        spots = [row for row in cars.tuples() if row[3] is None or row[3] not in listed]
        ended = [rid for *_, rid in spots if rid is not None]
        details: dict[int, tuple[str, datetime]] = {}
        if ended:
            rows = await s.execute(
                select(Reservation.id, User.name, Reservation.ends_at)
                .join(User, User.id == Reservation.user_id)
                .where(Reservation.id.in_(ended))
            )
            details = {rid: (driver, ends) for rid, driver, ends in rows.tuples()}
        for label, name, tz, rid in spots:
            if rid is None:
                unbooked.append(Overstay(None, name, tz, label, "", None))
            else:
                driver, ends = details[rid]
                found.append(Overstay(rid, name, tz, label, driver, ends))
        found.sort(key=lambda o: o.ended_at or now)
        return found + unbooked
