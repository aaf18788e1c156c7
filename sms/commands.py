"""Reading an inbound SMS: one verb and its arguments, case-insensitive, extra spaces allowed.
STOP, END, CANCEL, QUIT, UNSUBSCRIBE (and Twilio's other opt-out words) are never parking
verbs: Twilio opts the number out on them, so they mean only that here too."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from core.premise_codes import CODE


class Verb(enum.Enum):
    PARK = "park"
    PAY = "pay"  # pay the hold just quoted with the wallet or the saved card
    LOWER = "lower"
    EXTEND = "extend"
    STATUS = "status"
    LEAVE = "leave"
    HELP = "help"
    MOVE = "move"  # a blocked bay's offer: move to the free spot offered
    REFUND = "refund"  # a blocked bay's offer: a full refund
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    UNKNOWN = "unknown"


# Twilio's opt-out and opt-in keywords (the whole message), DESIGN.md §10.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})

_VERBS = {
    "PARK": Verb.PARK,
    "PAY": Verb.PAY,
    "LOWER": Verb.LOWER,
    "ARRIVED": Verb.LOWER,
    "EXT": Verb.EXTEND,
    "EXTEND": Verb.EXTEND,
    "STATUS": Verb.STATUS,
    "LEAVE": Verb.LEAVE,
    "HELP": Verb.HELP,
    "INFO": Verb.HELP,
    "MOVE": Verb.MOVE,
    "REFUND": Verb.REFUND,
}

_DURATION = re.compile(r"(?:(\d{1,2})H)?(?:(\d{1,4})M?)?")


@dataclass(frozen=True, slots=True)
class Command:
    verb: Verb
    code: str | None = None  # PARK: the car park's code
    minutes: int | None = None  # PARK: how long; EXT: how much longer (None: unreadable)
    # YES is one of Twilio's default opt-in words (DESIGN.md §12: never a parking verb), so it
    # opts in like START; a driver who meant "pay" is told the verb is PAY.
    said_yes: bool = False


_UNITS = (("HOURS", "H"), ("HOUR", "H"), ("HRS", "H"), ("HR", "H"), ("MINUTES", "M"), ("MINS", "M"),
          ("MIN", "M"))  # fmt: skip


def duration(text: str) -> int | None:
    """`2H`, `90`, `90M`, `1H30`, `1H 30`, `2 hours`, `90 min` → minutes; None when unreadable."""
    compact = "".join(text.upper().split())
    for word, unit in _UNITS:
        compact = compact.replace(word, unit)
    match = _DURATION.fullmatch(compact)
    if not compact or match is None or not (match.group(1) or match.group(2)):
        return None
    return int(match.group(1) or 0) * 60 + int(match.group(2) or 0)


def parse(body: str) -> Command:
    words = body.upper().split()
    if not words:
        return Command(Verb.UNKNOWN)
    whole = " ".join(words)
    if whole in OPT_OUT_WORDS:
        return Command(Verb.OPT_OUT)
    if whole in OPT_IN_WORDS:
        return Command(Verb.OPT_IN, said_yes=whole == "YES")
    verb = _VERBS.get(words[0], Verb.UNKNOWN)
    rest = words[1:]
    if verb == Verb.PARK:
        if not rest:
            return Command(Verb.HELP)
        code, when = rest[0].lstrip("#"), rest[1:]
        # `PARK 2H 1042`, `PARK 2 hours #1042`: the time first and the code after it is the same.
        last = rest[-1].lstrip("#")
        if when and not CODE.match(code) and CODE.match(last) and duration(" ".join(rest[:-1])):
            code, when = last, rest[:-1]
        return Command(verb, code=code, minutes=duration(" ".join(when)) if when else None)
    if verb == Verb.EXTEND:
        return Command(verb, minutes=duration(" ".join(rest)) if rest else 30)
    if rest and verb not in (Verb.HELP,):
        return Command(Verb.UNKNOWN)
    return Command(verb)
