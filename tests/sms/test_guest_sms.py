"""A guest pass sent by SMS (issue 16), through the running stack, the Twilio fake and the
device simulator on the local Mosquitto: the guest's phone gets the place and times and
"Reply LOWER"; LOWER is refused before the window, lowers the owner's blocker within it, and
opens nothing once the owner revoked the pass, which the guest is told by SMS."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.models import Reservation, ReservationStatus, Spot, User, WalletTxKind
from core.services import booking, wallet
from core.services import payments as pay_rules
from hardware.simulator import Simulator
from tests.factories import make_user
from tests.services import MQTT_URL, tcp_open, unavailable
from tests.sms.test_sms_stack import BLOCKERS, _blockers_online, _stack

GUEST = "+447700900555"


@pytest.mark.mqtt
async def test_a_guest_lowers_the_owners_blocker_by_sms_within_the_window(
    tmp_path: Path, sqlite_template: Path
) -> None:
    if not tcp_open(MQTT_URL, 1883):
        unavailable(f"Mosquitto is not reachable at {MQTT_URL}")
    prefix = f"gsms{uuid.uuid4().hex[:8]}"
    async for st in _stack(tmp_path, sqlite_template, mqtt=(MQTT_URL, prefix)):
        e2e, tw = st.e2e, st.twilio
        async with Simulator(
            MQTT_URL, prefix, BLOCKERS, move_time=0.02, car_arrival_delay=0.05, clock=e2e.clock,
            clear_retained_on_stop=True,
        ) as _sim:  # fmt: skip
            assert e2e.app.link is not None
            await asyncio.wait_for(e2e.app.link.wait_connected(), 5)
            await _blockers_online(e2e)
            now = e2e.clock.now()
            async with e2e.db.transaction() as s:
                owner = await make_user(s, telegram_id=5005, name="Olena Owner", phone="+447700900999")
                r = await booking.hold(
                    s,
                    user_id=owner.id,
                    premise_id=e2e.premise_id,
                    starts_at=now + timedelta(hours=1),
                    minutes=60,
                    now=now,
                    hold_minutes=10,
                )
                await wallet.credit(
                    s, owner.id, r.price, "EUR", kind=WalletTxKind.DEPOSIT, reference="t", now=now
                )
                await pay_rules.pay_booking_with_wallet(s, reservation_id=r.id, user_id=owner.id, now=now)
                rid, owner_id = r.id, owner.id
                spot = (await s.scalars(select(Spot.label).where(Spot.id == r.spot_id))).one()

            number = await e2e.app.services.guests.share_by_sms(
                owner_id=owner_id, reservation_id=rid, phone=GUEST
            )
            assert number == GUEST
            await st.sms_out()
            text = await tw.wait_for(GUEST, "Guest parking for you")
            assert f"spot {spot}" in text and text.endswith(
                "Reply LOWER when you arrive to lower the blocker."
            )
            assert "Olena" not in text and "EUR" not in text  # nothing of the owner's

            early = await tw.text(GUEST, "LOWER")
            assert early.messages[0].startswith("Too early: the blocker can be lowered from ")

            e2e.clock.advance(timedelta(minutes=50))  # 10 minutes before the start
            lowered = await tw.text(GUEST, "lower")
            assert lowered.messages[0].startswith(f"Blocker down at spot {spot}: park now.")
            async with e2e.db.read() as s:
                assert (await s.get_one(Reservation, rid)).status == ReservationStatus.ACTIVE
                guest = (await s.scalars(select(User).where(User.phone == GUEST))).one()
            assert guest.telegram_id is None

            await e2e.app.services.guests.revoke(owner_id=owner_id, reservation_id=rid)
            # Told once, by SMS as the pass came; parked on the spot, that the booking stays
            # the owner's (never named) until its end.
            await st.sms_out()
            revoked = await tw.wait_for(GUEST, "Your guest pass")
            assert revoked.startswith(
                f"Your guest pass for spot {spot} at Central Garage was cancelled by the driver who "
                "shared it. The booking stays theirs until "
            ) and revoked.endswith(
                ": if your car is there, agree with them when to move it. LOWER no longer works for you."
            )
            assert "Olena" not in revoked
            after = await tw.text(GUEST, "LOWER")
            assert after.messages[0].startswith("You have no booking now")
            await st.sms_out()
            assert [b for b in tw.to(GUEST) if b.startswith("Your guest pass")] == [revoked]
