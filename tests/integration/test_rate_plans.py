"""Rate plans in the database (DESIGN.md §5 "Prices"): versions, the plan a booking keeps, the
extension's marginal price, the same priced result on SQLite and PostgreSQL, and the migration
that gives existing premises their first version."""

from __future__ import annotations

import shutil
from datetime import time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import CurrencyMismatch, RatePlanCapTooLow
from core.migrate import alembic_config, upgrade_to_head
from core.models import Premise, RatePlanVersion, Reservation, UtcDateTime
from core.pricing import PeriodRate, RatePlan, price_stay
from core.services import booking
from core.usecases.booking import BookingUseCases
from core.usecases.pricing import PricingUseCases
from tests.conftest import T0, _in_thread
from tests.factories import make_premise, make_user

EVERY_DAY = frozenset(range(7))
NIGHT = PeriodRate(EVERY_DAY, time(22, 0), time(7, 0), 100)


async def test_a_clock_a_little_behind_prices_with_the_stored_version_1(db: Database) -> None:
    # Another process stored version 1 from its clock, a second ahead of this one's: this one
    # finds no version in force at its `now`, and must take that version 1, not fail.
    async with db.transaction() as s:
        premise = await make_premise(s, spots=2, price_per_hour=200, now=T0 + timedelta(seconds=1))
        user = await make_user(s)
    prices = []
    for now in (T0 + timedelta(seconds=2), T0):
        async with db.transaction() as s:
            held = await booking.hold(
                s,
                user_id=user.id,
                premise_id=premise.id,
                starts_at=now + timedelta(hours=1),
                minutes=60,
                now=now,
                hold_minutes=10,
            )
            prices.append((held.price, held.rate_plan_id))
    assert prices[0] == prices[1] and prices[0][1] is not None


async def test_plans_are_versioned_and_a_booking_keeps_the_one_it_was_priced_with(db: Database) -> None:
    clock = ManualClock(T0)
    pricing = PricingUseCases(db, clock)
    async with db.transaction() as s:
        premise = await make_premise(s, spots=2, price_per_hour=200, now=T0 - timedelta(days=1))
        user = await make_user(s)
    # Before any version is stored, the hourly price is the plan.
    current = await pricing.current_plan(premise.id)
    assert (current.plan, current.plan_id, current.version) == (RatePlan.plain(200, "EUR"), None, 1)

    starts_at = T0 + timedelta(hours=1)
    async with db.transaction() as s:
        old = await booking.hold(
            s,
            user_id=user.id,
            premise_id=premise.id,
            starts_at=starts_at,
            minutes=120,
            now=T0,
            hold_minutes=10,
        )
        await booking.confirm(s, old.id, T0)
    assert old.price == 400 and old.rate_plan_id is not None  # version 1, stored for the booking

    clock.advance(timedelta(minutes=5))
    dearer = RatePlan(base_per_hour=300, currency="EUR", first_hour=500, daily_cap=4000, periods=(NIGHT,))
    saved = await pricing.set_plan(premise.id, dearer)
    assert saved.version == 2 and saved.plan == dearer
    assert (await pricing.current_plan(premise.id)).plan_id == saved.plan_id
    async with db.read() as s:
        stored = await s.get(Premise, premise.id)
        assert stored is not None and stored.price_per_hour == 100  # the "from" price: the night rate
        versions = list(
            await s.scalars(select(RatePlanVersion.version).where(RatePlanVersion.premise_id == premise.id))
        )
    assert sorted(versions) == [1, 2]

    # A new quote uses version 2 ...
    quote = await pricing.quote(premise.id, starts_at, 120)
    assert quote.total == 500 + 300 and len(quote.lines) == 2
    # ... the booking made before keeps version 1: its extension is an hour at 2.00.
    async with db.transaction() as s:
        extension = await booking.request_extension(s, old.id, user_id=user.id, minutes=60, now=clock.now())
    assert (extension.price, extension.rate_plan_id) == (200, old.rate_plan_id)

    # A booking made now keeps version 2, and its extension is marginal: no second first hour.
    async with db.transaction() as s:
        new = await booking.hold(
            s,
            user_id=user.id,
            premise_id=premise.id,
            starts_at=starts_at,
            minutes=60,
            now=clock.now(),
            hold_minutes=10,
        )
        await booking.confirm(s, new.id, clock.now())
        more = await booking.request_extension(s, new.id, user_id=user.id, minutes=60, now=clock.now())
    assert (new.price, new.rate_plan_id, more.price, more.rate_plan_id) == (
        500,
        saved.plan_id,
        300,
        saved.plan_id,
    )


