"""The notification outbox: notifications are rows written in the same transaction as the
change they report; a dispatcher sends them later, so a crash loses nothing."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import flag_modified

from core.errors import NotFound
from core.models import Channel, Notification, NotificationStatus, Priority, User
from core.notifications import NotificationKind

# Kinds sent after drivers' transactional messages; operators' alerts (`admin_*`) go last. A
# wish that ended unanswered is news, not a call to act, and a full car park ends many at once.
_BULK_KINDS = frozenset({NotificationKind.BOOKING_REMINDER, NotificationKind.WAITLIST_WISH_ENDED})


def priority_of(kind: NotificationKind) -> Priority:
    if kind.for_admins:
        return Priority.ADMIN
    return Priority.BULK if kind in _BULK_KINDS else Priority.TRANSACTIONAL


class _Reachable(Protocol):
    @property
    def telegram_id(self) -> int | None: ...


def choose_channel(user: _Reachable) -> Channel:
    """The one place that picks a channel: Telegram when we know the chat, SMS otherwise (the
    SMS sender refuses a user without a number or who opted out: nothing is ever sent to
    them). A Telegram message that fails for good may still go by SMS: `fall_back`."""
    if user.telegram_id is not None:
        return Channel.TELEGRAM
    return Channel.SMS


def may_sms(user: User) -> bool:
    """Whether a text message may go to this user: a number, and no opt-out (STOP)."""
    return user.phone is not None and not user.sms_opt_out


def fall_back(note: Notification, user: User, *, sms_available: bool) -> bool:
    """A notification whose delivery failed for good (the bot blocked, the chat gone) goes by
    SMS instead, once, to a driver with a number who did not opt out; operators' alerts never
    (they are about the console). Recorded on the row: `fallback_from` names the channel that
    failed and `channel` becomes SMS; the caller puts the row back to pending."""
    if not sms_available or note.channel != Channel.TELEGRAM or note.fallback_from is not None:
        return False
    try:
        if NotificationKind(note.kind).for_admins:
            return False
    except ValueError:
        return False
    if not may_sms(user):
        return False
    note.fallback_from, note.channel = note.channel.value, Channel.SMS
    return True


async def notify(
    session: AsyncSession,
    user_id: int,
    kind: NotificationKind,
    payload: dict[str, Any],
    *,
    now: datetime,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
    channel: Channel | None = None,
    priority: Priority | None = None,
) -> Notification | None:
    """Queues a notification in the caller's transaction. With a dedupe key already queued,
    returns None and queues nothing. Payloads hold ids and plain values; the sender formats
    them in the user's language at send time. The priority follows from the kind unless given."""
    if dedupe_key is not None:
        existing = await session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key))
        if existing is not None:
            return None
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id}")
    note = Notification(
        user_id=user_id,
        kind=kind,
        channel=channel or choose_channel(user),
        payload=payload,
        due_at=due_at or now,
        priority=priority_of(kind) if priority is None else priority,
        dedupe_key=dedupe_key,
        created_at=now,
    )
    session.add(note)
    await session.flush()
    return note


@dataclass(frozen=True, slots=True)
class Queued:
    """One notification of a batch (notify_many): what `notify` takes, for one user."""

    user_id: int
    payload: dict[str, Any]
    dedupe_key: str


