"""`mqtts://user:pass@host:port`: TLS and a password, against a private Mosquitto set up so."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from core.blockers import CommandStatus
from core.db import Database
from hardware.link import BlockerLink
from tests.hardware.support import (
    Mosquitto,
    eventually,
    free_port,
    register,
    row_matches,
    running_link,
    simulator,
)
from tests.services import unavailable

pytestmark = [pytest.mark.mqtt, pytest.mark.slow]

USER, PASSWORD = "parking", "s3cret:with@signs"


@pytest.fixture
def tls_broker(tmp_path: Path) -> tuple[Mosquitto, ssl.SSLContext]:
    """A broker (not started) with a self-signed certificate and a password file, and a TLS
    context that trusts that certificate."""
    openssl, passwd = shutil.which("openssl"), shutil.which("mosquitto_passwd")
    if openssl is None or passwd is None:
        unavailable("openssl and mosquitto_passwd are needed for the TLS test")
    assert openssl is not None and passwd is not None
    cert, key, passwords = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "passwords"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run([passwd, "-b", "-c", str(passwords), USER, PASSWORD], check=True, capture_output=True)
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    lines = [
        f"listener {port} 127.0.0.1",
        f"certfile {cert}",
        f"keyfile {key}",
        "allow_anonymous false",
        f"password_file {passwords}",
    ]
    if os.geteuid() == 0:
        lines.append("user root")  # it would drop to `mosquitto`, who cannot read tmp_path
    config.write_text("\n".join(lines) + "\n")
    return Mosquitto(port, config), ssl.create_default_context(cafile=str(cert))


async def test_tls_with_username_and_password(
    sqlite_db: Database, tls_broker: tuple[Mosquitto, ssl.SSLContext]
) -> None:
    db = sqlite_db
    await register(db, "T1")
    broker, trust = tls_broker
    await broker.start()
    try:
        quoted = PASSWORD.replace(":", "%3A").replace("@", "%40")
        url = f"mqtts://{USER}:{quoted}@127.0.0.1:{broker.port}"
        async with (
            running_link(db, url, "tls", ack_timeout=3, tls_context=trust) as link,
            simulator(url, "tls", "T1", tls_context=trust),
        ):
            await eventually(lambda: row_matches(link, db, "T1", online=True), what="online over TLS")
            assert (await link.command("T1", "lower", None)).ok
    finally:
        await broker.kill()


async def test_wrong_password_is_not_connected(
    sqlite_db: Database, tls_broker: tuple[Mosquitto, ssl.SSLContext]
) -> None:
    broker, trust = tls_broker
    await broker.start()
    try:
        link = BlockerLink(
            sqlite_db,
            url=f"mqtts://{USER}:wrong@127.0.0.1:{broker.port}",
            prefix="tls",
            ack_timeout=0.5,
            tls_context=trust,
            reconnect_min=0.05,
        )
        async with link:
            result = await link.command("T1", "lower", None)
            assert result.status is CommandStatus.NOT_CONNECTED
            assert link.stats.connects == 0
    finally:
        await broker.kill()
