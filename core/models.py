"""SQLAlchemy 2 models: the tables of DESIGN.md §5 (a contract: operators query them).

Money columns are integer minor units beside a currency; every timestamp is UTC.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates
from sqlalchemy.types import TypeDecorator

from core import opening_hours, premise_codes
from core.pricing import RatePlan, plan_from_fields

NAMING = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend. SQLite has no time zone type, so values are
    stored there as naive UTC and made aware again on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as VARCHAR + CHECK (not a native PG enum) so adding a value is a plain migration.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class ReservationStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    ACTIVE = "active"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


# Reservations in these states hold their spot; the exclusion constraint is limited to them.
HOLDING_STATUSES = (
    ReservationStatus.PENDING_PAYMENT,
    ReservationStatus.CONFIRMED,
    ReservationStatus.ACTIVE,
)


class PaymentMethodKind(enum.StrEnum):
    CARD = "card"
    WALLET = "wallet"


class PaymentPurpose(enum.StrEnum):
    BOOKING = "booking"
    EXTENSION = "extension"
    TOPUP = "topup"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REFUND_PENDING = "refund_pending"  # owed to a card; the payments adapter carries it out
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"
    # The provider charged another amount or currency than asked: never settled, refunded in
    # full (refunded_amount says when that is done), and an operator has to look.
    NEEDS_REVIEW = "needs_review"


class RefundStatus(enum.StrEnum):
    PENDING = "pending"  # reserved; a card refund not yet confirmed by the provider
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WalletTxKind(enum.StrEnum):
    DEPOSIT = "deposit"
    PAYMENT = "payment"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"


class ExtensionStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    APPLIED = "applied"
    FAILED = "failed"


class NotificationStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Channel(enum.StrEnum):
    TELEGRAM = "telegram"
    SMS = "sms"


class BlockerState(enum.StrEnum):
    UNKNOWN = "unknown"
    RAISED = "raised"
    LOWERED = "lowered"
    MOVING = "moving"
    FAULT = "fault"


class StaffRole(enum.StrEnum):
    """A premise's staff (DESIGN.md §11); owners are users.is_admin, not a staff role."""

    MANAGER = "manager"
    ATTENDANT = "attendant"


class AuditOutcome(enum.StrEnum):
    OK = "ok"
    REFUSED = "refused"


class IncidentKind(enum.StrEnum):
    """What went wrong with a blocker (`blocker_incidents.kind`). A jammed ack and the `fault`
    state the device reports with it are one kind: one incident, one alert."""

    OFFLINE = "offline"
    FAULT = "fault"  # a `fault` state, or an ack refusing with `jammed`
    LOW_BATTERY = "low_battery"
    LOWER_FAILED = "lower_failed"  # a driver's lowering refused (obstacle) or unanswered


