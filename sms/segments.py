"""How many SMS parts a text costs (DESIGN.md §12): GSM-7 carries 160 characters in one part
and 153 in each part of a longer message; one character outside GSM-7 makes the whole text
UCS-2, 70 characters alone or 67 a part (so every Ukrainian text is UCS-2). Characters of the
GSM-7 extension table take two septets; UCS-2 counts UTF-16 code units (an emoji takes two)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("\f^{}\\[~]|€")


@dataclass(frozen=True, slots=True)
class Segments:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: int


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def count(text: str) -> Segments:
    if is_gsm7(text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        single, part, encoding = 160, 153, "GSM-7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = 70, 67, "UCS-2"
    parts = 1 if units <= single else -(-units // part)
    return Segments(encoding, units, parts)


# Ukrainian (the national romanisation of 2010, KMU 55) and the few Russian letters besides;
# є, ї, й, ю, я differ at a word's start. A car park's name or a spot in Cyrillic keeps an
# English text GSM-7 this way (one Cyrillic letter would make all of it UCS-2: 67 a part).
_LATIN = dict(
    zip(
        "абвгґдезиіклмнопрстуфьъыэё",
        ["a", "b", "v", "h", "g", "d", "e", "z", "y", "i", "k", "l", "m", "n", "o", "p", "r", "s",
         "t", "u", "f", "", "", "y", "e", "e"],
        strict=True,
    )
) | {"ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "є": "ie", "ї": "i",
     "й": "i", "ю": "iu", "я": "ia"}  # fmt: skip
_LATIN_FIRST = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
_LOOK_ALIKES = {"’": "'", "ʼ": "'", "‘": "'", "`": "'", "“": '"', "”": '"', "«": '"', "»": '"',
                "–": "-", "—": "-", "…": "...", "№": "No.", "\u00a0": " "}  # fmt: skip


def gsm7(text: str) -> str:
    """`text` in GSM-7 characters only: Cyrillic transliterated, quotes and dashes made plain,
    accents the alphabet lacks dropped, anything else "?"."""
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch in GSM7_BASIC or ch in GSM7_EXTENDED:
            out.append(ch)
            continue
        low = ch.lower()
        if low in _LATIN:
            first = i == 0 or not text[i - 1].isalpha()
            latin = _LATIN_FIRST[low] if first and low in _LATIN_FIRST else _LATIN[low]
            if low == "г" and i > 0 and text[i - 1].lower() == "з":
                latin = "gh"  # зг: zgh, as the romanisation asks
            out.append(latin.capitalize() if ch != low and latin else latin)
        elif ch in _LOOK_ALIKES:
            out.append(_LOOK_ALIKES[ch])
        else:
            plain = "".join(c for c in unicodedata.normalize("NFKD", ch) if c in GSM7_BASIC)
            out.append(plain or "?")
    return "".join(out)
