"""What the link believes from the blocker topics (shared broker, a prefix of its own): states
older than the last applied or stamped far ahead are dropped, and a second ack that contradicts
the first is believed if it is the failure and reported."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from core.blockers import AckConflict, CommandStatus
from core.db import Database
from core.models import BlockerState
from hardware import protocol
from hardware.link import BlockerLink
from hardware.protocol import State, WireState
from tests.hardware.support import (
    eventually,
    next_message,
    payload_of,
    raw_client,
    register,
    row_matches,
    running_link,
)

pytestmark = pytest.mark.mqtt


def _state(state: WireState, battery: int, ts: datetime) -> bytes:
    return State(state=state, car_present=False, battery=battery, ts=ts).to_json()


async def _handled(link: BlockerLink, received: int) -> None:
    """Waits until `received` messages have come in and what they said is written (so that a
    report is judged alone, not merged with the next one)."""
    await eventually(lambda: link.stats.received >= received, what=f"{received} messages")
    await link.flush()


def _warnings(caplog: pytest.LogCaptureFixture, needle: str) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and needle in r.getMessage()
    ]


async def test_a_state_older_than_the_last_applied_is_dropped_even_after_a_restart(
    db: Database, mqtt_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    await register(db, "B1")
    topic = protocol.state_topic(prefix, "B1")
    now = datetime.now(UTC).replace(microsecond=0)
    caplog.set_level(logging.WARNING, logger="parking.hardware")
    async with running_link(db, mqtt_url, prefix) as link, raw_client(mqtt_url) as device:
        await device.publish(topic, _state(WireState.FAULT, 40, now), qos=1)
        await eventually(lambda: row_matches(link, db, "B1", state=BlockerState.FAULT, battery=40))
        # A healthy report stamped in 2001 (a replay, or a forger's) must not put the spot back
        # on sale; a newer report after it shows that it was processed.
        await device.publish(topic, _state(WireState.RAISED, 100, datetime(2001, 1, 1, tzinfo=UTC)), qos=1)
        await _handled(link, 2)
        assert await row_matches(link, db, "B1", state=BlockerState.FAULT, battery=40, state_ts=now)
    # A new process knows nothing in memory: the high-water mark is the row's.
    async with running_link(db, mqtt_url, prefix) as link, raw_client(mqtt_url) as device:
        await device.publish(topic, _state(WireState.RAISED, 100, now - timedelta(hours=1)), qos=1)
        await _handled(link, 1)
        assert await row_matches(link, db, "B1", state=BlockerState.FAULT, battery=40, state_ts=now)
        # Newer news still gets through.
        await device.publish(topic, _state(WireState.RAISED, 100, now + timedelta(seconds=1)), qos=1)
        await eventually(lambda: row_matches(link, db, "B1", state=BlockerState.RAISED), what="newer")
    dropped = _warnings(caplog, "older than the one applied")
    assert len(dropped) == 2, dropped  # one line per dropped report
    assert "2001-01-01" in dropped[0] and "'B1'" in dropped[0]
    assert all('"v"' not in line for line in dropped)  # never the raw payload


async def test_reports_within_one_second_all_apply_and_a_repeat_changes_nothing(
    db: Database, mqtt_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Devices stamp whole seconds: `moving` and `lowered` often share one."""
    await register(db, "B1")
    topic = protocol.state_topic(prefix, "B1")
    now = datetime.now(UTC).replace(microsecond=0)
    caplog.set_level(logging.WARNING, logger="parking.hardware")
    async with running_link(db, mqtt_url, prefix) as link, raw_client(mqtt_url) as device:
        for state in (WireState.MOVING, WireState.LOWERED, WireState.LOWERED):
            await device.publish(topic, _state(state, 90, now), qos=1)
        await eventually(lambda: row_matches(link, db, "B1", state=BlockerState.LOWERED, state_ts=now))
    assert _warnings(caplog, "state report") == []


