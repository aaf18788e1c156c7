"""Every SMS text, in every language, fits two SMS parts with long, realistic values; the
segment counter follows GSM-7 (160/153) and UCS-2 (70/67)."""

from __future__ import annotations

import re

import pytest

from sms.commands import Verb, duration, parse
from sms.render import ADDRESS_CHARS, NAME_CHARS, SPOT_CHARS, extension_options, short
from sms.segments import count
from sms.texts import BUNDLES, keys, t

LONG = {
    "id": 1234567,
    "name": short("Kontraktova Square Underground Garage", NAME_CHARS),
    "spot": short("B-117", SPOT_CHARS),
    "from_spot": short("C-2045", SPOT_CHARS),
    "address": short("12 Kontraktova Square, Podilskyi District", ADDRESS_CHARS),
    "start": "23:45",
    "end": "01:15",
    "until": "01:15",
    "at": "01:30",
    "price": "1234.50 EUR",
    "amount": "1234.50 EUR",
    "added": "1234.50 EUR",
    "balance": "12345.00 EUR",
    "code": "104299",
    "hold": 10,
    "minutes": 10,
    "brand": "Mastercard",
    "last4": "4242",
    "method": "card *4242",
    "state": "awaiting payment",
    "options": extension_options([(30, 1250), (60, 2500), (120, 5000)], "EUR"),
    "to": short("B-118", SPOT_CHARS),  # a blocked bay's free spot
    "credit": "1234.50 EUR",
    "why": "something is in the way of the blocker",
    # A short payment link (`PUBLIC_URL/p/<token>`) under a long public host name.
    "link": "https://parking.example.com/p/AbCdEfGh-_",
}
# Every moment as a text names it when it is not on today (the start) or not on the start's
# day (a range's end): with its date (sms/texts.py `moment`), the longest a time gets.
DATED = {"start": "21.11 23:45", "end": "22.11 01:15", "until": "22.11 01:15", "at": "22.11 01:30"}
UK_NAME = short("Підземний паркінг на Контрактовій площі", NAME_CHARS)
UK_ADDRESS = short("Контрактова площа, 12, Подільський район", ADDRESS_CHARS)
# Cyrillic values where transliteration grows most (щ: shch, ж: zh, х: kh, ю: iu...).
CYRILLIC = {
    "name": short("Щасливий Хрещатик Південь", NAME_CHARS),
    "spot": short("Ж-117", SPOT_CHARS),
    "from_spot": short("Щ-2045", SPOT_CHARS),
    "address": short("Жилянська вулиця, 118, Шевченківський район", ADDRESS_CHARS),
}
LATIN = {k: str(LONG[k]) for k in CYRILLIC}


def test_segments_count_gsm7_and_ucs2() -> None:
    assert count("a" * 160).parts == 1 and count("a" * 161).parts == 2
    assert count("a" * 306).parts == 2 and count("a" * 307).parts == 3
    assert count("€" * 80).units == 160 and count("€" * 80).encoding == "GSM-7"
    assert count("ї" * 70).parts == 1 and count("ї" * 71).parts == 2 and count("a" * 134 + "ї").parts == 3
    assert count("a" * 159 + "’").encoding == "UCS-2"
    assert count("🅿️").units == 3


PLACES: dict[str, dict[str, str]] = {
    "latin": LATIN,
    "cyrillic": CYRILLIC,
    "cyrillic-long": {"name": UK_NAME, "address": UK_ADDRESS},
}


@pytest.mark.parametrize(
    ("lang", "place"),
    [(lang, place) for lang in sorted(BUNDLES) for place in PLACES if lang == "en" or place != "latin"],
)
def test_every_text_fits_two_parts_with_long_values(lang: str, place: str) -> None:
    """A car park named in Cyrillic (a spot, an address) keeps every text within two parts in
    both languages: English texts stay GSM-7 (the names transliterated), never 67 a part.
    Ukrainian texts are measured with Ukrainian names."""
    assert set(keys(lang)) == set(keys("en")), "each language has every text"
    values = {**LONG, **PLACES[place], **DATED}
    # Why a bay is blocked: the longest reason in the language.
    values["why"] = max(
        (t(lang, f"reply.bay_why_{r}") for r in ("obstacle", "car_present", "blocker_down")), key=len
    )
    if lang == "uk":
        values["state"] = t("uk", "reply.state_pending")
        values["method"] = t("uk", "reply.method_wallet", balance=LONG["balance"])
    for key in keys(lang):
        text = t(lang, key, **values)
        segments = count(text)
        assert segments.parts <= 2, (lang, key, segments, text)
        if lang == "en":
            assert segments.encoding == "GSM-7", (key, text)
        assert "<" not in text.replace("<code>", "").replace("<time>", "").replace("<код>", "").replace(
            "<час>", ""
        ), (key, text)


