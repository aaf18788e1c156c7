"""The kinds of notification the outbox carries (DESIGN.md §5, the outbox).

A kind is written into `notifications.kind` as its string value, so the rows read as before;
each channel renders every kind (`bot/notifications.py` for Telegram; a test checks that none
is missing). Operators' alerts are the `admin_*` kinds: they are sent after drivers' messages.
"""

from __future__ import annotations

import enum


class NotificationKind(enum.StrEnum):
    # Drivers: their bookings.
    BOOKING_CONFIRMED = "booking_confirmed"
    BOOKING_CANCELLED = "booking_cancelled"
    BOOKING_COMPLETED = "booking_completed"
    BOOKING_EXTENDED = "booking_extended"
    BOOKING_MOVED = "booking_moved"  # its spot was closed: the same time on another spot
    BOOKING_REMINDER = "booking_reminder"
    BOOKING_LEFT = "booking_left"  # the car left early: completed, unused steps refunded
    NO_SHOW_CHECK = "no_show_check"  # "Still coming?" before a no-show release
    NO_SHOW_RELEASED = "no_show_released"  # nobody came (or the driver let it go): released
    BAY_BLOCKED = "bay_blocked"  # the bay is taken or its blocker failed: "Move me" / "Refund me"
    HOLD_EXPIRING = "hold_expiring"  # minutes before an unpaid hold lapses, with "Pay now"
    HOLD_EXPIRED = "hold_expired"
    LOWER_LATE = "lower_late"
    LOWER_FAILED_AFTER_ALL = "lower_failed_after_all"
    # Guests and the waitlist (issue 16): a booking shared with a phone number by SMS, and a
    # spot freed at a full car park, offered with "Hold it".
    GUEST_PASS = "guest_pass"
    GUEST_PASS_REVOKED = "guest_pass_revoked"  # told to a guest who had the pass, once
    WAITLIST_OFFER = "waitlist_offer"
    WAITLIST_OFFER_LAPSED = "waitlist_offer_lapsed"  # not held in time: "Wait again" while it can
    WAITLIST_WISH_ENDED = "waitlist_wish_ended"  # its time passed while waiting: no spot freed
    # Drivers: money.
    PAYMENT_REFUNDED = "payment_refunded"
    WALLET_TOPPED_UP = "wallet_topped_up"
    CARD_SAVED = "card_saved"
    # Drivers: their review was approved and is now shown with the car park.
    REVIEW_PUBLISHED = "review_published"
    # Operators.
    ADMIN_PAYMENT_MISMATCH = "admin_payment_mismatch"
    ADMIN_REFUND_FAILED = "admin_refund_failed"
    ADMIN_BLOCKERS_UNHEALTHY = "admin_blockers_unhealthy"  # one per outage, listing its blockers
    ADMIN_BLOCKERS_RECOVERED = "admin_blockers_recovered"
    ADMIN_BLOCKER_FAILED = "admin_blocker_failed"
    ADMIN_BLOCKER_ACK_CONFLICT = "admin_blocker_ack_conflict"
    ADMIN_OVERSTAY = "admin_overstay"
    # A blocker incident touching bookings, with buttons (blocker_incidents), and its end.
    ADMIN_INCIDENT = "admin_incident"
    ADMIN_INCIDENT_ENDED = "admin_incident_ended"
    # One blocker per alert: no longer queued (grouped per outage now), but rows an older
    # version queued may still be waiting in a database, and they are still sent.
    ADMIN_BLOCKER_UNHEALTHY = "admin_blocker_unhealthy"
    ADMIN_BLOCKER_RECOVERED = "admin_blocker_recovered"

    @property
    def for_admins(self) -> bool:
        return self.value.startswith("admin_")
