"""Every language has every text, with the same placeholders; values are escaped; counts
take the plural their language needs; a language is one catalog file."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
from fluent.syntax import FluentSerializer
from fluent.syntax import ast as ftl
from fluent.syntax.visitor import Visitor

import bot.i18n
from bot import format as fmt
from bot.i18n import CATALOGS, LANGUAGES, LOCALES, Raw, load_catalogs, pick_language, tr, tr_label

ROOT = Path(__file__).resolve().parents[2]


class _Variables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_VariableReference(self, node: ftl.VariableReference) -> None:
        self.names.add(node.id.name)


def _variables(message: ftl.Message) -> set[str]:
    found = _Variables()
    found.visit(message)
    return found.names


def _source(message: ftl.Message) -> str:
    """The message as written, without its id."""
    return FluentSerializer().serialize_entry(message).split("=", 1)[1]


def test_all_languages_have_the_same_keys_and_placeholders() -> None:
    english = CATALOGS["en"]
    for lang, catalog in CATALOGS.items():
        assert catalog.keys() == english.keys(), f"{lang}: {catalog.keys() ^ english.keys()}"
        for key, message in catalog.items():
            assert _variables(message) == _variables(english[key]), f"{lang}:{key}"
            assert message.value is not None and _source(message).strip(), f"{lang}:{key} is empty"


def test_ukrainian_is_really_translated() -> None:
    # Only texts made of placeholders and symbols may be the same in both languages.
    wordless = {
        "btn.prev",
        "btn.pay_card",
        "bookings.item",
        "waitlist.item",
        "booking.payment_line",
        "btn.topup",
        "history.item",
        "btn.remove_card",
        "btn.extend",
        "btn.duration_price",
        "find.item_line",
        "price.line_base",
        "price.line_period",
        "admin.premise_item",
        "admin.staff_line",
        "admin.audit_line",
        "admin.btn_revoke",
        "admin.prices_sample_line",
        "admin.spot_line",
        "admin.spots_refused",
        "admin.blocker_line",
        "admin.blockers_refused",
        "reviews.item",
        "btn.edit_review_item",
        "admin.bookings_refused",
        "admin.bookings_premise",
        "admin.btn_extend_by",
        "admin.history.closed",
        "admin.history.audit",
        "admin.history.notification",  # ✉️ kind · SMS: status (the words are in its values)
        "admin.now_departure",
        "admin.now_premise_line",
        "admin.now_open",
        "admin.revenue_btn_csv",
        "admin.reviews_refused",
        "booking.plate",
        "quote.plate",
        "btn.topup_receipt",
    }
    same = {k for k, v in CATALOGS["uk"].items() if _source(v) == _source(CATALOGS["en"][k])}
    assert same <= wordless


def _code_files() -> list[Path]:
    files = [ROOT / "main.py", ROOT / "service.py"]
    for package in ("bot", "core", "payments", "jobs", "hardware", "demo"):
        files += sorted((ROOT / package).rglob("*.py"))
    return files


_TRANSLATING = {"tr", "tr_label", "t", "label"}  # bot.i18n's and bot/dialogs/common.py's
# Calls whose strings name audit actions ("spot.close"), not texts: never checked as keys.
_AUDITING = {"_action", "_view", "Audit"}
_KEY_LIKE = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)+")


def test_every_key_the_code_uses_exists() -> None:
    keys = set(CATALOGS["en"])
    namespaces = {key.split(".")[0] for key in keys if "." in key}
    missing, unmatched = [], []
    for path in _code_files():
        tree = ast.parse(path.read_text(), str(path))
        audited = {
            id(inner)
            for call in ast.walk(tree)
            if isinstance(call, ast.Call)
            and (call.func.id if isinstance(call.func, ast.Name) else getattr(call.func, "attr", ""))
            in _AUDITING
            for arg in call.args
            for inner in ast.walk(arg)
        }
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            # A key written out anywhere ("hold.too_many" in a table of refusals)...
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in audited:
                text = node.value
                if _KEY_LIKE.fullmatch(text) and text.split(".")[0] in namespaces and text not in keys:
                    missing.append(f"{where} {text}")
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in _TRANSLATING:
                continue
            key = node.args[1]
            # ...a key given to tr() and its kin, and a key made up at run time
            # (f"lower.{status}"): some key must start that way.
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value not in keys:
                missing.append(f"{where} {key.value}")
            if isinstance(key, ast.JoinedStr) and key.values and isinstance(key.values[0], ast.Constant):
                prefix = str(key.values[0].value)
                if not any(k.startswith(prefix) for k in keys):
                    unmatched.append(f"{where} {prefix}…")
    assert not missing and not unmatched, (missing, unmatched)


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
            code="",
            address="x",
            distance="",
            stay="",
            price="1",
            hours="24/7",
            rating=inner,
            features="",
            description="",
        ).count("⭐ 4.5")
        == 1
    )
    assert tr_label("uk", "btn.topup_short", amount="5 & 6") == "➕ Поповнити на 5 & 6"


def test_numbers_look_as_they_always_did() -> None:
    # No grouping ("#1,234,567"), no locale decimal comma ("4,5"), no invisible isolation marks.
    for lang, sign in (("en", "#"), ("uk", "№")):
        assert f"{sign}1234567" in tr(lang, "end.done_refunds_off", id=1234567)
        assert "4.5" in tr(lang, "premise.rating", rating=4.5, count=1000)
        assert "1000" in tr(lang, "premise.rating", rating=4.5, count=1000)
        assert tr(lang, "cards.item", brand="visa", last4="4242", month=3, year=2030).endswith(" 03/2030)")
        assert "\u2068" not in tr(lang, "find.free", count=3)


def test_a_very_long_value_goes_in_whole() -> None:
    # Fluent would refuse a placeable this long; an operator's description can be.
    description = "Entrance from the side street & " * 200
    text = tr(
        "en",
        "premise.card",
        name="A",
        code="",
        address="x",
        distance="",
        stay="",
        price="1",
        hours="24/7",
        rating="",
        features="",
        description=description,
    )
    assert text.endswith("\n\n" + description.replace("&", "&amp;"))


@pytest.mark.parametrize(
    ("count", "free", "reviews", "blockers"),
    [
        (1, "1 вільне місце", "1 відгук", "Не працює 1 блокатор. Його місце"),
        (2, "2 вільні місця", "2 відгуки", "Не працюють 2 блокатори. Їхні місця"),
        (5, "5 вільних місць", "5 відгуків", "Не працюють 5 блокаторів. Їхні місця"),
        (11, "11 вільних місць", "11 відгуків", "Не працюють 11 блокаторів. Їхні місця"),
        (21, "21 вільне місце", "21 відгук", "Не працює 21 блокатор. Їхні місця"),
        (22, "22 вільні місця", "22 відгуки", "Не працюють 22 блокатори. Їхні місця"),
        (25, "25 вільних місць", "25 відгуків", "Не працюють 25 блокаторів. Їхні місця"),
    ],
)
def test_ukrainian_plurals(count: int, free: str, reviews: str, blockers: str) -> None:
    line = tr("uk", "find.item_line", name="Центр", free=tr("uk", "find.free", count=count))
    assert line == f"Центр: {free}"
    assert tr("uk", "premise.rating", rating=4.5, count=count) == f"⭐ 4.5 ({reviews})"
    assert tr("uk", "notify.admin_blockers_unhealthy", count=count, items=Raw("• b1")).startswith(
        f"⚠️ {blockers}"
    )


def test_distances_are_in_the_drivers_language() -> None:
    assert [fmt.distance("en", m) for m in (222, 1000, 1540, 10_000)] == ["222 m", "1 km", "1.5 km", "10 km"]
    assert [fmt.distance("uk", m) for m in (222, 1000, 1540, 10_000)] == ["222 м", "1 км", "1.5 км", "10 км"]


def test_ukrainian_plurals_of_days_and_recoveries() -> None:
    assert tr("uk", "when.out_of_range", days=30) == "Оберіть день від сьогодні до 30 днів наперед."
    assert tr("uk", "when.out_of_range", days=21) == "Оберіть день від сьогодні до 21 дня наперед."
    recovered = [tr("uk", "notify.admin_blockers_recovered", count=n, items=Raw("• b1")) for n in (1, 3, 5)]
    assert recovered == [
        "✅ Знову працює 1 блокатор.\n• b1",
        "✅ Знову працюють 3 блокатори.\n• b1",
        "✅ Знову працюють 5 блокаторів.\n• b1",
    ]


def test_english_plurals() -> None:
    assert tr("en", "premise.rating", rating=5.0, count=1) == "⭐ 5.0 (1 review)"
    assert tr("en", "premise.rating", rating=4.5, count=21) == "⭐ 4.5 (21 reviews)"
    assert tr("en", "find.free", count=1) == "1 free"
    assert tr("en", "when.out_of_range", days=1) == "Please pick a day from today to 1 day ahead."
    assert tr("en", "when.out_of_range", days=30) == "Please pick a day from today to 30 days ahead."
    one = tr("en", "notify.admin_blockers_unhealthy", count=1, items=Raw("• b1"))
    assert one == "⚠️ Blocker out of service: 1. Its spot is off sale until it recovers:\n• b1"
    assert tr("en", "notify.admin_blockers_recovered", count=2, items=Raw("• b1\n• b2")).startswith(
        "✅ Blockers back in service: 2.\n"
    )


def test_language_follows_telegram_and_falls_back_to_english() -> None:
    assert pick_language("uk") == "uk" and pick_language("uk-UA") == "uk"
    assert pick_language("de") == "en" and pick_language(None) == "en"
    assert LANGUAGES == {"en": "English", "uk": "Українська"}


_POLISH = """\
language-name = Polski
menu-title = Co chcesz zrobić?
find-free =
    { $count ->
        [one] { $count } wolne miejsce
        [few] { $count } wolne miejsca
       *[many] { $count } wolnych miejsc
    }
