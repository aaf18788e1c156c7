"""MQTT protocol v1 between the service and blocker controllers (DESIGN.md §6, a contract).

Topics live below `{prefix}/blockers/{blocker_id}/`: `command` (server → device), `ack`,
`state` and `availability` (device → server). Payloads are UTF-8 JSON carrying `"v": 1`,
except `availability`, which is the bare word `online` or `offline` (the Last Will).

Validation is strict on purpose: a payload that does not match the contract exactly is a
firmware or server bug, and it is better dropped and logged than half-understood. Every
rejection raises `ProtocolError`, the one exception the link and the simulator catch.
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    model_validator,
)

PROTOCOL_VERSION: Literal[1] = 1
MAX_BLOCKER_ID_LENGTH = 64  # blockers.id is VARCHAR(64)


class ProtocolError(ValueError):
    """A topic or payload that does not follow protocol v1."""


class Action(enum.StrEnum):
    LOWER = "lower"
    RAISE = "raise"


class WireState(enum.StrEnum):
    """Blocker states a device may report; `unknown` exists only on the server side."""

    RAISED = "raised"
    LOWERED = "lowered"
    MOVING = "moving"
    FAULT = "fault"


class AckError(enum.StrEnum):
    OBSTACLE = "obstacle"
    JAMMED = "jammed"
    EXPIRED = "expired"
    LOW_BATTERY = "low_battery"
    BUSY = "busy"


class Availability(enum.StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class Kind(enum.StrEnum):
    """The last level of a blocker topic."""

    COMMAND = "command"
    ACK = "ack"
    STATE = "state"
    AVAILABILITY = "availability"


# --- times -----------------------------------------------------------------------------------

# `2026-11-21T10:00:00Z`, optionally with a fraction; an offset other than `Z` is refused.
_UTC_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z")


def parse_utc(value: object) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() != timedelta(0):
            raise ValueError("time must be timezone-aware UTC")
        return value.astimezone(UTC)
    if not isinstance(value, str) or not _UTC_RE.fullmatch(value):
        raise ValueError("time must be ISO 8601 UTC like 2026-11-21T10:00:00Z")
    return datetime.fromisoformat(value[:-1]).replace(tzinfo=UTC)


def format_utc(value: datetime) -> str:
    """Whole seconds, as in the contract's example: simple device firmware parses exactly that."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def floor_second(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def ceil_second(value: datetime) -> datetime:
    whole = value.replace(microsecond=0)
    return whole if whole == value else whole + timedelta(seconds=1)


UtcTime = Annotated[datetime, BeforeValidator(parse_utc), PlainSerializer(format_utc, return_type=str)]


def _exactly_one(value: object) -> object:
    # Literal[1] alone would also take `true` and `1.0`.
    if type(value) is not int or value != PROTOCOL_VERSION:
        raise ValueError(f"v must be the integer {PROTOCOL_VERSION}")
    return value


