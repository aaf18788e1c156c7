"""`parking_payments_total` counts what committed: a payment's status change in a transaction
that rolls back (a retried unit of work, a refused booking) is not counted."""

from __future__ import annotations

import pytest

from core import metrics
from core.db import Database
from core.models import Payment, PaymentMethodKind, PaymentPurpose, PaymentStatus
from tests.factories import make_user


def counted(result: str) -> float:
    labels = {"method": "card", "purpose": "topup", "result": result}
    return metrics.REGISTRY.get_sample_value("parking_payments_total", labels) or 0.0


async def test_status_changes_count_when_their_transaction_commits(db: Database) -> None:
    metrics.track_payments()
    async with db.transaction() as s:
        user = await make_user(s)
        payment = Payment(
            user_id=user.id,
            purpose=PaymentPurpose.TOPUP,
            method=PaymentMethodKind.CARD,
            amount=500,
            currency="EUR",
        )
        s.add(payment)
    succeeded, failed = counted("succeeded"), counted("failed")

    with pytest.raises(RuntimeError):
        async with db.transaction() as s:
            row = await s.get(Payment, payment.id)
            assert row is not None
            row.status = PaymentStatus.SUCCEEDED
            await s.flush()
            raise RuntimeError("the unit of work fails after the flush")
    assert counted("succeeded") == succeeded

    async with db.transaction() as s:
        row = await s.get(Payment, payment.id)
        assert row is not None
        row.status = PaymentStatus.FAILED
    assert (counted("succeeded"), counted("failed")) == (succeeded, failed + 1)
