"""Receipt numbers: one gap-free sequence per operator.

An operator is whoever sells: premises with the same VAT number are one operator (one
sequence); a premise without a VAT number is an operator of its own; wallet top-ups are the
service operator's (Settings.operator_*). `operator_key` names the sequence.

A number is taken with `UPDATE receipt_counters SET last_number = last_number + 1 … RETURNING`
inside the transaction that writes the receipt. On PostgreSQL the UPDATE locks the counter
row until that transaction ends, so a concurrent issuer waits and then reads the incremented
value; on SQLite the write transaction began IMMEDIATE (core/db.py), so issuers run one at a
time. Either way the number and the receipt commit together or not at all: a rolled-back
receipt gives its number back, and no two receipts of one operator share one (the unique
constraint on receipts (operator_key, number) is the last guard).
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import ReceiptCounter

SERVICE_OPERATOR = "service"  # wallet top-ups when the service has no VAT number


def vat_key(vat_number: str) -> str:
    """A VAT number as a sequence name: `UA 1234-5678` and `ua12345678` are one operator."""
    return "".join(c for c in vat_number.upper() if c.isalnum())


def operator_key(*, vat_number: str, premise_id: int | None) -> str:
    if key := vat_key(vat_number):
        return f"vat:{key}"[:64]
    return f"premise:{premise_id}" if premise_id is not None else SERVICE_OPERATOR


async def next_number(session: AsyncSession, key: str) -> int:
    """The operator's next receipt number, taken in the caller's transaction."""
    bump = (
        update(ReceiptCounter)
        .where(ReceiptCounter.operator_key == key)
        .values(last_number=ReceiptCounter.last_number + 1)
        .returning(ReceiptCounter.last_number)
    )
    number = await session.scalar(bump)
    if number is not None:
        return int(number)
    # The operator's first receipt: create the counter. Two first receipts at once both get
    # here on PostgreSQL; ON CONFLICT DO NOTHING lets the second's insert wait for the first
    # and then do nothing, and its UPDATE below waits on the row lock as usual.
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(ReceiptCounter).values(operator_key=key, last_number=0).on_conflict_do_nothing()
    )
    number = await session.scalar(bump)
    assert number is not None
    return int(number)
