"""Every notification kind has its own text, in every language (the texts themselves are
asserted where drivers and operators receive them: tests/jobs, tests/e2e)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import CATALOGS, tr
from bot.notifications import RENDERERS, render
from core.clock import ManualClock
from core.db import Database
from core.models import (
    Blocker,
    BlockerIncident,
    BlockerState,
    Channel,
    IncidentKind,
    Notification,
    Reservation,
    Spot,
)
from core.notifications import NotificationKind as K
from core.services import booking
from sms import render as sms_render
from sms import texts as sms_texts
from tests.factories import guard_spots, make_premise, make_review, make_user


def test_every_kind_has_a_renderer() -> None:
    assert set(RENDERERS) == set(K)


@pytest.fixture
async def sqlite_db(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Database]:
    shutil.copy(sqlite_template, tmp_path / "n.db")
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}")
    yield database
    await database.dispose()


async def _incident_and_review(
    s: AsyncSession, premise_id: int, user_id: int, clock: ManualClock
) -> tuple[int, int]:
    """A blocker incident on a spot B1 added for it (opened 09:00 UTC, acknowledged by Mira at
    09:05, ended at 10:10) and a review of the premise: what the incident and review kinds name."""
    b1 = Spot(premise_id=premise_id, label="B1", is_active=True)
    s.add(b1)
    await s.flush()
    spot = b1.id
    s.add(Blocker(id="BLK-B1", spot_id=spot, online=True, state=BlockerState.FAULT))
    mira = await make_user(s, name="Mira")
    incident = BlockerIncident(
        blocker_id="BLK-B1",
        kind=IncidentKind.FAULT,
        premise_id=premise_id,
        spot_id=spot,
        opened_at=clock.now(),
        closed_at=clock.now() + timedelta(minutes=70),
        alerted=True,
        acknowledged_by=mira.id,
        acknowledged_at=clock.now() + timedelta(minutes=5),
    )
    s.add(incident)
    review = await make_review(s, user_id=user_id, premise_id=premise_id, rating=4, text="Easy to find")
    await s.flush()
    return incident.id, review.id


def _payloads(
    reservation_id: int, ends_at: str, incident_id: int = 0, review_id: int = 0, premise_id: int = 1
) -> dict[K, dict[str, Any]]:
    """A payload of each kind as core writes it."""
    booking_ = {"reservation_id": reservation_id}
    end = datetime.fromisoformat(ends_at)
    offer = {
        "wish_id": 1,
        "premise_id": premise_id,
        "starts_at": (end - timedelta(hours=1)).isoformat(),
        "ends_at": end.isoformat(),
        "until": (end - timedelta(hours=2)).isoformat(),
    }
    money = {"amount": 500, "currency": "EUR"}
    return {
        K.BOOKING_CONFIRMED: booking_,
        K.BOOKING_CANCELLED: {**booking_, "refund_wallet": 500, "refund_card": 0},
        K.BOOKING_COMPLETED: {**booking_, "no_show": False},
        K.BOOKING_EXTENDED: {**booking_, "added_price": 250},
        K.BOOKING_MOVED: {**booking_, "from_spot": "B4", "reason": "painting the lines"},
        K.BOOKING_REMINDER: {**booking_, "ends_at": ends_at, "currency": "EUR", "options": []},
        K.BOOKING_LEFT: {
            **booking_,
            "left_at": ends_at,
            "refund": 125,
            "unused_minutes": 30,
            "currency": "EUR",
            "refunds_off": False,
        },
        K.NO_SHOW_CHECK: {**booking_, "release_at": ends_at},
        K.NO_SHOW_RELEASED: {**booking_, "reason": "no_answer", "refund": 0, "currency": "EUR"},
        K.BAY_BLOCKED: {**booking_, "reason": "car_present"},
        K.HOLD_EXPIRING: {**booking_, "minutes": 2, "expires_at": ends_at},
        K.HOLD_EXPIRED: booking_,
        K.LOWER_LATE: {**booking_, "status": "timeout"},
        K.LOWER_FAILED_AFTER_ALL: {**booking_, "status": "jammed"},
        K.GUEST_PASS: {**booking_, "pass_id": 1},
        K.GUEST_PASS_REVOKED: {**booking_, "pass_id": 1, "parked": False},
        K.WAITLIST_OFFER: offer,
        K.WAITLIST_OFFER_LAPSED: {
            "wish_id": 1,
            "premise_id": premise_id,
            "starts_at": offer["starts_at"],
            "ends_at": offer["ends_at"],
            "minutes": 10,
            "again": True,
        },
        K.WAITLIST_WISH_ENDED: {
            "wish_id": 1,
            "premise_id": premise_id,
            "starts_at": offer["starts_at"],
            "ends_at": offer["ends_at"],
        },
        K.PAYMENT_REFUNDED: {**booking_, **money, "reason": "spot_taken"},
        K.WALLET_TOPPED_UP: {**money, "balance": 700},
        K.CARD_SAVED: {"brand": "visa", "last4": "4242"},
        K.ADMIN_PAYMENT_MISMATCH: {"payment_id": 7, "reason": "asked 500 EUR"},
        K.ADMIN_REFUND_FAILED: {"payment_id": 7, **money, "error": "card expired"},
        K.ADMIN_BLOCKERS_UNHEALTHY: {"items": [{"blocker_id": "b-1", "reason": "offline"}]},
        K.ADMIN_BLOCKERS_RECOVERED: {"items": [{"blocker_id": "b-1", "reason": ""}]},
        K.ADMIN_BLOCKER_FAILED: {"blocker_id": "b-1", "reservation_id": reservation_id, "status": "jammed"},
        K.ADMIN_BLOCKER_ACK_CONFLICT: {
            "blocker_id": "b-1",
            "action": "lower",
            "first": "ok",
            "second": "jammed",
            "command_id": "c",
        },
        K.ADMIN_OVERSTAY: {"blocker_id": "b-1", "reservation_id": reservation_id},
        K.ADMIN_BLOCKER_UNHEALTHY: {"blocker_id": "b-1", "reason": "offline"},
        K.ADMIN_BLOCKER_RECOVERED: {"blocker_id": "b-1", "reason": ""},
        K.ADMIN_INCIDENT: {"incident_id": incident_id, "reservations": [reservation_id]},
        K.ADMIN_INCIDENT_ENDED: {"incident_id": incident_id},
        K.REVIEW_PUBLISHED: {"review_id": review_id, "premise_id": premise_id},
    }


async def _hold_in_an_hour(
    s: AsyncSession, clock: ManualClock, user_id: int, premise_id: int, *, minutes: int = 60
) -> Reservation:
    """The driver's unpaid hold starting in an hour: the booking the texts are made for."""
    return await booking.hold(
        s,
        user_id=user_id,
        premise_id=premise_id,
        starts_at=clock.now() + timedelta(hours=1),
        minutes=minutes,
        now=clock.now(),
        hold_minutes=10,
    )