async def test_a_plan_that_cannot_be_priced_is_refused_and_nothing_changes(db: Database) -> None:
    pricing = PricingUseCases(db, ManualClock(T0))
    async with db.transaction() as s:
        premise = await make_premise(s, price_per_hour=200)
    with pytest.raises(RatePlanCapTooLow):
        await pricing.set_plan(
            premise.id, RatePlan(base_per_hour=200, currency="EUR", first_hour=900, daily_cap=800)
        )
    with pytest.raises(CurrencyMismatch):
        await pricing.set_plan(premise.id, RatePlan.plain(200, "USD"))
    assert (await pricing.current_plan(premise.id)).plan_id is None
    # The console's preview prices a plan not saved yet.
    preview = pricing.preview(
        RatePlan(base_per_hour=200, currency="EUR", first_hour=300, daily_cap=1000),
        T0,
        24 * 60,
        "Europe/Kyiv",
    )
    assert preview.total == 1000 and [line.kind.value for line in preview.lines] == [
        "first_hour",
        "base",
        "cap",
    ]


# --- the same priced result on SQLite and PostgreSQL, for random plans and stays

times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
periods = st.lists(
    st.builds(
        PeriodRate,
        days=st.frozensets(st.integers(0, 6), min_size=1),
        start=times,
        end=times,
        per_hour=st.integers(1, 1500),
    ),
    max_size=2,
)


@st.composite
def plans(draw: st.DrawFn) -> RatePlan:
    # Keep only periods that do not overlap the ones before (overlaps are refused).
    kept: list[PeriodRate] = []
    covered: set[int] = set()
    for p in draw(periods):
        minutes = set(p.week_minutes())
        if not covered & minutes:
            kept.append(p)
            covered |= minutes
    base = draw(st.integers(1, 1500))
    first = draw(st.none() | st.integers(1, 2500))
    plan = RatePlan(base_per_hour=base, currency="EUR", first_hour=first, periods=tuple(kept))
    cap = draw(st.none() | st.integers(0, 30_000))
    return RatePlan(base, "EUR", first, None if cap is None else plan.dearest_hour + cap, tuple(kept))


@pytest.fixture
async def both(tmp_path: Path, sqlite_template: Path, postgres_url: str) -> dict[str, Database]:
    path = tmp_path / "test.db"
    shutil.copy(sqlite_template, path)
    return {
        "sqlite": Database.from_url(f"sqlite+aiosqlite:///{path}"),
        "postgres": Database.from_url(postgres_url),
    }


@pytest.mark.postgres
@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan=plans(),
    start_quarters=st.integers(0, 30 * 24 * 4 - 96),
    quarters=st.integers(2, 96),
    tz=st.sampled_from(["Europe/Kyiv", "UTC", "America/New_York"]),
)
async def test_the_same_plan_and_stay_price_the_same_on_sqlite_and_postgres(
    both: dict[str, Database], plan: RatePlan, start_quarters: int, quarters: int, tz: str
) -> None:
    clock = ManualClock(T0)
    starts_at = T0 + timedelta(minutes=15 * start_quarters)
    expected = price_stay(plan, starts_at, starts_at + timedelta(minutes=15 * quarters), tz)
    for db in both.values():
        async with db.transaction() as s:
            premise = await make_premise(s, price_per_hour=plan.base_per_hour, timezone=tz, now=T0)
        pricing = PricingUseCases(db, clock)
        await pricing.set_plan(premise.id, plan)
        assert (await pricing.current_plan(premise.id)).plan == plan  # stored and read back whole
        quoted = await pricing.quote(premise.id, starts_at, 15 * quarters)
        assert quoted == expected
        assert quoted.total == sum(line.amount for line in quoted.lines)
        if plan.daily_cap is not None:
            assert quoted.total <= plan.daily_cap


# --- the migration: existing premises get version 1, matching bookings its id


@pytest.fixture
def url_before_plans(empty_database_url: str) -> str:
    """An empty database migrated to the revision before rate plans (0008)."""
    _in_thread(lambda: command.upgrade(alembic_config(empty_database_url), BEFORE_PLANS))
    return empty_database_url


BEFORE_PLANS = "0007"

