"""The operator console's use cases: who may do what at which premise (owner, manager,
attendant, stranger), one-time invites, revoking, and the audit log that records every action
and every refusal."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import ManualClock
from core.config import Settings
from core.db import Database
from core.errors import InvalidInvite, NotFound, NotPermitted
from core.models import AuditEntry, AuditOutcome, PremiseStaff, StaffInvite, StaffRole, User
from core.permissions import ROLE_PERMISSIONS, Permission, Role, allowed
from core.usecases.admin import AdminUseCases, token_hash
from core.usecases.users import UserUseCases
from tests.factories import make_premise, make_user


@dataclass
class Team:
    admin: AdminUseCases
    a: int  # premise "Alpha" (the staff's)
    b: int  # premise "Beta"
    owner: int
    manager: int  # at Alpha
    attendant: int  # at Alpha
    stranger: int


async def _team(db: Database, clock: ManualClock, settings: Settings) -> Team:
    async with db.transaction() as s:
        alpha = await make_premise(s, name="Alpha")
        beta = await make_premise(s, name="Beta")
        owner = await make_user(s, name="Owner", is_admin=True)
        manager = await make_user(s, name="Mira")
        attendant = await make_user(s, name="Andrii")
        stranger = await make_user(s, name="Stranger")
        ids = alpha.id, beta.id, owner.id, manager.id, attendant.id, stranger.id
    admin = AdminUseCases(db, clock, settings)
    team = Team(admin, *ids)
    for user, role in ((team.manager, StaffRole.MANAGER), (team.attendant, StaffRole.ATTENDANT)):
        invite = await admin.invite(team.owner, team.a, role)
        await admin.accept_invite(user, invite.token)
    return team


@pytest.fixture
async def team(db: Database, clock: ManualClock, settings: Settings) -> Team:
    return await _team(db, clock, settings)


async def _log(db: Database) -> list[AuditEntry]:
    async with db.read() as s:
        return list(await s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_the_permission_table() -> None:
    everything = set(Permission)
    assert ROLE_PERMISSIONS[Role.OWNER] == everything
    # Managers: everything at their premise, prices and staff included (what belongs to no
    # single premise is refused by role_at, not by this table).
    assert ROLE_PERMISSIONS[Role.MANAGER] == everything
    # Attendants: occupancy, bookings, blockers; no prices, no refunds.
    assert ROLE_PERMISSIONS[Role.ATTENDANT] == {
        Permission.VIEW_OCCUPANCY,
        Permission.MANAGE_BOOKINGS,
        Permission.MANAGE_BLOCKERS,
    }
    assert not any(allowed(None, p) for p in Permission)


async def test_each_role_may_do_what_its_permissions_say_and_nothing_else(team: Team) -> None:
    admin = team.admin

    async def outcome(actor: int, premise: int | None) -> dict[str, bool]:
        checks: dict[str, Any] = {
            "console": lambda: (
                admin.console(actor, premise) if premise is not None else admin.premises_of(actor)
            ),
            "staff": lambda: admin.list_staff(actor, premise or 0),
            "invite": lambda: admin.invite(actor, premise or 0, StaffRole.ATTENDANT),
            "audit": lambda: admin.audit_page(actor, premise),
            "export": lambda: admin.audit_csv(actor, premise),
        }
        result = {}
        for name, call in checks.items():
            try:
                await call()
                result[name] = True
            except NotPermitted:
                result[name] = False
        return result

    everything = {"console": True, "staff": True, "invite": True, "audit": True, "export": True}
    nothing = dict.fromkeys(everything, False)
    assert await outcome(team.owner, team.a) == everything
    assert await outcome(team.owner, team.b) == everything
    assert await outcome(team.manager, team.a) == everything
    assert await outcome(team.manager, team.b) == nothing
    assert await outcome(team.attendant, team.a) == {**nothing, "console": True}
    assert await outcome(team.attendant, team.b) == nothing
    assert await outcome(team.stranger, team.a) == nothing
    # The log of every premise is the owners' alone.
    assert (await admin.audit_page(team.owner, None)).total > 0
    for actor in (team.manager, team.attendant, team.stranger):
        with pytest.raises(NotPermitted):
            await admin.audit_page(actor, None)

    assert [(p.name, p.role) for p in await admin.premises_of(team.owner)] == [
        ("Alpha", Role.OWNER),
        ("Beta", Role.OWNER),
    ]
    assert [(p.name, p.role) for p in await admin.premises_of(team.manager)] == [("Alpha", Role.MANAGER)]
    assert [(p.name, p.role) for p in await admin.premises_of(team.attendant)] == [("Alpha", Role.ATTENDANT)]
    assert await admin.premises_of(team.stranger) == []
    assert [
        await admin.has_console(u) for u in (team.owner, team.manager, team.attendant, team.stranger)
    ] == [
        True,
        True,
        True,
        False,
    ]
    console = await admin.console(team.attendant, team.a)
    assert (console.name, console.role) == ("Alpha", Role.ATTENDANT)
    assert console.permissions == ROLE_PERMISSIONS[Role.ATTENDANT]


async def test_an_action_at_another_premise_is_refused_changes_nothing_and_is_audited(
    team: Team, db: Database, clock: ManualClock
) -> None:
    before = len(await _log(db))
    clock.advance(timedelta(minutes=5))
    with pytest.raises(NotPermitted):
        await team.admin.invite(team.manager, team.b, StaffRole.MANAGER)
    with pytest.raises(NotPermitted):
        await team.admin.invite(team.attendant, team.a, StaffRole.MANAGER)
    async with db.read() as s:
        assert len(list(await s.scalars(select(StaffInvite)))) == 2  # the two the fixture used
    refused = (await _log(db))[before:]
    assert [(e.actor_user_id, e.premise_id, e.action, e.outcome, e.detail, e.after) for e in refused] == [
        (team.manager, team.b, "staff.invite", AuditOutcome.REFUSED, "not_permitted", None),
        (team.attendant, team.a, "staff.invite", AuditOutcome.REFUSED, "not_permitted", None),
    ]
    assert all(e.at == clock.now() for e in refused)
    # A read of another premise is refused and audited too.
    with pytest.raises(NotPermitted):
        await team.admin.list_staff(team.attendant, team.b)
    last = (await _log(db))[-1]
    assert (last.action, last.premise_id, last.outcome) == ("staff.list", team.b, AuditOutcome.REFUSED)
    # An owner naming a premise that does not exist.
    with pytest.raises(NotFound):
        await team.admin.list_staff(team.owner, 999_999)


async def test_an_invite_is_used_once_within_24_hours_and_only_its_hash_is_stored(
    team: Team, db: Database, clock: ManualClock
) -> None:
    admin = team.admin
    invite = await admin.invite(team.owner, team.b, StaffRole.ATTENDANT)
    assert invite.expires_at == clock.now() + timedelta(hours=24)
    assert invite.premise_name == "Beta" and len(invite.token) >= 20
    async with db.read() as s:
        row = await s.scalar(select(StaffInvite).where(StaffInvite.token_hash == token_hash(invite.token)))
        assert row is not None and invite.token not in row.token_hash
    with pytest.raises(InvalidInvite) as unknown:
        await admin.accept_invite(team.stranger, invite.token + "x")
    assert unknown.value.reason == "unknown"

    grant = await admin.accept_invite(team.stranger, invite.token)
    assert (grant.premise_name, grant.role) == ("Beta", StaffRole.ATTENDANT)
    with pytest.raises(InvalidInvite) as used:
        await admin.accept_invite(team.manager, invite.token)
    assert used.value.reason == "used"
    assert [p.name for p in await admin.premises_of(team.manager)] == ["Alpha"]

    late = await admin.invite(team.owner, team.b, StaffRole.MANAGER)
    clock.advance(timedelta(hours=24))
    with pytest.raises(InvalidInvite) as expired:
        await admin.accept_invite(team.manager, late.token)
    assert expired.value.reason == "expired"
    log = await _log(db)
    assert [(e.action, e.outcome, e.detail) for e in log[-5:]] == [
        ("staff.accept", AuditOutcome.REFUSED, "invalid_invite: unknown"),
        ("staff.accept", AuditOutcome.OK, ""),
        ("staff.accept", AuditOutcome.REFUSED, "invalid_invite: used"),
        ("staff.invite", AuditOutcome.OK, ""),
        ("staff.accept", AuditOutcome.REFUSED, "invalid_invite: expired"),
    ]


async def test_revoking_ends_access_and_is_audited_with_before_and_after(
    team: Team, db: Database, clock: ManualClock
) -> None:
    admin = team.admin
    staff = await admin.list_staff(team.owner, team.a)
    assert [(s.name, s.role) for s in staff] == [("Mira", StaffRole.MANAGER), ("Andrii", StaffRole.ATTENDANT)]
    andrii = staff[1]
    # The staff member of Alpha cannot be revoked by naming Beta.
    with pytest.raises(NotFound):
        await admin.revoke(team.owner, team.b, andrii.staff_id)
    clock.advance(timedelta(hours=1))
    revoked = await admin.revoke(team.owner, team.a, andrii.staff_id)
    assert (revoked.name, revoked.role, revoked.keeps_console) == ("Andrii", StaffRole.ATTENDANT, False)
    assert not await admin.has_console(team.attendant)
    with pytest.raises(NotPermitted):
        await admin.console(team.attendant, team.a)
    with pytest.raises(NotFound):  # once
        await admin.revoke(team.owner, team.a, andrii.staff_id)
    assert [s.name for s in await admin.list_staff(team.owner, team.a)] == ["Mira"]

    entries = [e for e in await _log(db) if e.action == "staff.revoke"]
    assert [(e.premise_id, e.outcome, e.detail) for e in entries] == [
        (team.b, AuditOutcome.REFUSED, "not_found"),
        (team.a, AuditOutcome.OK, ""),
        (team.a, AuditOutcome.REFUSED, "not_found"),
    ]
    assert entries[1].before == {"staff_id": andrii.staff_id, "user_id": team.attendant, "role": "attendant"}
    assert entries[1].after == {"staff_id": andrii.staff_id, "revoked_at": clock.now().isoformat()}
    async with db.read() as s:
        row = await s.get(PremiseStaff, andrii.staff_id)
        assert row is not None and row.revoked_at == clock.now()  # kept as history

    # Invited again, as a manager this time: the accept records the new role.
    again = await admin.invite(team.owner, team.a, StaffRole.MANAGER)
    await admin.accept_invite(team.attendant, again.token)
    # And a second invite to the same premise replaces the role: before -> after.
    demote = await admin.invite(team.owner, team.a, StaffRole.ATTENDANT)
    await admin.accept_invite(team.attendant, demote.token)
    last = (await _log(db))[-1]
    assert last.action == "staff.accept" and last.before is not None and last.after is not None
    assert (last.before["role"], last.after["role"]) == ("manager", "attendant")
    assert [p.role for p in await admin.premises_of(team.attendant)] == [Role.ATTENDANT]


async def test_a_manager_runs_the_staff_of_their_premise_only_and_never_revokes_an_owner(
    team: Team, db: Database
) -> None:
    admin = team.admin
    # Invites a manager and an attendant of their own car park; the link works as the owner's.
    invite = await admin.invite(team.manager, team.a, StaffRole.ATTENDANT)
    grant = await admin.accept_invite(team.stranger, invite.token)
    assert (grant.premise_name, grant.role) == ("Alpha", StaffRole.ATTENDANT)
    async with db.transaction() as s:
        helper = await make_user(s, name="Helper")
        helper_id = helper.id
    await admin.accept_invite(helper_id, (await admin.invite(team.manager, team.a, StaffRole.MANAGER)).token)
    # An owner who also took a role at Alpha: listed, but only owners revoke it.
    await admin.accept_invite(team.owner, (await admin.invite(team.owner, team.a, StaffRole.ATTENDANT)).token)
    staff = {s.name: s for s in await admin.list_staff(team.manager, team.a)}
    assert [(name, s.role, s.is_owner) for name, s in staff.items()] == [
        ("Mira", StaffRole.MANAGER, False),
        ("Andrii", StaffRole.ATTENDANT, False),
        ("Stranger", StaffRole.ATTENDANT, False),
        ("Helper", StaffRole.MANAGER, False),
        ("Owner", StaffRole.ATTENDANT, True),
    ]
    # Revokes attendants and other managers there.
    assert (await admin.revoke(team.manager, team.a, staff["Stranger"].staff_id)).name == "Stranger"
    assert (await admin.revoke(team.manager, team.a, staff["Helper"].staff_id)).name == "Helper"
    assert not await admin.has_console(team.stranger) and not await admin.has_console(helper_id)
    # Never an owner: refused and audited, the owner's role there untouched.
    with pytest.raises(NotPermitted):
        await admin.revoke(team.manager, team.a, staff["Owner"].staff_id)
    refused = (await _log(db))[-1]
    assert (refused.action, refused.outcome, refused.actor_user_id) == (
        "staff.revoke",
        AuditOutcome.REFUSED,
        team.manager,
    )
    assert refused.before == {"staff_id": staff["Owner"].staff_id, "user_id": team.owner, "role": "attendant"}
    assert "Owner" in [s.name for s in await admin.list_staff(team.owner, team.a)]
    assert (await admin.console(team.owner, team.a)).role is Role.OWNER  # an owner stays an owner
    # Nothing at Beta, and nothing that belongs to no single premise.
    beta_attendant = await admin.invite(team.owner, team.b, StaffRole.ATTENDANT)
    await admin.accept_invite(helper_id, beta_attendant.token)
    beta_staff = (await admin.list_staff(team.owner, team.b))[0]
    for forged in (
        admin.invite(team.manager, team.b, StaffRole.MANAGER),
        admin.list_staff(team.manager, team.b),
        admin.revoke(team.manager, team.b, beta_staff.staff_id),
        admin.revoke(team.manager, team.a, beta_staff.staff_id),  # Beta's, named through Alpha
        admin.audit_page(team.manager, None),
        admin.audit_csv(team.manager, None),
    ):
        with pytest.raises((NotPermitted, NotFound)):
            await forged
    assert await admin.has_console(helper_id)  # still Beta's attendant
    # The owner may revoke the owner's role there.
    assert (await admin.revoke(team.owner, team.a, staff["Owner"].staff_id)).keeps_console


async def test_the_audit_log_pages_newest_first_and_exports_csv(team: Team, db: Database) -> None:
    admin = team.admin
    for _ in range(12):
        await admin.invite(team.owner, team.a, StaffRole.ATTENDANT)
    with pytest.raises(NotPermitted):
        await admin.invite(team.manager, team.b, StaffRole.ATTENDANT)
    alpha = await admin.audit_page(team.manager, team.a)
    # 2 invites + 2 accepts of the fixture, and 12 invites.
    assert (alpha.total, len(alpha.lines), alpha.offset) == (16, 8, 0)
    assert [line.id for line in alpha.lines] == sorted((line.id for line in alpha.lines), reverse=True)
    assert alpha.lines[0].actor_name == "Owner" and alpha.lines[0].action == "staff.invite"
    second = await admin.audit_page(team.manager, team.a, offset=10)
    assert len(second.lines) == 6 and second.lines[-1].action == "staff.invite"
    everywhere = await admin.audit_page(team.owner, None)
    assert everywhere.total == 17 and everywhere.lines[0].outcome is AuditOutcome.REFUSED

    exported = list(csv.reader(io.StringIO((await admin.audit_csv(team.manager, team.a)).decode())))
    assert exported[0] == [
        "id",
        "at",
        "actor_user_id",
        "actor_name",
        "premise_id",
        "action",
        "outcome",
        "before",
        "after",
        "detail",
    ]
    assert len(exported) == 1 + 16
    newest = dict(zip(exported[0], exported[1], strict=True))
    assert (
        newest["actor_name"] == "Owner"
        and newest["outcome"] == "ok"
        and '"role": "attendant"' in newest["after"]
    )
    assert "token" not in newest["after"]
    # The export itself is in the log.
    last = (await _log(db))[-1]
    assert (last.actor_user_id, last.action, last.after) == (team.manager, "audit.export", {"rows": 16})


async def test_owners_from_the_command_line_survive_the_admin_ids_sync(
    db: Database, clock: ManualClock
) -> None:
    settings = Settings(_env_file=None, bot_token="1:x", admin_ids=frozenset({5}))
    admin, users = AdminUseCases(db, clock, settings), UserUseCases(db, clock, settings)
    assert await admin.add_owner(42) is True
    assert await admin.add_owner(42) is False
    # Added before writing to the bot: the first message fills in name and language.
    first = await users.telegram_caller(42, name="Olha", language="uk")
    assert (first.is_admin, first.name, first.lang) == (True, "Olha", "uk")
    five = await users.telegram_caller(5, name="Five", language="en")
    assert five.is_admin
    assert [(o.telegram_id, o.name, o.from_admin_ids, o.added_by_cli) for o in await admin.owners()] == [
        (5, "Five", True, False),
        (42, "Olha", False, True),
    ]
    assert await admin.remove_owner(5) is False  # ADMIN_IDS owners are owners whatever the CLI says
    assert await admin.remove_owner(42) is True
    again = await users.telegram_caller(42, name="Olha", language="uk")
    assert not again.is_admin and not await admin.has_console(again.user_id)
    async with db.read() as s:
        row = await s.scalar(select(User).where(User.telegram_id == 42))
        assert row is not None and not row.is_admin and row.admin_added_at is None
    log = await _log(db)
    assert [(e.actor_user_id, e.action, e.before, e.after) for e in log] == [
        (
            None,
            "owner.add",
            {"user_id": first.user_id, "is_admin": False},
            {"user_id": first.user_id, "is_admin": True},
        ),
        (
            None,
            "owner.remove",
            {"user_id": first.user_id, "is_admin": True},
            {"user_id": first.user_id, "is_admin": False},
        ),
    ]


async def test_a_name_that_looks_like_a_formula_is_exported_as_text(team: Team, db: Database) -> None:
    # The name is the staff member's own Telegram name: a spreadsheet must not run it.
    async with db.transaction() as s:
        manager = await s.get(User, team.manager)
        assert manager is not None
        manager.name = '=HYPERLINK("http://evil.example","Mira")'
    await team.admin.audit_csv(team.manager, team.a)  # audited under the manager's name
    exported = list(csv.reader(io.StringIO((await team.admin.audit_csv(team.owner, team.a)).decode())))
    newest = dict(zip(exported[0], exported[1], strict=True))
    assert newest["action"] == "audit.export"
    assert newest["actor_name"] == '\'=HYPERLINK("http://evil.example","Mira")'
