"""Phone numbers: what a contact may carry, normalised to E.164 or refused."""

from __future__ import annotations

import pytest

from core.errors import InvalidPhone
from core.services.users import normalise_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+380501234567", "+380501234567"),
        ("380501234567", "+380501234567"),  # Telegram sends contacts without the plus
        (" +380 (50) 123-45-67 ", "+380501234567"),
        ("+1 650 253 0000", "+16502530000"),
        ("447700900123", "+447700900123"),
    ],
)
def test_possible_numbers_are_stored_in_e164(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "+", "abc", "+abc", "1-800-FLOWERS", "+12", "1" * 40, "+" + "9" * 17, "+4477009001234", "+999123"],
)
def test_anything_else_is_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)
