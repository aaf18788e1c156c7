"""A user's phone number on SQLite and PostgreSQL: one user per number (DESIGN.md §12)."""

from __future__ import annotations

import asyncio

import pytest

from core.db import Database
from core.errors import InvalidPhone, PhoneTaken
from core.models import User
from core.services import users
from tests.factories import make_user


async def _phone_of(db: Database, user_id: int) -> str | None:
    async with db.read() as s:
        user = await s.get(User, user_id)
        assert user is not None
        return user.phone


async def test_a_number_is_normalised_kept_by_one_user_and_invalid_ones_change_nothing(db: Database) -> None:
    async with db.transaction() as s:
        a, b = (await make_user(s)).id, (await make_user(s)).id
    async with db.transaction() as s:
        assert await users.set_phone(s, a, "380 50 123 4567") == "+380501234567"
    async with db.transaction() as s:
        assert await users.set_phone(s, a, "+380501234567") == "+380501234567"  # again: fine
    with pytest.raises(PhoneTaken):
        async with db.transaction() as s:
            await users.set_phone(s, b, "380501234567")
    for junk in ("abc", "+", "1" * 40):
        with pytest.raises(InvalidPhone):
            async with db.transaction() as s:
                await users.set_phone(s, b, junk)
    assert (await _phone_of(db, a), await _phone_of(db, b)) == ("+380501234567", None)


async def test_two_users_claiming_one_number_at_once_give_one_owner(db: Database) -> None:
    async with db.transaction() as s:
        ids = [(await make_user(s)).id for _ in range(6)]

    async def claim(user_id: int) -> bool:
        try:
            async with db.transaction() as s:
                await users.set_phone(s, user_id, "+16502530000")
        except PhoneTaken:
            return False
        return True

    results = await asyncio.gather(*(claim(i) for i in ids))
    assert results.count(True) == 1
    assert [await _phone_of(db, i) for i in ids].count("+16502530000") == 1
