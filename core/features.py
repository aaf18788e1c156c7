"""Premise features the product knows, in display order (edges map them to icons/text)."""

from __future__ import annotations

FEATURES: tuple[str, ...] = ("covered", "ev_charging", "cctv", "24_7", "accessible", "guarded")


def normalise_features(values: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    unknown = set(values) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown features: {', '.join(sorted(unknown))}")
    return [f for f in FEATURES if f in values]
