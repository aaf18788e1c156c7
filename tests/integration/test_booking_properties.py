"""Property: whatever sequence of book/confirm/cancel/expire/extend/end/complete happens,
no two holding reservations of one spot ever overlap (checked in SQL after every step)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.clock import ManualClock
from core.db import Database
from core.errors import DomainError
from core.models import Reservation
from core.services import booking
from core.services.audit import overlapping_holds
from tests.conftest import T0
from tests.factories import make_premise, make_user

Q = timedelta(minutes=15)

op = st.one_of(
    st.tuples(st.just("book"), st.integers(0, 2), st.integers(0, 24), st.integers(2, 12)),
    st.tuples(st.just("confirm"), st.integers(0, 30)),
    st.tuples(st.just("cancel"), st.integers(0, 30)),
    st.tuples(st.just("extend"), st.integers(0, 30), st.integers(1, 8)),
    st.tuples(st.just("end"), st.integers(0, 30)),
    st.tuples(st.just("time"), st.integers(1, 20)),  # quarter hours pass; sweeps run
)


async def overlapping_pairs(db: Database) -> int:
    async with db.read() as s:
        return await overlapping_holds(s)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op, min_size=5, max_size=25))
async def test_no_overlap_after_any_sequence(db: Database, ops: list[tuple[object, ...]]) -> None:
    clock = ManualClock(T0)
    async with db.transaction() as s:
        premise = await make_premise(s, spots=2)
        users = [(await make_user(s)).id for _ in range(3)]
    made: list[Reservation] = []

    def pick(i: object) -> Reservation | None:
        return made[int(str(i)) % len(made)] if made else None

    for step in ops:
        name = step[0]
        try:
            async with db.transaction() as s:
                now = clock.now()
                if name == "book":
                    _, u, start, length = step
                    made.append(
                        await booking.hold(
                            s,
                            user_id=users[int(str(u))],
                            premise_id=premise.id,
                            starts_at=now + int(str(start)) * Q,
                            minutes=int(str(length)) * 15,
                            now=now,
                            hold_minutes=10,
                        )
                    )
                elif name == "time":
                    clock.advance(int(str(step[1])) * Q)
                    await booking.expire_holds(s, clock.now())
                    await booking.complete_due(s, clock.now())
                elif (r := pick(step[1])) is not None:
                    if name == "confirm":
                        await booking.confirm(s, r.id, now)
                    elif name == "cancel":
                        await booking.cancel(s, r.id, user_id=r.user_id, now=now)
                    elif name == "end":
                        await booking.end_now(s, r.id, user_id=r.user_id, now=now)
                    elif name == "extend":
                        ext = await booking.request_extension(
                            s, r.id, user_id=r.user_id, minutes=int(str(step[2])) * 15, now=now
                        )
                        await booking.apply_extension(s, ext.id, now)
        except DomainError:
            pass  # refusals are expected; what matters is the invariant below
        assert await overlapping_pairs(db) == 0, f"overlap after {step}"
