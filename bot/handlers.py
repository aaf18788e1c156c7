"""Commands, the phone contact, buttons of notifications, and what to do with anything else."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import (
    CallbackQuery,
    ErrorEvent,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardRemove,
)
from aiogram_dialog import DialogManager, ShowMode, StartMode

from bot import format as fmt
from bot.arrival import outcome_text, parked_keyboard
from bot.blocked_bay import after_choice_keyboard, choice_text, offer_keyboard, offer_text
from bot.calendar import send_calendar
from bot.callbacks import BookingAction, GuestAction, IncidentAction, ReviewStars, WaitlistAction
from bot.commands import show_admin_command
from bot.context import Caller, Services
from bot.dialogs.admin import AdminSG, open_console
from bot.dialogs.common import phone_keyboard, refusal_text, show_hint
from bot.dialogs.reviews import rate_from_message
from bot.dialogs.states import BookingsSG, BookSG, FindSG, LanguageSG, MenuSG, WalletSG
from bot.extension import drop_buttons, offer_extensions, replace_tapped
from bot.guests import guest_action, open_pass
from bot.i18n import CATALOGS, tr, tr_label
from bot.incidents import incident_action
from core.errors import DomainError, InvalidInvite, InvalidPhone, OfferLapsed, PhoneTaken
from core.permissions import INVITE_HOURS
from core.rules import is_over
from core.services import booking, guests
from core.usecases.admin import INVITE_PREFIX
from core.usecases.attendance import Answer
from core.usecases.blocked_bay import Outcome as BayOutcome
from core.usecases.waitlist import TakeOutcome

log = logging.getLogger(__name__)


async def start(
    message: Message,
    command: CommandObject,
    caller: Caller,
    services: Services,
    dialog_manager: DialogManager,
    bot: Bot,
) -> None:
    payload = command.args or ""
    if payload.startswith(guests.PREFIX):
        # A booking shared with this user (issue 16): the guest's screen, nothing else.
        await open_pass(message, payload.removeprefix(guests.PREFIX), caller, services)
        return
    if payload.startswith(INVITE_PREFIX):
        await accept_invite(
            message, payload.removeprefix(INVITE_PREFIX), caller, services, dialog_manager, bot
        )
        return
    # Deep links: t.me/<bot>?start=paid_<reservation id> (back from the payment page),
    # booking_<id>, wallet.
    if payload.startswith(("paid_", "booking_")) and payload.partition("_")[2].isdigit():
        try:
            async with services.db.read() as s:
                await booking.get_owned(s, int(payload.partition("_")[2]), caller.user_id)
        except DomainError:
            await message.answer(tr(caller.lang, "error.no_such_booking"))
            await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
            return
        await dialog_manager.start(
            BookingsSG.detail,
            mode=StartMode.RESET_STACK,
            data={"reservation_id": int(payload.partition("_")[2])},
        )
        return
    if payload == "wallet":
        await dialog_manager.start(WalletSG.main, mode=StartMode.RESET_STACK)
        return
    lang = caller.lang
    greeting = tr(lang, "start.greeting", name=message.from_user.first_name if message.from_user else "")
    welcome = await services.users.greet(caller.user_id)
    if welcome.first_contact:
        # Who we are and, unless answered, the phone request, in one message (it carries the
        # request's reply keyboard, which a window cannot), then the menu.
        text = f"{greeting}\n\n{tr(lang, 'start.about')}"
        if welcome.phone.open:
            text += f"\n\n{tr(lang, 'start.share_phone')}"
        await message.answer(
            text, reply_markup=phone_keyboard(lang) if welcome.phone.open else ReplyKeyboardRemove()
        )
        await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
        return
    # A returning driver: one message, the menu with the greeting on top; one who has neither
    # shared a number nor skipped finds the phone request there as a button.
    show_hint(dialog_manager, greeting)
    await dialog_manager.start(
        MenuSG.main,
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
        data={"offer_phone": welcome.phone.open},
    )


async def contact(
    message: Message, caller: Caller, services: Services, dialog_manager: DialogManager
) -> None:
    assert message.contact is not None
    if message.contact.user_id != caller.telegram_id:
        await message.answer(tr(caller.lang, "phone.not_yours"), reply_markup=phone_keyboard(caller.lang))
        return
    try:
        phone = await services.users.set_phone(caller.user_id, message.contact.phone_number)
    except InvalidPhone:
        await message.answer(tr(caller.lang, "phone.invalid"), reply_markup=phone_keyboard(caller.lang))
        return
    except PhoneTaken:
        await message.answer(tr(caller.lang, "phone.taken"), reply_markup=ReplyKeyboardRemove())
        return
    await message.answer(tr(caller.lang, "phone.saved", phone=phone), reply_markup=ReplyKeyboardRemove())
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def accept_invite(
    message: Message, token: str, caller: Caller, services: Services, dialog_manager: DialogManager, bot: Bot
) -> None:
    """`/start staff_<token>`: a staff invite link (DESIGN.md §11)."""
    try:
        grant = await services.admin.accept_invite(caller.user_id, token)
    except InvalidInvite as error:
        await message.answer(tr(caller.lang, f"admin.invite_invalid.{error.reason}", hours=INVITE_HOURS))
        await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
        return
    await message.answer(
        tr(
            caller.lang,
            "admin.welcome",
            role=tr(caller.lang, f"admin.role.{grant.role.value}"),
            name=grant.premise_name,
        )
    )
    await show_admin_command(bot, caller.telegram_id, caller.lang)
    await dialog_manager.start(AdminSG.premises, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def admin(message: Message, caller: Caller, services: Services, dialog_manager: DialogManager) -> None:
    """`/admin`: the console for owners and staff; for anybody else exactly what an unknown
    command gets."""
    if not await open_console(message, caller, services, dialog_manager):
        await anything_else(message, caller, dialog_manager)


async def find(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(FindSG.location, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def bookings(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(BookingsSG.list, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def wallet(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(WalletSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def language(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(LanguageSG.choose, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def help_(message: Message, dialog_manager: DialogManager) -> None:
    await dialog_manager.start(MenuSG.help, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def cancel(message: Message, caller: Caller, dialog_manager: DialogManager) -> None:
    await message.answer(tr(caller.lang, "cancelled"), reply_markup=ReplyKeyboardRemove())
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def skip_phone(
    message: Message, caller: Caller, services: Services, dialog_manager: DialogManager
) -> None:
    await services.users.skip_phone(caller.user_id)  # not asked again
    # The reply keyboard goes only with a message of its own; the menu follows it.
    await message.answer(tr(caller.lang, "phone.skipped"), reply_markup=ReplyKeyboardRemove())
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def booking_action(
    callback: CallbackQuery,
    callback_data: BookingAction,
    caller: Caller,
    services: Services,
    dialog_manager: DialogManager,
    bot: Bot,
) -> None:
    """Buttons under notifications. Nothing in the callback is trusted: ownership and state
    are checked again here."""
    if callback_data.action in ("keep", "give_up"):
        await answer_still_coming(callback, callback_data, caller, services)
        return
    if callback_data.action in ("bay_move", "bay_refund"):
        await answer_blocked_bay(callback, callback_data, caller, services)
        return
    try:
        details = await services.booking.details(
            user_id=caller.user_id, reservation_id=callback_data.reservation_id
        )
    except DomainError:
        await callback.answer(tr(caller.lang, "error.no_such_booking"), show_alert=True)
        return
    reservation, premise = details.reservation, details.premise
    if callback_data.action == "navigate":
        await callback.answer()
        await bot.send_venue(
            caller.telegram_id,
            latitude=premise.lat,
            longitude=premise.lon,
            title=premise.name,
            address=premise.address,
        )
        return
    if callback_data.action == "lower":
        await lower_from_message(callback, caller, services, bot, reservation.id)
        return
    if callback_data.action == "pay":
        # The hold warning's "Pay now": the payment screen says itself if it was paid or lapsed.
        await callback.answer()
        await dialog_manager.start(
            BookSG.pay,
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.SEND,
            data={"reservation_id": reservation.id, "premise_id": premise.id},
        )
        return
    if callback_data.action == "extend":
        await offer_extensions(callback, caller, services, reservation.id)
        return
    if callback_data.action == "calendar":
        refused = await send_calendar(bot, services, caller, reservation.id)
        await callback.answer(refused, show_alert=refused is not None)
        return
    now = services.clock.now()
    closes = callback_data.action == "end" or (callback_data.action == "cancel" and not details.can_cancel)
    if closes and is_over(reservation.status, reservation.ends_at, now):
        # Cancelled, lapsed or ended already: the message's buttons have nothing left to do.
        status = tr_label(caller.lang, f"status.{reservation.status.value}")
        await callback.answer(
            tr_label(caller.lang, "booking.closed", id=reservation.id, status=status), show_alert=True
        )
        await drop_buttons(callback)
        return
    if callback_data.action == "end" and not details.can_end_now:
        callback_data = BookingAction(action="open", reservation_id=reservation.id)  # not started yet
    if callback_data.action == "end":
        await callback.answer()
        await dialog_manager.start(
            BookingsSG.end,
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.SEND,
            data={"reservation_id": reservation.id},
        )
        return
    if callback_data.action == "book_again":
        await callback.answer()
        # The same car park and stay; the old start if it is still ahead, else now.
        start = reservation.starts_at if reservation.starts_at > services.clock.now() else None
        await dialog_manager.start(
            BookSG.duration,
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.SEND,
            data={"premise_id": premise.id, **({"start": start.isoformat()} if start else {})},
        )
        return
    if callback_data.action == "cancel" and not details.can_cancel:
        # A confirmation's button after the start: the booking's screen offers to end it.
        await callback.answer(tr(caller.lang, "cancel.too_late"), show_alert=True)
        await dialog_manager.start(
            BookingsSG.detail,
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.SEND,
            data={"reservation_id": reservation.id},
        )
        return
    if callback_data.action == "cancel":
        await callback.answer()
        await dialog_manager.start(
            BookingsSG.cancel,
            mode=StartMode.RESET_STACK,
            show_mode=ShowMode.SEND,
            data={"reservation_id": reservation.id},
        )
        return
    await callback.answer()
    await dialog_manager.start(
        BookingsSG.detail,
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
        data={"reservation_id": reservation.id},
    )


async def waitlist_action(
    callback: CallbackQuery,
    callback_data: WaitlistAction,
    caller: Caller,
    services: Services,
    dialog_manager: DialogManager,
) -> None:
    """ "Hold it" under a waitlist offer: a normal unpaid hold, then the usual payment screen.
    "Tell me when a spot frees up" under a lapsed offer: the same stay wished for again."""
    if callback_data.action == "again":
        await _wait_again(callback, callback_data.wish_id, caller, services)
        return
    try:
        taken = await services.waitlist.take(user_id=caller.user_id, wish_id=callback_data.wish_id)
    except OfferLapsed:
        await callback.answer(tr(caller.lang, "waitlist.lapsed"), show_alert=True)
        await drop_buttons(callback)
        return
    except DomainError as error:
        await callback.answer(refusal_text(caller.lang, error), show_alert=True)
        return
    if taken.outcome is TakeOutcome.GONE:
        await callback.answer(tr(caller.lang, "waitlist.gone"), show_alert=True)
        await drop_buttons(callback)
        return
    await callback.answer()
    await dialog_manager.start(
        BookSG.pay,
        mode=StartMode.RESET_STACK,
        show_mode=ShowMode.SEND,
        data={"reservation_id": taken.reservation_id, "premise_id": taken.premise_id},
    )


async def _wait_again(callback: CallbackQuery, wish_id: int, caller: Caller, services: Services) -> None:
    try:
        wish = await services.waitlist.wait_again(user_id=caller.user_id, wish_id=wish_id)
    except DomainError as error:
        await callback.answer(refusal_text(caller.lang, error), show_alert=True)
        await drop_buttons(callback)
        return
    await callback.answer()
    await drop_buttons(callback)
    until = fmt.local(wish.expires_at, wish.timezone)
    if isinstance(callback.message, Message):
        await callback.message.answer(
            tr(
                caller.lang,
                "waitlist.joined",
                minutes=services.settings.hold_minutes,
                until=f"{fmt.day(caller.lang, until)} {until:%H:%M}",
            )
        )


async def review_stars(
    callback: CallbackQuery, callback_data: ReviewStars, dialog_manager: DialogManager
) -> None:
    """A star under a completed booking's message ("How was it?")."""
    await rate_from_message(callback, callback_data.reservation_id, callback_data.stars, dialog_manager)


