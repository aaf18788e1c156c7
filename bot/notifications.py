"""Telegram channel of the outbox: renders each notification kind in the user's language at
send time (so a language change applies to queued messages too) and classifies failures."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import format as fmt
from bot.callbacks import BookingAction, ExtendAction
from bot.i18n import CATALOGS, Raw, tr, tr_label
from core.blockers import CommandStatus
from core.db import Database
from core.errors import NotFound
from core.models import Blocker, Notification, Premise, Reservation, Spot, User
from core.services.outbox import Delivery, DeliveryResult
from core.services.places import place_of

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    keyboard: InlineKeyboardMarkup | None = None


async def _booking(
    session: AsyncSession, payload: dict[str, Any]
) -> tuple[Reservation, Spot, Premise] | None:
    reservation = await session.get(Reservation, int(payload.get("reservation_id") or 0))
    if reservation is None:
        return None
    try:
        spot, premise = await place_of(session, reservation)
    except NotFound:
        return None
    return reservation, spot, premise


def _refund_text(lang: str, payload: dict[str, Any], currency: str) -> Raw:
    parts = []
    if payload.get("refund_wallet"):
        parts.append(tr(lang, "cancel.refund_wallet", amount=fmt.money(payload["refund_wallet"], currency)))
    if payload.get("refund_card"):
        parts.append(tr(lang, "cancel.refund_card", amount=fmt.money(payload["refund_card"], currency)))
    return Raw(" ".join(parts) or tr(lang, "cancel.refund_none"))


async def render(session: AsyncSession, note: Notification, lang: str) -> Rendered:
    p = note.payload
    found = await _booking(session, p) if "reservation_id" in p else None
    if found is not None:
        r, spot, premise = found
        tz = premise.timezone
        common = {
            "id": r.id,
            "name": premise.name,
            "spot": spot.label,
            "address": premise.address,
            "window": fmt.window(r.starts_at, r.ends_at, tz, lang),
            "price": fmt.money(r.price, r.currency),
        }
        if note.kind == "booking_confirmed":
            has_blocker = await session.scalar(select(Blocker.id).where(Blocker.spot_id == spot.id))
            lower_row = [
                InlineKeyboardButton(
                    text=tr(lang, "btn.lower"),
                    callback_data=BookingAction(action="lower", reservation_id=r.id).pack(),
                )
            ]
            keyboard = InlineKeyboardMarkup(
                inline_keyboard=[
                    *([lower_row] if has_blocker else []),
                    [
                        InlineKeyboardButton(
                            text=tr(lang, "btn.navigate"),
                            callback_data=BookingAction(action="navigate", reservation_id=r.id).pack(),
                        )
                    ],
                    [
                        InlineKeyboardButton(
                            text=tr(lang, "btn.cancel_booking"),
                            callback_data=BookingAction(action="cancel", reservation_id=r.id).pack(),
                        )
                    ],
                ]
            )
            return Rendered(tr(lang, "notify.booking_confirmed", **common), keyboard)
        if note.kind == "booking_cancelled":
            return Rendered(
                tr(lang, "notify.booking_cancelled", **common, refund=_refund_text(lang, p, r.currency))
            )
        if note.kind == "booking_completed":
            key = "notify.booking_completed_no_show" if p.get("no_show") else "notify.booking_completed"
            return Rendered(tr(lang, key, **common))
        if note.kind == "booking_extended":
            return Rendered(
                tr(
                    lang,
                    "notify.booking_extended",
                    **common,
                    until=fmt.clock_time(r.ends_at, tz),
                    added=fmt.money(int(p.get("added_price", 0)), r.currency),
                )
            )
        if note.kind == "booking_reminder":
            return _reminder(lang, p, r, spot.label, premise.name, tz)
        if note.kind == "hold_expired":
            again = BookingAction(action="book_again", reservation_id=r.id).pack()
            return Rendered(
                tr(lang, "notify.hold_expired", id=r.id, name=premise.name),
                InlineKeyboardMarkup(
                    inline_keyboard=[
                        [InlineKeyboardButton(text=tr(lang, "btn.book_again"), callback_data=again)]
                    ]
                ),
            )
        if note.kind == "lower_late":
            status = str(p.get("status", "timeout"))
            if status == "ok":
                return Rendered(tr(lang, "lower.late_ok"))
            retry = BookingAction(action="lower", reservation_id=r.id).pack()
            outcome = (
                tr(lang, f"lower.{status}") if f"lower.{status}" in _LOWER_KEYS else tr(lang, "lower.timeout")
            )
            return Rendered(
                tr(lang, "lower.late_failed", outcome=outcome),
                InlineKeyboardMarkup(
                    inline_keyboard=[
                        [InlineKeyboardButton(text=tr(lang, "btn.retry_lower"), callback_data=retry)]
                    ]
                ),
            )
        if note.kind == "lower_failed_after_all":
            status = str(p.get("status", "jammed"))
            reason = tr(lang, f"lower.{status}") if f"lower.{status}" in CATALOGS["en"] else ""
            retry_button = InlineKeyboardButton(
                text=tr(lang, "btn.lower"),
                callback_data=BookingAction(action="lower", reservation_id=r.id).pack(),
            )
            return Rendered(
                tr(lang, "notify.lower_failed_after_all", **common, reason=reason),
                InlineKeyboardMarkup(inline_keyboard=[[retry_button]]),
            )
        if note.kind == "payment_refunded":
            reason = str(p.get("reason", "other"))
            reason_key = (
                f"refund_reason.{reason}" if reason in ("spot_taken", "duplicate") else "refund_reason.other"
            )
            return Rendered(
                tr(
                    lang,
                    "notify.payment_refunded",
                    id=r.id,
                    amount=fmt.money(int(p["amount"]), str(p["currency"])),
                    reason=tr(lang, reason_key),
                )
            )
    if note.kind == "wallet_topped_up":
        return Rendered(
            tr(
                lang,
                "notify.wallet_topped_up",
                amount=fmt.money(int(p["amount"]), str(p["currency"])),
                balance=fmt.money(int(p["balance"]), str(p["currency"])),
            )
        )
    if note.kind == "card_saved":
        return Rendered(tr(lang, "notify.card_saved", brand=str(p["brand"]).title(), last4=str(p["last4"])))
    if note.kind == "admin_payment_mismatch":
        return Rendered(
            tr(lang, "notify.admin_payment_mismatch", payment_id=p["payment_id"], reason=str(p["reason"]))
        )
    if note.kind == "admin_refund_failed":
        return Rendered(
            tr(
                lang,
                "notify.admin_refund_failed",
                payment_id=p["payment_id"],
                amount=fmt.money(int(p["amount"]), str(p["currency"])),
                error=str(p["error"]),
            )
        )
    if note.kind in ("admin_blockers_unhealthy", "admin_blockers_recovered"):
        return Rendered(_blocker_list(lang, note.kind, p.get("items") or []))
    if note.kind in (
        "admin_blocker_unhealthy",
        "admin_blocker_recovered",
        "admin_blocker_failed",
        "admin_blocker_ack_conflict",
        "admin_overstay",
    ):
        return Rendered(tr(lang, f"notify.{note.kind}", **{k: str(v) for k, v in p.items()}))
    log.warning("notification %s of kind %s has no specific text", note.id, note.kind)
    return Rendered(tr(lang, "notify.generic"))


def _one_button(text: str, data: BookingAction) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=text, callback_data=data.pack())]]
    )


_LISTED_BLOCKERS = 30  # keeps one alert well inside Telegram's 4096 characters


def _blocker_list(lang: str, kind: str, items: list[dict[str, Any]]) -> Raw:
    """One operators' alert naming every blocker of an outage (or of a recovery)."""
    lines = []
    for item in items[:_LISTED_BLOCKERS]:
        name = html.escape(str(item.get("blocker_id")), quote=False)
        reason = item.get("reason")
        unhealthy = kind == "admin_blockers_unhealthy" and reason
        lines.append(f"• {name} ({html.escape(str(reason), quote=False)})" if unhealthy else f"• {name}")
    if len(items) > _LISTED_BLOCKERS:
        lines.append(tr(lang, "notify.admin_blockers_more", count=len(items) - _LISTED_BLOCKERS))
    return tr(lang, f"notify.{kind}", count=len(items), items=Raw("\n".join(lines)))


