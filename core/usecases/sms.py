"""SMS use cases (DESIGN.md §12): who is texting (one user per number, E.164), each inbound
message applied at most once, opting out and back in, and what Twilio reports of a message's
delivery. Parking commands call the same use cases as Telegram (booking, arrival, payments)."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.clock import Clock
from core.db import Database
from core.errors import InvalidPhone
from core.models import Channel, Notification, Premise, User
from core.services import outbox
from core.services.payments import mark_event_processed
from core.services.users import normalise_phone

log = logging.getLogger(__name__)

# A number's country decides the language of a user first met by SMS.
_LANGUAGE_OF_REGION = {"UA": "uk"}

# Twilio's delivery statuses in the order they happen; a late callback never moves one back.
_STATUS_ORDER = {
    "accepted": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
}


class OptChange(enum.Enum):
    OUT = "out"  # STOP and its family: nothing is texted any more
    IN = "in"  # START / UNSTOP


@dataclass(frozen=True, slots=True)
class Texter:
    """The user behind an inbound SMS."""

    user_id: int
    phone: str
    lang: str
    new: bool  # first met by this message
    opted_out: bool
    # The outbox reaches this user by SMS (no Telegram chat): what it queues in answer to a
    # command (a confirmation) comes to this phone anyway, so the reply need not say it again.
    told_by_sms: bool


@dataclass(frozen=True, slots=True)
class PremiseByCode:
    premise_id: int
    name: str
    timezone: str


def language_of(phone: str) -> str:
    """The language guessed from a number's country (+380 → Ukrainian), English otherwise."""
    region = phonenumbers.region_code_for_number(phonenumbers.parse(phone, None))
    return _LANGUAGE_OF_REGION.get(region or "", "en")


class SmsUseCases:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def receive(self, message_sid: str, sender: str, opt: OptChange | None = None) -> Texter | None:
        """An inbound message from `sender`: None when this MessageSid was applied already
        (Twilio retries a webhook that timed out). A number never seen before becomes an
        SMS-only user. The opt-out change, when the message is one, is applied in the same
        transaction as the id is recorded. Raises InvalidPhone."""
        phone = normalise_phone(sender)
        now = self.clock.now()
        async with self.db.transaction() as s:
            if not await mark_event_processed(s, "twilio", message_sid):
                return None
            user = await s.scalar(select(User).where(User.phone == phone).with_for_update())
            new = user is None
            if user is None:
                user = User(phone=phone, language=language_of(phone), created_at=now)
                try:
                    async with s.begin_nested():
                        s.add(user)
                        await s.flush()
                except IntegrityError:  # another message from the same new number won
                    found = await s.scalar(select(User).where(User.phone == phone).with_for_update())
                    if found is None:
                        raise
                    user, new = found, False
            if opt is not None:
                user.sms_opt_out = opt == OptChange.OUT
            await s.flush()
            told_by_sms = outbox.choose_channel(user) == Channel.SMS
            return Texter(user.id, phone, user.language, new, user.sms_opt_out, told_by_sms)

    async def premise_by_code(self, code: str) -> PremiseByCode | None:
        """The active car park with this SMS code (on the sign at its entrance)."""
        async with self.db.read() as s:
            premise = await s.scalar(select(Premise).where(Premise.code == code, Premise.is_active.is_(True)))
        return None if premise is None else PremiseByCode(premise.id, premise.name, premise.timezone)

    async def record_delivery(
        self, notification_id: int, message_sid: str, status: str, error_code: str | None
    ) -> bool:
        """Twilio's delivery callback for a message of the outbox: the status is recorded on
        the notification (never moved back by a late callback). False when the message is not
        one of ours."""
        async with self.db.transaction() as s:
            note = await s.get(Notification, notification_id, with_for_update=True)
            if note is None or note.channel != Channel.SMS:
                return False
            if note.provider_message_id not in (None, message_sid):
                return False
            note.provider_message_id = message_sid
            if _STATUS_ORDER.get(status, -1) >= _STATUS_ORDER.get(note.delivery_status or "", -1):
                note.delivery_status = status[:16]
            if status in ("undelivered", "failed"):
                note.last_error = f"twilio {status}" + (f" ({error_code[:16]})" if error_code else "")
            return True


def valid_number(raw: str) -> bool:
    try:
        normalise_phone(raw)
    except InvalidPhone:
        return False
    return True
