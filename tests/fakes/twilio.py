"""A Twilio fake on 127.0.0.1 that the real `twilio` library talks to (TWILIO_API_BASE): the
Messages resource (`POST /2010-04-01/Accounts/{sid}/Messages.json`, basic auth checked,
To/From/Body/StatusCallback), answered with Twilio's message JSON or its error shape
(`code`, `message`, `more_info`, `status`). It also plays the phone network's side: inbound
messages and delivery callbacks POSTed to the service, signed with the library's own
`RequestValidator` algorithm against the public URL, as Twilio signs them.

Like Twilio, a number that texted STOP (or its family) is refused with 21610 until START."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
import xml.etree.ElementTree as ET
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Self

import aiohttp
from aiohttp import web
from twilio.request_validator import RequestValidator

from sms.segments import count

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "twilio-test-token"
FROM_NUMBER = "+15005550006"

OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP", "YES"})  # Twilio opts back in on YES too

_ERRORS = {
    21211: (400, "The 'To' number {to} is not a valid phone number."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
    20429: (429, "Too Many Requests"),
    20500: (500, "An internal server error has occurred"),
    20003: (401, "Authenticate"),
}


@dataclass
class SentSms:
    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    segments: int
    encoding: str
    status: str = "queued"
    at: float = field(default_factory=time.monotonic)  # when accepted (the rate benchmark)


@dataclass
class Reply:
    """What the service answered an inbound message: HTTP status and the TwiML's messages."""

    status: int
    messages: list[str] = field(default_factory=list)


