"""User use cases on SQLite and PostgreSQL: who is calling, admin rights, phone, language."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import InvalidPhone, PhoneTaken
from core.models import Payment, PaymentMethodKind, PaymentPurpose, User
from core.usecases.users import Caller, UserUseCases
from tests.factories import make_user

ADMIN = 777


def _users(db: Database, clock: ManualClock, admin_ids: frozenset[int] = frozenset({ADMIN})) -> UserUseCases:
    settings = Settings(_env_file=None, bot_token="1:x", admin_ids=admin_ids)
    return UserUseCases(db, clock, settings)


async def _row(db: Database, telegram_id: int) -> User:
    async with db.read() as s:
        user = await s.scalar(select(User).where(User.telegram_id == telegram_id))
    assert user is not None
    return user


async def test_first_contact_registers_the_user_and_later_ones_find_them(
    db: Database, clock: ManualClock
) -> None:
    users = _users(db, clock)
    first = await users.telegram_caller(42, name="Olena " + "K" * 200, language="uk")
    assert first == Caller(first.user_id, 42, "uk", "Olena " + "K" * 122, False)
    row = await _row(db, 42)
    assert (row.name, row.language, row.created_at) == (first.name, "uk", clock.now())
    clock.advance(timedelta(days=1))
    # Known users keep what they have: the name and language they were registered with.
    again = await users.telegram_caller(42, name="Someone Else", language="en")
    assert again == first


async def test_admin_rights_follow_admin_ids_both_ways(db: Database, clock: ManualClock) -> None:
    users = _users(db, clock)
    assert users.is_admin(ADMIN) and not users.is_admin(42)
    assert (await users.telegram_caller(ADMIN, name="Op", language="en")).is_admin
    assert (await _row(db, ADMIN)).is_admin
    # ADMIN_IDS changed (a restart with another list): the stored flag follows on next contact.
    demoted = await _users(db, clock, frozenset()).telegram_caller(ADMIN, name="Op", language="en")
    assert not demoted.is_admin and not (await _row(db, ADMIN)).is_admin
    promoted = await _users(db, clock, frozenset({ADMIN})).telegram_caller(ADMIN, name="Op", language="en")
    assert promoted.is_admin and (await _row(db, ADMIN)).is_admin


async def test_simultaneous_first_updates_register_one_user(db: Database, clock: ManualClock) -> None:
    users = _users(db, clock)
    callers = await asyncio.gather(
        *(users.telegram_caller(99, name="Taras", language="en") for _ in range(6))
    )
    assert len({c.user_id for c in callers}) == 1
    async with db.read() as s:
        assert await s.scalar(select(func.count()).select_from(User).where(User.telegram_id == 99)) == 1


async def test_the_phone_is_stored_normalised_and_refused_when_invalid_or_taken(
    db: Database, clock: ManualClock
) -> None:
    users = _users(db, clock)
    a = await users.telegram_caller(1, name="A", language="en")
    b = await users.telegram_caller(2, name="B", language="en")
    assert await users.phone_of(a.user_id) is None
    assert await users.set_phone(a.user_id, "380 50 123 4567") == "+380501234567"
    assert await users.phone_of(a.user_id) == "+380501234567"
    with pytest.raises(PhoneTaken):
        await users.set_phone(b.user_id, "+380501234567")
    with pytest.raises(InvalidPhone):
        await users.set_phone(b.user_id, "call me")
    assert await users.phone_of(b.user_id) is None


async def test_skipping_the_phone_request_closes_it_and_keeps_the_first_answer(
    db: Database, clock: ManualClock
) -> None:
    users = _users(db, clock)
    a = await users.telegram_caller(11, name="A", language="en")
    b = await users.telegram_caller(12, name="B", language="en")
    assert (await users.phone_request(a.user_id)).open
    await users.skip_phone(a.user_id)
    first_skip = (await _row(db, 11)).phone_skipped_at
    assert first_skip == clock.now()
    clock.advance(timedelta(minutes=5))
    await users.skip_phone(a.user_id)  # a second tap on an old keyboard
    assert (await _row(db, 11)).phone_skipped_at == first_skip
    request = await users.phone_request(a.user_id)
    assert (request.open, request.skipped, request.has_phone) == (False, True, False)
    # Sharing the number later still works, and closes the request too.
    await users.set_phone(b.user_id, "+380501234568")
    assert not (await users.phone_request(b.user_id)).open
    assert (await users.phone_request(b.user_id)).has_phone


async def test_the_full_welcome_is_for_the_first_start_only(db: Database, clock: ManualClock) -> None:
    users = _users(db, clock)
    a = await users.telegram_caller(13, name="A", language="en")
    first, *again = await asyncio.gather(*(users.greet(a.user_id) for _ in range(3)))
    greetings = [first, *again]
    # Simultaneous /starts (a double tap, two processes): one of them welcomes.
    assert sorted(g.first_contact for g in greetings) == [False, False, True]
    assert all(g.phone.open for g in greetings)
    assert (await _row(db, 13)).welcomed_at == clock.now()
    await users.skip_phone(a.user_id)
    later = await users.greet(a.user_id)
    assert (later.first_contact, later.phone.open, later.phone.skipped) == (False, False, True)


async def test_a_language_change_is_what_the_next_update_sees(db: Database, clock: ManualClock) -> None:
    users = _users(db, clock)
    caller = await users.telegram_caller(5, name="A", language="en")
    await users.set_language(caller.user_id, "uk")
    assert (await users.telegram_caller(5, name="A", language="en")).lang == "uk"


async def test_the_chat_of_a_payment_is_its_payers(db: Database, clock: ManualClock) -> None:
    users = _users(db, clock)
    async with db.transaction() as s:
        payer = await make_user(s, telegram_id=31)
        sms_only = await make_user(s, phone="+380501112233")
        payments = [
            Payment(
                user_id=user.id,
                purpose=PaymentPurpose.TOPUP,
                method=PaymentMethodKind.CARD,
                amount=500,
                currency="EUR",
                created_at=clock.now(),
            )
            for user in (payer, sms_only)
        ]
        s.add_all(payments)
        await s.flush()
        ids = [p.id for p in payments]
    assert await users.telegram_chat_of_payment(ids[0]) == 31
    assert await users.telegram_chat_of_payment(ids[1]) is None
    assert await users.telegram_chat_of_payment(10_000) is None


async def test_sharing_the_number_of_an_sms_user_makes_one_user_of_both(
    db: Database, clock: ManualClock
) -> None:
    """A driver who parked by SMS and then shares the same number in Telegram is one user:
    the SMS user's payments (and bookings, wallet) are the Telegram user's from then on."""
    users = _users(db, clock)
    async with db.transaction() as s:
        sms_only = await make_user(s, phone="+380501112299")
        s.add(
            Payment(
                user_id=sms_only.id,
                purpose=PaymentPurpose.TOPUP,
                method=PaymentMethodKind.CARD,
                amount=500,
                currency="EUR",
                created_at=clock.now(),
            )
        )
        sms_id = sms_only.id
    caller = await users.telegram_caller(77, name="Olha", language="uk")
    assert await users.set_phone(caller.user_id, "380 50 111 22 99") == "+380501112299"
    async with db.read() as s:
        assert await s.get(User, sms_id) is None
        owners = list(await s.scalars(select(Payment.user_id)))
    assert owners == [caller.user_id]