@pytest.mark.parametrize("lang", sorted(CATALOGS))
async def test_every_kind_says_something_specific_in_every_language(
    sqlite_db: Database, clock: ManualClock, lang: str
) -> None:
    async with sqlite_db.transaction() as s:
        user = await make_user(s)
        premise = await make_premise(s)
        r = await _hold_in_an_hour(s, clock, user.id, premise.id)
        incident_id, review_id = await _incident_and_review(s, premise.id, user.id, clock)
        # A car on its bay before the driver came: the blocked bay's offer (bay_blocked).
        r.bay_blocked_at, r.bay_blocked_spot_id, r.bay_blocked_reason = clock.now(), r.spot_id, "car_present"
        payloads = _payloads(r.id, r.ends_at.isoformat(), incident_id, review_id, premise.id)
        user_id = user.id
    assert set(payloads) == set(K)
    generic = tr(lang, "notify.generic")
    async with sqlite_db.read() as s:
        for kind, payload in payloads.items():
            note = Notification(id=1, user_id=user_id, kind=kind, channel=Channel.TELEGRAM, payload=payload)
            rendered = await render(s, note, lang)
            assert rendered.text and rendered.text != generic, kind


@pytest.mark.parametrize("lang", sorted(sms_texts.BUNDLES))
async def test_every_drivers_kind_has_its_own_sms_text_in_every_language(
    sqlite_db: Database, clock: ManualClock, lang: str
) -> None:
    async with sqlite_db.transaction() as s:
        user = await make_user(s)
        premise = await make_premise(s)
        r = await _hold_in_an_hour(s, clock, user.id, premise.id)
        payloads = _payloads(r.id, r.ends_at.isoformat(), premise_id=premise.id)
        user_id = user.id
    generic = sms_texts.t(lang, "notify.generic")
    general = []
    async with sqlite_db.read() as s:
        for kind in sorted(sms_render.DRIVER_KINDS):
            note = Notification(id=1, user_id=user_id, kind=kind, channel=Channel.SMS, payload=payloads[kind])
            if await sms_render.render(s, note, lang) == generic:
                general.append(kind.value)
    assert general == []


