"""Typed spot labels for "Add spots": single labels and `A1-A20` ranges, and what is refused."""

from __future__ import annotations

import pytest

from core.errors import InvalidSpotLabels, SpotLabelTaken, TooManySpots
from core.usecases.spots import MAX_NEW_SPOTS, parse_labels


def test_a_single_label() -> None:
    assert parse_labels("B7") == ["B7"]
    assert parse_labels("  P1 ") == ["P1"]


def test_ranges_with_letters_kept_and_padding() -> None:
    assert parse_labels("A1-A5") == ["A1", "A2", "A3", "A4", "A5"]
    assert parse_labels("A8-10") == ["A8", "A9", "A10"]
    assert parse_labels("A08-A10") == ["A08", "A09", "A10"]
    assert parse_labels("1-3") == ["1", "2", "3"]
    assert parse_labels("Б1-Б2") == ["Б1", "Б2"]  # Cyrillic letters are letters too


def test_several_separated_by_commas_or_spaces() -> None:
    assert parse_labels("A1-A2, B7 C1") == ["A1", "A2", "B7", "C1"]


@pytest.mark.parametrize("text", ["", "  ", "A5-A1", "A1-B3", "A1-", "A 1-2-3", "A1;A2", "x" * 33])
def test_what_cannot_be_read_is_refused(text: str) -> None:
    with pytest.raises(InvalidSpotLabels):
        parse_labels(text)


def test_at_most_500_at_once() -> None:
    assert len(parse_labels(f"A1-A{MAX_NEW_SPOTS}")) == MAX_NEW_SPOTS == 500
    with pytest.raises(TooManySpots):
        parse_labels("A1-A501")
    with pytest.raises(TooManySpots):
        parse_labels("A1-A300, B1-B300")
    with pytest.raises(TooManySpots):
        parse_labels("A1-A99999999999")  # refused before any list is built


def test_a_label_named_twice_is_refused() -> None:
    with pytest.raises(SpotLabelTaken) as refused:
        parse_labels("A1-A3, A2")
    assert refused.value.labels == ["A2"]
