"""Number plates have one spelling; VAT is taken out of VAT-inclusive prices in integer minor
units, rounded half up; the console reads a VAT rate in per cent without floats."""

from __future__ import annotations

import pytest

from core.errors import InvalidOperatorField, InvalidPlate
from core.plates import normalise
from core.services.receipts import operator_key
from core.usecases.operator_admin import parse_vat_rate
from core.usecases.receipts import vat_included


@pytest.mark.parametrize(
    "typed",
    ["AA1234BB", "aa1234bb", "AA 1234 BB", "AA-1234-BB", "АА1234ВВ", "аа 1234–вв", " Аa 1234 вB "],
)
def test_cyrillic_and_latin_spellings_of_one_plate_are_one_plate(typed: str) -> None:
    assert normalise(typed) == "AA1234BB"


def test_every_cyrillic_look_alike_maps_to_its_latin_letter() -> None:
    assert normalise("АВЕІКМН") + normalise("ОРСТХУ") == "ABEIKMHOPCTXY"
    assert normalise("ka 0001 ak") == "KA0001AK"
    # A letter with no Latin twin stays: a plate from elsewhere may have it.
    assert normalise("Ж123") == "Ж123"


@pytest.mark.parametrize("typed", ["", "A", "  -  ", "A!1234", "AA1234BB1234X", "AA/1234"])
def test_what_cannot_be_a_plate_is_refused(typed: str) -> None:
    with pytest.raises(InvalidPlate):
        normalise(typed)


@pytest.mark.parametrize(
    ("gross", "rate_bp", "vat"),
    [
        (500, 2000, 83),  # 83.33
        (100, 2000, 17),  # 16.67
        (300, 2000, 50),  # exactly 50
        (6, 2000, 1),  # 1.0
        (3, 2000, 1),  # 0.5: half up
        (2, 2000, 0),  # 0.33
        (1000, 0, 0),
        (1075, 750, 75),  # 7.5 %: 75.0
        (0, 2000, 0),
    ],
)
def test_vat_inside_a_vat_inclusive_amount(gross: int, rate_bp: int, vat: int) -> None:
    assert vat_included(gross, rate_bp) == vat


@pytest.mark.parametrize(
    ("typed", "bp"), [("20", 2000), ("20 %", 2000), ("7.5", 750), ("7,5", 750), ("0", 0), ("12.25", 1225)]
)
def test_a_vat_rate_in_per_cent(typed: str, bp: int) -> None:
    assert parse_vat_rate(typed) == bp


@pytest.mark.parametrize("typed", ["", "twenty", "-1", "51", "7.125", "nan", "inf"])
def test_a_vat_rate_that_cannot_be_is_refused(typed: str) -> None:
    with pytest.raises(InvalidOperatorField):
        parse_vat_rate(typed)


def test_one_vat_number_is_one_operator_however_it_is_spelled() -> None:
    assert operator_key(vat_number="UA 1234-5678", premise_id=1) == operator_key(
        vat_number="ua12345678", premise_id=2
    )
    assert operator_key(vat_number="", premise_id=3) == "premise:3"
    assert operator_key(vat_number=" ", premise_id=None) == "service"
