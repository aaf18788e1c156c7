"""The operator console's use cases (DESIGN.md §11): who may manage which premise, staff
invites, revoking, the audit log, and the owners the command line adds.

Every method takes the acting user's id and finds their role at the premise in the database
(never from the front end: a forged callback naming another premise is refused here), asks
`core.permissions.allowed`, and writes the action to `audit_log` in the same transaction as
the change. A refusal (no permission, or any other DomainError) rolls the change back and is
written in a transaction of its own, then raised.

The pattern for every console action (premises, spots, blockers, prices):

    async with self._action(actor_id, premise_id, Permission.MANAGE_SPOTS, "spot.close") as (s, audit):
        spot = ...  # load under a lock, check the rules
        audit.before = {"spot_id": spot.id, "is_active": spot.is_active}
        spot.is_active = False
        audit.after = {"spot_id": spot.id, "is_active": False}
    # committed with its audit entry; NotPermitted / NotFound / ... raised and audited

Reads that change nothing use `_view` (checked the same way; only refusals are audited).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import DomainError, InvalidInvite, NotFound, NotPermitted
from core.models import AuditEntry, AuditOutcome, Premise, PremiseStaff, StaffInvite, StaffRole, User
from core.permissions import INVITE_HOURS, Permission, Role, allowed, permissions

AUDIT_PAGE = 8  # a page of the log fits a phone's screen (two lines an entry)
CSV_COLUMNS = (
    "id", "at", "actor_user_id", "actor_name", "premise_id", "action", "outcome", "before", "after", "detail",
)  # fmt: skip
# The deep link's payload: `/start staff_<token>` (Telegram allows 64 characters of
# A-Z, a-z, 0-9, _ and -; token_urlsafe(18) is 24 of them).
INVITE_PREFIX = "staff_"


@dataclass(frozen=True, slots=True)
class PremiseAccess:
    premise_id: int
    name: str
    role: Role


@dataclass(frozen=True, slots=True)
class Console:
    """One premise's console for this caller: what their role lets them open."""

    premise_id: int
    name: str
    role: Role
    permissions: frozenset[Permission]
    # The premise's short code (SMS, the driver's card): on the console's header, so staff who
    # cannot open Details (attendants) can tell it to a driver.
    code: str = ""


@dataclass(frozen=True, slots=True)
class StaffMember:
    staff_id: int
    user_id: int
    name: str
    role: StaffRole
    since: datetime
    # An owner who also holds a role here: only owners may revoke it (managers see no button).
    is_owner: bool = False


@dataclass(frozen=True, slots=True)
class Invite:
    token: str  # shown once, in the link; only its hash is stored
    premise_id: int
    premise_name: str
    role: StaffRole
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Grant:
    """An accepted invite: who is now what, where."""

    premise_id: int
    premise_name: str
    role: StaffRole


@dataclass(frozen=True, slots=True)
class Revoked:
    user_id: int
    telegram_id: int | None
    name: str
    role: StaffRole
    # Still an owner or staff somewhere else: their /admin keeps working.
    keeps_console: bool


@dataclass(frozen=True, slots=True)
class AuditLine:
    id: int
    at: datetime
    actor_user_id: int | None
    actor_name: str
    premise_id: int | None
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    outcome: AuditOutcome
    detail: str


@dataclass(frozen=True, slots=True)
class AuditPage:
    lines: list[AuditLine]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True, slots=True)
class Owner:
    telegram_id: int
    name: str
    from_admin_ids: bool
    added_by_cli: bool


@dataclass(slots=True)
class Audit:
    """What an action records: filled in by the action's body."""

    action: str
    premise_id: int | None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    detail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def role_at(session: AsyncSession, user_id: int, premise_id: int | None) -> Role | None:
    """The user's role at the premise (None: none); owners have OWNER everywhere, and are the
    only ones with a role where no premise is named."""
    is_owner = await session.scalar(select(User.is_admin).where(User.id == user_id))
    if is_owner:
        return Role.OWNER
    if premise_id is None:
        return None
    role = await session.scalar(
        select(PremiseStaff.role).where(
            PremiseStaff.premise_id == premise_id,
            PremiseStaff.user_id == user_id,
            PremiseStaff.revoked_at.is_(None),
        )
    )
    return Role(role.value) if role is not None else None


