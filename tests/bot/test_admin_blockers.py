"""The console's Blockers section as an attendant sees it: the health list worst first, a
blocker's screen, "Test: lower" / "Test: raise" with the device's answer, Unbind with a
confirmation, Replace by typing the new id, Register (type an id, pick a free spot) and the
unassigned devices bound in two taps; a stranger's forged button is refused and audited; and
without MQTT a test says so in words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.context import Services
from core.blockers import CommandStatus
from core.clock import ManualClock
from core.models import AuditEntry, AuditOutcome, Blocker, BlockerState, Spot, StaffRole
from core.usecases.arrival import ArrivalUseCases
from tests.bot.dialog_support import Driver, rows
from tests.factories import make_premise
from tests.fakes.blockers import FakeBlockers

OWNER, ATTENDANT = 9001, 9004


@pytest.fixture
def fake() -> FakeBlockers:
    return FakeBlockers()


@pytest.fixture
def with_mqtt(services: Services, clock: ManualClock, fake: FakeBlockers) -> Services:
    """The same database and clock, with a blocker port (the bot's MQTT link, here a fake)."""
    arrival = ArrivalUseCases(services.db, fake, clock, early_minutes=15)
    return Services(
        db=services.db,
        clock=clock,
        settings=services.settings,
        payments=None,
        geocoder=None,
        arrival=arrival,
    )


async def _setup(services: Services, clock: ManualClock) -> int:
    """Alpha Garage (A1-A3): A1's blocker healthy, A2's offline with a low battery; an
    attendant there; one device heard but on no spot."""
    async with services.db.transaction() as s:
        premise = await make_premise(s, name="Alpha Garage", spots=3, now=clock.now())
        await s.flush()
        a1, a2, _a3 = await s.scalars(select(Spot.id).where(Spot.premise_id == premise.id).order_by(Spot.id))
        now = clock.now()
        s.add_all(
            [
                Blocker(
                    id="blk-1", spot_id=a1, online=True, state=BlockerState.RAISED, battery=80, last_seen=now
                ),
                Blocker(
                    id="blk-2",
                    spot_id=a2,
                    online=False,
                    state=BlockerState.RAISED,
                    battery=9,
                    last_seen=now - timedelta(hours=2),
                ),
                Blocker(id="blk-new", spot_id=None, online=True, state=BlockerState.RAISED, battery=100),
            ]
        )
        premise_id = premise.id
    await services.admin.add_owner(OWNER)
    owner = (await services.users.telegram_caller(OWNER, name="Owner", language="en")).user_id
    user = (await services.users.telegram_caller(ATTENDANT, name="Andrii", language="en")).user_id
    invite = await services.admin.invite(owner, premise_id, StaffRole.ATTENDANT)
    await services.admin.accept_invite(user, invite.token)
    return premise_id


async def _blockers(services: Services, telegram_id: int) -> Driver:
    who = Driver(services, telegram_id)
    await who.send("/admin")
    await who.tap("Alpha Garage · attendant")
    assert who.layout == [["🔌 Blockers"], ["⬅️ Back"]]
    await who.tap("🔌 Blockers")
    return who


async def test_an_attendant_tests_unbinds_replaces_and_binds_blockers(
    with_mqtt: Services, clock: ManualClock, fake: FakeBlockers
) -> None:
    await _setup(with_mqtt, clock)
    attendant = await _blockers(with_mqtt, ATTENDANT)
    assert attendant.text == (
        "🔌 <b>Blockers of Alpha Garage</b>\n2 blockers, worst first:\n"
        "• A2 · <code>blk-2</code>: ⚠️ offline, battery 9%\n"
        "• A1 · <code>blk-1</code>: ✅ ok"
    )
    assert attendant.layout == [
        ["⚠️ A2 · blk-2"],
        ["✅ A1 · blk-1"],
        ["➕ Register", "📡 Unassigned (1)"],
        ["⬅️ Back"],
    ]

    await attendant.tap("✅ A1 · blk-1")
    screen = (
        "🔌 Blocker <code>blk-1</code> on spot <b>A1</b>\n"
        "State: ⬆️ raised\nBattery: 80%\nLast seen: 21 Nov 11:00\n✅ ok"  # Kyiv time
    )
    assert attendant.text == screen
    assert attendant.layout == [["⬇️ Test: lower", "⬆️ Test: raise"], ["🔁 Replace", "🔓 Unbind"], ["⬅️ Back"]]
    fake.answers = [CommandStatus.OK, CommandStatus.OBSTACLE]
    await attendant.tap("⬇️ Test: lower")
    assert attendant.bot.callback_answers()[-1].text == "⏳ Sent…"
    assert fake.sent == [("blk-1", "lower", None)]
    assert attendant.text == "🧪 Test “lower”: ✅ acknowledged, now ⬇️ lowered\n\n" + screen
    await attendant.tap("⬆️ Test: raise")
    assert attendant.text.startswith("🧪 Test “raise”: ⚠️ refused: something is in the way\n\n")

    await attendant.tap("🔁 Replace")
    assert (
        attendant.text == "🔁 Type the id of the device that replaces <code>blk-1</code> on spot <b>A1</b>:"
    )
    await attendant.send("bad/id")
    assert attendant.text.startswith("⚠️ That is not a device id")
    await attendant.send("blk-1b")
    assert attendant.text.startswith(
        "✅ Spot A1 now has blocker <code>blk-1b</code>.\n\n"
        "🔌 Blocker <code>blk-1b</code> on spot <b>A1</b>\n"
        "State: ❔ not reported yet\nBattery: —\nLast seen: never\n⚠️ offline"
    )
    await attendant.tap("🔓 Unbind")
    assert attendant.text == (
        "🔓 Unbind <code>blk-1b</code> from spot <b>A1</b>? "
        "The spot has no blocker until another is registered."
    )
    await attendant.tap("🔓 Yes, unbind")
    assert attendant.bot.callback_answers()[-1].text == "Blocker blk-1b is unbound from spot A1."
    assert attendant.layout == [["⚠️ A2 · blk-2"], ["➕ Register", "📡 Unassigned (3)"], ["⬅️ Back"]]

    # Two taps: the device, then its spot.
    await attendant.tap("📡 Unassigned (3)")
    assert attendant.text == (
        "📡 <b>Unassigned blockers</b>\n3 devices are on no spot: tap one, then pick its spot."
    )
    assert attendant.layout == [["blk-1"], ["blk-1b"], ["blk-new"], ["⬅️ Back"]]
    await attendant.tap("blk-new")
    assert attendant.text == "🅿️ Which spot gets blocker <code>blk-new</code>?"
    assert attendant.layout == [["A1", "A3"], ["⬅️ Back"]]
    await attendant.tap("A3")
    assert attendant.bot.callback_answers()[-1].text == "Blocker blk-new is on spot A3."

    await attendant.tap("➕ Register")
    assert attendant.text == "➕ Type the device id of the blocker to register:"
    await attendant.send("gate-7")
    assert attendant.layout == [["A1"], ["⬅️ Back"]]
    await attendant.tap("A1")
    assert attendant.text == (
        "🔌 <b>Blockers of Alpha Garage</b>\n3 blockers, worst first:\n"
        "• A1 · <code>gate-7</code>: ⚠️ offline\n"
        "• A2 · <code>blk-2</code>: ⚠️ offline, battery 9%\n"
        "• A3 · <code>blk-new</code>: ✅ ok"
    )

    async with with_mqtt.db.read() as s:
        entries = list(await s.scalars(select(AuditEntry).where(AuditEntry.action.like("blocker.%"))))
    assert [(e.action, e.outcome) for e in sorted(entries, key=lambda e: e.id)] == [
        ("blocker.test", AuditOutcome.OK),
        ("blocker.test", AuditOutcome.OK),
        ("blocker.replace", AuditOutcome.REFUSED),  # bad/id
        ("blocker.replace", AuditOutcome.OK),
        ("blocker.unbind", AuditOutcome.OK),
        ("blocker.register", AuditOutcome.OK),
        ("blocker.register", AuditOutcome.OK),
    ]


async def test_without_mqtt_a_test_says_so_and_a_strangers_button_is_refused(
    services: Services, clock: ManualClock
) -> None:
    await _setup(services, clock)
    attendant = await _blockers(services, ATTENDANT)
    await attendant.tap("✅ A1 · blk-1")
    await attendant.tap("⬇️ Test: lower")
    assert attendant.text.startswith(
        "⚠️ Blockers are not connected (MQTT is off), so no command can be sent.\n\n"
        "🔌 Blocker <code>blk-1</code>"
    )

    # A forged blocker button (no device has this digest) is refused, not obeyed.
    await attendant.tap("⬅️ Back")
    intent = next(b.callback_data or "" for row in rows(attendant.screen) for b in row).partition("\x1d")[0]
    await attendant.tap_outside_dialogs(f"{intent}\x1dblocker:0123456789abcdef")
    assert attendant.bot.alerts()[-1] == "This item no longer exists."
    async with services.db.read() as s:
        refused = [
            (e.action, e.detail.split(":")[0])
            for e in await s.scalars(
                select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.REFUSED).order_by(AuditEntry.id)
            )
        ]
    assert refused == [("blocker.test", "blockers_unavailable")]
