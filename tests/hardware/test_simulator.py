"""The reference device, driven by hand as the server would: the device-side rules of §6."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from hardware import protocol
from hardware.protocol import Ack, AckError, Action, Command, State, WireState
from hardware.simulator import build_parser
from tests.hardware.support import ROOT, next_message, payload_of, raw_client, simulator

pytestmark = pytest.mark.mqtt


def _command(action: Action, *, expires_in: float = 10) -> Command:
    now = datetime.now(UTC)
    return Command(
        id=str(uuid.uuid4()),
        action=action,
        reservation_id=1,
        issued_at=protocol.floor_second(now),
        expires_at=protocol.ceil_second(now + timedelta(seconds=expires_in)),
    )


async def test_a_repeated_command_id_is_executed_once(mqtt_url: str, prefix: str) -> None:
    async with simulator(mqtt_url, prefix, "B1") as sim, raw_client(mqtt_url) as server:
        await server.subscribe(protocol.ack_topic(prefix, "B1"), qos=1)
        command = _command(Action.LOWER)
        # Twice back to back: the second arrives while the first is still moving.
        for _ in range(2):
            await server.publish(protocol.command_topic(prefix, "B1"), command.to_json(), qos=1)
        acks = [Ack.from_json(payload_of(await next_message(server))) for _ in range(2)]
        assert acks[0] == acks[1] == Ack(id=command.id, ok=True, state=WireState.LOWERED, error=None)
        # And once more after it finished.
        await server.publish(protocol.command_topic(prefix, "B1"), command.to_json(), qos=1)
        assert Ack.from_json(payload_of(await next_message(server))) == acks[0]
        device = sim["B1"]
        assert (device.moves, device.executed, device.duplicates) == (1, [command.id], 2)


async def test_a_repeat_gets_the_first_result_even_when_things_changed(mqtt_url: str, prefix: str) -> None:
    async with simulator(mqtt_url, prefix, "B1") as sim, raw_client(mqtt_url) as server:
        await server.subscribe(protocol.ack_topic(prefix, "B1"), qos=1)
        sim["B1"].set_obstacle(True)
        command = _command(Action.LOWER)
        await server.publish(protocol.command_topic(prefix, "B1"), command.to_json(), qos=1)
        first = Ack.from_json(payload_of(await next_message(server)))
        assert (first.ok, first.error) == (False, AckError.OBSTACLE)
        sim["B1"].set_obstacle(False)
        await server.publish(protocol.command_topic(prefix, "B1"), command.to_json(), qos=1)
        assert Ack.from_json(payload_of(await next_message(server))) == first
        assert sim["B1"].moves == 0


async def test_an_expired_command_is_refused_and_not_executed(mqtt_url: str, prefix: str) -> None:
    async with simulator(mqtt_url, prefix, "B1") as sim, raw_client(mqtt_url) as server:
        await server.subscribe(protocol.ack_topic(prefix, "B1"), qos=1)
        stale = _command(Action.LOWER, expires_in=-2)
        await server.publish(protocol.command_topic(prefix, "B1"), stale.to_json(), qos=1)
        ack = Ack.from_json(payload_of(await next_message(server)))
        assert ack == Ack(id=stale.id, ok=False, state=WireState.RAISED, error=AckError.EXPIRED)
        assert sim["B1"].moves == 0 and sim["B1"].state is WireState.RAISED


async def test_retained_state_and_availability_for_late_subscribers(mqtt_url: str, prefix: str) -> None:
    async with simulator(mqtt_url, prefix, "B1", battery=64), raw_client(mqtt_url) as late:
        await late.subscribe(protocol.availability_topic(prefix, "B1"), qos=1)
        first = await next_message(late)
        assert (payload_of(first), first.retain) == (b"online", True)
        await late.subscribe(protocol.state_topic(prefix, "B1"), qos=1)
        state = State.from_json(payload_of(await next_message(late)))
        assert (state.state, state.battery, state.car_present) == (WireState.RAISED, 64, False)


async def test_shared_connection_mode(mqtt_url: str, prefix: str) -> None:
    async with (
        simulator(mqtt_url, prefix, "S1", "S2", shared_connection=True) as sim,
        raw_client(mqtt_url) as server,
    ):
        await server.subscribe(protocol.availability_topic(prefix, "S2"), qos=1)
        assert payload_of(await next_message(server)) == b"online"
        await sim.go_offline("S2")  # no Will per blocker here: it says so itself
        assert payload_of(await next_message(server)) == b"offline"
        await sim.go_online("S2")
        assert payload_of(await next_message(server)) == b"online"


def test_cli_help_and_arguments() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hardware.simulator", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert "--blockers" in done.stdout and "--jam" in done.stdout and "Last Will" in done.stdout
    args = build_parser().parse_args(["--blockers", "B1, B2", "--jam", "B2", "--prefix", "x"])
    assert args.blockers == ["B1", "B2"] and args.jam == ["B2"] and args.prefix == "x"
