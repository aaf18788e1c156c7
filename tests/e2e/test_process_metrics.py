"""`python main.py run` configured by the environment alone, as one of several webhook
processes: LOG_FORMAT=json makes every line it writes a JSON object, PROCESS_NAME labels its
metrics, and its /metrics counts the updates it handled."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import sys
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from core.config import Settings
from demo.botapi import DEFAULT_TOKEN, TelegramFake
from tests.e2e.conftest import free_port
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]


async def test_a_webhook_process_logs_json_and_labels_its_metrics(
    tmp_path: Path, sqlite_template: Path
) -> None:
    db_path = tmp_path / "process.db"
    shutil.copy(sqlite_template, db_path)
    port = free_port()
    ours = {name.upper() for name in Settings.model_fields} | {"WEBHOOK_SECRET"}
    async with TelegramFake() as tg:
        env = {
            **{k: v for k, v in os.environ.items() if k.upper() not in ours},
            "BOT_TOKEN": DEFAULT_TOKEN,
            "TELEGRAM_API_BASE": tg.base_url,
            "BOT_MODE": "webhook",
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_PORT": str(port),
            "DATABASE_URL": f"sqlite+aiosqlite:///{db_path}",
            "MQTT_URL": "",
            "LOG_FORMAT": "json",
            "PROCESS_NAME": "web-7",
        }
        log_path = tmp_path / "service.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, str(ROOT / "main.py"), "run", cwd=tmp_path, env=env, stdout=log, stderr=log
            )
            try:
                # A loaded machine starts Python, aiogram and Alembic slowly.
                await eventually(lambda: tg.webhook_url is not None, within=60, what="the webhook set")
                user = tg.user(7501, "Marta")
                await user.send_command("/start")
                await user.wait_for_message(lambda m: bool(m.buttons()), timeout=10)
                async with aiohttp.ClientSession() as http:

                    async def scraped() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
                        async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
                            body = await r.text()
                        return {
                            (s.name, tuple(sorted(s.labels.items()))): s.value
                            for family in text_string_to_metric_families(body)
                            for s in family.samples
                        }

                    handled = (
                        "parking_updates_handled_total",
                        (("outcome", "handled"), ("process", "web-7"), ("type", "message")),
                    )

                    async def counted() -> bool:
                        return (await scraped()).get(handled, 0) >= 1

                    await eventually(counted, within=10, what="the update counted under web-7")
            finally:
                process.send_signal(signal.SIGTERM)
                async with asyncio.timeout(30):
                    await process.wait()
    assert process.returncode == 0
    text = log_path.read_text()
    lines = [json.loads(line) for line in text.splitlines()]  # every line is a JSON object
    assert {"message": f"webhook set to http://127.0.0.1:{port}/telegram/webhook"}.items() <= next(
        line for line in lines if line["message"].startswith("webhook set")
    ).items()
    assert all(line["level"] in ("DEBUG", "INFO", "WARNING") for line in lines), lines
    assert DEFAULT_TOKEN not in text and DEFAULT_TOKEN.split(":")[1] not in text
