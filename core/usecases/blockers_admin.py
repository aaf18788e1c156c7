"""The operator console's Blockers section (DESIGN.md §11): a premise's blockers by health,
worst first; register a device id to a spot, unbind it, replace it by another device; a test
command ("lower" / "raise") that really goes to the device and reports its ack; and the
unassigned devices (rows with no spot: unbound here, or registered nowhere yet) to bind.

Every action follows core/usecases/admin.py's pattern: the caller's role is checked at the
premise in the database, the change and its audit entry (before/after) commit together, and a
refusal is audited on its own. A blocker belongs to a premise through its spot: a device bound
to another premise's spot is NotFound here, and ids typed or taken from callbacks are checked
against valid_device_id before they are looked up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.blockers import (
    LOW_BATTERY_PERCENT,
    BlockerCommands,
    BlockerPresence,
    CommandResult,
    health_problems,
    valid_device_id,
)
from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import BlockerBound, BlockersUnavailable, InvalidBlockerId, NotFound, SpotHasBlocker
from core.models import AuditOutcome, Blocker, BlockerState, Premise, Spot, UnassignedBlocker
from core.permissions import Permission
from core.usecases.admin import AdminUseCases, Audit


@dataclass(frozen=True, slots=True)
class BlockerView:
    device_id: str
    spot_id: int | None
    spot_label: str | None
    state: BlockerState
    online: bool
    battery: int | None
    car_present: bool | None
    last_seen: datetime | None
    problems: list[str]  # core.blockers.health_problems: empty when it can serve drivers


@dataclass(frozen=True, slots=True)
class BlockerList:
    """A premise's blockers, worst first, with what the screens need (its name and zone)."""

    premise_name: str
    timezone: str
    blockers: list[BlockerView]


@dataclass(frozen=True, slots=True)
class FreeSpot:
    spot_id: int
    label: str


def _view(blocker: Blocker, label: str | None) -> BlockerView:
    problems = health_problems(online=blocker.online, state=blocker.state, battery=blocker.battery)
    return BlockerView(
        blocker.id,
        blocker.spot_id,
        label,
        blocker.state,
        blocker.online,
        blocker.battery,
        blocker.car_present,
        blocker.last_seen,
        problems,
    )


def health_rank(view: BlockerView) -> tuple[int, float]:
    """Worst first: offline, then fault, then low battery, then healthy; within each, the one
    heard from longest ago (never heard: first)."""
    if not view.online:
        rank = 0
    elif view.state is BlockerState.FAULT:
        rank = 1
    elif view.battery is not None and view.battery < LOW_BATTERY_PERCENT:
        rank = 2
    else:
        rank = 3
    return rank, view.last_seen.timestamp() if view.last_seen is not None else float("-inf")


def _state(blocker: Blocker) -> dict[str, object]:
    """A blocker as the audit log records it."""
    return {"device_id": blocker.id, "spot_id": blocker.spot_id}


def _device(device_id: str) -> str:
    if not valid_device_id(device_id):
        raise InvalidBlockerId(f"device id {device_id[:80]!r}")
    return device_id


