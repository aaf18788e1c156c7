"""The outbox's SMS channel: renders a notification in the user's language and sends it with
the official `twilio` library (its asyncio HTTP client), asking Twilio to report delivery to
`POST /sms/status`. Failures are classified as Telegram's are: for good (a number that is not
valid or not a mobile, a user who replied STOP to Twilio) or worth retrying (rate limit,
Twilio's server errors, the network)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.rest import Client

from core.clock import Clock, SystemClock
from core.config import TWILIO_API_BASE_DEFAULT
from core.db import Database
from core.models import Notification, User
from core.services.outbox import Delivery, DeliveryResult, may_sms
from sms.render import render

log = logging.getLogger(__name__)

STATUS_PATH = "/sms/status"
INBOUND_PATH = "/sms/twilio"

# Twilio's error codes that no retry can fix: not a valid number, the user replied STOP
# (21610), not a mobile number, a region or number that cannot receive, a blocked number.
PERMANENT_CODES = frozenset({21211, 21408, 21610, 21612, 21614, 21606, 21617, 30004, 30005, 30006})
RATE_LIMITED_CODES = frozenset({20429, 14107})


class Twilio:
    """The twilio library's client pointed at TWILIO_API_BASE (the library has no base-URL
    setting: its `api` domain's `base_url` is replaced). Built on first use, inside the running
    event loop, which the library's aiohttp session needs."""

    def __init__(self, account_sid: str, auth_token: str, from_number: str, api_base: str) -> None:
        self.account_sid = account_sid
        self._auth_token = auth_token
        self.from_number = from_number
        self.api_base = api_base.rstrip("/")
        self._http: AsyncTwilioHttpClient | None = None
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        if self._client is None:
            self._http = AsyncTwilioHttpClient()
            self._client = Client(self.account_sid, self._auth_token, http_client=self._http)
            if self.api_base != TWILIO_API_BASE_DEFAULT:
                self._client.api.base_url = self.api_base
        return self._client

    async def send(self, to: str, body: str, status_callback: str | None) -> tuple[str, str]:
        """Sends one SMS; returns Twilio's message id and status. Raises TwilioRestException,
        or aiohttp's errors for the network."""
        message = await self.client.messages.create_async(
            to=to, from_=self.from_number, body=body, status_callback=status_callback or None
        )
        return str(message.sid), str(message.status)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        self._http = self._client = None


def classify(exc: BaseException) -> DeliveryResult:
    """A failed send as the dispatcher's outcome."""
    if isinstance(exc, TwilioRestException):
        code = int(exc.code or 0)
        error = f"twilio {exc.status} {code}: {str(exc.msg)[:120]}"
        if exc.status == 429 or code in RATE_LIMITED_CODES:
            return DeliveryResult(Delivery.RETRY, retry_after=1.0, error=error)
        if exc.status >= 500:
            return DeliveryResult(Delivery.RETRY, error=error)
        if code not in PERMANENT_CODES:
            log.error("SMS refused by Twilio: %s", error)  # our request is wrong: look at it
        return DeliveryResult(Delivery.PERMANENT, error=error)
    if isinstance(exc, aiohttp.ClientError | asyncio.TimeoutError | OSError | TwilioException):
        return DeliveryResult(Delivery.RETRY, error=f"{type(exc).__name__}: {str(exc)[:120]}")
    raise exc


@dataclass(frozen=True, slots=True)
class SmsOut:
    note_id: int
    to: str
    body: str
    status_callback: str | None


class SmsSender:
    """The outbox dispatcher's SMS channel (core.services.outbox.MessageSender)."""

    def __init__(self, twilio: Twilio, db: Database, *, public_url: str, clock: Clock | None = None) -> None:
        self.twilio = twilio
        self.db = db
        self.public_url = public_url.rstrip("/")
        # When a text is made: a time not on that day in the car park's zone names its date.
        self.clock: Clock = clock or SystemClock()

    async def prepare(self, notification: Notification, user: User) -> object:
        # Checked when sending, not only when queued: a STOP in between is honoured.
        if not may_sms(user):
            why = "user opted out of SMS" if user.phone else "user has no phone number"
            return DeliveryResult(Delivery.PERMANENT, error=why)
        assert user.phone is not None
        async with self.db.read() as session:
            body = await render(session, notification, user.language, now=self.clock.now())
        callback = f"{self.public_url}{STATUS_PATH}?n={notification.id}" if self.public_url else None
        return SmsOut(notification.id, user.phone, body, callback)

    async def send(self, prepared: object) -> DeliveryResult:
        if isinstance(prepared, DeliveryResult):
            return prepared
        assert isinstance(prepared, SmsOut)
        try:
            sid, status = await self.twilio.send(prepared.to, prepared.body, prepared.status_callback)
        except Exception as exc:
            result = classify(exc)
            log.info("notification %s: SMS not sent: %s", prepared.note_id, result.error)
            return result
        return DeliveryResult(Delivery.SENT, provider_id=sid, provider_status=status)