class ReviewStatus(enum.StrEnum):
    """Moderation of a review; `reviews.is_approved` follows it (approved = published)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}  # noqa: RUF012


def _now() -> datetime:
    return datetime.now(UTC)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)  # E.164
    # When the user tapped "Skip" on the phone request: they are not asked again.
    phone_skipped_at: Mapped[datetime | None] = mapped_column(default=None)
    # When /start sent the full welcome: a returning user is greeted in one line.
    welcomed_at: Mapped[datetime | None] = mapped_column(default=None)
    name: Mapped[str] = mapped_column(String(128), default="")
    language: Mapped[str] = mapped_column(String(8), default="en")
    # An owner (DESIGN.md §11): in ADMIN_IDS, or added by `python main.py admin add`.
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set by `admin add`, cleared by `admin remove`: keeps is_admin on when ADMIN_IDS does not
    # list the user (ADMIN_IDS owners are owners whatever this says).
    admin_added_at: Mapped[datetime | None] = mapped_column()
    sms_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    # Where the driver last searched: `/find` offers it again (migration 0010).
    last_lat: Mapped[float | None] = mapped_column(Float)
    last_lon: Mapped[float | None] = mapped_column(Float)
    last_place: Mapped[str] = mapped_column(String(200), default="", server_default="")
    last_location_at: Mapped[datetime | None] = mapped_column()


# A premise as a point on the unit sphere (a `cube`): the chord between two such points grows
# with the great-circle distance, so PostgreSQL's GiST k-NN order (`<->`) is nearest first. The
# search must use this very text, or the planner does not match the index (migration 0006).
UNIT_SPHERE_SQL = (
    "cube(ARRAY[cos(radians(lat)) * cos(radians(lon)), cos(radians(lat)) * sin(radians(lon)), "
    "sin(radians(lat))])"
)


class Premise(Base):
    __tablename__ = "premises"
    __table_args__ = (
        # The nearby search's k-nearest-neighbour index on PostgreSQL (cube, GiST); the text is
        # UNIT_SPHERE_SQL. SQLite's counterpart is the R*Tree virtual table
        # premises_rtree with its triggers (migration 0006), which a model cannot describe.
        Index(
            "ix_premises_unit_sphere",
            text(UNIT_SPHERE_SQL),
            postgresql_using="gist",
        ).ddl_if(dialect="postgresql"),
        CheckConstraint("price_per_hour >= 0", name="price_not_negative"),
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coords"),
        Index("ux_premises_code", "code", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    price_per_hour: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    features: Mapped[list[str]] = mapped_column(default=list)
    photos: Mapped[list[str]] = mapped_column(default=list)
    description: Mapped[str] = mapped_column(Text, default="")
    opening_hours: Mapped[str] = mapped_column(String(200), default="24/7")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Billing follows the car (migration 0022): the unused whole 15-minute steps of a booking
    # the car left early go back to the wallet (on by default); a booking released as a no-show
    # gets its released time back (off by default: the time was kept for the driver).
    refund_unused: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    refund_no_show: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Blocked bay (migration 0024): what a driver moved off a blocked bay gets in the wallet, in
    # minor units; None = one hour of the booking's own rate plan (follows price changes), 0 = off.
    blocked_bay_credit: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    # The SMS channel's short code (core/premise_codes.py); nullable only in the schema
    # (migration 0014): every insert gets one from the listener below.
    code: Mapped[str | None] = mapped_column(String(6))
    # Who sells the parking here, as receipts name them (migration 0020): the legal
    # name, registered address and VAT number of the operator, and the VAT rate in basis points
    # (2000 = 20 %; 0 allowed) included in this premise's prices. Premises with the same VAT
    # number are one operator and share one receipt numbering (core/services/receipts.py).
    operator_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    operator_address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    vat_number: Mapped[str] = mapped_column(String(32), default="", server_default="")
    vat_rate_bp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    spots: Mapped[list[Spot]] = relationship(back_populates="premise", order_by="Spot.label")

    @validates("opening_hours")
    def _readable_hours(self, _key: str, value: str) -> str:
        # Hours the booking rule cannot read would close the premise: refuse them when written.
        return opening_hours.validate(value)


@event.listens_for(Premise, "before_insert")
def _give_code(_mapper: Any, connection: Connection, premise: Premise) -> None:
    if premise.code is None:
        used = connection.scalars(select(Premise.code).where(Premise.code.is_not(None)))
        premise.code = premise_codes.pick([code for code in used if code])


class RatePlanVersion(Base):
    """One version of a premise's rate plan (core/pricing.py). Versions are never changed: a
    new price is a new version, and a booking keeps the version it was priced with
    (`reservations.rate_plan_id`). The version in force is the highest whose `valid_from` has
    come; `premises.price_per_hour` follows it as the "from" price search shows."""

    __tablename__ = "rate_plans"
    __table_args__ = (
        UniqueConstraint("premise_id", "version"),
        CheckConstraint("base_per_hour >= 0", name="base_not_negative"),
        CheckConstraint("first_hour IS NULL OR first_hour >= 0", name="first_hour_not_negative"),
        CheckConstraint("daily_cap IS NULL OR daily_cap >= 0", name="cap_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    premise_id: Mapped[int] = mapped_column(ForeignKey("premises.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[datetime] = mapped_column()
    base_per_hour: Mapped[int] = mapped_column(Integer)
    first_hour: Mapped[int | None] = mapped_column(Integer)
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    # [{"days": [5, 6], "start": "22:00", "end": "07:00", "per_hour": 100}, ...]
    periods: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(default=_now)

    def plan(self) -> RatePlan:
        return plan_from_fields(
            base_per_hour=self.base_per_hour,
            currency=self.currency,
            first_hour=self.first_hour,
            daily_cap=self.daily_cap,
            periods=self.periods,
        )


class Spot(Base):
    __tablename__ = "spots"
    __table_args__ = (UniqueConstraint("premise_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    premise_id: Mapped[int] = mapped_column(ForeignKey("premises.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(32))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A spot the operator closed (is_active False): why, as drivers are told, and when it
    # opens again by itself (None: until reopened); bookable for stays starting from then.
    closed_reason: Mapped[str | None] = mapped_column(String(200))
    closed_until: Mapped[datetime | None] = mapped_column()

    premise: Mapped[Premise] = relationship(back_populates="spots")


class Blocker(Base):
    __tablename__ = "blockers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the device id
    spot_id: Mapped[int | None] = mapped_column(ForeignKey("spots.id", ondelete="SET NULL"), unique=True)
    state: Mapped[BlockerState] = mapped_column(
        _enum(BlockerState, "blocker_state"), default=BlockerState.UNKNOWN
    )
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    battery: Mapped[int | None] = mapped_column(SmallInteger)
    car_present: Mapped[bool | None] = mapped_column(Boolean)
    last_seen: Mapped[datetime | None] = mapped_column()
    # The device's own `ts` of the last `state` applied: an older (replayed, forged, delayed)
    # report is dropped, so a stale state cannot overwrite a newer one.
    state_ts: Mapped[datetime | None] = mapped_column()
    # The device's `ts` of the first report that the bay was empty after a car (NULL while a
    # car is there, or before any car): an early leave counts its grace from here. Never moved
    # by a repeated or older report (hardware/ingest.py).
    car_gone_since: Mapped[datetime | None] = mapped_column()
    # A raising sweep's claim (core/usecases/arrival.py): until then no other process's sweep
    # raises this blocker, so each raise goes out once. Lapses by itself; drivers' and staff's
    # commands never look at it.
    raise_claim_until: Mapped[datetime | None] = mapped_column()


class UnassignedBlocker(Base):
    """A device id heard on MQTT that no `blockers` row has: the console lists it to bind to a
    spot in two taps (DESIGN.md §11). Never a `blockers` row by itself, and capped
    (hardware/ingest.py MAX_UNASSIGNED): a stranger on the broker can fill this list, not the
    blockers table."""

    __tablename__ = "unassigned_blockers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the device id
    heard_at: Mapped[datetime] = mapped_column()  # first heard


class Reservation(Base):
    __tablename__ = "reservations"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="interval"),
        CheckConstraint("price >= 0", name="price_not_negative"),
        # The free-spot count reads status and hold expiry here too, never the row (0007).
        Index(
            "ix_reservations_spot_interval", "spot_id", "starts_at", "ends_at", "status", "hold_expires_at"
        ),
        Index("ix_reservations_status_ends_at", "status", "ends_at"),
        Index("ix_reservations_status_hold_expires_at", "status", "hold_expires_at"),
        Index("ix_reservations_user_starts_at", "user_id", "starts_at"),
        # The database itself refuses overlapping holds on one spot (DESIGN.md §5).
        ExcludeConstraint(
            ("spot_id", "="),
            (text("tstzrange(starts_at, ends_at)"), "&&"),
            name="reservations_no_overlap",
            using="gist",
            where=text("status IN ('pending_payment', 'confirmed', 'active')"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    spot_id: Mapped[int] = mapped_column(ForeignKey("spots.id"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    status: Mapped[ReservationStatus] = mapped_column(
        _enum(ReservationStatus, "reservation_status"), default=ReservationStatus.PENDING_PAYMENT
    )
    price: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    # The plan version the price came from (None: priced before plans, at another price).
    rate_plan_id: Mapped[int | None] = mapped_column(ForeignKey("rate_plans.id"))
    hold_expires_at: Mapped[datetime | None] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column()
    arrived_at: Mapped[datetime | None] = mapped_column()
    # A lowering in flight claims the booking until then, so that repeated taps (from any
    # process) send the blocker one command, not one each.
    lowering_until: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()  # completed, cancelled or expired
    no_show: Mapped[bool] = mapped_column(Boolean, default=False)
    # The number plate the driver booked with, normalised (core/plates.py); None: no plate.
    plate: Mapped[str | None] = mapped_column(String(16))
    # The car was first seen gone then (an active booking completed early by it; migration
    # 0022).
    left_at: Mapped[datetime | None] = mapped_column()
    # A confirmed booking nobody arrived for: when the driver was asked "still coming?", and
    # when they answered "Yes, keep it" (it is then never released as a no-show).
    no_show_asked_at: Mapped[datetime | None] = mapped_column()
    kept_at: Mapped[datetime | None] = mapped_column()
    # A stay cut short (core.rules.end_early): the end that was bought; `ends_at` is the real
    # end (migration 0027).
    booked_ends_at: Mapped[datetime | None] = mapped_column()
    # Blocked bay (migration 0024): when "Move me / Refund me" was offered, for which spot (a
    # booking no longer on it was moved already), why (core.services.blocked_bay.Reason), and
    # the free spot the offer named.
    bay_blocked_at: Mapped[datetime | None] = mapped_column()
    bay_blocked_spot_id: Mapped[int | None] = mapped_column(Integer)
    bay_blocked_reason: Mapped[str | None] = mapped_column(String(16))
    bay_offer_spot_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)

    spot: Mapped[Spot] = relationship()
    user: Mapped[User] = relationship()


class ReservationExtension(Base):
    """A request to move a reservation's end; `ends_at` moves only once it is paid."""

    __tablename__ = "reservation_extensions"

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id", ondelete="CASCADE"))
    old_ends_at: Mapped[datetime] = mapped_column()
    new_ends_at: Mapped[datetime] = mapped_column()
    price: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    rate_plan_id: Mapped[int | None] = mapped_column(ForeignKey("rate_plans.id"))
    status: Mapped[ExtensionStatus] = mapped_column(
        _enum(ExtensionStatus, "extension_status"), default=ExtensionStatus.PENDING_PAYMENT
    )
    created_at: Mapped[datetime] = mapped_column(default=_now)


