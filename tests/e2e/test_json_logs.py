"""`LOG_FORMAT=json`: one JSON object a line for a log shipper, each line logged while an
update is handled carrying its update id and user id, and no secret on any line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.logs import REDACTED, configure_logging
from demo.botapi import DEFAULT_TOKEN
from tests.e2e.conftest import STRIPE_SECRET, start_stack
from tests.waiting import eventually


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """What the service writes to stderr; the root logger is put back afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    try:
        yield stream
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


async def test_json_lines_carry_the_update_and_its_user_and_no_secret(
    tmp_path: Path, sqlite_template: Path, log_stream: io.StringIO
) -> None:
    async for e2e in start_stack(tmp_path, sqlite_template):
        settings = e2e.app.settings
        configure_logging("json", secrets=settings.secret_values(), stream=log_stream)
        user = e2e.tg.user(7201, "Iryna")
        # The bot's answer to /start fails once: the error handler logs it, then apologises.
        e2e.tg.fail_next("sendMessage", 400, "Bad Request: chat not found")
        await user.send_command("/start")
        await user.wait_for_message()
        await eventually(lambda: "failed" in log_stream.getvalue(), what="the failure logged")
        # A library quoting a request URL (which holds the token) and a connection string.
        logging.getLogger("aiohttp.client").warning(
            "request to %s/bot%s/getMe failed; webhook secret %s, stripe %s",
            settings.telegram_api_base,
            DEFAULT_TOKEN,
            settings.webhook_secret,
            STRIPE_SECRET,
        )

    text = log_stream.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    assert lines and all({"ts", "level", "logger", "message"} <= line.keys() for line in lines)
    failed = next(line for line in lines if line["message"].startswith("update "))
    assert failed["level"] == "ERROR" and failed["logger"] == "bot.handlers"
    assert failed["message"] == f"update {failed['update_id']} failed"
    assert failed["user_id"] == 7201
    assert "TelegramBadRequest" in failed["exc_info"]
    assert failed["ts"].endswith("+00:00")
    quoted = next(line for line in lines if line["logger"] == "aiohttp.client")
    assert "update_id" not in quoted and "user_id" not in quoted  # logged outside any update
    assert quoted["message"].count(REDACTED) == 3
    for secret in (
        DEFAULT_TOKEN,
        DEFAULT_TOKEN.split(":")[1],
        settings.webhook_secret,
        STRIPE_SECRET,
        "sk_test_e2e",
    ):
        assert secret not in text


def test_text_lines_name_the_update_too(log_stream: io.StringIO) -> None:
    from core import logs

    configure_logging("text", secrets=["123456:secret-token"], stream=log_stream)
    update, user = logs.update_id.set(41), logs.user_id.set(7)
    try:
        logging.getLogger("parking").warning("calling /bot123456:secret-token/getMe")
    finally:
        logs.user_id.reset(user)
        logs.update_id.reset(update)
    logging.getLogger("parking").warning("between updates")
    first, second = log_stream.getvalue().splitlines()
    assert first.endswith("WARNING parking: calling /bot<redacted>/getMe [update 41 user 7]")
    assert second.endswith("WARNING parking: between updates")
