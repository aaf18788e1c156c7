"""The console's Bookings section as staff see it: "📋 Bookings" on the first screen, finding a
booking by number, by phone and in a car park's list, its screen and history, a partial refund
(an amount beyond what is left is refused), a move to a chosen spot, each with a reason and a
confirmation; an attendant sees no Refund and a forged one is refused and audited. The walk is
also written to tests/bot/catalogue/console_bookings.<lang>.txt (UPDATE_CATALOGUE=1
regenerates it; read the diff) with the phone-size limits of the driver's catalogue."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.context import Services
from bot.dialogs.admin.bookings import _event_text
from core.clock import ManualClock
from core.errors import RefundTooLarge
from core.models import (
    AuditEntry,
    AuditOutcome,
    Blocker,
    Channel,
    ExtensionStatus,
    Notification,
    NotificationStatus,
    Payment,
    PaymentMethodKind,
    PaymentPurpose,
    PaymentStatus,
    Reservation,
    ReservationExtension,
    StaffRole,
    WalletTxKind,
)
from core.notifications import NotificationKind
from core.services import booking, outbox, wallet
from core.services import payments as pay_rules
from core.usecases.admin_bookings import Event
from tests.bot.dialog_support import Driver, rows
from tests.bot.test_screen_catalogue import CATALOGUE, Catalogue
from tests.factories import make_premise, make_user

OWNER, MANAGER, ATTENDANT = 9101, 9102, 9104


async def _setup(services: Services, clock: ManualClock, lang: str = "en") -> tuple[int, int, int]:
    """Alpha Garage (A1-A3), a manager and an attendant there; Olena's booking on A1 tomorrow
    10:00-12:00 Kyiv time, 4.00 EUR paid from her wallet."""
    async with services.db.transaction() as s:
        premise = await make_premise(s, name="Alpha Garage", spots=3, now=clock.now())
        driver = await make_user(s, name="Olena", phone="+380501234567")
        premise_id, driver_id = premise.id, driver.id
    await services.admin.add_owner(OWNER)
    owner = (await services.users.telegram_caller(OWNER, name="Owner", language=lang)).user_id
    for telegram_id, role in ((MANAGER, StaffRole.MANAGER), (ATTENDANT, StaffRole.ATTENDANT)):
        user = (
            await services.users.telegram_caller(telegram_id, name=f"Staff_{telegram_id}", language=lang)
        ).user_id
        invite = await services.admin.invite(owner, premise_id, role)
        await services.admin.accept_invite(user, invite.token)
    async with services.db.transaction() as s:
        r = await booking.hold(
            s,
            user_id=driver_id,
            premise_id=premise_id,
            starts_at=clock.now() + timedelta(hours=23),  # 10:00 tomorrow in Kyiv
            minutes=120,
            now=clock.now(),
            hold_minutes=10,
        )
        rid = r.id
        await wallet.credit(
            s, driver_id, r.price, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=clock.now()
        )
    async with services.db.transaction() as s:
        await pay_rules.pay_booking_with_wallet(s, reservation_id=rid, user_id=driver_id, now=clock.now())
    return premise_id, rid, driver_id


async def _walk(c: Catalogue, rid: int) -> None:
    await c.step("/admin: the console's first screen", c.send("/admin"))
    await c.step("📋 Bookings", c.tap(1))
    await c.step("A phone that finds nothing", c.send("+380679999999"))
    await c.step("Not a number nor a phone", c.send("Olena"))
    await c.step("The booking's number typed: its screen", c.send(f"#{rid}"))
    await c.step("Its history", c.tap(0))
    await c.step("Back to the booking", c.tap(-1))
    await c.step("Refund: how much", c.tap(1, 0))
    await c.step("More than was paid", c.send("9"))
    await c.step("2.50 typed: why", c.send("2.50"))
    await c.step("A preset reason: the confirmation", c.tap(0))
    await c.step("Confirmed: the booking again, the refund on top", c.tap(0))
    await c.step("Move: the free spots", c.tap(2, 0))
    await c.step("Spot A3: why", c.tap(0, 1))
    await c.step("A typed reason: the confirmation", c.send("bay blocked by a van"))
    await c.step("Confirmed: moved", c.tap(0))
    await c.step("Extend for free: by how much", c.tap(1, 1))
    await c.step("1 h: why", c.tap(0, 2))
    await c.step("Goodwill: the confirmation", c.tap(4))
    await c.step("Confirmed: extended", c.tap(0))
    await c.step("The history now", c.tap(0))
    await c.step("Back to the booking", c.tap(-1))
    await c.step("Back to the search", c.tap(-1))
    await c.step("A car park's list", c.tap(0))
    await c.step("A booking from the list", c.tap(0))
    await c.step("Cancel: why", c.tap(2, 1))
    await c.step("A preset reason: the confirmation", c.tap(2))
    await c.step("Confirmed: cancelled with the rest refunded", c.tap(0))


@pytest.mark.parametrize("lang", ["en", "uk"])
async def test_console_bookings_catalogue(services: Services, clock: ManualClock, lang: str) -> None:
    _premise_id, rid, driver_id = await _setup(services, clock, lang)
    c = Catalogue(Driver(services, MANAGER))
    path = CATALOGUE / f"console_bookings.{lang}.txt"
    try:
        await _walk(c, rid)
    finally:
        if os.environ.get("UPDATE_CATALOGUE") == "1":
            path.write_text(c.text(), encoding="utf-8")
    assert c.problems == []
    assert c.text() == path.read_text(encoding="utf-8"), (
        f"regenerate with UPDATE_CATALOGUE=1, read {path.name}"
    )
    async with services.db.read() as s:
        assert await wallet.balance(s, driver_id, "EUR") == 400  # 2.50, then the rest on cancelling
        r = await s.get_one(Reservation, rid)
        kinds = list(await s.scalars(select(Notification.kind).where(Notification.user_id == driver_id)))
    assert r.status.value == "cancelled"
    assert kinds == [
        "booking_confirmed", "payment_refunded", "booking_moved", "booking_extended", "booking_cancelled",
    ]  # fmt: skip


async def test_a_manager_finds_refunds_and_moves(services: Services, clock: ManualClock) -> None:
    _premise_id, rid, _driver = await _setup(services, clock)
    manager = Driver(services, MANAGER)
    await manager.send("/admin")
    assert manager.layout == [
        ["📊 Now", "💶 Revenue"],
        ["📋 Bookings", "⭐ Reviews"],
        ["Alpha Garage · manager"],
        ["ℹ️ What I can do", "🏠 Menu"],
    ]
    await manager.tap("📋 Bookings")
    assert manager.layout == [["🅿️ Alpha Garage"], ["⬅️ Back"]]
    await manager.send("+380 50 123 4567")  # the phone finds her one booking: its screen
    assert manager.text == (
        f"📋 <b>Booking #{rid}</b> · ✅ confirmed\n"
        "🅿️ Alpha Garage, spot A1\n"
        "🕒 Sun 22 Nov 10:00–12:00 (Europe/Kyiv)\n"
        "👤 Olena +380501234567\n"
        "💶 4.00 EUR · paid 4.00 EUR · refunded 0.00 EUR"
    )
    assert manager.layout == [
        ["📜 History"],
        ["↩️ Refund", "➕ Extend for free"],
        ["🔀 Move", "✖️ Cancel booking"],
        ["⬅️ Back"],
    ]
    await manager.tap("↩️ Refund")
    assert manager.layout == [["↩️ All of it: 4.00 EUR"], ["⬅️ Back"]]
    await manager.send("4.01")
    assert manager.text.startswith("⚠️ Only 4.00 EUR is left to refund on this booking.\n\n↩️ <b>Refund for")
    await manager.send("1,5")
    await manager.send("customer phoned twice")
    assert manager.text == (
        f"↩️ Refund <b>1.50 EUR</b> of booking #{rid} to where it was paid from? The driver is told.\n"
        "Reason: customer phoned twice"
    )
    await manager.tap("✅ Confirm")
    assert manager.text.startswith(
        "✅ Refunded 1.50 EUR: 1.50 EUR back in the driver's wallet. The driver is told.\n\n📋 <b>Booking"
    )
    assert manager.text.endswith("💶 4.00 EUR · paid 4.00 EUR · refunded 1.50 EUR")


async def test_an_attendant_has_no_refund_and_a_forged_one_is_refused(
    services: Services, clock: ManualClock
) -> None:
    _premise_id, rid, driver_id = await _setup(services, clock)
    attendant = Driver(services, ATTENDANT)
    await attendant.send("/admin")
    await attendant.tap("📋 Bookings")
    await attendant.send(str(rid))
    assert attendant.layout == [["📜 History"], ["➕ Extend for free", "🔀 Move"], ["⬅️ Back"]]
    # The Refund button's callback, made up from a button the attendant does have.
    move = next(b.callback_data or "" for row in rows(attendant.screen) for b in row if b.text == "🔀 Move")
    await attendant.tap_outside_dialogs(move.replace(":move", ":refund"))
    assert attendant.bot.alerts()[-1] == "You do not have access to this."
    async with services.db.read() as s:
        refused = [
            (e.action, e.detail)
            for e in await s.scalars(select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.REFUSED))
        ]
        assert await wallet.balance(s, driver_id, "EUR") == 0
    assert refused[0] == ("reservation.refund", "not_permitted")


@pytest.mark.parametrize(
    ("lang", "buttons", "lines"),
    [
        (
            "en",
            ("📋 Bookings", "📜 History"),
            [
                "21 Nov 11:00 ✉️ Booking confirmed · SMS: sent at 11:05",
                "21 Nov 11:00 ✉️ Reminder: the booking ends soon · Telegram: waiting to be sent",
                "21 Nov 11:00 ✉️ Guest pass · SMS: could not be sent",
                "21 Nov 11:00 ✉️ Message “from_a_newer_version” · Telegram: being sent",
            ],
        ),
        (
            "uk",
            ("📋 Бронювання", "📜 Історія"),
            [
                "21 лист 11:00 ✉️ Бронювання підтверджено · SMS: надіслано о 11:05",
                "21 лист 11:00 ✉️ Нагадування: бронювання скоро закінчиться · Telegram: чекає на надсилання",
                "21 лист 11:00 ✉️ Гостьовий доступ · SMS: не вдалося надіслати",
                "21 лист 11:00 ✉️ Повідомлення «from_a_newer_version» · Telegram: надсилається",
            ],
        ),
    ],
)
async def test_the_history_says_in_words_what_the_driver_was_sent_and_how_far_it_got(
    services: Services, clock: ManualClock, lang: str, buttons: tuple[str, str], lines: list[str]
) -> None:
    """One line a notification: what it said and its sending, in the operator's language; a
    kind this version has no words for (a newer version queued it) is named as stored."""
    _premise_id, rid, driver_id = await _setup(services, clock, lang)
    now = clock.now()
    async with services.db.transaction() as s:
        confirmed = await s.scalar(select(Notification).where(Notification.user_id == driver_id))
        assert confirmed is not None and confirmed.kind == "booking_confirmed"
        confirmed.status, confirmed.sent_at = NotificationStatus.SENT, now + timedelta(minutes=5)
        for kind, channel, status in (
            ("booking_reminder", Channel.TELEGRAM, NotificationStatus.PENDING),
            ("guest_pass", Channel.SMS, NotificationStatus.FAILED),
            ("from_a_newer_version", Channel.TELEGRAM, NotificationStatus.SENDING),
        ):
            s.add(
                Notification(
                    user_id=driver_id,
                    kind=kind,
                    channel=channel,
                    status=status,
                    payload={"reservation_id": rid},
                    due_at=now,
                    created_at=now,
                )
            )
    manager = Driver(services, MANAGER)
    await manager.send("/admin")
    bookings, history = buttons
    await manager.tap(bookings)
    await manager.send(f"#{rid}")
    await manager.tap(history)
    shown = [line for line in manager.text.splitlines() if "✉️" in line]
    assert shown == lines


async def _history_lines(services: Services, rid: int, lang: str) -> list[str]:
    """The booking's history as the manager reads it: its lines without their time stamps."""
    manager = Driver(services, MANAGER)
    await manager.send("/admin")
    await manager.tap("📋 Bookings" if lang == "en" else "📋 Бронювання")
    await manager.send(f"#{rid}")
    await manager.tap("📜 History" if lang == "en" else "📜 Історія")
    return [line.split(" ", 3)[3] for line in manager.text.splitlines()[1:]]


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "en",
            [
                "💶 payment #{wallet}: wallet, 4.00 EUR, paid, 1.50 EUR refunded since",
                "💶 payment #{page}: card on the payment page, 1.00 EUR, cancelled (not paid)",
                "💶 payment #{card}: saved card, 1.00 EUR, failed",
                "💶 payment #{pending}: saved card, 1.00 EUR, refund to the card under way",
                "➕ extension to 13:00, 1.00 EUR: awaiting payment",
                "↩️ refund #{refund}: 1.50 EUR to the wallet, done",
                "✅ Staff_9102: Refund a booking (customer phoned)",
                "⛔ Staff_9102: Refund a booking (more than is left to refund)",
            ],
        ),
        (
            "uk",
            [
                "💶 платіж №{wallet}: гаманець, 4.00 EUR, сплачено, згодом повернуто 1.50 EUR",
                "💶 платіж №{page}: картка на сторінці оплати, 1.00 EUR, скасовано (не сплачено)",
                "💶 платіж №{card}: збережена картка, 1.00 EUR, не вдалося",
                "💶 платіж №{pending}: збережена картка, 1.00 EUR, повернення на картку в обробці",
                "➕ продовження до 13:00, 1.00 EUR: очікує оплати",
                "↩️ повернення №{refund}: 1.50 EUR на гаманець, виконано",
                "✅ Staff_9102: Повернення коштів за бронювання (customer phoned)",
                "⛔ Staff_9102: Повернення коштів за бронювання (більше, ніж лишилося до повернення)",
            ],
        ),
    ],
)
async def test_the_history_names_payments_refunds_and_extensions_in_words(
    services: Services, clock: ManualClock, lang: str, expected: list[str]
) -> None:
    """How each payment was made (wallet, a saved card, the payment page) and how it stands,
    where a refund went and how it stands, an extension, and why a console action was
    refused: in the operator's language, never the codes the database stores."""
    _premise_id, rid, driver_id = await _setup(services, clock, lang)
    manager_id = (await services.users.telegram_caller(MANAGER, name="Staff_9102", language=lang)).user_id
    refunded = await services.admin_bookings.refund(manager_id, rid, 150, "customer phoned")
    with pytest.raises(RefundTooLarge):
        await services.admin_bookings.refund(manager_id, rid, 900, "too much")
    now = clock.now()
    async with services.db.transaction() as s:
        r = await s.get_one(Reservation, rid)
        extension = ReservationExtension(
            reservation_id=rid,
            old_ends_at=r.ends_at,
            new_ends_at=r.ends_at + timedelta(hours=1),
            price=100,
            currency="EUR",
            status=ExtensionStatus.PENDING_PAYMENT,
            created_at=now,
        )
        s.add(extension)
        await s.flush()
        ids = {"wallet": await s.scalar(select(Payment.id).where(Payment.reservation_id == rid))}
        for name, status, session in (
            ("page", PaymentStatus.CANCELLED, "cs_test_1"),
            ("card", PaymentStatus.FAILED, None),
            ("pending", PaymentStatus.REFUND_PENDING, None),
        ):
            payment = Payment(
                user_id=driver_id,
                reservation_id=rid,
                extension_id=extension.id,
                purpose=PaymentPurpose.EXTENSION,
                method=PaymentMethodKind.CARD,
                amount=100,
                currency="EUR",
                status=status,
                stripe_checkout_session_id=session,
                created_at=now,
            )
            s.add(payment)
            await s.flush()
            ids[name] = payment.id
    ids["refund"] = refunded.parts[0].refund_id
    lines = await _history_lines(services, rid, lang)
    assert [line for line in lines if line[0] in "💶➕↩✅⛔"] == [e.format(**ids) for e in expected]


