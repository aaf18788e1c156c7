"""Extending a booking from the reminder's buttons: the use case re-checks it at the moment of
the tap (ownership, the end the reminder was about, the spot still free) and pays it from the
wallet when that covers it; otherwise a saved card or a Checkout link is offered here."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot import format as fmt
from bot.callbacks import ExtendAction, ExtensionPay
from bot.context import Caller, Services
from bot.i18n import Raw, tr, tr_label
from core.errors import (
    ClosedAtThatTime,
    DomainError,
    InsufficientFunds,
    InvalidInterval,
    InvalidTransition,
    NotFound,
    PaymentUnavailable,
    SpotTaken,
)
from core.rules import topup_to_cover
from core.usecases.booking import ExtendOutcome, Extension
from core.usecases.payments import CardOutcome


async def drop_buttons(callback: CallbackQuery) -> None:
    """The message's buttons have done their part (or have nothing left to do)."""
    message = callback.message
    if isinstance(message, Message):
        with contextlib.suppress(TelegramBadRequest):  # gone already, or no buttons left
            await message.edit_reply_markup(reply_markup=None)


async def replace_tapped(
    callback: CallbackQuery, caller: Caller, text: str, keyboard: InlineKeyboardMarkup | None = None
) -> None:
    """The tapped message becomes what happened next (one message per choice, no stale buttons);
    a message that cannot be edited any more is answered with a new one."""
    message = callback.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=keyboard)
            return
        except TelegramBadRequest:
            pass
    bot = callback.bot
    assert bot is not None
    await bot.send_message(caller.telegram_id, text, reply_markup=keyboard)


def extension_rows(
    lang: str, reservation_id: int, end: datetime, options: list[tuple[int, int]], currency: str
) -> list[list[InlineKeyboardButton]]:
    """ "+ 1 h · 2.50 EUR" buttons, one a row: (minutes, price). `end` is the end they extend."""
    rows = []
    for minutes, price in options:
        data = ExtendAction(reservation_id=reservation_id, minutes=minutes, end=int(end.timestamp()))
        # Past the daily cap more time costs nothing: "no charge", never "0.00 EUR".
        label = tr_label(
            lang,
            "btn.extend" if price else "btn.extend_free",
            duration=fmt.duration(lang, minutes),
            price=fmt.money(price, currency),
        )
        rows.append([InlineKeyboardButton(text=label, callback_data=data.pack())])
    return rows


async def offer_extensions(
    callback: CallbackQuery, caller: Caller, services: Services, reservation_id: int
) -> None:
    """ "Extend" under "Park now!": the reminder's choices, as of now, in a new message."""
    lang = caller.lang
    try:
        choices = await services.booking.extension_choices(
            user_id=caller.user_id, reservation_id=reservation_id
        )
    except NotFound:
        await callback.answer(tr(lang, "error.no_such_booking"), show_alert=True)
        return
    tz = choices.timezone
    if not choices.options:
        if choices.next_starts_at is not None:
            alert = tr_label(lang, "extend.none_next", at=fmt.clock_time(choices.next_starts_at, tz))
        else:
            alert = tr(lang, "extend.not_possible")
        await callback.answer(alert, show_alert=True)
        return
    await callback.answer()
    lines = [
        tr(
            lang,
            "notify.booking_reminder",
            name=choices.premise_name,
            spot=choices.spot,
            until=fmt.clock_time(choices.ends_at, tz),
        ),
        tr(lang, "reminder.extend"),
    ]
    options = [(o.minutes, o.price) for o in choices.options]
    rows = extension_rows(lang, reservation_id, choices.ends_at, options, choices.currency)
    bot = callback.bot
    assert bot is not None
    await bot.send_message(
        caller.telegram_id, "\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=rows)
    )


async def extend(
    callback: CallbackQuery, callback_data: ExtendAction, caller: Caller, services: Services
) -> None:
    lang = caller.lang
    try:
        extended = await services.booking.extend(
            user_id=caller.user_id,
            reservation_id=callback_data.reservation_id,
            minutes=callback_data.minutes,
            reminded_end=datetime.fromtimestamp(callback_data.end, UTC),
        )
    except NotFound:
        await callback.answer(tr(lang, "error.no_such_booking"), show_alert=True)
        return
    except SpotTaken:
        await callback.answer(tr(lang, "extend.taken"), show_alert=True)
        return
    except ClosedAtThatTime as exc:
        # An alert is plain text, like a button: not escaped.
        await callback.answer(tr_label(lang, "closed.at_that_time", hours=exc.opening_hours), show_alert=True)
        return
    except (InvalidTransition, InvalidInterval, InsufficientFunds):
        await callback.answer(tr(lang, "extend.not_possible"), show_alert=True)
        await drop_buttons(callback)
        return
    tz = extended.timezone
    if extended.outcome is ExtendOutcome.STALE:
        await callback.answer(
            tr(lang, "extend.stale", until=fmt.clock_time(extended.ends_at, tz)), show_alert=True
        )
        await drop_buttons(callback)
        return
    if extended.outcome in (ExtendOutcome.PAID_FROM_WALLET, ExtendOutcome.FREE):
        await callback.answer()
        # The reminder now says what was done, and has nothing left to tap.
        done = tr(
            lang,
            "extend.done" if extended.outcome is ExtendOutcome.PAID_FROM_WALLET else "extend.done_free",
            name=extended.premise_name,
            spot=extended.spot,
            until=fmt.clock_time(extended.ends_at, tz),
            price=fmt.money(extended.price, extended.currency),
        )
        await replace_tapped(callback, caller, done)
        return
    assert extended.extension_id is not None
    await callback.answer()
    await _offer_payment(callback, caller, services, extended)


