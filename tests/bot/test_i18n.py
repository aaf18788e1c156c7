"""Every language has every text, with the same placeholders; values are escaped."""

from __future__ import annotations

import string

from bot.i18n import CATALOGS, Raw, pick_language, tr


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_all_languages_have_the_same_keys_and_placeholders() -> None:
    english = CATALOGS["en"]
    for lang, catalog in CATALOGS.items():
        assert catalog.keys() == english.keys(), f"{lang}: {catalog.keys() ^ english.keys()}"
        for key, template in catalog.items():
            assert _fields(template) == _fields(english[key]), f"{lang}:{key}"
            assert template.strip(), f"{lang}:{key} is empty"


def test_ukrainian_is_really_translated() -> None:
    # Only texts made of placeholders and symbols may be the same in both languages.
    wordless = {
        "btn.prev",
        "btn.pay_card",
        "bookings.item",
        "booking.payment_line",
        "btn.topup",
        "history.item",
        "btn.remove_card",
        "btn.extend",
    }
    same = {k for k, v in CATALOGS["uk"].items() if v == CATALOGS["en"][k]}
    assert same <= wordless


def test_values_are_escaped_but_translated_texts_are_not() -> None:
    text = tr("en", "find.address_not_found", query="<script>&")
    assert "&lt;script&gt;&amp;" in text
    inner = tr("en", "premise.rating", rating=4.5, count=2)
    assert isinstance(inner, Raw)
    assert (
        tr(
            "en",
            "premise.card",
            name="A & B",
            address="x",
            price="1",
            hours="24/7",
            rating=inner,
            features="",
            description="",
        ).count("⭐ 4.5")
        == 1
    )


def test_language_follows_telegram_and_falls_back_to_english() -> None:
    assert pick_language("uk") == "uk" and pick_language("uk-UA") == "uk"
    assert pick_language("de") == "en" and pick_language(None) == "en"
