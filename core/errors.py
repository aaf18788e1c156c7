"""Typed domain errors. Edges turn them into user-facing messages; none of them is a bug."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every rule violation a user or operator can cause."""

    code = "domain_error"


class NotFound(DomainError):
    code = "not_found"


class NotOwner(NotFound):
    """The caller does not own the object (forged or stale callback). To the caller it is the
    same as NotFound, code included: telling "not yours" from "does not exist" would let anyone
    enumerate other people's reservation ids."""

    code = "not_found"


class InvalidInterval(DomainError):
    code = "invalid_interval"


class ClosedAtThatTime(DomainError):
    """The stay would start or run while the premise is closed (core.opening_hours)."""

    code = "closed"

    def __init__(self, premise_id: int, opening_hours: str) -> None:
        super().__init__(f"premise {premise_id} is closed then (open {opening_hours[:80]})")
        self.premise_id = premise_id
        self.opening_hours = opening_hours


class NoSpotFree(DomainError):
    code = "no_spot_free"


class NoSpotToMoveTo(NoSpotFree):
    """Moving a booking off a closed spot: no other spot of the premise is free then."""

    code = "no_spot_to_move_to"


class SpotTaken(DomainError):
    """The interval asked for (an extension, a late confirmation) is no longer free."""

    code = "spot_taken"


class InvalidTransition(DomainError):
    code = "invalid_transition"

    def __init__(self, reservation_id: int, status: str, action: str) -> None:
        super().__init__(f"reservation {reservation_id} is {status}: cannot {action}")
        self.reservation_id = reservation_id
        self.status = status
        self.action = action


class TooLateToCancel(DomainError):
    code = "too_late_to_cancel"


class NotStarted(DomainError):
    """Ending a booking that has not started (it is cancelled instead)."""

    code = "not_started"


class InsufficientFunds(DomainError):
    code = "insufficient_funds"

    def __init__(self, balance: int, needed: int, currency: str) -> None:
        super().__init__(f"balance {balance} {currency} is short of {needed}")
        self.balance = balance
        self.needed = needed
        self.currency = currency


class InvalidTopUp(DomainError):
    """A wallet top-up outside the limits (core/rules.py: TOPUP_MIN, TOPUP_MAX)."""

    code = "invalid_topup"


class PaymentUnavailable(DomainError):
    """The card payment provider could not be reached or refused the request; the wallet
    still pays. The payment it was for is marked failed."""

    code = "payment_unavailable"


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"


class PriceChanged(DomainError):
    """The price the driver was shown is no longer the price (a rate boundary crossed, a new
    rate plan): nothing was held; they see the new one and tap again."""

    code = "price_changed"

    def __init__(self, price: int, currency: str) -> None:
        super().__init__(f"the price is now {price} {currency}")
        self.price = price
        self.currency = currency


class TooManyHolds(DomainError):
    code = "too_many_holds"


class InvalidPhone(DomainError):
    """Not a possible phone number (DESIGN.md §12 keeps numbers in E.164)."""

    code = "invalid_phone"


class PhoneTaken(DomainError):
    """One user per phone number: this one belongs to another user already."""

    code = "phone_taken"


class InvalidRatePlan(DomainError):
    """A rate plan that cannot be priced as core/pricing.py documents (refused when set)."""

    code = "invalid_rate_plan"


class RatePlanBadAmount(InvalidRatePlan):
    """A price that is not a whole number of minor units from 0 to core.pricing.MAX_AMOUNT."""

    code = "rate_plan_bad_amount"


class RatePlanCapTooLow(InvalidRatePlan):
    """The daily cap is below the dearest hour of the plan: it would undercut every rate."""

    code = "rate_plan_cap_too_low"


class RatePlanBadPeriod(InvalidRatePlan):
    """A time-of-day or weekday rate without days, off whole minutes, or overlapping another."""

    code = "rate_plan_bad_period"


class NotPermitted(DomainError):
    """The caller's role at that premise does not allow the action (core/permissions.py).
    Refusals are written to the audit log."""

    code = "not_permitted"


class InvalidSpotLabels(DomainError):
    """Spot labels that cannot be read: not `A1`, `A1-A20` or `A1-20`, a range backwards or
    between different letters, or a label over 32 characters."""

    code = "invalid_spot_labels"


