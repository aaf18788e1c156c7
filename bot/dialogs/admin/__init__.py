"""The operator console, `/admin` (DESIGN.md §11): the premises the caller manages, a
premise's sections (those their role allows: Details, Spots, Blockers, Staff, Prices, Audit log), staff
invites and revoking, the audit log with its CSV export.

Every button that acts on a premise carries the premise's id in its callback data, and the use
case checks the caller's role there again on every tap: a forged callback naming another
premise is refused (and audited) by core/usecases/admin.py, not by hiding buttons here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram_dialog import Dialog, DialogManager, ShowMode, StartMode, Window
from aiogram_dialog.widgets.kbd import Button, Column, Row, Start, SwitchTo
from aiogram_dialog.widgets.link_preview import LinkPreview
from aiogram_dialog.widgets.text import Format

from bot import format as fmt
from bot.commands import hide_admin_command
from bot.context import Caller, Services
from bot.dialogs.admin.blockers import BlockersSG
from bot.dialogs.admin.bookings import ConsoleBookingsSG
from bot.dialogs.admin.now import open_now
from bot.dialogs.admin.operator import OperatorSG
from bot.dialogs.admin.premises import PremisesSG
from bot.dialogs.admin.prices import PricesSG
from bot.dialogs.admin.revenue import open_revenue
from bot.dialogs.admin.reviews import ReviewsSG
from bot.dialogs.admin.spots import SpotsSG
from bot.dialogs.admin.states import AdminSG
from bot.dialogs.common import caller, choice, explain, label, services, t, unexpected_input
from bot.dialogs.states import MenuSG
from bot.i18n import Raw, tr, tr_label
from core.errors import DomainError, NotFound
from core.models import AuditOutcome, StaffRole
from core.permissions import INVITE_HOURS, Permission, Role, allowed
from core.usecases.admin import AUDIT_PAGE, AuditLine

__all__ = ["AdminSG", "admin_dialog", "open_console"]

# The sections of a premise's console that are built, in the order shown, with the
# permission each needs (core/permissions.py decides; this only hides the buttons).
SECTIONS = (
    ("details", Permission.MANAGE_PREMISE),
    ("spots", Permission.MANAGE_SPOTS),
    ("blockers", Permission.MANAGE_BLOCKERS),
    ("staff", Permission.MANAGE_STAFF),
    ("prices", Permission.MANAGE_PRICES),
    ("operator", Permission.MANAGE_PREMISE),
    ("audit", Permission.VIEW_AUDIT),
)
ALL = "all"  # the audit log of every premise (owners)


async def open_console(
    message: Message, caller: Caller, services: Services, dialog_manager: DialogManager
) -> bool:
    """`/admin`: the console for owners and staff. False for anybody else, who gets the
    answer any unknown command gets (the console does not reveal that it exists)."""
    if not await services.admin.has_console(caller.user_id):
        return False
    await dialog_manager.start(AdminSG.premises, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
    return True


def _split(item: str) -> tuple[int, str]:
    """`<premise id>:<rest>` from a button's item id; anything else is a forged button."""
    head, _, rest = item.partition(":")
    if not head.isdigit():
        raise NotFound(f"button {item[:20]!r}")
    return int(head), rest


def _role(manager: DialogManager, role: Role | StaffRole) -> str:
    return label(manager, f"admin.role.{role.value}")


# ---------------------------------------------------------------------- premises
async def premises_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    found = await services(m).admin.premises_of(caller(m).user_id)
    return {
        "title": t(m, "admin.title") if found else t(m, "admin.no_premises"),
        "premises": [
            (str(p.premise_id), label(m, "admin.premise_item", name=p.name, role=_role(m, p.role)))
            for p in found
        ],
        "audit_all": [(ALL, label(m, "admin.btn_audit_all"))] if caller(m).is_admin else [],
        # Bookings of every premise the caller has a role at (the section filters them).
        "btn_bookings": t(m, "admin.btn_bookings") if found else "",
        # Beside the car parks, what spans them (bot/dialogs/admin/now.py, revenue.py).
        "btn_now": t(m, "admin.btn_now") if found else "",
        # From the roles just read (revenue_premises and may_moderate would read them again).
        "btn_revenue": t(m, "admin.btn_revenue") if _may(found, Permission.VIEW_REVENUE) else "",
        "btn_help": t(m, "admin.btn_help"),
        "btn_new_premise": t(m, "admin.btn_new_premise") if caller(m).is_admin else "",
        "btn_reviews": await _reviews_button(m) if _may(found, Permission.MODERATE_REVIEWS) else "",
    }