async def test_a_kind_this_version_does_not_know_gets_the_generic_text(sqlite_db: Database) -> None:
    note = Notification(id=1, user_id=1, kind="from_a_newer_version", channel=Channel.TELEGRAM, payload={})
    async with sqlite_db.read() as s:
        assert (await render(s, note, "en")).text == tr("en", "notify.generic")


async def test_a_booking_message_whose_booking_is_gone_gets_the_generic_text(sqlite_db: Database) -> None:
    note = Notification(
        id=1, user_id=1, kind=K.HOLD_EXPIRED, channel=Channel.TELEGRAM, payload={"reservation_id": 999}
    )
    async with sqlite_db.read() as s:
        assert (await render(s, note, "en")).text == tr("en", "notify.generic")


async def _render_for_a_hold(
    db: Database,
    clock: ManualClock,
    kind: K,
    payload: dict[str, Any],
    lang: str = "en",
    *,
    guarded: bool = False,
) -> tuple[str, list[list[tuple[str, str]]]]:
    """What the driver of a fresh hold (spot A1 at Test Garage, Kyiv time; `guarded`: the spot
    has a blocker) sees for `kind`: the text and the buttons (label, callback data) row by row."""
    async with db.transaction() as s:
        user = await make_user(s)
        premise = await make_premise(s)
        if guarded:
            await guard_spots(s, premise.id)
        r = await _hold_in_an_hour(s, clock, user.id, premise.id)
        values = {"reservation_id": r.id, **payload}
    note = Notification(id=1, user_id=user.id, kind=kind, channel=Channel.TELEGRAM, payload=values)
    async with db.read() as s:
        rendered = await render(s, note, lang, now=clock.now())
    rows = [
        [(b.text, b.callback_data or "") for b in row]
        for row in (rendered.keyboard.inline_keyboard if rendered.keyboard else [])
    ]
    return rendered.text, rows


async def test_the_hold_warning_names_the_spot_and_the_minutes_left_and_offers_pay_now(
    sqlite_db: Database, clock: ManualClock
) -> None:
    expires = clock.now() + timedelta(minutes=2)  # 09:02 UTC, 11:02 in Kyiv
    text, rows = await _render_for_a_hold(
        sqlite_db, clock, K.HOLD_EXPIRING, {"minutes": 2, "expires_at": expires.isoformat()}
    )
    assert text == (
        "⏳ 2 minutes left to pay for spot <b>A1</b> at Test Garage (2.00 EUR). "
        "At 11:02 the hold ends and the spot is released."
    )
    assert [[label for label, _ in row] for row in rows] == [["💳 Pay now"]]
    assert rows[0][0][1].startswith("bk:pay:")
    uk, _ = await _render_for_a_hold(
        sqlite_db, clock, K.HOLD_EXPIRING, {"minutes": 2, "expires_at": expires.isoformat()}, "uk"
    )
    assert "Залишилося 2 хв" in uk and "Test Garage" in uk


