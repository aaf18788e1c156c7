"""The demo clock: real time plus an offset the chat page moves forward (time travel)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class DemoClock:
    """A `core.clock.Clock` that runs with the wall clock and can jump ahead, never back."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> datetime:
        if delta <= timedelta():
            raise ValueError("the demo clock only moves forward")
        self.offset += delta
        return self.now()