async def _offer_payment(
    callback: CallbackQuery, caller: Caller, services: Services, extended: Extension
) -> None:
    """The wallet is short: the reminder turns into the extension's payment choices (a top-up,
    then the wallet; a saved card; the payment page)."""
    lang = caller.lang
    assert extended.extension_id is not None
    extension_id, currency = extended.extension_id, extended.currency
    rows = []
    if services.payments is not None:
        topup = topup_to_cover(extended.price, extended.balance)
        rows.append(
            [
                InlineKeyboardButton(
                    text=tr_label(lang, "btn.topup_short", amount=fmt.money(topup, currency)),
                    callback_data=ExtensionPay(method="topup", extension_id=extension_id).pack(),
                ),
                InlineKeyboardButton(
                    text=tr(lang, "btn.pay_extension_wallet"),
                    callback_data=ExtensionPay(method="wallet", extension_id=extension_id).pack(),
                ),
            ]
        )
        for card in await services.wallet.cards(caller.user_id):
            data = ExtensionPay(method="card", extension_id=extension_id, card_id=card.id).pack()
            rows.append(
                [
                    InlineKeyboardButton(
                        text=tr_label(lang, "btn.pay_card", brand=card.brand.title(), last4=card.last4),
                        callback_data=data,
                    )
                ]
            )
        rows.append(
            [
                InlineKeyboardButton(
                    text=tr(lang, "btn.pay_link"),
                    callback_data=ExtensionPay(method="link", extension_id=extension_id).pack(),
                )
            ]
        )
    text = tr(
        lang,
        "extend.pay",
        name=extended.premise_name,
        spot=extended.spot,
        until=fmt.clock_time(extended.ends_at, extended.timezone),
        price=fmt.money(extended.price, currency),
        balance=fmt.money(extended.balance, currency),
    )
    if not rows:
        text = Raw(text + "\n" + tr(lang, "pay.unavailable"))
    await replace_tapped(callback, caller, text, InlineKeyboardMarkup(inline_keyboard=rows) if rows else None)


async def pay_extension(
    callback: CallbackQuery, callback_data: ExtensionPay, caller: Caller, services: Services, bot: Bot
) -> None:
    lang = caller.lang
    if callback_data.method == "wallet":
        await _pay_extension_from_wallet(callback, callback_data, caller, services)
        return
    if services.payments is None:
        await callback.answer(tr(lang, "pay.unavailable"), show_alert=True)
        return
    try:
        if callback_data.method == "topup":
            topup = await services.payments.topup_for_extension(callback_data.extension_id, caller.user_id)
            await callback.answer()
            await bot.send_message(
                caller.telegram_id,
                tr(lang, "extend.topup_link", amount=fmt.money(topup.amount, topup.currency)),
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[
                        [InlineKeyboardButton(text=tr(lang, "btn.open_page"), url=topup.checkout.url)]
                    ]
                ),
            )
            return
        if callback_data.method == "card":
            result = await services.payments.pay_extension_with_card(
                callback_data.extension_id, caller.user_id, callback_data.card_id
            )
            if result.outcome == CardOutcome.PAID:
                await callback.answer()
                # Paid: this message has done its part; the "extended" notification follows.
                await replace_tapped(callback, caller, tr(lang, "extend.paid_card"))
                return
            link = result.checkout
        else:
            link = await services.payments.extension_checkout(callback_data.extension_id, caller.user_id)
    except (InvalidTransition, SpotTaken):
        await callback.answer(tr(lang, "extend.not_possible"), show_alert=True)
        await drop_buttons(callback)
        return
    except PaymentUnavailable:
        await callback.answer(tr(lang, "pay.unavailable"), show_alert=True)
        return
    except DomainError:
        await callback.answer(tr(lang, "error.no_such_booking"), show_alert=True)
        return
    await callback.answer()
    assert link is not None
    await bot.send_message(
        caller.telegram_id,
        tr(lang, "pay.link"),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text=tr(lang, "btn.open_page"), url=link.url)]]
        ),
    )


async def _pay_extension_from_wallet(
    callback: CallbackQuery, callback_data: ExtensionPay, caller: Caller, services: Services
) -> None:
    """After a top-up: the wallet pays the extension."""
    lang = caller.lang
    try:
        paid = await services.wallet.pay_extension(
            extension_id=callback_data.extension_id, user_id=caller.user_id
        )
    except InsufficientFunds as exc:
        await callback.answer(
            tr_label(
                lang,
                "extend.wallet_short",
                balance=fmt.money(exc.balance, exc.currency),
                price=fmt.money(exc.needed, exc.currency),
            ),
            show_alert=True,
        )
        return
    except (InvalidTransition, SpotTaken):
        await callback.answer(tr(lang, "extend.not_possible"), show_alert=True)
        await drop_buttons(callback)
        return
    except DomainError:
        await callback.answer(tr(lang, "error.no_such_booking"), show_alert=True)
        return
    await callback.answer()
    await replace_tapped(
        callback, caller, tr(lang, "extend.paid_wallet", price=fmt.money(paid.amount, paid.currency))
    )


def build_router() -> Router:
    router = Router(name="extension")
    router.callback_query.register(extend, ExtendAction.filter())
    router.callback_query.register(pay_extension, ExtensionPay.filter())
    return router