async def test_the_expiry_notice_names_the_premise_and_the_spot(
    sqlite_db: Database, clock: ManualClock
) -> None:
    text, rows = await _render_for_a_hold(sqlite_db, clock, K.HOLD_EXPIRED, {})
    assert "(spot A1 at Test Garage) was released because the payment did not arrive in time" in text
    assert [[label for label, _ in row] for row in rows] == [["🔁 Book again"]]


async def test_park_now_after_a_late_answer_says_where_until_when_and_offers_extend_and_end(
    sqlite_db: Database, clock: ManualClock
) -> None:
    text, rows = await _render_for_a_hold(sqlite_db, clock, K.LOWER_LATE, {"status": "ok"})
    # The booking runs 10:00-11:00 UTC: until 13:00 in Kyiv.
    assert text == (
        "✅ Update: the blocker went down after all. Park now! Spot A1, your booking runs until 13:00."
    )
    assert [[label for label, _ in row] for row in rows] == [["➕ Extend", "🏁 End parking now"]]
    assert [data.split(":")[1] for (data,) in [(d,) for _, d in rows[0]]] == ["extend", "end"]


async def test_the_extension_notice_says_what_was_paid(sqlite_db: Database, clock: ManualClock) -> None:
    text, _ = await _render_for_a_hold(sqlite_db, clock, K.BOOKING_EXTENDED, {"added_price": 700})
    assert text.endswith("Paid: 7.00 EUR.")
    assert "Added" not in text


async def test_a_cancellation_says_the_wallet_part_is_back_and_the_card_part_on_its_way(
    sqlite_db: Database, clock: ManualClock
) -> None:
    """The wallet is credited with the cancellation itself (the alert said "is back"); a card
    refund is still with the bank."""
    both = {"refund_wallet": 150, "refund_card": 250}
    text, _ = await _render_for_a_hold(sqlite_db, clock, K.BOOKING_CANCELLED, both)
    assert text.endswith(
        "is cancelled. 1.50 EUR is back in your wallet. 2.50 EUR goes back to your card (5–10 days)."
    )
    text, _ = await _render_for_a_hold(sqlite_db, clock, K.BOOKING_CANCELLED, both, "uk")
    assert text.endswith(
        "скасовано. 1.50 EUR вже повернуто на ваш гаманець. 2.50 EUR повернеться на вашу картку (5–10 днів)."
    )
    card = {"refund_wallet": 0, "refund_card": 250}
    text, _ = await _render_for_a_hold(sqlite_db, clock, K.BOOKING_CANCELLED, card)
    assert text.endswith("is cancelled. 2.50 EUR goes back to your card (5–10 days).")


async def test_past_the_daily_cap_the_reminder_and_the_notice_say_no_charge(
    sqlite_db: Database, clock: ManualClock
) -> None:
    # The cap is reached: more time costs nothing, which reads "no charge", never "0.00 EUR".
    ends_at = (clock.now() + timedelta(hours=2)).isoformat()
    options = [{"minutes": 30, "price": 0}, {"minutes": 60, "price": 0}]
    _, rows = await _render_for_a_hold(
        sqlite_db, clock, K.BOOKING_REMINDER, {"ends_at": ends_at, "currency": "EUR", "options": options}
    )
    labels = [label for row in rows for label, _ in row]
    assert "➕ 30 min · no charge" in labels and "➕ 1 h · no charge" in labels
    assert not any("0.00" in label for label in labels)
    text, _ = await _render_for_a_hold(sqlite_db, clock, K.BOOKING_EXTENDED, {"added_price": 0})
    assert text.endswith("No charge: the daily cap is reached.") and "0.00" not in text


