"""Quiet logs by default: one line per thing that happened, nothing per tick or per update."""

from __future__ import annotations

import logging


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
