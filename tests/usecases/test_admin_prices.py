"""The console's Prices section use cases: who may see, preview and save a premise's rate plan
(owner and manager yes, attendant and other premises no, each refusal audited), the saved
version prices the next quote, and the audit log keeps the plan before and after."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import NotPermitted, RatePlanBadPeriod, RatePlanCapTooLow
from core.models import AuditEntry, AuditOutcome
from core.pricing import LineKind, PeriodRate, RatePlan
from core.usecases.admin_prices import AdminPriceUseCases, sample_stays
from core.usecases.pricing import PricingUseCases
from tests.usecases.test_admin import Team, _team

NIGHT = PeriodRate(frozenset(range(7)), time(22, 0), time(7, 0), 100)
PLAN = RatePlan(base_per_hour=300, currency="EUR", first_hour=400, daily_cap=3000, periods=(NIGHT,))


@pytest.fixture
async def team(db: Database, clock: ManualClock, settings: Settings) -> Team:
    return await _team(db, clock, settings)


@pytest.fixture
def prices(team: Team) -> AdminPriceUseCases:
    return AdminPriceUseCases(team.admin)


async def _log(db: Database, action: str) -> list[AuditEntry]:
    async with db.read() as s:
        return list(
            await s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id))
        )


async def test_the_manager_saves_a_plan_the_quote_follows_and_the_log_has_before_and_after(
    team: Team, prices: AdminPriceUseCases, db: Database, clock: ManualClock
) -> None:
    shown = await prices.price_plan(team.manager, team.a)
    assert (shown.name, shown.version, shown.next_version) == ("Alpha", 1, 2)
    assert shown.plan == RatePlan.plain(200, "EUR")  # make_premise's hourly price

    saved = await prices.save_price_plan(team.manager, team.a, PLAN)
    assert (saved.version, saved.plan) == (2, PLAN)
    assert (await prices.price_plan(team.manager, team.a)).version == 2
    assert (await PricingUseCases(db, clock).current_plan(team.a)).plan == PLAN

    # A driver's quote now: 3 h from 11:00 in Kyiv under version 2.
    quote = await PricingUseCases(db, clock).quote(team.a, clock.now() + timedelta(minutes=15), 180)
    assert quote.total == 400 + 2 * 300
    assert [(line.kind, line.minutes) for line in quote.lines] == [
        (LineKind.FIRST_HOUR, 60),
        (LineKind.BASE, 120),
    ]

    (entry,) = await _log(db, "prices.set")
    assert entry.outcome is AuditOutcome.OK and entry.actor_user_id == team.manager
    assert entry.premise_id == team.a
    assert entry.before == {
        "version": 1,
        "base_per_hour": 200,
        "first_hour": None,
        "daily_cap": None,
        "periods": [],
        "currency": "EUR",
    }
    assert entry.after == {
        "version": 2,
        "base_per_hour": 300,
        "first_hour": 400,
        "daily_cap": 3000,
        "periods": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "22:00", "end": "07:00", "per_hour": 100}],
        "currency": "EUR",
    }

    # The owner saves the next version on top.
    again = await prices.save_price_plan(team.owner, team.a, RatePlan.plain(250, "EUR"))
    assert again.version == 3
    assert [e.before["version"] for e in await _log(db, "prices.set") if e.before] == [1, 2]


async def test_an_attendant_and_other_premises_are_refused_and_audited(
    team: Team, prices: AdminPriceUseCases, db: Database
) -> None:
    refusals = [
        (team.attendant, team.a),
        (team.manager, team.b),
        (team.stranger, team.a),
    ]
    for actor, premise in refusals:
        with pytest.raises(NotPermitted):
            await prices.price_plan(actor, premise)
        with pytest.raises(NotPermitted):
            await prices.preview_price(actor, premise, PLAN)
        with pytest.raises(NotPermitted):
            await prices.save_price_plan(actor, premise, PLAN)
    for action in ("prices.view", "prices.preview", "prices.set"):
        entries = await _log(db, action)
        assert [(e.actor_user_id, e.premise_id, e.outcome) for e in entries] == [
            (actor, premise, AuditOutcome.REFUSED) for actor, premise in refusals
        ]
        assert all(e.detail == "not_permitted" and e.after is None for e in entries)
    # Nothing changed: still the plain plan, version 1.
    shown = await prices.price_plan(team.owner, team.a)
    assert (shown.version, shown.plan) == (1, RatePlan.plain(200, "EUR"))
    # The owner may, anywhere.
    assert (await prices.save_price_plan(team.owner, team.b, PLAN)).version == 2


async def test_an_invalid_plan_is_refused_audited_and_not_stored(
    team: Team, prices: AdminPriceUseCases, db: Database
) -> None:
    low_cap = RatePlan(base_per_hour=300, currency="EUR", daily_cap=200)
    with pytest.raises(RatePlanCapTooLow):
        await prices.preview_price(team.manager, team.a, low_cap)
    with pytest.raises(RatePlanCapTooLow):
        await prices.save_price_plan(team.manager, team.a, low_cap)
    weekend = PeriodRate(frozenset({5, 6}), time(0, 0), time(0, 0), 150)
    with pytest.raises(RatePlanBadPeriod):
        await prices.save_price_plan(team.manager, team.a, RatePlan(300, "EUR", periods=(NIGHT, weekend)))
    entries = await _log(db, "prices.set")
    assert [(e.outcome, e.detail) for e in entries] == [
        (AuditOutcome.REFUSED, "rate_plan_cap_too_low"),
        (AuditOutcome.REFUSED, "rate_plan_bad_period"),
    ]
    assert (await prices.price_plan(team.manager, team.a)).version == 1


async def test_the_preview_prices_the_sample_stays_in_the_premises_zone(
    team: Team, prices: AdminPriceUseCases, clock: ManualClock
) -> None:
    # Saturday 21 November 2026, 09:00 UTC: 11:00 in Kyiv.
    samples = await prices.preview_price(team.manager, team.a, PLAN)
    assert [(s.name, s.starts_at, s.ends_at) for s in samples] == [
        (name, begin, end) for name, begin, end in sample_stays(clock.now(), "Europe/Kyiv")
    ]
    night = samples[2]
    assert night.starts_at == datetime(2026, 11, 21, 20, 0, tzinfo=UTC)  # 22:00 in Kyiv
    assert night.ends_at == datetime(2026, 11, 22, 5, 0, tzinfo=UTC)  # 07:00
    assert [s.priced.total for s in samples] == [
        400,  # the first hour
        400 + 2 * 300,
        400 + 8 * 100,  # the first hour, then the night rate
        3000,  # capped: 400 + 10 h × 3.00 + 9 h × 1.00 + 4 h × 3.00 is more
    ]
    assert samples[3].priced.lines[-1].kind is LineKind.CAP
    # After 22:00 the night sample is the next night's.
    late = datetime(2026, 11, 21, 21, 30, tzinfo=UTC)  # 23:30 in Kyiv
    (_, _, (_, begin, end), _) = sample_stays(late, "Europe/Kyiv")
    assert (begin, end) == (
        datetime(2026, 11, 22, 20, 0, tzinfo=UTC),
        datetime(2026, 11, 23, 5, 0, tzinfo=UTC),
    )