# One succeeded payment per booking and per extension: a double charge is refused by the
# database itself, whatever the code above it does.
_ONE_BOOKING_PAYMENT = "purpose = 'booking' AND status = 'succeeded'"
_ONE_EXTENSION_PAYMENT = "purpose = 'extension' AND status = 'succeeded'"


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refund"),
        Index(
            "uq_payments_one_succeeded_booking",
            "reservation_id",
            unique=True,
            postgresql_where=text(_ONE_BOOKING_PAYMENT),
            sqlite_where=text(_ONE_BOOKING_PAYMENT),
        ),
        Index(
            "uq_payments_one_succeeded_extension",
            "extension_id",
            unique=True,
            postgresql_where=text(_ONE_EXTENSION_PAYMENT),
            sqlite_where=text(_ONE_EXTENSION_PAYMENT),
        ),
        # The Revenue screen's period: what came in, what went back (migration 0018).
        Index("ix_payments_succeeded_at", "succeeded_at"),
        Index("ix_payments_refunded_at", "refunded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), index=True)
    extension_id: Mapped[int | None] = mapped_column(ForeignKey("reservation_extensions.id"))
    purpose: Mapped[PaymentPurpose] = mapped_column(_enum(PaymentPurpose, "payment_purpose"))
    method: Mapped[PaymentMethodKind] = mapped_column(_enum(PaymentMethodKind, "payment_method"))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[PaymentStatus] = mapped_column(
        _enum(PaymentStatus, "payment_status"), default=PaymentStatus.PENDING
    )
    refunded_amount: Mapped[int] = mapped_column(Integer, default=0)
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    failure_reason: Mapped[str | None] = mapped_column(String(255))
    # The saved card charged (a copy: the card may be removed later), for the receipt; None
    # for the wallet and for a card typed on the payment page.
    card_brand: Mapped[str | None] = mapped_column(String(32))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)
    succeeded_at: Mapped[datetime | None] = mapped_column()
    refunded_at: Mapped[datetime | None] = mapped_column()


