"""The buttons under a blocker incident's alert (core/usecases/incidents.py): move the
drivers, refund them, test the blocker, acknowledge. Each tap calls one use case, which checks
the caller's rights at the incident's premise and audits; the tap is answered once, with
what happened (or why not)."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.types import CallbackQuery, Message
from sqlalchemy import select

from bot import format as fmt
from bot.callbacks import IncidentAction
from bot.context import Caller, Services
from bot.dialogs.common import refusal_text
from bot.i18n import tr_label
from bot.notifications import incident_alert
from core.errors import DomainError
from core.models import BlockerIncident, Notification, Premise
from core.usecases.incidents import AlertMessage

log = logging.getLogger(__name__)


async def _timezone(services: Services, incident_id: int) -> str:
    async with services.db.read() as s:
        incident = await s.get(BlockerIncident, incident_id)
        premise = await s.get(Premise, incident.premise_id) if incident and incident.premise_id else None
    return premise.timezone if premise is not None else services.settings.timezone


async def incident_action(
    callback: CallbackQuery, callback_data: IncidentAction, caller: Caller, services: Services
) -> None:
    lang, who, incident_id = caller.lang, caller.user_id, callback_data.incident_id
    uc = services.incidents
    try:
        if callback_data.action == "move":
            moved = await uc.move_drivers(who, incident_id)
            text = tr_label(
                lang,
                "incident_alert.moved",
                moved=len(moved.moved),
                list=", ".join(f"#{rid} → {label}" for rid, label in moved.moved),
                stuck=len(moved.stuck),
                stuck_list=", ".join(f"#{rid}" for rid in moved.stuck),
            )
        elif callback_data.action == "refund":
            refunded = await uc.refund_drivers(who, incident_id)
            text = tr_label(
                lang,
                "incident_alert.refunded",
                refunded=len(refunded.refunded),
                amount=fmt.money(refunded.amount, refunded.currency) if refunded.currency else "0",
                stuck=len(refunded.stuck),
                stuck_list=", ".join(f"#{rid}" for rid in refunded.stuck),
            )
        elif callback_data.action == "test":
            await callback.answer()  # the device may take seconds: the button stops spinning now
            result = await uc.test_blocker(who, incident_id)
            state = tr_label(lang, "admin.blocker_state", state=result.state.value) if result.state else ""
            outcome = tr_label(lang, "admin.blocker_outcome", status=result.status.value, state=state)
            if callback.message is not None:
                await callback.message.answer(
                    tr_label(lang, "admin.blocker_test", action="raise", outcome=outcome)
                )
            return
        elif callback_data.action == "ack":
            ack = await uc.acknowledge(who, incident_id)
            at = fmt.clock_time(ack.at, await _timezone(services, incident_id))
            text = (
                tr_label(lang, "incident_alert.acknowledged")
                if ack.first
                else tr_label(lang, "incident_alert.acknowledged_already", who=ack.by, at=at)
            )
            await _show_acknowledged(callback, services, caller, incident_id)
            await _tell_the_others(callback, services, ack.others)
        else:
            text = tr_label(lang, "stale_button")
    except DomainError as error:
        if callback_data.action == "test":
            if callback.message is not None:
                await callback.message.answer(refusal_text(lang, error))
            return
        await callback.answer(refusal_text(lang, error), show_alert=True)
        return
    await callback.answer(text, show_alert=True)


async def _show_acknowledged(
    callback: CallbackQuery, services: Services, caller: Caller, incident_id: int
) -> None:
    """The tapped alert says who acknowledged it (alerts sent later say so by themselves)."""
    message = callback.message
    if not isinstance(message, Message):
        return
    async with services.db.read() as s:
        # The alert as it was queued for this caller: the bookings it named.
        payload = await s.scalar(
            select(Notification.payload).where(
                Notification.dedupe_key == f"incident:{incident_id}:{caller.user_id}"
            )
        )
        rendered = await incident_alert(s, caller.lang, payload or {"incident_id": incident_id})
    if rendered is None:
        return
    try:
        await message.edit_text(rendered.text, reply_markup=rendered.keyboard)
    except TelegramBadRequest as exc:  # not modified, or too old to edit
        log.debug("incident alert %s not edited: %s", incident_id, exc.message)


async def _tell_the_others(callback: CallbackQuery, services: Services, others: list[AlertMessage]) -> None:
    """The same alert in the other recipients' chats says who acknowledged it (each in its
    reader's language); a message Telegram no longer lets us edit stays as it was."""
    bot = callback.bot
    if bot is None:
        return
    for other in others:
        async with services.db.read() as s:
            rendered = await incident_alert(s, other.language, other.payload)
        if rendered is None:
            continue
        try:
            await bot.edit_message_text(
                rendered.text,
                chat_id=other.telegram_id,
                message_id=other.message_id,
                reply_markup=rendered.keyboard,
            )
        except TelegramAPIError as exc:
            log.debug("incident alert in chat %s not edited: %s", other.telegram_id, exc.message)
