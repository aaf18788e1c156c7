"""The operator console, /admin: every screen as an owner, a manager and an attendant see it;
invites by link, revoking, the audit log and its export; forged buttons refused; and for
everybody else /admin is exactly an unknown command."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from aiogram.methods import DeleteMyCommands, SendDocument, SetMyCommands
from aiogram.types import BotCommandScopeChat, BufferedInputFile
from sqlalchemy import select

from bot.context import Services
from core.clock import ManualClock
from core.models import AuditEntry, AuditOutcome, StaffRole
from tests.bot.dialog_support import Driver, layout, rows
from tests.bot.screens import MENU_EN, UNKNOWN_EN
from tests.factories import make_premise

OWNER, STAFF, STRANGER = 9001, 9002, 9003
LINK = re.compile(r"https://t\.me/parking_test_bot\?start=(staff_[A-Za-z0-9_-]+)")


async def _premises(services: Services) -> tuple[int, int]:
    async with services.db.transaction() as s:
        alpha = await make_premise(s, name="Alpha Garage")
        beta = await make_premise(s, name="Beta Yard")
        return alpha.id, beta.id


async def _owner(services: Services) -> Driver:
    await services.admin.add_owner(OWNER)  # as `python main.py admin add 9001` does
    return Driver(services, OWNER)


def _recorded(driver: Driver) -> list[str]:
    """Everything the user got: the Bot API calls, field by field, and the windows (their
    buttons' callback data carry random dialog ids, so labels are compared)."""
    calls = [f"{type(call).__name__} {call!r}" for call in driver.bot.calls]
    windows = [f"{m.text!r} {m.entities!r} {layout(m)}" for m in driver.manager.sent_messages]
    return calls + windows


async def _invite(owner: Driver, role: str) -> str:
    await owner.tap(f"➕ Invite {role}")
    found = LINK.search(owner.text)
    assert found, owner.text
    return found.group(1)


def _data(driver: Driver, label: str) -> str:
    """The callback data of a button on the current window."""
    found = [b.callback_data or "" for row in rows(driver.screen) for b in row if b.text == label]
    assert found, f"no {label!r} in {driver.layout}"
    return found[0]


async def _audit(services: Services) -> list[AuditEntry]:
    async with services.db.read() as s:
        return list(await s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


async def test_admin_is_an_unknown_command_for_anybody_else(services: Services) -> None:
    await _premises(services)
    asked = Driver(services, STRANGER)
    await asked.send("/admin")
    other = Driver(services, STRANGER)
    await other.send("/nosuchcommand")
    assert asked.bot.texts() == []
    assert asked.text == f"{UNKNOWN_EN}\n\nWhat would you like to do?"
    assert asked.layout == MENU_EN
    assert _recorded(asked) == _recorded(other)


async def test_the_owner_console_staff_invites_and_revoking(services: Services, clock: ManualClock) -> None:
    await _premises(services)
    owner = await _owner(services)
    await owner.send("/admin")
    assert owner.text == "🛠 <b>Operator console</b>\nChoose a car park:"
    assert owner.layout == [
        ["📊 Now", "💶 Revenue"],
        ["📋 Bookings", "⭐ Reviews"],
        ["Alpha Garage · owner"],
        ["Beta Yard · owner"],
        ["📜 Audit log: all car parks"],
        ["➕ New car park"],
        ["ℹ️ What I can do", "🏠 Menu"],
    ]
    await owner.tap("ℹ️ What I can do")
    assert owner.text.startswith(
        "<b>Operator console</b>\n• Car parks: yours, with your role. Each shows its code"
    )
    assert "• 👥 Staff (owners and managers): invite a manager or an attendant" in owner.text
    assert "one-time link (valid 24 h); revoke access." in owner.text
    await owner.tap("⬅️ Back")

    await owner.tap("Alpha Garage · owner")
    assert owner.text == "🅿️ <b>Alpha Garage</b> · code <code>1042</code>\nYour role: owner"
    assert owner.layout == [
        ["🏢 Details"],
        ["🅿️ Spots"],
        ["🔌 Blockers"],
        ["👥 Staff"],
        ["💶 Prices"],
        ["🧾 Operator & VAT"],
        ["📜 Audit log"],
        ["⬅️ Back"],
    ]
    await owner.tap("👥 Staff")
    assert owner.text == "👥 <b>Staff of Alpha Garage</b>\nNobody yet."
    assert owner.layout == [["➕ Invite a manager", "➕ Invite an attendant"], ["⬅️ Back"]]

    payload = await _invite(owner, "an attendant")
    assert owner.text == (
        "🔗 Send this link to your new attendant at <b>Alpha Garage</b>. It works once, until 22 Nov 11:00:\n"
        f"https://t.me/parking_test_bot?start={payload}"
    )
    assert owner.layout == [["⬅️ Back"]]

    staff = Driver(services, STAFF)
    await staff.send(f"/start {payload}")
    assert staff.bot.texts() == [
        "✅ Welcome! Your role at <b>Alpha Garage</b> is now attendant.\n/admin opens the operator console."
    ]
    menus = [c for c in staff.bot.calls if isinstance(c, SetMyCommands)]
    assert len(menus) == 1 and menus[0].scope == BotCommandScopeChat(chat_id=STAFF)
    assert [c.command for c in menus[0].commands] == [
        "start",
        "find",
        "bookings",
        "wallet",
        "language",
        "help",
        "admin",
        "cancel",
    ]
    assert staff.text == "🛠 <b>Operator console</b>\nChoose a car park:"
    assert staff.layout == [
        ["📊 Now"],
        ["📋 Bookings"],
        ["Alpha Garage · attendant"],
        ["ℹ️ What I can do", "🏠 Menu"],
    ]
    await staff.tap("Alpha Garage · attendant")
    # The attendant's one section built so far: no buttons for what does not work.
    assert staff.text == "🅿️ <b>Alpha Garage</b> · code <code>1042</code>\nYour role: attendant"
    assert staff.layout == [["🔌 Blockers"], ["⬅️ Back"]]

    # The link works once.
    again = Driver(services, STRANGER)
    await again.send(f"/start {payload}")
    assert again.bot.texts() == [
        "This invite link has been used already. Ask whoever invited you for a new link."
    ]
    assert again.layout == MENU_EN
    await again.send("/start staff_nonsense")
    assert again.bot.texts()[-1] == "This invite link is not valid. Ask whoever invited you for a new link."

    await owner.tap("⬅️ Back")
    assert owner.text == "👥 <b>Staff of Alpha Garage</b>\n1 person:\n• User_9002: attendant"
    assert owner.layout == [
        ["➕ Invite a manager", "➕ Invite an attendant"],
        ["✖️ User_9002"],
        ["⬅️ Back"],
    ]
    await owner.tap("✖️ User_9002")
    assert owner.text == "Revoke access to <b>Alpha Garage</b> for User_9002 (attendant)?"
    assert owner.layout == [["✅ Yes, revoke"], ["⬅️ No, keep"]]
    await owner.tap("⬅️ No, keep")
    assert owner.text.endswith("• User_9002: attendant")
    await owner.tap("✖️ User_9002")
    await owner.tap("✅ Yes, revoke")
    assert owner.bot.callback_answers()[-1].text == "User_9002 no longer has access."
    assert owner.text == "👥 <b>Staff of Alpha Garage</b>\nNobody yet."
    resets = [c for c in owner.bot.calls if isinstance(c, DeleteMyCommands)]
    assert len(resets) == 1 and resets[0].scope == BotCommandScopeChat(chat_id=STAFF)

    # Revoked: /admin is an unknown command again, and the old console's buttons are refused.
    await staff.send("/admin")
    assert staff.text == f"{UNKNOWN_EN}\n\nWhat would you like to do?"
    assert staff.layout == MENU_EN

    # An expired link.
    await owner.tap("➕ Invite a manager")
    expired = LINK.search(owner.text)
    assert expired
    clock.advance(timedelta(hours=24, seconds=1))
    late = Driver(services, STRANGER)
    await late.send(f"/start {expired.group(1)}")
    assert late.bot.texts() == [
        "This invite link has expired (links work for 24 hours). Ask whoever invited you for a new link."
    ]


async def test_a_manager_runs_their_car_parks_staff_and_audit_log_and_forged_buttons_are_refused(
    services: Services,
) -> None:
    _alpha, beta = await _premises(services)
    owner = await _owner(services)
    await owner.send("/admin")
    await owner.tap("Alpha Garage · owner")
    await owner.tap("👥 Staff")
    payload = await _invite(owner, "a manager")
    manager = Driver(services, STAFF)
    await manager.send(f"/start {payload}")
    assert manager.layout == [
        ["📊 Now", "💶 Revenue"],
        ["📋 Bookings", "⭐ Reviews"],
        ["Alpha Garage · manager"],
        ["ℹ️ What I can do", "🏠 Menu"],
    ]
    await manager.tap("Alpha Garage · manager")
    assert manager.text == "🅿️ <b>Alpha Garage</b> · code <code>1042</code>\nYour role: manager"
    assert manager.layout == [
        ["🏢 Details"], ["🅿️ Spots"], ["🔌 Blockers"], ["👥 Staff"], ["💶 Prices"], ["🧾 Operator & VAT"],
        ["📜 Audit log"], ["⬅️ Back"],
    ]  # fmt: skip

    # The staff of their car park: themselves, and invites of both roles.
    await manager.tap("👥 Staff")
    assert manager.text == "👥 <b>Staff of Alpha Garage</b>\n1 person:\n• User_9002: manager"
    assert manager.layout == [
        ["➕ Invite a manager", "➕ Invite an attendant"],
        ["✖️ User_9002"],
        ["⬅️ Back"],
    ]
    invited = await _invite(manager, "an attendant")
    attendant = Driver(services, STRANGER)
    await attendant.send(f"/start {invited}")
    assert attendant.bot.texts()[0].startswith(
        "✅ Welcome! Your role at <b>Alpha Garage</b> is now attendant"
    )
    await manager.tap("⬅️ Back")
    assert manager.text.endswith("2 people:\n• User_9002: manager\n• User_9003: attendant")
    await manager.tap("✖️ User_9003")
    await manager.tap("✅ Yes, revoke")
    assert manager.bot.callback_answers()[-1].text == "User_9003 no longer has access."
    assert manager.text == "👥 <b>Staff of Alpha Garage</b>\n1 person:\n• User_9002: manager"
    await manager.tap("⬅️ Back")

    # Beta's sections, forged into the manager's console: refused by the use case.
    await owner.tap("⬅️ Back")
    await owner.tap("⬅️ Back")
    await owner.tap("⬅️ Back")
    await owner.tap("Beta Yard · owner")
    assert _data(owner, "👥 Staff").partition("\x1d")[2] == f"section:{beta}:staff"
    intent = _data(manager, "⬅️ Back").partition("\x1d")[0]
    await manager.tap_outside_dialogs(f"{intent}\x1dsection:{beta}:staff")
    assert manager.bot.alerts() == ["You do not have access to this."]
    # Another premise's audit log, and another premise's console.
    await manager.tap_outside_dialogs(f"{intent}\x1dsection:{beta}:audit")
    await manager.tap("⬅️ Back")
    intent = _data(manager, "ℹ️ What I can do").partition("\x1d")[0]
    await manager.tap_outside_dialogs(f"{intent}\x1dprem:{beta}")
    assert manager.bot.alerts() == ["You do not have access to this."] * 3
    await manager.tap_outside_dialogs(f"{intent}\x1dprem:nonsense")  # names no premise at all
    assert len(manager.bot.alerts()) == 4 and not manager.bot.alerts()[-1].startswith("Something went wrong")
    refused = [(e.premise_id, e.action) for e in await _audit(services) if e.outcome is AuditOutcome.REFUSED]
    assert refused == [(beta, "staff.list"), (beta, "audit.view"), (beta, "console.open")]

    await manager.tap("Alpha Garage · manager")
    await manager.tap("📜 Audit log")
    assert manager.text.startswith("📜 <b>Audit log: Alpha Garage</b>\n5 entries, newest first.\n")
    lines = manager.text.split("\n")[2:]
    assert lines[0] == "21 Nov 11:00 ✅ User_9002: Revoke access"
    assert lines[2] == "21 Nov 11:00 ✅ User_9003: Accept an invite"
    assert lines[4] == "21 Nov 11:00 ✅ User_9002: Invite staff"
    assert lines[6] == "21 Nov 11:00 ✅ User_9002: Accept an invite"
    assert lines[7].startswith("   invite_id=1 → staff_id=1, user_id=")
    assert lines[7].endswith(", role=manager")
    assert lines[8] == "21 Nov 11:00 ✅ User_9001: Invite staff"
    assert lines[-1] == "Page 1 of 1"
    assert manager.layout == [["📄 Export CSV"], ["⬅️ Back"]]
    await manager.tap("📄 Export CSV")
    sent = [c for c in manager.bot.calls if isinstance(c, SendDocument)]
    assert len(sent) == 1 and sent[0].caption == "📄 Audit log (CSV)"
    document = sent[0].document
    assert isinstance(document, BufferedInputFile)
    assert document.filename == "audit-premise-1-20261121-0900.csv"
    rows = list(csv.DictReader(io.StringIO(document.data.decode())))
    assert [r["action"] for r in rows] == [
        "staff.revoke", "staff.accept", "staff.invite", "staff.accept", "staff.invite",
    ]  # fmt: skip
    assert manager.text.startswith("📜 <b>Audit log: Alpha Garage</b>")  # the log again, below the file
    await manager.tap("⬅️ Back")
    assert manager.text == "🅿️ <b>Alpha Garage</b> · code <code>1042</code>\nYour role: manager"


async def test_a_manager_sees_an_owner_among_the_staff_without_a_revoke_button(services: Services) -> None:
    alpha, _beta = await _premises(services)
    owner = await _owner(services)
    owner_id = (await services.users.telegram_caller(OWNER, name="Olena", language="en")).user_id
    manager_id = (await services.users.telegram_caller(STAFF, name="Mira", language="en")).user_id
    for user_id, role in ((manager_id, StaffRole.MANAGER), (owner_id, StaffRole.ATTENDANT)):
        invite = await services.admin.invite(owner_id, alpha, role)
        await services.admin.accept_invite(user_id, invite.token)
    manager = Driver(services, STAFF)
    await manager.send("/admin")
    await manager.tap("Alpha Garage · manager")
    await manager.tap("👥 Staff")
    assert manager.text == "👥 <b>Staff of Alpha Garage</b>\n2 people:\n• Mira: manager\n• Olena: attendant"
    assert manager.layout == [["➕ Invite a manager", "➕ Invite an attendant"], ["✖️ Mira"], ["⬅️ Back"]]
    # The owner sees both.
    await owner.send("/admin")
    await owner.tap("Alpha Garage · owner")
    await owner.tap("👥 Staff")
    assert ["✖️ Mira"] in owner.layout and ["✖️ Olena"] in owner.layout


async def test_the_owners_log_of_every_premise_pages(services: Services) -> None:
    alpha, _beta = await _premises(services)
    owner_id = (await services.users.telegram_caller(OWNER, name="Owner", language="en")).user_id
    await services.admin.add_owner(OWNER)
    for _ in range(11):
        await services.admin.invite(owner_id, alpha, StaffRole.ATTENDANT)
    owner = Driver(services, OWNER)
    await owner.send("/admin")
    await owner.tap("📜 Audit log: all car parks")
    # 11 invites and the CLI's owner.add.
    assert owner.text.startswith("📜 <b>Audit log: all car parks</b>\n12 entries, newest first.\n")
    assert "Owner: Invite staff (#1)" in owner.text
    assert owner.text.endswith("Page 1 of 2")
    assert owner.layout == [["More ▶️"], ["📄 Export CSV"], ["⬅️ Back"]]
    await owner.tap("More ▶️")
    assert owner.text.endswith("Page 2 of 2")
    assert "command line: Add an owner" in owner.text
    assert owner.layout == [["◀️"], ["📄 Export CSV"], ["⬅️ Back"]]
    await owner.tap("◀️")
    assert owner.text.endswith("Page 1 of 2")
    await owner.tap("⬅️ Back")
    assert owner.text == "🛠 <b>Operator console</b>\nChoose a car park:"
    await owner.tap("🏠 Menu")
    assert owner.layout == MENU_EN


async def test_the_audit_log_says_why_an_action_was_refused_in_words(
    services: Services, clock: ManualClock
) -> None:
    """A refusal reads as the booking's history says it ("more than is left to refund"), not as
    the rules' code; a reason typed for an action that went through is shown as typed."""
    alpha, _ = await _premises(services)
    owner = await _owner(services)
    async with services.db.transaction() as s:
        for outcome, detail in ((AuditOutcome.REFUSED, "refund_too_large"), (AuditOutcome.OK, "bay flooded")):
            s.add(
                AuditEntry(
                    at=clock.now(),
                    actor_user_id=None,
                    premise_id=alpha,
                    action="reservation.refund",
                    outcome=outcome,
                    detail=detail,
                )
            )
    await owner.send("/admin")
    await owner.tap("📜 Audit log: all car parks")
    assert "⛔ command line: Refund a booking (#1)\n   – → – (more than is left to refund)" in owner.text
    assert "✅ command line: Refund a booking (#1)\n   – → – (bay flooded)" in owner.text
    assert "refund_too_large" not in owner.text
