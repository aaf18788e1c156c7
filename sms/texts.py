"""The SMS texts: Fluent catalogs of their own (`sms/locales/<code>.ftl`), plain text (no
HTML: a phone shows every character), each within two SMS parts (tests/sms checks every one
in every language with long values). Keys are dotted in code, dashed in the files, as in bot/."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from fluent.runtime import FluentBundle, FluentResource
from fluent.runtime.types import FluentInt

from core.money import Money
from sms.segments import gsm7, is_gsm7

DEFAULT_LANGUAGE = "en"
# Languages whose texts are GSM-7 (160 / 153 characters a part): a value in other characters
# (a car park's name in Cyrillic) is transliterated, or the whole text would be UCS-2 and no
# longer fit two parts (DESIGN.md §12). Ukrainian texts are UCS-2 anyway and keep the names.
GSM7_LANGUAGES = frozenset({"en"})

NAME_CHARS = 20  # a car park's name in an SMS; longer names are cut after a whole word
SPOT_CHARS = 6
ADDRESS_CHARS = 30  # a guest pass's address
# What a value may take in a GSM-7 text once transliterated ("Щ" is "Shch"): its budget, or its
# own length when it came longer; the other values are no longer than they came.
_BUDGETS = {"name": NAME_CHARS, "spot": SPOT_CHARS, "from_spot": SPOT_CHARS, "address": ADDRESS_CHARS}


def _load() -> dict[str, FluentBundle]:
    bundles: dict[str, FluentBundle] = {}
    for entry in (resources.files("sms") / "locales").iterdir():
        if entry.name.endswith(".ftl"):
            code = entry.name.removesuffix(".ftl")
            bundle = FluentBundle([code], use_isolating=False)
            bundle.add_resource(FluentResource(entry.read_text("utf-8")))
            bundles[code] = bundle
    return bundles


BUNDLES: dict[str, FluentBundle] = _load()


def keys(lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """Every text's key in a language's file (the tests go through them all)."""
    bundle = BUNDLES[lang]
    return sorted(k.replace("-", ".", 1) for k in bundle._messages)


def t(lang: str, key: str, /, **values: Any) -> str:
    """The text for `key` in `lang` (English when the language or the text is missing)."""
    code = lang if lang in BUNDLES else DEFAULT_LANGUAGE
    fluent_id = key.replace(".", "-", 1)
    if not BUNDLES[code].has_message(fluent_id):
        code = DEFAULT_LANGUAGE
    bundle = BUNDLES[code]
    message = bundle.get_message(fluent_id)
    if message.value is None:
        raise KeyError(key)
    if code in GSM7_LANGUAGES:
        values = {k: _gsm7(v, _BUDGETS.get(k, 0)) if isinstance(v, str) else v for k, v in values.items()}
    text, errors = bundle.format_pattern(message.value, _values(values))
    if errors:
        raise ValueError(f"{lang}:{key}: {errors}")
    return str(text)


def _gsm7(value: str, budget: int) -> str:
    """A value for a GSM-7 text, transliterated when it is not, within its budget (a name
    within its 20 characters) or the length it came with: the two-part promise holds."""
    if is_gsm7(value):
        return value
    return short(gsm7(value), max(budget, len(value)))


def short(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut after its last whole word that fits (no mark: "…"
    is not GSM-7 and a "." reads as the end of a sentence before the comma that follows)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    words = text[: limit + 1].split(" ")[:-1] or [text[:limit]]
    while len(words) > 1 and len(words[-1].strip(",.;:-–")) <= 2:  # "… на", "… of": say less
        words.pop()
    return " ".join(words).rstrip(" ,.;:-–")


def _values(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in values.items():
        if isinstance(v, int) and not isinstance(v, bool):
            out[k] = FluentInt(v, useGrouping=False)
        else:
            out[k] = v if isinstance(v, str) else format(v, "")
    return out


def money(amount: int, currency: str) -> str:
    return Money(amount, currency).format()


def hm(when: datetime, tz: str) -> str:
    """`14:30` in the premise's time zone."""
    return when.astimezone(ZoneInfo(tz)).strftime("%H:%M")


def day_hm(when: datetime, tz: str) -> str:
    """`21.11 14:30` in the premise's time zone: the date in digits reads in every language."""
    return when.astimezone(ZoneInfo(tz)).strftime("%d.%m %H:%M")


def moment(when: datetime, tz: str, day: datetime) -> str:
    """A moment as every SMS names it: `14:30` when it falls on `day`'s date in the car park's
    zone, else `30.11 14:30`, so a time never reads as today's when it is not. `day` is the time
    the text is made (the command's clock, the notification's sending) for a moment alone; the
    start for a range's end, whose date shows only when it ends on another day than it starts
    (DESIGN.md §12)."""
    local = ZoneInfo(tz)
    same = when.astimezone(local).date() == day.astimezone(local).date()
    return hm(when, tz) if same else day_hm(when, tz)
