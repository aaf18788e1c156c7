"""The operator console's Premises section (DESIGN.md §11): create a car park (owners only),
edit its fields, deactivate it (no longer offered: search and quotes skip it) and reactivate
it; a deactivated premise's future bookings are listed so the operator keeps each or cancels
it with a full refund (SpotUseCases.cancel_booking_as_operator, which needs REFUND).

Every action follows core/usecases/admin.py's pattern. Creating a premise belongs to no
premise yet: it is checked and audited with premise_id None, so only owners may.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core import opening_hours, premise_codes, timezones
from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import InvalidPremise, NotFound
from core.features import FEATURES
from core.models import Premise, Reservation, Spot, User
from core.permissions import Permission
from core.services.availability import holds_spot
from core.usecases.spots import AffectedBooking, RefundCards, SpotUseCases

log = logging.getLogger(__name__)

MAX_NAME = 200  # premises.name
MAX_ADDRESS = 300  # premises.address
MAX_DESCRIPTION = 2000
MAX_PHOTOS = 10
MAX_PRICE = 1_000_000  # minor units per hour: a typo, not a price
# What "Edit" may change; the price has its own section (Prices: rate plans), the location
# its own method (`relocate`: two columns, and the time zone it suggests).
EDITABLE = (
    "name",
    "address",
    "timezone",
    "currency",
    "opening_hours",
    "features",
    "description",
    "photos",
    # Billing follows the car (core/services/presence.py): refunds of unused time after an early
    # leave, and of released time after a no-show.
    "refund_unused",
    "refund_no_show",
    # What a driver moved off a blocked bay gets in the wallet (core/services/blocked_bay.py).
    "blocked_bay_credit",
)
# Two owners creating car parks at the same moment can draw the same code: the unique index
# refuses the second insert, which draws again (in a savepoint) this many times in all.
CODE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class PremiseDraft:
    """What the creation wizard collected; checked by `create_premise`."""

    name: str
    lat: float
    lon: float
    address: str
    timezone: str
    currency: str
    price_per_hour: int
    opening_hours: str = opening_hours.ALWAYS_OPEN
    features: list[str] = field(default_factory=list)
    description: str = ""
    photos: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PremiseDetails:
    premise_id: int
    code: str
    name: str
    address: str
    lat: float
    lon: float
    timezone: str
    currency: str
    price_per_hour: int
    opening_hours: str
    features: list[str]
    description: str
    photos: list[str]
    is_active: bool
    spots: int
    refund_unused: bool = True
    refund_no_show: bool = False
    # Minor units; None: one hour of the booking's own rate plan; 0: no credit.
    blocked_bay_credit: int | None = None


@dataclass(frozen=True, slots=True)
class Relocated:
    details: PremiseDetails
    # The time zone guessed for the new location; differs from details.timezone when the
    # operator should be offered to change it too.
    guessed_timezone: str


@dataclass(frozen=True, slots=True)
class Deactivated:
    details: PremiseDetails
    # Its bookings still to come (not over, holding a spot): keep or cancel each.
    bookings: list[AffectedBooking]


def clean(name: str, value: Any) -> Any:
    """The value for field `name`, normalised, or InvalidPremise."""
    if name in ("name", "address"):
        text = str(value).strip()
        if not text or len(text) > (MAX_NAME if name == "name" else MAX_ADDRESS):
            raise InvalidPremise(name, "empty or too long")
        return text
    if name == "timezone":
        text = str(value).strip()
        if not timezones.is_zone(text):
            raise InvalidPremise(name, text[:64])
        return text
    if name == "currency":
        text = str(value).strip().upper()
        if len(text) != 3 or not text.isascii() or not text.isalpha():
            raise InvalidPremise(name, text[:10])
        return text
    if name == "opening_hours":
        text = str(value).strip()
        try:
            return opening_hours.validate(text)
        except ValueError:
            raise InvalidPremise(name, text[:100]) from None
    if name == "features":
        chosen = list(dict.fromkeys(value))
        if unknown := [f for f in chosen if f not in FEATURES]:
            raise InvalidPremise(name, ", ".join(map(str, unknown))[:100])
        return [f for f in FEATURES if f in chosen]  # display order
    if name == "description":
        text = str(value).strip()
        if len(text) > MAX_DESCRIPTION:
            raise InvalidPremise(name, "too long")
        return text
    if name == "photos":
        photos = [str(p) for p in value if str(p)]
        if len(photos) > MAX_PHOTOS:
            raise InvalidPremise(name, f"over {MAX_PHOTOS}")
        return photos
    if name in ("refund_unused", "refund_no_show"):
        if not isinstance(value, bool):
            raise InvalidPremise(name, str(value)[:20])
        return value
    if name == "price_per_hour":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_PRICE:
            raise InvalidPremise(name, str(value)[:20])
        return value
    if name == "blocked_bay_credit":
        # None (one hour of the plan) or an amount, 0 switching the credit off.
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_PRICE
        ):
            raise InvalidPremise(name, str(value)[:20])
        return value
    raise InvalidPremise(name, "not editable")


def check_coordinates(lat: float, lon: float) -> None:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidPremise("coordinates", f"{lat}, {lon}")


def parse_coordinates(text: str) -> tuple[float, float]:
    """`50.45, 30.52` (or separated by a space or semicolon) into (lat, lon); InvalidPremise."""
    parts = [p for p in text.replace(";", ",").replace(",", " ").split() if p]
    try:
        lat, lon = (float(p) for p in parts)
    except ValueError:
        raise InvalidPremise("coordinates", text[:40]) from None
    check_coordinates(lat, lon)
    return lat, lon


def _state(premise: Premise) -> dict[str, Any]:
    """A premise as the audit log records it."""
    return {
        "premise_id": premise.id,
        "code": premise.code,
        **{name: getattr(premise, name) for name in EDITABLE},
        "price_per_hour": premise.price_per_hour,
        "lat": premise.lat,
        "lon": premise.lon,
        "is_active": premise.is_active,
    }


class PremiseAdminUseCases(SpotUseCases):
    """The Premises section. It extends SpotUseCases for the operator cancel with full refund
    (REFUND, audited as spot.cancel_booking), which a deactivated premise's bookings reuse."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        *,
        refund_cards: RefundCards | None = None,
        draw_code: premise_codes.Draw = secrets.randbelow,
    ) -> None:
        super().__init__(db, clock, settings, refund_cards=refund_cards)
        self.draw_code = draw_code

    def guess_timezone(self, lat: float, lon: float) -> str:
        return timezones.guess(lat, lon, self.settings.timezone)

    async def _premise(self, s: AsyncSession, premise_id: int) -> Premise:
        premise = await s.scalar(select(Premise).where(Premise.id == premise_id).with_for_update())
        if premise is None:
            raise NotFound(f"premise {premise_id}")
        return premise

    async def _details(self, s: AsyncSession, premise: Premise) -> PremiseDetails:
        spots = len(list(await s.scalars(select(Spot.id).where(Spot.premise_id == premise.id))))
        return PremiseDetails(
            premise.id,
            premise.code or "",
            premise.name,
            premise.address,
            premise.lat,
            premise.lon,
            premise.timezone,
            premise.currency,
            premise.price_per_hour,
            premise.opening_hours,
            list(premise.features),
            premise.description,
            list(premise.photos),
            premise.is_active,
            spots,
            refund_unused=premise.refund_unused,
            refund_no_show=premise.refund_no_show,
            blocked_bay_credit=premise.blocked_bay_credit,
        )

    async def details(self, actor_id: int, premise_id: int) -> PremiseDetails:
        async with self._view(actor_id, premise_id, Permission.MANAGE_PREMISE, "premises.view") as (s, _):
            premise = await s.get(Premise, premise_id)
            assert premise is not None  # _view checked it
            return await self._details(s, premise)

    async def create_premise(self, actor_id: int, draft: PremiseDraft) -> PremiseDetails:
        """A new active premise with no spots (the Spots section adds them), priced as a plain
        plan from `price_per_hour` until a rate plan is stored. Owners only (premise_id None
        in the audit). Raises InvalidPremise."""
        action = self._action(actor_id, None, Permission.MANAGE_PREMISE, "premises.create")
        async with action as (s, audit):
            check_coordinates(draft.lat, draft.lon)
            premise = Premise(
                name=clean("name", draft.name),
                address=clean("address", draft.address),
                lat=draft.lat,
                lon=draft.lon,
                timezone=clean("timezone", draft.timezone),
                currency=clean("currency", draft.currency),
                price_per_hour=clean("price_per_hour", draft.price_per_hour),
                opening_hours=clean("opening_hours", draft.opening_hours),
                features=clean("features", draft.features),
                description=clean("description", draft.description),
                photos=clean("photos", draft.photos),
                is_active=True,
                created_at=self.clock.now(),
            )
            await self._insert_with_code(s, premise)
            audit.after = _state(premise)
            details = await self._details(s, premise)
        return details

    async def _insert_with_code(self, s: AsyncSession, premise: Premise) -> None:
        """Inserts the premise with a fresh code. Another creation may have drawn the same code
        and committed meanwhile (PostgreSQL: its insert waits for ours and then fails on
        ux_premises_code): the insert is retried in a savepoint with a new draw, which now
        sees that code as taken."""
        for attempt in range(1, CODE_ATTEMPTS + 1):
            used = await s.scalars(select(Premise.code).where(Premise.code.is_not(None)))
            premise.code = premise_codes.pick([c for c in used if c], self.draw_code)
            try:
                async with s.begin_nested():
                    s.add(premise)
                    await s.flush()
                return
            except IntegrityError:
                if premise in s:  # the savepoint's rollback normally expunges it
                    s.expunge(premise)
                # Only a code taken meanwhile is retried; any other refusal is a bug to see.
                if (
                    attempt == CODE_ATTEMPTS
                    or await s.scalar(select(Premise.id).where(Premise.code == premise.code)) is None
                ):
                    raise
                log.info("premise code %s was taken meanwhile; drawing again", premise.code)

    async def update_premise(self, actor_id: int, premise_id: int, name: str, value: Any) -> PremiseDetails:
        """Sets one of EDITABLE. Raises InvalidPremise, NotPermitted, NotFound."""
        action = self._action(actor_id, premise_id, Permission.MANAGE_PREMISE, f"premises.edit.{name}"[:64])
        async with action as (s, audit):
            if name not in EDITABLE:
                raise InvalidPremise(name, "not editable")
            premise = await self._premise(s, premise_id)
            new = clean(name, value)
            audit.before = {"premise_id": premise.id, name: getattr(premise, name)}
            setattr(premise, name, new)
            audit.after = {"premise_id": premise.id, name: new}
            details = await self._details(s, premise)
        return details

    async def add_photo(self, actor_id: int, premise_id: int, file_id: str) -> PremiseDetails:
        """Appends a photo (a Telegram file id) under the premise's lock: an album's photos
        arrive as separate messages at once, and none may be lost. InvalidPremise past
        MAX_PHOTOS."""
        return await self._photos(actor_id, premise_id, "premises.edit.photos.add", add=file_id)

    async def remove_photo(self, actor_id: int, premise_id: int, file_id: str) -> PremiseDetails:
        """Removes one photo (NotFound when it is not there: removed meanwhile)."""
        return await self._photos(actor_id, premise_id, "premises.edit.photos.remove", remove=file_id)

    async def _photos(
        self, actor_id: int, premise_id: int, verb: str, *, add: str = "", remove: str = ""
    ) -> PremiseDetails:
        async with self._action(actor_id, premise_id, Permission.MANAGE_PREMISE, verb) as (s, audit):
            premise = await self._premise(s, premise_id)
            photos = list(premise.photos)
            if not add and remove not in photos:
                raise NotFound("photo")
            new = clean("photos", [*[p for p in photos if p != remove], *([add] if add else [])])
            audit.before = {"premise_id": premise.id, "photos": photos}
            premise.photos = new
            audit.after = {"premise_id": premise.id, "photos": new}
            details = await self._details(s, premise)
        return details

    async def relocate(self, actor_id: int, premise_id: int, lat: float, lon: float) -> Relocated:
        """Moves the premise (search finds it at the new place at once). The time zone stays:
        the result carries the one guessed for the new place, for the operator to confirm
        with `update_premise(..., "timezone", ...)`. Raises InvalidPremise("coordinates")."""
        verb = "premises.edit.location"
        async with self._action(actor_id, premise_id, Permission.MANAGE_PREMISE, verb) as (s, audit):
            check_coordinates(lat, lon)
            premise = await self._premise(s, premise_id)
            audit.before = {"premise_id": premise.id, "lat": premise.lat, "lon": premise.lon}
            premise.lat, premise.lon = lat, lon
            audit.after = {"premise_id": premise.id, "lat": lat, "lon": lon}
            details = await self._details(s, premise)
        return Relocated(details, self.guess_timezone(lat, lon))

    async def future_bookings(self, actor_id: int, premise_id: int) -> list[AffectedBooking]:
        async with self._view(actor_id, premise_id, Permission.MANAGE_PREMISE, "premises.view") as (s, _):
            return await self._future(s, premise_id)

    async def _future(self, s: AsyncSession, premise_id: int) -> list[AffectedBooking]:
        now = self.clock.now()
        rows = await s.execute(
            select(Reservation, User.name)
            .join(Spot, Spot.id == Reservation.spot_id)
            .join(User, User.id == Reservation.user_id)
            .where(Spot.premise_id == premise_id, Reservation.ends_at > now, holds_spot(now))
            .order_by(Reservation.starts_at, Reservation.id)
        )
        return [
            AffectedBooking(r.id, name, r.starts_at, r.ends_at, r.status, r.plate)
            for r, name in rows.tuples()
        ]

    async def _set_active(self, actor_id: int, premise_id: int, active: bool) -> Deactivated:
        verb = "premises.reactivate" if active else "premises.deactivate"
        async with self._action(actor_id, premise_id, Permission.MANAGE_PREMISE, verb) as (s, audit):
            premise = await self._premise(s, premise_id)
            audit.before = {"premise_id": premise.id, "is_active": premise.is_active}
            premise.is_active = active
            audit.after = {"premise_id": premise.id, "is_active": active}
            bookings = [] if active else await self._future(s, premise_id)
            result = Deactivated(await self._details(s, premise), bookings)
        return result

    async def deactivate(self, actor_id: int, premise_id: int) -> Deactivated:
        """No longer offered (search and quotes skip it); its future bookings stay, listed
        for the operator to keep or cancel (`cancel_booking_as_operator`)."""
        return await self._set_active(actor_id, premise_id, False)

    async def reactivate(self, actor_id: int, premise_id: int) -> PremiseDetails:
        return (await self._set_active(actor_id, premise_id, True)).details


__all__ = [
    "EDITABLE",
    "Deactivated",
    "PremiseAdminUseCases",
    "PremiseDetails",
    "PremiseDraft",
    "Relocated",
    "clean",
    "parse_coordinates",
]