STARS = [
    [
        ("1 ⭐", "rv:{r}:1"),
        ("2 ⭐", "rv:{r}:2"),
        ("3 ⭐", "rv:{r}:3"),
        ("4 ⭐", "rv:{r}:4"),
        ("5 ⭐", "rv:{r}:5"),
    ]
]


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ({"refund": 125, "unused_minutes": 30}, "1.25 EUR for 30 unused minutes is back in your wallet."),
        ({"refund": 0}, "nothing is refunded."),
        ({"refund": 0, "refunds_off": True}, "This car park does not refund unused time."),
    ],
    ids=["refund", "nothing unused", "refunds off"],
)
async def test_a_car_that_left_early_is_asked_how_it_was_with_the_same_stars_as_a_stay_that_ended(
    sqlite_db: Database, clock: ManualClock, payload: dict[str, Any], says: str
) -> None:
    left_at = (clock.now() + timedelta(minutes=80)).isoformat()  # 10:20 UTC, 12:20 in Kyiv
    values = {"left_at": left_at, "currency": "EUR", "refunds_off": False, **payload}
    text, rows = await _render_for_a_hold(sqlite_db, clock, K.BOOKING_LEFT, values)
    left, ask = text.split("\n\n")
    assert left.startswith("🏁 You left at 12:20") and says in left
    assert ask == "How was it? Rate the car park with the stars below."
    ended, ended_rows = await _render_for_a_hold(sqlite_db, clock, K.BOOKING_COMPLETED, {"no_show": False})
    r = int(rows[0][0][1].split(":")[1])
    assert rows == [[(label, data.format(r=r)) for label, data in row] for row in STARS]
    assert ended_rows == [[(label, data.format(r=r + 1)) for label, data in row] for row in STARS]
    assert ended.endswith("\n\nHow was it? Rate the car park with the stars below.")
    uk, uk_rows = await _render_for_a_hold(sqlite_db, clock, K.BOOKING_LEFT, values, "uk")
    assert uk.startswith("🏁 Ви поїхали о 12:20") and uk.endswith(
        "Як усе пройшло? Оцініть паркінг зірками нижче."
    )
    assert [label for label, _ in uk_rows[0]] == ["1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐"]


async def test_the_confirmation_offers_the_arrival_button_only_where_a_blocker_is_and_else_says_just_park(
    sqlite_db: Database, clock: ManualClock
) -> None:
    text, rows = await _render_for_a_hold(sqlite_db, clock, K.BOOKING_CONFIRMED, {})
    assert text.endswith("💶 2.00 EUR\n\nThis spot has no blocker: just park.")
    assert [label for row in rows for label, _ in row] == ["🧭 Navigate", "❌ Cancel booking"]
    guarded, guarded_rows = await _render_for_a_hold(sqlite_db, clock, K.BOOKING_CONFIRMED, {}, guarded=True)
    assert guarded.endswith("💶 2.00 EUR")
    assert [label for row in guarded_rows for label, _ in row] == [
        "🚗 I've arrived — lower the blocker",
        "🧭 Navigate",
        "❌ Cancel booking",
    ]
    uk, _ = await _render_for_a_hold(sqlite_db, clock, K.BOOKING_CONFIRMED, {}, "uk")
    assert uk.endswith("На цьому місці немає блокатора: просто паркуйтеся.")