async def answer_still_coming(
    callback: CallbackQuery, callback_data: BookingAction, caller: Caller, services: Services
) -> None:
    """ "Still coming?" answered: the question becomes the outcome (its buttons go, so there is
    no second answer to give)."""
    answer = services.attendance.keep if callback_data.action == "keep" else services.attendance.release
    try:
        done = await answer(user_id=caller.user_id, reservation_id=callback_data.reservation_id)
    except DomainError:
        await callback.answer(tr(caller.lang, "error.no_such_booking"), show_alert=True)
        return
    lang = caller.lang
    if done.answer is Answer.KEPT:
        assert done.ends_at is not None
        text = tr(
            lang,
            "no_show.kept",
            spot=done.spot,
            name=done.premise_name,
            until=fmt.clock_time(done.ends_at, done.timezone),
        )
    elif done.answer is Answer.RELEASED:
        refund = (
            fmt.refund(lang, done.refund, 0, done.currency, done=True)
            if done.refund
            else tr(lang, "no_show.not_refunded")
        )
        text = tr(lang, "no_show.released", spot=done.spot, name=done.premise_name, refund=refund)
    else:
        text = tr(lang, f"no_show.{done.answer.value}")
    await callback.answer()
    await replace_tapped(callback, caller, text)


async def answer_blocked_bay(
    callback: CallbackQuery, callback_data: BookingAction, caller: Caller, services: Services
) -> None:
    """ "Move me" / "Refund me" under a blocked bay's offer: the offer becomes the outcome (its
    buttons go; after a move, the new spot's "I've arrived" takes their place)."""
    choose = services.blocked_bay.move if callback_data.action == "bay_move" else services.blocked_bay.refund
    try:
        done = await choose(user_id=caller.user_id, reservation_id=callback_data.reservation_id)
    except DomainError:
        await callback.answer(tr(caller.lang, "error.no_such_booking"), show_alert=True)
        return
    text, keyboard = choice_text(caller.lang, done), after_choice_keyboard(caller.lang, done)
    if done.outcome in (BayOutcome.MOVED_ALREADY, BayOutcome.GONE):
        # A repeated, concurrent or stale tap: the first tap's outcome stays on the message.
        await callback.answer(str(text), show_alert=True)
        return
    await callback.answer()
    await replace_tapped(callback, caller, text, keyboard)


