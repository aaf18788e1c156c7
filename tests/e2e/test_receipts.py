"""A receipt through the running service (issue 15): the driver taps "🧾 Receipt" on a paid
booking's screen and gets a PDF document from sendDocument (the Bot API emulator checks the
upload against the spec)."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from core.models import Reservation, WalletTransaction, WalletTxKind
from tests.e2e.conftest import E2E, tap
from tests.e2e.test_edges import _hold_via_bot


async def test_the_receipt_button_sends_a_pdf_document(e2e: E2E) -> None:
    user, hold = await _hold_via_bot(e2e, 3101)
    await e2e.fund(3101, 1000)
    await user.send_text("ok")  # the payment screen again, with the balance
    hold = await user.wait_for_message(lambda m: "👛 Wallet (10.00 EUR)" in str(m.buttons()))
    await tap(user, hold, "👛 Wallet", lambda m: "Payment received for booking" in m.text)
    await user.send_command("/bookings")
    listing = await user.wait_for_message(lambda m: "Your bookings" in m.text)
    detail = await tap(user, listing, "*Central Garage ✅", lambda m: "Booking #" in m.text)
    assert "🧾 Receipt" in [t for t, _ in detail.buttons()]

    await tap(user, detail, "🧾 Receipt", lambda m: "document" in m.raw)
    document = next(m for m in user.messages if "document" in m.raw)
    assert document.raw["document"]["file_name"] == "receipt-000001.pdf"
    assert document.text == "🧾 Receipt No. 000001 · 5.00 EUR"
    content = e2e.tg.files[document.raw["document"]["file_id"]].content
    assert content.startswith(b"%PDF-")
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "Receipt No. 000001" in text and "Central Garage" in text and "5.00 EUR" in text
    # The booking's screen comes again below the document.
    await user.wait_for_message(lambda m: m.message_id > document.message_id and "Booking #" in m.text)


async def test_ending_early_gives_the_unused_time_back_and_the_refund_has_its_own_receipt(e2e: E2E) -> None:
    """Through the running service: a 2-hour stay ended 20 minutes in ("🏁 End parking now")
    credits the unused whole steps to the wallet, and "🧾 Receipt" then sends two documents:
    the payment's receipt and a refund receipt for the part given back, reversing No. 000001."""
    user, hold = await _hold_via_bot(e2e, 3102)
    await e2e.fund(3102, 1000)
    await user.send_text("ok")
    hold = await user.wait_for_message(lambda m: "👛 Wallet (10.00 EUR)" in str(m.buttons()))
    await tap(user, hold, "👛 Wallet", lambda m: "Payment received for booking" in m.text)
    async with e2e.db.read() as s:
        (r,) = (await s.scalars(select(Reservation))).all()
    e2e.clock.set(max(r.starts_at, e2e.clock.now()) + timedelta(minutes=20))
    await user.send_command("/bookings")
    listing = await user.wait_for_message(lambda m: "Your bookings" in m.text)
    detail = await tap(user, listing, "*Central Garage", lambda m: "Booking #" in m.text)
    question = await tap(
        user, detail, "🏁 End parking now", lambda m: m.text.startswith(f"End booking #{r.id} now?")
    )
    ended = await tap(user, question, "Yes, end now", lambda m: "✔️ completed" in m.text)
    async with e2e.db.read() as s:
        refund = await s.scalar(
            select(WalletTransaction.amount).where(WalletTransaction.kind == WalletTxKind.REFUND)
        )
    assert refund is not None and 0 < refund < 500

    assert "🧾 Receipt" in [t for t, _ in ended.buttons()], ended.buttons()
    await tap(user, ended, "🧾 Receipt", lambda m: "Refund receipt" in m.text)
    documents = [m for m in user.messages if "document" in m.raw]
    assert [m.text for m in documents] == [
        "🧾 Receipt No. 000001 · 5.00 EUR",
        f"🧾 Refund receipt No. 000002 · {refund // 100}.{refund % 100:02d} EUR",
    ]
    content = e2e.tg.files[documents[1].raw["document"]["file_id"]].content
    text = " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    assert "Refund of receipt No. 000001" in text and "Part of the payment given back" in text
    assert "to: wallet" in text
