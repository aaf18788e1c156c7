"""The SMS channel's HTTP routes (DESIGN.md §7): `POST /sms/twilio` (inbound messages) and
`POST /sms/status` (delivery callbacks). Both check `X-Twilio-Signature` with the twilio
library's RequestValidator against the URL Twilio called, PUBLIC_URL + path (the service may
sit behind a proxy: the internal host is not what Twilio signed); a bad signature gets 403
and changes nothing."""

from __future__ import annotations

import logging

from aiohttp import web
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from core.errors import InvalidPhone
from core.usecases.sms import OptChange, SmsUseCases
from sms.commands import Verb, parse
from sms.inbound import SmsCommands
from sms.sender import INBOUND_PATH, STATUS_PATH

log = logging.getLogger(__name__)

_OPT_OUT_TYPES = {"STOP": OptChange.OUT, "START": OptChange.IN}


def twiml(messages: list[str]) -> web.Response:
    response = MessagingResponse()
    for text in messages:
        response.message(text)
    return web.Response(text=str(response), content_type="application/xml")


def add_sms_routes(
    app: web.Application, *, auth_token: str, public_url: str, sms: SmsUseCases, commands: SmsCommands
) -> None:
    validator = RequestValidator(auth_token)
    base = public_url.rstrip("/")

    async def signed_form(request: web.Request) -> dict[str, str] | None:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not validator.validate(base + request.path_qs, form, signature):
            log.warning("%s: request with a bad Twilio signature refused", request.path)
            return None
        return form

    async def inbound(request: web.Request) -> web.Response:
        form = await signed_form(request)
        if form is None:
            return web.Response(status=403, text="bad signature")
        sid, sender = form.get("MessageSid", ""), form.get("From", "")
        if not sid or not sender:
            return web.Response(status=400, text="MessageSid and From are required")
        command = parse(form.get("Body", ""))
        # Twilio's own reading of the message wins (Advanced Opt-Out may use other words).
        opt = _OPT_OUT_TYPES.get(form.get("OptOutType", "").upper())
        if opt is None and command.verb in (Verb.OPT_OUT, Verb.OPT_IN):
            opt = OptChange.OUT if command.verb == Verb.OPT_OUT else OptChange.IN
        try:
            texter = await sms.receive(sid, sender, opt)
        except InvalidPhone:
            log.info("inbound SMS from a number that is not one: ignored")
            return twiml([])
        if texter is None:  # this MessageSid was applied before: Twilio retried
            return twiml([])
        log.info("inbound SMS %s from user %s: %s", sid[:12], texter.user_id, command.verb.value)
        return twiml(await commands.handle(texter, command))

    async def status(request: web.Request) -> web.Response:
        form = await signed_form(request)
        if form is None:
            return web.Response(status=403, text="bad signature")
        note = request.query.get("n", "")
        if note.isdigit():
            await sms.record_delivery(
                int(note), form.get("MessageSid", ""), form.get("MessageStatus", ""), form.get("ErrorCode")
            )
        return web.Response(status=204)

    app.router.add_post(INBOUND_PATH, inbound)
    app.router.add_post(STATUS_PATH, status)