Version = Annotated[Literal[1], BeforeValidator(_exactly_one)]
CommandId = Annotated[
    str, Field(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
]


# --- payloads --------------------------------------------------------------------------------

_WIRE = "wire"


class _Payload(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _version_on_the_wire(cls, data: object, info: ValidationInfo) -> object:
        # Built in Python, `v` defaults to 1; a received payload must carry it.
        if info.context == _WIRE and isinstance(data, dict) and "v" not in data:
            raise ValueError("v is missing")
        return data

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_json(cls, payload: bytes | str) -> Self:
        try:
            return cls.model_validate_json(payload, context=_WIRE)
        except ValidationError as exc:
            raise ProtocolError(f"invalid {cls.__name__}: {_short(exc)}") from None


class Command(_Payload):
    v: Version = PROTOCOL_VERSION
    id: CommandId
    action: Action
    reservation_id: Annotated[int, Field(ge=0)] | None
    issued_at: UtcTime
    expires_at: UtcTime


class Ack(_Payload):
    v: Version = PROTOCOL_VERSION
    id: CommandId
    ok: bool
    state: WireState
    error: AckError | None

    @model_validator(mode="after")
    def _error_iff_refused(self) -> Self:
        if self.ok == (self.error is not None):
            raise ValueError("error must be null when ok is true and set when ok is false")
        return self


class State(_Payload):
    v: Version = PROTOCOL_VERSION
    state: WireState
    car_present: bool
    battery: Annotated[int, Field(ge=0, le=100)]
    ts: UtcTime


def parse_availability(payload: bytes | str) -> Availability:
    text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
    try:
        return Availability(text)
    except ValueError:
        raise ProtocolError(f"availability must be 'online' or 'offline', got {text[:40]!r}") from None


def _short(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        where = ".".join(str(p) for p in err["loc"]) or "payload"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)


# --- topics ----------------------------------------------------------------------------------


def _check_prefix(prefix: str) -> str:
    if not prefix or prefix.startswith("/") or prefix.endswith("/") or any(c in prefix for c in "+#\0"):
        raise ValueError(f"invalid topic prefix {prefix!r}")
    return prefix


def check_blocker_id(blocker_id: str) -> str:
    if (
        not blocker_id
        or len(blocker_id) > MAX_BLOCKER_ID_LENGTH
        or any(c in blocker_id for c in "/+#\0")
        or blocker_id.strip() != blocker_id
    ):
        raise ProtocolError(f"invalid blocker id {blocker_id[:80]!r}")
    return blocker_id


def topic(prefix: str, blocker_id: str, kind: Kind) -> str:
    return f"{_check_prefix(prefix)}/blockers/{check_blocker_id(blocker_id)}/{kind.value}"


def command_topic(prefix: str, blocker_id: str) -> str:
    return topic(prefix, blocker_id, Kind.COMMAND)


def ack_topic(prefix: str, blocker_id: str) -> str:
    return topic(prefix, blocker_id, Kind.ACK)


def state_topic(prefix: str, blocker_id: str) -> str:
    return topic(prefix, blocker_id, Kind.STATE)


def availability_topic(prefix: str, blocker_id: str) -> str:
    return topic(prefix, blocker_id, Kind.AVAILABILITY)


def wildcard(prefix: str, kind: Kind) -> str:
    """The subscription for one kind of message from every blocker."""
    return f"{_check_prefix(prefix)}/blockers/+/{kind.value}"


def parse_topic(prefix: str, name: str) -> tuple[str, Kind]:
    """`{prefix}/blockers/{id}/{kind}` → (id, kind); anything else raises ProtocolError."""
    head = f"{_check_prefix(prefix)}/blockers/"
    if not name.startswith(head):
        raise ProtocolError(f"topic {name[:120]!r} is not below {head!r}")
    blocker_id, sep, last = name[len(head) :].partition("/")
    if not sep:
        raise ProtocolError(f"topic {name[:120]!r} has no message kind")
    try:
        kind = Kind(last)
    except ValueError:
        raise ProtocolError(f"unknown message kind in topic {name[:120]!r}") from None
    return check_blocker_id(blocker_id), kind


def new_command(
    *,
    command_id: str,
    action: Action | str,
    reservation_id: int | None,
    now: datetime,
    timeout: float,
) -> Command:
    """A command valid for `timeout` seconds. Times go out in whole seconds, so the expiry is
    rounded up: the device never refuses a command the server is still waiting for."""
    return Command(
        id=command_id,
        action=Action(action),
        reservation_id=reservation_id,
        issued_at=floor_second(now),
        expires_at=ceil_second(now + timedelta(seconds=max(timeout, 0.0))),
    )


Message = Command | Ack | State | Availability


def decode(kind: Kind, payload: bytes | str) -> Message:
    """The payload of a message of `kind`; raises ProtocolError."""
    if kind is Kind.ACK:
        return Ack.from_json(payload)
    if kind is Kind.STATE:
        return State.from_json(payload)
    if kind is Kind.AVAILABILITY:
        return parse_availability(payload)
    return Command.from_json(payload)


def encode(message: Message) -> bytes:
    if isinstance(message, Availability):
        return message.value.encode()
    return message.to_json()


__all__ = [
    "MAX_BLOCKER_ID_LENGTH",
    "PROTOCOL_VERSION",
    "Ack",
    "AckError",
    "Action",
    "Availability",
    "Command",
    "Kind",
    "Message",
    "ProtocolError",
    "State",
    "WireState",
    "ack_topic",
    "availability_topic",
    "ceil_second",
    "check_blocker_id",
    "command_topic",
    "decode",
    "encode",
    "floor_second",
    "format_utc",
    "new_command",
    "parse_availability",
    "parse_topic",
    "parse_utc",
    "state_topic",
    "topic",
    "wildcard",
]
