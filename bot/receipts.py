"""A receipt as a PDF (fpdf2), in the driver's language: what core/usecases/receipts.py issued
and stored, laid out on one A4 page. The font is the vendored DejaVu Sans (bot/fonts/, with its
licence), embedded in the file, so Ukrainian reads the same on every device and nothing outside
the package is read.
"""

from __future__ import annotations

import asyncio
import html
from datetime import datetime
from importlib.resources import files
from typing import Any

from aiogram import Bot
from aiogram.types import BufferedInputFile
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bot import format as fmt
from bot.i18n import tr_label
from core.pricing import LineKind, PeriodRate, PriceLine
from core.usecases.receipts import BASIS, ReceiptDoc

FONT = "DejaVu"
_FONTS = files("bot") / "fonts"
_WIDTH = 170  # mm between A4's 20 mm margins
_AMOUNT = 40  # mm: the amounts' column


def filename(doc: ReceiptDoc) -> str:
    kind = "refund" if doc.kind.value == "refund" else "receipt"
    return f"{kind}-{doc.number:06d}.pdf"


def number(doc: ReceiptDoc) -> str:
    """The receipt's number as printed: six digits, the operator's sequence."""
    return f"{doc.number:06d}"


def vat_rate(rate_bp: int) -> str:
    """Basis points as a percentage, in integers: 2000 → `20`, 750 → `7.5`."""
    whole, rest = divmod(rate_bp, BASIS // 100)
    return f"{whole}" if not rest else f"{whole}.{rest:02d}".rstrip("0")


def _when(lang: str, iso: str | None, tz: str) -> str:
    """`22 Nov 2026 10:00` in the premise's zone (a receipt keeps the year)."""
    if not iso:
        return ""
    moment = fmt.local(datetime.fromisoformat(iso), tz)
    month = tr_label(lang, "date.months").split()[moment.month - 1]
    return f"{moment.day:02d} {month} {moment.year} {moment:%H:%M}"


def _plain(text: str) -> str:
    # Texts shared with chat messages (price lines, durations) come HTML-escaped.
    return html.unescape(text)


def line_text(lang: str, line: dict[str, Any], currency: str) -> str:
    """One line item as the receipt names it."""
    kind = line.get("kind")
    minutes = int(line.get("minutes") or 0)
    if kind == "topup":
        return tr_label(lang, "receipt.line_topup")
    if kind == "extension":
        return tr_label(lang, "receipt.line_extension", duration=_plain(fmt.duration(lang, minutes)))
    if kind == "stay":
        return tr_label(lang, "receipt.line_stay", duration=_plain(fmt.duration(lang, minutes)))
    if kind == "refund":
        return tr_label(lang, "receipt.line_refund")
    if kind == LineKind.FIRST_HOUR.value:
        # The chat's text names the amount too ("1st hour 3.00 EUR"); here it has its column.
        return tr_label(
            lang, "receipt.line_first_hour", minutes=minutes, duration=_plain(fmt.duration(lang, minutes))
        )
    period = PeriodRate.from_json(line["period"]) if line.get("period") else None
    price_line = PriceLine(LineKind(str(kind)), minutes, int(line["per_hour"]), int(line["amount"]), period)
    return _plain(fmt.price_lines(lang, (price_line,), currency))


def payment_method(lang: str, data: dict[str, Any]) -> str:
    if data.get("method") == "wallet":
        return tr_label(lang, "receipt.method_wallet")
    if data.get("card_brand") and data.get("card_last4"):
        brand = str(data["card_brand"]).title()
        return tr_label(lang, "receipt.method_card", brand=brand, last4=str(data["card_last4"]))
    return tr_label(lang, "receipt.method_card_page")


def refunded_line(lang: str, doc: ReceiptDoc, date: str) -> str:
    """When and where a refund went: unused time is always credited to the wallet, whatever
    paid for it; receipts issued before parts were told apart went back where they came from."""
    to_wallet = int(doc.data.get("to_wallet", doc.amount if doc.data.get("method") == "wallet" else 0))
    if to_wallet >= doc.amount:
        return tr_label(lang, "receipt.refunded", date=date, method=tr_label(lang, "receipt.method_wallet"))
    if to_wallet <= 0:
        return tr_label(lang, "receipt.refunded", date=date, method=payment_method(lang, doc.data))
    return tr_label(
        lang,
        "receipt.refunded_split",
        date=date,
        wallet=fmt.money(to_wallet, doc.currency),
        rest=fmt.money(doc.amount - to_wallet, doc.currency),
        method=payment_method(lang, doc.data),
    )


def render(doc: ReceiptDoc, lang: str, *, default_tz: str = "UTC") -> bytes:
    """The receipt as a PDF file's bytes."""
    data = doc.data
    tz = str(data.get("timezone") or default_tz)
    currency = doc.currency
    refund = doc.kind.value == "refund"
    sign = "−" if refund else ""

    pdf = FPDF(format="A4")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_font(FONT, "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(tr_label(lang, "receipt.title_refund" if refund else "receipt.title", number=number(doc)))
    pdf.set_creator("smart-parking-bot")
    pdf.add_page()

    def text(value: str, *, size: float = 10, bold: bool = False, height: float = 5.5) -> None:
        pdf.set_font(FONT, "B" if bold else "", size)
        pdf.multi_cell(_WIDTH, height, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def row(left: str, right: str, *, bold: bool = False, size: float = 10) -> None:
        pdf.set_font(FONT, "B" if bold else "", size)
        y = pdf.get_y()
        pdf.multi_cell(_WIDTH - _AMOUNT, 6, left, new_x=XPos.RIGHT, new_y=YPos.TOP)
        bottom = pdf.get_y()
        pdf.set_xy(20 + _WIDTH - _AMOUNT, y)
        pdf.cell(_AMOUNT, 6, right, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(bottom, pdf.get_y()))

    def rule() -> None:
        pdf.ln(2)
        pdf.set_draw_color(160, 160, 160)
        pdf.line(20, pdf.get_y(), 20 + _WIDTH, pdf.get_y())
        pdf.ln(3)

    title_key = "receipt.title_refund" if refund else "receipt.title"
    text(tr_label(lang, title_key, number=number(doc)), size=16, bold=True, height=9)
    if refund and data.get("original_number"):
        text(tr_label(lang, "receipt.reverses", number=f"{int(data['original_number']):06d}"))
    text(tr_label(lang, "receipt.date", date=_when(lang, doc.issued_at.isoformat(), tz)))
    rule()

    operator = data.get("operator") or {}
    text(tr_label(lang, "receipt.seller"), size=8)
    text(str(operator.get("name") or "—"), bold=True)
    if operator.get("address"):
        text(str(operator["address"]))
    text(tr_label(lang, "receipt.vat_number", number=str(operator.get("vat_number") or "—")))
    pdf.ln(3)
    text(tr_label(lang, "receipt.customer"), size=8)
    text(str(data.get("driver") or "—"), bold=True)
    if data.get("reservation_id"):
        pdf.ln(3)
        text(
            tr_label(
                lang, "receipt.booking", id=int(data["reservation_id"]), name=str(data.get("premise", ""))
            ),
            bold=True,
        )
        if data.get("premise_address"):
            text(str(data["premise_address"]))
        text(tr_label(lang, "receipt.spot", spot=str(data.get("spot", ""))))
        if data.get("plate"):
            text(tr_label(lang, "receipt.plate", plate=str(data["plate"])))
        if data.get("starts_at") and data.get("ends_at"):
            window = fmt.window(
                datetime.fromisoformat(data["starts_at"]), datetime.fromisoformat(data["ends_at"]), tz, lang
            )
            text(tr_label(lang, "receipt.window", window=window, tz=tz))
    rule()

    text(tr_label(lang, "receipt.items"), size=8)
    for line in data.get("lines") or []:
        row(line_text(lang, line, currency), sign + fmt.money(int(line["amount"]), currency))
    rule()
    total_key = "receipt.total_refund" if refund else "receipt.total"
    row(tr_label(lang, total_key), sign + fmt.money(doc.amount, currency), bold=True, size=11)
    if doc.data.get("purpose") == "topup":
        text(tr_label(lang, "receipt.no_vat_topup"), size=9)
    else:
        row(
            tr_label(lang, "receipt.vat", rate=vat_rate(doc.vat_rate_bp)),
            sign + fmt.money(doc.vat_amount, currency),
        )
        row(tr_label(lang, "receipt.net"), sign + fmt.money(doc.amount - doc.vat_amount, currency))
    rule()
    if refund:
        text(refunded_line(lang, doc, _when(lang, data.get("refunded_at"), tz)))
    text(
        tr_label(
            lang, "receipt.paid", date=_when(lang, data.get("paid_at"), tz), method=payment_method(lang, data)
        )
    )
    pdf.ln(4)
    text(tr_label(lang, "receipt.footer", payment=int(data.get("payment_id") or 0)), size=8)
    return bytes(pdf.output())


async def send(bot: Bot, chat_id: int, lang: str, docs: list[ReceiptDoc], *, default_tz: str) -> None:
    """Each receipt as a PDF document (sendDocument), its number and total as the caption."""
    for doc in docs:
        content = await asyncio.to_thread(render, doc, lang, default_tz=default_tz)
        key = "receipt.caption_refund" if doc.kind.value == "refund" else "receipt.caption"
        caption = tr_label(lang, key, number=number(doc), amount=fmt.money(doc.amount, doc.currency))
        await bot.send_document(chat_id, BufferedInputFile(content, filename=filename(doc)), caption=caption)
