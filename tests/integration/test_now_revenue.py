"""The console's Now and Revenue use cases on SQLite and PostgreSQL: the counts match the rows,
the figures match the payments, per currency, and only those allowed see them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import NotPermitted
from core.models import AuditEntry, AuditOutcome, StaffRole
from core.usecases.admin import AdminUseCases
from core.usecases.occupancy import OccupancyUseCases
from core.usecases.revenue import Period, RevenueUseCases
from tests.console_scenes import book, cancel, card_refunded, expected_counts, extend_wallet, now_scene
from tests.factories import make_premise, make_user

SETTINGS = Settings(_env_file=None, bot_token="1:x", timezone="Europe/Kyiv", early_arrival_minutes=15)


async def _staff(db: Database, clock: ManualClock, premise_id: int) -> tuple[int, int, int]:
    """(owner, manager, attendant) of the premise."""
    async with db.transaction() as s:
        owner = (await make_user(s, name="Owner", is_admin=True)).id
        manager = (await make_user(s, name="Mira")).id
        attendant = (await make_user(s, name="Andrii")).id
    admin = AdminUseCases(db, clock, SETTINGS)
    for user, role in ((manager, StaffRole.MANAGER), (attendant, StaffRole.ATTENDANT)):
        invite = await admin.invite(owner, premise_id, role)
        await admin.accept_invite(user, invite.token)
    return owner, manager, attendant


async def test_now_counts_every_spot_once_as_the_rows_say(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as s:
        premise = (await make_premise(s, name="Alpha", spots=12, now=clock.now())).id
        other = (await make_premise(s, name="Beta", spots=2, now=clock.now())).id
        driver = (await make_user(s, name="Olena")).id
    owner, manager, attendant = await _staff(db, clock, premise)
    scene = await now_scene(db, clock, premise, driver)
    now = clock.now()
    today_ends = datetime(2026, 11, 21, 22, 0, tzinfo=UTC)  # midnight in Kyiv
    uc = OccupancyUseCases(db, clock, SETTINGS)

    seen = await uc.occupancy(attendant, premise)
    assert seen.name == "Alpha" and seen.timezone == "Europe/Kyiv"
    counts = seen.counts
    assert counts.total == 12
    expected = await expected_counts(db, premise, now, today_ends)
    assert {k: getattr(counts, k) for k in expected} == expected
    assert expected == {"free": 4, "held": 1, "booked": 2, "occupied": 3, "closed": 1, "unhealthy": 1}
    assert [(a.reservation_id, a.late) for a in seen.arrivals] == [(scene.late, True), (scene.later, False)]
    assert [d.reservation_id for d in seen.departures] == [scene.parked]
    assert [(o.reservation_id, o.spot_label) for o in seen.overstays] == [
        (scene.overstay, "A1"),
        (None, scene.intruder_spot),
    ]

    # Owners see every premise; the manager theirs; nobody else anything (audited).
    everything = await uc.occupancy(owner, None)
    assert [(p.name, p.counts.total) for p in everything.premises] == [("Alpha", 12), ("Beta", 2)]
    assert everything.counts.free == 4 + 2
    assert (await uc.occupancy(manager, premise)).counts == counts
    for who, where in ((manager, None), (attendant, other)):
        with pytest.raises(NotPermitted):
            await uc.occupancy(who, where)
    async with db.read() as s:
        refused = list(await s.scalars(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.REFUSED)))
    assert [(e.action, e.premise_id) for e in refused] == [
        ("occupancy.view", None),
        ("occupancy.view", other),
    ]


async def test_revenue_is_per_currency_and_matches_the_payments(db: Database, clock: ManualClock) -> None:
    async with db.transaction() as s:
        alpha = (await make_premise(s, name="Alpha", spots=3, price_per_hour=200, now=clock.now())).id
        beta = (
            await make_premise(s, name="Beta", spots=2, price_per_hour=5000, currency="UAH", now=clock.now())
        ).id
        driver = (await make_user(s, name="Olena")).id
    owner, manager, attendant = await _staff(db, clock, alpha)
    t0 = clock.now()  # Sat 21 Nov, 11:00 in Kyiv
    # Yesterday: a 2 h card booking (4.00 EUR), refunded today.
    clock.set(t0 - timedelta(days=1))
    yesterday = await book(db, clock, driver, alpha, t0 + timedelta(hours=3), 120, "card")
    # Today: 1 h by wallet (2.00), extended 30 min (1.00); 2 h in UAH (100.00 UAH).
    clock.set(t0)
    today = await book(db, clock, driver, alpha, t0 + timedelta(minutes=30), 60)
    clock.set(t0 + timedelta(minutes=45))
    await extend_wallet(db, clock, driver, today, 30)
    await book(db, clock, driver, beta, t0 + timedelta(hours=1), 120)
    clock.set(t0 + timedelta(hours=1))
    owed = await cancel(db, clock, driver, yesterday)
    await card_refunded(db, clock, owed[0])
    uc = RevenueUseCases(db, clock, SETTINGS)

    report = await uc.revenue(manager, alpha, Period.TODAY)
    assert (report.first, report.last) == (date(2026, 11, 21), date(2026, 11, 21))
    assert [(c.currency, c.gross, c.refunds, c.net) for c in report.currencies] == [("EUR", 300, 400, -100)]
    eur = report.currencies[0]
    assert {m: (t.gross, t.refunds) for m, t in eur.by_method.items()} == {
        "wallet": (300, 0),
        "card": (0, 400),
    }
    assert report.bookings == 1 and report.average_stay_minutes == 90
    # 90 booked minutes of 3 spots × 24 h.
    assert report.occupancy == pytest.approx(90 / (3 * 24 * 60))
    assert [d.net("EUR") for d in report.days] == [-100]

    before = await uc.revenue(manager, alpha, Period.YESTERDAY)
    assert [(c.currency, c.gross, c.refunds) for c in before.currencies] == [("EUR", 400, 0)]
    assert before.bookings == 0  # it starts today (and was cancelled)

    week = await uc.revenue(owner, None, Period.WEEK)
    assert (week.first, week.last, week.timezone) == (date(2026, 11, 16), date(2026, 11, 21), "Europe/Kyiv")
    assert [(c.currency, c.gross, c.refunds, c.net) for c in week.currencies] == [
        ("EUR", 700, 400, 300),
        ("UAH", 10000, 0, 10000),
    ]
    assert [(p.name, {c: m.net for c, m in p.money.items()}) for p in week.premises] == [
        ("Alpha", {"EUR": 300}),
        ("Beta", {"UAH": 10000}),
    ]
    assert len(week.days) == 6

    # The CSV: one row a payment or refund; its sums are the report's, per currency.
    shown, content = await uc.revenue_csv(owner, None, Period.WEEK)
    rows = list(csv.DictReader(io.StringIO(content.decode())))
    assert [(r["type"], r["method"], r["amount_minor"], r["amount"], r["currency"]) for r in rows] == [
        ("payment", "card", "400", "4.00", "EUR"),
        ("payment", "wallet", "200", "2.00", "EUR"),
        ("payment", "wallet", "100", "1.00", "EUR"),
        ("payment", "wallet", "10000", "100.00", "UAH"),
        ("refund", "card", "-400", "-4.00", "EUR"),
    ]
    assert rows[0]["time"] == "2026-11-20T11:00:00+02:00" and rows[0]["timezone"] == "Europe/Kyiv"
    for totals in shown.currencies:
        assert sum(int(r["amount_minor"]) for r in rows if r["currency"] == totals.currency) == totals.net

    # Attendants see no revenue, for their premise or any: refused and audited.
    for who, where in ((attendant, alpha), (manager, None), (manager, beta)):
        with pytest.raises(NotPermitted):
            await uc.revenue(who, where, Period.TODAY)
    with pytest.raises(NotPermitted):
        await uc.revenue_csv(attendant, alpha, Period.TODAY)
    async with db.read() as s:
        log = list(await s.scalars(select(AuditEntry).where(AuditEntry.action.like("revenue.%"))))
    assert [(e.action, e.outcome, e.actor_user_id) for e in log] == [
        ("revenue.export", AuditOutcome.OK, owner),
        ("revenue.view", AuditOutcome.REFUSED, attendant),
        ("revenue.view", AuditOutcome.REFUSED, manager),
        ("revenue.view", AuditOutcome.REFUSED, manager),
        ("revenue.export", AuditOutcome.REFUSED, attendant),
    ]


async def test_all_car_parks_in_different_zones_use_the_consoles_zone(
    db: Database, clock: ManualClock
) -> None:
    async with db.transaction() as s:
        owner = (await make_user(s, name="Owner", is_admin=True)).id
    console = Settings(_env_file=None, bot_token="1:x", timezone="UTC")
    empty = await OccupancyUseCases(db, clock, console).occupancy(owner, None)
    assert (empty.premises, empty.counts.total) == ([], 0)
    async with db.transaction() as s:
        await make_premise(s, name="Kyiv", timezone="Europe/Kyiv")
    one_zone = await RevenueUseCases(db, clock, console).revenue(owner, None, Period.TODAY)
    assert one_zone.timezone == "Europe/Kyiv"  # the zone they share
    async with db.transaction() as s:
        await make_premise(s, name="Lisbon", timezone="Europe/Lisbon")
    report = await RevenueUseCases(db, clock, console).revenue(owner, None, Period.TODAY)
    assert (report.timezone, report.starts_at) == ("UTC", datetime(2026, 11, 21, tzinfo=UTC))