async def on_now(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await open_now(manager)


async def on_revenue(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await open_revenue(callback, manager)


def _may(found: Sequence[Any], permission: Permission) -> bool:
    """Whether the caller's role at some of `found` (premises_of) allows `permission`."""
    return any(allowed(p.role, permission) for p in found)


async def _reviews_button(m: DialogManager) -> str:
    """ "⭐ Reviews (n waiting)", for those who moderate reviews somewhere."""
    _, waiting = await services(m).review_moderation.queue(caller(m).user_id, limit=0)
    return label(m, "admin.btn_reviews", count=waiting)


async def on_premise(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        premise_id, _rest = _split(item)
        await services(manager).admin.console(caller(manager).user_id, premise_id)
    except DomainError as error:
        await explain(callback, manager, error)
        return
    manager.dialog_data["premise_id"] = premise_id
    await manager.switch_to(AdminSG.premise)


# ---------------------------------------------------------------------- a premise
async def premise_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    premise_id = m.dialog_data["premise_id"]
    try:
        console = await services(m).admin.console(caller(m).user_id, premise_id)
    except DomainError:
        return {"title": t(m, "admin.refused"), "sections": []}
    sections = [
        (f"{premise_id}:{name}", label(m, f"admin.section.{name}"))
        for name, needs in SECTIONS
        if needs in console.permissions
    ]
    return {
        "title": t(m, "admin.premise", name=console.name, code=console.code, role=_role(m, console.role)),
        "sections": sections,
    }


async def on_section(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    admin, who = services(manager).admin, caller(manager).user_id
    try:
        premise_id, section = _split(item)
        # Checked with the very call the section's screen makes, so a refusal is audited.
        if section == "staff":
            await admin.list_staff(who, premise_id)
        elif section == "audit":
            await admin.audit_page(who, premise_id)
        elif section == "prices":
            await services(manager).admin_prices.price_plan(who, premise_id)
        elif section == "spots":
            await services(manager).spots.spots(who, premise_id)
        elif section == "blockers":
            await services(manager).blockers_admin.blockers(who, premise_id)
        elif section == "details":
            await services(manager).premises_admin.details(who, premise_id)
        elif section == "operator":
            await services(manager).operator_admin.operator(who, premise_id)
        else:
            raise NotFound(f"section {section[:20]!r}")
    except DomainError as error:
        await explain(callback, manager, error)
        return
    manager.dialog_data.update(premise_id=premise_id, audit_scope=str(premise_id), offset=0)
    if section == "prices":  # its own dialog (bot/dialogs/admin/prices.py); Back returns here
        await manager.start(PricesSG.plan, data={"premise_id": premise_id})
        return
    if section == "details":  # a dialog of its own (bot/dialogs/admin/premises.py)
        await manager.start(PremisesSG.details, data={"premise_id": premise_id})
        return
    if section == "spots":  # a dialog of its own (bot/dialogs/admin/spots.py)
        await manager.start(SpotsSG.spots, data={"premise_id": premise_id})
        return
    if section == "operator":  # a dialog of its own (bot/dialogs/admin/operator.py)
        await manager.start(OperatorSG.details, data={"premise_id": premise_id})
        return
    if section == "blockers":  # a dialog of its own (bot/dialogs/admin/blockers.py)
        await manager.start(BlockersSG.blockers, data={"premise_id": premise_id})
        return
    await manager.switch_to(AdminSG.staff if section == "staff" else AdminSG.audit)


# ---------------------------------------------------------------------- staff
async def staff_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    premise_id = m.dialog_data["premise_id"]
    admin, who = services(m).admin, caller(m).user_id
    try:
        console = await admin.console(who, premise_id)
        staff = await admin.list_staff(who, premise_id)
    except DomainError:
        return {"title": t(m, "admin.refused"), "invites": [], "revokes": []}
    lines = [tr(caller(m).lang, "admin.staff_line", name=s.name, role=_role(m, s.role)) for s in staff]
    return {
        "title": t(
            m,
            "admin.staff",
            name=console.name,
            count=len(staff),
            list=Raw("".join("\n" + line for line in lines)),
        ),
        "invites": [
            (f"{premise_id}:{role.value}", label(m, f"admin.btn_invite.{role.value}")) for role in StaffRole
        ],
        # An owner holding a role here is revoked by owners only (the use case refuses the rest).
        "revokes": [
            (f"{premise_id}:{s.staff_id}", label(m, "admin.btn_revoke", name=s.name))
            for s in staff
            if not s.is_owner or console.role is Role.OWNER
        ],
    }


async def on_invite(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        premise_id, role = _split(item)
        if role not in {r.value for r in StaffRole}:
            raise NotFound(f"role {role[:20]!r}")
        invite = await services(manager).admin.invite(caller(manager).user_id, premise_id, StaffRole(role))
    except DomainError as error:
        await explain(callback, manager, error)
        return
    bot: Bot = manager.middleware_data["bot"]
    me = await bot.me()
    manager.dialog_data.update(
        premise_id=premise_id,
        invite_link=f"https://t.me/{me.username}?start=staff_{invite.token}",
        invite_role=role,
        invite_premise=invite.premise_name,
        invite_expires=invite.expires_at.isoformat(),
    )
    await manager.switch_to(AdminSG.invite)


async def invite_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    data = m.dialog_data
    expires = datetime.fromisoformat(data["invite_expires"])
    return {
        "title": t(
            m,
            "admin.invite",
            role=_role(m, StaffRole(data["invite_role"])),
            name=data["invite_premise"],
            link=data["invite_link"],
            until=fmt.stamp(caller(m).lang, expires, services(m).settings.timezone),
        )
    }


async def on_revoke(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        premise_id, staff = _split(item)
        if not staff.isdigit():
            raise NotFound(f"staff {staff[:20]!r}")
        await services(manager).admin.staff_member(caller(manager).user_id, premise_id, int(staff))
    except DomainError as error:
        await explain(callback, manager, error)
        return
    manager.dialog_data.update(premise_id=premise_id, staff_id=int(staff))
    await manager.switch_to(AdminSG.revoke)


async def revoke_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    premise_id, staff_id = m.dialog_data["premise_id"], m.dialog_data["staff_id"]
    admin, who = services(m).admin, caller(m).user_id
    try:
        console = await admin.console(who, premise_id)
        member = await admin.staff_member(who, premise_id, staff_id)
    except DomainError:
        return {"title": t(m, "admin.refused"), "confirm": []}
    return {
        "title": t(
            m, "admin.revoke_confirm", name=member.name, role=_role(m, member.role), premise=console.name
        ),
        "confirm": [(f"{premise_id}:{staff_id}", label(m, "admin.btn_revoke_yes"))],
        "btn_no": t(m, "admin.btn_revoke_no"),
    }


async def on_revoke_confirmed(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        premise_id, staff = _split(item)
        if not staff.isdigit():
            raise NotFound(f"staff {staff[:20]!r}")
        revoked = await services(manager).admin.revoke(caller(manager).user_id, premise_id, int(staff))
    except DomainError as error:
        await explain(callback, manager, error)
        return
    if not revoked.keeps_console and revoked.telegram_id is not None:
        bot: Bot = manager.middleware_data["bot"]
        await hide_admin_command(bot, revoked.telegram_id)
    await callback.answer(label(manager, "admin.revoked", name=revoked.name))
    await manager.switch_to(AdminSG.staff)


# ---------------------------------------------------------------------- audit log
def _scope(manager: DialogManager) -> int | None:
    scope = str(manager.dialog_data.get("audit_scope", ALL))
    return None if scope == ALL else int(scope)


def _value(value: Any, lang: str, tz: str) -> str:
    """A logged value as staff read it: a moment (stored as ISO text) in local time."""
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            return fmt.stamp(lang, datetime.fromisoformat(value), tz)
        except ValueError:
            pass
    return str(value) if value not in ("", None) else "–"


def _changes(line: AuditLine, lang: str, tz: str) -> str:
    """`before → after`, leaving out what both sides name with the same value (the premise's id
    on every edit): on a phone, what changed is what matters; the CSV keeps everything."""
    before, after = dict(line.before or {}), dict(line.after or {})
    if line.before and line.after:
        for key in [k for k in before if k in after and before[k] == after[k]]:
            del before[key], after[key]

    def compact(value: dict[str, Any]) -> str:
        if not value:
            return "–"
        return ", ".join(f"{k}={_value(v, lang, tz)}" for k, v in value.items())

    if before and before.keys() == after.keys():  # an edit: `vat_rate_bp: 0 → 2000`
        text = ", ".join(f"{k}: {_value(before[k], lang, tz)} → {_value(after[k], lang, tz)}" for k in before)
    else:
        text = f"{compact(before)} → {compact(after)}"
    return text if len(text) <= 120 else text[:119] + "…"


def _detail(line: AuditLine, lang: str) -> str:
    """Why an action was refused, in words (the rules' code, "refund_too_large", as the booking
    history says it), or the reason typed or chosen; plain text: the line's `tr` escapes it."""
    if not line.detail:
        return ""
    if line.outcome is AuditOutcome.OK:
        return f" ({line.detail})"
    code = line.detail.split(":")[0]
    return f" ({tr_label(lang, 'admin.audit_refusal', code=code, raw=line.detail[:60])})"


def _actor(lang: str, line: AuditLine) -> str:
    if line.actor_user_id is None:
        return tr(lang, "admin.audit_cli")
    return line.actor_name or f"#{line.actor_user_id}"


async def audit_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    m = dialog_manager
    lang, tz = caller(m).lang, services(m).settings.timezone
    scope = _scope(m)
    try:
        admin, who = services(m).admin, caller(m).user_id
        page = await admin.audit_page(who, scope, int(m.dialog_data.get("offset", 0)))
        name = (await admin.console(who, scope)).name if scope is not None else None
    except DomainError:
        return {"title": t(m, "admin.refused"), "export": [], "has_prev": False, "has_next": False}
    lines = [
        tr(
            lang,
            "admin.audit_line",
            when=fmt.stamp(lang, line.at, tz),
            mark="✅" if line.outcome is AuditOutcome.OK else "⛔",
            who=_actor(lang, line),
            action=fmt.audit_action(lang, line.action),
            premise=f" (#{line.premise_id})" if line.premise_id is not None and scope is None else "",
            changes=_changes(line, lang, tz) + _detail(line, lang),
        )
        for line in page.lines
    ]
    pages = max(1, -(-page.total // page.limit))
    return {
        "title": t(
            m,
            "admin.audit",
            scope=name if name is not None else tr(lang, "admin.audit_everywhere"),
            count=page.total,
            lines=Raw("".join("\n" + line for line in lines)),
            page=page.offset // page.limit + 1,
            pages=pages,
        ),
        "export": [(str(scope) if scope is not None else ALL, label(m, "admin.btn_export"))],
        "has_prev": page.offset > 0,
        "has_next": page.offset + page.limit < page.total,
        "btn_next": t(m, "btn.more"),
    }


async def on_audit_all(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        await services(manager).admin.audit_page(caller(manager).user_id, None)
    except DomainError as error:
        await explain(callback, manager, error)
        return
    manager.dialog_data.update(audit_scope=ALL, offset=0)
    await manager.switch_to(AdminSG.audit)


async def _page(manager: DialogManager, step: int) -> None:
    manager.dialog_data["offset"] = max(0, int(manager.dialog_data.get("offset", 0)) + step)


async def on_next(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await _page(manager, AUDIT_PAGE)


async def on_prev(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await _page(manager, -AUDIT_PAGE)


async def on_export(callback: CallbackQuery, _: Any, manager: DialogManager, item: str) -> None:
    try:
        if item != ALL and not item.isdigit():
            raise NotFound(f"scope {item[:20]!r}")
        scope = None if item == ALL else int(item)
        content = await services(manager).admin.audit_csv(caller(manager).user_id, scope)
    except DomainError as error:
        await explain(callback, manager, error)
        return
    await callback.answer()
    bot: Bot = manager.middleware_data["bot"]
    stamp = services(manager).clock.now().strftime("%Y%m%d-%H%M")
    name = f"audit-{'all' if scope is None else f'premise-{scope}'}-{stamp}.csv"
    await bot.send_document(
        caller(manager).telegram_id,
        BufferedInputFile(content, filename=name),
        caption=t(manager, "admin.export_caption"),
    )
    manager.show_mode = ShowMode.SEND  # the log again, below the file


async def on_audit_back(callback: CallbackQuery, _: Button, manager: DialogManager) -> None:
    await manager.switch_to(AdminSG.premise if _scope(manager) is not None else AdminSG.premises)


async def help_getter(dialog_manager: DialogManager, **_: Any) -> dict[str, Any]:
    return {"title": t(dialog_manager, "admin.help", hours=INVITE_HOURS)}


def admin_dialog() -> Dialog:
    """A new instance: a dialog can belong to one dispatcher only."""
    return Dialog(
        Window(
            Format("{title}"),
            Row(
                Button(Format("{btn_now}"), id="now", on_click=on_now, when="btn_now"),
                Button(Format("{btn_revenue}"), id="revenue", on_click=on_revenue, when="btn_revenue"),
            ),
            Row(
                Start(
                    Format("{btn_bookings}"), id="bookings", state=ConsoleBookingsSG.find, when="btn_bookings"
                ),
                Start(Format("{btn_reviews}"), id="reviews", state=ReviewsSG.queue, when="btn_reviews"),
            ),
            Column(choice("prem", "premises", on_premise), when="premises"),
            Column(choice("audit_all", "audit_all", on_audit_all), when="audit_all"),
            Start(
                Format("{btn_new_premise}"), id="new", state=PremisesSG.new_location, when="btn_new_premise"
            ),
            Row(
                SwitchTo(Format("{btn_help}"), id="help", state=AdminSG.help),
                Start(Format("{btn_menu}"), id="menu", state=MenuSG.main, mode=StartMode.RESET_STACK),
            ),
            unexpected_input(),
            state=AdminSG.premises,
            getter=premises_getter,
        ),
        Window(
            Format("{title}"),
            Column(choice("section", "sections", on_section), when="sections"),
            SwitchTo(Format("{btn_back}"), id="back", state=AdminSG.premises),
            unexpected_input(),
            state=AdminSG.premise,
            getter=premise_getter,
        ),
        Window(
            Format("{title}"),
            Row(choice("invite", "invites", on_invite), when="invites"),
            Column(choice("revoke", "revokes", on_revoke), when="revokes"),
            SwitchTo(Format("{btn_back}"), id="back", state=AdminSG.premise),
            unexpected_input(),
            state=AdminSG.staff,
            getter=staff_getter,
        ),
        Window(
            Format("{title}"),
            SwitchTo(Format("{btn_back}"), id="back", state=AdminSG.staff),
            unexpected_input(),
            LinkPreview(is_disabled=True),
            state=AdminSG.invite,
            getter=invite_getter,
        ),
        Window(
            Format("{title}"),
            Column(choice("revoke_yes", "confirm", on_revoke_confirmed), when="confirm"),
            SwitchTo(Format("{btn_no}"), id="no", state=AdminSG.staff),
            unexpected_input(),
            state=AdminSG.revoke,
            getter=revoke_getter,
        ),
        Window(
            Format("{title}"),
            Row(
                Button(Format("{btn_prev}"), id="prev", on_click=on_prev, when="has_prev"),
                Button(Format("{btn_next}"), id="next", on_click=on_next, when="has_next"),
            ),
            Column(choice("export", "export", on_export), when="export"),
            Button(Format("{btn_back}"), id="back", on_click=on_audit_back),
            unexpected_input(),
            state=AdminSG.audit,
            getter=audit_getter,
        ),
        Window(
            Format("{title}"),
            SwitchTo(Format("{btn_back}"), id="back", state=AdminSG.premises),
            unexpected_input(),
            state=AdminSG.help,
            getter=help_getter,
        ),
    )
