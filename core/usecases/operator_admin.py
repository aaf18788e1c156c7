"""The console's "🧾 Operator & VAT" screen (issue 15): who sells the parking at a premise, as
its receipts print it (legal name, registered address, VAT number), and the VAT rate its
VAT-inclusive prices contain. Owners and managers (MANAGE_PREMISE); every change audited
through core/usecases/admin.py's `_action` pattern.

Premises with the same VAT number are one operator and share one receipt numbering
(core/services/receipts.py): changing a premise's VAT number moves its next receipts to that
operator's sequence; receipts already issued keep their number and text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from core.errors import InvalidOperatorField, NotFound
from core.models import Premise
from core.permissions import Permission
from core.usecases.admin import AdminUseCases

FIELDS = ("operator_name", "operator_address", "vat_number", "vat_rate")
_LIMITS = {"operator_name": 200, "operator_address": 300, "vat_number": 32}
MAX_VAT_BP = 5000  # 50 %: above that it is a typo, not a VAT rate


@dataclass(frozen=True, slots=True)
class OperatorDetails:
    premise_id: int
    premise_name: str
    operator_name: str
    operator_address: str
    vat_number: str
    vat_rate_bp: int


def parse_vat_rate(text: str) -> int:
    """`20`, `20 %`, `7.5` or `7,5` (per cent) as basis points; 0 is allowed. Decimal, never a
    float: 7.5 % is exactly 750. Raises InvalidOperatorField."""
    cleaned = text.strip().rstrip("%").strip().replace(",", ".")
    try:
        bp = Decimal(cleaned) * 100
    except InvalidOperation:
        raise InvalidOperatorField("vat_rate", text[:20]) from None
    if not bp.is_finite() or bp != bp.to_integral_value() or not 0 <= bp <= MAX_VAT_BP:
        raise InvalidOperatorField("vat_rate", text[:20])
    return int(bp)


def clean(field: str, value: str) -> Any:
    """The value to store for `field` (vat_rate: basis points); raises InvalidOperatorField."""
    if field == "vat_rate":
        return parse_vat_rate(value)
    if field not in _LIMITS:
        raise InvalidOperatorField(field, "not editable")
    text = " ".join(value.split())
    if text == "-" and field != "operator_name":  # a dash clears an optional field
        text = ""
    if field == "vat_number":
        text = text.upper()
    if len(text) > _LIMITS[field] or (field == "operator_name" and not text):
        raise InvalidOperatorField(field, "empty or too long")
    return text


def _details(premise: Premise) -> OperatorDetails:
    return OperatorDetails(
        premise.id,
        premise.name,
        premise.operator_name,
        premise.operator_address,
        premise.vat_number,
        premise.vat_rate_bp,
    )


class OperatorAdminUseCases(AdminUseCases):
    async def operator(self, actor_id: int, premise_id: int) -> OperatorDetails:
        async with self._view(actor_id, premise_id, Permission.MANAGE_PREMISE, "operator.view") as (s, _):
            premise = await s.get(Premise, premise_id)
            if premise is None:
                raise NotFound(f"premise {premise_id}")
            return _details(premise)

    async def update_operator(
        self, actor_id: int, premise_id: int, field: str, value: str
    ) -> OperatorDetails:
        """Sets one of FIELDS (`vat_rate` typed in per cent). Raises InvalidOperatorField,
        NotPermitted, NotFound."""
        action = self._action(actor_id, premise_id, Permission.MANAGE_PREMISE, f"operator.edit.{field}"[:64])
        async with action as (s, audit):
            if field not in FIELDS:
                raise InvalidOperatorField(field[:32], "not editable")
            premise = await s.scalar(select(Premise).where(Premise.id == premise_id).with_for_update())
            if premise is None:
                raise NotFound(f"premise {premise_id}")
            column = "vat_rate_bp" if field == "vat_rate" else field
            new = clean(field, value)
            audit.before = {"premise_id": premise.id, column: getattr(premise, column)}
            setattr(premise, column, new)
            audit.after = {"premise_id": premise.id, column: new}
            details = _details(premise)
        return details
