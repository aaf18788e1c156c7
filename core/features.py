"""Premise features the product knows, in display order (edges map them to icons/text)."""

from __future__ import annotations

FEATURES: tuple[str, ...] = ("covered", "ev_charging", "cctv", "24_7", "accessible", "guarded")
