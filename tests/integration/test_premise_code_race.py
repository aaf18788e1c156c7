"""Two owners creating car parks at the same moment, whose random sources draw the same first
code: both are created, with different codes, on PostgreSQL and on SQLite.

On PostgreSQL the audit log is locked meanwhile so that neither creation can commit before both
have drawn and inserted: the second insert then waits on the first's code, fails on the unique
index (ux_premises_code) once the first commits, and is retried in a savepoint with a new draw.
SQLite queues write transactions (BEGIN IMMEDIATE), so the second one sees the first's code and
draws past it."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import replace

import pytest
from sqlalchemy import select, text

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.models import AuditEntry, AuditOutcome, Premise
from core.usecases.premises_admin import PremiseAdminUseCases, PremiseDraft
from tests.factories import make_user
from tests.waiting import eventually

DRAFT = PremiseDraft(
    name="Ring Garage",
    lat=48.2082,
    lon=16.3738,
    address="Schottenring 1",
    timezone="Europe/Vienna",
    currency="EUR",
    price_per_hour=250,
)


async def test_two_creations_drawing_the_same_code_both_get_one(
    db: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(_env_file=None, bot_token="1:x")
    async with db.transaction() as s:
        owner = (await make_user(s, name="Owner", is_admin=True)).id
    first_code = f"{1000 + random.Random(7).randrange(9000)}"
    makers = [
        PremiseAdminUseCases(db, clock, settings, draw_code=random.Random(7).randrange) for _ in range(2)
    ]
    drafts = [DRAFT, replace(DRAFT, name="Ring Garage 2")]
    caplog.set_level(logging.INFO, logger="core.usecases.premises_admin")
    if db.is_sqlite:
        made = await asyncio.gather(
            *(uc.create_premise(owner, d) for uc, d in zip(makers, drafts, strict=True))
        )
    else:
        async with db.engine.connect() as locker:
            hold = await locker.begin()
            await locker.execute(text("LOCK TABLE audit_log IN SHARE MODE"))
            creations = [
                asyncio.create_task(uc.create_premise(owner, d)) for uc, d in zip(makers, drafts, strict=True)
            ]

            async def both_waiting() -> bool:
                async with db.engine.connect() as conn:
                    waiting = await conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
                return bool(waiting == 2)

            await eventually(both_waiting, what="one creation waiting on the audit log, one on the code")
            await hold.commit()
        made = await asyncio.gather(*creations)
        assert [r.getMessage() for r in caplog.records] == [
            f"premise code {first_code} was taken meanwhile; drawing again"
        ]
    codes = sorted(m.code for m in made)
    assert first_code in codes and len(set(codes)) == 2
    async with db.read() as s:
        stored = {p.name: p.code for p in await s.scalars(select(Premise).where(Premise.name.like("Ring%")))}
    assert stored == {m.name: m.code for m in made}
    async with db.read() as s:
        audited = list(
            await s.scalars(select(AuditEntry.outcome).where(AuditEntry.action == "premises.create"))
        )
    assert audited == [AuditOutcome.OK] * 2
