"""The operator console through the Bot API emulator (every call checked against the vendored
Bot API description): an owner invites an attendant by link, the attendant gets /admin in
their own command menu and sees their car park but not its staff (also not with a forged
button), the owner revokes them, and /admin is an unknown command for them again; every step
is in the audit log."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.models import AuditEntry, AuditOutcome
from demo.botapi import BotMessage
from tests.e2e.conftest import E2E, button, tap
from tests.waiting import eventually

OWNER, ATTENDANT = 5001, 5002
UNKNOWN = "I did not get that. Use the buttons, or /help to see what I can do."


async def test_an_attendant_is_invited_kept_out_of_staff_and_revoked(e2e: E2E) -> None:
    await e2e.app.services.admin.add_owner(OWNER)  # `python main.py admin add 5001`
    owner = e2e.tg.user(OWNER, "Olena")
    await owner.send_command("/admin")
    console = await owner.wait_for_message(lambda m: "Operator console" in m.text)
    premise = await tap(owner, console, "Central Garage · owner", lambda m: "Your role: owner" in m.text)
    staff = await tap(owner, premise, "👥 Staff", lambda m: "Staff of Central Garage" in m.text)
    shown = await tap(owner, staff, "➕ Invite an attendant", lambda m: "t.me/" in m.text)
    link = re.search(r"https://t\.me/parking_test_bot\?start=(staff_[\w-]+)", shown.text)
    assert link, shown.text

    attendant = e2e.tg.user(ATTENDANT, "Taras")
    await attendant.send_command("/start", link.group(1))
    welcome = await attendant.wait_for_message(lambda m: "Welcome!" in m.text)
    assert (
        welcome.text
        == "✅ Welcome! Your role at Central Garage is now attendant.\n/admin opens the operator console."
    )
    listing = await attendant.wait_for_message(lambda m: "Choose a car park" in m.text)
    # Their own command menu, with /admin (the emulator checked the call against the spec).
    menus = [p for name, p in e2e.tg.calls if name == "setMyCommands" and "scope" in p]
    assert {"type": "chat", "chat_id": ATTENDANT} in [p["scope"] for p in menus]
    assert e2e.tg.violations == []  # every call as the vendored Bot API description allows
    mine = e2e.tg.commands[(f"chat:{ATTENDANT}", "")]
    assert [c["command"] for c in mine] == [
        "start",
        "find",
        "bookings",
        "wallet",
        "language",
        "help",
        "admin",
        "cancel",
    ]
    assert [text for text, _ in listing.buttons()] == [
        "📊 Now",
        "📋 Bookings",
        "Central Garage · attendant",
        "ℹ️ What I can do",
        "🏠 Menu",
    ]
    mine_screen = await tap(attendant, listing, "Central Garage", lambda m: "Your role: attendant" in m.text)
    assert [text for text, _ in mine_screen.buttons()] == ["🔌 Blockers", "⬅️ Back"]

    # The owner's Staff button, forged into the attendant's console: refused on the server.
    intent = button(mine_screen, "⬅️ Back").partition("\x1d")[0]
    forged = await attendant.tap_raw(mine_screen.message_id, f"{intent}\x1dsection:{e2e.premise_id}:staff")
    await eventually(lambda: any(a.callback_id == forged for a in attendant.callback_answers), what="refusal")
    refusal = next(a for a in attendant.callback_answers if a.callback_id == forged)
    assert (refusal.text, refusal.show_alert) == ("You do not have access to this.", True)

    # The owner revokes the attendant.
    staff = await tap(owner, shown, "⬅️ Back", lambda m: "• Taras: attendant" in m.text)
    confirm = await tap(owner, staff, "✖️ Taras", lambda m: "for Taras (attendant)?" in m.text)
    await tap(owner, confirm, "✅ Yes, revoke", lambda m: "Nobody yet." in m.text)
    assert (f"chat:{ATTENDANT}", "") not in e2e.tg.commands
    resets = [p for name, p in e2e.tg.calls if name == "deleteMyCommands"]
    assert resets == [{"scope": {"type": "chat", "chat_id": ATTENDANT}}]

    # /admin is an unknown command for them now, word for word.
    # The answer is the menu with the hint on top, one message (as for any unknown command).
    menu = f"{UNKNOWN}\n\nWhat would you like to do?"
    await attendant.send_command("/admin")
    answer = await attendant.wait_for_message(lambda m: m.text == menu)
    await attendant.send_command("/whatever")
    other = await attendant.wait_for_message(lambda m: m.text == menu and m.message_id != answer.message_id)
    assert (answer.raw.get("entities"), answer.markup) == (other.raw.get("entities"), other.markup)

    async with e2e.db.read() as s:
        log = list(await s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.action, e.outcome, e.premise_id) for e in log] == [
        ("owner.add", AuditOutcome.OK, None),
        ("staff.invite", AuditOutcome.OK, e2e.premise_id),
        ("staff.accept", AuditOutcome.OK, e2e.premise_id),
        ("staff.list", AuditOutcome.REFUSED, e2e.premise_id),
        ("staff.revoke", AuditOutcome.OK, e2e.premise_id),
    ]

    # The owner reads it in the console, newest first.
    await owner.send_command("/admin")
    console = await owner.wait_for_message(lambda m: "Operator console" in m.text)
    audit: BotMessage = await tap(
        owner, console, "📜 Audit log: all car parks", lambda m: "5 entries" in m.text
    )
    actions = re.findall(r"[✅⛔] (\w+): (.+?)(?: \(#\d+\))?\n", audit.text)
    assert actions == [
        ("Olena", "Revoke access"),
        ("Taras", "View the staff"),
        ("Taras", "Accept an invite"),
        ("Olena", "Invite staff"),
    ]
    assert "command line: Add an owner" in audit.text
    # And exports it: a CSV document (the emulator checked the upload against the spec).
    await owner.tap(audit, button(audit, "📄 Export CSV"))
    document = await owner.wait_for_message(lambda m: "document" in m.raw)
    assert document.raw["document"]["file_name"].startswith("audit-all-")
    assert document.text == "📄 Audit log (CSV)"
    content = e2e.tg.files[document.raw["document"]["file_id"]].content.decode()
    header = "id,at,actor_user_id,actor_name,premise_id,action,outcome,before,after,detail"
    assert content.splitlines()[0] == header
    assert len(content.splitlines()) == 1 + 5


async def test_owners_get_admin_in_their_menu_at_start_up(e2e: E2E) -> None:
    await e2e.app.services.users.telegram_caller(OWNER, name="Olena", language="uk")
    await e2e.app.services.admin.add_owner(OWNER)
    await e2e.app._owner_menus()  # what App.start does after registering everyone's menu
    menu = e2e.tg.commands[(f"chat:{OWNER}", "")]
    assert [c["command"] for c in menu][-2:] == ["admin", "cancel"]
    assert menu[-2]["description"] == "Консоль оператора"  # in the owner's language


async def test_spots_added_in_the_console_are_offered_to_drivers_at_once(e2e: E2E) -> None:
    # The running stack end to end: the owner adds spots from Telegram, and a driver's search
    # through the same bot counts them.
    await e2e.app.services.admin.add_owner(OWNER)
    owner = e2e.tg.user(OWNER, "Olena")
    await owner.send_command("/admin")
    console = await owner.wait_for_message(lambda m: "Operator console" in m.text)
    premise = await tap(owner, console, "Central Garage · owner", lambda m: "Your role: owner" in m.text)
    spots = await tap(owner, premise, "🅿️ Spots", lambda m: "Spots of Central Garage" in m.text)
    before = int(re.search(r"(\d+) spots?", spots.text).group(1))  # type: ignore[union-attr]
    await tap(owner, spots, "➕ Add spots", lambda m: "Type the spots to add" in m.text)
    await owner.send_text("Z1-Z3")
    added = await owner.wait_for_message(lambda m: m.text.startswith("✅ 3 spots added."))
    assert f"{before + 3} spots" in added.text
    assert e2e.tg.violations == []
    async with e2e.db.read() as s:
        log = list(await s.scalars(select(AuditEntry).where(AuditEntry.action == "spot.add")))
    assert [(e.outcome, e.premise_id) for e in log] == [(AuditOutcome.OK, e2e.premise_id)]
    free = await e2e.app.services.search.card(e2e.premise_id, starts_at=None, minutes=60)
    assert free.stay is not None and free.stay.free_spots == before + 3
