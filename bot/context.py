"""What handlers and dialogs get from the wiring in main.py (aiogram workflow data)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.geocoding import Geocoder
from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.services.arrival import ArrivalService
from payments.service import PaymentService


@dataclass(frozen=True, slots=True)
class Services:
    db: Database
    clock: Clock
    settings: Settings
    payments: PaymentService | None  # None when Stripe is not configured
    geocoder: Geocoder | None
    arrival: ArrivalService | None = None  # None when MQTT (blockers) is not configured


@dataclass(frozen=True, slots=True)
class Caller:
    """The user behind the current update, as stored in our database."""

    user_id: int
    telegram_id: int
    lang: str
    name: str
    is_admin: bool
