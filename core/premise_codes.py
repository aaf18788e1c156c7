"""A premise's short numeric code (4-6 digits, unique) that the SMS channel names it by: a
random unused 4-digit code, 5 digits once every 4-digit one is taken, then 6."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Collection

CODE = re.compile(r"^[1-9]\d{3,5}$")


class CodesExhausted(RuntimeError):
    """All 999,000 codes are taken."""


# The random source: n -> a number in [0, n). A parameter so that a test can make two
# creations draw the same code (the race the unique index and a retry settle).
Draw = Callable[[int], int]


def pick(used: Collection[str], draw: Draw = secrets.randbelow) -> str:
    taken = set(used)
    for digits in (4, 5, 6):
        low, high = 10 ** (digits - 1), 10**digits
        in_width = sum(1 for code in taken if len(code) == digits)
        if in_width >= high - low:
            continue
        # Random guesses while the width is mostly free; the full list once it is crowded.
        if in_width < (high - low) // 2:
            while (code := str(low + draw(high - low))) in taken:
                pass
            return code
        free = [str(n) for n in range(low, high) if str(n) not in taken]
        return free[draw(len(free))]
    raise CodesExhausted("no premise code left")