class Refund(Base):
    """One refund an operator gave (the console's Bookings section): part or all of one
    payment, back to where it came from. The row is written (and the payment's
    `refunded_amount` raised) before a card refund goes to the provider, so two refunds can
    never give back more than was paid; its id is the provider's idempotency key, so a retry
    never refunds twice (migration 0017)."""

    __tablename__ = "refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    method: Mapped[PaymentMethodKind] = mapped_column(_enum(PaymentMethodKind, "payment_method"))
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[RefundStatus] = mapped_column(_enum(RefundStatus, "refund_status"))
    reason: Mapped[str] = mapped_column(String(200), default="")
    actor_user_id: Mapped[int | None] = mapped_column(Integer)  # like audit_log: no foreign key
    # The console's confirmation screen's own key: a double tap on "Refund" refunds once.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    settled_at: Mapped[datetime | None] = mapped_column()


class WalletTransaction(Base):
    __tablename__ = "wallet_transactions"
    __table_args__ = (
        Index("ix_wallet_transactions_user_currency", "user_id", "currency"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[WalletTxKind] = mapped_column(_enum(WalletTxKind, "wallet_tx_kind"))
    amount: Mapped[int] = mapped_column(Integer)  # signed: credit > 0, debit < 0
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=_now)


class SavedPaymentMethod(Base):
    __tablename__ = "payment_methods"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    stripe_payment_method_id: Mapped[str] = mapped_column(String(255), unique=True)
    brand: Mapped[str] = mapped_column(String(32))
    last4: Mapped[str] = mapped_column(String(4))
    exp_month: Mapped[int] = mapped_column(SmallInteger)
    exp_year: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class PaymentLink(Base):
    """A short address for a payment page (`GET /p/<token>`): an SMS has room for
    `PUBLIC_URL/p/<token>` beside the price, not for Stripe's Checkout URL. One per payment;
    the token is random (about 60 bits), so it cannot be guessed."""

    __tablename__ = "payment_links"

    token: Mapped[str] = mapped_column(String(16), primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), unique=True)
    url: Mapped[str] = mapped_column(Text)  # the provider's page
    created_at: Mapped[datetime] = mapped_column(default=_now)


