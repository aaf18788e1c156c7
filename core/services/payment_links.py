"""Short payment links (`GET /p/<token>`): a random token per payment that stands for the
provider's page while the payment is open. The token is never logged in full."""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.models import Payment, PaymentLink, PaymentPurpose, PaymentStatus

TOKEN_CHARS = 10  # 60 random bits in URL-safe base64: `PUBLIC_URL/p/` + 10 fits an SMS


class LinkState(enum.Enum):
    OPEN = "open"  # the page can still be paid: redirect to it
    PAID = "paid"
    EXPIRED = "expired"  # closed unpaid (hold lapsed, page expired, card failed)
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class LinkTarget:
    state: LinkState
    url: str | None = None


_PAID = (
    PaymentStatus.SUCCEEDED,
    PaymentStatus.REFUND_PENDING,
    PaymentStatus.REFUNDED,
    PaymentStatus.REFUND_FAILED,
    PaymentStatus.NEEDS_REVIEW,
)


def new_token() -> str:
    return secrets.token_urlsafe(8)[:TOKEN_CHARS]


def shown(token: str) -> str:
    """A token as logs may show it: enough to tell two apart, never enough to open one (and
    nothing but token characters, whatever was sent)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "?" for c in token[:3]) + "…"


async def link_for(session: AsyncSession, checkout_session_id: str, url: str, now: datetime) -> str:
    """The token standing for a payment page (the same one when asked again for that payment)."""
    payment_id = await session.scalar(
        select(Payment.id).where(Payment.stripe_checkout_session_id == checkout_session_id)
    )
    if payment_id is None:
        raise NotFound(f"payment of checkout {checkout_session_id}")
    for _ in range(3):
        existing = await session.scalar(select(PaymentLink).where(PaymentLink.payment_id == payment_id))
        if existing is not None:
            return existing.token
        try:
            async with session.begin_nested():
                link = PaymentLink(token=new_token(), payment_id=payment_id, url=url, created_at=now)
                session.add(link)
                await session.flush()
        except IntegrityError:  # the payment got its link meanwhile, or (never seen) a token clash
            continue
        return link.token
    raise RuntimeError("could not record a payment link")


async def target(session: AsyncSession, token: str) -> LinkTarget:
    """Where a short link leads now: the page while its payment is open."""
    row = await session.execute(
        select(PaymentLink.url, Payment.status)
        .join(Payment, Payment.id == PaymentLink.payment_id)
        .where(PaymentLink.token == token)
    )
    found = row.first()
    if found is None:
        return LinkTarget(LinkState.UNKNOWN)
    url, status = found
    if status == PaymentStatus.PENDING:
        return LinkTarget(LinkState.OPEN, url)
    if status in _PAID:
        return LinkTarget(LinkState.PAID)
    return LinkTarget(LinkState.EXPIRED)


async def open_booking_link(session: AsyncSession, reservation_id: int, user_id: int) -> str | None:
    """The token of the caller's payment page for a booking that is still open, if one was sent
    (a driver who answers PAY to a link gets that link again, not a second page)."""
    token: str | None = await session.scalar(
        select(PaymentLink.token)
        .join(Payment, Payment.id == PaymentLink.payment_id)
        .where(
            Payment.reservation_id == reservation_id,
            Payment.user_id == user_id,
            Payment.purpose == PaymentPurpose.BOOKING,
            Payment.status == PaymentStatus.PENDING,
        )
        .order_by(Payment.id.desc())
        .limit(1)
    )
    return token