@pytest.mark.parametrize(
    ("lang", "blocker", "arrived", "failed"),
    [
        (
            "en",
            True,
            "🚗 blocker lowered: the driver arrived",
            ["⚠️ blocker b-7 did not lower: jammed", "⚠️ blocker b-7 did not lower: melted"],
        ),
        (
            "en",
            False,
            "🚗 the driver arrived (spot without a blocker)",
            ["⚠️ blocker b-7 did not lower: no answer in time", "⚠️ blocker b-7 did not lower: melted"],
        ),
        (
            "uk",
            True,
            "🚗 блокатор опущено: водій прибув",
            ["⚠️ блокатор b-7 не опустився: заклинило", "⚠️ блокатор b-7 не опустився: melted"],
        ),
        (
            "uk",
            False,
            "🚗 водій прибув (місце без блокатора)",
            [
                "⚠️ блокатор b-7 не опустився: відповідь не надійшла вчасно",
                "⚠️ блокатор b-7 не опустився: melted",
            ],
        ),
    ],
)
async def test_the_history_tells_a_lowered_blocker_from_an_arrival_at_a_spot_without_one(
    services: Services, clock: ManualClock, lang: str, blocker: bool, arrived: str, failed: list[str]
) -> None:
    """The arrival is "blocker lowered" only where the spot has a blocker: a driver's "I've
    arrived" at a spot without one is an arrival, not a lowering. A blocker's failure says
    what went wrong in words; a status this version does not know is shown as stored."""
    _premise_id, rid, driver_id = await _setup(services, clock, lang)
    now = clock.now()
    async with services.db.transaction() as s:
        r = await s.get_one(Reservation, rid)
        if blocker:
            s.add(Blocker(id="b-7", spot_id=r.spot_id))
        for status in ("jammed" if blocker else "timeout", "melted"):
            await outbox.notify_admins(
                s,
                NotificationKind.ADMIN_BLOCKER_FAILED,
                {"blocker_id": "b-7", "reservation_id": rid, "status": status},
                now=now,
                dedupe_key=f"lower_failed:{rid}:{status}",
            )
        await booking.mark_arrived(s, rid, user_id=driver_id, now=now)
    lines = await _history_lines(services, rid, lang)
    assert [line for line in lines if line[0] in "🚗⚠"] == [arrived, *failed]