class Priority(enum.IntEnum):
    """Order in which due notifications are sent: a driver waiting for a confirmation goes
    before reminders and bulk messages, and those before operators' alerts."""

    TRANSACTIONAL = 0
    BULK = 1
    ADMIN = 2


class Notification(Base):
    """The outbox: written in the transaction of the change it reports, sent later."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(_enum(Channel, "channel"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[NotificationStatus] = mapped_column(
        _enum(NotificationStatus, "notification_status"), default=NotificationStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[int] = mapped_column(SmallInteger, default=Priority.TRANSACTIONAL, server_default="0")
    due_at: Mapped[datetime] = mapped_column()
    lease_until: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(500))
    # Same key = same message: a retried transaction cannot queue a notification twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    # The message Telegram made of it, so it can be edited later (an incident alert says who
    # acknowledged it).
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    # SMS (migration 0015): Twilio's message id, the last delivery status its callback
    # reported, and the channel this notification fell back from (sent there first, failed
    # for good, re-sent on `channel` once).
    provider_message_id: Mapped[str | None] = mapped_column(String(64), index=True)
    delivery_status: Mapped[str | None] = mapped_column(String(16))
    fallback_from: Mapped[str | None] = mapped_column(String(16))
    # Take-over (migration 0100, jobs/dispatcher.py): the holding of the channel's lease whose
    # dispatcher claimed the row last, and when its send left (NULL: claimed, never sent).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    send_started_at: Mapped[datetime | None] = mapped_column()


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        Index("ix_reviews_premise_approved", "premise_id", "is_approved"),
        Index("ix_reviews_status_premise", "status", "premise_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    premise_id: Mapped[int] = mapped_column(ForeignKey("premises.id", ondelete="CASCADE"))
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), unique=True)
    rating: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(Text, default="")
    # The contract's flag: True exactly when `status` is approved (the moderation keeps both).
    is_approved: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    status: Mapped[ReviewStatus] = mapped_column(
        _enum(ReviewStatus, "review_status"), default=ReviewStatus.PENDING, server_default="pending"
    )
    moderated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime | None] = mapped_column()
    reject_reason: Mapped[str | None] = mapped_column(String(200))


class Favourite(Base):
    """A car park a driver starred: `/find` lists it first when it lies within the search's
    radius (DESIGN.md §5, wave 2)."""

    __tablename__ = "favourites"
    __table_args__ = (UniqueConstraint("user_id", "premise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    premise_id: Mapped[int] = mapped_column(ForeignKey("premises.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=_now)


class ProcessedEvent(Base):
    """External events (Stripe event ids, Twilio message ids) already applied."""

    __tablename__ = "processed_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(255))
    processed_at: Mapped[datetime] = mapped_column(server_default=func.now())


# One active grant per user and premise; revoked rows stay as history.
_ACTIVE_STAFF = "revoked_at IS NULL"


class PremiseStaff(Base):
    """A user's role at one premise, granted by accepting an invite (DESIGN.md §11)."""

    __tablename__ = "premise_staff"
    __table_args__ = (
        Index(
            "uq_premise_staff_active",
            "premise_id",
            "user_id",
            unique=True,
            postgresql_where=text(_ACTIVE_STAFF),
            sqlite_where=text(_ACTIVE_STAFF),
        ),
        Index("ix_premise_staff_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    premise_id: Mapped[int] = mapped_column(ForeignKey("premises.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole, "staff_role"))
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    revoked_at: Mapped[datetime | None] = mapped_column()


