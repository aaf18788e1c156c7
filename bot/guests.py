"""Guest passes in the chat (issue 16): what a guest sees after following a shared booking's
link (`/start guest_<token>`), and their two buttons. Nothing of the owner is shown."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import format as fmt
from bot.arrival import outcome_text
from bot.callbacks import GuestAction
from bot.context import Caller, Services
from bot.i18n import Raw, tr
from core.blockers import CommandStatus
from core.errors import InvalidGuestPass
from core.usecases.arrival import Arrival
from core.usecases.guests import GuestView


def guest_text(lang: str, view: GuestView) -> Raw:
    return tr(
        lang,
        "guest.view",
        name=view.premise_name,
        address=view.address,
        spot=view.spot,
        window=fmt.window(view.starts_at, view.ends_at, view.timezone, lang),
    )


def guest_keyboard(lang: str, view: GuestView) -> InlineKeyboardMarkup | None:
    if not view.has_blocker:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=tr(lang, "btn.guest_lower"),
                    callback_data=GuestAction(action="lower", pass_id=view.pass_id).pack(),
                ),
                InlineKeyboardButton(
                    text=tr(lang, "btn.guest_raise"),
                    callback_data=GuestAction(action="raise", pass_id=view.pass_id).pack(),
                ),
            ]
        ]
    )


async def open_pass(message: Message, token: str, caller: Caller, services: Services) -> None:
    """`/start guest_<token>`: the place and times, with Lower / Raise; one answer for every
    link that opens nothing (unknown, forged, revoked, over, somebody else's)."""
    try:
        view = await services.guests.open(user_id=caller.user_id, token=token)
    except InvalidGuestPass:
        await message.answer(tr(caller.lang, "guest.invalid"))
        return
    text = guest_text(caller.lang, view)
    if not view.has_blocker:
        text = Raw(f"{text}\n\n{tr(caller.lang, 'lower.no_blocker')}")
    await message.answer(text, reply_markup=guest_keyboard(caller.lang, view))


def _raise_text(lang: str, arrival: Arrival) -> Raw:
    if arrival.refused is not None or arrival.result is None:
        return outcome_text(lang, arrival)
    if arrival.result.status is CommandStatus.OK:
        return tr(lang, "guest.raised")
    if arrival.result.status is CommandStatus.OBSTACLE:
        return tr(lang, "lower.car_present")
    return tr(lang, "guest.raise_failed")


async def guest_action(
    callback: CallbackQuery, callback_data: GuestAction, caller: Caller, services: Services, bot: Bot
) -> None:
    """Lower or Raise under a guest pass: the owner's rules, the guest's pass checked again."""
    lang = caller.lang
    if services.arrival is None:
        await callback.answer(tr(lang, "lower.no_blocker"), show_alert=True)
        return
    try:
        view = await services.guests.view(user_id=caller.user_id, pass_id=callback_data.pass_id)
        if callback_data.action == "raise":
            await callback.answer()
            text = _raise_text(lang, await services.arrival.raise_for_guest(view.pass_id, caller.user_id))
        else:

            async def started() -> None:
                await callback.answer(tr(lang, "lower.progress"))

            arrival = await services.arrival.lower_for_guest(view.pass_id, caller.user_id, started=started)
            if arrival.repeated:
                await callback.answer(outcome_text(lang, arrival))
                return
            if arrival.refused is not None:
                await callback.answer()
            text = outcome_text(lang, arrival)
    except InvalidGuestPass:
        await callback.answer(tr(lang, "guest.invalid"), show_alert=True)
        return
    await bot.send_message(caller.telegram_id, text, reply_markup=guest_keyboard(lang, view))
