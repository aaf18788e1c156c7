"""User use cases: register or update the user behind an update, phone, language, admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from core.clock import Clock
from core.config import Settings
from core.db import Database, one_trip
from core.errors import NotFound
from core.models import Payment, User
from core.services import users

_NAME_LENGTH = 128  # users.name
# Every update looks its sender up: one SELECT of what a Caller needs, compiled once and run
# without SQLAlchemy's per-execution work or a BEGIN/COMMIT around it (core.db.one_trip).
_CALLER = select(User.id, User.language, User.name, User.is_admin, User.admin_added_at).where(
    User.telegram_id == bindparam("telegram_id")
)
_PLACE_LENGTH = 200  # users.last_place


@dataclass(frozen=True, slots=True)
class LastLocation:
    """Where the driver last searched: `place` is the address typed, or empty for a shared
    location (the screen then shows the coordinates)."""

    lat: float
    lon: float
    place: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Caller:
    """The user behind an update from Telegram, as stored in our database."""

    user_id: int
    telegram_id: int
    lang: str
    name: str
    is_admin: bool


@dataclass(frozen=True, slots=True)
class PhoneRequest:
    """Where the user stands with the phone request: asked only while it is open (no number
    shared, "Skip" not tapped)."""

    has_phone: bool
    skipped: bool

    @property
    def open(self) -> bool:
        return not self.has_phone and not self.skipped


@dataclass(frozen=True, slots=True)
class Greeting:
    """How /start greets: the full welcome on the first contact only."""

    first_contact: bool
    phone: PhoneRequest


class UserUseCases:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings

    def is_admin(self, telegram_id: int) -> bool:
        """Whether ADMIN_IDS lists the user. Owners (users.is_admin) are the users ADMIN_IDS
        lists plus those `python main.py admin add` added (users.admin_added_at), DESIGN.md §11."""
        return telegram_id in self.settings.admin_ids

    async def telegram_caller(self, telegram_id: int, *, name: str, language: str) -> Caller:
        """The user writing from this Telegram account: registered on first contact (with
        `name` and `language`, the one the bot will speak), and brought in line with
        ADMIN_IDS, which may have changed since. A user already known keeps their name and
        language."""
        listed = self.is_admin(telegram_id)
        async with self.db.read(snapshot=False) as s:
            rows = await one_trip(await s.connection(), _CALLER, {"telegram_id": telegram_id})
        known = rows[0] if rows else None
        if known is not None and known.is_admin == _owner(known, listed) and known.name:
            return Caller(known.id, telegram_id, known.language, known.name, known.is_admin)
        async with self.db.transaction() as s:
            user = await s.scalar(select(User).where(User.telegram_id == telegram_id).with_for_update())
            if user is None:
                user = User(
                    telegram_id=telegram_id,
                    name=name[:_NAME_LENGTH],
                    language=language,
                    is_admin=listed,
                    created_at=self.clock.now(),
                )
                try:
                    async with s.begin_nested():
                        s.add(user)
                        await s.flush()
                except IntegrityError:
                    # Registered meanwhile by another update of the same first contact
                    # (another process): that row is the user.
                    found = await s.scalar(
                        select(User).where(User.telegram_id == telegram_id).with_for_update()
                    )
                    if found is None:
                        raise
                    user = found
            if not user.name:
                # Registered by `admin add` before their first message: now we know them.
                user.name, user.language = name[:_NAME_LENGTH], language
            user.is_admin = _owner(user, listed)
            await s.flush()
            return _caller(user, telegram_id)

    async def phone_of(self, user_id: int) -> str | None:
        """The user's phone number (E.164), None when not shared yet."""
        async with self.db.read() as s:
            phone = await s.scalar(select(User.phone).where(User.id == user_id))
        return phone

    async def phone_request(self, user_id: int) -> PhoneRequest:
        async with self.db.read() as s:
            user = await s.get(User, user_id)
            if user is None:
                raise NotFound(f"user {user_id}")
            return _phone_request(user)

    async def greet(self, user_id: int) -> Greeting:
        """/start: whether this is the user's first contact (the welcome is sent once: the
        first /start claims it, so two at once do not both welcome) and the phone request."""
        async with self.db.transaction() as s:
            user = await s.get(User, user_id, with_for_update=True)
            if user is None:
                raise NotFound(f"user {user_id}")
            first = user.welcomed_at is None
            if first:
                user.welcomed_at = self.clock.now()
            return Greeting(first_contact=first, phone=_phone_request(user))

    async def skip_phone(self, user_id: int) -> None:
        """The user declined to share a number: they are not asked again (they may still share
        it later). The first answer's time is kept."""
        async with self.db.transaction() as s:
            user = await s.get(User, user_id)
            if user is None:
                raise NotFound(f"user {user_id}")
            if user.phone_skipped_at is None:
                user.phone_skipped_at = self.clock.now()

    async def set_phone(self, user_id: int, raw: str) -> str:
        """Stores the number the user shared, in E.164, and returns it. Raises InvalidPhone,
        or PhoneTaken when another user has it."""
        async with self.db.transaction() as s:
            return await users.set_phone(s, user_id, raw)

    async def set_language(self, user_id: int, language: str) -> None:
        """The language the user is spoken to in from now on (queued notifications too: they
        are rendered when sent). The front end offers only the languages it speaks."""
        async with self.db.transaction() as s:
            user = await s.get(User, user_id)
            if user is None:
                raise NotFound(f"user {user_id}")
            user.language = language

    async def remember_location(self, user_id: int, lat: float, lon: float, place: str = "") -> None:
        """The point the driver searched at, offered again by the next `/find`."""
        async with self.db.transaction() as s:
            user = await s.get(User, user_id)
            if user is None:
                raise NotFound(f"user {user_id}")
            user.last_lat, user.last_lon = lat, lon
            user.last_place = place[:_PLACE_LENGTH]
            user.last_location_at = self.clock.now()

    async def last_location(self, user_id: int) -> LastLocation | None:
        """Where the driver last searched, None before their first search."""
        async with self.db.read() as s:
            user = await s.get(User, user_id)
        if user is None or user.last_lat is None or user.last_lon is None or user.last_location_at is None:
            return None
        return LastLocation(user.last_lat, user.last_lon, user.last_place, user.last_location_at)

    async def telegram_chat_of_payment(self, payment_id: int) -> int | None:
        """The Telegram chat of the user who made the payment; None when unknown or the user
        has no Telegram chat."""
        async with self.db.read() as s:
            chat: int | None = await s.scalar(
                select(User.telegram_id)
                .join(Payment, Payment.user_id == User.id)
                .where(Payment.id == payment_id)
            )
        return chat


def _phone_request(user: User) -> PhoneRequest:
    return PhoneRequest(has_phone=user.phone is not None, skipped=user.phone_skipped_at is not None)


def _owner(user: User, listed: bool) -> bool:
    """ADMIN_IDS owners are always owners; owners the command line added stay until
    `admin remove`."""
    return listed or user.admin_added_at is not None


def _caller(user: User, telegram_id: int) -> Caller:
    return Caller(user.id, telegram_id, user.language, user.name, user.is_admin)