"""


def test_a_third_language_is_one_more_catalog_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for entry in LOCALES.iterdir():
        if entry.name.endswith(".ftl"):
            shutil.copy(str(entry), tmp_path / entry.name)
    (tmp_path / "pl.ftl").write_text(_POLISH, encoding="utf-8")
    catalogs = load_catalogs(tmp_path)
    assert list(catalogs) == ["en", "pl", "uk"]
    assert {code: c.format("language.name", {}) for code, c in catalogs.items()}["pl"] == "Polski"

    monkeypatch.setattr(bot.i18n, "CATALOGS", catalogs)
    assert pick_language("pl-PL") == "pl"
    assert [tr("pl", "find.free", count=n) for n in (1, 3, 5)] == [
        "1 wolne miejsce",
        "3 wolne miejsca",
        "5 wolnych miejsc",
    ]
    assert tr("pl", "menu.title") == "Co chcesz zrobić?"
    assert tr("pl", "btn.help") == "❓ Help"  # not translated yet: English


def test_a_broken_catalog_is_refused_at_start(tmp_path: Path) -> None:
    (tmp_path / "en.ftl").write_text("menu-title = Hello { $name\n", encoding="utf-8")
    with pytest.raises(ValueError, match="does not parse"):
        load_catalogs(tmp_path)
