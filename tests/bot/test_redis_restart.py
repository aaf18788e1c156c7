"""The FSM storage and the event isolation on a Redis that restarts (issue 17's Redis fault):
the pooled connections died with the server, and the next update's commands must still go
through, on new connections, instead of failing once per pooled connection."""

from __future__ import annotations

import logging
import shutil

import pytest
from aiogram.fsm.storage.base import StorageKey

from bot.runtime import create_storage
from tests.faults import private_redis
from tests.services import unavailable


async def test_dialog_storage_and_locks_work_at_once_after_redis_restarted_empty(
    caplog: pytest.LogCaptureFixture,
) -> None:
    if shutil.which("redis-server") is None:
        unavailable("redis-server is not installed (Debian: redis-server)")
    async with private_redis() as server:
        storage, isolation = create_storage(f"redis://127.0.0.1:{server.port}/0")
        key = StorageKey(bot_id=1, chat_id=42, user_id=42)
        try:
            await storage.set_state(key, "FindSG:premise")
            async with isolation.lock(key):
                pass
            await server.restart()  # no persistence: what it held is gone
            assert await storage.get_state(key) is None  # no ConnectionError: a new connection
            async with isolation.lock(key):
                await storage.set_state(key, "MenuSG:main")
            assert await storage.get_state(key) == "MenuSG:main"
            # Redis restarting while an update holds the chat's lock: the update still ends well
            # (it raised LockNotOwnedError at release and failed once).
            async with isolation.lock(key):
                await server.restart()
                await storage.set_state(key, "MenuSG:after")
            assert await storage.get_state(key) == "MenuSG:after"
            released = [r for r in caplog.records if r.levelno == logging.WARNING]
            assert [r.getMessage() for r in released] == [
                "Lock was unlocked or no longer owned when exiting context manager."
            ]
        finally:
            await isolation.close()
            await storage.close()
