"""Blocker incidents (DESIGN.md §5 `blocker_incidents`): opened when a blocker goes offline,
faults (a `fault` state or a `jammed` ack), runs low on battery, or a driver's lowering fails;
closed when a report newer than the opening says it is well again.

At most one incident is open per blocker and kind. The blocker's row is locked first (FOR
UPDATE on PostgreSQL; SQLite's write transactions are exclusive already), so two processes
hearing the same news, or a repeated or retained report, find the first one's incident; the
partial unique index `uq_blocker_incidents_open` refuses a second one whatever happens above.

When the incident touches bookings in the next ALERT_HOURS, the premise's staff who handle
blockers and the owners get an alert with buttons, queued in the same transaction as the
row; they hear when it ends, with its duration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.blockers import LOW_BATTERY_PERCENT, CommandStatus
from core.models import (
    Blocker,
    BlockerIncident,
    BlockerState,
    IncidentKind,
    PremiseStaff,
    Reservation,
    Spot,
    User,
)
from core.notifications import NotificationKind
from core.permissions import Permission, Role, allowed
from core.services import outbox
from core.services.availability import holds_spot

# Bookings starting within this are the ones an alert names and its buttons act on.
ALERT_HOURS = 6

# What a lowering's failure says about the blocker. A jam is the device's fault (its `fault`
# state follows: one incident); an obstacle or no answer is a failed lowering. Busy and expired
# say nothing about the device; offline is the availability's incident already.
KIND_OF_FAILURE = {
    CommandStatus.JAMMED: IncidentKind.FAULT,
    CommandStatus.OBSTACLE: IncidentKind.LOWER_FAILED,
    CommandStatus.TIMEOUT: IncidentKind.LOWER_FAILED,
    CommandStatus.LOW_BATTERY: IncidentKind.LOW_BATTERY,
}


def kinds_of(blocker: Blocker, low_battery: int = LOW_BATTERY_PERCENT) -> list[IncidentKind]:
    """The incidents the blocker's row shows now (core.blockers.health_problems' reasons)."""
    kinds = []
    if not blocker.online:
        kinds.append(IncidentKind.OFFLINE)
    if blocker.state is BlockerState.FAULT:
        kinds.append(IncidentKind.FAULT)
    if blocker.battery is not None and blocker.battery < low_battery:
        kinds.append(IncidentKind.LOW_BATTERY)
    return kinds


def recovered(incident: BlockerIncident, blocker: Blocker, low_battery: int = LOW_BATTERY_PERCENT) -> bool:
    """Whether the blocker is well again for this incident: online for an outage; otherwise a
    `state` report stamped after the opening shows it fine (an old or retained report, or the
    very one that opened it, never closes it)."""
    if incident.kind is IncidentKind.OFFLINE:
        return blocker.online
    newer = blocker.state_ts is not None and (
        incident.opened_state_ts is None or blocker.state_ts > incident.opened_state_ts
    )
    if not newer or not blocker.online or blocker.state is BlockerState.FAULT:
        return False
    if incident.kind is IncidentKind.LOW_BATTERY:
        return blocker.battery is None or blocker.battery >= low_battery
    return True


@dataclass(frozen=True, slots=True)
class Affected:
    """A booking an incident touches, as alerts and the console list it."""

    reservation_id: int
    driver: str
    starts_at: datetime
    ends_at: datetime


async def affected_bookings(session: AsyncSession, spot_id: int | None, now: datetime) -> list[Affected]:
    """The bookings holding the spot that are under way or start within ALERT_HOURS."""
    if spot_id is None:
        return []
    rows = await session.execute(
        select(Reservation, User.name)
        .join(User, User.id == Reservation.user_id)
        .where(
            Reservation.spot_id == spot_id,
            holds_spot(now),
            Reservation.ends_at > now,
            Reservation.starts_at < now + timedelta(hours=ALERT_HOURS),
        )
        .order_by(Reservation.starts_at, Reservation.id)
    )
    return [
        Affected(r.id, name.split()[0] if name.strip() else "", r.starts_at, r.ends_at)
        for r, name in rows.tuples()
    ]


async def recipients(session: AsyncSession, premise_id: int) -> list[tuple[int, Role]]:
    """Who hears of a premise's incidents, with their role there: its staff whose role handles
    blockers, and owners."""
    owners = set(await session.scalars(select(User.id).where(User.is_admin.is_(True))))
    staff = await session.execute(
        select(PremiseStaff.user_id, PremiseStaff.role).where(
            PremiseStaff.premise_id == premise_id, PremiseStaff.revoked_at.is_(None)
        )
    )
    handlers = {
        uid: Role(role.value)
        for uid, role in staff.tuples()
        if uid not in owners and allowed(Role(role.value), Permission.MANAGE_BLOCKERS)
    }
    return sorted([(uid, Role.OWNER) for uid in owners] + list(handlers.items()))


async def open_incident(
    session: AsyncSession, blocker_id: str, kind: IncidentKind, now: datetime, *, detail: str = ""
) -> BlockerIncident | None:
    """Opens an incident of this kind for a blocker bound to a spot, unless one is open (then
    None), and alerts staff if bookings are affected; in the caller's transaction."""
    blocker = await session.scalar(
        select(Blocker)
        .where(Blocker.id == blocker_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if blocker is None or blocker.spot_id is None:
        return None
    already = await session.scalar(
        select(BlockerIncident.id).where(
            BlockerIncident.blocker_id == blocker_id,
            BlockerIncident.kind == kind,
            BlockerIncident.closed_at.is_(None),
        )
    )
    if already is not None:
        return None
    spot = await session.get(Spot, blocker.spot_id)
    assert spot is not None  # a foreign key
    incident = BlockerIncident(
        blocker_id=blocker_id,
        kind=kind,
        premise_id=spot.premise_id,
        spot_id=spot.id,
        detail=detail[:200],
        opened_at=now,
        opened_state_ts=blocker.state_ts,
        alerted=False,
    )
    try:
        async with session.begin_nested():
            session.add(incident)
            await session.flush()
    except IntegrityError:  # opened meanwhile (the index is the last word)
        return None
    affected = await affected_bookings(session, spot.id, now)
    if affected:
        incident.alerted = True
        reservations = [a.reservation_id for a in affected]
        for user_id, role in await recipients(session, spot.premise_id):
            # Each alert offers only what its reader may do (an attendant may move the
            # drivers, not refund them); the use cases check again on every tap.
            payload = {
                "incident_id": incident.id,
                "reservations": reservations,
                "may_move": allowed(role, Permission.MANAGE_BOOKINGS),
                "may_refund": allowed(role, Permission.REFUND),
            }
            await outbox.notify(
                session,
                user_id,
                NotificationKind.ADMIN_INCIDENT,
                payload,
                now=now,
                dedupe_key=f"incident:{incident.id}:{user_id}",
            )
    await session.flush()
    return incident


async def close_recovered(
    session: AsyncSession, now: datetime, *, blocker_id: str | None = None, limit: int = 500
) -> list[BlockerIncident]:
    """Closes the open incidents (of one blocker, or all) whose blocker is well again, and
    tells whoever was alerted that it ended; in the caller's transaction. A conditional UPDATE
    closes each once, whichever process gets there first."""
    query = (
        select(BlockerIncident, Blocker)
        .join(Blocker, Blocker.id == BlockerIncident.blocker_id)
        .where(BlockerIncident.closed_at.is_(None))
        .order_by(BlockerIncident.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if blocker_id is not None:
        query = query.where(BlockerIncident.blocker_id == blocker_id)
    closed = []
    for incident, blocker in (await session.execute(query)).tuples().all():
        if not recovered(incident, blocker):
            continue
        done = await session.execute(
            update(BlockerIncident)
            .where(BlockerIncident.id == incident.id, BlockerIncident.closed_at.is_(None))
            .values(closed_at=now)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(done, CursorResult)
        if done.rowcount != 1:
            continue
        incident.closed_at = now
        closed.append(incident)
        if incident.alerted and incident.premise_id is not None:
            for user_id, _role in await recipients(session, incident.premise_id):
                await outbox.notify(
                    session,
                    user_id,
                    NotificationKind.ADMIN_INCIDENT_ENDED,
                    {"incident_id": incident.id},
                    now=now,
                    dedupe_key=f"incident_ended:{incident.id}:{user_id}",
                )
    return closed
