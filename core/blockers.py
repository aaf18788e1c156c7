"""Blockers as the domain sees them: the command port the MQTT link fills in, what a command
came to, and what makes a blocker fit for service (in Python and in SQL)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy import ColumnElement, or_

from core.models import Blocker, BlockerState

# Below this charge the blocker is reported unhealthy (admins alerted, spot off sale), while it
# still works: devices refuse to move only at their own, lower threshold.
LOW_BATTERY_PERCENT = 15
MAX_DEVICE_ID_LENGTH = 64  # blockers.id is VARCHAR(64)


def valid_device_id(device_id: str) -> bool:
    """Whether a blocker could have this id: it is a segment of its MQTT topics, so never empty,
    a topic separator or wildcard, NUL, or blanks around it. The same rule as
    hardware/protocol.py check_blocker_id (which stays free of the database layer); a test
    keeps the two in step."""
    return (
        bool(device_id)
        and len(device_id) <= MAX_DEVICE_ID_LENGTH
        and not any(c in device_id for c in "/+#\0")
        and device_id.strip() == device_id
    )


class CommandStatus(enum.StrEnum):
    OK = "ok"
    # The device refused; the ack's `error`.
    OBSTACLE = "obstacle"
    JAMMED = "jammed"
    EXPIRED = "expired"
    LOW_BATTERY = "low_battery"
    BUSY = "busy"
    # Decided by the server: the device was known to be offline (nothing sent), no ack came in
    # time (the device may or may not have acted), or there was no broker connection (nothing
    # sent).
    OFFLINE = "offline"
    TIMEOUT = "timeout"
    NOT_CONNECTED = "not_connected"


@dataclass(frozen=True, slots=True)
class CommandResult:
    status: CommandStatus
    blocker_id: str
    command_id: str | None = None  # None when nothing was published
    state: BlockerState | None = None  # the device's state in its ack
    elapsed: float = 0.0  # seconds from the call to the answer

    @property
    def ok(self) -> bool:
        return self.status is CommandStatus.OK


@dataclass(frozen=True, slots=True)
class AckConflict:
    """A command answered twice, differently: one answer was forged or the device contradicts
    itself. The failure is believed (`trusted`)."""

    blocker_id: str
    command_id: str
    action: Literal["lower", "raise"]
    reservation_id: int | None
    first: CommandStatus
    second: CommandStatus

    @property
    def trusted(self) -> CommandStatus:
        return self.second if self.second is not CommandStatus.OK else self.first


def health_problems(
    *, online: bool, state: BlockerState, battery: int | None, low_battery: int = LOW_BATTERY_PERCENT
) -> list[str]:
    """Why a blocker cannot serve drivers now; empty when it can. `unknown` and `moving` are not
    problems: a new device has not reported yet, a moving one is working."""
    problems = []
    if not online:
        problems.append("offline")
    if state is BlockerState.FAULT:
        problems.append("fault")
    if battery is not None and battery < low_battery:
        problems.append(f"battery {battery}% (below {low_battery}%)")
    return problems


def blocker_unhealthy() -> ColumnElement[bool]:
    """SQL twin of health_problems(): a spot whose blocker matches is off sale."""
    return or_(
        Blocker.online.is_(False),
        Blocker.state == BlockerState.FAULT,
        Blocker.battery < LOW_BATTERY_PERCENT,
    )


class BlockerCommands(Protocol):
    """The port: lowers or raises a spot's blocker and says how it went."""

    async def command(
        self, blocker_id: str, action: Literal["lower", "raise"], reservation_id: int | None = None
    ) -> CommandResult: ...


class BlockerPresence(Protocol):
    """The port: whether a device is connected, as the MQTT link last heard on its
    `availability` topic (any device id, registered or not): True online, False offline (its
    Last Will), None nothing heard since the link (re)connected."""

    def availability(self, blocker_id: str) -> bool | None: ...