@pytest.mark.parametrize(
    ("lang", "payload", "says"),
    [
        ("en", {"refund": 125, "unused_minutes": 45}, "1.25 EUR for 45 unused min is back in your wallet."),
        ("en", {"refund": 0}, "No whole 15 minutes were left unused, so nothing is refunded."),
        ("en", {"refund": 0, "refunds_off": True}, "This car park does not refund unused time."),
        (
            "uk",
            {"refund": 125, "unused_minutes": 45},
            "1.25 EUR за 45 невикористаних хв повернуто на ваш гаманець.",
        ),
        ("uk", {"refund": 0, "refunds_off": True}, "Ця парковка не повертає кошти за невикористаний час."),
    ],
    ids=["en-refund", "en-nothing-unused", "en-refunds-off", "uk-refund", "uk-refunds-off"],
)
async def test_a_booking_ended_now_says_what_went_back_also_when_the_staff_ended_it(
    sqlite_db: Database, clock: ManualClock, lang: str, payload: dict[str, Any], says: str
) -> None:
    values = {"no_show": False, "refunds_off": False, **payload}
    text, _ = await _render_for_a_hold(sqlite_db, clock, K.BOOKING_COMPLETED, values, lang)
    ended = text.split("\n\n")[0]
    assert ended.endswith(says), ended
    staff, _ = await _render_for_a_hold(
        sqlite_db, clock, K.BOOKING_COMPLETED, {**values, "by_staff": True}, lang
    )
    assert staff.split("\n\n")[0].endswith(says) and staff != text
    # A booking that ran to its end says nothing of refunds.
    plain, _ = await _render_for_a_hold(sqlite_db, clock, K.BOOKING_COMPLETED, {"no_show": False}, lang)
    assert not plain.split("\n\n")[0].endswith(says)


# What the console's Bookings section tells the driver: the same kinds, said as the staff's doing.
_STAFF_VARIANTS: list[tuple[str, K, dict[str, Any]]] = [
    ("by staff", K.BOOKING_COMPLETED, {"by_staff": True}),
    ("by staff, ended now", K.BOOKING_COMPLETED, {"by_staff": True, "refund": 125, "unused_minutes": 45}),
    ("goodwill", K.BOOKING_EXTENDED, {"added_price": 0, "goodwill": True}),
    ("by staff", K.BOOKING_MOVED, {"reason": "", "by_staff": True}),
    ("operator", K.PAYMENT_REFUNDED, {"amount": 250, "reason": "operator"}),
]


@pytest.mark.parametrize("lang", sorted(CATALOGS))
async def test_what_the_staff_did_is_said_as_theirs_in_every_language(
    sqlite_db: Database, clock: ManualClock, lang: str
) -> None:
    plain = {
        kind: (await _render_for_a_hold(sqlite_db, clock, kind, {"reason": "x"}, lang))[0]
        for kind in (K.BOOKING_COMPLETED, K.BOOKING_MOVED)
    }
    for _variant, kind, extra in _STAFF_VARIANTS:
        payload = {"from_spot": "B4", "reason": "x", "amount": 250, "currency": "EUR", **extra}
        text, _ = await _render_for_a_hold(sqlite_db, clock, kind, payload, lang)
        assert text and text != tr(lang, "notify.generic") and text != plain.get(kind), kind
    text, _ = await _render_for_a_hold(
        sqlite_db, clock, K.BOOKING_EXTENDED, {"added_price": 0, "goodwill": True}
    )
    assert text.endswith("No charge: a courtesy of the car park.")
    text, _ = await _render_for_a_hold(
        sqlite_db, clock, K.PAYMENT_REFUNDED, {"amount": 250, "currency": "EUR", "reason": "operator"}
    )
    assert text.startswith("↩️ 2.50 EUR is being refunded for booking #") and "from the car park" in text


# Other kinds' second readings: a guest who may be parked on the spot, an offer that lapsed
# when its stay had begun (nothing left to wait for), a car that left with nothing refunded.
_VARIANTS: list[tuple[str, K, dict[str, Any]]] = [
    ("nothing unused", K.BOOKING_LEFT, {"refund": 0}),
    ("refunds off", K.BOOKING_LEFT, {"refund": 0, "refunds_off": True}),
    ("ended now", K.BOOKING_COMPLETED, {"refund": 125, "unused_minutes": 45, "refunds_off": False}),
    ("ended now, nothing unused", K.BOOKING_COMPLETED, {"refund": 0, "refunds_off": False}),
    ("ended now, refunds off", K.BOOKING_COMPLETED, {"refund": 0, "refunds_off": True}),
    ("parked", K.GUEST_PASS_REVOKED, {"parked": True}),
    ("too late to wait again", K.WAITLIST_OFFER_LAPSED, {"again": False}),
]


