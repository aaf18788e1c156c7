"""Guest passes (issue 16, `guest_passes`): which booking a guest may open the blocker of, and
when. Only the link's token's SHA-256 is stored (as staff invites); every refusal is the same
InvalidGuestPass, so a guessed or forged token learns nothing about real ones."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidGuestPass
from core.models import GuestPass, Reservation
from core.rules import LOWERABLE

# The deep link's payload: `/start guest_<token>` (token_urlsafe(18): 24 of Telegram's 64).
PREFIX = "guest_"
TOKEN_BYTES = 18


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def usable(reservation: Reservation, now: datetime) -> bool:
    """A pass opens something while its booking is paid and has not ended (its lowering window
    itself is the arrival rule's: core.rules.why_not_lower)."""
    return reservation.status in LOWERABLE and now < reservation.ends_at


async def by_token(session: AsyncSession, token: str) -> GuestPass | None:
    if not token or len(token) > 64:
        return None
    found: GuestPass | None = await session.scalar(
        select(GuestPass).where(GuestPass.token_hash == token_hash(token)).with_for_update()
    )
    return found


async def guest_booking(
    session: AsyncSession, pass_id: int, user_id: int, now: datetime
) -> tuple[GuestPass, Reservation]:
    """The pass and its booking, when `user_id` is its guest and it opens something now."""
    guest_pass = await session.get(GuestPass, pass_id)
    if guest_pass is None or guest_pass.used_by != user_id or guest_pass.revoked_at is not None:
        raise InvalidGuestPass("no such pass")
    reservation = await session.get(Reservation, guest_pass.reservation_id)
    if reservation is None or not usable(reservation, now):
        raise InvalidGuestPass("no such pass")
    return guest_pass, reservation


async def current_pass_of(session: AsyncSession, user_id: int, now: datetime) -> int | None:
    """The guest's pass that matters now (an SMS `LOWER` names none): of the usable ones bound
    to them, the booking starting first."""
    rows = (
        await session.execute(
            select(GuestPass.id, Reservation)
            .join(Reservation, Reservation.id == GuestPass.reservation_id)
            .where(
                GuestPass.used_by == user_id,
                GuestPass.revoked_at.is_(None),
                Reservation.status.in_(LOWERABLE),
                Reservation.ends_at > now,
            )
            .order_by(Reservation.starts_at)
        )
    ).tuples()
    for pass_id, _reservation in rows:
        return int(pass_id)
    return None
