"""Number plates: one spelling per plate, so a plate typed on a Cyrillic keyboard and the same
plate typed on a Latin one are the same vehicle. Pure.

Normalising: upper case; spaces, dashes and dots dropped; the Cyrillic letters that look like
Latin ones (the twelve Ukrainian plates use, А В Е І К М Н О Р С Т Х, and У) replaced by those
Latin letters. "аа 1234-вв" and "AA1234BB" are both AA1234BB. Other letters are kept: a plate
from elsewhere may have them.
"""

from __future__ import annotations

from core.errors import InvalidPlate

# Cyrillic → the Latin letter it looks like (upper case; lower case is upper-cased first).
LOOKALIKES = str.maketrans(
    {
        "А": "A",
        "В": "B",
        "Е": "E",
        "І": "I",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "O",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "Х": "X",
        "У": "Y",
    }
)
_DROPPED = str.maketrans("", "", " \t-‐‑‒–—.·")
MIN_LENGTH = 2
MAX_LENGTH = 12  # vehicles.plate and reservations.plate hold 16
MAX_VEHICLES = 5  # per driver


def normalise(text: str) -> str:
    """The plate's one spelling; raises InvalidPlate for what cannot be a plate (too short or
    long, or anything but letters and digits once spaces and dashes are gone)."""
    plate = text.strip().upper().translate(_DROPPED).translate(LOOKALIKES)
    if not MIN_LENGTH <= len(plate) <= MAX_LENGTH or not all(c.isalnum() for c in plate):
        raise InvalidPlate(text[:20])
    return plate