@pytest.mark.parametrize("lang", sorted(CATALOGS))
async def test_notification_catalogue(sqlite_db: Database, clock: ManualClock, lang: str) -> None:
    """Every notification as its reader sees it (text, then the buttons), compared with
    tests/bot/catalogue/notifications.<lang>.txt like the screen catalogue
    (UPDATE_CATALOGUE=1 regenerates it; read the diff)."""
    async with sqlite_db.transaction() as s:
        user = await make_user(s, name="Olena")
        premise = await make_premise(s, name="Central Garage")
        r = await _hold_in_an_hour(s, clock, user.id, premise.id, minutes=120)
        incident_id, review_id = await _incident_and_review(s, premise.id, user.id, clock)
        # A car on its bay before the driver came: the blocked bay's offer (bay_blocked).
        r.bay_blocked_at, r.bay_blocked_spot_id, r.bay_blocked_reason = clock.now(), r.spot_id, "car_present"
        payloads = _payloads(r.id, r.ends_at.isoformat(), incident_id, review_id, premise.id)
        # The sample payloads, made to agree with this booking.
        payloads[K.BOOKING_REMINDER]["options"] = [
            {"minutes": 30, "price": 100},
            {"minutes": 60, "price": 200},
        ]
        assert r.hold_expires_at is not None
        payloads[K.HOLD_EXPIRING]["expires_at"] = r.hold_expires_at.isoformat()
        payloads[K.BOOKING_CANCELLED]["refund_wallet"] = r.price
        payloads[K.PAYMENT_REFUNDED]["amount"] = r.price
        payloads[K.BOOKING_EXTENDED]["added_price"] = 100
    listed = [(kind.value, kind, payload) for kind, payload in payloads.items()]
    listed += [
        (f"{kind.value} ({variant})", kind, {**payloads[kind], **extra})
        for variant, kind, extra in _STAFF_VARIANTS + _VARIANTS
    ]
    entries = []
    async with sqlite_db.read() as s:
        for title, kind, payload in listed:
            note = Notification(id=1, user_id=user.id, kind=kind, channel=Channel.TELEGRAM, payload=payload)
            rendered = await render(s, note, lang, now=clock.now())
            rows = rendered.keyboard.inline_keyboard if rendered.keyboard else []
            buttons = ["[" + "] [".join(b.text for b in row) + "]" for row in rows]
            entries.append("\n".join([f"## {title}", rendered.text, "", *buttons]).rstrip())
    text = "\n\n".join(entries) + "\n"
    path = Path(__file__).parent / "catalogue" / f"notifications.{lang}.txt"
    if os.environ.get("UPDATE_CATALOGUE") == "1":
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), (
        f"regenerate with UPDATE_CATALOGUE=1 and read {path.name}"
    )


