"""Waiting for a condition instead of sleeping a fixed time: a test must not depend on how fast
the machine is this minute (a loaded CI box is slower than a laptop)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


async def eventually(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool], within: float = 5.0, what: str = "condition"
) -> None:
    """Polls until `check` is true; fails the test after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {within}s")
        await asyncio.sleep(0.02)
