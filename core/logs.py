"""Quiet logs by default: one line per thing that happened, nothing per tick or per update."""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO


class _DemoteToDebug(logging.Filter):
    """Turns a library's INFO records into DEBUG ones, shown only when DEBUG is on."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self._logger = logger

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
            return self._logger.isEnabledFor(logging.DEBUG)
        return True


def demote_info_to_debug(*names: str) -> None:
    """Libraries that log routine events at INFO (APScheduler: two lines per job run; aiogram:
    one per update) are demoted: their warnings and errors still show. A logger's filters do
    not see its children's records, so name each logger that emits them. Idempotent."""
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DemoteToDebug) for f in logger.filters):
            logger.addFilter(_DemoteToDebug(logger))


# --- what is being handled: set by the update loop (bot/metrics.py) ------------------------

# The Telegram update being handled and its sender, on every line logged meanwhile (tasks
# started while handling inherit them).
update_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("update_id", default=None)
user_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("user_id", default=None)

REDACTED = "<redacted>"
# Shorter values (a test database's password "test") would blank out ordinary words.
_MIN_SECRET = 6


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class TextFormatter(logging.Formatter):
    """`LOG_FORMAT=text`: the usual one line, with the update's ids when there are some and
    every configured secret replaced (a library's message or a traceback may quote a URL
    with the bot token in its path, or a connection string)."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        update, user = update_id.get(), user_id.get()
        if update is not None:
            first, nl, rest = line.partition("\n")
            ids = f" [update {update}" + (f" user {user}]" if user is not None else "]")
            line = first + ids + nl + rest
        return _redact(line, self.secrets)


class JsonFormatter(logging.Formatter):
    """`LOG_FORMAT=json`: one JSON object a line for log shippers: ts (UTC, ISO 8601), level,
    logger, message, update_id and user_id while an update is handled, exc_info as text;
    secrets replaced as in text."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = secrets

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _redact(record.getMessage(), self.secrets),
        }
        update, user = update_id.get(), user_id.get()
        if update is not None:
            entry["update_id"] = update
        if user is not None:
            entry["user_id"] = user
        if record.exc_info:
            entry["exc_info"] = _redact(self.formatException(record.exc_info), self.secrets)
        if record.stack_info:
            entry["stack_info"] = _redact(self.formatStack(record.stack_info), self.secrets)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(
    log_format: str = "text",
    *,
    secrets: Iterable[str] = (),
    level: int = logging.INFO,
    stream: TextIO | None = None,
) -> None:
    """The root logger's one handler (`stream`, default stderr), in `log_format` ("text" or
    "json"); `secrets` are never written. Called again, it replaces the handler (main()
    configures text first, then the format the settings ask for)."""
    kept = tuple(sorted({s for s in secrets if len(s) >= _MIN_SECRET}, key=len, reverse=True))
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(kept) if log_format == "json" else TextFormatter(kept))
    logging.basicConfig(level=level, handlers=[handler], force=True)
