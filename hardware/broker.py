"""Broker address from `MQTT_URL` (`mqtt://host:port` or `mqtts://user:pass@host:port`) and the
keyword arguments aiomqtt 2.5's `Client` takes for it."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import aiomqtt

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}

# paho leaves Nagle's algorithm on. A client that acknowledges a message (PUBACK) and then
# publishes its answer has the answer held back until the broker's delayed TCP ACK for the
# PUBACK arrives: about 40 ms per hop on Linux (measured: 88 ms for an echo round trip instead
# of under 1 ms). Every request/answer exchange in protocol v1 is exactly that.
NO_DELAY = (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)  # Linux only


def ack_now(client: aiomqtt.Client) -> None:
    """Sends any TCP ACK the kernel is holding back on this client's socket, at once.

    The same stall as above, on the broker's side: Mosquitto leaves Nagle on unless configured
    with `set_tcp_nodelay true`, so after sending us a small packet (a PUBACK) it holds the next
    one (the device's answer) until our kernel ACKs the first, which a quiet client does only
    after the delayed-ACK timer, ~40 ms. Called after each publish completes and each message
    received, it makes a request/answer exchange cost what the network costs. A no-op where
    TCP_QUICKACK does not exist (it is not permanent on Linux either, hence every time).
    """
    if _QUICKACK is None:
        return
    sock = client._client.socket()  # aiomqtt 2.5 exposes no socket of its own
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)


@dataclass(frozen=True, slots=True)
class BrokerAddress:
    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @classmethod
    def from_url(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise ValueError("MQTT URL must be mqtt://host:port or mqtts://user:pass@host:port")
        if not parts.hostname:
            raise ValueError("MQTT URL has no host")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise ValueError("MQTT URL has an invalid port") from None
        return cls(
            hostname=parts.hostname,
            port=port,
            # Percent-encoding lets passwords carry ':' '@' '/'.
            username=unquote(parts.username) if parts.username is not None else None,
            password=unquote(parts.password) if parts.password is not None else None,
            tls=parts.scheme == "mqtts",
        )

    def client_kwargs(
        self, tls_context: ssl.SSLContext | None = None, *, nagle: bool = False
    ) -> dict[str, Any]:
        """Arguments for `aiomqtt.Client`; TLS verifies against the system CAs unless a context
        (a private CA, a client certificate) is given."""
        kwargs: dict[str, Any] = {"hostname": self.hostname, "port": self.port}
        if not nagle:
            kwargs["socket_options"] = [NO_DELAY]
        if self.username is not None:
            kwargs["username"] = self.username
            kwargs["password"] = self.password
        if tls_context is not None:
            kwargs["tls_context"] = tls_context
        elif self.tls:
            kwargs["tls_params"] = aiomqtt.TLSParameters()
        return kwargs

    @property
    def loopback(self) -> bool:
        if self.hostname == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.hostname).is_loopback
        except ValueError:
            return False

    def exposure(self) -> str | None:
        """Why this connection is open to forgery or eavesdropping (plain MQTT to another
        host), or None. Never mentions the password."""
        if self.tls or self.loopback:
            return None
        if self.username is None:
            return (
                f"MQTT_URL is anonymous plain mqtt:// to {self.hostname}:{self.port}: anyone who "
                "reaches the broker can forge blocker reports and read commands; use mqtts:// with "
                "per-device credentials and an ACL (deploy/mosquitto/)"
            )
        return (
            f"MQTT_URL is plain mqtt:// to {self.hostname}:{self.port}: the password and every "
            "command cross the network unencrypted; use mqtts:// (deploy/mosquitto/)"
        )

    def __repr__(self) -> str:
        # Never print the password (logs, tracebacks).
        user = f"{self.username}:***@" if self.username is not None else ""
        return f"BrokerAddress({'mqtts' if self.tls else 'mqtt'}://{user}{self.hostname}:{self.port})"

    __str__ = __repr__
