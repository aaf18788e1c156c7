"""The notification outbox: notifications are rows written in the same transaction as the
change they report; a dispatcher sends them later, so a crash loses nothing."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.models import Channel, Notification, User


def choose_channel(user: User) -> Channel:
    """The one place that picks a channel: Telegram when we know the chat, SMS otherwise."""
    if user.telegram_id is not None:
        return Channel.TELEGRAM
    return Channel.SMS


async def notify(
    session: AsyncSession,
    user_id: int,
    kind: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    due_at: datetime | None = None,
    dedupe_key: str | None = None,
    channel: Channel | None = None,
) -> Notification | None:
    """Queues a notification in the caller's transaction. With a dedupe key already queued,
    returns None and queues nothing. Payloads hold ids and plain values; the sender formats
    them in the user's language at send time."""
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
        dedupe_key=dedupe_key,
        created_at=now,
    )
    session.add(note)
    await session.flush()
    return note


async def notify_admins(
    session: AsyncSession,
    kind: str,
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


class Delivery(enum.Enum):
    SENT = "sent"
    RETRY = "retry"  # try again later (rate limit, server error, network)
    PERMANENT = "permanent"  # never going to work (bot blocked, chat gone, no channel)


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    status: Delivery
    retry_after: float | None = None
    error: str | None = None


class MessageSender(Protocol):
    """A channel (Telegram, SMS) that delivers outbox notifications. Preparing (rendering in
    the user's language, reading the database) is separate from sending, so the dispatcher can
    pace the sends alone."""

    async def prepare(self, notification: Notification, user: User) -> object: ...

    async def send(self, prepared: object) -> DeliveryResult: ...
