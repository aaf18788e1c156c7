"""Moving bookings off closed spots on SQLite and PostgreSQL: two moves at the same moment
to the one free spot left never put two bookings on it (the booking engine's row locks and,
on PostgreSQL, its no-overlap constraint); the loser is refused and audited."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import NoSpotToMoveTo
from core.models import AuditEntry, AuditOutcome, Reservation, Spot
from core.services import booking
from core.usecases.spots import Moved, SpotUseCases
from tests.factories import make_premise, make_user


async def test_two_moves_to_the_last_free_spot_at_once(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as s:
        premise = (await make_premise(s, name="Alpha", spots=3, now=clock.now())).id
        owner = (await make_user(s, name="Owner", is_admin=True)).id
        drivers = [(await make_user(s, name=f"D{i}")).id for i in range(2)]
    held = []
    for driver in drivers:
        async with db.transaction() as s:
            r = await booking.hold(
                s,
                user_id=driver,
                premise_id=premise,
                starts_at=clock.now() + timedelta(hours=2),
                minutes=60,
                now=clock.now(),
                hold_minutes=60,
            )
            held.append((r.id, r.spot_id))
    uc = SpotUseCases(db, clock, Settings(_env_file=None, bot_token="1:x"))
    for _rid, spot_id in held:
        closed = await uc.close_spot(owner, premise, spot_id, "Works", None)
        assert [b.reservation_id for b in closed.bookings] == [_rid]

    results = await asyncio.gather(
        *(uc.move_booking(owner, premise, rid) for rid, _spot in held), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["Moved", "NoSpotToMoveTo"]
    moved = next(r for r in results if isinstance(r, Moved))
    assert moved.to_label == "A3"
    assert any(isinstance(r, NoSpotToMoveTo) for r in results)
    async with db.read() as s:
        a3 = await s.scalar(select(Spot.id).where(Spot.premise_id == premise, Spot.label == "A3"))
        on_a3 = list(await s.scalars(select(Reservation.id).where(Reservation.spot_id == a3)))
        log = list(
            await s.scalars(
                select(AuditEntry).where(AuditEntry.action == "spot.move_booking").order_by(AuditEntry.id)
            )
        )
    assert on_a3 == [moved.reservation_id]
    assert sorted(e.outcome for e in log) == [AuditOutcome.OK, AuditOutcome.REFUSED]
