"""What each SMS command does: one use case per command (the same ones Telegram calls), and
the reply in the driver's language. Replies are a list of texts (TwiML messages), each within
two parts: a payment page goes as its short link (`PUBLIC_URL/p/<token>`) in the same text as
the price."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.clock import Clock
from core.errors import (
    ClosedAtThatTime,
    DomainError,
    InvalidInterval,
    InvalidTransition,
    NoSpotFree,
    NotFound,
    NotStarted,
    PaymentUnavailable,
    SpotTaken,
    TooManyHolds,
)
from core.models import ReservationStatus
from core.payments import CheckoutLink
from core.rules import start_now
from core.services.catalog import BookingScope, BookingView
from core.usecases.arrival import ArrivalUseCases, LowerRefused
from core.usecases.attendance import Answer, AttendanceUseCases
from core.usecases.blocked_bay import BlockedBayUseCases
from core.usecases.booking import BookingUseCases, ExtendOutcome, Released
from core.usecases.guests import GuestUseCases
from core.usecases.payments import CardOutcome, PaymentUseCases
from core.usecases.sms import SmsUseCases, Texter
from core.usecases.wallet import WalletUseCases
from sms.commands import Command, Verb
from sms.render import NAME_CHARS, SPOT_CHARS, bay_choice, bay_offer, booking_values, short
from sms.texts import hm, moment, money, t

log = logging.getLogger(__name__)

_LIVE = (ReservationStatus.CONFIRMED, ReservationStatus.ACTIVE)
# LEAVE with nothing in progress cancels (and refunds) a booking not started yet only when it
# starts within this time; a later one stays booked and the reply says from when LEAVE cancels
# it (DESIGN.md §12).
LEAVE_CANCEL_WITHIN = timedelta(hours=2)


@dataclass
class SmsCommands:
    bookings: BookingUseCases
    wallet: WalletUseCases
    payments: PaymentUseCases | None
    arrival: ArrivalUseCases | None
    clock: Clock
    hold_minutes: int
    sms: SmsUseCases
    guests: GuestUseCases | None = None  # a guest pass texted to this number: LOWER opens it
    # "Still coming?" asked by SMS says LEAVE releases the spot: the same release as the
    # Telegram button (the premise's no-show refund rule included), not an early end.
    attendance: AttendanceUseCases | None = None
    # A blocked bay's offer (LOWER's answer, or the sweep's text): MOVE and REFUND choose, as
    # the Telegram buttons "Move me" and "Refund me" do.
    blocked_bay: BlockedBayUseCases | None = None

    async def handle(self, who: Texter, command: Command) -> list[str]:
        """The reply to one command. Opting out or in is Twilio's to confirm: no reply."""
        if command.verb is Verb.OPT_IN and command.said_yes and not who.opted_out:
            # Twilio's opt-in word, never a parking verb (DESIGN.md §12): a driver who meant
            # "pay" is told the verb is PAY.
            return [t(who.lang, "reply.say_pay")]
        if command.verb in (Verb.OPT_OUT, Verb.OPT_IN) or who.opted_out:
            return []
        lang = who.lang
        try:
            match command.verb:
                case Verb.PARK:
                    return await self._park(who, command)
                case Verb.PAY:
                    return await self._pay(who)
                case Verb.LOWER:
                    return await self._lower(who)
                case Verb.EXTEND:
                    return await self._extend(who, command.minutes)
                case Verb.STATUS:
                    return await self._status(who)
                case Verb.LEAVE:
                    return await self._leave(who)
                case Verb.HELP:
                    return [t(lang, "reply.help")]
                case Verb.MOVE | Verb.REFUND:
                    return await self._bay_choice(who, command.verb)
                case _:
                    return [t(lang, "reply.unknown")]
        except PaymentUnavailable:
            log.warning("SMS command %s: the payment provider failed", command.verb.value)
            return [t(lang, "reply.error")]
        except DomainError as exc:
            log.info("SMS command %s refused: %s", command.verb.value, type(exc).__name__)
            return [t(lang, "reply.error")]

    # -- helpers ------------------------------------------------------------------------------

    async def _views(self, user_id: int) -> list[BookingView]:
        """The bookings in progress (started), else the upcoming ones, soonest first."""
        page = await self.bookings.bookings(user_id=user_id, scope=None, limit=10)
        return sorted(page.items, key=lambda v: v.reservation.starts_at)

    async def _hold(self, user_id: int) -> BookingView | None:
        """The unpaid hold PAY pays: the latest."""
        holds = [
            v for v in await self._views(user_id) if v.reservation.status == ReservationStatus.PENDING_PAYMENT
        ]
        return holds[-1] if holds else None

    def _at(self, when: datetime, tz: str, day: datetime | None = None) -> str:
        """`14:30` on the same day (in the car park's zone) as `day`, by default today by the
        command's clock; else `30.11 14:30` (sms/texts.py `moment`, as every SMS names a time)."""
        return moment(when, tz, day or self.clock.now())

    async def _current(self, user_id: int) -> BookingView | None:
        """The paid booking a command acts on: the one in progress, else the next."""
        return next((v for v in await self._views(user_id) if v.reservation.status in _LIVE), None)

    async def _short(self, link: CheckoutLink) -> str:
        """The payment page as `PUBLIC_URL/p/<token>`: with the price, one SMS."""
        assert self.payments is not None
        return await self.payments.short_link(link)

    # -- commands -----------------------------------------------------------------------------

    async def _park(self, who: Texter, command: Command) -> list[str]:
        lang = who.lang
        code = command.code or ""
        # The code first: `PARK 9999` (a code mistyped, no time) must hear about the code.
        premise = await self.sms.premise_by_code(code)
        if premise is None:
            return [t(lang, "reply.no_premise", code=code[:8])]
        if command.minutes is None:
            return [t(lang, "reply.bad_duration", code=code)]
        name = short(premise.name, NAME_CHARS)
        try:
            held = await self.bookings.hold(
                user_id=who.user_id,
                premise_id=premise.premise_id,
                starts_at=start_now(self.clock.now()),
                minutes=command.minutes,
            )
        except InvalidInterval:
            return [t(lang, "reply.bad_duration", code=code)]
        except ClosedAtThatTime:
            return [t(lang, "reply.closed", name=name)]
        except NoSpotFree:
            return [t(lang, "reply.no_spot", name=name)]
        except TooManyHolds:
            return [t(lang, "reply.too_many_holds")]
        details = await self.bookings.details(user_id=who.user_id, reservation_id=held.reservation_id)
        quote = {
            "name": name,
            "spot": short(details.spot.label, SPOT_CHARS),
            "end": self._at(details.reservation.ends_at, premise.timezone),
            "price": money(held.price, held.currency),
            "hold": self.hold_minutes,
        }
        method = await self._method(who, held.price, held.currency)
        if method is not None:
            return [t(lang, "reply.quote_yes", **quote, method=method)]
        if self.payments is None:
            return [t(lang, "reply.payments_off")]
        link = await self.payments.booking_checkout(held.reservation_id, who.user_id, save_card=True)
        return [t(lang, "reply.quote_link", **quote, link=await self._short(link))]

    async def _method(self, who: Texter, price: int, currency: str) -> str | None:
        """How PAY would pay: the wallet when it covers the price, else a saved card."""
        balance = await self.wallet.balance(who.user_id, currency)
        if balance >= price:
            return t(who.lang, "reply.method_wallet", balance=money(balance, currency))
        cards = await self.wallet.cards(who.user_id) if self.payments is not None else []
        if cards:
            return t(who.lang, "reply.method_card", last4=cards[0].last4)
        return None

    async def _pay(self, who: Texter) -> list[str]:
        lang = who.lang
        hold = await self._hold(who.user_id)
        if hold is None:
            return [t(lang, "reply.nothing_to_pay")]
        r = hold.reservation
        price = money(r.price, r.currency)
        if await self.wallet.balance(who.user_id, r.currency) >= r.price:
            await self.wallet.pay_booking(reservation_id=r.id, user_id=who.user_id)
            return await self._booked(who, r.id)
        if self.payments is None:
            return [t(lang, "reply.payments_off")]
        cards = await self.wallet.cards(who.user_id)
        if cards:
            paid = await self.payments.pay_booking_with_card(r.id, who.user_id, cards[0].id)
            if paid.outcome == CardOutcome.PAID:
                return await self._booked(who, r.id)
            assert paid.checkout is not None
            return [t(lang, "reply.pay_link", price=price, link=await self._short(paid.checkout))]
        sent = await self.payments.open_booking_link(r.id, who.user_id)
        if sent is not None:  # the link of the quote is still open: no second page
            return [t(lang, "reply.pay_link_new", price=price, link=sent)]
        link = await self.payments.booking_checkout(r.id, who.user_id, save_card=True)
        return [t(lang, "reply.pay_link_new", price=price, link=await self._short(link))]

    async def _booked(self, who: Texter, reservation_id: int) -> list[str]:
        """Paid by PAY: one text, never "Paid" and then "Booked". The confirmation the payment
        queued (the outbox's: booking, spot, times, paid, "reply LOWER"; or, when the spot was
        lost meanwhile, the refund) is that text when it comes by SMS, so the reply is empty. A
        driver whose confirmation goes to their Telegram chat reads the same words here."""
        if who.told_by_sms:
            return []
        v = await self.bookings.details(user_id=who.user_id, reservation_id=reservation_id)
        if v.reservation.status not in _LIVE:  # refunded instead: their chat says so
            return []
        values = booking_values(v.reservation, v.spot, v.premise, self.clock.now())
        return [t(who.lang, "notify.booking_confirmed", **values)]

    async def _lower(self, who: Texter) -> list[str]:
        lang = who.lang
        current = await self._current(who.user_id)
        guest = None
        if current is None and self.guests is not None:
            # No booking of their own: a guest pass texted to this number (issue 16).
            guest = await self.guests.current_pass(who.user_id)
        if current is None and guest is None:
            return [t(lang, "reply.no_booking")]
        if self.arrival is None:
            return [t(lang, "reply.lower_off")]
        if guest is not None:
            tz, spot, booked_until = guest.timezone, short(guest.spot, SPOT_CHARS), guest.ends_at
            arrival = await self.arrival.lower_for_guest(guest.pass_id, who.user_id)
        else:
            assert current is not None
            tz, spot = current.premise.timezone, short(current.spot.label, SPOT_CHARS)
            booked_until = current.reservation.ends_at
            arrival = await self.arrival.lower(current.reservation.id, who.user_id)
        until = self._at(arrival.ends_at or booked_until, tz)
        if arrival.ok:
            return [t(lang, "reply.lower_ok", spot=spot, until=until)]
        if arrival.offer is not None and guest is None:
            # The bay is blocked (an obstacle, a car on it, the blocker down): not "try again"
            # but the offer, MOVE or REFUND (a guest's lowering opens the owner's booking, whose
            # choice it is not).
            return [bay_offer(lang, arrival.offer)]
        if arrival.refused is None and current is not None and self.blocked_bay is not None:
            # The device failed otherwise (no answer, jammed) on a bay offered already (a car
            # found on it by the sweep): that offer still stands, and is the answer.
            standing = await self.blocked_bay.offer(
                user_id=who.user_id, reservation_id=current.reservation.id
            )
            if standing is not None:
                return [bay_offer(lang, standing)]
        match arrival.refused:
            case LowerRefused.TOO_EARLY:
                assert arrival.opens_at is not None
                return [t(lang, "reply.lower_too_early", at=self._at(arrival.opens_at, tz))]
            case LowerRefused.NO_BLOCKER:
                return [t(lang, "reply.lower_no_blocker", spot=spot, until=until)]
            case LowerRefused.IN_PROGRESS:
                return [t(lang, "reply.lower_busy")]
            case LowerRefused.ALREADY_DOWN:
                return [t(lang, "reply.lower_down", spot=spot)]
            case LowerRefused.ENDED | LowerRefused.WRONG_STATE:
                return [t(lang, "reply.no_booking")]
        return [t(lang, "reply.lower_failed")]

    async def _bay_choice(self, who: Texter, verb: Verb) -> list[str]:
        """MOVE or REFUND: the blocked bay use case the Telegram buttons call, for the driver's
        booking that was offered the choice; without an offer, a reply saying so."""
        lang = who.lang
        offered = await self._offered(who.user_id) if self.blocked_bay is not None else None
        if offered is None:
            return [t(lang, "reply.bay_no_offer")]
        assert self.blocked_bay is not None
        choose = self.blocked_bay.move if verb is Verb.MOVE else self.blocked_bay.refund
        return [bay_choice(lang, await choose(user_id=who.user_id, reservation_id=offered), self.clock.now())]

    async def _offered(self, user_id: int) -> int | None:
        """The driver's live booking that was offered a move or a refund: one still on the
        blocked spot first (the offer open), else one moved off it (MOVE is told so)."""
        found: list[BookingView] = []
        for scope in (BookingScope.ACTIVE, BookingScope.UPCOMING):
            found += (await self.bookings.bookings(user_id=user_id, scope=scope, limit=10)).items
        offered = [
            v.reservation
            for v in found
            if v.reservation.bay_blocked_at is not None
            and v.reservation.status is ReservationStatus.CONFIRMED
        ]
        offered.sort(key=lambda r: (r.bay_blocked_spot_id != r.spot_id, r.starts_at))
        return offered[0].id if offered else None

    async def _extend(self, who: Texter, minutes: int | None) -> list[str]:
        lang = who.lang
        if minutes is None:
            return [t(lang, "reply.ext_bad")]
        current = await self._current(who.user_id)
        if current is None:
            return [t(lang, "reply.no_booking")]
        tz = current.premise.timezone
        try:
            ext = await self.bookings.extend(
                user_id=who.user_id, reservation_id=current.reservation.id, minutes=minutes
            )
        except InvalidInterval:
            return [t(lang, "reply.ext_bad")]
        except (SpotTaken, ClosedAtThatTime):
            return [t(lang, "reply.ext_refused")]
        except (InvalidTransition, NotFound):
            return [t(lang, "reply.no_booking")]
        until, price = self._at(ext.ends_at, tz), money(ext.price, ext.currency)
        # Extended by this reply: the outbox's "now ends at" is the one text when it comes by
        # SMS (as with PAY); a driver told in Telegram reads it here too.
        if ext.outcome == ExtendOutcome.PAID_FROM_WALLET:
            return [] if who.told_by_sms else [t(lang, "reply.ext_done", until=until, price=price)]
        if ext.outcome == ExtendOutcome.FREE:
            return [] if who.told_by_sms else [t(lang, "reply.ext_free", until=until)]
        if self.payments is None or ext.extension_id is None:
            return [t(lang, "reply.payments_off")]
        cards = await self.wallet.cards(who.user_id)
        if cards:
            paid = await self.payments.pay_extension_with_card(ext.extension_id, who.user_id, cards[0].id)
            if paid.outcome == CardOutcome.PAID:
                return [] if who.told_by_sms else [t(lang, "reply.ext_done", until=until, price=price)]
            assert paid.checkout is not None
            link = paid.checkout
        else:
            link = await self.payments.extension_checkout(ext.extension_id, who.user_id)
        return [t(lang, "reply.ext_link", until=until, price=price, link=await self._short(link))]

    async def _status(self, who: Texter) -> list[str]:
        lang = who.lang
        views = await self._views(who.user_id)
        if not views:
            return [t(lang, "reply.no_booking")]
        v = views[0]
        r, tz = v.reservation, v.premise.timezone
        state = {
            ReservationStatus.PENDING_PAYMENT: "reply.state_pending",
            ReservationStatus.CONFIRMED: "reply.state_confirmed",
        }.get(r.status, "reply.state_active")
        return [
            t(
                lang,
                "reply.status",
                id=r.id,
                name=short(v.premise.name, NAME_CHARS),
                spot=short(v.spot.label, SPOT_CHARS),
                start=self._at(r.starts_at, tz),
                end=self._at(r.ends_at, tz, r.starts_at),
                state=t(lang, state),
            )
        ]

    async def _leave(self, who: Texter) -> list[str]:
        lang = who.lang
        views = await self._views(who.user_id)
        if not views:
            return [t(lang, "reply.no_booking")]
        v = views[0]
        r, tz = v.reservation, v.premise.timezone
        place = {
            "id": r.id,
            "name": short(v.premise.name, NAME_CHARS),
            "spot": short(v.spot.label, SPOT_CHARS),
        }
        if r.status == ReservationStatus.PENDING_PAYMENT:
            match await self.bookings.release_hold(user_id=who.user_id, reservation_id=r.id):
                case Released.RELEASED:
                    return [t(lang, "reply.hold_released", **place)]
                case Released.PAID:  # paid meanwhile (the link, another device): it stays booked
                    start, end = self._at(r.starts_at, tz), self._at(r.ends_at, tz, r.starts_at)
                    return [t(lang, "reply.hold_paid", **place, start=start, end=end)]
                case Released.GONE:  # expired or released already
                    return [t(lang, "reply.hold_gone", **place)]
        if (
            self.attendance is not None
            and r.status == ReservationStatus.CONFIRMED
            and r.no_show_asked_at is not None
            and r.kept_at is None
        ):
            done = await self.attendance.release(user_id=who.user_id, reservation_id=r.id)
            if done.answer is Answer.RELEASED:
                if done.refund:
                    return [
                        t(lang, "reply.released_refund", id=r.id, amount=money(done.refund, done.currency))
                    ]
                return [t(lang, "reply.released", id=r.id)]
        try:
            ended = await self.bookings.end_now(user_id=who.user_id, reservation_id=r.id)
        except NotStarted:
            return await self._cancel(who, v)
        end = hm(ended.ends_at, tz)
        if ended.refund:
            amount = money(ended.refund, ended.currency)
            return [t(lang, "reply.left", id=r.id, end=end, amount=amount, minutes=ended.unused_minutes)]
        return [t(lang, "reply.left_none" if ended.refunds_on else "reply.left_off", id=r.id, end=end)]

    async def _cancel(self, who: Texter, v: BookingView) -> list[str]:
        """LEAVE before the start: cancelled and refunded in full, when the booking starts
        within LEAVE_CANCEL_WITHIN; a later one is left as it is (one word by SMS never cancels
        a booking days ahead), and the driver is told when LEAVE will cancel it."""
        lang, r, tz = who.lang, v.reservation, v.premise.timezone
        if r.starts_at - self.clock.now() > LEAVE_CANCEL_WITHIN:
            return [
                t(
                    lang,
                    "reply.leave_later",
                    id=r.id,
                    start=self._at(r.starts_at, tz),
                    at=self._at(r.starts_at - LEAVE_CANCEL_WITHIN, tz),
                )
            ]
        cancelled = await self.bookings.cancel(user_id=who.user_id, reservation_id=r.id)
        refunded = cancelled.refunded_to_wallet + cancelled.refund_to_card
        if refunded:
            return [t(lang, "reply.cancelled", id=r.id, amount=money(refunded, cancelled.currency))]
        return [t(lang, "reply.cancelled_free", id=r.id)]