class StaffInvite(Base):
    """A one-time invite link (`/start staff_<token>`). Only the token's SHA-256 is stored, so
    the table alone does not let anyone accept an invite."""

    __tablename__ = "staff_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    premise_id: Mapped[int] = mapped_column(ForeignKey("premises.id", ondelete="CASCADE"))
    role: Mapped[StaffRole] = mapped_column(_enum(StaffRole, "staff_role"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class AuditEntry(Base):
    """Every operator action, refused ones included (DESIGN.md §11). No foreign keys: the
    record outlives the users and premises it names. `actor_user_id` is null for the command
    line (`python main.py admin ...`)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_premise_id_id", "premise_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column()
    actor_user_id: Mapped[int | None] = mapped_column(Integer)
    premise_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    outcome: Mapped[AuditOutcome] = mapped_column(_enum(AuditOutcome, "audit_outcome"))
    detail: Mapped[str] = mapped_column(String(500), default="")


# One open incident per blocker and kind: a repeated or retained report, or another process
# hearing the same news, cannot open a second one.
_OPEN_INCIDENT = "closed_at IS NULL"


class BlockerIncident(Base):
    """A blocker out of order (DESIGN.md §5): opened when it goes offline, reports a fault or a
    low battery, or a lowering fails; closed when a report newer than the opening says it is
    well again. `premise_id`/`spot_id` are where it was at the opening (the console's rights
    are checked there); staff alerted with buttons carry its id (hardware alerts, README)."""

    __tablename__ = "blocker_incidents"
    __table_args__ = (
        Index(
            "uq_blocker_incidents_open",
            "blocker_id",
            "kind",
            unique=True,
            postgresql_where=text(_OPEN_INCIDENT),
            sqlite_where=text(_OPEN_INCIDENT),
        ),
        Index("ix_blocker_incidents_premise_id", "premise_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    blocker_id: Mapped[str] = mapped_column(ForeignKey("blockers.id", ondelete="CASCADE"))
    kind: Mapped[IncidentKind] = mapped_column(_enum(IncidentKind, "incident_kind"))
    premise_id: Mapped[int | None] = mapped_column(ForeignKey("premises.id", ondelete="CASCADE"))
    spot_id: Mapped[int | None] = mapped_column(ForeignKey("spots.id", ondelete="SET NULL"))
    detail: Mapped[str] = mapped_column(String(200), default="")
    opened_at: Mapped[datetime] = mapped_column()
    # The blocker's `state_ts` at the opening: only a report stamped later closes it.
    opened_state_ts: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    # Staff were alerted (bookings were affected): they hear when it ends too.
    alerted: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    acknowledged_at: Mapped[datetime | None] = mapped_column()


# One default plate per driver.
_DEFAULT_VEHICLE = "is_default"


class Vehicle(Base):
    """A number plate a driver saved, normalised (core/plates.py): several per driver, at most
    one the default the booking offers first."""

    __tablename__ = "vehicles"
    __table_args__ = (
        UniqueConstraint("user_id", "plate"),
        Index(
            "uq_vehicles_one_default",
            "user_id",
            unique=True,
            postgresql_where=text(_DEFAULT_VEHICLE),
            sqlite_where=text(_DEFAULT_VEHICLE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    plate: Mapped[str] = mapped_column(String(16))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class GuestPass(Base):
    """A booking shared with a guest (DESIGN.md §5, `guest_passes`): the owner's link
    (`/start guest_<token>`, only the token's SHA-256 stored, as staff invites) or a text to a
    phone number. It lets its guest lower and raise that spot's blocker within the booking's
    lowering window, nothing else; the window is the booking's, so it follows an extension or a
    move. A link is bound to the first Telegram user who opens it (`used_by`): a forwarded link
    opens nothing for a third person. A pass sent by SMS is bound to that number's user from the
    start (`token_hash` None: there is no link)."""

    __tablename__ = "guest_passes"
    __table_args__ = (Index("ix_guest_passes_used_by", "used_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reservation_id: Mapped[int] = mapped_column(ForeignKey("reservations.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=_now)
    revoked_at: Mapped[datetime | None] = mapped_column()
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None] = mapped_column()
    phone: Mapped[str | None] = mapped_column(String(16))  # E.164, for a pass sent by SMS


class WaitlistStatus(enum.StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"  # told a spot is free, with "Hold it" until `offer_expires_at`
    TAKEN = "taken"  # held through the offer
    EXPIRED = "expired"  # its time passed, or the offer lapsed untapped
    CANCELLED = "cancelled"  # the driver withdrew it


class WaitlistEntry(Base):
    """A driver's wish for a spot at a full car park (DESIGN.md §5, `waitlist`): the stay they
    asked for (`starts_at` may be a moment that passed for a "now" wish: the offer then starts
    now, for the same length), until when it stands, and where it is. Offers go first-come
    first-served (`created_at`), one driver per freed spot at a time (core/services/waitlist.py)."""

    __tablename__ = "waitlist"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="interval"),
        Index("ix_waitlist_premise_status_created_at", "premise_id", "status", "created_at"),
        Index("ix_waitlist_user_id_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    premise_id: Mapped[int] = mapped_column(ForeignKey("premises.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=_now)
    expires_at: Mapped[datetime] = mapped_column()
    status: Mapped[WaitlistStatus] = mapped_column(
        _enum(WaitlistStatus, "waitlist_status"), default=WaitlistStatus.WAITING
    )
    offered_at: Mapped[datetime | None] = mapped_column()
    # HOLD_MINUTES when the wish was made: how long an offer stands (the freeing transactions
    # that make offers do not carry the settings).
    offer_minutes: Mapped[int] = mapped_column(SmallInteger)
    offer_expires_at: Mapped[datetime | None] = mapped_column()
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id", ondelete="SET NULL"))


class ReceiptKind(enum.StrEnum):
    PAYMENT = "payment"  # a booking, an extension or a wallet top-up paid
    REFUND = "refund"  # that payment given back


class ReceiptCounter(Base):
    """The last receipt number of one operator (`operator_key`: see core/services/receipts.py).
    Taken by an UPDATE … RETURNING in the transaction that writes the receipt, so the number
    and the receipt commit or roll back together: no gaps, no duplicates."""

    __tablename__ = "receipt_counters"

    operator_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Receipt(Base):
    """A receipt as issued: its number in the operator's sequence and everything printed on it
    (`data`, a snapshot, so a receipt sent again reads the same after the operator's details
    or the driver's name change)."""

    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("operator_key", "number"),
        # A payment has one receipt; each part refunded has its own, named by the refunded
        # total it brings the payment to (0 on the payment's own).
        UniqueConstraint("payment_id", "kind", "refunded_through"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("vat_amount >= 0 AND vat_amount <= amount", name="vat"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    operator_key: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    kind: Mapped[ReceiptKind] = mapped_column(_enum(ReceiptKind, "receipt_kind"))
    refunded_through: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column()
    amount: Mapped[int] = mapped_column(Integer)  # VAT included; a refund's amount given back
    currency: Mapped[str] = mapped_column(String(3))
    vat_rate_bp: Mapped[int] = mapped_column(Integer)
    vat_amount: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
