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

DEFAULT_LANGUAGE = "en"


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
    bundle = BUNDLES.get(lang, BUNDLES[DEFAULT_LANGUAGE])
    fluent_id = key.replace(".", "-", 1)
    if not bundle.has_message(fluent_id):
        bundle = BUNDLES[DEFAULT_LANGUAGE]
    message = bundle.get_message(fluent_id)
    if message.value is None:
        raise KeyError(key)
    text, errors = bundle.format_pattern(message.value, _values(values))
    if errors:
        raise ValueError(f"{lang}:{key}: {errors}")
    return str(text)


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
