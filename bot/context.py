"""What handlers and dialogs get from the wiring in main.py (aiogram workflow data)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.geocoding import Geocoder
from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.usecases.admin import AdminUseCases
from core.usecases.admin_prices import AdminPriceUseCases
from core.usecases.arrival import ArrivalUseCases
from core.usecases.attendance import AttendanceUseCases
from core.usecases.blockers_admin import BlockerAdminUseCases
from core.usecases.booking import BookingUseCases
from core.usecases.payments import PaymentUseCases
from core.usecases.premises_admin import PremiseAdminUseCases
from core.usecases.pricing import PricingUseCases
from core.usecases.search import SearchUseCases
from core.usecases.spots import SpotUseCases
from core.usecases.users import Caller, UserUseCases
from core.usecases.wallet import WalletUseCases

# The user behind the current update (a use case builds it); handlers get it as `caller`.
__all__ = ["Caller", "Services"]


@dataclass(frozen=True, slots=True)
class Services:
    db: Database
    clock: Clock
    settings: Settings
    payments: PaymentUseCases | None  # None when Stripe is not configured
    geocoder: Geocoder | None
    arrival: ArrivalUseCases | None = None  # None when MQTT (blockers) is not configured
    # The use cases handlers call (core/usecases), built from the fields above.
    admin: AdminUseCases = field(init=False)  # the operator console (DESIGN.md §11)
    admin_prices: AdminPriceUseCases = field(init=False)  # its Prices section
    spots: SpotUseCases = field(init=False)  # the console's Spots section
    blockers_admin: BlockerAdminUseCases = field(init=False)  # its Blockers section
    premises_admin: PremiseAdminUseCases = field(init=False)  # its Premises section
    booking: BookingUseCases = field(init=False)
    search: SearchUseCases = field(init=False)
    users: UserUseCases = field(init=False)
    wallet: WalletUseCases = field(init=False)  # always: the wallet pays without Stripe
    pricing: PricingUseCases = field(init=False)
    attendance: AttendanceUseCases = field(init=False)  # "Still coming?" answers (no-show release)

    def __post_init__(self) -> None:
        # Frozen: the use cases are set once, here.
        refund_cards = self.payments.process_refunds if self.payments is not None else None
        object.__setattr__(
            self, "booking", BookingUseCases(self.db, self.clock, self.settings, refund_cards=refund_cards)
        )
        object.__setattr__(self, "search", SearchUseCases(self.db, self.clock, self.settings))
        object.__setattr__(self, "admin", AdminUseCases(self.db, self.clock, self.settings))
        object.__setattr__(self, "admin_prices", AdminPriceUseCases(self.admin))
        object.__setattr__(
            self, "spots", SpotUseCases(self.db, self.clock, self.settings, refund_cards=refund_cards)
        )
        commands = self.arrival.blockers if self.arrival is not None else None
        object.__setattr__(
            self,
            "blockers_admin",
            BlockerAdminUseCases(self.db, self.clock, self.settings, commands=commands),
        )
        object.__setattr__(
            self,
            "premises_admin",
            PremiseAdminUseCases(self.db, self.clock, self.settings, refund_cards=refund_cards),
        )
        object.__setattr__(self, "users", UserUseCases(self.db, self.clock, self.settings))
        object.__setattr__(self, "wallet", WalletUseCases(self.db, self.clock, self.settings))
        object.__setattr__(self, "pricing", PricingUseCases(self.db, self.clock))
        object.__setattr__(self, "attendance", AttendanceUseCases(self.db, self.clock))
