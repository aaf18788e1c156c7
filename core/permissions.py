"""Who may do what in the operator console (DESIGN.md §11): the one authority. Pure: the use
cases (core/usecases/admin.py) find the caller's role at a premise in the database and ask
`allowed` on every action; screens only hide what this says is not allowed.

Owners (users.is_admin: ADMIN_IDS or `python main.py admin add`) may do everything at every
premise, and the things that belong to no single premise: creating a car park and the audit
log of all premises (core/usecases/admin.py checks those with no premise named, where only
owners have a role). Managers may do everything at their premise, prices and its staff
included: they invite managers and attendants there and revoke them, but never an owner
(AdminUseCases.revoke refuses it whatever the table says). Attendants run the car park:
occupancy, bookings and blockers; no prices, no refunds, no revenue, no staff, no audit log, no review
moderation.
"""

from __future__ import annotations

import enum


class Permission(enum.StrEnum):
    VIEW_OCCUPANCY = "view_occupancy"
    MANAGE_BOOKINGS = "manage_bookings"
    MANAGE_BLOCKERS = "manage_blockers"
    MANAGE_PRICES = "manage_prices"
    MANAGE_SPOTS = "manage_spots"
    MANAGE_PREMISE = "manage_premise"
    REFUND = "refund"
    MANAGE_STAFF = "manage_staff"
    VIEW_AUDIT = "view_audit"
    VIEW_REVENUE = "view_revenue"  # the console's Revenue: figures, chart, CSV export
    # Publishing or rejecting drivers' reviews of the premise: what the public reads about it,
    # so owners and managers, never attendants (a right of its own, not MANAGE_PREMISE, so a
    # role can be given one without the other).
    MODERATE_REVIEWS = "moderate_reviews"


class Role(enum.StrEnum):
    """A caller's standing at one premise. OWNER comes from users.is_admin; the others are
    core.models.StaffRole values (premise_staff.role)."""

    OWNER = "owner"
    MANAGER = "manager"
    ATTENDANT = "attendant"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(Permission),
    Role.MANAGER: frozenset(Permission),
    Role.ATTENDANT: frozenset(
        {Permission.VIEW_OCCUPANCY, Permission.MANAGE_BOOKINGS, Permission.MANAGE_BLOCKERS}
    ),
}

# Invites last this long and are used once.
INVITE_HOURS = 24


def allowed(role: Role | None, permission: Permission) -> bool:
    """Whether someone with `role` at a premise (None: no role there) may do `permission` there."""
    return role is not None and permission in ROLE_PERMISSIONS[role]


def permissions(role: Role | None) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role] if role is not None else frozenset()