@pytest.mark.parametrize("shared", [False, True], ids=["one process", "shared group"])
async def test_a_moving_report_handled_after_the_end_of_its_move_does_not_reopen_it(
    db: Database, mqtt_url: str, prefix: str, shared: bool
) -> None:
    """A quick move's `moving` and `lowered` share a second; with a shared subscription they
    may reach two processes and `moving` be written last. The settled state wins: the row
    never reads "moving" for a move that has ended. A later second's `moving` still applies."""
    await register(db, "B1")
    topic = protocol.state_topic(prefix, "B1")
    now = datetime.now(UTC).replace(microsecond=0)
    group = {"shared_group": f"g{prefix[-6:]}"} if shared else {}
    async with running_link(db, mqtt_url, prefix, **group) as link, raw_client(mqtt_url) as device:
        await device.publish(topic, _state(WireState.LOWERED, 90, now), qos=1)
        await _handled(link, 1)
        await device.publish(topic, _state(WireState.MOVING, 90, now), qos=1)
        await _handled(link, 2)
        assert await row_matches(link, db, "B1", state=BlockerState.LOWERED, state_ts=now)
        # Read afresh by a process that did not write it (a new one here): the same.
        async with running_link(db, mqtt_url, prefix, **group) as other:
            await device.publish(topic, _state(WireState.MOVING, 90, now), qos=1)
            # Without a group both processes hear it (4 in all), with one, one of them (3).
            heard = 3 if shared else 4
            await eventually(lambda: other.stats.received + link.stats.received >= heard, what="the third")
            await other.flush()
            await link.flush()
            assert await row_matches(other, db, "B1", state=BlockerState.LOWERED, state_ts=now)
        later = now + timedelta(seconds=1)
        await device.publish(topic, _state(WireState.MOVING, 90, later), qos=1)
        await eventually(lambda: row_matches(link, db, "B1", state=BlockerState.MOVING, state_ts=later))


async def test_a_state_stamped_far_in_the_future_is_refused(
    sqlite_db: Database, mqtt_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = sqlite_db
    await register(db, "B1")
    topic = protocol.state_topic(prefix, "B1")
    now = datetime.now(UTC).replace(microsecond=0)
    caplog.set_level(logging.WARNING, logger="parking.hardware")
    async with running_link(db, mqtt_url, prefix) as link, raw_client(mqtt_url) as device:
        await device.publish(topic, _state(WireState.FAULT, 50, now), qos=1)
        await eventually(lambda: row_matches(link, db, "B1", state=BlockerState.FAULT))
        # Accepted, it would also block every real report until 2099.
        await device.publish(topic, _state(WireState.RAISED, 100, datetime(2099, 1, 1, tzinfo=UTC)), qos=1)
        await _handled(link, 2)
        assert await row_matches(link, db, "B1", state=BlockerState.FAULT, battery=50)
        # A clock a little fast is tolerated.
        await device.publish(topic, _state(WireState.RAISED, 49, now + timedelta(minutes=2)), qos=1)
        await eventually(lambda: row_matches(link, db, "B1", state=BlockerState.RAISED, battery=49))
    assert len(_warnings(caplog, "ahead of the server clock")) == 1


async def test_a_second_ack_that_contradicts_the_first_is_believed_if_it_is_the_failure(
    sqlite_db: Database, mqtt_url: str, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    db = sqlite_db
    await register(db, "B1")
    conflicts: list[AckConflict] = []
    caplog.set_level(logging.WARNING, logger="parking.hardware")
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=2, on_ack_conflict=conflicts.append) as link,
        raw_client(mqtt_url) as device,
    ):
        await device.subscribe(protocol.command_topic(prefix, "B1"), qos=1)
        task = asyncio.create_task(link.command("B1", "lower", 42))
        command = protocol.Command.from_json(payload_of(await next_message(device)))
        ack_topic = protocol.ack_topic(prefix, "B1")
        forged = protocol.Ack(id=command.id, ok=True, state=WireState.LOWERED, error=None)
        await device.publish(ack_topic, forged.to_json(), qos=1)
        assert (await task).ok  # the first answer is all the caller can go by
        real = protocol.Ack(id=command.id, ok=False, state=WireState.FAULT, error=protocol.AckError.JAMMED)
        for ack in (real, real, forged):  # repeats and further flips: one report in all
            await device.publish(ack_topic, ack.to_json(), qos=1)
        await eventually(
            lambda: row_matches(link, db, "B1", state=BlockerState.FAULT), what="failure trusted"
        )
        await eventually(lambda: len(conflicts) == 1, what="conflict reported")
        await asyncio.sleep(0.1)
    assert conflicts == [
        AckConflict(
            blocker_id="B1",
            command_id=command.id,
            action="lower",
            reservation_id=42,
            first=CommandStatus.OK,
            second=CommandStatus.JAMMED,
        )
    ]
    assert conflicts[0].trusted is CommandStatus.JAMMED
    lines = _warnings(caplog, "twice and differently")
    assert len(lines) == 1 and "(ok, then jammed)" in lines[0]