class TwilioFake:
    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.validator = RequestValidator(auth_token)
        self.sent: list[SentSms] = []  # accepted messages, in order
        self.refused: list[tuple[str, int]] = []  # (to, error code)
        self.requests: list[dict[str, str]] = []  # every Messages create's form
        self.invalid: set[str] = set()  # numbers answered 21211
        self.landlines: set[str] = set()  # numbers answered 21614
        self.opted_out: set[str] = set()  # numbers answered 21610 (they texted STOP)
        self._next_errors: deque[int] = deque()  # error codes for the next creates
        self.public_url = ""  # the service's PUBLIC_URL, which Twilio signs
        self.service_url = ""  # where it really listens (the test's 127.0.0.1 port)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.base_url = ""
        self.arrived = asyncio.Event()

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/2010-04-01/Accounts/{sid}/Messages.json", self._create)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what a test arranges -----------------------------------------------------------------

    def fail_next(self, *codes: int) -> None:
        """The next creates are refused with these Twilio error codes (20429: rate limited,
        20500: server error, 21211, 21610, 21614)."""
        self._next_errors.extend(codes)

    def to(self, number: str) -> list[str]:
        """The bodies sent to a number, in order."""
        return [m.body for m in self.sent if m.to == number]

    async def wait_for(self, number: str, contains: str, within: float = 10.0) -> str:
        """The first message to `number` containing `contains`, waiting for it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            for body in self.to(number):
                if contains in body:
                    return body
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"no SMS to {number} containing {contains!r}: {self.to(number)}")
            self.arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), min(remaining, 0.2))

    # -- the Messages resource -----------------------------------------------------------------

    def _error(self, code: int, **values: str) -> web.Response:
        status, message = _ERRORS[code]
        body = {
            "code": code,
            "message": message.format(**values),
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        return web.json_response(body, status=status)

    async def _create(self, request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        try:
            creds = aiohttp.BasicAuth.decode(auth)
        except ValueError:
            return self._error(20003)
        if (creds.login, creds.password) != (self.account_sid, self.auth_token):
            return self._error(20003)
        if request.match_info["sid"] != self.account_sid:
            return self._error(20003)
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        self.requests.append(form)
        unknown = set(form) - {"To", "From", "Body", "StatusCallback", "MessagingServiceSid"}
        missing = {"To", "Body"} - set(form)
        if unknown or missing or ("From" not in form and "MessagingServiceSid" not in form):
            return web.json_response(
                {"code": 21604, "message": f"bad parameters {sorted(unknown | missing)}",
                 "more_info": "https://www.twilio.com/docs/errors/21604", "status": 400},
                status=400,
            )  # fmt: skip
        to = form["To"]
        code = self._next_errors.popleft() if self._next_errors else None
        if code is None:
            if to in self.invalid or not to.startswith("+") or not to[1:].isdigit():
                code = 21211
            elif to in self.landlines:
                code = 21614
            elif to in self.opted_out:
                code = 21610
        if code is not None:
            self.refused.append((to, code))
            return self._error(code, to=to)
        segments = count(form["Body"])
        sid = "SM" + secrets.token_hex(16)
        sms = SentSms(sid, to, form.get("From", ""), form["Body"], form.get("StatusCallback"),
                      segments.parts, segments.encoding)  # fmt: skip
        self.sent.append(sms)
        self.arrived.set()
        now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        return web.json_response(
            {
                "sid": sid, "account_sid": self.account_sid, "to": to, "from": sms.from_,
                "body": sms.body, "status": "queued", "num_segments": str(segments.parts),
                "num_media": "0", "direction": "outbound-api", "api_version": "2010-04-01",
                "date_created": now, "date_updated": now, "date_sent": None, "price": None,
                "price_unit": "USD", "error_code": None, "error_message": None,
                "messaging_service_sid": None,
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
                "subresource_uris": {
                    "media": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
                },
            },
            status=201,
        )  # fmt: skip

    # -- Twilio calling the service -------------------------------------------------------------

    def _local(self, public: str) -> str:
        """The address Twilio would reach for a public URL: the service's real port here."""
        assert self.public_url and self.service_url, "set public_url and service_url first"
        assert public.startswith(self.public_url), public
        return self.service_url + public[len(self.public_url) :]

    def sign(self, url: str, params: dict[str, str]) -> str:
        return str(self.validator.compute_signature(url, params))

    async def post_signed(
        self, public: str, params: dict[str, str], *, signature: str | None = None
    ) -> tuple[int, str]:
        assert self._session is not None
        header = signature if signature is not None else self.sign(public, params)
        async with self._session.post(
            self._local(public), data=params, headers={"X-Twilio-Signature": header}
        ) as response:
            return response.status, await response.text()

    async def text(
        self,
        from_: str,
        body: str,
        *,
        sid: str | None = None,
        signature: str | None = None,
        path: str = "/sms/twilio",
    ) -> Reply:
        """The driver texts our number: Twilio's inbound webhook, signed; returns the reply.
        STOP-family words opt the number out first, as Twilio does (with `OptOutType`); its
        opt-in words (START, UNSTOP, YES) opt it back in, and HELP / INFO are marked HELP."""
        params = {
            "MessageSid": sid or "SM" + secrets.token_hex(16),
            "SmsSid": "", "AccountSid": self.account_sid, "MessagingServiceSid": "",
            "From": from_, "To": FROM_NUMBER, "Body": body, "NumMedia": "0", "NumSegments": "1",
            "FromCountry": "", "ToCountry": "US", "ApiVersion": "2010-04-01", "SmsStatus": "received",
        }  # fmt: skip
        params["SmsSid"] = params["MessageSid"]
        word = body.strip().upper()
        if word in OPT_OUT_WORDS:
            self.opted_out.add(from_)
            params["OptOutType"] = "STOP"
        elif word in OPT_IN_WORDS:
            self.opted_out.discard(from_)
            params["OptOutType"] = "START"
        elif word in {"HELP", "INFO"}:
            params["OptOutType"] = "HELP"
        status, text = await self.post_signed(self.public_url + path, params, signature=signature)
        reply = Reply(status)
        if status == 200 and text.strip():
            root = ET.fromstring(text)
            reply.messages = [(m.text or "") for m in root.iter("Message")]
        return reply

    async def report(self, sms: SentSms, status: str, *, error_code: str | None = None) -> int:
        """Twilio's delivery callback for a message sent (queued, sent, delivered, undelivered,
        failed), to its StatusCallback; returns the service's HTTP status."""
        assert sms.status_callback, "the message asked for no status callback"
        sms.status = status
        params = {
            "MessageSid": sms.sid, "SmsSid": sms.sid, "AccountSid": self.account_sid,
            "From": sms.from_, "To": sms.to, "MessageStatus": status, "SmsStatus": status,
            "ApiVersion": "2010-04-01",
        }  # fmt: skip
        if error_code:
            params["ErrorCode"] = error_code
        code, _ = await self.post_signed(sms.status_callback, params)
        return code
