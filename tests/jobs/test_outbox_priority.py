"""The outbox under pressure (issue 9 items 14 and 20), through the real Telegram sender
against the fake Bot API: drivers' messages go before operators' alerts, an outage of many
blockers is one alert per admin, and a dispatcher stopped mid-batch sends nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.models import Blocker, Notification, NotificationStatus, Spot
from core.notifications import NotificationKind
from core.services import booking, outbox
from hardware.simulator import Simulator
from jobs.dispatcher import DispatchLimits, OutboxDispatcher
from jobs.scheduler import build_scheduler
from tests.e2e.conftest import E2E, start_stack
from tests.factories import make_user
from tests.services import MQTT_URL, tcp_open, unavailable


@pytest.fixture
async def stack(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[E2E]:
    async for e2e in start_stack(tmp_path, sqlite_template):
        yield e2e


def _sends(stack: E2E, since: int = 0) -> list[tuple[int, str]]:
    return [
        (int(params["chat_id"]), str(params["text"]))
        for method, params in stack.tg.calls[since:]
        if method == "sendMessage"
    ]


async def _users(stack: E2E, telegram_ids: list[int], *, admin: bool = False) -> list[int]:
    async with stack.db.transaction() as s:
        ids = []
        for telegram_id in telegram_ids:
            stack.tg.user(telegram_id, f"U{telegram_id}")
            user = await make_user(s, telegram_id=telegram_id, name=f"U{telegram_id}", is_admin=admin)
            ids.append(user.id)
        return ids


async def test_a_dispatcher_stopped_right_after_its_first_send_sends_nothing_twice(stack: E2E) -> None:
    chats = list(range(7001, 7006))
    user_ids = await _users(stack, chats)
    async with stack.db.transaction() as s:
        for uid in user_ids:
            await outbox.notify(
                s, uid, NotificationKind.CARD_SAVED, {"brand": "visa", "last4": "42"}, now=stack.clock.now()
            )
    crashed = OutboxDispatcher(stack.db, stack.app.dispatcher.senders, stack.clock)
    running = asyncio.create_task(crashed.run())
    while True:  # until Telegram has the first message (its answer is still on the way back)
        if _sends(stack):
            break
        await asyncio.sleep(0)
    running.cancel()  # ...and the process goes down
    with contextlib.suppress(asyncio.CancelledError):
        await running
    stack.clock.advance(DispatchLimits().lease + timedelta(minutes=1))
    await stack.app.dispatcher.run()  # the next process, once every lease has run out
    assert Counter(chat for chat, _ in _sends(stack)) == Counter(dict.fromkeys(chats, 1))
    async with stack.db.read() as s:
        notes = list(await s.scalars(select(Notification).where(Notification.user_id.in_(user_ids))))
    assert {n.status for n in notes} == {NotificationStatus.SENT}
    assert all(n.attempts == 1 for n in notes), [n.attempts for n in notes]


async def test_a_dispatcher_stopped_at_any_moment_leaves_nothing_leased_and_sends_nothing_twice(
    stack: E2E,
) -> None:
    # Only the dispatchers this test stops may send: the running service's own outbox job
    # would otherwise be caught mid-send (legitimately "sending") by the checks below.
    stack.app.scheduler.pause()
    await stack.app.dispatcher.stop()
    chats = list(range(7401, 7413))
    user_ids = await _users(stack, chats)
    async with stack.db.transaction() as s:
        for uid in user_ids:
            await outbox.notify(
                s, uid, NotificationKind.CARD_SAVED, {"brand": "visa", "last4": "42"}, now=stack.clock.now()
            )
    for step in range(200):  # stopped ever later, until everything went out
        dispatcher = OutboxDispatcher(stack.db, stack.app.dispatcher.senders, stack.clock)
        running = asyncio.create_task(dispatcher.run())
        await asyncio.sleep(step * 0.002)
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        async with stack.db.read() as s:
            statuses = Counter(
                await s.scalars(select(Notification.status).where(Notification.user_id.in_(user_ids)))
            )
        assert NotificationStatus.SENDING not in statuses, (step, statuses)
        if statuses == Counter({NotificationStatus.SENT: len(chats)}):
            break
    assert Counter(chat for chat, _ in _sends(stack)) == Counter(dict.fromkeys(chats, 1))


async def test_a_drivers_confirmation_goes_before_sixty_queued_admin_alerts(stack: E2E) -> None:
    # Only this test's dispatcher sends: the service's own outbox job, a second a tick, could
    # send the confirmation between the commit and `since` (seen with three workers).
    stack.app.scheduler.pause()
    (admin_id,) = await _users(stack, [7100], admin=True)
    (driver_id,) = await _users(stack, [7101])
    since = len(stack.tg.calls)
    async with stack.db.transaction() as s:
        for i in range(60):
            await outbox.notify_admins(
                s, NotificationKind.ADMIN_REFUND_FAILED,
                {"payment_id": i, "amount": 100, "currency": "EUR", "error": "x"},
                now=stack.clock.now() - timedelta(minutes=1),
            )  # fmt: skip
        r = await booking.hold(
            s,
            user_id=driver_id,
            premise_id=stack.premise_id,
            starts_at=stack.clock.now() + timedelta(hours=1),
            minutes=60,
            now=stack.clock.now(),
            hold_minutes=10,
        )
        await booking.confirm(s, r.id, stack.clock.now())  # queues the confirmation last
    dispatcher = OutboxDispatcher(stack.db, stack.app.dispatcher.senders, stack.clock)
    loop = asyncio.get_running_loop()
    began = loop.time()
    running = asyncio.create_task(dispatcher.run())
    driver = stack.tg.users[7101]
    try:
        await driver.wait_for_message(lambda m: "confirmed" in m.text.lower(), timeout=5)
        waited = loop.time() - began
        await asyncio.sleep(1.2)
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    sends = _sends(stack, since)
    assert sends[0][0] == 7101, sends[:3]
    assert waited < 1.0, waited
    # The admin's chat still gets one message a second, never two at once.
    assert 1 <= sum(1 for chat, _ in sends if chat == 7100) <= 3
    async with stack.db.read() as s:
        left = await s.scalars(select(Notification.status).where(Notification.user_id == admin_id).distinct())
        assert NotificationStatus.SENDING not in set(left)  # a stopped dispatcher hands rows back


async def test_the_outbox_job_never_overlaps_itself_nor_logs_skipped_runs(
    stack: E2E, caplog: pytest.LogCaptureFixture
) -> None:
    (admin_id,) = await _users(stack, [7300], admin=True)
    async with stack.db.transaction() as s:
        for i in range(4):  # one chat, one message a second: a drain of about 3 s
            await outbox.notify(
                s, admin_id, NotificationKind.ADMIN_REFUND_FAILED,
                {"payment_id": i, "amount": 100, "currency": "EUR", "error": "x"}, now=stack.clock.now(),
            )  # fmt: skip
    dispatcher = OutboxDispatcher(stack.db, stack.app.dispatcher.senders, stack.clock)
    scheduler = build_scheduler(
        db=stack.db,
        clock=stack.clock,
        payments=None,
        dispatcher=dispatcher,
        reminder_minutes=30,
        sweep_seconds=30,
        dispatch_seconds=0.1,
        arrival=None,
    )
    caplog.set_level(logging.INFO, logger="apscheduler")
    scheduler.start()
    try:
        await asyncio.sleep(3.5)
    finally:
        scheduler.shutdown(wait=False)
        with contextlib.suppress(AttributeError):  # (before the fix there was nothing to stop)
            await dispatcher.stop()
    skipped = [r for r in caplog.records if "maximum number of running instances" in r.getMessage()]
    assert skipped == []
    assert sum(1 for chat, _ in _sends(stack) if chat == 7300) == 4


@pytest.mark.mqtt
async def test_twenty_blockers_going_offline_at_once_is_one_alert_per_admin(
    tmp_path: Path, sqlite_template: Path
) -> None:
    if not tcp_open(MQTT_URL, 1883):
        unavailable(f"Mosquitto is not reachable at {MQTT_URL} (set TEST_MQTT_URL)")
    prefix = f"h4{uuid.uuid4().hex[:8]}"
    ids = [f"BLK-{i:02d}" for i in range(20)]
    async for e2e in start_stack(tmp_path, sqlite_template, mqtt=(MQTT_URL, prefix)):
        async with e2e.db.transaction() as s:
            for i, blocker_id in enumerate(ids):
                spot = Spot(premise_id=e2e.premise_id, label=f"B{i:02d}")
                s.add(spot)
                await s.flush()
                s.add(Blocker(id=blocker_id, spot_id=spot.id))
        await _users(e2e, [7201, 7202], admin=True)
        async with Simulator(
            MQTT_URL, prefix, ids, car_arrival_delay=None, shared_connection=True, clear_retained_on_stop=True
        ) as sim:
            assert e2e.app.link is not None
            await _until(e2e, lambda rows: all(b.online for b in rows))
            since = len(e2e.tg.calls)
            await asyncio.gather(*(sim.go_offline(b) for b in ids))  # one controller restarts
            await _until(e2e, lambda rows: not any(b.online for b in rows))
            await _until_reported(e2e, len(ids))
            e2e.clock.advance(timedelta(seconds=15))  # the gathering window of an outage alert
            await e2e.app.dispatcher.run()
        alerts = [(chat, text) for chat, text in _sends(e2e, since) if chat in (7201, 7202)]
        assert sorted(chat for chat, _ in alerts) == [7201, 7202], alerts
        for _chat, text in alerts:
            assert "Blockers out of service: 20" in text
            assert all(blocker_id in text for blocker_id in ids), text


async def _until(e2e: E2E, check: object, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with e2e.db.read() as s:
            rows = list(await s.scalars(select(Blocker).order_by(Blocker.id)))
        if callable(check) and rows and check(rows):
            return
        assert asyncio.get_running_loop().time() < deadline, [(b.id, b.online) for b in rows]
        await asyncio.sleep(0.05)


async def _until_reported(e2e: E2E, count: int, within: float = 10.0) -> None:
    """Until the health callbacks of the burst have all run: every admin's queued alerts
    name `count` blockers (however they are grouped)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        async with e2e.db.read() as s:
            rows = (
                await s.execute(
                    select(Notification.user_id, Notification.payload).where(
                        Notification.kind.like("admin_blocker%")
                    )
                )
            ).all()
        named: Counter[int] = Counter()
        for user_id, payload in rows:
            named[user_id] += len(payload.get("items", [])) or 1
        if len(named) == 2 and all(n >= count for n in named.values()):
            return
        assert asyncio.get_running_loop().time() < deadline, named
        await asyncio.sleep(0.05)