# The tables as they were before rate plans (the models have gained columns since: rate_plan_id,
# users' and spots' columns of later migrations), so rows are written in their old shape.
_OLD_USERS = sa.table(
    "users",
    sa.column("id", sa.Integer),
    sa.column("telegram_id", sa.BigInteger),
    sa.column("name", sa.String),
    sa.column("language", sa.String),
    sa.column("is_admin", sa.Boolean),
    sa.column("sms_opt_out", sa.Boolean),
    sa.column("created_at", UtcDateTime()),
)
_OLD_PREMISES = sa.table(
    "premises",
    *(sa.column(name, sa.String) for name in ("name", "address", "timezone", "currency", "opening_hours")),
    sa.column("description", sa.String),
    sa.column("features", sa.JSON),
    sa.column("photos", sa.JSON),
    sa.column("id", sa.Integer),
    sa.column("lat", sa.Float),
    sa.column("lon", sa.Float),
    sa.column("price_per_hour", sa.Integer),
    sa.column("is_active", sa.Boolean),
    sa.column("created_at", UtcDateTime()),
)
_OLD_SPOTS = sa.table(
    "spots",
    sa.column("premise_id", sa.Integer),
    sa.column("label", sa.String),
    sa.column("is_active", sa.Boolean),
)
_OLD_RESERVATIONS = sa.table(
    "reservations",
    sa.column("user_id", sa.Integer),
    sa.column("spot_id", sa.Integer),
    sa.column("starts_at", UtcDateTime()),
    sa.column("ends_at", UtcDateTime()),
    sa.column("status", sa.String),
    sa.column("price", sa.Integer),
    sa.column("currency", sa.String),
    sa.column("no_show", sa.Boolean),
    sa.column("created_at", UtcDateTime()),
    sa.column("updated_at", UtcDateTime()),
)


async def test_existing_premises_get_their_hourly_price_as_version_1(url_before_plans: str) -> None:
    db = Database.from_url(url_before_plans)
    try:
        async with db.transaction() as s:
            premise_id = (
                await s.execute(
                    _OLD_PREMISES.insert()
                    .values(
                        name="Test Garage",
                        address="1 Test Street",
                        lat=50.45,
                        lon=30.52,
                        timezone="Europe/Kyiv",
                        price_per_hour=250,
                        currency="EUR",
                        features=[],
                        photos=[],
                        description="",
                        opening_hours="24/7",
                        is_active=True,
                        created_at=T0 - timedelta(days=3),
                    )
                    .returning(_OLD_PREMISES.c.id)
                )
            ).scalar_one()
            await s.execute(_OLD_SPOTS.insert().values(premise_id=premise_id, label="A1", is_active=True))
            user_id = (
                await s.execute(
                    _OLD_USERS.insert()
                    .values(
                        telegram_id=1,
                        name="Driver",
                        language="en",
                        is_admin=False,
                        sms_opt_out=False,
                        created_at=T0,
                    )
                    .returning(_OLD_USERS.c.id)
                )
            ).scalar_one()
            spot_id = (await s.execute(sa.text("SELECT id FROM spots"))).scalar_one()
            start = T0 - timedelta(days=1)
            for minutes, price in ((45, 188), (120, 500), (60, 200)):  # the last at an older price
                await s.execute(
                    _OLD_RESERVATIONS.insert().values(
                        user_id=user_id,
                        spot_id=spot_id,
                        starts_at=start,
                        ends_at=start + timedelta(minutes=minutes),
                        status="completed",
                        price=price,
                        currency="EUR",
                        no_show=False,
                        created_at=start,
                        updated_at=start,
                    )
                )
                start += timedelta(hours=3)
        await db.dispose()
        _in_thread(lambda: upgrade_to_head(url_before_plans))
        async with db.read() as s:
            plan = (await s.scalars(select(RatePlanVersion))).one()
            prices = (
                await s.execute(select(Reservation.price, Reservation.rate_plan_id).order_by(Reservation.id))
            ).all()
        assert (plan.premise_id, plan.version, plan.plan()) == (premise_id, 1, RatePlan.plain(250, "EUR"))
        assert plan.valid_from == T0 - timedelta(days=3)
        assert [tuple(row) for row in prices] == [(188, plan.id), (500, plan.id), (200, None)]
        # The plan is in force: a quote now prices as the hourly price did.
        quote = await PricingUseCases(db, ManualClock(T0)).quote(premise_id, T0 + timedelta(hours=1), 45)
        assert quote.total == 188 and len(quote.lines) == 1
    finally:
        await db.dispose()


async def test_extend_choices_are_quoted_without_storing_a_plan(db: Database) -> None:
    # A booking priced before plans whose premise has no stored version yet: "Extend" under
    # "Park now!" quotes in a read-only transaction, so it must price without writing one.
    clock = ManualClock(T0)
    async with db.transaction() as s:
        premise = await make_premise(s, spots=1, price_per_hour=200, now=T0)
        user = await make_user(s)
        held = await booking.hold(
            s, user_id=user.id, premise_id=premise.id, starts_at=T0, minutes=60, now=T0, hold_minutes=10
        )
        await booking.confirm(s, held.id, T0)
        held.rate_plan_id = None
        await s.flush()
        await s.execute(sa.delete(RatePlanVersion))
    settings = Settings(_env_file=None, bot_token="1:x")
    choices = await BookingUseCases(db, clock, settings).extension_choices(
        user_id=user.id, reservation_id=held.id
    )
    assert [(o.minutes, o.price) for o in choices.options][:2] == [(30, 100), (60, 200)]
    async with db.read() as s:
        assert (await s.scalars(select(RatePlanVersion))).all() == []