@pytest.mark.parametrize(
    ("lang", "lines"),
    [
        (
            "en",
            [
                "💶 payment #3: crypto, 1.00 EUR, chargeback",
                "↩️ refund #4: 1.00 EUR (crypto), escrowed",
                "➕ extension to 13:00, 1.00 EUR: haggled",
                "🏁 ⌛ expired: nobody arrived",
                "🏁 teleported",
                "⛔ #5: Refund a booking (refused: rate_limited: 3 a day)",
                "📌 event “towed”",
            ],
        ),
        (
            "uk",
            [
                "💶 платіж №3: crypto, 1.00 EUR, chargeback",
                "↩️ повернення №4: 1.00 EUR (crypto), escrowed",
                "➕ продовження до 13:00, 1.00 EUR: haggled",
                "🏁 ⌛ прострочено: ніхто не прибув",
                "🏁 teleported",
                "⛔ #5: Повернення коштів за бронювання (відмова: rate_limited: 3 a day)",
                "📌 подія «towed»",
            ],
        ),
    ],
)
def test_a_history_value_this_version_has_no_words_for_is_shown_as_stored(
    lang: str, lines: list[str]
) -> None:
    """Another version may store a method, a status, a refusal or a kind of event this one
    has no words for: the line shows it as stored, never an error."""
    at = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    money = {"amount": 100, "currency": "EUR"}
    events = [
        Event(at, "payment", {"id": 3, "method": "crypto", **money, "status": "chargeback", "refunded": 0}),
        Event(at, "refund", {"id": 4, "method": "crypto", **money, "status": "escrowed"}),
        Event(
            at,
            "extension",
            {"until": at + timedelta(hours=2), "price": 100, "currency": "EUR", "status": "haggled"},
        ),
        Event(at, "closed", {"status": "expired", "no_show": True}),
        Event(at, "closed", {"status": "teleported", "no_show": False}),
        Event(
            at,
            "audit",
            {"action": "reservation.refund", "who": "#5", "ok": False, "detail": "rate_limited: 3 a day"},
        ),
        Event(at, "towed", {"by": "city"}),
    ]
    assert [_event_text(lang, e, "Europe/Kyiv") for e in events] == lines


