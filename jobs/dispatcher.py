"""The outbox dispatcher: sends due notifications through their channel, at most once each,
within Telegram's limits (about 30 messages a second overall, 1 a second per chat).

Rows are claimed in a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
processes never take the same row; SQLite has a single writer) and leased: a process that dies
between claiming and sending leaves rows that another run takes over once the lease expires.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select

from core.clock import Clock
from core.db import Database
from core.models import Channel, Notification, NotificationStatus, User
from core.services.outbox import Delivery, DeliveryResult, MessageSender

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DispatchLimits:
    # Sends are spaced by at least 1/rate of real time, so 30 fit in no 1-second window.
    messages_per_second: float = 29.5
    per_chat_interval: float = 1.0
    batch: int = 500  # about 17 s of sending: well inside the lease
    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 8
    concurrency: int = 40


class _Pacer:
    """Lets sends through one at a time, each at least `1/rate` after the previous one
    actually went: tasks that wake late together cannot bunch into a burst."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        self._next = max(self._next, asyncio.get_running_loop().time() + seconds)

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._lock:
            delay = self._next - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._next = loop.time() + self.interval


class OutboxDispatcher:
    def __init__(
        self,
        db: Database,
        senders: Mapping[Channel, MessageSender],
        clock: Clock,
        limits: DispatchLimits = DispatchLimits(),
    ) -> None:
        self.db = db
        self.senders = dict(senders)
        self.clock = clock
        self.limits = limits
        self._pacer = _Pacer(limits.messages_per_second)
        self._chat_free_at: dict[int, float] = {}  # monotonic time a chat may get its next message
        self._semaphore = asyncio.Semaphore(limits.concurrency)

    async def run(self) -> int:
        """Sends everything due now, batch after batch; returns how many were handled."""
        handled = 0
        while True:
            claimed = await self.claim()
            if not claimed:
                return handled
            await asyncio.gather(*(self._send(note_id, user) for note_id, user in claimed))
            handled += len(claimed)

    async def claim(self) -> list[tuple[int, User]]:
        """Leases a batch of due notifications (the first half of `run`)."""
        now = self.clock.now()
        async with self.db.transaction() as s:
            rows = (
                (
                    await s.execute(
                        select(Notification, User)
                        .join(User, User.id == Notification.user_id)
                        .where(
                            Notification.channel.in_(list(self.senders)),
                            Notification.due_at <= now,
                            or_(
                                Notification.status == NotificationStatus.PENDING,
                                # claimed by a run that died before recording the outcome
                                (Notification.status == NotificationStatus.SENDING)
                                & (Notification.lease_until < now),
                            ),
                        )
                        .order_by(Notification.due_at, Notification.id)
                        .limit(self.limits.batch)
                        .with_for_update(of=Notification, skip_locked=True)
                    )
                )
                .tuples()
                .all()
            )
            for note, _user in rows:
                note.status = NotificationStatus.SENDING
                note.lease_until = now + self.limits.lease
                note.attempts += 1
            await s.flush()  # the lease must reach the database before the rows leave the session
            s.expunge_all()
            return [(note.id, user) for note, user in rows]

    async def _send(self, note_id: int, user: User) -> None:
        async with self._semaphore:
            async with self.db.read() as s:
                note = await s.get(Notification, note_id)
            if note is None:
                return
            sender = self.senders[note.channel]
            try:
                prepared = await sender.prepare(note, user)
                # Only the send itself is paced, so rendering time never bunches the requests.
                await self._wait_for_chat(user.id)
                await self._pacer.wait()
                result = await sender.send(prepared)
            except Exception as exc:  # a sender bug must not stop the other notifications
                log.exception("notification %s: sender failed", note_id)
                result = DeliveryResult(Delivery.RETRY, error=f"{type(exc).__name__}: {exc}"[:200])
            await self._record(note_id, result)

    async def _wait_for_chat(self, user_id: int) -> None:
        loop = asyncio.get_running_loop()
        slot = max(loop.time(), self._chat_free_at.get(user_id, 0.0))
        self._chat_free_at[user_id] = slot + self.limits.per_chat_interval
        await asyncio.sleep(max(0.0, slot - loop.time()))

    def _backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts - 1)))

    async def _record(self, note_id: int, result: DeliveryResult) -> None:
        now = self.clock.now()
        async with self.db.transaction() as s:
            note = await s.get(Notification, note_id, with_for_update=True)
            if note is None or note.status != NotificationStatus.SENDING:
                return
            note.lease_until = None
            note.last_error = result.error
            if result.status == Delivery.SENT:
                note.status, note.sent_at = NotificationStatus.SENT, now
            elif result.status == Delivery.PERMANENT or note.attempts >= self.limits.max_attempts:
                note.status = NotificationStatus.FAILED
                log.warning("notification %s failed for good: %s", note_id, result.error)
            else:
                delay = (
                    timedelta(seconds=result.retry_after)
                    if result.retry_after
                    else self._backoff(note.attempts)
                )
                note.status, note.due_at = NotificationStatus.PENDING, now + delay
                if result.retry_after:
                    # Telegram asked the whole bot to slow down: hold every send, not just this one.
                    self._pacer._next = max(
                        self._pacer._next, asyncio.get_running_loop().time() + result.retry_after
                    )
