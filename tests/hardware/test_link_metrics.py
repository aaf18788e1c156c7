"""Blocker metrics: commands by result with their round trip (the link, against the real broker
and the reference simulator), and blockers online/unhealthy as `GET /metrics` reads them from
the database (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from core import metrics
from core.blockers import CommandStatus
from core.clock import SystemClock
from core.db import Database
from tests.hardware.support import register, running_link, simulator

pytestmark = pytest.mark.mqtt

COMMANDS, ROUND_TRIPS = "parking_blocker_commands_total", "parking_blocker_command_seconds_count"


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


async def test_commands_are_counted_by_result_and_answered_ones_timed(
    db: Database, mqtt_url: str, prefix: str
) -> None:
    await register(db, "M1", "M2", with_spots=True)
    ok_before = sample(COMMANDS, action="lower", result="ok")
    refused_before = sample(COMMANDS, action="lower", result="obstacle")
    timeout_before = sample(COMMANDS, action="raise", result="timeout")
    timed_before = sample(ROUND_TRIPS, action="lower")
    raise_timed_before = sample(ROUND_TRIPS, action="raise")
    async with (
        running_link(db, mqtt_url, prefix, ack_timeout=1) as link,
        simulator(mqtt_url, prefix, "M1", battery=80) as sim,
    ):
        assert (await link.command("M1", "lower", None)).status is CommandStatus.OK
        await link.command("M1", "raise", None)
        sim["M1"].set_obstacle(True)
        assert (await link.command("M1", "lower", None)).status is CommandStatus.OBSTACLE
        # M2 has no device running: nobody answers.
        assert (await link.command("M2", "raise", None)).status is CommandStatus.TIMEOUT
        await link.flush()

        assert sample(COMMANDS, action="lower", result="ok") - ok_before == 1
        assert sample(COMMANDS, action="lower", result="obstacle") - refused_before == 1
        assert sample(COMMANDS, action="raise", result="timeout") - timeout_before == 1
        # Answered commands only: a timeout is no round trip.
        assert sample(ROUND_TRIPS, action="lower") - timed_before == 2
        assert sample(ROUND_TRIPS, action="raise") - raise_timed_before == 1

        endpoint = metrics.MetricsEndpoint("web-1", metrics.DatabaseGauges(db, SystemClock()))
        body, content_type = await endpoint.render()
    assert content_type.startswith("text/plain; version=0.0.4")
    blockers = {
        s.labels["health"]: s.value
        for family in text_string_to_metric_families(body.decode())
        if family.name == "parking_blockers"
        for s in family.samples
    }
    # M1 online and fine; M2 never came online, so it is offline and unhealthy.
    assert blockers == {"online": 1, "offline": 1, "unhealthy": 1, "total": 2}
    assert 'process="web-1"' in body.decode()
    assert "M1" not in body.decode() and "M2" not in body.decode()  # no device ids in labels
