"""`main.py run` warns once, at start-up, when MQTT_URL leaves the blocker topics open to
forgery (anonymous plain mqtt:// to another host) or sends the password in clear; never with
the password in the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.broker import BrokerAddress
from tests.integration.test_schema_and_cli import _cli


def _run(tmp_path: Path, mqtt_url: str) -> list[str]:
    done = _cli(
        tmp_path=tmp_path,
        BOT_TOKEN="123:abc",
        TELEGRAM_API_BASE="http://127.0.0.1:9",  # start-up stops right after the warning
        MQTT_URL=mqtt_url,
        HTTP_PORT="18098",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
    )
    assert done.returncode == 1 and "start-up failed" in done.stderr
    return [line for line in done.stderr.splitlines() if "WARNING" in line and "MQTT_URL" in line]


@pytest.mark.slow
def test_plain_mqtt_to_another_host_is_warned_about_once_without_the_password(tmp_path: Path) -> None:
    anonymous = _run(tmp_path, "mqtt://broker.invalid:1883")
    assert len(anonymous) == 1, anonymous
    assert "anonymous plain mqtt:// to broker.invalid:1883" in anonymous[0]
    assert "deploy/mosquitto/" in anonymous[0]
    with_password = _run(tmp_path, "mqtt://parking-service:hunter2secret@broker.invalid:1883")
    assert len(with_password) == 1, with_password
    assert "unencrypted" in with_password[0] and "hunter2secret" not in with_password[0]


@pytest.mark.parametrize(
    "url",
    ["mqtt://127.0.0.1:1883", "mqtt://localhost", "mqtt://[::1]:1883", "mqtts://u:p@broker.example:8883"],
)
def test_loopback_or_tls_is_not_warned_about(url: str) -> None:
    assert BrokerAddress.from_url(url).exposure() is None
