"""Users' details that rules apply to: the phone number, one user per number in E.164."""

from __future__ import annotations

import re

import phonenumbers
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidPhone, NotFound, PhoneTaken
from core.models import User

# Digits and the separators people and apps write; letters would be read as a vanity number
# ("1-800-FLOWERS") by phonenumbers, which no contact of a real phone carries.
_PHONE_CHARS = re.compile(r"\+?[\d\s().\-]+")


def normalise_phone(raw: str) -> str:
    """`raw` in E.164 (`+380501234567`), or InvalidPhone. Numbers are international: Telegram
    sends a contact's number without its leading plus, so one is assumed."""
    text = raw.strip()
    if len(text) > 32 or not _PHONE_CHARS.fullmatch(text):
        raise InvalidPhone(f"not a phone number: {raw[:40]!r}")
    try:
        number = phonenumbers.parse(text if text.startswith("+") else "+" + text, None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {raw[:40]!r}") from exc
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone(f"not a possible phone number: {raw[:40]!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


async def set_phone(session: AsyncSession, user_id: int, raw: str) -> str:
    """Stores the user's number in E.164 and returns it. Raises InvalidPhone, or PhoneTaken when
    another user has it (checked first for a clear answer; the unique index settles a race)."""
    phone = normalise_phone(raw)
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id}")
    holder = await session.scalar(select(User.id).where(User.phone == phone, User.id != user_id))
    if holder is not None:
        raise PhoneTaken("the number belongs to another user")
    try:
        async with session.begin_nested():
            user.phone = phone
            await session.flush()
    except IntegrityError as exc:
        raise PhoneTaken("the number belongs to another user") from exc
    return phone
