"""The outbox dispatcher: sends due notifications through their channel, most urgent first,
within Telegram's limits (about 30 messages a second overall, 1 a second per chat).

Order: by `priority` (drivers' transactional messages, then reminders and bulk sends, then
operators' alerts), then `due_at`. Sends leave one at a time in that order, paced; a chat that
had a message less than a second ago is skipped for now (its rows stay pending), so one busy
chat never holds up the others.

Rows are claimed in a short transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so several
processes never take the same row; SQLite has a single writer) and leased, each marked with
the lease holding that claimed it (`claimed_by`). Just before its turn at the pacer, a row's
send is marked as started (`send_started_at`, one short UPDATE, only while the row is still
claimed by this holding: a row taken over meanwhile is not sent here); after the pacer the
HTTP call leaves at once, so no database latency bunches two sends together. Each send's outcome
is committed right after its HTTP call, in its own short transaction, and only while the row
is still this holding's: a late outcome never overwrites the state of a process that took
the row over. When the dispatcher is stopped (task cancelled, even in the middle of its
clean-up), sends already under way still record their outcome and claimed rows not yet sent
are handed back at once.

With several processes, one dispatcher per channel sends at a time: the holder of the
channel's lease (jobs/lease.py, a PostgreSQL advisory lock), so the pace above is the pace of
all processes together. The others try to take the lease on each tick and take over within a
second or two when its holder stops or dies. Taking it over, before its first claim, a new
holding hands back what other holdings claimed and left `sending`: rows whose send never
started go at once, exactly once; rows whose send had started and has no outcome are queued
again at once, with one warning naming them.

What remains is at-least-once, not exactly-once: Telegram has no idempotency key, so those
started rows (a process killed, or cut off from the database, after its HTTP call left and
before its outcome was committed: at most the sends in flight) are the only ones that may
reach a chat twice. On SQLite (one process, whose lease is always held) and without a lease
nothing is taken over: rows left `sending` wait for their lease (2 minutes) to run out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import metrics
from core.clock import Clock
from core.db import Database
from core.models import Channel, Notification, NotificationStatus, User
from core.services import outbox
from core.services.outbox import Delivery, DeliveryResult, MessageSender
from jobs.lease import SenderLease, new_holding

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DispatchLimits:
    # At most `messages_per_second` sends (Telegram's 30) in any window of one second plus
    # `jitter_margin` (_Pacer): what leaves here may reach Telegram up to that much closer
    # together (a busy event loop, the network) and still never be a 31st in a second there.
    # On average 30 / 1.03 = 29.1 a second; a loop that wakes late loses a little of that.
    messages_per_second: float = 30.0
    jitter_margin: float = 0.03
    # And a send leaves at least a second after the answer to the send 30 before it came back
    # (_Pacer, `confirmed`): whatever held a send up on its way, the 31st can never reach
    # Telegram within a second of the 1st. Costs the round trip: 30 / (1 s + RTT) at most.
    # Off for SMS, whose provider queues (Twilio's round trip is long, its rate low).
    confirmed_window: bool = True
    per_chat_interval: float = 1.0
    batch: int = 500  # about 17 s of sending: well inside the lease
    lease: timedelta = timedelta(minutes=2)
    max_attempts: int = 8
    concurrency: int = 40  # HTTP calls in flight at once
    prepare_ahead: int = 8  # messages rendered ahead of the one being sent


# How long a send waits for the answer to the send n before it (a call that hangs): then the
# window with its margin alone paces it.
CONFIRM_WAIT = 5.0


class _Slot:
    """One send's turn at the pacer: `answered` once its HTTP call came back (or failed)."""

    __slots__ = ("_done", "answered")

    def __init__(self) -> None:
        self.answered: float | None = None
        self._done = asyncio.Event()

    def answer(self, at: float) -> None:
        if self.answered is None:
            self.answered = at
            self._done.set()

    async def wait_answered(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._done.wait()


class _Pacer:
    """Lets sends through one at a time: at most `n` = floor(rate) in any window of
    `n / rate + margin` seconds (for Telegram, 30 in 1.03 s), a hard rule: any n + 1 sends
    span at least that window, so two of them may reach the other side up to `margin` closer
    together than they left and still not exceed the rate there.

    Within that rule sends are spread evenly, one `interval` = window / n apart. Each is due
    one interval after the previous one was due, not after it went: an event loop that wakes
    a few milliseconds late (a busy machine) would otherwise lose that time on every send, and
    the rate with it (26/s instead of 29.5 on a loaded 2-core machine, bench/city.py). A send
    follows a late one by at least half an interval, so tasks that wake late together cannot
    bunch; after a long stall the window rule, not the catching up, has the last word.
    `clock` and `sleep`: the event loop's (tests give a simulated clock)."""

    def __init__(
        self,
        rate: float,
        margin: float = 0.0,
        *,
        confirmed: bool = False,
        confirm_wait: float = CONFIRM_WAIT,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.n = max(1, int(rate))
        self.exact = self.n / rate  # the window the other side counts in (1 s for Telegram)
        self.window = self.exact + margin
        self.interval = self.window / self.n
        self.slack = self.interval / 2
        # `confirmed`: a send also waits for the answer to the send n before it and leaves at
        # least `exact` after that answer came. That answer came back after the send reached
        # the other side, and this one reaches it after it leaves: the two arrive at least
        # `exact` apart however late either was on its way (see DispatchLimits).
        self.confirmed = confirmed
        self.confirm_wait = confirm_wait  # an answer that never comes holds sends this long
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0  # when the next send is due
        self._sent: deque[float] = deque(maxlen=self.n)  # when the last n sends left
        self._slots: deque[_Slot] = deque(maxlen=self.n)  # and their answers
        self._lock = asyncio.Lock()

    def now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def pause(self, seconds: float) -> None:
        self._next = max(self._next, self.now() + seconds)

    async def wait(self) -> _Slot:
        """Returns when a send may leave, with its slot: answer it when its call comes back."""
        async with self._lock:
            due = self._next
            if len(self._sent) == self.n:  # the send n back and this one span the window
                due = max(due, self._sent[0] + self.window)
            if self.confirmed and len(self._slots) == self.n:
                oldest = self._slots[0]
                await oldest.wait_answered(self.confirm_wait)
                if oldest.answered is not None:
                    due = max(due, oldest.answered + self.exact)
            delay = due - self.now()
            if delay > 0:
                await self._sleep(delay)
            now = self.now()
            self._sent.append(now)
            slot = _Slot()
            self._slots.append(slot)
            self._next = max(self._next, now - self.slack) + self.interval
            return slot


@dataclass(frozen=True, slots=True)
class _Claim:
    notes: list[tuple[int, User]]  # in sending order
    wake_in: float | None  # seconds until a skipped busy chat may get its next message
    holding: str = ""  # the lease holding they were claimed under (`claimed_by`)


class OutboxDispatcher:
    def __init__(
        self,
        db: Database,
        senders: Mapping[Channel, MessageSender],
        clock: Clock,
        limits: DispatchLimits = DispatchLimits(),
        *,
        sms_fallback: bool = False,
        lease: SenderLease | None = None,
    ) -> None:
        self.db = db
        # Held by one process at a time per channel (jobs/lease.py): only its holder sends, so
        # the rate above is the rate of all processes together. None: this one always sends.
        self.lease = lease
        # Whether a message that fails for good may be re-sent by SMS (outbox.fall_back decides).
        self.sms_fallback = sms_fallback
        self.senders = dict(senders)
        self.clock = clock
        self.limits = limits
        self._pacer = _Pacer(
            limits.messages_per_second, limits.jitter_margin, confirmed=limits.confirmed_window
        )
        self._chat_free_at: dict[int, float] = {}  # monotonic time a chat may get its next message
        self._in_flight = asyncio.Semaphore(limits.concurrency)
        self._draining: asyncio.Task[None] | None = None
        # What `claimed_by` says of rows this dispatcher claims when it has no lease.
        self._own_holding = new_holding()
        # The lease holding whose take-over is done: one take-over per acquisition.
        self._taken_over: str | None = None

    # -- the scheduled job ------------------------------------------------------------------

    async def kick(self) -> None:
        """The periodic job: starts draining the outbox unless a drain is already running, and
        returns at once, so the job never overlaps itself however long a drain takes. Without
        the lease it only tries to take it; a drain under way when the lease is lost stops."""
        if not await self._take_lease():
            await self._halt()
            return
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain(), name="outbox-dispatcher")

    async def _drain(self) -> None:
        try:
            await self.run()
        except Exception:  # the next kick tries again
            log.exception("outbox dispatch failed")

    async def stop(self) -> None:
        """Stops draining: sends under way record their outcome; claimed rows not yet sent go
        back to pending. The lease is given up, for another process to take at once."""
        await self._halt()
        if self.lease is not None:
            await self.lease.release()

    async def _take_lease(self) -> bool:
        """Takes or checks the lease (True: this process may send now). A holding that is new
        first takes over what other holdings claimed and left (`_take_over`)."""
        if self.lease is None:
            return True
        if not await self.lease.acquire():
            return False
        holding = self.lease.holding
        if self.lease.shared and holding is not None and holding != self._taken_over:
            try:
                if await self._take_over(holding):
                    self._taken_over = holding
            except Exception:  # the next tick tries again; meanwhile their lease runs out
                log.warning("outbox take-over failed", exc_info=True)
        return True

    def _holding(self) -> str | None:
        """The `claimed_by` of the rows claimed now: the lease's current holding (None when
        the lease is not held), or this dispatcher's own name when it has no lease."""
        return self._own_holding if self.lease is None else self.lease.holding

    async def _halt(self) -> None:
        task, self._draining = self._draining, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- sending ----------------------------------------------------------------------------

    async def run(self) -> int:
        """Sends everything due now, most urgent first; returns how many were handled. Sends
        nothing without the lease."""
        if not await self._take_lease():
            return 0
        handled = 0
        pending: list[tuple[int, User]] = []
        holding = ""  # the holding `pending` was claimed under
        sending: set[asyncio.Task[None]] = set()
        # Rendering reads the database: the next few are prepared while one is being paced.
        preparing: dict[int, asyncio.Task[tuple[MessageSender | None, object]]] = {}
        try:
            while True:
                if self.lease is not None and not self.lease.held:
                    return handled  # lost meanwhile (kick saw it): the holder sends the rest
                claiming = asyncio.ensure_future(self.claim())
                try:
                    claim = await _to_the_end(claiming)
                except asyncio.CancelledError:
                    # Stopped while claiming: the claim ran to its end; hand back what it took.
                    if not claiming.cancelled() and claiming.exception() is None:
                        pending, holding = claiming.result().notes, claiming.result().holding
                    raise
                pending, holding = claim.notes, claim.holding
                if not pending:
                    if claim.wake_in is None:
                        return handled
                    await asyncio.sleep(claim.wake_in)  # only busy chats have due messages
                    continue
                while pending:
                    for ahead_id, ahead_user in pending[: self.limits.prepare_ahead]:
                        if ahead_id not in preparing:
                            preparing[ahead_id] = asyncio.create_task(self._prepare(ahead_id, ahead_user))
                    note_id, user = pending[0]
                    # Shielded: a stop must not cut its read short (the clean-up below awaits it).
                    sender, prepared = await asyncio.shield(preparing[note_id])
                    await self._in_flight.acquire()
                    try:
                        # Marked before it leaves (a row taken over meanwhile by another process
                        # is not sent here), and before the pacer, not after it: nothing with
                        # a database's latency may come between the pacer and the HTTP call,
                        # or two sends could reach Telegram closer than the pace (a 429).
                        leaving, slot = True, None
                        if sender is not None:
                            leaving = await _to_the_end(
                                asyncio.ensure_future(self._leaving(note_id, holding))
                            )
                            if leaving:
                                slot = await self._pacer.wait()
                    except BaseException:  # still in `pending`: handed back, mark and all
                        self._in_flight.release()
                        raise
                    pending.pop(0)
                    del preparing[note_id]
                    if not leaving:  # taken over with everything this holding claimed
                        if slot is not None:
                            slot.answer(self._pacer.now())
                        self._in_flight.release()
                        log.info("notification %s not sent: another process took over this claim", note_id)
                        return handled
                    self._chat_free_at[user.id] = asyncio.get_running_loop().time() + (
                        self.limits.per_chat_interval
                    )
                    task = asyncio.create_task(self._deliver(note_id, holding, sender, prepared, slot))
                    sending.add(task)
                    task.add_done_callback(sending.discard)
                    handled += 1
        finally:
            # Runs on cancellation too, and to its end even when a stop comes in the middle of
            # it (a run that just returned, or a second cancel): a stopped dispatcher leaves no
            # message half-recorded and no claimed row leased.
            await _to_the_end(asyncio.ensure_future(self._settle(preparing, sending, pending, holding)))

    async def _settle(
        self,
        preparing: Mapping[int, asyncio.Task[tuple[MessageSender | None, object]]],
        sending: set[asyncio.Task[None]],
        pending: list[tuple[int, User]],
        holding: str,
    ) -> None:
        """The end of a run: sends under way record their outcome, claimed rows not sent go back."""
        # Renders started ahead are short reads: let them end rather than cut a query short.
        await asyncio.gather(*preparing.values(), return_exceptions=True)
        # Sends under way first: each records its outcome, whatever happens to the rest.
        if sending:
            await asyncio.gather(*sending, return_exceptions=True)
        if pending:
            try:
                await self._hand_back([note_id for note_id, _ in pending], holding)
            except Exception:  # never sent: their lease runs out and a later run takes them
                log.warning("could not hand back %d claimed notification(s)", len(pending), exc_info=True)

    async def _prepare(self, note_id: int, user: User) -> tuple[MessageSender | None, object]:
        """The sender and what it will send, or (None, the outcome) when there is nothing to send."""
        async with self.db.read() as s:
            note = await s.get(Notification, note_id)
        if note is None:
            return None, DeliveryResult(Delivery.PERMANENT, error="notification vanished")
        sender = self.senders[note.channel]
        try:
            prepared = await sender.prepare(note, user)
        except Exception as exc:  # a renderer bug must not stop the other notifications
            log.exception("notification %s: preparing failed", note_id)
            return None, DeliveryResult(Delivery.RETRY, error=f"{type(exc).__name__}: {exc}"[:200])
        if isinstance(prepared, DeliveryResult):  # e.g. no chat to send to: nothing to pace
            return None, prepared
        return sender, prepared

    async def _deliver(
        self,
        note_id: int,
        holding: str,
        sender: MessageSender | None,
        prepared: object,
        slot: _Slot | None = None,
    ) -> None:
        """One send and, right after it, its outcome in its own transaction."""
        try:
            if sender is None:
                assert isinstance(prepared, DeliveryResult)
                result = prepared
            else:
                try:
                    result = await sender.send(prepared)
                except Exception as exc:  # a sender bug must not stop the other notifications
                    log.exception("notification %s: sender failed", note_id)
                    result = DeliveryResult(Delivery.RETRY, error=f"{type(exc).__name__}: {exc}"[:200])
                finally:  # back (or failed): the pacer counts the next window from here
                    if slot is not None:
                        slot.answer(self._pacer.now())
            try:
                await self._record(note_id, holding, result)
            except Exception:  # the lease runs out and a later run sends it again
                log.warning(
                    "notification %s: could not record its outcome (%s)",
                    note_id,
                    result.status.value,
                    exc_info=True,
                )
        finally:
            self._in_flight.release()

    async def claim(self) -> _Claim:
        """Leases the next due notifications in sending order, at most one per chat, skipping
        chats that had a message less than `per_chat_interval` ago."""
        holding = self._holding()
        if holding is None:  # the lease was lost meanwhile: its new holder sends them
            return _Claim([], None)
        now = self.clock.now()
        loop_now = asyncio.get_running_loop().time()
        if len(self._chat_free_at) > 10_000:
            self._chat_free_at = {u: t for u, t in self._chat_free_at.items() if t > loop_now}
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
                        .order_by(Notification.priority, Notification.due_at, Notification.id)
                        .limit(self.limits.batch)
                        .with_for_update(of=Notification, skip_locked=True)
                    )
                )
                .tuples()
                .all()
            )
            taken: list[tuple[Notification, User]] = []
            chats: set[int] = set()
            wake_at: float | None = None
            for note, user in rows:
                free_at = self._chat_free_at.get(user.id, 0.0)
                if user.id in chats or free_at > loop_now:
                    # Left pending: the next claim takes it once the chat may hear from us.
                    ready = max(free_at, loop_now)
                    wake_at = ready if wake_at is None else min(wake_at, ready)
                    continue
                chats.add(user.id)
                taken.append((note, user))
            again = [n.id for n, _ in taken if n.status == NotificationStatus.SENDING and n.send_started_at]
            if again:  # left by a run without a lease to take over from (or on SQLite)
                log.warning(
                    "sending again %d notification(s) whose send had started, their lease ran out: %s",
                    len(again),
                    _some(again),
                )
            for note, _user in taken:
                note.status = NotificationStatus.SENDING
                note.lease_until = now + self.limits.lease
                note.attempts += 1
                note.claimed_by, note.send_started_at = holding, None
            await s.flush()  # the lease must reach the database before the rows leave the session
            s.expunge_all()
            wake_in = None if wake_at is None else max(0.01, wake_at - loop_now)
            return _Claim([(note.id, user) for note, user in taken], wake_in, holding)

    async def _hand_back(self, note_ids: list[int], holding: str) -> None:
        """Claimed but never sent (the dispatcher is stopping): pending again, at once. Only
        rows still claimed by `holding`: one another holding took over may be on its way."""
        async with self.db.transaction() as s:
            for note_id in note_ids:
                note = await s.get(Notification, note_id, with_for_update=True)
                if (
                    note is not None
                    and note.status == NotificationStatus.SENDING
                    and note.claimed_by == holding
                ):
                    _unclaim(note)  # marked or not, it never left: `_deliver` never had it

    async def _leaving(self, note_id: int, holding: str) -> bool:
        """Marks the row's send as started, right before it leaves: False (and nothing is sent)
        when the row is no longer claimed by `holding` (another process took it over)."""
        async with self.db.transaction() as s:
            marked = await s.execute(
                update(Notification)
                .where(
                    Notification.id == note_id,
                    Notification.status == NotificationStatus.SENDING,
                    Notification.claimed_by == holding,
                )
                .values(send_started_at=self.clock.now())
                .execution_options(synchronize_session=False)
            )
        return bool(marked.rowcount)  # type: ignore[attr-defined]

    async def _take_over(self, holding: str) -> bool:
        """Run for a new holding of the lease, before its first claim: rows of these channels
        that other holdings claimed and left `sending` (their process died or lost the
        lease). Those whose send never started were certainly not sent: pending again at
        once. Those whose send started and has no outcome may have reached the chat: queued
        again at once too (at-least-once; the only rows that can go twice), with a warning.
        Rows claimed by a process older than `claimed_by` (NULL) wait for their lease.

        Rows locked by an unfinished transaction of the old holder (the mark or the outcome
        of a send, or a session of a vanished machine that the server has not dropped yet)
        are skipped rather than waited for; False says so, and the next tick tries again."""
        orphaned = (
            Notification.status == NotificationStatus.SENDING,
            Notification.channel.in_(list(self.senders)),
            Notification.claimed_by.is_not(None),
            Notification.claimed_by != holding,
        )
        async with self.db.transaction() as s:
            notes = (
                await s.scalars(
                    select(Notification)
                    .where(*orphaned)
                    .order_by(Notification.id)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            skipped = (await s.scalar(select(func.count()).select_from(Notification).where(*orphaned))) or 0
            skipped -= len(notes)
            unsent = [n.id for n in notes if n.send_started_at is None]
            started = [n.id for n in notes if n.send_started_at is not None]
            for note in notes:
                if note.send_started_at is None:
                    _unclaim(note)
                else:  # the attempt was made: it counts
                    note.status, note.lease_until, note.claimed_by = NotificationStatus.PENDING, None, None
        channels = "/".join(sorted(c.value for c in self.senders))
        if started:
            log.warning(
                "%s take-over: %d notification(s) were being sent when their sender stopped and"
                " go again (maybe twice): %s; %d claimed and never sent go now",
                channels,
                len(started),
                _some(started),
                len(unsent),
            )
        elif unsent:
            log.info("%s take-over: %d claimed and never sent go now", channels, len(unsent))
        if skipped:
            log.debug("%s take-over: %d row(s) locked, tried again on the next tick", channels, skipped)
        return not skipped

    async def _fall_back(self, s: AsyncSession, note: Notification) -> bool:
        if not self.sms_fallback:
            return False
        user = await s.get(User, note.user_id)
        return user is not None and outbox.fall_back(note, user, sms_available=True)

    def _backoff(self, attempts: int) -> timedelta:
        return timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts - 1)))

    async def _record(self, note_id: int, holding: str, result: DeliveryResult) -> None:
        now = self.clock.now()
        async with self.db.transaction() as s:
            note = await s.get(Notification, note_id, with_for_update=True)
            if note is None or note.status != NotificationStatus.SENDING:
                return
            if note.claimed_by != holding:  # taken over meanwhile: the new holder's state wins
                log.info(
                    "notification %s: outcome %s dropped, another sender took it over",
                    note_id,
                    result.status.value,
                )
                return
            channel = note.channel.value  # before a fallback moves it to SMS
            note.lease_until = None
            note.last_error = result.error
            if result.provider_id is not None:
                note.provider_message_id = result.provider_id
                note.delivery_status = note.delivery_status or result.provider_status
            if result.status == Delivery.SENT:
                note.status, note.sent_at = NotificationStatus.SENT, now
                note.telegram_message_id = result.message_id
            elif result.status == Delivery.PERMANENT and await self._fall_back(s, note):
                note.status, note.due_at, note.attempts = NotificationStatus.PENDING, now, 0
                log.info("notification %s: %s failed for good, going by SMS", note_id, note.fallback_from)
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
                    self._pacer.pause(result.retry_after)
            metrics.SENDS.labels(channel, _send_result(channel, note, result)).inc()


