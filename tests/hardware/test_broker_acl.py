"""The production broker set-up (deploy/mosquitto/acl, accounts from `main.py blockers
credentials`) on a private Mosquitto: each device reports only about itself and hears only its
own commands, only the service commands, and a client without an account is turned away."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
import pytest

from core.db import Database
from core.models import BlockerState
from hardware import protocol
from hardware.broker import BrokerAddress
from main import main
from tests.hardware.support import (
    ROOT,
    Mosquitto,
    eventually,
    free_port,
    load,
    next_message,
    register,
    row_matches,
    running_link,
    simulator,
)

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

PREFIX = "acltest"
DEVICES = ("B1", "B2")


@dataclass
class Broker:
    mosquitto: Mosquitto
    passwords: dict[str, str]  # username → password, as `blockers credentials` printed them

    def url(self, username: str | None = None) -> str:
        user = f"{username}:{self.passwords[username]}@" if username else ""
        return f"mqtt://{user}127.0.0.1:{self.mosquitto.port}"


@pytest.fixture
async def broker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Broker]:
    passwords_file = tmp_path / "passwords"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'unused.db'}")
    main(["blockers", "credentials", "parking-service", *DEVICES, "--password-file", str(passwords_file)])
    printed = capsys.readouterr().out
    lines = [line.split() for line in printed.splitlines() if line and not line.startswith("#")]
    passwords = {fields[0]: fields[1] for fields in lines if len(fields) == 2}
    assert sorted(passwords) == sorted(["parking-service", *DEVICES]), printed
    assert all(password not in passwords_file.read_text() for password in passwords.values())
    acl = tmp_path / "acl"
    shipped = (ROOT / "deploy" / "mosquitto" / "acl").read_text()
    acl.write_text(shipped.replace("parking/blockers/", f"{PREFIX}/blockers/"))
    port = free_port()
    lines_conf = [
        f"listener {port} 127.0.0.1",
        "allow_anonymous false",
        f"password_file {passwords_file}",
        f"acl_file {acl}",
    ]
    if os.geteuid() == 0:
        lines_conf.append("user root")  # it would drop to `mosquitto`, who cannot read tmp_path
    config = tmp_path / "mosquitto.conf"
    config.write_text("\n".join(lines_conf) + "\n")
    mosquitto = Mosquitto(port, config)
    await mosquitto.start()
    try:
        yield Broker(mosquitto, passwords)
    finally:
        await mosquitto.kill()


async def test_each_device_speaks_only_for_itself_and_only_the_service_commands(
    sqlite_db: Database, broker: Broker
) -> None:
    db = sqlite_db
    await register(db, *DEVICES)
    async with (
        running_link(db, broker.url("parking-service"), PREFIX, ack_timeout=2) as link,
        simulator(broker.url("B1"), PREFIX, "B1") as sim1,
        simulator(broker.url("B2"), PREFIX, "B2") as sim2,
    ):
        for device in DEVICES:
            await eventually(lambda d=device: row_matches(link, db, d, online=True), what=f"{device} online")
        # The service can command.
        assert (await link.command("B1", "lower", None)).ok
        assert (await link.command("B2", "lower", None)).ok

        address = BrokerAddress.from_url(broker.url("B1"))
        async with aiomqtt.Client(**address.client_kwargs(), identifier="b1-gone-rogue") as b1:
            # B1's account tries to speak for B2: a healthy-looking fault report, an ack, a command.
            stamp = datetime.now(UTC)
            forged = protocol.State(state=protocol.WireState.FAULT, car_present=True, battery=3, ts=stamp)
            await b1.publish(protocol.state_topic(PREFIX, "B2"), forged.to_json(), qos=1)
            raise_b2 = protocol.new_command(
                command_id="00000000-0000-4000-8000-000000000001",
                action="raise",
                reservation_id=None,
                now=stamp,
                timeout=10,
            )
            await b1.publish(protocol.command_topic(PREFIX, "B2"), raise_b2.to_json(), qos=1)
            # ...and to listen to B2's commands.
            await b1.subscribe(protocol.command_topic(PREFIX, "B2"), qos=1)
            # Its own report still goes through (and, sent after the forgeries over the same
            # connection, arrives after them had they been let through).
            own = protocol.State(state=protocol.WireState.LOWERED, car_present=False, battery=77, ts=stamp)
            await b1.publish(protocol.state_topic(PREFIX, "B1"), own.to_json(), qos=1)
            await eventually(lambda: row_matches(link, db, "B1", battery=77), what="B1's own report")
            b2 = await load(db, "B2")
            assert b2 is not None and (b2.state, b2.battery) == (BlockerState.LOWERED, 100)
            assert sim2["B2"].commands_received == 1  # the service's lower only
            assert (await link.command("B2", "raise", None)).ok
            with pytest.raises(TimeoutError):
                await next_message(b1, within=0.5)  # B2's command never reached B1's account
        assert sim1["B1"].commands_received == 1


async def test_a_client_without_an_account_is_turned_away(sqlite_db: Database, broker: Broker) -> None:
    db = sqlite_db
    await register(db, "B1")
    async with (
        running_link(db, broker.url("parking-service"), PREFIX, ack_timeout=2) as link,
        simulator(broker.url("B1"), PREFIX, "B1"),
    ):
        await eventually(lambda: row_matches(link, db, "B1", online=True), what="online")
        for url in (broker.url(), f"mqtt://B1:wrong@127.0.0.1:{broker.mosquitto.port}"):
            address = BrokerAddress.from_url(url)
            with pytest.raises(aiomqtt.MqttError):  # CONNACK: not authorised
                async with aiomqtt.Client(**address.client_kwargs(), identifier="rogue") as rogue:
                    ack = protocol.Ack(
                        id="00000000-0000-4000-8000-000000000002",
                        ok=True,
                        state=protocol.WireState.LOWERED,
                        error=None,
                    )
                    await rogue.publish(protocol.ack_topic(PREFIX, "B1"), ack.to_json(), qos=1)


async def test_the_service_account_may_take_its_share_of_a_shared_group(
    sqlite_db: Database, broker: Broker
) -> None:
    """MQTT_SHARED_GROUP needs no ACL line of its own: Mosquitto checks `$share/<group>/<filter>`
    against `<filter>`, which the service's account may read already."""
    db = sqlite_db
    await register(db, "B1")
    async with (
        simulator(broker.url("B1"), PREFIX, "B1"),
        running_link(
            db, broker.url("parking-service"), PREFIX, ack_timeout=2, shared_group="parking"
        ) as link,
    ):
        await eventually(lambda: link.stats.snapshots == 1, what="snapshot taken")
        await eventually(lambda: row_matches(link, db, "B1", online=True), what="online")
        lowered = await link.command("B1", "lower", None)
        assert lowered.ok
        await eventually(lambda: row_matches(link, db, "B1", state=BlockerState.LOWERED), what="lowered")