async def notify_many(
    session: AsyncSession, kind: NotificationKind, notes: Sequence[Queued], *, now: datetime
) -> int:
    """Queues notifications of one kind for a batch of users in the caller's transaction, in
    one multi-row INSERT: what `notify` does for each (channel chosen per user, priority from
    the kind, a dedupe key already queued queues nothing), for the sweeps that act on many
    rows at once. Returns how many were queued."""
    if not notes:
        return 0
    # Only what choose_channel reads: no ORM objects for thousands of users.
    users = {
        u.id: u
        for u in await session.execute(
            select(User.id, User.telegram_id).where(User.id.in_({n.user_id for n in notes}))
        )
    }
    missing = {n.user_id for n in notes} - users.keys()
    if missing:
        raise NotFound(f"user {min(missing)}")
    priority = priority_of(kind)
    rows = [
        {
            "user_id": n.user_id,
            "kind": kind.value,
            "channel": choose_channel(users[n.user_id]),
            "payload": n.payload,
            "status": NotificationStatus.PENDING,
            "attempts": 0,
            "priority": priority,
            "due_at": now,
            "dedupe_key": n.dedupe_key,
            "created_at": now,
        }
        for n in notes
    ]
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # With RETURNING, SQLAlchemy sends the rows as one multi-row INSERT ("insertmanyvalues",
    # up to 1,000 rows a statement); the conflict clause is notify's dedupe check, done by
    # the unique index instead of one query per row.
    queued = await session.scalars(
        insert(Notification)
        .on_conflict_do_nothing(index_elements=[Notification.dedupe_key])
        .returning(Notification.id),
        rows,
    )
    return len(queued.all())


async def notify_admins(
    session: AsyncSession,
    kind: NotificationKind,
    payload: dict[str, Any],
    *,
    now: datetime,
    dedupe_key: str | None = None,
) -> list[Notification]:
    admins = await session.scalars(select(User.id).where(User.is_admin.is_(True)))
    queued: list[Notification] = []
    for admin_id in admins.all():
        key = f"{dedupe_key}:{admin_id}" if dedupe_key else None
        note = await notify(session, admin_id, kind, payload, now=now, dedupe_key=key)
        if note is not None:
            queued.append(note)
    return queued


# How long an operators' alert waits for the rest of its burst (one restart of a controller
# takes many blockers offline within a few seconds).
ALERT_GATHERING = timedelta(seconds=15)


async def notify_admins_grouped(
    session: AsyncSession,
    kind: NotificationKind,
    item: dict[str, Any],
    *,
    key: str,
    now: datetime,
    gather: timedelta = ALERT_GATHERING,
) -> None:
    """One message per admin for a burst of alerts of one kind (payload `{"items": [...]}`):
    while an admin's alert of this kind is still queued, the item joins its list (once per
    `item[key]`); otherwise a new alert is queued, due `gather` from now so that the rest of
    the burst can join it. An alert already being sent is left alone."""
    admins = list(await session.scalars(select(User.id).where(User.is_admin.is_(True)).order_by(User.id)))
    for admin_id in admins:
        # Serialises grouping per admin across processes (the users row, as every ledger write).
        await session.scalar(select(User.id).where(User.id == admin_id).with_for_update())
        queued = await session.scalar(
            select(Notification)
            .where(
                Notification.user_id == admin_id,
                Notification.kind == kind,
                Notification.status == NotificationStatus.PENDING,
            )
            .order_by(Notification.id)
            .limit(1)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if queued is None:
            await notify(session, admin_id, kind, {"items": [item]}, now=now, due_at=now + gather)
            continue
        items = list(queued.payload.get("items", []))
        if all(existing.get(key) != item[key] for existing in items):
            queued.payload = {**queued.payload, "items": [*items, item]}
            flag_modified(queued, "payload")
    await session.flush()


class Delivery(enum.Enum):
    SENT = "sent"
    RETRY = "retry"  # try again later (rate limit, server error, network)
    PERMANENT = "permanent"  # never going to work (bot blocked, chat gone, no channel)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    status: Delivery
    retry_after: float | None = None
    error: str | None = None
    # The provider's id of the message (Twilio's MessageSid) and the status it reported.
    provider_id: str | None = None
    provider_status: str | None = None
    message_id: int | None = None  # the channel's id of the message sent (Telegram's)


class MessageSender(Protocol):
    """A channel (Telegram, SMS) that delivers outbox notifications. Preparing (rendering in
    the user's language, reading the database) is separate from sending, so the dispatcher can
    pace the sends alone."""

    async def prepare(self, notification: Notification, user: User) -> object: ...

    async def send(self, prepared: object) -> DeliveryResult: ...
