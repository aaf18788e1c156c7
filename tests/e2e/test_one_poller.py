"""Polling mode allows one process per bot (DESIGN.md §13). A second `python main.py run`
polling with the same token against a Bot API that behaves as Telegram does (a newer
getUpdates ends the older one with 409 Conflict) stops with one line naming the cause and a
non-zero exit; the process that was polling first keeps answering."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

from bot.polling import ANOTHER_POLLER, PollingGuard
from core.config import Settings
from demo.botapi import DEFAULT_TOKEN, TelegramFake
from demo.stripe import StripeFake
from service import App
from tests.e2e.conftest import STRIPE_SECRET, free_port, settings_for

ROOT = Path(__file__).resolve().parents[2]


def _environment(tg: TelegramFake, db_path: Path) -> dict[str, str]:
    # Only what is set here configures the second process (nothing of the machine's own).
    ours = {name.upper() for name in Settings.model_fields} | {"WEBHOOK_SECRET"}
    inherited = {k: v for k, v in os.environ.items() if k.upper() not in ours}
    return {
        **inherited,
        "BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_BASE": tg.base_url,
        "BOT_MODE": "polling",
        "DATABASE_URL": f"sqlite+aiosqlite:///{db_path}",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(free_port()),
        "MQTT_URL": "",
    }


async def test_a_second_poller_refuses_to_run_and_the_first_keeps_answering(
    tmp_path: Path, sqlite_template: Path
) -> None:
    db_path = tmp_path / "poll.db"
    shutil.copy(sqlite_template, db_path)
    async with TelegramFake() as tg, StripeFake(webhook_secret=STRIPE_SECRET) as stripe:
        first = App(
            settings_for(tg, stripe, db_path),
            # Polling for 0.2 s makes it the established poller (10 s in production).
            polling_guard=PollingGuard(newcomer_seconds=0.2, retry_seconds=0.2),
        )
        await first.start()
        try:
            await asyncio.sleep(0.3)
            second = await asyncio.create_subprocess_exec(
                sys.executable,
                str(ROOT / "main.py"),
                "run",
                cwd=tmp_path,
                env=_environment(tg, db_path),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            async with asyncio.timeout(60):  # a loaded machine starts Python and aiogram slowly
                out, err = await second.communicate()
            assert second.returncode == 1
            lines = err.decode().strip().splitlines()
            assert lines[-1] == f"stopped: {ANOTHER_POLLER}"
            assert "webhook" in lines[-1]  # the way to run several processes
            # One line about it: none of aiogram's retry lines, no token.
            assert not any(
                "Failed to fetch updates" in line or "TelegramConflictError" in line for line in lines
            )
            assert DEFAULT_TOKEN not in err.decode() + out.decode()
            assert not first.polling_guard.refused.is_set()

            user = tg.user(7301, "Ostap")
            await user.send_command("/start")
            menu = await user.wait_for_message(lambda m: bool(m.buttons()), timeout=10)
            assert menu.buttons()
        finally:
            await first.stop()
        assert tg.violations == []
