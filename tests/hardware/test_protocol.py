"""Protocol v1 models and topics (DESIGN.md §6): round trips and rejections. No broker."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from core.blockers import health_problems
from core.models import BlockerState
from hardware import protocol
from hardware.broker import NO_DELAY, BrokerAddress
from hardware.protocol import (
    Ack,
    AckError,
    Action,
    Availability,
    Command,
    Kind,
    ProtocolError,
    State,
    WireState,
)

CID = "3f2b1c1e-9a4b-4c1d-8e2f-0a1b2c3d4e5f"
T = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)

GOOD_COMMAND: dict[str, Any] = {
    "v": 1,
    "id": CID,
    "action": "lower",
    "reservation_id": 42,
    "issued_at": "2026-11-21T10:00:00Z",
    "expires_at": "2026-11-21T10:00:10Z",
}
GOOD_ACK: dict[str, Any] = {"v": 1, "id": CID, "ok": True, "state": "lowered", "error": None}
GOOD_STATE: dict[str, Any] = {
    "v": 1,
    "state": "raised",
    "car_present": False,
    "battery": 87,
    "ts": "2026-11-21T10:00:00Z",
}


def _with(base: dict[str, Any], **changes: Any) -> bytes:
    data = {**base, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not _DROP}).encode()


_DROP = object()


def test_command_wire_format_is_the_contract() -> None:
    command = protocol.new_command(
        command_id=CID,
        action="lower",
        reservation_id=42,
        now=datetime(2026, 11, 21, 10, 0, 0, 400_000, tzinfo=UTC),
        timeout=9.5,
    )
    # Whole seconds as in the contract; the expiry rounds up so it is never early.
    assert json.loads(command.to_json()) == GOOD_COMMAND
    assert Command.from_json(command.to_json()) == command


def test_round_trips() -> None:
    for model, raw in ((Command, GOOD_COMMAND), (Ack, GOOD_ACK), (State, GOOD_STATE)):
        parsed = model.from_json(json.dumps(raw))
        assert json.loads(parsed.to_json()) == raw
    refused = Ack(id=CID, ok=False, state=WireState.FAULT, error=AckError.JAMMED)
    assert Ack.from_json(refused.to_json()) == refused
    assert json.loads(refused.to_json())["error"] == "jammed"
    state = State.from_json(json.dumps(GOOD_STATE))
    assert state.ts == T and state.state is WireState.RAISED
    assert BlockerState(state.state.value) is BlockerState.RAISED  # every wire state maps to the table's


def test_fractional_seconds_are_accepted_and_offsets_are_not() -> None:
    assert State.from_json(_with(GOOD_STATE, ts="2026-11-21T10:00:00.250Z")).ts == T.replace(
        microsecond=250_000
    )
    for ts in ("2026-11-21T10:00:00+00:00", "2026-11-21T10:00:00", "2026-11-21 10:00:00Z", "1763719200"):
        with pytest.raises(ProtocolError):
            State.from_json(_with(GOOD_STATE, ts=ts))


@pytest.mark.parametrize(
    ("model", "payload"),
    [
        (Command, _with(GOOD_COMMAND, v=2)),
        (Command, _with(GOOD_COMMAND, v=True)),
        (Command, _with(GOOD_COMMAND, v=1.0)),
        (Command, _with(GOOD_COMMAND, v="1")),
        (Command, _with(GOOD_COMMAND, v=_DROP)),
        (Command, _with(GOOD_COMMAND, action="open")),
        (Command, _with(GOOD_COMMAND, action="LOWER")),
        (Command, _with(GOOD_COMMAND, id="not-a-uuid")),
        (Command, _with(GOOD_COMMAND, reservation_id="42")),
        (Command, _with(GOOD_COMMAND, reservation_id=True)),
        (Command, _with(GOOD_COMMAND, reservation_id=-1)),
        (Command, _with(GOOD_COMMAND, reservation_id=_DROP)),  # the key is required, null allowed
        (Command, _with(GOOD_COMMAND, expires_at=None)),
        (Command, _with(GOOD_COMMAND, extra="field")),
        (Ack, _with(GOOD_ACK, ok=True, error="busy")),
        (Ack, _with(GOOD_ACK, ok=False, error=None)),
        (Ack, _with(GOOD_ACK, ok=False, error="melted")),
        (Ack, _with(GOOD_ACK, ok=1)),
        (Ack, _with(GOOD_ACK, state="unknown")),  # a server-side state only
        (Ack, _with(GOOD_ACK, error=_DROP)),
        (State, _with(GOOD_STATE, battery=101)),
        (State, _with(GOOD_STATE, battery=-1)),
        (State, _with(GOOD_STATE, battery=50.5)),
        (State, _with(GOOD_STATE, battery="50")),
        (State, _with(GOOD_STATE, car_present="yes")),
        (State, _with(GOOD_STATE, car_present=0)),
        (State, _with(GOOD_STATE, state="open")),
        (State, b"{not json"),
        (State, b"[1, 2]"),
        (State, b"\xff\xfe"),
        (State, b""),
    ],
)
def test_rejections_raise_protocol_error(model: type[Command | Ack | State], payload: bytes) -> None:
    with pytest.raises(ProtocolError):
        model.from_json(payload)


def test_availability_is_a_bare_word() -> None:
    assert protocol.decode(Kind.AVAILABILITY, b"online") is Availability.ONLINE
    assert protocol.decode(Kind.AVAILABILITY, b"offline") is Availability.OFFLINE
    assert protocol.encode(Availability.OFFLINE) == b"offline"
    for bad in (b"ONLINE", b'"online"', b"online\n", b"", b"\xff"):
        with pytest.raises(ProtocolError):
            protocol.decode(Kind.AVAILABILITY, bad)


def test_decode_dispatches_on_kind() -> None:
    assert isinstance(protocol.decode(Kind.ACK, json.dumps(GOOD_ACK)), Ack)
    assert isinstance(protocol.decode(Kind.STATE, json.dumps(GOOD_STATE)), State)
    assert isinstance(protocol.decode(Kind.COMMAND, json.dumps(GOOD_COMMAND)), Command)
    with pytest.raises(ProtocolError):
        protocol.decode(Kind.ACK, json.dumps(GOOD_STATE))


def test_topics() -> None:
    assert protocol.command_topic("parking", "B-1") == "parking/blockers/B-1/command"
    assert protocol.ack_topic("site/parking", "B-1") == "site/parking/blockers/B-1/ack"
    assert protocol.state_topic("p", "x") == "p/blockers/x/state"
    assert protocol.availability_topic("p", "x") == "p/blockers/x/availability"
    assert protocol.wildcard("parking", Kind.ACK) == "parking/blockers/+/ack"
    assert protocol.parse_topic("site/parking", "site/parking/blockers/B-1/state") == ("B-1", Kind.STATE)
    assert protocol.parse_topic("p", "p/blockers/x/availability") == ("x", Kind.AVAILABILITY)


@pytest.mark.parametrize(
    "name",
    [
        "other/blockers/B1/state",
        "p/blockers/B1",
        "p/blockers/B1/status",
        "p/blockers/B1/state/extra",
        "p/blockers//state",
        f"p/blockers/{'x' * 65}/state",
        "p/blocker/B1/state",
        "p/blockers/B1/State",
    ],
)
def test_parse_topic_rejects(name: str) -> None:
    with pytest.raises(ProtocolError):
        protocol.parse_topic("p", name)


def test_bad_prefix_and_ids() -> None:
    for prefix in ("", "a/+", "a/#", "/a", "a/"):
        with pytest.raises(ValueError, match="prefix"):
            protocol.wildcard(prefix, Kind.ACK)
    for blocker_id in ("", "a/b", "a+", "#", " a", "x" * 65):
        with pytest.raises(ProtocolError):
            protocol.command_topic("p", blocker_id)


def test_new_command_ids_and_actions() -> None:
    command = protocol.new_command(
        command_id=str(uuid.uuid4()), action=Action.RAISE, reservation_id=None, now=T, timeout=10
    )
    assert command.action is Action.RAISE and command.reservation_id is None
    assert (command.expires_at - command.issued_at).total_seconds() == 10
    with pytest.raises(ValueError):
        protocol.new_command(command_id=CID, action="open", reservation_id=None, now=T, timeout=1)


def test_broker_url() -> None:
    plain = BrokerAddress.from_url("mqtt://broker.local")
    assert (plain.hostname, plain.port, plain.tls, plain.username) == ("broker.local", 1883, False, None)
    assert plain.client_kwargs() == {"hostname": "broker.local", "port": 1883, "socket_options": [NO_DELAY]}
    assert "socket_options" not in plain.client_kwargs(nagle=True)
    secure = BrokerAddress.from_url("mqtts://svc:p%40ss%3Aw0rd@broker.example.com")
    assert (secure.port, secure.tls, secure.username, secure.password) == (8883, True, "svc", "p@ss:w0rd")
    kwargs = secure.client_kwargs()
    assert kwargs["username"] == "svc" and kwargs["password"] == "p@ss:w0rd" and "tls_params" in kwargs
    assert "p@ss" not in repr(secure) and "***" in repr(secure)
    assert BrokerAddress.from_url("mqtt://h:1884").port == 1884
    for bad in ("http://h", "mqtt://", "mqtt://h:99999", "h:1883"):
        with pytest.raises(ValueError):
            BrokerAddress.from_url(bad)


def test_health_problems() -> None:
    assert health_problems(online=True, state=BlockerState.RAISED, battery=15) == []
    assert health_problems(online=True, state=BlockerState.UNKNOWN, battery=None) == []
    assert health_problems(online=True, state=BlockerState.MOVING, battery=80) == []
    assert health_problems(online=False, state=BlockerState.FAULT, battery=14) == [
        "offline",
        "fault",
        "battery 14% (below 15%)",
    ]
