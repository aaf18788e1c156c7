"""What handlers and dialogs get from the wiring in main.py (aiogram workflow data)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.geocoding import Geocoder
from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.usecases.arrival import ArrivalUseCases
from core.usecases.booking import BookingUseCases
from core.usecases.users import UserUseCases
from payments.service import PaymentService


@dataclass(frozen=True, slots=True)
class Services:
    db: Database
    clock: Clock
    settings: Settings
    payments: PaymentService | None  # None when Stripe is not configured
    geocoder: Geocoder | None
    arrival: ArrivalUseCases | None = None  # None when MQTT (blockers) is not configured
    # The use cases handlers call (core/usecases), built from the fields above.
    booking: BookingUseCases = field(init=False)
    users: UserUseCases = field(init=False)

    def __post_init__(self) -> None:
        # Frozen: the use cases are set once, here.
        refund_cards = self.payments.process_refunds if self.payments is not None else None
        object.__setattr__(
            self, "booking", BookingUseCases(self.db, self.clock, self.settings, refund_cards=refund_cards)
        )
        object.__setattr__(self, "users", UserUseCases(self.db, self.clock, self.settings))


@dataclass(frozen=True, slots=True)
class Caller:
    """The user behind the current update, as stored in our database."""

    user_id: int
    telegram_id: int
    lang: str
    name: str
    is_admin: bool
