"""What the driver reads after asking to lower the blocker."""

from __future__ import annotations

from bot import format as fmt
from bot.i18n import Raw, tr
from core.services.arrival import Arrival, LowerRefused


def outcome_text(lang: str, arrival: Arrival, tz: str) -> Raw:
    if arrival.refused is not None:
        if arrival.opens_at is not None:
            return tr(lang, "lower.too_early", time=fmt.clock_time(arrival.opens_at, tz))
        return tr(lang, f"lower.{arrival.refused.value}")
    assert arrival.result is not None
    return tr(lang, f"lower.{arrival.result.status.value}")


def worth_retrying(arrival: Arrival) -> bool:
    """Whether a "try again" button makes sense (not for a lowered blocker or a closed booking)."""
    if arrival.ok:
        return False
    return arrival.refused is None or arrival.refused.value in ("too_early", "blocker_down")


def quiet_refusal(arrival: Arrival) -> bool:
    """A repeated tap while the blocker is going down, or once it is down: a short answer to the
    tap, no new message (the first tap's message tells the outcome)."""
    return arrival.refused in (LowerRefused.IN_PROGRESS, LowerRefused.ALREADY_DOWN)
