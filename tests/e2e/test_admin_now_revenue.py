"""The console's Now and Revenue through the Bot API emulator (every call checked against the
vendored Bot API description): the counts an owner reads match the database after holds,
bookings and arrivals; Refresh is answered even when nothing changed; the chart arrives as a
photo that is a valid PNG; the CSV's sums equal the payments ledger; an attendant has no
Revenue entry and their forged Revenue button is refused and audited."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import select

from core.models import AuditEntry, AuditOutcome, Payment, PaymentPurpose, Spot, StaffRole
from core.services import refunds
from tests.console_scenes import cancel, card_refunded, expected_counts, now_scene
from tests.e2e.conftest import E2E, button, tap
from tests.factories import make_user
from tests.waiting import eventually

OWNER, ATTENDANT = 5101, 5102
COUNTS = re.compile(
    r"(\d+) spots: 🟢 (\d+) free · 🟡 (\d+) held · 🔵 (\d+) booked · 🚗 (\d+) car in · ⛔ (\d+) closed · "
    r"⚠️ (\d+) blockers? down"
)


async def _scene(e2e: E2E) -> tuple[int, int]:
    """Central Garage grown to 12 spots, in the Now scene; (driver, booking refunded to a card)."""
    async with e2e.db.transaction() as s:
        s.add_all(Spot(premise_id=e2e.premise_id, label=f"A{n}", is_active=True) for n in range(3, 13))
        driver = (await make_user(s, name="Olena")).id
    scene = await now_scene(e2e.db, e2e.clock, e2e.premise_id, driver)
    # The booking of tomorrow is cancelled and its money (wallet) given back: a refund today.
    await cancel(e2e.db, e2e.clock, driver, scene.tomorrow)
    owed = await cancel(e2e.db, e2e.clock, driver, scene.later)
    assert owed == []  # paid from the wallet
    return driver, scene.parked


async def test_now_counts_match_the_database_and_refresh_is_answered(e2e: E2E) -> None:
    await _scene(e2e)
    await e2e.app.services.admin.add_owner(OWNER)
    owner = e2e.tg.user(OWNER, "Olena")
    await owner.send_command("/admin")
    console = await owner.wait_for_message(lambda m: "Operator console" in m.text)
    board = await tap(owner, console, "📊 Now", lambda m: m.text.startswith("📊 Now: all car parks"))
    now = e2e.clock.now()
    kyiv = ZoneInfo("Europe/Kyiv")
    today_ends = datetime.combine(now.astimezone(kyiv).date() + timedelta(days=1), time(), kyiv).astimezone(
        UTC
    )
    expected = await expected_counts(e2e.db, e2e.premise_id, now, today_ends)
    shown = COUNTS.search(board.text)
    assert shown is not None, board.text
    total, *states = (int(n) for n in shown.groups())
    assert total == 12
    assert (
        dict(zip(("free", "held", "booked", "occupied", "closed", "unhealthy"), states, strict=True))
        == expected
    )
    assert expected["occupied"] == 3 and expected["closed"] == 1 and expected["unhealthy"] == 1
    assert f"updated {now.astimezone(kyiv):%H:%M:%S}" in board.text

    # Refresh with nothing changed: the tap is answered once, the message stays as it was.
    refresh = button(board, "🔄 Refresh")
    tapped = await owner.tap(board, refresh)
    await eventually(lambda: any(a.callback_id == tapped for a in owner.callback_answers), what="answer")
    assert e2e.tg.violations == []
    # A second later the counts are read again and the time moves.
    e2e.clock.advance(timedelta(seconds=1))
    await owner.tap(board, refresh)
    later = f"updated {(now + timedelta(seconds=1)).astimezone(kyiv):%H:%M:%S}"
    await owner.wait_for_message(lambda m: later in m.text)


async def test_revenue_chart_csv_and_the_attendant_kept_out(e2e: E2E) -> None:
    driver, parked = await _scene(e2e)
    # The card payment of the booking in progress refunded too (Stripe did it).
    async with e2e.db.read() as s:
        card = await s.scalar(select(Payment.id).where(Payment.reservation_id == parked))
    assert card is not None
    async with e2e.db.transaction() as s:
        payment = await s.get(Payment, card)
        assert payment is not None
        await refunds.refund_to_source(s, payment, e2e.clock.now())
    await card_refunded(e2e.db, e2e.clock, card)

    await e2e.app.services.admin.add_owner(OWNER)
    owner = e2e.tg.user(OWNER, "Olena")
    await owner.send_command("/admin")
    console = await owner.wait_for_message(lambda m: "Operator console" in m.text)
    scopes = await tap(owner, console, "💶 Revenue", lambda m: "which car park?" in m.text)
    periods = await tap(owner, scopes, "🏢 All car parks", lambda m: "Which period?" in m.text)
    report = await tap(owner, periods, "This month", lambda m: m.text.startswith("💶 Revenue: all car parks"))
    assert "net" in report.text and "By car park" in report.text

    await owner.tap(report, button(report, "📈 Chart"))
    photo = await owner.wait_for_message(lambda m: "photo" in m.raw)
    assert photo.text.startswith("📈 Revenue and occupancy, ")
    upload = e2e.tg.files[photo.raw["photo"][0]["file_id"]]
    image = Image.open(io.BytesIO(upload.content))
    image.verify()  # a whole, valid PNG
    assert image.format == "PNG" and image.size[0] >= 800

    again = await owner.wait_for_message(
        lambda m: m.text.startswith("💶 Revenue: all car parks") and bool(m.buttons())
    )
    await owner.tap(again, button(again, "📄 CSV"))
    document = await owner.wait_for_message(lambda m: "document" in m.raw)
    assert document.raw["document"]["file_name"].startswith("revenue-all-")
    rows = list(
        csv.DictReader(io.StringIO(e2e.tg.files[document.raw["document"]["file_id"]].content.decode()))
    )

    # The ledger: booking and extension payments that took money, and what went back, this month.
    kyiv = ZoneInfo("Europe/Kyiv")
    month = datetime.combine(e2e.clock.now().astimezone(kyiv).date().replace(day=1), time(), kyiv)
    async with e2e.db.read() as s:
        payments = list(await s.scalars(select(Payment)))
    earned = [p for p in payments if p.purpose is not PaymentPurpose.TOPUP and p.succeeded_at]
    gross = Counter({"EUR": 0})
    refunds_made = Counter({"EUR": 0})
    for p in earned:
        if p.succeeded_at and p.succeeded_at >= month:
            gross[p.currency] += p.amount
        if p.refunded_at and p.refunded_at >= month:
            refunds_made[p.currency] += p.refunded_amount
    assert gross["EUR"] > 0 and refunds_made["EUR"] > 0
    payments_in_csv = sum(int(r["amount_minor"]) for r in rows if r["type"] == "payment")
    refunds_in_csv = -sum(int(r["amount_minor"]) for r in rows if r["type"] == "refund")
    assert (payments_in_csv, refunds_in_csv) == (gross["EUR"], refunds_made["EUR"])
    assert sum(int(r["amount_minor"]) for r in rows) == gross["EUR"] - refunds_made["EUR"]
    assert f"{(gross['EUR'] - refunds_made['EUR']) / 100:.2f} EUR net" in report.text
    assert {r["method"] for r in rows} == {"card", "wallet"}

    # An attendant: Now, no Revenue; their forged Revenue button is refused and audited.
    attendant_id = (
        await e2e.app.services.users.telegram_caller(ATTENDANT, name="Taras", language="en")
    ).user_id
    owner_id = (await e2e.app.services.users.telegram_caller(OWNER, name="Olena", language="en")).user_id
    invite = await e2e.app.services.admin.invite(owner_id, e2e.premise_id, StaffRole.ATTENDANT)
    await e2e.app.services.admin.accept_invite(attendant_id, invite.token)
    attendant = e2e.tg.user(ATTENDANT, "Taras")
    await attendant.send_command("/admin")
    theirs = await attendant.wait_for_message(lambda m: "Operator console" in m.text)
    assert [text for text, _ in theirs.buttons()] == [
        "📊 Now",
        "📋 Bookings",
        "Central Garage · attendant",
        "ℹ️ What I can do",
        "🏠 Menu",
    ]
    intent = button(theirs, "📊 Now").partition("\x1d")[0]
    forged = await attendant.tap_raw(theirs.message_id, f"{intent}\x1drevenue")
    await eventually(lambda: any(a.callback_id == forged for a in attendant.callback_answers), what="refusal")
    refusal = next(a for a in attendant.callback_answers if a.callback_id == forged)
    assert (refusal.text, refusal.show_alert) == ("You do not have access to this.", True)
    async with e2e.db.read() as s:
        refused = list(await s.scalars(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.REFUSED)))
    assert [(e.action, e.actor_user_id, e.premise_id) for e in refused] == [
        ("revenue.view", attendant_id, e2e.premise_id)
    ]
    assert driver