def _reminder(lang: str, p: dict[str, Any], r: Reservation, spot: str, name: str, tz: str) -> Rendered:
    end = datetime.fromisoformat(str(p["ends_at"]))
    lines = [tr(lang, "notify.booking_reminder", name=name, spot=spot, until=fmt.clock_time(end, tz))]
    rows = []
    if p.get("options"):
        lines.append(tr(lang, "reminder.extend"))
        for option in p["options"]:
            data = ExtendAction(reservation_id=r.id, minutes=int(option["minutes"]), end=int(end.timestamp()))
            label = tr_label(
                lang,
                "btn.extend",
                duration=fmt.duration(lang, int(option["minutes"])),
                price=fmt.money(int(option["price"]), str(p["currency"])),
            )
            rows.append([InlineKeyboardButton(text=label, callback_data=data.pack())])
    if p.get("next_starts_at"):
        at = fmt.clock_time(datetime.fromisoformat(str(p["next_starts_at"])), tz)
        lines.append(tr(lang, "reminder.must_leave", at=at))
    return Rendered("\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None)


_LOWER_KEYS = frozenset(f"lower.{s.value}" for s in CommandStatus)

# Re-renders the driver's open payment screen of a booking (telegram id, reservation id); says
# whether that screen was the one open. Filled in by the runtime (aiogram-dialog background manager).
ScreenRefresher = Callable[[int, int], Awaitable[bool]]


# Telegram's wording for chats a bot can never write to again.
_PERMANENT_BAD_REQUESTS = ("chat not found", "user is deactivated", "peer_id_invalid", "bot was kicked")


class TelegramSender:
    """The outbox dispatcher's Telegram channel."""

    def __init__(self, bot: Bot, db: Database, *, payment_screen: ScreenRefresher | None = None) -> None:
        self.bot = bot
        self.db = db
        self.payment_screen = payment_screen

    async def prepare(self, notification: Notification, user: User) -> object:
        if user.telegram_id is None:
            return DeliveryResult(Delivery.PERMANENT, error="user has no Telegram chat")
        async with self.db.read() as session:
            rendered = await render(session, notification, user.language)
        # A lapsed hold whose payment screen is open is told on that screen, not in a new message.
        edits_screen = notification.kind == "hold_expired" and self.payment_screen is not None
        reservation_id = int(notification.payload.get("reservation_id") or 0) if edits_screen else None
        return _Outgoing(notification.id, user.telegram_id, rendered, reservation_id)

    async def send(self, prepared: object) -> DeliveryResult:
        if isinstance(prepared, DeliveryResult):
            return prepared
        assert isinstance(prepared, _Outgoing)
        if prepared.screen_of is not None and self.payment_screen is not None:
            try:
                if await self.payment_screen(prepared.chat_id, prepared.screen_of):
                    return DeliveryResult(Delivery.SENT)
            except Exception:  # the message below tells the driver all the same
                log.exception("notification %s: payment screen not refreshed", prepared.note_id)
        try:
            await self.bot.send_message(
                prepared.chat_id, prepared.rendered.text, reply_markup=prepared.rendered.keyboard
            )
        except TelegramRetryAfter as exc:
            return DeliveryResult(Delivery.RETRY, retry_after=float(exc.retry_after), error="rate limited")
        except TelegramForbiddenError as exc:
            return DeliveryResult(Delivery.PERMANENT, error=exc.message)
        except TelegramBadRequest as exc:
            permanent = any(p in exc.message.lower() for p in _PERMANENT_BAD_REQUESTS)
            # Any other 400 is our bug (bad markup); retrying cannot help either.
            log.log(
                logging.INFO if permanent else logging.ERROR,
                "notification %s: %s",
                prepared.note_id,
                exc.message,
            )
            return DeliveryResult(Delivery.PERMANENT, error=exc.message)
        except (TelegramServerError, TelegramNetworkError) as exc:
            return DeliveryResult(Delivery.RETRY, error=str(exc)[:200])
        return DeliveryResult(Delivery.SENT)


@dataclass(frozen=True, slots=True)
class _Outgoing:
    note_id: int
    chat_id: int
    rendered: Rendered
    screen_of: int | None = None  # a reservation whose open payment screen shows this instead
