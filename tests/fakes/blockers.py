"""An in-process fake of the blocker command port (`core.blockers.BlockerCommands`), for use
case tests: it answers at once, as scripted, and records what it was asked."""

from __future__ import annotations

import uuid
from typing import Literal

from core.blockers import CommandResult, CommandStatus
from core.models import BlockerState

# Answers decided by the server: nothing reached a device, so there is no command id.
_NOT_SENT = (CommandStatus.OFFLINE, CommandStatus.NOT_CONNECTED)


class FakeBlockers:
    """Every command is answered with the next of `answers` (then `ok`). An `ok` ack carries the
    state the action leads to, as a device's does."""

    def __init__(self, *answers: CommandStatus) -> None:
        self.answers = list(answers)
        self.sent: list[tuple[str, Literal["lower", "raise"], int | None]] = []

    async def command(
        self, blocker_id: str, action: Literal["lower", "raise"], reservation_id: int | None = None
    ) -> CommandResult:
        self.sent.append((blocker_id, action, reservation_id))
        status = self.answers.pop(0) if self.answers else CommandStatus.OK
        state = None
        if status is CommandStatus.OK:
            state = BlockerState.LOWERED if action == "lower" else BlockerState.RAISED
        return CommandResult(
            status,
            blocker_id,
            command_id=None if status in _NOT_SENT else str(uuid.uuid4()),
            state=state,
        )
