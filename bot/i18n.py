"""The one translation layer: every user-facing text goes through `tr`.

Texts are Project Fluent catalogs, one file per language, `bot/locales/<code>.ftl`; the
languages are the files present, so adding one is adding a file (its own name is its
`language-name` message). Fluent rather than gettext: our texts are keyed messages and Fluent
keeps the keys (gettext keys a text on its English sentence); each language chooses its own
plural and select variants inside a message (CLDR categories: English one/other, Ukrainian
one/few/many/other) without the call site knowing; and translators' tools (Pontoon, Weblate)
open .ftl files.

Call sites keep dotted keys (`tr(lang, "find.free", count=3)`). Fluent ids cannot hold dots,
so a catalog spells the key with "-" (`find-free`); keys themselves never contain "-".
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import babel
from fluent.runtime import FluentBundle, resolver
from fluent.runtime.types import FluentInt
from fluent.syntax import FluentParser, ast

DEFAULT_LANGUAGE = "en"
LOCALES: Traversable = resources.files("bot") / "locales"


class Raw(str):
    """Text already safe for Telegram HTML (a translated text, or composed of them)."""


def fluent_id(key: str) -> str:
    """The catalog's id for a key: `find.free` → `find-free`."""
    return key.replace(".", "-")


class Catalog(Mapping[str, ast.Message]):
    """One language's texts by key ("find.free"): the parsed messages (the tests read their
    variables and variants) and the bundle that formats them."""

    def __init__(self, code: str, source: str) -> None:
        # Plural rules come from the code's CLDR locale: a file named for a language Babel
        # does not know fails here, at start-up, instead of choosing plurals by guesswork.
        babel.Locale.parse(code)
        resource = FluentParser().parse(source)
        junk = [entry for entry in resource.body if isinstance(entry, ast.Junk)]
        if junk:
            raise ValueError(f"{code}.ftl does not parse near {(junk[0].content or '')[:80]!r}")
        self.code = code
        # Without use_isolating=False every value would arrive in Telegram wrapped in
        # invisible Unicode isolation marks.
        self.bundle = FluentBundle([code], use_isolating=False)
        self.bundle.add_resource(resource)
        messages = [entry for entry in resource.body if isinstance(entry, ast.Message)]
        self._messages = {message.id.name.replace("-", "."): message for message in messages}

    def __getitem__(self, key: str) -> ast.Message:
        return self._messages[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._messages)

    def __len__(self) -> int:
        return len(self._messages)

    def format(self, key: str, values: Mapping[str, Any]) -> str:
        pattern = self.bundle.get_message(fluent_id(key)).value
        if pattern is None:
            raise KeyError(key)
        text, errors = self.bundle.format_pattern(pattern, {k: _fluent(v) for k, v in values.items()})
        if errors or not isinstance(text, str):
            raise ValueError(f"{self.code}:{key}: {errors}")
        return text


def load_catalogs(directory: Traversable) -> dict[str, Catalog]:
    """Every `<code>.ftl` in `directory`, the default language first, then by code."""
    found = {
        entry.name.removesuffix(".ftl"): Catalog(entry.name.removesuffix(".ftl"), entry.read_text("utf-8"))
        for entry in directory.iterdir()
        if entry.name.endswith(".ftl")
    }
    if DEFAULT_LANGUAGE not in found:
        raise ValueError(f"no {DEFAULT_LANGUAGE}.ftl in {directory}")
    return {code: found[code] for code in sorted(found, key=lambda code: (code != DEFAULT_LANGUAGE, code))}


CATALOGS: dict[str, Catalog] = load_catalogs(LOCALES)
LANGUAGES: dict[str, str] = {code: catalog.format("language.name", {}) for code, catalog in CATALOGS.items()}


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
    return Raw(_format(lang, key, {k: _safe(v) for k, v in values.items()}))


def tr_label(lang: str, key: str, /, **values: Any) -> str:
    """A button label or a callback alert: Telegram shows those as plain text (never parsed as
    HTML), so values go in as they are; escaping them would show "Park &amp; Ride"."""
    return _format(lang, key, values)


# Fluent refuses a value longer than this in one placeable (a guard against hostile
# translations); a longer one (a long description) is put in after formatting instead.
_LONGEST_PLACEABLE = resolver.MAX_PART_LENGTH
_SPLICE = re.compile("\x00([A-Za-z0-9_]+)\x00")


def _format(lang: str, key: str, values: Mapping[str, Any]) -> str:
    catalog = CATALOGS.get(lang, CATALOGS[DEFAULT_LANGUAGE])
    if key not in catalog:
        catalog = CATALOGS[DEFAULT_LANGUAGE]
        if key not in catalog:
            raise KeyError(key)
    long = {name: v for name, v in values.items() if isinstance(v, str) and len(v) > _LONGEST_PLACEABLE}
    text = catalog.format(key, {**values, **{name: f"\x00{name}\x00" for name in long}})
    return _SPLICE.sub(lambda m: str(long.get(m.group(1), m.group(0))), text) if long else text


def _fluent(value: Any) -> Any:
    """A value as Fluent gets it. Integers stay numbers, so a message can choose its plural,
    and print as before: digits only, never grouped ("1000", not "1,000" or "1 000"). Strings
    go as they are; anything else as `str.format` printed it before (a rating "4.5", never the
    locale's "4,5")."""
    if isinstance(value, int) and not isinstance(value, bool):
        return FluentInt(value, useGrouping=False)
    if isinstance(value, str):
        return value
    return format(value, "")
