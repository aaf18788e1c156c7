"""Extending a booking from the reminder's buttons: the use case re-checks it at the moment of
the tap (ownership, the end the reminder was about, the spot still free) and pays it from the
wallet when that covers it; otherwise a saved card or a Checkout link is offered here."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup

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
from core.usecases.booking import ExtendOutcome
from core.usecases.payments import CardOutcome


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
        return
    tz = extended.timezone
    if extended.outcome is ExtendOutcome.STALE:
        await callback.answer(
            tr(lang, "extend.stale", until=fmt.clock_time(extended.ends_at, tz)), show_alert=True
        )
        return
    if extended.outcome is ExtendOutcome.PAID_FROM_WALLET:
        await callback.answer(
            tr(
                lang,
                "extend.done",
                until=fmt.clock_time(extended.ends_at, tz),
                price=fmt.money(extended.price, extended.currency),
            ),
            show_alert=True,
        )
        if callback.message is not None and hasattr(callback.message, "edit_reply_markup"):
            await callback.message.edit_reply_markup(reply_markup=None)  # the choice is made
        return
    assert extended.extension_id is not None
    await callback.answer()
    await _offer_payment(
        callback,
        caller,
        services,
        extended.extension_id,
        extended.ends_at,
        extended.price,
        extended.currency,
        extended.balance,
        tz,
    )


async def _offer_payment(
    callback: CallbackQuery,
    caller: Caller,
    services: Services,
    extension_id: int,
    new_end: datetime,
    price: int,
    currency: str,
    balance: int,
    tz: str,
) -> None:
    lang = caller.lang
    rows = []
    if services.payments is not None:
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
        until=fmt.clock_time(new_end, tz),
        price=fmt.money(price, currency),
        balance=fmt.money(balance, currency),
    )
    if not rows:
        text = Raw(text + "\n" + tr(lang, "pay.unavailable"))
    bot = callback.bot
    assert bot is not None
    await bot.send_message(caller.telegram_id, text, reply_markup=InlineKeyboardMarkup(inline_keyboard=rows))


async def pay_extension(
    callback: CallbackQuery, callback_data: ExtensionPay, caller: Caller, services: Services, bot: Bot
) -> None:
    lang = caller.lang
    if services.payments is None:
        await callback.answer(tr(lang, "pay.unavailable"), show_alert=True)
        return
    try:
        if callback_data.method == "card":
            result = await services.payments.pay_extension_with_card(
                callback_data.extension_id, caller.user_id, callback_data.card_id
            )
            if result.outcome == CardOutcome.PAID:
                await callback.answer(tr(lang, "pay.processing"))
                return  # the "extended" notification follows through the outbox
            link = result.checkout
        else:
            link = await services.payments.extension_checkout(callback_data.extension_id, caller.user_id)
    except (InvalidTransition, SpotTaken):
        await callback.answer(tr(lang, "extend.not_possible"), show_alert=True)
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


def build_router() -> Router:
    router = Router(name="extension")
    router.callback_query.register(extend, ExtendAction.filter())
    router.callback_query.register(pay_extension, ExtensionPay.filter())
    return router
