"""What the driver reads after asking to lower the blocker."""

from __future__ import annotations

from bot import format as fmt
from bot.i18n import Raw, tr
from core.usecases.arrival import Arrival


def outcome_text(lang: str, arrival: Arrival, tz: str | None = None) -> Raw:
    """The outcome in the driver's words; times in `tz`, by default the premise's."""
    tz = tz or arrival.timezone
    if arrival.refused is not None:
        if arrival.opens_at is not None:
            return tr(lang, "lower.too_early", time=fmt.clock_time(arrival.opens_at, tz))
        return tr(lang, f"lower.{arrival.refused.value}")
    assert arrival.result is not None
    return tr(lang, f"lower.{arrival.result.status.value}")