class AdminUseCases:
    def __init__(self, db: Database, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.clock = clock
        self.settings = settings

    # ------------------------------------------------------------------ the pattern
    async def _check(
        self, s: AsyncSession, actor_id: int, premise_id: int | None, permission: Permission | None
    ) -> Role:
        """The actor's role, when it allows `permission` at the premise (None: any role there).
        Raises NotPermitted, or NotFound for an owner naming a premise that does not exist."""
        role = await role_at(s, actor_id, premise_id)
        if role is None or (permission is not None and not allowed(role, permission)):
            raise NotPermitted(f"user {actor_id}: {permission or 'console'} at premise {premise_id}")
        if premise_id is not None and await s.get(Premise, premise_id) is None:
            raise NotFound(f"premise {premise_id}")
        return role

    def _entry(self, actor_id: int | None, audit: Audit, outcome: AuditOutcome) -> AuditEntry:
        return AuditEntry(
            at=self.clock.now(),
            actor_user_id=actor_id,
            premise_id=audit.premise_id,
            action=audit.action,
            before=audit.before,
            after=audit.after,
            outcome=outcome,
            detail=audit.detail[:500],
        )

    async def _refused(self, actor_id: int | None, audit: Audit, error: DomainError) -> None:
        """A refusal, in a transaction of its own (the action's was rolled back)."""
        reason = getattr(error, "reason", None)
        audit.detail = error.code + (f": {reason}" if reason else "")
        audit.after = None
        async with self.db.transaction() as s:
            s.add(self._entry(actor_id, audit, AuditOutcome.REFUSED))

    @asynccontextmanager
    async def _action(
        self, actor_id: int, premise_id: int | None, permission: Permission, action: str
    ) -> AsyncIterator[tuple[AsyncSession, Audit]]:
        """One console action: checked, done and audited in one transaction; refused and
        audited otherwise (see the module docstring)."""
        audit = Audit(action, premise_id)
        try:
            async with self.db.transaction() as s:
                await self._check(s, actor_id, premise_id, permission)
                yield s, audit
                s.add(self._entry(actor_id, audit, AuditOutcome.OK))
        except DomainError as error:
            await self._refused(actor_id, audit, error)
            raise

    @asynccontextmanager
    async def _view(
        self, actor_id: int, premise_id: int | None, permission: Permission | None, action: str
    ) -> AsyncIterator[tuple[AsyncSession, Role]]:
        """A read: checked like an action; only a refusal is audited."""
        try:
            async with self.db.read() as s:
                role = await self._check(s, actor_id, premise_id, permission)
                yield s, role
        except DomainError as error:
            await self._refused(actor_id, Audit(action, premise_id), error)
            raise

    @staticmethod
    async def _premises_allowing(s: AsyncSession, actor_id: int, permission: Permission) -> list[int] | None:
        """The premises where the actor's role allows `permission`, by id; None: every premise
        (an owner). Screens that span premises (bookings found by phone, the review queue)
        filter by it; actions on one premise still go through `_check`."""
        if await s.scalar(select(User.is_admin).where(User.id == actor_id)):
            return None
        rows = await s.execute(
            select(PremiseStaff.premise_id, PremiseStaff.role)
            .where(PremiseStaff.user_id == actor_id, PremiseStaff.revoked_at.is_(None))
            .order_by(PremiseStaff.premise_id)
        )
        return [pid for pid, role in rows.tuples() if allowed(Role(role.value), permission)]

    # ------------------------------------------------------------------ who manages what
    async def has_console(self, user_id: int) -> bool:
        """Whether /admin exists for this user: an owner, or staff of some premise."""
        async with self.db.read() as s:
            if await s.scalar(select(User.is_admin).where(User.id == user_id)):
                return True
            found = await s.scalar(
                select(PremiseStaff.id)
                .where(PremiseStaff.user_id == user_id, PremiseStaff.revoked_at.is_(None))
                .limit(1)
            )
        return found is not None

    async def premises_of(self, user_id: int) -> list[PremiseAccess]:
        """The premises the user may manage, by name: every premise for an owner."""
        async with self.db.read() as s:
            if await s.scalar(select(User.is_admin).where(User.id == user_id)):
                rows = await s.execute(select(Premise.id, Premise.name).order_by(Premise.name, Premise.id))
                return [PremiseAccess(pid, name, Role.OWNER) for pid, name in rows.tuples()]
            staffed = await s.execute(
                select(Premise.id, Premise.name, PremiseStaff.role)
                .join(PremiseStaff, PremiseStaff.premise_id == Premise.id)
                .where(PremiseStaff.user_id == user_id, PremiseStaff.revoked_at.is_(None))
                .order_by(Premise.name, Premise.id)
            )
            return [PremiseAccess(pid, name, Role(role.value)) for pid, name, role in staffed.tuples()]

    async def console(self, actor_id: int, premise_id: int) -> Console:
        async with self._view(actor_id, premise_id, None, "console.open") as (s, role):
            found = await s.execute(select(Premise.name, Premise.code).where(Premise.id == premise_id))
            name, code = found.tuples().one()  # _view found the premise
        return Console(premise_id, name, role, permissions(role), code or "")

    # ------------------------------------------------------------------ staff
    async def list_staff(self, actor_id: int, premise_id: int) -> list[StaffMember]:
        async with self._view(actor_id, premise_id, Permission.MANAGE_STAFF, "staff.list") as (s, _):
            rows = await s.execute(
                select(PremiseStaff, User.name, User.is_admin)
                .join(User, User.id == PremiseStaff.user_id)
                .where(PremiseStaff.premise_id == premise_id, PremiseStaff.revoked_at.is_(None))
                .order_by(PremiseStaff.created_at, PremiseStaff.id)
            )
            return [
                StaffMember(st.id, st.user_id, name, st.role, st.created_at, is_owner)
                for st, name, is_owner in rows.tuples()
            ]

    async def invite(self, actor_id: int, premise_id: int, role: StaffRole) -> Invite:
        """A one-time invite for `role` at the premise, valid INVITE_HOURS."""
        token = secrets.token_urlsafe(18)
        expires_at = self.clock.now() + timedelta(hours=INVITE_HOURS)
        async with self._action(actor_id, premise_id, Permission.MANAGE_STAFF, "staff.invite") as (s, audit):
            row = StaffInvite(
                token_hash=token_hash(token),
                premise_id=premise_id,
                role=role,
                created_by=actor_id,
                created_at=self.clock.now(),
                expires_at=expires_at,
            )
            s.add(row)
            await s.flush()
            name = await s.scalar(select(Premise.name).where(Premise.id == premise_id)) or ""
            audit.after = {"invite_id": row.id, "role": role.value, "expires_at": expires_at.isoformat()}
        return Invite(token, premise_id, name, role, expires_at)

    async def accept_invite(self, user_id: int, token: str) -> Grant:
        """The invited user opened the link: they become `role` at the premise (a role they
        already had there is replaced). Raises InvalidInvite (unknown, used, expired); every
        attempt is audited."""
        audit = Audit("staff.accept", None)
        now = self.clock.now()
        try:
            async with self.db.transaction() as s:
                invite = await s.scalar(
                    select(StaffInvite).where(StaffInvite.token_hash == token_hash(token)).with_for_update()
                )
                if invite is None:
                    raise InvalidInvite("unknown")
                audit.premise_id = invite.premise_id
                audit.before = {"invite_id": invite.id}
                if invite.used_at is not None:
                    raise InvalidInvite("used")
                if invite.expires_at <= now:
                    raise InvalidInvite("expired")
                # Two invites to the same premise opened at once by one person: the second
                # waits here and then finds the first one's role (which it replaces), instead of
                # both inserting and one failing on the one-active-role index.
                await s.scalar(select(User.id).where(User.id == user_id).with_for_update())
                current = await s.scalar(
                    select(PremiseStaff)
                    .where(
                        PremiseStaff.premise_id == invite.premise_id,
                        PremiseStaff.user_id == user_id,
                        PremiseStaff.revoked_at.is_(None),
                    )
                    .with_for_update()
                )
                if current is not None:
                    audit.before["role"] = current.role.value
                    current.role = invite.role
                    staff = current
                else:
                    staff = PremiseStaff(
                        premise_id=invite.premise_id,
                        user_id=user_id,
                        role=invite.role,
                        invited_by=invite.created_by,
                        created_at=now,
                    )
                    s.add(staff)
                invite.used_at, invite.used_by = now, user_id
                await s.flush()
                audit.after = {"staff_id": staff.id, "user_id": user_id, "role": invite.role.value}
                s.add(self._entry(user_id, audit, AuditOutcome.OK))
                name = await s.scalar(select(Premise.name).where(Premise.id == invite.premise_id)) or ""
                return Grant(invite.premise_id, name, invite.role)
        except DomainError as error:
            await self._refused(user_id, audit, error)
            raise

    async def revoke(self, actor_id: int, premise_id: int, staff_id: int) -> Revoked:
        """Ends a staff member's role at the premise. Managers may revoke the premise's managers
        and attendants, never an owner who also holds a role there (NotPermitted): an owner's
        standing is the owners' business."""
        async with self._action(actor_id, premise_id, Permission.MANAGE_STAFF, "staff.revoke") as (s, audit):
            staff = await s.scalar(
                select(PremiseStaff)
                .where(
                    PremiseStaff.id == staff_id,
                    PremiseStaff.premise_id == premise_id,
                    PremiseStaff.revoked_at.is_(None),
                )
                .with_for_update()
            )
            if staff is None:
                raise NotFound(f"staff {staff_id} at premise {premise_id}")
            user = await s.get(User, staff.user_id)
            assert user is not None  # a foreign key
            audit.before = {"staff_id": staff.id, "user_id": staff.user_id, "role": staff.role.value}
            if user.is_admin and await role_at(s, actor_id, premise_id) is not Role.OWNER:
                raise NotPermitted(f"user {actor_id}: revoke owner {user.id} at premise {premise_id}")
            staff.revoked_at = self.clock.now()
            audit.after = {"staff_id": staff.id, "revoked_at": staff.revoked_at.isoformat()}
            await s.flush()
            elsewhere = await s.scalar(
                select(PremiseStaff.id)
                .where(PremiseStaff.user_id == user.id, PremiseStaff.revoked_at.is_(None))
                .limit(1)
            )
            result = Revoked(
                user.id, user.telegram_id, user.name, staff.role, user.is_admin or elsewhere is not None
            )
        return result

    async def staff_member(self, actor_id: int, premise_id: int, staff_id: int) -> StaffMember:
        """One active staff member of the premise (the revoke confirmation shows it)."""
        async with self._view(actor_id, premise_id, Permission.MANAGE_STAFF, "staff.list") as (s, _):
            row = (
                await s.execute(
                    select(PremiseStaff, User.name, User.is_admin)
                    .join(User, User.id == PremiseStaff.user_id)
                    .where(
                        PremiseStaff.id == staff_id,
                        PremiseStaff.premise_id == premise_id,
                        PremiseStaff.revoked_at.is_(None),
                    )
                )
            ).first()
        if row is None:
            raise NotFound(f"staff {staff_id} at premise {premise_id}")
        staff, name, is_owner = row._tuple()
        return StaffMember(staff.id, staff.user_id, name, staff.role, staff.created_at, is_owner)

    # ------------------------------------------------------------------ the audit log
    def _audit_query(self, premise_id: int | None) -> Any:
        actor = aliased(User)
        query = select(AuditEntry, actor.name).outerjoin(actor, actor.id == AuditEntry.actor_user_id)
        if premise_id is not None:
            query = query.where(AuditEntry.premise_id == premise_id)
        return query.order_by(AuditEntry.id.desc())

    @staticmethod
    def _line(entry: AuditEntry, name: str | None) -> AuditLine:
        return AuditLine(
            entry.id,
            entry.at,
            entry.actor_user_id,
            name or "",
            entry.premise_id,
            entry.action,
            entry.before,
            entry.after,
            entry.outcome,
            entry.detail,
        )

    async def audit_page(
        self, actor_id: int, premise_id: int | None, offset: int = 0, limit: int = AUDIT_PAGE
    ) -> AuditPage:
        """Newest first; `premise_id` None is every premise (owners only)."""
        offset = max(offset, 0)
        async with self._view(actor_id, premise_id, Permission.VIEW_AUDIT, "audit.view") as (s, _):
            counted = select(func.count()).select_from(AuditEntry)
            if premise_id is not None:
                counted = counted.where(AuditEntry.premise_id == premise_id)
            total = int(await s.scalar(counted) or 0)
            rows = await s.execute(self._audit_query(premise_id).offset(offset).limit(limit))
            lines = [self._line(entry, name) for entry, name in rows.tuples()]
        return AuditPage(lines, total, offset, limit)

    async def audit_csv(self, actor_id: int, premise_id: int | None) -> bytes:
        """The whole log (of the premise, or of all for owners) as CSV, newest first. The
        export itself is an audited action."""
        async with self._action(actor_id, premise_id, Permission.VIEW_AUDIT, "audit.export") as (s, audit):
            rows = await s.execute(self._audit_query(premise_id))
            lines = [self._line(entry, name) for entry, name in rows.tuples()]
            audit.after = {"rows": len(lines)}
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for line in lines:
            writer.writerow(
                [
                    line.id,
                    line.at.isoformat(),
                    "" if line.actor_user_id is None else line.actor_user_id,
                    csv_cell(line.actor_name),
                    "" if line.premise_id is None else line.premise_id,
                    line.action,
                    line.outcome.value,
                    csv_cell(_json(line.before)),
                    csv_cell(_json(line.after)),
                    csv_cell(line.detail),
                ]
            )
        return out.getvalue().encode("utf-8")

    async def owner_chats(self) -> list[tuple[int, str]]:
        """(Telegram id, language) of every owner who has written to the bot: their command
        menus get /admin at start-up."""
        async with self.db.read() as s:
            rows = await s.execute(
                select(User.telegram_id, User.language).where(User.is_admin, User.telegram_id.is_not(None))
            )
            return [(tg, lang) for tg, lang in rows.tuples() if tg is not None]

    # ------------------------------------------------------------------ owners (CLI)
    async def add_owner(self, telegram_id: int) -> bool:
        """`admin add`: the Telegram user becomes an owner (registered now if they have not
        written to the bot yet; their first message fills in name and language). False when
        the command line had added them already."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            user = await s.scalar(select(User).where(User.telegram_id == telegram_id).with_for_update())
            if user is None:
                user = User(telegram_id=telegram_id, name="", language="en", is_admin=False, created_at=now)
                s.add(user)
                await s.flush()
            if user.admin_added_at is not None:
                return False
            audit = Audit("owner.add", None, before={"user_id": user.id, "is_admin": user.is_admin})
            user.admin_added_at, user.is_admin = now, True
            audit.after = {"user_id": user.id, "is_admin": True}
            audit.detail = f"telegram_id {telegram_id}"
            s.add(self._entry(None, audit, AuditOutcome.OK))
        return True

    async def remove_owner(self, telegram_id: int) -> bool:
        """`admin remove`: undoes `admin add` (False when it had not added them). Owners from
        ADMIN_IDS stay owners."""
        async with self.db.transaction() as s:
            user = await s.scalar(select(User).where(User.telegram_id == telegram_id).with_for_update())
            if user is None or user.admin_added_at is None:
                return False
            audit = Audit("owner.remove", None, before={"user_id": user.id, "is_admin": user.is_admin})
            user.admin_added_at = None
            user.is_admin = telegram_id in self.settings.admin_ids
            audit.after = {"user_id": user.id, "is_admin": user.is_admin}
            audit.detail = f"telegram_id {telegram_id}"
            s.add(self._entry(None, audit, AuditOutcome.OK))
        return True

    async def owners(self) -> list[Owner]:
        """Every owner, from ADMIN_IDS and from the command line, by Telegram id."""
        async with self.db.read() as s:
            rows = await s.execute(
                select(User.telegram_id, User.name, User.admin_added_at).where(
                    User.telegram_id.is_not(None),
                    (User.admin_added_at.is_not(None)) | (User.telegram_id.in_(self.settings.admin_ids)),
                )
            )
            known = {tg: (name, added is not None) for tg, name, added in rows.tuples() if tg is not None}
        owners = []
        for tg in sorted(set(known) | set(self.settings.admin_ids)):
            name, added = known.get(tg, ("", False))
            owners.append(Owner(tg, name, tg in self.settings.admin_ids, added))
        return owners


def csv_cell(value: str) -> str:
    """A text cell a spreadsheet shows as text: a name a stranger chose ("=HYPERLINK(...)")
    would otherwise run as a formula when the owner opens the export (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _json(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