async def anything_else(message: Message, caller: Caller, dialog_manager: DialogManager) -> None:
    """A message outside any dialog: one answer, the menu with the explanation on top."""
    show_hint(dialog_manager, tr(caller.lang, "unknown_input"))
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def unknown_button(callback: CallbackQuery, caller: Caller, dialog_manager: DialogManager) -> None:
    await callback.answer(tr(caller.lang, "stale_button"))
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def stale_dialog(event: ErrorEvent, dialog_manager: DialogManager, **data: Any) -> None:
    """A button of a dialog that no longer exists (old message, restart with memory storage)."""
    caller: Caller | None = data.get("caller")
    lang = caller.lang if caller else "en"
    update = event.update
    if update.callback_query is not None:
        await update.callback_query.answer(tr(lang, "stale_button"))
    await dialog_manager.start(MenuSG.main, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)


async def unexpected(event: ErrorEvent, **data: Any) -> None:
    log.exception("update %s failed", event.update.update_id, exc_info=event.exception)
    caller: Caller | None = data.get("caller")
    lang = caller.lang if caller else "en"
    update = event.update
    if update.callback_query is not None:
        await update.callback_query.answer(tr(lang, "error.generic"), show_alert=True)
    elif update.message is not None:
        await update.message.answer(tr(lang, "error.generic"))


