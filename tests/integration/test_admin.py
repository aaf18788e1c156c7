"""The console's tables on SQLite and PostgreSQL: an invite used once even when two people
open it at the same moment, one active role per user and premise, the audit log's JSON."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import InvalidInvite
from core.models import AuditEntry, AuditOutcome, PremiseStaff, StaffRole
from core.usecases.admin import AdminUseCases
from tests.factories import make_premise, make_user


async def test_an_invite_opened_twice_at_once_grants_one_role_and_audits_both(
    db: Database, clock: ManualClock
) -> None:
    async with db.transaction() as s:
        premise = (await make_premise(s, name="Alpha")).id
        owner = (await make_user(s, name="Owner", is_admin=True)).id
        users = [(await make_user(s, name=f"U{i}")).id for i in range(2)]
    admin = AdminUseCases(db, clock, Settings(_env_file=None, bot_token="1:x"))
    invite = await admin.invite(owner, premise, StaffRole.MANAGER)
    results = await asyncio.gather(
        *(admin.accept_invite(user, invite.token) for user in users), return_exceptions=True
    )
    assert sorted(type(r).__name__ for r in results) == ["Grant", "InvalidInvite"]
    assert next(r for r in results if isinstance(r, InvalidInvite)).reason == "used"
    async with db.read() as s:
        assert await s.scalar(select(func.count()).select_from(PremiseStaff)) == 1
        log = list(await s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert sorted((e.action, e.outcome) for e in log) == [
        ("staff.accept", AuditOutcome.OK),
        ("staff.accept", AuditOutcome.REFUSED),
        ("staff.invite", AuditOutcome.OK),
    ]
    accepted = next(e for e in log if e.action == "staff.accept" and e.outcome is AuditOutcome.OK)
    assert accepted.after is not None and accepted.after["role"] == "manager"

    # Revoked and invited again: a new active row; the old one stays as history.
    staff = (await admin.list_staff(owner, premise))[0]
    await admin.revoke(owner, premise, staff.staff_id)
    again = await admin.invite(owner, premise, StaffRole.ATTENDANT)
    await admin.accept_invite(staff.user_id, again.token)
    async with db.read() as s:
        rows = list(await s.scalars(select(PremiseStaff).order_by(PremiseStaff.id)))
    assert [(r.role, r.revoked_at is None) for r in rows] == [
        (StaffRole.MANAGER, False),
        (StaffRole.ATTENDANT, True),
    ]
    page = await admin.audit_page(owner, premise)
    assert page.total == 6 and page.lines[0].action == "staff.accept"


async def test_two_invites_opened_at_once_by_one_person_leave_one_role(
    db: Database, clock: ManualClock
) -> None:
    async with db.transaction() as s:
        premise = (await make_premise(s, name="Alpha")).id
        owner = (await make_user(s, name="Owner", is_admin=True)).id
        user = (await make_user(s, name="Taras")).id
    admin = AdminUseCases(db, clock, Settings(_env_file=None, bot_token="1:x"))
    invites = [await admin.invite(owner, premise, role) for role in (StaffRole.MANAGER, StaffRole.ATTENDANT)]
    results = await asyncio.gather(
        *(admin.accept_invite(user, i.token) for i in invites), return_exceptions=True
    )
    assert [type(r).__name__ for r in results] == ["Grant", "Grant"]
    async with db.read() as s:
        active = list(await s.scalars(select(PremiseStaff).where(PremiseStaff.revoked_at.is_(None))))
    assert len(active) == 1 and active[0].user_id == user
