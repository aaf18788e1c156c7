"""Guest pass use cases (issue 16): the owner of a paid booking shares it with a guest, by a
deep link (`/start guest_<token>`) or by SMS to a phone number, and revokes it; the guest opens
it and sees where and when (never the owner's name, number, payments or other bookings).
Lowering and raising go through core/usecases/arrival.py (`lower_for_guest`,
`raise_for_guest`), under the owner's rules."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import Database
from core.errors import CannotShare, InvalidGuestPass
from core.models import Blocker, Channel, GuestPass, Reservation, ReservationStatus, User
from core.notifications import NotificationKind
from core.services import booking, guests, outbox
from core.services.places import place_of
from core.services.users import normalise_phone
from core.usecases.sms import language_of


@dataclass(frozen=True, slots=True)
class GuestLink:
    pass_id: int
    token: str  # shown once, in the link; only its hash is stored


@dataclass(frozen=True, slots=True)
class GuestView:
    """What a guest sees: the place and the time, nothing of the owner."""

    pass_id: int
    premise_name: str
    address: str
    spot: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    has_blocker: bool


async def _tell_guests(
    s: AsyncSession,
    reservation: Reservation,
    revoked: list[tuple[int, int | None, str | None]],
    now: datetime,
) -> None:
    """One notice per guest of the passes just revoked (a guest may hold a link and a text of
    the same booking). It goes where the pass reached them: a text pass by SMS, as the pass
    itself went (its LOWER is an SMS verb); a link by the outbox's choice (the chat that opened
    it). `parked`: the booking is in progress (its blocker was lowered), so the guest's car may
    be on the spot: the text says the booking stays the owner's until its end (revoking evicts
    nobody, and who lowered is not recorded, so it reads "if your car is on the spot")."""
    passes: dict[int, list[tuple[int, str | None]]] = {}
    for pass_id, used_by, phone in revoked:
        if used_by is not None and used_by != reservation.user_id:
            passes.setdefault(used_by, []).append((pass_id, phone))
    for guest_id, theirs in sorted(passes.items()):
        first = min(pass_id for pass_id, _ in theirs)
        by_sms = all(phone is not None for _, phone in theirs)
        await outbox.notify(
            s,
            guest_id,
            NotificationKind.GUEST_PASS_REVOKED,
            {
                "reservation_id": reservation.id,
                "pass_id": first,
                "parked": reservation.status == ReservationStatus.ACTIVE,
            },
            now=now,
            channel=Channel.SMS if by_sms else None,
            dedupe_key=f"guest_pass_revoked:{first}",
        )


class GuestUseCases:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def _shareable(self, s: AsyncSession, owner_id: int, reservation_id: int) -> Reservation:
        reservation = await booking.lock_owned(s, reservation_id, owner_id)
        if not guests.usable(reservation, self.clock.now()):
            raise CannotShare(f"reservation {reservation_id} is {reservation.status.value}")
        return reservation

    async def share(self, *, owner_id: int, reservation_id: int) -> GuestLink:
        """A new link for this booking (each tap makes another; revoking ends them all).
        Raises NotFound (somebody else's booking) or CannotShare."""
        token = secrets.token_urlsafe(guests.TOKEN_BYTES)
        async with self.db.transaction() as s:
            await self._shareable(s, owner_id, reservation_id)
            guest_pass = GuestPass(
                reservation_id=reservation_id,
                token_hash=guests.token_hash(token),
                created_by=owner_id,
                created_at=self.clock.now(),
            )
            s.add(guest_pass)
            await s.flush()
            return GuestLink(guest_pass.id, token)

    async def share_by_sms(self, *, owner_id: int, reservation_id: int, phone: str) -> str:
        """Texts the pass to `phone` (E.164; a number never seen becomes an SMS user), whose
        `LOWER` then opens the blocker within the window. Returns the number as stored.
        Raises InvalidPhone, NotFound or CannotShare."""
        number = normalise_phone(phone)
        now = self.clock.now()
        async with self.db.transaction() as s:
            await self._shareable(s, owner_id, reservation_id)
            guest = await s.scalar(select(User).where(User.phone == number))
            if guest is None:
                guest = User(phone=number, language=language_of(number), created_at=now)
                try:
                    async with s.begin_nested():
                        s.add(guest)
                        await s.flush()
                except IntegrityError:  # the number's first SMS arrived meanwhile
                    guest = await s.scalar(select(User).where(User.phone == number))
                    if guest is None:
                        raise
            guest_pass = GuestPass(
                reservation_id=reservation_id,
                created_by=owner_id,
                created_at=now,
                used_by=guest.id,
                used_at=now,
                phone=number,
            )
            s.add(guest_pass)
            await s.flush()
            await outbox.notify(
                s,
                guest.id,
                NotificationKind.GUEST_PASS,
                {"reservation_id": reservation_id, "pass_id": guest_pass.id},
                now=now,
                channel=Channel.SMS,
                dedupe_key=f"guest_pass:{guest_pass.id}",
            )
            return number

    async def shared_count(self, *, owner_id: int, reservation_id: int) -> int:
        """How many passes of this booking are not revoked (the screen offers "Revoke")."""
        async with self.db.read() as s:
            await booking.get_owned(s, reservation_id, owner_id)
            count = await s.scalar(
                select(func.count()).where(
                    GuestPass.reservation_id == reservation_id, GuestPass.revoked_at.is_(None)
                )
            )
        return int(count or 0)

    async def revoke(self, *, owner_id: int, reservation_id: int) -> int:
        """Ends every pass of this booking at once. Returns how many were live. Every guest who
        had one (opened the link, or was texted it) is told once, in the same transaction,
        while the booking still had something to open; a link nobody opened tells nobody."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            reservation = await booking.lock_owned(s, reservation_id, owner_id)
            result = await s.execute(
                update(GuestPass)
                .where(GuestPass.reservation_id == reservation_id, GuestPass.revoked_at.is_(None))
                .values(revoked_at=now)
                .returning(GuestPass.id, GuestPass.used_by, GuestPass.phone)
                .execution_options(synchronize_session=False)
            )
            revoked = [(int(pass_id), used_by, phone) for pass_id, used_by, phone in result.tuples()]
            if guests.usable(reservation, now):
                await _tell_guests(s, reservation, revoked, now)
            return len(revoked)

    async def open(self, *, user_id: int, token: str) -> GuestView:
        """A guest follows the link: the pass becomes theirs (the first to open it; the owner
        opening their own link does not use it up). Raises InvalidGuestPass, the same for an
        unknown, forged, revoked, ended or somebody else's pass."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            guest_pass = await guests.by_token(s, token)
            if guest_pass is None or guest_pass.revoked_at is not None:
                raise InvalidGuestPass("no such pass")
            reservation = await s.get(Reservation, guest_pass.reservation_id)
            if reservation is None or not guests.usable(reservation, now):
                raise InvalidGuestPass("no such pass")
            if guest_pass.used_by is None and user_id != reservation.user_id:
                guest_pass.used_by, guest_pass.used_at = user_id, now
            elif guest_pass.used_by != user_id:
                raise InvalidGuestPass("no such pass")
            return await self._view(s, guest_pass, reservation)

    async def view(self, *, user_id: int, pass_id: int) -> GuestView:
        """The guest's screen again (after a tap). Raises InvalidGuestPass."""
        async with self.db.read() as s:
            guest_pass, reservation = await guests.guest_booking(s, pass_id, user_id, self.clock.now())
            return await self._view(s, guest_pass, reservation)

    async def current_pass(self, user_id: int) -> GuestView | None:
        """The pass a guest's SMS `LOWER` is about (it names none): the usable one whose booking
        starts first."""
        now = self.clock.now()
        async with self.db.read() as s:
            pass_id = await guests.current_pass_of(s, user_id, now)
            if pass_id is None:
                return None
            guest_pass, reservation = await guests.guest_booking(s, pass_id, user_id, now)
            return await self._view(s, guest_pass, reservation)

    @staticmethod
    async def _view(s: AsyncSession, guest_pass: GuestPass, reservation: Reservation) -> GuestView:
        spot, premise = await place_of(s, reservation)
        has_blocker = await s.scalar(select(Blocker.id).where(Blocker.spot_id == spot.id)) is not None
        return GuestView(
            guest_pass.id,
            premise.name,
            premise.address,
            spot.label,
            reservation.starts_at,
            reservation.ends_at,
            premise.timezone,
            has_blocker,
        )
