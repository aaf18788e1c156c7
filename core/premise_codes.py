"""A premise's short numeric code (4-6 digits, unique) that the SMS channel names it by: a
random unused 4-digit code, 5 digits once every 4-digit one is taken, then 6."""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection

CODE = re.compile(r"^[1-9]\d{3,5}$")


class CodesExhausted(RuntimeError):
    """All 999,000 codes are taken."""


def pick(used: Collection[str]) -> str:
    taken = set(used)
    for digits in (4, 5, 6):
        low, high = 10 ** (digits - 1), 10**digits
        in_width = sum(1 for code in taken if len(code) == digits)
        if in_width >= high - low:
            continue
        # Random guesses while the width is mostly free; the full list once it is crowded.
        if in_width < (high - low) // 2:
            while (code := str(low + secrets.randbelow(high - low))) in taken:
                pass
            return code
        free = [str(n) for n in range(low, high) if str(n) not in taken]
        return free[secrets.randbelow(len(free))]
    raise CodesExhausted("no premise code left")