def _unclaim(note: Notification) -> None:
    """Pending again at once, as if never claimed (it was never sent)."""
    note.status, note.lease_until, note.claimed_by = NotificationStatus.PENDING, None, None
    note.send_started_at = None
    note.attempts = max(0, note.attempts - 1)


def _some(ids: list[int], shown: int = 20) -> str:
    """Ids for a log line: the first `shown`, then how many more."""
    head = ", ".join(map(str, ids[:shown]))
    return head if len(ids) <= shown else f"{head} and {len(ids) - shown} more"


async def _to_the_end(task: asyncio.Future[T]) -> T:
    """The result of `task`, awaited to its end even when the caller is cancelled meanwhile,
    once or more: for work that must not be cut in half (a claim that may commit, outcomes
    being recorded, rows being handed back). The caller's cancellation is raised once the
    task is done. (A bare `await task` would cancel the task with the caller; `shield` alone
    would let the caller go on before the task has ended.)"""
    stopped = False
    while not task.done():
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.cancelled():
                raise
            stopped = True  # the caller was stopped, not the task: keep waiting for it
        except Exception:
            break  # the task failed: its exception is raised below
    if stopped:
        raise asyncio.CancelledError
    return task.result()


def _send_result(channel: str, note: Notification, result: DeliveryResult) -> str:
    """The `result` label of a recorded send: sent, retry, failed, or fallback (failed for
    good on `channel` and queued again on another)."""
    if result.status == Delivery.SENT:
        return "sent"
    if note.status == NotificationStatus.FAILED:
        return "failed"
    return "fallback" if note.channel.value != channel else "retry"
