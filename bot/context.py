"""What handlers and dialogs get from the wiring in main.py (aiogram workflow data)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.geocoding import Geocoder
from core.blockers import BlockerPresence
from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.usecases.admin import AdminUseCases
from core.usecases.admin_bookings import BookingAdminUseCases
from core.usecases.admin_prices import AdminPriceUseCases
from core.usecases.arrival import ArrivalUseCases
from core.usecases.attendance import AttendanceUseCases
from core.usecases.blocked_bay import BlockedBayUseCases
from core.usecases.blockers_admin import BlockerAdminUseCases
from core.usecases.booking import BookingUseCases
from core.usecases.calendar import CalendarUseCases
from core.usecases.guests import GuestUseCases
from core.usecases.incidents import IncidentUseCases
from core.usecases.occupancy import OccupancyUseCases
from core.usecases.operator_admin import OperatorAdminUseCases
from core.usecases.payments import PaymentUseCases
from core.usecases.premises_admin import PremiseAdminUseCases
from core.usecases.pricing import PricingUseCases
from core.usecases.rebook import RebookUseCases
from core.usecases.receipts import ReceiptUseCases
from core.usecases.revenue import RevenueUseCases
from core.usecases.review_moderation import ReviewModerationUseCases
from core.usecases.reviews import ReviewUseCases
from core.usecases.search import SearchUseCases
from core.usecases.spots import SpotUseCases
from core.usecases.users import Caller, UserUseCases
from core.usecases.vehicles import VehicleUseCases
from core.usecases.waitlist import WaitlistUseCases
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
    presence: BlockerPresence | None = None  # the MQTT link, when configured
    # The use cases handlers call (core/usecases), built from the fields above.
    admin: AdminUseCases = field(init=False)  # the operator console (DESIGN.md §11)
    admin_prices: AdminPriceUseCases = field(init=False)  # its Prices section
    spots: SpotUseCases = field(init=False)  # the console's Spots section
    blockers_admin: BlockerAdminUseCases = field(init=False)  # its Blockers section
    premises_admin: PremiseAdminUseCases = field(init=False)  # its Premises section
    admin_bookings: BookingAdminUseCases = field(init=False)  # its Bookings section
    occupancy: OccupancyUseCases = field(init=False)  # its Now screen
    revenue: RevenueUseCases = field(init=False)  # its Revenue screen
    incidents: IncidentUseCases = field(init=False)  # blocker incidents' alert buttons
    review_moderation: ReviewModerationUseCases = field(init=False)  # its review moderation
    operator_admin: OperatorAdminUseCases = field(init=False)  # its Operator & VAT section
    booking: BookingUseCases = field(init=False)
    search: SearchUseCases = field(init=False)
    users: UserUseCases = field(init=False)
    wallet: WalletUseCases = field(init=False)  # always: the wallet pays without Stripe
    pricing: PricingUseCases = field(init=False)
    reviews: ReviewUseCases = field(init=False)  # a driver's reviews of their stays
    rebook: RebookUseCases = field(init=False)  # book again, favourites
    calendar: CalendarUseCases = field(init=False)  # a booking as an .ics file
    receipts: ReceiptUseCases = field(init=False)
    vehicles: VehicleUseCases = field(init=False)
    attendance: AttendanceUseCases = field(init=False)  # "Still coming?" answers (no-show release)
    guests: GuestUseCases = field(init=False)  # guest passes (issue 16)
    waitlist: WaitlistUseCases = field(init=False)  # "tell me when a spot frees up"
    blocked_bay: BlockedBayUseCases = field(init=False)  # "Move me" / "Refund me" on a blocked bay

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
            BlockerAdminUseCases(
                self.db, self.clock, self.settings, commands=commands, presence=self.presence
            ),
        )
        object.__setattr__(
            self,
            "premises_admin",
            PremiseAdminUseCases(self.db, self.clock, self.settings, refund_cards=refund_cards),
        )
        bookings_admin = BookingAdminUseCases(
            self.db,
            self.clock,
            self.settings,
            provider=self.payments.provider if self.payments is not None else None,
            refund_cards=refund_cards,
        )
        if self.payments is not None and not self.payments.retry_refunds:
            self.payments.retry_refunds.append(bookings_admin.retry_pending_refunds)
        object.__setattr__(self, "admin_bookings", bookings_admin)
        object.__setattr__(self, "occupancy", OccupancyUseCases(self.db, self.clock, self.settings))
        object.__setattr__(self, "revenue", RevenueUseCases(self.db, self.clock, self.settings))
        object.__setattr__(
            self,
            "incidents",
            IncidentUseCases(
                self.db,
                self.clock,
                self.settings,
                blockers_admin=self.blockers_admin,
                refund_cards=refund_cards,
            ),
        )
        object.__setattr__(
            self, "review_moderation", ReviewModerationUseCases(self.db, self.clock, self.settings)
        )
        object.__setattr__(self, "users", UserUseCases(self.db, self.clock, self.settings))
        object.__setattr__(self, "wallet", WalletUseCases(self.db, self.clock, self.settings))
        object.__setattr__(self, "pricing", PricingUseCases(self.db, self.clock))
        object.__setattr__(self, "reviews", ReviewUseCases(self.db, self.clock))
        object.__setattr__(self, "rebook", RebookUseCases(self.db, self.clock))
        object.__setattr__(self, "calendar", CalendarUseCases(self.db, self.clock, self.settings))
        object.__setattr__(self, "operator_admin", OperatorAdminUseCases(self.db, self.clock, self.settings))
        object.__setattr__(self, "receipts", ReceiptUseCases(self.db, self.clock, self.settings))
        object.__setattr__(self, "guests", GuestUseCases(self.db, self.clock))
        object.__setattr__(self, "waitlist", WaitlistUseCases(self.db, self.clock, self.settings))
        object.__setattr__(self, "vehicles", VehicleUseCases(self.db, self.clock))
        object.__setattr__(self, "attendance", AttendanceUseCases(self.db, self.clock))
        object.__setattr__(
            self,
            "blocked_bay",
            BlockedBayUseCases(
                self.db,
                self.clock,
                early_minutes=self.settings.early_arrival_minutes,
                refund_cards=refund_cards,
            ),
        )
