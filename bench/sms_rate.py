"""SMS rate benchmark: N wallet notifications for SMS-only users due at once, sent by the SMS
outbox dispatcher through the real SMS sender (the `twilio` library) to the Twilio fake, with
a few 429s and 5xx on the way.

    python bench/sms_rate.py [--messages 60] [--rate 1]

Prints messages/second achieved against TWILIO_RATE_PER_SECOND, the most sent in any one
second, refusals retried, lost and duplicated messages. Target: the rate kept (no second
above it), 0 lost and 0 duplicated.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import insert, select

from bench._common import print_machine
from core.clock import SystemClock
from core.db import Database
from core.migrate import upgrade_to_head
from core.models import Channel, Notification, NotificationStatus, User
from jobs.dispatcher import DispatchLimits, OutboxDispatcher
from sms.sender import SmsSender, Twilio
from tests.fakes.twilio import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, TwilioFake


async def main(messages: int, rate: float) -> None:
    print_machine("SMS send rate")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        await asyncio.to_thread(upgrade_to_head, url)
        db = Database.from_url(url)
        now = datetime.now(UTC)
        async with db.transaction() as s:
            await s.execute(
                insert(User), [{"phone": f"+4477009{i:05d}", "language": "en"} for i in range(messages)]
            )
            users = list(await s.scalars(select(User.id).order_by(User.id)))
            await s.execute(
                insert(Notification),
                [
                    {"user_id": u, "kind": "wallet_topped_up", "channel": Channel.SMS, "due_at": now,
                     "payload": {"amount": 500, "balance": 500, "currency": "EUR"}, "created_at": now}
                    for u in users
                ],
            )  # fmt: skip
        async with TwilioFake() as fake:
            fake.fail_next(20429, 20500, 20429)  # Twilio pushing back: each tried again later
            twilio = Twilio(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, fake.base_url)
            dispatcher = OutboxDispatcher(
                db,
                {Channel.SMS: SmsSender(twilio, db, public_url="https://parking.example")},
                SystemClock(),
                # As main.py builds the SMS dispatcher.
                DispatchLimits(
                    messages_per_second=rate, concurrency=max(4, int(rate * 4)), confirmed_window=False
                ),
            )
            started = time.monotonic()
            while True:
                async with db.read() as s:
                    left = await s.scalar(
                        select(Notification.id).where(Notification.status != NotificationStatus.SENT).limit(1)
                    )
                if left is None:
                    break
                await dispatcher.run()
                await asyncio.sleep(0.2)
            elapsed = time.monotonic() - started
            await twilio.close()
        per_second = Counter(int(m.at - started) for m in fake.sent)
        by_number = Counter(m.to for m in fake.sent)
        lost = messages - len(by_number)
        duplicated = sum(c - 1 for c in by_number.values() if c > 1)
        print(f"messages: {messages}, rate asked: {rate}/s")
        print(f"sent: {len(fake.sent)} in {elapsed:.1f} s = {len(fake.sent) / elapsed:.2f}/s")
        print(f"most in one second: {max(per_second.values())} (limit {rate:g})")
        print(f"refused and retried: {len(fake.refused)} {[code for _, code in fake.refused]}")
        print(f"lost: {lost}, duplicated: {duplicated}")
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--rate", type=float, default=1.0, help="TWILIO_RATE_PER_SECOND")
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.rate))
