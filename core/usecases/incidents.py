"""Alerts that act (issue 13): blocker incidents as the MQTT link and the lowering report
them, and the buttons under an incident's alert: move the drivers it affects to free spots
of the premise, refund them, test the blocker, acknowledge.

Each button's callback carries only the incident's id. Its premise comes from the database,
and every tap follows core/usecases/admin.py's pattern: the caller's role there is checked
(move: MANAGE_BOOKINGS, refund: REFUND, test and acknowledge: MANAGE_BLOCKERS), the change
and its audit entry commit together, and a refusal (a forged id for another premise
included) is audited on its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.blockers import CommandResult, CommandStatus
from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import DomainError, NotFound
from core.models import Blocker, BlockerIncident, Notification, Reservation, Spot, User
from core.notifications import NotificationKind
from core.permissions import Permission
from core.services import booking, incidents, outbox
from core.usecases.admin import AdminUseCases
from core.usecases.blockers_admin import BlockerAdminUseCases
from core.usecases.spots import RefundCards, movable, move_to_free_spot

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class MoveOutcome:
    moved: list[tuple[int, str]] = field(default_factory=list)  # (booking, new spot label)
    stuck: list[int] = field(default_factory=list)  # no free spot, or a car on the spot already


@dataclass(frozen=True, slots=True)
class RefundOutcome:
    refunded: list[int] = field(default_factory=list)
    stuck: list[int] = field(default_factory=list)  # started already: ended, not cancelled
    currency: str = ""
    amount: int = 0  # refunded in all (wallet now, cards right after)


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """An incident alert as Telegram delivered it to one recipient (to edit it)."""

    telegram_id: int
    language: str
    message_id: int
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Acknowledged:
    by: str
    at: datetime
    first: bool  # False: someone had acknowledged it already (`by` is who)
    # The alert as the others received it, to say who acknowledged it (on the first only).
    others: list[AlertMessage] = field(default_factory=list)


class IncidentUseCases(AdminUseCases):
    def __init__(
        self,
        db: Database,
        clock: Clock,
        settings: Settings,
        *,
        blockers_admin: BlockerAdminUseCases,
        refund_cards: RefundCards | None = None,
    ) -> None:
        super().__init__(db, clock, settings)
        self.blockers_admin = blockers_admin
        self.refund_cards = refund_cards

    # ------------------------------------------------------------------ what devices report
    async def settle(self, blocker_id: str) -> None:
        """The link saw the blocker's health change: opens an incident for each problem its
        row shows now (none if one is open) and closes those it has recovered from."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            blocker = await s.get(Blocker, blocker_id)
            if blocker is None:
                return
            for kind in incidents.kinds_of(blocker):
                opened = await incidents.open_incident(s, blocker_id, kind, now)
                if opened is not None:
                    log.info(
                        "incident %s opened: blocker %s %s", opened.id, repr(blocker_id)[:80], kind.value
                    )
            for closed in await incidents.close_recovered(s, now, blocker_id=blocker_id):
                log.info("incident %s ended: blocker %s", closed.id, repr(blocker_id)[:80])

    async def close_recovered(self) -> int:
        """The sweep: incidents whose blocker is well again (a recovery another process heard,
        or one that came while this service was down, or after a failed lowering)."""
        async with self.db.transaction() as s:
            closed = await incidents.close_recovered(s, self.clock.now())
        if closed:
            log.info("closed %d blocker incidents", len(closed))
        return len(closed)

    # ------------------------------------------------------------------ the buttons
    async def _premise_of(self, incident_id: int) -> int | None:
        async with self.db.read() as s:
            found: int | None = await s.scalar(
                select(BlockerIncident.premise_id).where(BlockerIncident.id == incident_id)
            )
            return found

    @staticmethod
    async def _incident(s: AsyncSession, incident_id: int, premise_id: int | None) -> BlockerIncident:
        incident = await s.scalar(
            select(BlockerIncident)
            .where(BlockerIncident.id == incident_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if incident is None or incident.premise_id is None or incident.premise_id != premise_id:
            raise NotFound(f"incident {incident_id}")
        return incident

    async def _affected(self, s: AsyncSession, incident: BlockerIncident) -> list[Reservation]:
        now = self.clock.now()
        ids = [a.reservation_id for a in await incidents.affected_bookings(s, incident.spot_id, now)]
        return [await booking.lock_owned(s, rid) for rid in ids]

    async def move_drivers(self, actor_id: int, incident_id: int) -> MoveOutcome:
        """Moves each booking the incident affects that nobody has entered (not started, or
        started with the driver still outside: the blocker failed them) to a free spot of the
        premise (the Spots section's move); the drivers are told (booking_moved)."""
        premise_id = await self._premise_of(incident_id)
        now = self.clock.now()
        outcome = MoveOutcome()
        action = self._action(actor_id, premise_id, Permission.MANAGE_BOOKINGS, "incident.move")
        async with action as (s, audit):
            incident = await self._incident(s, incident_id, premise_id)
            spot = await s.get(Spot, incident.spot_id) if incident.spot_id is not None else None
            audit.before = {"incident_id": incident.id, "blocker_id": incident.blocker_id}
            for reservation in await self._affected(s, incident) if spot is not None else []:
                assert spot is not None
                if not movable(reservation, now, not_entered=True):
                    outcome.stuck.append(reservation.id)
                    continue
                try:
                    moved_to = await move_to_free_spot(s, reservation, spot.premise_id, now)
                except DomainError:
                    moved_to = None
                if moved_to is None:
                    outcome.stuck.append(reservation.id)
                    continue
                outcome.moved.append((reservation.id, moved_to.label))
                await outbox.notify(
                    s,
                    reservation.user_id,
                    NotificationKind.BOOKING_MOVED,
                    {"reservation_id": reservation.id, "from_spot": spot.label, "blocker": True},
                    now=now,
                )
            audit.after = {"moved": [list(m) for m in outcome.moved], "stuck": outcome.stuck}
        return outcome

    async def refund_drivers(self, actor_id: int, incident_id: int) -> RefundOutcome:
        """Cancels each booking the incident affects that has not started, refunded in full to
        where the money came from (the cancel a closed spot's bookings get); needs REFUND."""
        premise_id = await self._premise_of(incident_id)
        now = self.clock.now()
        refunded: list[int] = []
        stuck: list[int] = []
        amount, currency, cards = 0, "", False
        action = self._action(actor_id, premise_id, Permission.REFUND, "incident.refund")
        async with action as (s, audit):
            incident = await self._incident(s, incident_id, premise_id)
            audit.before = {"incident_id": incident.id, "blocker_id": incident.blocker_id}
            for reservation in await self._affected(s, incident):
                try:
                    async with s.begin_nested():
                        result = await booking.cancel(
                            s, reservation.id, user_id=None, now=now, reason="operator"
                        )
                except DomainError:  # started: the driver ends it, nothing is cancelled
                    stuck.append(reservation.id)
                    continue
                refunded.append(reservation.id)
                currency = reservation.currency
                amount += result.refunded_to_wallet + sum(
                    p.amount - p.refunded_amount for p in result.card_refunds
                )
                cards = cards or bool(result.card_refunds)
            audit.after = {"refunded": refunded, "stuck": stuck, "amount": amount}
        if cards and self.refund_cards is not None:
            await self.refund_cards()
        return RefundOutcome(refunded, stuck, currency, amount)

    async def test_blocker(self, actor_id: int, incident_id: int) -> CommandResult:
        """The console's "Test: raise" on the incident's blocker (a raised blocker guards the
        spot, and raising refuses rather than hits a car); audited as blocker.test."""
        premise_id = await self._premise_of(incident_id)
        async with self._view(actor_id, premise_id, Permission.MANAGE_BLOCKERS, "incident.test") as (s, _):
            incident = await s.get(BlockerIncident, incident_id)
            if incident is None or premise_id is None or incident.premise_id != premise_id:
                raise NotFound(f"incident {incident_id}")
            blocker_id = incident.blocker_id
        assert premise_id is not None
        return await self.blockers_admin.test_command(actor_id, premise_id, blocker_id, "raise")

    async def acknowledge(self, actor_id: int, incident_id: int) -> Acknowledged:
        """Records who took the incident on (the first one; later taps are told who did)."""
        premise_id = await self._premise_of(incident_id)
        action = self._action(actor_id, premise_id, Permission.MANAGE_BLOCKERS, "incident.acknowledge")
        async with action as (s, audit):
            incident = await self._incident(s, incident_id, premise_id)
            audit.before = {"incident_id": incident.id, "acknowledged_by": incident.acknowledged_by}
            first = incident.acknowledged_by is None
            if first:
                incident.acknowledged_by, incident.acknowledged_at = actor_id, self.clock.now()
            audit.after = {"incident_id": incident.id, "acknowledged_by": incident.acknowledged_by}
            who = await s.scalar(select(User.name).where(User.id == incident.acknowledged_by))
            at = incident.acknowledged_at
            assert at is not None
            others = await self._alert_messages(s, incident.id, actor_id) if first else []
        return Acknowledged(who or "", at, first, others)

    @staticmethod
    async def _alert_messages(s: AsyncSession, incident_id: int, but: int) -> list[AlertMessage]:
        rows = await s.execute(
            select(Notification.payload, Notification.telegram_message_id, User.telegram_id, User.language)
            .join(User, User.id == Notification.user_id)
            .where(
                Notification.kind == NotificationKind.ADMIN_INCIDENT,
                Notification.dedupe_key.like(f"incident:{incident_id}:%"),
                Notification.user_id != but,
                Notification.telegram_message_id.is_not(None),
                User.telegram_id.is_not(None),
            )
        )
        return [
            AlertMessage(telegram_id, language, message_id, payload)
            for payload, message_id, telegram_id, language in rows.tuples()
            if telegram_id is not None and message_id is not None
        ]


__all__ = [
    "Acknowledged",
    "AlertMessage",
    "CommandStatus",
    "IncidentUseCases",
    "MoveOutcome",
    "RefundOutcome",
]