@pytest.mark.parametrize("lang", sorted(BUNDLES))
def test_texts_ask_for_pay_never_for_twilios_keywords(lang: str) -> None:
    """YES, START and STOP are Twilio's opt-in and opt-out words: Twilio may answer them
    itself, so no text asks for them as a parking verb (only HELP says how to opt out)."""
    for key in keys(lang):
        words = set(re.findall(r"[A-Z]{2,}", t(lang, key, **LONG)))
        assert not words & {"YES", "START", "UNSTOP", "END", "CANCEL", "QUIT"}, (lang, key)
        assert "STOP" not in words or key == "reply.help", (lang, key)
    assert "PAY" in t(lang, "reply.quote_yes", **LONG)
    help_text = t(lang, "reply.help")
    for verb in ("PARK", "PAY", "LOWER", "EXT", "STATUS", "LEAVE", "MOVE", "REFUND", "STOP"):
        assert verb in help_text, (lang, verb)


def test_ukrainian_texts_have_no_latin_look_alikes() -> None:
    """A Latin letter inside a Cyrillic word (і/i, о/o, с/c…) looks right and reads wrong to a
    search, a screen reader or a spell checker."""
    for key in keys("uk"):
        for word in re.findall(r"\w+", t("uk", key, **{**LONG, "name": UK_NAME})):
            if re.search(r"[а-яіїєґА-ЯІЇЄҐ]", word):
                assert not re.search(r"[A-Za-z]", word), (key, word)


def test_english_texts_stay_gsm7() -> None:
    for key in keys("en"):
        assert count(t("en", key, **LONG)).encoding == "GSM-7", key


@pytest.mark.parametrize(
    ("body", "verb", "code", "minutes"),
    [
        ("PARK 1042 2H", Verb.PARK, "1042", 120),
        ("  park   1042  90 ", Verb.PARK, "1042", 90),
        ("Park 1042 1h30", Verb.PARK, "1042", 90),
        ("PARK 1042 1h 30", Verb.PARK, "1042", 90),
        ("PARK 1042 soon", Verb.PARK, "1042", None),
        ("ext 30", Verb.EXTEND, None, 30),
        ("arrived", Verb.LOWER, None, None),
        ("pay", Verb.PAY, None, None),
        (" move ", Verb.MOVE, None, None),
        ("Refund", Verb.REFUND, None, None),
        ("yes", Verb.OPT_IN, None, None),
        ("PARK #1042 2 hours", Verb.PARK, "1042", 120),
        ("park 2h 1042", Verb.PARK, "1042", 120),
        ("PARK 1042 90 min", Verb.PARK, "1042", 90),
        ("PARK 9999", Verb.PARK, "9999", None),
        ("stop", Verb.OPT_OUT, None, None),
        ("CANCEL", Verb.OPT_OUT, None, None),
        ("End", Verb.OPT_OUT, None, None),
        ("unstop", Verb.OPT_IN, None, None),
        ("hello there", Verb.UNKNOWN, None, None),
        ("", Verb.UNKNOWN, None, None),
    ],
)
def test_commands_are_read_loosely(body: str, verb: Verb, code: str | None, minutes: int | None) -> None:
    command = parse(body)
    assert (command.verb, command.code) == (verb, code)
    if verb in (Verb.PARK, Verb.EXTEND):
        assert command.minutes == minutes


def test_durations() -> None:
    assert [duration(d) for d in ("2H", "90", "1h30", "45m", "x", "")] == [120, 90, 90, 45, None, None]
    assert [duration(d) for d in ("2 hours", "1 hour 30", "90 mins", "1hr", "3 days")] == [
        120,
        90,
        90,
        60,
        None,
    ]


def test_english_texts_name_a_cyrillic_car_park_in_latin_letters() -> None:
    assert t("en", "notify.review_published", name="Паркінг Хрещатик") == (
        "Your review of Parkinh Khreshchatyk is published. Thank you!"
    )
    assert t("en", "reply.no_spot", name="ТРЦ «Юність»") == 'TRTs "Yunist" has no free spot now.'
    # Transliterated, a name stays within its 20 characters, cut after a whole word.
    assert t("en", "reply.closed", name=CYRILLIC["name"]) == "Shchaslyvyi is closed at that time."
    assert t("uk", "reply.no_spot", name="Паркінг Хрещатик") == "Паркінг Хрещатик: зараз немає вільних місць."