async def test_an_incident_alert_names_the_bookings_and_offers_its_four_buttons(
    sqlite_db: Database, clock: ManualClock
) -> None:
    async with sqlite_db.transaction() as s:
        user = await make_user(s, name="Olena Shevchenko")
        premise = await make_premise(s, name="Central Garage")
        r = await _hold_in_an_hour(s, clock, user.id, premise.id, minutes=120)
        incident_id, _ = await _incident_and_review(s, premise.id, user.id, clock)
        incident = await s.get(BlockerIncident, incident_id)
        assert incident is not None
        incident.acknowledged_by = incident.acknowledged_at = None
    payload = {"incident_id": incident_id, "reservations": [r.id]}
    note = Notification(
        id=1, user_id=user.id, kind=K.ADMIN_INCIDENT, channel=Channel.TELEGRAM, payload=payload
    )
    async with sqlite_db.read() as s:
        rendered = await render(s, note, "en")
    assert rendered.text == (
        "🚨 <b>Blocker BLK-B1 at Central Garage, spot B1</b>: fault or jam since 11:00.\n"
        "Booking affected in the next 6 h:\n"
        f"• #{r.id} Olena, Sat 21 Nov 12:00–14:00"
    )
    assert rendered.keyboard is not None
    assert [[(b.text, b.callback_data) for b in row] for row in rendered.keyboard.inline_keyboard] == [
        [("🔀 Move these drivers", f"inc:move:{incident_id}")],
        [("💸 Refund them", f"inc:refund:{incident_id}")],
        [("🔧 Test blocker", f"inc:test:{incident_id}")],
        [("✔️ Acknowledge", f"inc:ack:{incident_id}")],
    ]
    # Moved because of the blocker, the driver reads why.
    moved = Notification(
        id=2,
        user_id=user.id,
        kind=K.BOOKING_MOVED,
        channel=Channel.TELEGRAM,
        payload={"reservation_id": r.id, "from_spot": "B4", "blocker": True},
    )
    async with sqlite_db.read() as s:
        text = (await render(s, moved, "uk")).text
    assert text.startswith("🔀 Блокатор місця B4 у паркінгу Central Garage несправний.")


async def test_a_waitlist_offer_names_the_place_and_time_and_offers_hold_it(
    sqlite_db: Database, clock: ManualClock
) -> None:
    async with sqlite_db.transaction() as s:
        user = await make_user(s)
        premise = await make_premise(s, name="Central Garage")
    starts = clock.now() + timedelta(hours=3)  # 12:00 UTC, 14:00 in Kyiv
    payload = {
        "wish_id": 42,
        "premise_id": premise.id,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=1)).isoformat(),
        "until": (clock.now() + timedelta(minutes=10)).isoformat(),
    }
    note = Notification(
        id=1, user_id=user.id, kind=K.WAITLIST_OFFER, channel=Channel.TELEGRAM, payload=payload
    )
    async with sqlite_db.read() as s:
        rendered = await render(s, note, "en")
    assert "A spot is free at Central Garage" in rendered.text and "Hold it by 11:10" in rendered.text
    assert rendered.keyboard is not None
    [[button]] = rendered.keyboard.inline_keyboard
    assert (button.text, button.callback_data) == ("🅿️ Hold it", "wl:hold:42")


@pytest.mark.parametrize(
    ("lang", "no_show", "expected"),
    [
        ("en", False, "Receipt: booking #{id}, Test Garage, spot A1, 12:00-13:00, 2.00 EUR paid; "
         "1.50 EUR for unused time is back in your wallet."),
        ("uk", False, "Чек: бронювання №{id}, Test Garage, місце A1, 12:00–13:00, сплачено 2.00 EUR; "
         "1.50 EUR — у гаманці."),
        ("en", True, "Booking #{id} at Test Garage ended at 13:00 without arrival. 2.00 EUR paid; "
         "1.50 EUR is back in your wallet."),
    ],
)  # fmt: skip
async def test_an_sms_receipt_of_a_stay_ended_early_names_the_unused_time_given_back(
    sqlite_db: Database, clock: ManualClock, lang: str, no_show: bool, expected: str
) -> None:
    """ "End parking now" (the driver's, the staff's, LEAVE) gives the unused steps back: the
    SMS receipt says so, as the Telegram message does."""
    async with sqlite_db.transaction() as s:
        user = await make_user(s)
        premise = await make_premise(s)
        r = await _hold_in_an_hour(s, clock, user.id, premise.id)
    payload = {"reservation_id": r.id, "no_show": no_show, "refund": 150, "unused_minutes": 45}
    note = Notification(id=1, user_id=user.id, kind=K.BOOKING_COMPLETED, channel=Channel.SMS, payload=payload)
    async with sqlite_db.read() as s:
        assert await sms_render.render(s, note, lang, now=clock.now()) == expected.format(id=r.id)
