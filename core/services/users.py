"""Users' details that rules apply to: the phone number, one user per number in E.164."""

from __future__ import annotations

import re

import phonenumbers
from sqlalchemy import select, update
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
    holder = await session.scalar(select(User).where(User.phone == phone, User.id != user_id))
    if holder is not None:
        if holder.telegram_id is not None or user.phone is not None:
            raise PhoneTaken("the number belongs to another user")
        # A driver met by SMS first now shares the number in Telegram: one user per number
        # (DESIGN.md §12), so the SMS user's bookings, payments and wallet become theirs.
        await merge_into(session, holder, user)
    try:
        async with session.begin_nested():
            user.phone = phone
            await session.flush()
    except IntegrityError as exc:
        raise PhoneTaken("the number belongs to another user") from exc
    return phone


async def merge_into(session: AsyncSession, gone: User, kept: User) -> None:
    """Moves every row of `gone` (an SMS-only user) to `kept` and deletes `gone`: each column
    that refers to users.id, whatever the table (the schema grows; this follows it). A row
    that would break a unique rule (the same favourite twice) makes the whole merge fail
    with PhoneTaken; nothing is half moved (a savepoint)."""
    try:
        async with session.begin_nested():
            for table in User.metadata.sorted_tables:
                for column in table.columns:
                    if any(fk.column is User.__table__.c.id for fk in column.foreign_keys):
                        await session.execute(
                            update(table).where(column == gone.id).values({column.name: kept.id})
                        )
            kept.sms_opt_out = kept.sms_opt_out or gone.sms_opt_out
            if kept.stripe_customer_id is None and gone.stripe_customer_id is not None:
                customer, gone.stripe_customer_id = gone.stripe_customer_id, None
                await session.flush()
                kept.stripe_customer_id = customer
            await session.delete(gone)
            await session.flush()
    except IntegrityError as exc:
        raise PhoneTaken("the number's SMS user cannot be merged") from exc