@pytest.mark.parametrize(
    ("lang", "confirm", "done"),
    [
        (
            "en",
            "🏁 End booking #{rid} now? The spot is freed; where this car park refunds unused time, the "
            "unused whole 15 minutes go back to the driver's wallet. The driver is told.\nReason: car gone",
            "✅ Booking #{rid} is ended. 3.00 EUR back in the driver's wallet. The driver is told.",
        ),
        (
            "uk",
            "🏁 Завершити бронювання №{rid} зараз? Місце звільниться; якщо ця парковка повертає кошти за "
            "невикористаний час, невикористані повні 15 хвилин повернуться на гаманець водія. Водія буде "
            "повідомлено.\nПричина: car gone",
            "✅ Бронювання №{rid} завершено. 3.00 EUR повернуто в гаманець водія. Водія повідомлено.",
        ),
    ],
)
async def test_the_staffs_end_now_refunds_the_unused_steps_and_says_how_much(
    services: Services, clock: ManualClock, lang: str, confirm: str, done: str
) -> None:
    """The console's "End now" gives the driver back what driving off would have (2 h at 4.00,
    ended 25 minutes in: 30 minutes charged, 3.00 back), and the staff read how much."""
    _premise_id, rid, driver_id = await _setup(services, clock, lang)
    async with services.db.read() as s:
        starts_at = (await s.get_one(Reservation, rid)).starts_at
    clock.set(starts_at + timedelta(minutes=25))
    manager = Driver(services, MANAGER)
    await manager.send("/admin")
    await manager.tap(manager.layout[1][0])  # 📋 Bookings
    await manager.send(f"#{rid}")
    await manager.tap(next(label for row in manager.layout for label in row if label.startswith("🏁")))
    await manager.send("car gone")
    assert manager.text == confirm.format(rid=rid)
    await manager.tap(manager.layout[0][0])  # ✅ Confirm
    assert manager.text.startswith(done.format(rid=rid) + "\n\n")
    async with services.db.read() as s:
        assert await wallet.balance(s, driver_id, "EUR") == 300