class BlockerAdminUseCases(AdminUseCases):
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        *,
        commands: BlockerCommands | None = None,
        presence: BlockerPresence | None = None,
    ) -> None:
        super().__init__(db, clock, settings)
        # None when the bot runs without MQTT: test commands are refused with words for it.
        self.commands = commands
        # What the link heard of devices' connections (None without MQTT): a device bound
        # from the unassigned list is online at once, not after it next reconnects.
        self.presence = presence

    def _new_row(self, device_id: str) -> Blocker:
        """The row of a device registered now. The link writes only registered devices' rows,
        and a connected device announces `online` once (retained, when it connects): without
        what the link heard already, the row would stay offline (its spot off sale) until the
        device reconnects."""
        heard = self.presence.availability(device_id) if self.presence is not None else None
        return Blocker(
            id=device_id,
            state=BlockerState.UNKNOWN,
            online=heard is True,
            last_seen=self.clock.now() if heard else None,
        )

    # ------------------------------------------------------------------ reads
    async def blockers(self, actor_id: int, premise_id: int) -> BlockerList:
        async with self._view(actor_id, premise_id, Permission.MANAGE_BLOCKERS, "blocker.list") as (s, _):
            premise = await s.get(Premise, premise_id)
            assert premise is not None  # _check found it
            rows = await s.execute(
                select(Blocker, Spot.label)
                .join(Spot, Spot.id == Blocker.spot_id)
                .where(Spot.premise_id == premise_id)
            )
            views = [_view(blocker, label) for blocker, label in rows.tuples()]
        views.sort(key=lambda v: (*health_rank(v), v.spot_label or ""))
        return BlockerList(premise.name, premise.timezone, views)

    async def blocker(self, actor_id: int, premise_id: int, device_id: str) -> BlockerView:
        """One blocker of the premise (NotFound for one bound elsewhere, or not at all)."""
        async with self._view(actor_id, premise_id, Permission.MANAGE_BLOCKERS, "blocker.view") as (s, _):
            blocker, label = await self._bound_here(s, premise_id, _device(device_id), lock=False)
            return _view(blocker, label)

    async def unassigned(self, actor_id: int, premise_id: int) -> list[BlockerView]:
        """Devices with no spot, any premise may bind them: unbound ones (rows without a spot)
        and ones heard on MQTT but never registered (noted by the link). Those heard most
        recently first (the one just switched on is on top)."""
        check = self._view(actor_id, premise_id, Permission.MANAGE_BLOCKERS, "blocker.unassigned")
        async with check as (s, _):
            rows = await s.scalars(select(Blocker).where(Blocker.spot_id.is_(None)))
            views = [_view(blocker, None) for blocker in rows]
            heard = await s.scalars(
                select(UnassignedBlocker).where(UnassignedBlocker.id.not_in(select(Blocker.id)))
            )
            # Only its id is known: health comes once it is registered and reports again.
            views += [
                BlockerView(u.id, None, None, BlockerState.UNKNOWN, False, None, None, u.heard_at, [])
                for u in heard
                if valid_device_id(u.id)
            ]
        return sorted(views, key=lambda v: (-health_rank(v)[1], v.device_id))

    async def free_spots(self, actor_id: int, premise_id: int) -> list[FreeSpot]:
        """The premise's spots with no blocker: where a device can be registered."""
        async with self._view(actor_id, premise_id, Permission.MANAGE_BLOCKERS, "blocker.list") as (s, _):
            rows = await s.execute(
                select(Spot.id, Spot.label)
                .outerjoin(Blocker, Blocker.spot_id == Spot.id)
                .where(Spot.premise_id == premise_id, Blocker.id.is_(None))
                .order_by(Spot.id)  # as the Spots section lists them (A2 before A10)
            )
            return [FreeSpot(spot_id, label) for spot_id, label in rows.tuples()]

    # ------------------------------------------------------------------ actions
    async def register(self, actor_id: int, premise_id: int, device_id: str, spot_id: int) -> BlockerView:
        """Binds the device to the spot: a new id is added; an unassigned one is bound. Refused:
        a device bound to a spot (BlockerBound), a spot that has one (SpotHasBlocker), a spot of
        another premise (NotFound), an id no device could have (InvalidBlockerId)."""
        async with self._action(actor_id, premise_id, Permission.MANAGE_BLOCKERS, "blocker.register") as (
            s,
            audit,
        ):
            device_id = _device(device_id)
            spot = await s.scalar(
                select(Spot).where(Spot.id == spot_id, Spot.premise_id == premise_id).with_for_update()
            )
            if spot is None:
                raise NotFound(f"spot {spot_id} at premise {premise_id}")
            blocker = await s.scalar(select(Blocker).where(Blocker.id == device_id).with_for_update())
            if blocker is not None and blocker.spot_id is not None:
                raise BlockerBound(f"blocker {device_id[:80]!r} is on spot {blocker.spot_id}")
            if await s.scalar(select(Blocker.id).where(Blocker.spot_id == spot.id)) is not None:
                raise SpotHasBlocker(f"spot {spot.id} has a blocker")
            if blocker is None:
                audit.before = None
                blocker = self._new_row(device_id)
                s.add(blocker)
            else:
                audit.before = _state(blocker)
            blocker.spot_id = spot.id
            await s.execute(delete(UnassignedBlocker).where(UnassignedBlocker.id == device_id))
            await s.flush()
            audit.after = _state(blocker) | {"label": spot.label}
            return _view(blocker, spot.label)

    async def unbind(self, actor_id: int, premise_id: int, device_id: str) -> BlockerView:
        """The device leaves its spot (the spot has no blocker until one is registered); its row
        stays, unassigned, so the link keeps its health and another spot can take it."""
        async with self._action(actor_id, premise_id, Permission.MANAGE_BLOCKERS, "blocker.unbind") as (
            s,
            audit,
        ):
            blocker, _ = await self._bound_here(s, premise_id, _device(device_id), lock=True)
            audit.before = _state(blocker)
            blocker.spot_id = None
            await s.flush()
            audit.after = _state(blocker)
            return _view(blocker, None)

    async def replace(self, actor_id: int, premise_id: int, old_device: str, new_device: str) -> BlockerView:
        """The new device takes the old one's spot; the old one is left unassigned. The new one
        may be unheard of (added) or unassigned; one bound to a spot is BlockerBound."""
        async with self._action(actor_id, premise_id, Permission.MANAGE_BLOCKERS, "blocker.replace") as (
            s,
            audit,
        ):
            old, label = await self._bound_here(s, premise_id, _device(old_device), lock=True)
            new_id = _device(new_device)
            new = await s.scalar(select(Blocker).where(Blocker.id == new_id).with_for_update())
            if new is not None and new.spot_id is not None:
                raise BlockerBound(f"blocker {new_id[:80]!r} is on spot {new.spot_id}")
            spot_id = old.spot_id
            audit.before = {"old": _state(old), "new": _state(new) if new is not None else None}
            old.spot_id = None
            await s.flush()  # spot_id is unique: the old one lets go first
            if new is None:
                new = self._new_row(new_id)
                s.add(new)
            new.spot_id = spot_id
            await s.execute(delete(UnassignedBlocker).where(UnassignedBlocker.id == new_id))
            await s.flush()
            audit.after = {"old": _state(old), "new": _state(new), "label": label}
            return _view(new, label)

    async def test_command(
        self, actor_id: int, premise_id: int, device_id: str, action: Literal["lower", "raise"]
    ) -> CommandResult:
        """Sends a real command to the premise's blocker and returns what the device (or the
        link) answered; audited as "blocker.test" with the result. Refused without MQTT."""
        if action not in ("lower", "raise"):
            raise ValueError(action)
        async with self._view(actor_id, premise_id, Permission.MANAGE_BLOCKERS, "blocker.test") as (s, _):
            blocker, label = await self._bound_here(s, premise_id, _device(device_id), lock=False)
            if self.commands is None:
                raise BlockersUnavailable("MQTT is not configured")
            before = {"device_id": blocker.id, "label": label, "state": blocker.state.value}
        # No transaction is open while the device answers (up to the ack timeout).
        result = await self.commands.command(blocker.id, action)
        audit = Audit("blocker.test", premise_id, before=before)
        audit.after = {
            "action": action,
            "status": result.status.value,
            "state": result.state.value if result.state is not None else None,
            "command_id": result.command_id,
        }
        async with self.db.transaction() as s:
            s.add(self._entry(actor_id, audit, AuditOutcome.OK))
        return result

    # ------------------------------------------------------------------ helpers
    @staticmethod
    async def _bound_here(
        s: AsyncSession, premise_id: int, device_id: str, *, lock: bool
    ) -> tuple[Blocker, str]:
        """The blocker bound to a spot of this premise, with the spot's label; NotFound else."""
        query = (
            select(Blocker, Spot.label)
            .join(Spot, Spot.id == Blocker.spot_id)
            .where(Blocker.id == device_id, Spot.premise_id == premise_id)
        )
        if lock:
            query = query.with_for_update(of=Blocker)
        row = (await s.execute(query)).tuples().first()
        if row is None:
            raise NotFound(f"blocker {device_id[:80]!r} at premise {premise_id}")
        return row
