"""The sweeps act on thousands of rows a second, in batches claimed by one statement each, and
stay exactly-once when two processes (two engines) sweep the same database at once: every
reminder, expiry and completion notification is queued once, and what a reminder says is
what the booking's own screen computes for one booking."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from sqlalchemy import insert, select

from core.clock import ManualClock
from core.db import Database
from core.models import Blocker, Notification, Premise, Reservation, ReservationStatus, Spot, User
from core.notifications import NotificationKind
from core.services import reminders
from core.services.availability import next_booking_on_spot
from jobs import sweeps
from tests.factories import make_premise

N = 2000
MINUTE = timedelta(minutes=1)


async def _seed(db: Database, clock: ManualClock, n: int) -> list[int]:
    """n drivers, each on a spot of their own (every other spot with a blocker): a paid booking
    of 1 to 3 hours ending in 30 minutes (every tenth spot is booked again right after it), and
    an unpaid hold for later that lapsed a minute ago. Returns the bookings ending soon."""
    now = clock.now()
    end = now + 30 * MINUTE
    async with db.transaction() as s:
        premise = await make_premise(s, spots=0, now=now - timedelta(days=1))
        await s.execute(
            insert(User),
            [{"telegram_id": 70_000 + i, "name": f"D{i}", "language": "en"} for i in range(n)],
        )
        await s.execute(insert(Spot), [{"premise_id": premise.id, "label": f"S{i}"} for i in range(n)])
        users = list(await s.scalars(select(User.id).where(User.telegram_id >= 70_000).order_by(User.id)))
        spots = list(await s.scalars(select(Spot.id).where(Spot.premise_id == premise.id).order_by(Spot.id)))
        await s.execute(
            insert(Blocker),
            [{"id": f"BLK-{spot_id}", "spot_id": spot_id, "online": True} for spot_id in spots[::2]],
        )
        paid, unpaid = ReservationStatus.CONFIRMED, ReservationStatus.PENDING_PAYMENT
        rows = []
        for i, (user_id, spot_id) in enumerate(zip(users, spots, strict=True)):
            common = {"user_id": user_id, "spot_id": spot_id, "price": 300, "currency": "EUR"}
            start = end - timedelta(minutes=60 + 30 * (i % 5))
            rows.append({**common, "starts_at": start, "ends_at": end, "status": paid})
            if i % 10 == 0:
                rows.append({**common, "starts_at": end, "ends_at": end + 60 * MINUTE, "status": paid})
            later = {"starts_at": end + 180 * MINUTE, "ends_at": end + 240 * MINUTE}
            rows.append({**common, **later, "status": unpaid, "hold_expires_at": now - MINUTE})
        await s.execute(insert(Reservation), rows)
        ending = select(Reservation.id).where(Reservation.ends_at == end).order_by(Reservation.id)
        return list(await s.scalars(ending))


async def _queued(db: Database, kind: NotificationKind) -> Counter[int]:
    """How many notifications of the kind each reservation got."""
    async with db.read() as s:
        payloads = await s.scalars(select(Notification.payload).where(Notification.kind == kind.value))
        return Counter(int(p["reservation_id"]) for p in payloads)


async def test_two_processes_sweeping_at_once_queue_every_notification_once(
    db: Database, clock: ManualClock
) -> None:
    ending = await _seed(db, clock, N)
    other = Database.from_url(db.engine.url.render_as_string(hide_password=False))
    try:
        reminded = await asyncio.gather(
            sweeps.send_reminders(db, clock, 30), sweeps.send_reminders(other, clock, 30)
        )
        expired = await asyncio.gather(
            sweeps.expire_holds(db, clock, None), sweeps.expire_holds(other, clock, None)
        )
        clock.advance(30 * MINUTE)
        completed = await asyncio.gather(
            sweeps.complete_ended(db, clock), sweeps.complete_ended(other, clock)
        )
        # Nothing is left for a later sweep.
        clock.advance(MINUTE)
        again = [
            await sweeps.send_reminders(other, clock, 30),
            await sweeps.expire_holds(other, clock, None),
            await sweeps.complete_ended(db, clock),
        ]
    finally:
        await other.dispose()

    if not db.is_sqlite:  # both took part at once (SQLite has one writer: it takes turns)
        assert min(reminded) > 0 and min(completed) > 0, (reminded, completed)
    assert sum(reminded) == N and sum(expired) == N and sum(completed) == N
    assert again == [0, 0, 0]
    assert await _queued(db, NotificationKind.BOOKING_REMINDER) == Counter(ending)
    assert await _queued(db, NotificationKind.BOOKING_COMPLETED) == Counter(ending)
    async with db.read() as s:
        holds = list(
            await s.scalars(select(Reservation.id).where(Reservation.status == ReservationStatus.EXPIRED))
        )
        statuses = Counter(await s.scalars(select(Reservation.status)))
    assert len(holds) == N
    assert await _queued(db, NotificationKind.HOLD_EXPIRED) == Counter(holds)
    assert statuses == {
        ReservationStatus.COMPLETED: N,  # nobody arrived
        ReservationStatus.EXPIRED: N,
        ReservationStatus.CONFIRMED: N // 10,  # the bookings right after, still ahead
    }
    async with db.read() as s:
        guarded = set(
            await s.scalars(select(Reservation.id).join(Blocker, Blocker.spot_id == Reservation.spot_id))
        )
        payloads = await s.scalars(
            select(Notification.payload).where(Notification.kind == "booking_completed")
        )
        no_show = {int(p["reservation_id"]): p["no_show"] for p in payloads}
        flagged = dict((await s.execute(select(Reservation.id, Reservation.no_show))).tuples().all())
    # A no-show only where a blocker would have seen the driver come; elsewhere they just park.
    assert no_show == {r: r in guarded for r in ending}
    assert {r: flagged[r] for r in ending} == no_show
    assert 0 < sum(no_show.values()) < N


async def test_a_batch_of_reminders_says_what_one_bookings_screen_computes(
    db: Database, clock: ManualClock
) -> None:
    """The batch reads the next bookings, opening hours and plans for all its bookings at once;
    each reminder must offer what the single-booking path (the booking's screen) offers."""
    ending = await _seed(db, clock, 100)
    async with db.transaction() as s:
        queued = await reminders.send_due_reminders(s, clock.now(), reminder_minutes=30)
    assert sorted(queued) == ending
    async with db.read() as s:
        sent = {
            p["reservation_id"]: p
            for p in await s.scalars(
                select(Notification.payload).where(Notification.kind == "booking_reminder")
            )
        }
        for reservation_id in ending:
            r = await s.get(Reservation, reservation_id)
            assert r is not None
            premise = await s.scalar(select(Premise).join(Spot).where(Spot.id == r.spot_id))
            assert premise is not None
            following = await next_booking_on_spot(s, r.spot_id, r.ends_at, clock.now())
            assert sent[r.id] == {
                "reservation_id": r.id,
                "ends_at": r.ends_at.isoformat(),
                "options": await reminders.extension_options(s, r, premise, clock.now()),
                "currency": "EUR",
                "next_starts_at": following.starts_at.isoformat() if following else None,
            }
    # Both kinds are there: bookings with a following one (no extension) and without.
    assert {bool(sent[i]["options"]) for i in ending} == {True, False}
    assert [o["minutes"] for o in sent[ending[1]]["options"]] == [30, 60, 120]