def build_routers() -> tuple[Router, Router]:
    """New routers for one dispatcher: the commands first, the fallback after the dialogs."""
    router = Router(name="commands")
    fallback_router = Router(name="fallback")
    router.message.register(start, CommandStart())
    router.message.register(contact, F.contact)
    router.message.register(find, Command("find"))
    router.message.register(bookings, Command("bookings"))
    router.message.register(wallet, Command("wallet"))
    router.message.register(language, Command("language"))
    router.message.register(help_, Command("help"))
    router.message.register(cancel, Command("cancel"))
    router.message.register(admin, Command("admin"))
    router.message.register(skip_phone, F.text.in_({tr(lang, "btn.skip") for lang in CATALOGS}))
    router.callback_query.register(booking_action, BookingAction.filter())
    router.callback_query.register(review_stars, ReviewStars.filter())
    router.callback_query.register(incident_action, IncidentAction.filter())
    router.callback_query.register(guest_action, GuestAction.filter())
    router.callback_query.register(waitlist_action, WaitlistAction.filter())
    fallback_router.message.register(anything_else)
    fallback_router.callback_query.register(unknown_button)
    return router, fallback_router


async def lower_from_message(
    callback: CallbackQuery, caller: Caller, services: Services, bot: Bot, reservation_id: int
) -> None:
    """Progress first ("Lowering…"), then the same message tells how it went."""
    if services.arrival is None:
        await callback.answer(tr(caller.lang, "lower.no_blocker"), show_alert=True)
        return
    progress: Message | None = None

    async def started() -> None:
        nonlocal progress
        await callback.answer()
        progress = await bot.send_message(caller.telegram_id, tr(caller.lang, "lower.progress"))

    arrival = await services.arrival.lower(reservation_id, caller.user_id, started=started)
    if progress is None and arrival.repeated:
        # A repeated tap: the lowering under way (or done) answers for it, no new message.
        await callback.answer(outcome_text(caller.lang, arrival))
        return
    if arrival.offer is not None:
        # The bay is blocked: the choice to move or be refunded, in this one message.
        text, markup = offer_text(caller.lang, arrival.offer), offer_keyboard(caller.lang, arrival.offer)
        if progress is None:
            await callback.answer()
            await bot.send_message(caller.telegram_id, text, reply_markup=markup)
        else:
            await progress.edit_text(text, reply_markup=markup)
        return
    keyboard = parked_keyboard(caller.lang, reservation_id) if arrival.ok else None
    retry = (
        InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=tr(caller.lang, "btn.retry_lower"),
                        callback_data=BookingAction(action="lower", reservation_id=reservation_id).pack(),
                    )
                ]
            ]
        )
        if arrival.retryable
        else keyboard
    )
    text = outcome_text(caller.lang, arrival)
    if progress is None:  # refused by the rules before anything was sent
        await callback.answer()
        await bot.send_message(caller.telegram_id, text, reply_markup=retry)
    else:
        await progress.edit_text(text, reply_markup=retry)
