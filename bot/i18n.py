"""The one translation layer: every user-facing text goes through `tr`."""

from __future__ import annotations

import html
from typing import Any

from bot.locales import en, uk

CATALOGS: dict[str, dict[str, str]] = {"en": en.TEXTS, "uk": uk.TEXTS}
LANGUAGES: dict[str, str] = {"en": "English", "uk": "Українська"}
DEFAULT_LANGUAGE = "en"


class Raw(str):
    """Text already safe for Telegram HTML (a translated text, or composed of them)."""


def pick_language(telegram_code: str | None) -> str:
    """The user's Telegram language if we speak it ("uk", "uk-UA"), English otherwise."""
    code = (telegram_code or "").split("-")[0].lower()
    return code if code in CATALOGS else DEFAULT_LANGUAGE


def _safe(value: Any) -> Any:
    if isinstance(value, Raw) or not isinstance(value, str):
        return value
    return html.escape(value, quote=False)


def tr(lang: str, key: str, /, **values: Any) -> Raw:
    """The text for `key` in `lang` (English where a text is missing). Plain string values are
    HTML-escaped, so user input and place names can never break a message; values that are
    already `Raw` (other translated texts) go in as they are."""
    return Raw(_template(lang, key).format(**{k: _safe(v) for k, v in values.items()}))


def tr_label(lang: str, key: str, /, **values: Any) -> str:
    """A button label or a callback alert: Telegram shows those as plain text (never parsed as
    HTML), so values go in as they are; escaping them would show "Park &amp; Ride"."""
    return _template(lang, key).format(**values)


def _template(lang: str, key: str) -> str:
    catalog = CATALOGS.get(lang, CATALOGS[DEFAULT_LANGUAGE])
    return catalog.get(key) or CATALOGS[DEFAULT_LANGUAGE][key]