class TooManySpots(DomainError):
    """More spots at once than core/usecases/spots.py MAX_NEW_SPOTS allows."""

    code = "too_many_spots"


class SpotLabelTaken(DomainError):
    """A label the premise has already (or named twice): `labels` are the ones taken."""

    code = "spot_label_taken"

    def __init__(self, labels: list[str]) -> None:
        super().__init__(f"labels taken: {', '.join(labels)[:200]}")
        self.labels = labels


class InvalidClosing(DomainError):
    """Closing a spot without a reason, or with a reopen time that has passed."""

    code = "invalid_closing"


class InvalidInvite(DomainError):
    """A staff invite link that cannot be used: `reason` is unknown, used or expired."""

    code = "invalid_invite"

    def __init__(self, reason: str) -> None:
        super().__init__(f"invite {reason}")
        self.reason = reason


class InvalidBlockerId(DomainError):
    """A device id a blocker could not have: empty, over 64 characters, with spaces around it
    or an MQTT wildcard or separator (core/blockers.py valid_device_id)."""

    code = "invalid_blocker_id"


class BlockerBound(DomainError):
    """Registering (or replacing with) a device that is already bound to a spot: unbind it
    there first."""

    code = "blocker_bound"


class SpotHasBlocker(DomainError):
    """Registering a device to a spot that already has one: replace or unbind that one."""

    code = "spot_has_blocker"


class BlockersUnavailable(DomainError):
    """A test command while the bot runs without MQTT: nothing can reach a device."""

    code = "blockers_unavailable"


class InvalidPremise(DomainError):
    """A premise field the console cannot accept: `field` names it (name, coordinates,
    timezone, currency, opening_hours, features, price_per_hour, description, photos)."""

    code = "invalid_premise"

    def __init__(self, field: str, detail: str = "") -> None:
        super().__init__(f"{field}: {detail}"[:200])
        self.field = field


class CannotReview(DomainError):
    """A review the rules do not take: `reason` is not_completed (cancelled, lapsed or not
    over yet), no_show, closed (more than REVIEW_EDIT_DAYS after the stay), rating (not 1-5)
    or too_long (the text)."""

    code = "cannot_review"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidRefund(DomainError):
    """A refund amount that cannot be given: not a positive amount in the booking's currency."""

    code = "invalid_refund"


class RefundTooLarge(DomainError):
    """A refund beyond what is left to refund on the booking (`refundable`, minor units)."""

    code = "refund_too_large"

    def __init__(self, refundable: int, currency: str) -> None:
        super().__init__(f"only {refundable} {currency} left to refund")
        self.refundable = refundable
        self.currency = currency


class InvalidReview(DomainError):
    """Moderating a review already decided, or rejecting one without a reason."""

    code = "invalid_review"


class InvalidPlate(DomainError):
    """Not a number plate: 2-12 letters and digits once spaces and dashes are gone
    (core/plates.py)."""

    code = "invalid_plate"


class TooManyVehicles(DomainError):
    """A driver keeps at most core.plates.MAX_VEHICLES plates."""

    code = "too_many_vehicles"


class InvalidOperatorField(DomainError):
    """An operator or VAT field the console cannot accept (core/usecases/operator_admin.py):
    `field` names it (operator_name, operator_address, vat_number, vat_rate)."""

    code = "invalid_operator_field"

    def __init__(self, field: str, detail: str = "") -> None:
        super().__init__(f"{field}: {detail}"[:200])
        self.field = field


class InvalidGuestPass(DomainError):
    """A guest pass that opens nothing: unknown (or forged), revoked, its booking over, or
    opened by another guest already. One answer for all of them, so a guessed token learns
    nothing about real ones."""

    code = "invalid_guest_pass"


class CannotShare(DomainError):
    """Only a paid booking that has not ended can be shared with a guest."""

    code = "cannot_share"


class OfferLapsed(DomainError):
    """A waitlist offer tapped after its time (or withdrawn): the next driver has it."""

    code = "offer_lapsed"


class WishOver(DomainError):
    """ "Wait again" under a lapsed offer after the wish's own time (its stay has begun)."""

    code = "wish_over"


class TooManyWishes(DomainError):
    """A driver waits for at most core.usecases.waitlist.MAX_WISHES spots at a time."""

    code = "too_many_wishes"
